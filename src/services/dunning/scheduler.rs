//! The reminder scheduler. Each pass, per organization whose reminders are on and whose sending
//! window is open, it finds every open, undisputed invoice whose customer is not paused and that
//! no open promise covers, takes the latest step of the customer's policy due by today, and sends
//! one message per customer and step listing all of that customer's invoices at it.
//!
//! - Exactly once: each (invoice, policy, day) is written to `reminder_sends` under a unique key
//!   in the same transaction as the outbox row, so a second instance (or a rerun after a crash)
//!   fails on the key and sends nothing.
//! - Catch-up: after downtime only the latest due step goes; earlier ones are written SKIPPED.
//! - Memory: customers are taken a page at a time, with their invoices.
//!
//! The same planning answers `dunningPreview` without writing anything. Invoices an active
//! payment plan covers are left to its installments' reminders (see [`super::installments`]).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::json;
use uuid::Uuid;

use super::{policies, templates};
use crate::auth::Viewer;
use crate::domain::activity::ActivityKind;
use crate::domain::dunning::{
    DunningSettings, Step, StepChannel, TemplateChannel, latest_due_step,
};
use crate::domain::ids::OrganizationId;
use crate::domain::invoice::InvoiceStatus;
use crate::domain::money::Money;
use crate::domain::payment_link::PaymentLinkStatus;
use crate::domain::promise::PromiseStatus;
use crate::domain::role::Role;
use crate::entities::{
    contact, customer, invoice, organization, payment_link, promise, promise_invoice,
    reminder_policy, reminder_send, user,
};
use crate::error::{AppError, AppResult, FieldError, Validation};
use crate::render::Lang;
use crate::services::activities::{self, Actor, Entry};
use crate::services::outbox::ReminderContext;
use crate::services::payment_links::{self, NewPaymentLink};
use crate::services::rules;
use crate::services::scope::{self, OrgScoped};
use crate::state::AppState;

/// Customers planned per page.
const CUSTOMER_PAGE: u64 = 500;
/// The actor label of what the scheduler does.
pub const SYSTEM: &str = "system";

/// One message the policies call for: a customer, a step, the invoices at it.
#[derive(Debug, Clone)]
pub struct Planned {
    pub customer: customer::Model,
    pub policy_id: Uuid,
    pub max_installments: i32,
    pub step: Step,
    pub invoices: Vec<invoice::Model>,
    /// Earlier steps passed over after downtime: (invoice, day), or (installment, day).
    pub skipped: Vec<(Uuid, i32)>,
    /// Set when the message is about a payment-plan installment (`invoices` are then the
    /// plan's invoices that still owe).
    pub installment: Option<super::installments::InstallmentDue>,
}

/// The organization's policies by id, and its default.
pub(super) struct Policies {
    by_id: HashMap<Uuid, (reminder_policy::Model, Vec<Step>)>,
    default: Option<Uuid>,
}

impl Policies {
    async fn load(conn: &impl ConnectionTrait, org: OrganizationId) -> AppResult<Self> {
        let all = policies::list(conn, org).await?;
        let default = all
            .iter()
            .find(|policy| policy.is_default)
            .map(|policy| policy.id);
        let by_id = all
            .into_iter()
            .map(|policy| {
                let steps = policies::steps(&policy);
                (policy.id, (policy, steps))
            })
            .collect();
        Ok(Policies { by_id, default })
    }

    pub(super) fn of(
        &self,
        customer: &customer::Model,
    ) -> Option<&(reminder_policy::Model, Vec<Step>)> {
        if customer.reminders_off == Some(true) {
            return None;
        }
        self.by_id
            .get(&customer.reminder_policy_id.or(self.default)?)
    }

    /// Whether the customer gets reminders on `today`: not paused, and with a policy.
    pub(super) fn reminds(&self, customer: &customer::Model, today: NaiveDate) -> bool {
        customer
            .dunning_paused_until
            .is_none_or(|until| until < today)
            && self.of(customer).is_some()
    }

    /// The earliest step of any policy (to bound the invoices worth reading).
    fn earliest_offset(&self) -> Option<i32> {
        self.by_id
            .values()
            .flat_map(|(_, steps)| steps.iter().map(|step| step.offset_days))
            .min()
    }
}

