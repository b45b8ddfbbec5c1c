//! Sending a page of planned reminders. Every row of every message — the exactly-once keys, the
//! outbox rows, new pay links, tasks, activities — is built in memory from lookups made once per
//! page, then written in one transaction. When another instance got there first (a unique key
//! fails), the page is written again message by message, skipping those already sent.
//!
//! New pay links are written without a page at the provider: it is made when the customer
//! chooses to pay (`link_pricing::ensure_provider_page`), so a reminder costs no provider call
//! and a reminder that loses a race leaves no link behind.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, QueryFilter};
use serde_json::json;
use uuid::Uuid;

use super::scheduler::{Planned, Reach, SYSTEM};
use super::templates::{self, MessageValues};
use crate::domain::activity::ActivityKind;
use crate::domain::dunning::{SendOutcome, StepChannel, TemplateChannel};
use crate::domain::ids::OrganizationId;
use crate::domain::money::{MAX_MINOR, Money};
use crate::domain::payment_link::{PaymentLinkStatus, new_token};
use crate::domain::task::{TaskKind, TaskSource};
use crate::entities::outbox::OutboxKind;
use crate::entities::{
    activity, contact, customer, message_template, outbox, payment_link, payment_link_installment,
    payment_link_invoice, plan_reminder_send, reminder_send, task, task_invoice, user,
};
use crate::error::{AppError, AppResult, is_unique_violation};
use crate::mail::Mail;
use crate::render::Lang;
use crate::services::activities::{self, Actor, Entry};
use crate::services::outbox::{ReminderContext, Sms};
use crate::services::payment_links::DEFAULT_EXPIRES_IN_HOURS;
use crate::services::rules;
use crate::services::scope::{OrgScoped, insert_all};
use crate::services::tasks::{self, Planned as PlannedTask};
use crate::state::AppState;

/// Rows written per statement.
const ROWS_PER_INSERT: usize = 500;

/// What every message of an organization's pass shares, read once.
pub struct Sender {
    org: OrganizationId,
    company: String,
    templates: Vec<message_template::Model>,
    users: HashMap<Uuid, user::Model>,
    /// The provider new pay links are for; none: reminders go without a new link.
    provider: Option<String>,
    public_url: String,
    today: NaiveDate,
    now: DateTime<Utc>,
}

/// The rows one or more messages write.
#[derive(Clone, Default)]
struct Writes {
    links: Vec<payment_link::ActiveModel>,
    link_invoices: Vec<payment_link_invoice::ActiveModel>,
    link_installments: Vec<payment_link_installment::ActiveModel>,
    tasks: Vec<task::ActiveModel>,
    task_invoices: Vec<task_invoice::ActiveModel>,
    sends: Vec<reminder_send::ActiveModel>,
    plan_sends: Vec<plan_reminder_send::ActiveModel>,
    outbox: Vec<outbox::ActiveModel>,
    activities: Vec<activity::ActiveModel>,
}

impl Writes {
    fn extend(&mut self, other: Writes) {
        self.links.extend(other.links);
        self.link_invoices.extend(other.link_invoices);
        self.link_installments.extend(other.link_installments);
        self.tasks.extend(other.tasks);
        self.task_invoices.extend(other.task_invoices);
        self.sends.extend(other.sends);
        self.plan_sends.extend(other.plan_sends);
        self.outbox.extend(other.outbox);
        self.activities.extend(other.activities);
    }

    /// Inserts everything, parents first.
    async fn insert(
        self,
        conn: &impl ConnectionTrait,
        org: OrganizationId,
        now: chrono::DateTime<chrono::Utc>,
    ) -> AppResult<()> {
        insert_chunked(conn, self.links).await?;
        insert_chunked(conn, self.link_invoices).await?;
        insert_chunked(conn, self.link_installments).await?;
        insert_chunked(conn, self.tasks).await?;
        insert_chunked(conn, self.task_invoices).await?;
        insert_chunked(conn, self.sends).await?;
        insert_chunked(conn, self.plan_sends).await?;
        insert_chunked(conn, self.outbox).await?;
        activities::append_rows(conn, org, self.activities, now).await
    }
}

async fn insert_chunked<A>(conn: &impl ConnectionTrait, rows: Vec<A>) -> AppResult<()>
where
    A: sea_orm::ActiveModelTrait + Send + Clone,
{
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        insert_all(conn, chunk.to_vec()).await?;
    }
    Ok(())
}