/// Plans one page of customers (ids after `after`); answers the messages and the last id read,
/// or None when no customers are left.
async fn plan_page(
    conn: &impl ConnectionTrait,
    org: OrganizationId,
    policies: &Policies,
    grace_days: u32,
    today: NaiveDate,
    after: Option<Uuid>,
) -> AppResult<(Vec<Planned>, Option<Uuid>)> {
    let mut query = customer::Entity::in_org(org)
        .order_by_asc(customer::Column::Id)
        .limit(CUSTOMER_PAGE);
    if let Some(after) = after {
        query = query.filter(customer::Column::Id.gt(after));
    }
    let page = query.all(conn).await?;
    let last = page.last().map(|customer| customer.id);
    let Some(earliest) = policies.earliest_offset() else {
        return Ok((Vec::new(), None));
    };
    let customers: HashMap<Uuid, customer::Model> = page
        .into_iter()
        .filter(|customer| policies.reminds(customer, today))
        .map(|customer| (customer.id, customer))
        .collect();
    if customers.is_empty() {
        return Ok((Vec::new(), last));
    }
    let reach = today - Duration::days(i64::from(earliest));
    let invoices = invoice::Entity::in_org(org)
        .filter(invoice::Column::CustomerId.is_in(customers.keys().copied()))
        .filter(invoice::Column::Status.is_in([InvoiceStatus::Open, InvoiceStatus::PartiallyPaid]))
        .filter(invoice::Column::Disputed.eq(false))
        .filter(invoice::Column::DueDate.lte(reach))
        .all(conn)
        .await?;
    if invoices.is_empty() {
        return Ok((Vec::new(), last));
    }
    // By customer, not by invoice: a page's few hundred customers make short, indexed lookups.
    let with_invoices: Vec<Uuid> = invoices
        .iter()
        .map(|invoice| invoice.customer_id)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut promised = promised_invoices(conn, org, &with_invoices, grace_days, today).await?;
    // A payment plan's invoices are reminded through its installments instead.
    promised
        .extend(crate::services::plans::covered_for_customers(conn, org, &with_invoices).await?);
    let handled: HashSet<(Uuid, Uuid, i32)> = reminder_send::Entity::in_org(org)
        .select_only()
        .column(reminder_send::Column::InvoiceId)
        .column(reminder_send::Column::PolicyId)
        .column(reminder_send::Column::OffsetDays)
        .filter(reminder_send::Column::CustomerId.is_in(with_invoices.iter().copied()))
        .into_tuple()
        .all(conn)
        .await?
        .into_iter()
        .collect();

    // (customer, day) → the message's invoices and the steps passed over.
    let mut groups: Groups = HashMap::new();
    for invoice in invoices {
        if promised.contains(&invoice.id) || invoice.total_minor <= invoice.paid_minor {
            continue;
        }
        let Some(customer) = customers.get(&invoice.customer_id) else {
            continue;
        };
        let Some((policy, steps)) = policies.of(customer) else {
            continue;
        };
        let offsets: Vec<i32> = steps.iter().map(|step| step.offset_days).collect();
        let Some(latest) = latest_due_step(&offsets, invoice.due_date, today) else {
            continue;
        };
        if handled.contains(&(invoice.id, policy.id, latest)) {
            continue;
        }
        let days = (today - invoice.due_date).num_days();
        let skipped: Vec<(Uuid, i32)> = offsets
            .iter()
            .filter(|offset| **offset < latest && i64::from(**offset) <= days)
            .filter(|offset| !handled.contains(&(invoice.id, policy.id, **offset)))
            .map(|offset| (invoice.id, *offset))
            .collect();
        let group = groups.entry((customer.id, latest)).or_default();
        group.1.extend(skipped);
        group.0.push(invoice);
    }

    let mut planned = Vec::new();
    for ((customer_id, day), (invoices, skipped)) in groups {
        let Some(customer) = customers.get(&customer_id) else {
            continue;
        };
        let Some((policy, steps)) = policies.of(customer) else {
            continue;
        };
        let Some(step) = steps.iter().find(|step| step.offset_days == day) else {
            continue;
        };
        let mut invoices = above_minimum(invoices, step);
        // Sorted here, not in SQL: ordering there would steer the planner off the customer index.
        invoices.sort_by_key(|invoice| (invoice.due_date, invoice.id));
        if invoices.is_empty() {
            continue;
        }
        planned.push(Planned {
            customer: customer.clone(),
            policy_id: policy.id,
            max_installments: policy.max_installments,
            step: step.clone(),
            invoices,
            skipped,
            installment: None,
        });
    }
    planned.sort_by_key(|message| (message.customer.name.clone(), message.step.offset_days));
    Ok((planned, last))
}

/// (customer, day) → the message's invoices and the (invoice, day) steps passed over.
type Groups = HashMap<(Uuid, i32), (Vec<invoice::Model>, Vec<(Uuid, i32)>)>;

/// The invoices whose currency's balance at the step reaches its minimum.
fn above_minimum(invoices: Vec<invoice::Model>, step: &Step) -> Vec<invoice::Model> {
    let Some(minimum) = step.min_overdue_amount else {
        return invoices;
    };
    let mut totals: HashMap<String, i64> = HashMap::new();
    for invoice in &invoices {
        *totals.entry(invoice.currency.clone()).or_default() +=
            invoice.total_minor - invoice.paid_minor;
    }
    invoices
        .into_iter()
        .filter(|invoice| {
            let floor = rules::stored_currency(&invoice.currency)
                .ok()
                .and_then(|currency| Money::from_decimal(minimum, currency).ok())
                .map_or(i64::MAX, |money| money.minor);
            totals.get(&invoice.currency).copied().unwrap_or(0) >= floor
        })
        .collect()
}

/// The invoices of these customers that an open promise covers today (its date plus grace not
/// passed).
async fn promised_invoices(
    conn: &impl ConnectionTrait,
    org: OrganizationId,
    customer_ids: &[Uuid],
    grace_days: u32,
    today: NaiveDate,
) -> AppResult<HashSet<Uuid>> {
    let earliest_date = today - Duration::days(i64::from(grace_days));
    let open: Vec<Uuid> = promise::Entity::in_org(org)
        .select_only()
        .column(promise::Column::Id)
        .filter(promise::Column::CustomerId.is_in(customer_ids.iter().copied()))
        .filter(promise::Column::Status.eq(PromiseStatus::Open))
        .filter(promise::Column::PromisedDate.gte(earliest_date))
        .into_tuple()
        .all(conn)
        .await?;
    if open.is_empty() {
        return Ok(HashSet::new());
    }
    Ok(promise_invoice::Entity::in_org(org)
        .filter(promise_invoice::Column::PromiseId.is_in(open))
        .all(conn)
        .await?
        .into_iter()
        .map(|join| join.invoice_id)
        .collect())
}

/// Everything the policies call for on `day`, page by page through `each`.
async fn for_each_planned<F, Fut>(
    conn: &impl ConnectionTrait,
    org: OrganizationId,
    settings: &DunningSettings,
    day: NaiveDate,
    mut each: F,
) -> AppResult<()>
where
    F: FnMut(Planned) -> Fut,
    Fut: std::future::Future<Output = AppResult<()>>,
{
    let policies = Policies::load(conn, org).await?;
    let mut after = None;
    loop {
        let (planned, last) = plan_page(
            conn,
            org,
            &policies,
            settings.promise_grace_days,
            day,
            after,
        )
        .await?;
        for message in planned {
            each(message).await?;
        }
        match last {
            Some(last) => after = Some(last),
            None => return Ok(()),
        }
    }
}

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PassReport {
    /// Messages queued (and dunning tasks made).
    pub sent: usize,
    /// Messages another instance (or an earlier run) had sent already.
    pub already_sent: usize,
}

/// One scheduler pass over every organization; callable on demand (tests, `dunning run`).
#[tracing::instrument(skip_all)]
pub async fn run_pass(app: &AppState) -> AppResult<PassReport> {
    let mut report = PassReport::default();
    let organizations = organization::Entity::find().all(app.db.reader()).await?;
    for organization in organizations {
        let settings = super::from_stored(&organization.settings);
        let now = app.clock.now();
        if !settings.enabled || !settings.in_window(now) {
            continue;
        }
        let org = OrganizationId(organization.id);
        let today = settings.local_date(now);
        // On PostgreSQL one instance at a time works on an organization: the others skip it
        // (the unique key would refuse their copies anyway; this saves them the work).
        let Some(claim) = claim(app, org).await? else {
            continue;
        };
        // A page of customers at a time: planned, then sent, so memory stays flat.
        let policies = Policies::load(app.db.reader(), org).await?;
        let sender = super::sending::Sender::load(app, org, &organization.name, today).await?;
        let grace = settings.promise_grace_days;
        let mut after = None;
        loop {
            let (planned, last) =
                plan_page(app.db.reader(), org, &policies, grace, today, after).await?;
            let (sent, already) = sender.send(app, planned).await?;
            report.sent += sent;
            report.already_sent += already;
            match last {
                Some(last) => after = Some(last),
                None => break,
            }
        }
        let installments =
            super::installments::plan(app.db.reader(), org, &policies, today).await?;
        let (sent, already) = sender.send(app, installments).await?;
        report.sent += sent;
        report.already_sent += already;
        if let Some(claim) = claim {
            claim.commit().await?;
        }
    }
    Ok(report)
}