/// A customer's ACTIVE links with the invoices each covers and the plan installments it pays.
type Links = HashMap<Uuid, Vec<Covering>>;

/// An ACTIVE link, the invoices it covers, and the plan installments it pays (if any).
struct Covering {
    link: payment_link::Model,
    invoices: HashSet<Uuid>,
    installments: HashSet<Uuid>,
}

impl Sender {
    pub async fn load(
        app: &AppState,
        org: OrganizationId,
        company: &str,
        today: NaiveDate,
    ) -> AppResult<Self> {
        let conn = app.db.reader();
        let templates = message_template::Entity::in_org(org).all(conn).await?;
        let users = user::Entity::in_org(org)
            .all(conn)
            .await?
            .into_iter()
            .map(|user| (user.id, user))
            .collect();
        Ok(Sender {
            org,
            company: company.to_owned(),
            templates,
            users,
            provider: app.providers.default_name().map(str::to_owned),
            public_url: app.config.public_url.clone(),
            today,
            now: app.clock.now(),
        })
    }

    /// Sends a page of messages; answers (sent, sent already by someone else).
    pub async fn send(&self, app: &AppState, page: Vec<Planned>) -> AppResult<(usize, usize)> {
        if page.is_empty() {
            return Ok((0, 0));
        }
        let customer_ids: Vec<Uuid> = page.iter().map(|message| message.customer.id).collect();
        let contacts = self.primary_contacts(app, &customer_ids).await?;
        let links = self.active_links(app, &customer_ids).await?;
        let mut each = Vec::with_capacity(page.len());
        for message in &page {
            let contact = contacts.get(&message.customer.id);
            let customer_links = links
                .get(&message.customer.id)
                .map_or(&[][..], Vec::as_slice);
            each.push(self.build(message, contact, customer_links)?);
        }
        let count = each.len();
        let mut all = Writes::default();
        for writes in &each {
            all.extend(writes.clone());
        }
        let txn = app.db.begin().await?;
        match all.insert(&txn, self.org, self.now).await {
            Ok(()) => {
                txn.commit().await?;
                return Ok((count, 0));
            }
            Err(AppError::Database(error)) if is_unique_violation(&error) => drop(txn),
            Err(error) => return Err(error),
        }
        let (mut sent, mut already) = (0, 0);
        for writes in each {
            let txn = app.db.begin().await?;
            match writes.insert(&txn, self.org, self.now).await {
                Ok(()) => {
                    txn.commit().await?;
                    sent += 1;
                }
                Err(AppError::Database(error)) if is_unique_violation(&error) => already += 1,
                Err(error) => return Err(error),
            }
        }
        Ok((sent, already))
    }

    async fn primary_contacts(
        &self,
        app: &AppState,
        customer_ids: &[Uuid],
    ) -> AppResult<HashMap<Uuid, contact::Model>> {
        Ok(contact::Entity::in_org(self.org)
            .filter(contact::Column::CustomerId.is_in(customer_ids.iter().copied()))
            .filter(contact::Column::IsPrimary.eq(true))
            .all(app.db.reader())
            .await?
            .into_iter()
            .map(|contact| (contact.customer_id, contact))
            .collect())
    }

    async fn active_links(&self, app: &AppState, customer_ids: &[Uuid]) -> AppResult<Links> {
        let conn = app.db.reader();
        let links = payment_link::Entity::in_org(self.org)
            .filter(payment_link::Column::CustomerId.is_in(customer_ids.iter().copied()))
            .filter(payment_link::Column::Status.eq(PaymentLinkStatus::Active))
            .filter(payment_link::Column::ExpiresAt.gt(self.now))
            .all(conn)
            .await?;
        if links.is_empty() {
            return Ok(HashMap::new());
        }
        let mut covered: HashMap<Uuid, HashSet<Uuid>> = HashMap::new();
        let mut paid: HashMap<Uuid, HashSet<Uuid>> = HashMap::new();
        for chunk in links.chunks(1_000) {
            let joins = payment_link_installment::Entity::in_org(self.org)
                .filter(payment_link_installment::Column::LinkId.is_in(chunk.iter().map(|l| l.id)))
                .all(conn)
                .await?;
            for join in joins {
                paid.entry(join.link_id)
                    .or_default()
                    .insert(join.installment_id);
            }
            let joins = payment_link_invoice::Entity::in_org(self.org)
                .filter(payment_link_invoice::Column::LinkId.is_in(chunk.iter().map(|l| l.id)))
                .all(conn)
                .await?;
            for join in joins {
                covered
                    .entry(join.link_id)
                    .or_default()
                    .insert(join.invoice_id);
            }
        }
        let mut by_customer: Links = HashMap::new();
        for link in links {
            let invoices = covered.remove(&link.id).unwrap_or_default();
            let installments = paid.remove(&link.id).unwrap_or_default();
            by_customer
                .entry(link.customer_id)
                .or_default()
                .push(Covering {
                    link,
                    invoices,
                    installments,
                });
        }
        Ok(by_customer)
    }