/// On PostgreSQL, a transaction holding the organization's dunning lock (released when it
/// ends), or None when another instance holds it; on SQLite (one writer) nothing to hold.
async fn claim(
    app: &AppState,
    org: OrganizationId,
) -> AppResult<Option<Option<sea_orm::DatabaseTransaction>>> {
    if app.db.kind() != crate::config::DatabaseKind::Postgres {
        return Ok(Some(None));
    }
    let txn = app.db.begin().await?;
    let (high, low) = org.0.as_u64_pair();
    let key = (high ^ low) as i64;
    let statement = sea_orm::Statement::from_sql_and_values(
        sea_orm::DatabaseBackend::Postgres,
        "SELECT pg_try_advisory_xact_lock($1) AS taken",
        [key.into()],
    );
    let taken = txn
        .query_one_raw(statement)
        .await?
        .and_then(|row| row.try_get::<bool>("", "taken").ok())
        .unwrap_or(false);
    Ok(taken.then_some(Some(txn)))
}

/// The customer's reachable addresses: primary contact first, then the customer's own.
pub(super) struct Reach {
    pub(super) contact_name: String,
    pub(super) email: Option<String>,
    pub(super) mobile: Option<String>,
}

impl Reach {
    /// From the primary contact (if any) and the customer; only Turkish mobiles take SMS.
    pub(super) fn of(primary: Option<&contact::Model>, customer: &customer::Model) -> Self {
        let is_mobile = |phone: &String| phone.starts_with("+905") && phone.len() == 13;
        Reach {
            contact_name: primary.map_or_else(|| customer.name.clone(), |c| c.name.clone()),
            email: primary
                .and_then(|contact| contact.email.clone())
                .or_else(|| customer.email.clone()),
            mobile: primary
                .and_then(|contact| contact.phone.clone())
                .filter(is_mobile)
                .or_else(|| customer.phone.clone().filter(is_mobile)),
        }
    }
}

async fn reach(
    conn: &impl ConnectionTrait,
    org: OrganizationId,
    customer: &customer::Model,
) -> AppResult<Reach> {
    let primary = contact::Entity::in_org(org)
        .filter(contact::Column::CustomerId.eq(customer.id))
        .filter(contact::Column::IsPrimary.eq(true))
        .one(conn)
        .await?;
    Ok(Reach::of(primary.as_ref(), customer))
}

/// A message's invoice lines: number, due date, days from it, what is left to pay.
pub(super) fn lines(
    invoices: &[invoice::Model],
    today: NaiveDate,
) -> AppResult<Vec<templates::Line>> {
    invoices
        .iter()
        .map(|invoice| {
            Ok(templates::Line {
                number: invoice.number.clone(),
                due_date: invoice.due_date,
                days_overdue: (today - invoice.due_date).num_days(),
                balance: Money::from_minor(
                    (invoice.total_minor - invoice.paid_minor).max(0),
                    rules::stored_currency(&invoice.currency)?,
                ),
            })
        })
        .collect()
}

/// The customer's language, for template and formatting.
pub(super) fn language(customer: &customer::Model) -> (&'static str, Lang) {
    match customer.language.as_deref() {
        Some("en") => ("en", Lang::En),
        _ => ("tr", Lang::Tr),
    }
}

/// The values a template is filled with.
#[allow(
    clippy::too_many_arguments,
    reason = "each is a separate fact of the message; a struct would only rename them"
)]
pub async fn values(
    conn: &impl ConnectionTrait,
    org: OrganizationId,
    company: &str,
    customer: &customer::Model,
    contact_name: &str,
    invoices: &[invoice::Model],
    pay_link: String,
    today: NaiveDate,
) -> AppResult<templates::MessageValues> {
    let collector = match customer.assigned_collector_id {
        Some(id) => user::Entity::find_in_org(id, org).one(conn).await?,
        None => None,
    };
    let lines = lines(invoices, today)?;
    Ok(templates::MessageValues {
        lang: language(customer).1,
        company: company.to_owned(),
        customer: customer.name.clone(),
        contact_name: contact_name.to_owned(),
        lines,
        pay_link,
        collector_phone: collector
            .as_ref()
            .and_then(|user| user.phone.clone())
            .unwrap_or_default(),
        collector_name: collector.map(|user| user.name).unwrap_or_default(),
    })
}