    /// The template of `template_id`'s name on `channel`, in `language` when there is one.
    fn pick(
        &self,
        template_id: Uuid,
        channel: TemplateChannel,
        language: &str,
    ) -> Option<&message_template::Model> {
        let chosen = self.templates.iter().find(|t| t.id == template_id)?;
        let same = |t: &&message_template::Model| t.name == chosen.name && t.channel == channel;
        self.templates
            .iter()
            .filter(same)
            .find(|t| t.language == language)
            .or_else(|| self.templates.iter().find(same))
    }

    /// The rows of one message.
    fn build(
        &self,
        message: &Planned,
        contact: Option<&contact::Model>,
        links: &[Covering],
    ) -> AppResult<Writes> {
        let customer = &message.customer;
        let org = self.org;
        let (language, lang) = super::scheduler::language(customer);
        let Reach { email, mobile, .. } = Reach::of(contact, customer);
        let template_id = message.step.template_id;
        let template = |channel| template_id.and_then(|id| self.pick(id, channel, language));
        // SMS → mail → task; mail → task; each only with an address and a template.
        let (route, fallback) = match (message.step.channel, &mobile, &email) {
            (StepChannel::Task, _, _) => (None, None),
            (StepChannel::Sms, Some(mobile), _) if template(TemplateChannel::Sms).is_some() => {
                (Some((TemplateChannel::Sms, mobile.clone())), None)
            }
            (StepChannel::Sms, _, Some(email)) if template(TemplateChannel::Email).is_some() => (
                Some((TemplateChannel::Email, email.clone())),
                Some("no mobile number: sent by mail"),
            ),
            (StepChannel::Sms, _, _) => {
                (None, Some("no mobile number or email: a call task instead"))
            }
            (StepChannel::Email, _, Some(email)) if template(TemplateChannel::Email).is_some() => {
                (Some((TemplateChannel::Email, email.clone())), None)
            }
            (StepChannel::Email, _, _) => (None, Some("no email: a call task instead")),
        };
        let ids: Vec<Uuid> = message.invoices.iter().map(|invoice| invoice.id).collect();
        let channel = match &route {
            Some((TemplateChannel::Email, _)) => StepChannel::Email,
            Some((TemplateChannel::Sms, _)) => StepChannel::Sms,
            None => StepChannel::Task,
        };
        let mut writes = Writes::default();
        let key = |invoice_id: Uuid, offset_days: i32, outcome| reminder_send::ActiveModel {
            id: Set(Uuid::now_v7()),
            organization_id: Set(org.0),
            invoice_id: Set(invoice_id),
            customer_id: Set(customer.id),
            policy_id: Set(message.policy_id),
            offset_days: Set(offset_days),
            outcome: Set(outcome),
            channel: Set(channel),
            planned_on: Set(self.today),
            created_at: Set(self.now),
        };
        if let Some(installment) = &message.installment {
            let key = |offset_days: i32, outcome| plan_reminder_send::ActiveModel {
                id: Set(Uuid::now_v7()),
                organization_id: Set(org.0),
                installment_id: Set(installment.id),
                customer_id: Set(customer.id),
                policy_id: Set(message.policy_id),
                offset_days: Set(offset_days),
                outcome: Set(outcome),
                channel: Set(channel),
                planned_on: Set(self.today),
                created_at: Set(self.now),
            };
            writes
                .plan_sends
                .push(key(message.step.offset_days, SendOutcome::Sent));
            writes.plan_sends.extend(
                message
                    .skipped
                    .iter()
                    .map(|(_, day)| key(*day, SendOutcome::Skipped)),
            );
        } else {
            let mut sends: Vec<_> = ids
                .iter()
                .map(|id| key(*id, message.step.offset_days, SendOutcome::Sent))
                .collect();
            sends.extend(
                message
                    .skipped
                    .iter()
                    .map(|(id, day)| key(*id, *day, SendOutcome::Skipped)),
            );
            writes.sends = sends;
        }

        let Some((template_channel, to)) = route else {
            let about = match &message.installment {
                Some(due) => format!(
                    "Reminder for installment {}/{} (day {})",
                    due.position, due.count, message.step.offset_days
                ),
                None => format!("Reminder (day {})", message.step.offset_days),
            };
            let note = match fallback {
                Some(reason) => format!("{about}: {reason}"),
                None => format!("{about}: call the customer"),
            };
            let planned = PlannedTask {
                kind: TaskKind::Call,
                source: TaskSource::Dunning,
                customer_id: customer.id,
                invoice_ids: &ids,
                due_date: self.today,
                assignee_id: customer.assigned_collector_id,
                note: Some(note),
            };
            let (task, joins, created) = tasks::rows(org, Actor::System(SYSTEM), planned, self.now);
            writes.tasks.push(task);
            writes.task_invoices = joins;
            writes.activities.push(created);
            return Ok(writes);
        };
        let template = template(template_channel)
            .ok_or_else(|| AppError::Internal("the route's template vanished".into()))?;
        let link = if message.step.include_pay_link {
            self.link_for(message, &ids, links, &mut writes)?
        } else {
            None
        };
        let values = self.values(message, contact, lang, link.clone().unwrap_or_default())?;
        let rendered = templates::render(template, &values)?;
        let numbers: Vec<String> = message.invoices.iter().map(|i| i.number.clone()).collect();
        let context = ReminderContext {
            customer_id: customer.id,
            offset_days: Some(message.step.offset_days),
            channel: super::scheduler::channel_name(channel).to_owned(),
            invoice_ids: ids.clone(),
            invoices: numbers.clone(),
        };
        let row = message_row(org, template_channel, &to, rendered, &context, self.now)?;
        writes.outbox.push(row);
        let entry = Entry {
            customer_id: customer.id,
            invoice_id: (ids.len() == 1).then(|| ids[0]),
            kind: ActivityKind::ReminderSent,
            note: None,
            data: json!({
                "step": message.step.offset_days,
                "channel": super::scheduler::channel_name(channel),
                "fallback": fallback,
                "to": to,
                "invoices": numbers,
                "amounts": super::scheduler::amounts(&values),
                "payLink": link,
                "skippedSteps": message.skipped.iter().map(|(_, day)| *day).collect::<HashSet<_>>(),
                "planInstallment": message.installment.as_ref().map(|due| json!({
                    "planId": due.plan_id,
                    "installmentId": due.id,
                    "position": due.position,
                    "dueDate": due.due_date,
                })),
            }),
        };
        writes
            .activities
            .push(activities::row(org, Actor::System(SYSTEM), entry, self.now));
        Ok(writes)
    }

    /// The pay link's address: the customer's active link for exactly these invoices, else a
    /// new one (its rows added to `writes`); None without a provider or in several currencies.
    fn link_for(
        &self,
        message: &Planned,
        ids: &[Uuid],
        links: &[Covering],
        writes: &mut Writes,
    ) -> AppResult<Option<String>> {
        let wanted: HashSet<Uuid> = ids.iter().copied().collect();
        let wanted_installments: HashSet<Uuid> =
            message.installment.iter().map(|due| due.id).collect();
        let same = |covering: &&Covering| match &message.installment {
            Some(_) => covering.installments == wanted_installments,
            None => covering.installments.is_empty() && covering.invoices == wanted,
        };
        if let Some(covering) = links.iter().find(same) {
            return Ok(Some(self.pay_url(&covering.link.token)));
        }
        let Some(provider) = &self.provider else {
            return Ok(None);
        };
        let mut currencies: HashSet<&str> = message
            .invoices
            .iter()
            .map(|i| i.currency.as_str())
            .collect();
        if let Some(due) = &message.installment {
            currencies = HashSet::from([due.left.currency.code()]);
        }
        let [currency] = currencies.into_iter().collect::<Vec<_>>()[..] else {
            return Ok(None);
        };
        let owed: i64 = match &message.installment {
            Some(due) => due.left.minor,
            None => message
                .invoices
                .iter()
                .map(|invoice| (invoice.total_minor - invoice.paid_minor).max(0))
                .fold(0_i64, i64::saturating_add),
        };
        if owed <= 0 || owed > MAX_MINOR {
            return Ok(None);
        }
        let id = Uuid::now_v7();
        let token = new_token();
        writes.links.push(payment_link::ActiveModel {
            id: Set(id),
            organization_id: Set(self.org.0),
            token: Set(token.clone()),
            customer_id: Set(message.customer.id),
            amount_minor: Set(owed),
            currency: Set(currency.to_owned()),
            provider: Set(provider.clone()),
            provider_link_id: Set(None),
            provider_url: Set(None),
            max_installments: Set(message.max_installments),
            status: Set(PaymentLinkStatus::Active),
            expires_at: Set(self.now + Duration::hours(i64::from(DEFAULT_EXPIRES_IN_HOURS))),
            paid_at: Set(None),
            payment_id: Set(None),
            created_by: Set(None),
            created_at: Set(self.now),
            updated_at: Set(self.now),
        });
        writes.link_invoices.extend(ids.iter().map(|invoice_id| {
            payment_link_invoice::ActiveModel {
                id: Set(Uuid::now_v7()),
                organization_id: Set(self.org.0),
                link_id: Set(id),
                invoice_id: Set(*invoice_id),
            }
        }));
        if let Some(due) = &message.installment {
            writes
                .link_installments
                .push(payment_link_installment::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    organization_id: Set(self.org.0),
                    link_id: Set(id),
                    installment_id: Set(due.id),
                    plan_id: Set(due.plan_id),
                });
        }
        let amount = Money::from_minor(owed, rules::stored_currency(currency)?);
        let entry = Entry {
            customer_id: message.customer.id,
            invoice_id: (ids.len() == 1).then(|| ids[0]),
            kind: ActivityKind::PaymentLinkCreated,
            note: None,
            data: json!({
                "paymentLinkId": id,
                "amount": amount.to_decimal().to_string(),
                "currency": currency,
                "invoices": message.invoices.iter().map(|i| i.number.as_str()).collect::<Vec<_>>(),
                "maxInstallments": message.max_installments,
                "provider": provider,
            }),
        };
        writes.activities.push(activities::row(
            self.org,
            Actor::System(SYSTEM),
            entry,
            self.now,
        ));
        Ok(Some(self.pay_url(&token)))
    }

    fn pay_url(&self, token: &str) -> String {
        format!("{}/pay/{token}", self.public_url)
    }

    fn values(
        &self,
        message: &Planned,
        contact: Option<&contact::Model>,
        lang: Lang,
        pay_link: String,
    ) -> AppResult<MessageValues> {
        let customer: &customer::Model = &message.customer;
        let lines = match &message.installment {
            Some(due) => vec![installment_line(due, lang, self.today)],
            None => super::scheduler::lines(&message.invoices, self.today)?,
        };
        let collector = customer
            .assigned_collector_id
            .and_then(|id| self.users.get(&id));
        Ok(MessageValues {
            lang,
            company: self.company.clone(),
            customer: customer.name.clone(),
            contact_name: Reach::of(contact, customer).contact_name,
            lines,
            pay_link,
            collector_name: collector.map(|user| user.name.clone()).unwrap_or_default(),
            collector_phone: collector
                .and_then(|user| user.phone.clone())
                .unwrap_or_default(),
        })
    }
}