/// An ACTIVE, unexpired link over exactly these invoices.
async fn active_link_for(
    conn: &impl ConnectionTrait,
    org: OrganizationId,
    customer_id: Uuid,
    invoice_ids: &[Uuid],
    now: DateTime<Utc>,
) -> AppResult<Option<payment_link::Model>> {
    let wanted: HashSet<Uuid> = invoice_ids.iter().copied().collect();
    let links = payment_link::Entity::in_org(org)
        .filter(payment_link::Column::CustomerId.eq(customer_id))
        .filter(payment_link::Column::Status.eq(PaymentLinkStatus::Active))
        .filter(payment_link::Column::ExpiresAt.gt(now))
        .order_by_desc(payment_link::Column::CreatedAt)
        .all(conn)
        .await?;
    for link in links {
        let covered: HashSet<Uuid> =
            crate::services::link_pricing::invoice_ids_of_link(conn, org, link.id)
                .await?
                .into_iter()
                .collect();
        if covered == wanted {
            return Ok(Some(link));
        }
    }
    Ok(None)
}

/// The pay link for a reminder: the customer's active one for exactly these invoices, else a new
/// one. None when no provider can make one (the reminder goes without; logged).
async fn pay_link(
    app: &AppState,
    org: OrganizationId,
    actor: Actor<'_>,
    customer_id: Uuid,
    invoice_ids: &[Uuid],
    max_installments: i32,
) -> AppResult<Option<String>> {
    let now = app.clock.now();
    let link = match active_link_for(app.db.reader(), org, customer_id, invoice_ids, now).await? {
        Some(link) => Some(link),
        None => {
            let input = NewPaymentLink {
                invoice_ids: invoice_ids.to_vec(),
                max_installments: Some(max_installments),
                ..NewPaymentLink::default()
            };
            match payment_links::create_as(app, org, actor, input).await {
                Ok(link) => Some(link),
                Err(error) => {
                    tracing::warn!(error = ?error, "no pay link for a reminder; it goes without one");
                    None
                }
            }
        }
    };
    Ok(link.map(|link| format!("{}/pay/{}", app.config.public_url, link.token)))
}

pub(super) fn channel_name(channel: StepChannel) -> &'static str {
    match channel {
        StepChannel::Email => "EMAIL",
        StepChannel::Sms => "SMS",
        StepChannel::Task => "TASK",
    }
}

/// The total per currency, as `{"currency": "TRY", "amount": "1250.50"}`.
pub(super) fn amounts(values: &templates::MessageValues) -> Vec<serde_json::Value> {
    values
        .totals()
        .into_iter()
        .map(|total| json!({"currency": total.currency.code(), "amount": total.to_decimal().to_string()}))
        .collect()
}

/// A message as `dunningPreview` shows it.
#[derive(Debug, Clone)]
pub struct Preview {
    pub customer: customer::Model,
    pub step: Step,
    pub invoices: Vec<invoice::Model>,
    pub subject: Option<String>,
    pub body: String,
}

/// MANAGER and up: what the policies would send on `day`, rendered, whatever the switch and the
/// window say; nothing is written. A pay link shows as the customer's existing one, or a
/// placeholder where one would be made.
pub async fn preview(app: &AppState, viewer: &Viewer, day: NaiveDate) -> AppResult<Vec<Preview>> {
    viewer.require(Role::Manager)?;
    let org = viewer.organization_id;
    let conn = app.db.reader();
    let settings = super::settings(conn, org).await?;
    let company = company_name(conn, org).await?;
    let mut planned = Vec::new();
    for_each_planned(conn, org, &settings, day, |message| {
        planned.push(message);
        std::future::ready(Ok(()))
    })
    .await?;
    let mut previews = Vec::new();
    for message in planned {
        let ids: Vec<Uuid> = message.invoices.iter().map(|invoice| invoice.id).collect();
        let (subject, body) = match message.step.template_id {
            Some(template_id) if message.step.channel != StepChannel::Task => {
                let link = preview_link(app, org, message.customer.id, &ids).await?;
                let rendered = render_for(
                    conn,
                    org,
                    &company,
                    &message.customer,
                    template_id,
                    &message.invoices,
                    link,
                    day,
                )
                .await?;
                (rendered.subject, rendered.text)
            }
            _ => (
                None,
                format!(
                    "A call task for the customer's collector (day {}).",
                    message.step.offset_days
                ),
            ),
        };
        previews.push(Preview {
            customer: message.customer,
            step: message.step,
            invoices: message.invoices,
            subject,
            body,
        });
    }
    Ok(previews)
}