/// A reminder's one line for a plan installment: "Taksit 2/3", its due date, what is left.
fn installment_line(
    due: &super::installments::InstallmentDue,
    lang: Lang,
    today: NaiveDate,
) -> templates::Line {
    let word = match lang {
        Lang::Tr => "Taksit",
        Lang::En => "Installment",
    };
    templates::Line {
        number: format!("{word} {}/{}", due.position, due.count),
        due_date: due.due_date,
        days_overdue: (today - due.due_date).num_days(),
        balance: due.left,
    }
}

/// The outbox row of a rendered reminder: a mail or an (informational) SMS.
pub(super) fn message_row(
    org: OrganizationId,
    channel: TemplateChannel,
    to: &str,
    rendered: templates::Rendered,
    context: &ReminderContext,
    now: DateTime<Utc>,
) -> AppResult<outbox::ActiveModel> {
    match channel {
        TemplateChannel::Email => {
            let mail = Mail {
                to: to.to_owned(),
                subject: rendered.subject.unwrap_or_default(),
                text: rendered.text,
                html: rendered.html,
                message_id: format!("<{}@tahsilat>", Uuid::now_v7()),
            };
            crate::services::outbox::row(org, OutboxKind::Email, &mail, Some(context), now)
        }
        TemplateChannel::Sms => {
            let sms = Sms {
                to: to.to_owned(),
                body: rendered.text,
                informational: true,
            };
            crate::services::outbox::row(org, OutboxKind::Sms, &sms, Some(context), now)
        }
    }
}