async fn company_name(conn: &impl ConnectionTrait, org: OrganizationId) -> AppResult<String> {
    Ok(organization::Entity::find_by_id(org.0)
        .one(conn)
        .await?
        .map(|organization| organization.name)
        .unwrap_or_default())
}

async fn preview_link(
    app: &AppState,
    org: OrganizationId,
    customer_id: Uuid,
    ids: &[Uuid],
) -> AppResult<String> {
    let existing = active_link_for(app.db.reader(), org, customer_id, ids, app.clock.now()).await?;
    Ok(match existing {
        Some(link) => format!("{}/pay/{}", app.config.public_url, link.token),
        None => format!("{}/pay/…", app.config.public_url),
    })
}

/// A template (in the customer's language when there is one) filled for these invoices.
#[allow(
    clippy::too_many_arguments,
    reason = "each is a separate fact of the message; a struct would only rename them"
)]
async fn render_for(
    conn: &impl ConnectionTrait,
    org: OrganizationId,
    company: &str,
    customer: &customer::Model,
    template_id: Uuid,
    invoices: &[invoice::Model],
    link: String,
    today: NaiveDate,
) -> AppResult<templates::Rendered> {
    let template = templates::find(conn, org, template_id)
        .await?
        .ok_or_else(|| AppError::Internal(format!("template {template_id} is missing")))?;
    let template = templates::in_language(conn, org, template, language(customer).0).await?;
    let reach = reach(conn, org, customer).await?;
    let values = values(
        conn,
        org,
        company,
        customer,
        &reach.contact_name,
        invoices,
        link,
        today,
    )
    .await?;
    templates::render(&template, &values)
}

/// What `previewReminder` answers.
#[derive(Debug, Clone)]
pub struct ReminderPreview {
    pub channel: TemplateChannel,
    pub rendered: templates::Rendered,
}

/// The customer's open, undisputed invoices, oldest due first.
async fn open_invoices(
    conn: &impl ConnectionTrait,
    org: OrganizationId,
    customer_id: Uuid,
) -> AppResult<Vec<invoice::Model>> {
    Ok(invoice::Entity::in_org(org)
        .filter(invoice::Column::CustomerId.eq(customer_id))
        .filter(invoice::Column::Status.is_in([InvoiceStatus::Open, InvoiceStatus::PartiallyPaid]))
        .filter(invoice::Column::Disputed.eq(false))
        .order_by_asc(invoice::Column::DueDate)
        .all(conn)
        .await?)
}

/// Anyone signed in: the template filled for the customer now, over their open invoices.
pub async fn preview_reminder(
    app: &AppState,
    viewer: &Viewer,
    customer_id: Uuid,
    template_id: Uuid,
) -> AppResult<ReminderPreview> {
    let org = viewer.organization_id;
    let conn = app.db.reader();
    let mut checks = Validation::new();
    let customer = scope::customer_for_input(conn, org, customer_id, &mut checks).await?;
    let template = templates::find(conn, org, template_id).await?;
    checks.check(
        template.is_none(),
        &["templateId"],
        "NOT_FOUND",
        "no such template",
    );
    let customer = checks.require(customer)?;
    let template = checks.require(template)?;
    checks.finish()?;
    let invoices = open_invoices(conn, org, customer.id).await?;
    let ids: Vec<Uuid> = invoices.iter().map(|invoice| invoice.id).collect();
    let link = preview_link(app, org, customer.id, &ids).await?;
    let company = company_name(conn, org).await?;
    let today = super::settings(conn, org)
        .await?
        .local_date(app.clock.now());
    let rendered = render_for(
        conn,
        org,
        &company,
        &customer,
        template.id,
        &invoices,
        link,
        today,
    )
    .await?;
    Ok(ReminderPreview {
        channel: template.channel,
        rendered,
    })
}

/// COLLECTOR and up: sends a template now about some of the customer's open invoices, by the
/// template's channel, with a pay link when the template shows one.
#[tracing::instrument(skip_all)]
pub async fn send_now(
    app: &AppState,
    viewer: &Viewer,
    customer_id: Uuid,
    template_id: Uuid,
    invoice_ids: Vec<Uuid>,
) -> AppResult<Vec<Uuid>> {
    viewer.require(Role::Collector)?;
    let org = viewer.organization_id;
    let conn = app.db.reader();
    let mut checks = Validation::new();
    let customer = scope::customer_for_input(conn, org, customer_id, &mut checks).await?;
    let template = templates::find(conn, org, template_id).await?;
    checks.check(
        template.is_none(),
        &["templateId"],
        "NOT_FOUND",
        "no such template",
    );
    checks.check(
        invoice_ids.is_empty(),
        &["invoiceIds"],
        "REQUIRED",
        "a reminder is about at least one invoice",
    );
    let found =
        scope::customer_invoices_for_input(conn, org, customer_id, &invoice_ids, None, &mut checks)
            .await?;
    for (index, id) in invoice_ids.iter().enumerate() {
        if let Some(invoice) = found.get(id)
            && matches!(invoice.status, InvoiceStatus::Paid | InvoiceStatus::Void)
        {
            let position = index.to_string();
            checks.add(FieldError::new(
                &["invoiceIds", position.as_str()],
                "NOT_OPEN",
                format!("invoice {} is paid or void", invoice.number),
            ));
        }
    }
    let customer = checks.require(customer)?;
    let template = checks.require(template)?;
    let reach = reach(conn, org, &customer).await?;
    let to = match template.channel {
        TemplateChannel::Email => reach.email.clone(),
        TemplateChannel::Sms => reach.mobile.clone(),
    };
    checks.check(
        to.is_none(),
        &["customerId"],
        match template.channel {
            TemplateChannel::Email => "NO_EMAIL",
            TemplateChannel::Sms => "NO_MOBILE",
        },
        "the customer has no address for this channel",
    );
    let to = checks.require(to)?;
    checks.finish()?;
    let mut invoices: Vec<invoice::Model> = invoice_ids
        .iter()
        .filter_map(|id| found.get(id).cloned())
        .collect();
    invoices.sort_by_key(|invoice| (invoice.due_date, invoice.id));
    invoices.dedup_by_key(|invoice| invoice.id);
    let ids: Vec<Uuid> = invoices.iter().map(|invoice| invoice.id).collect();
    let template = templates::in_language(conn, org, template, language(&customer).0).await?;
    let wants_link = template.body.contains("pay_link");
    let link = if wants_link {
        pay_link(app, org, Actor::User(viewer), customer.id, &ids, 1).await?
    } else {
        None
    };
    let company = company_name(conn, org).await?;
    let today = super::settings(conn, org)
        .await?
        .local_date(app.clock.now());
    let values = values(
        conn,
        org,
        &company,
        &customer,
        &reach.contact_name,
        &invoices,
        link.clone().unwrap_or_default(),
        today,
    )
    .await?;
    let rendered = templates::render(&template, &values)?;
    let numbers: Vec<String> = invoices
        .iter()
        .map(|invoice| invoice.number.clone())
        .collect();
    let channel = match template.channel {
        TemplateChannel::Email => StepChannel::Email,
        TemplateChannel::Sms => StepChannel::Sms,
    };
    let context = ReminderContext {
        customer_id: customer.id,
        offset_days: None,
        channel: channel_name(channel).to_owned(),
        invoice_ids: ids.clone(),
        invoices: numbers.clone(),
    };
    let now = app.clock.now();
    let txn = app.db.begin().await?;
    let row = super::sending::message_row(org, template.channel, &to, rendered, &context, now)?;
    sea_orm::ActiveModelTrait::insert(row, &txn).await?;
    let entry = Entry {
        customer_id: customer.id,
        invoice_id: (ids.len() == 1).then(|| ids[0]),
        kind: ActivityKind::ReminderSent,
        note: None,
        data: json!({
            "step": null,
            "channel": channel_name(channel),
            "template": template.name,
            "to": to,
            "invoices": numbers,
            "amounts": amounts(&values),
            "payLink": link,
        }),
    };
    activities::append(&txn, org, Actor::User(viewer), entry, now).await?;
    txn.commit().await?;
    Ok(ids)
}
