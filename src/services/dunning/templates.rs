//! Message templates: saved only when they parse, with the SMS length shown before saving; and
//! the values a reminder fills them with.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use super::template_error;
use crate::auth::Viewer;
use crate::domain::dunning::TemplateChannel;
use crate::domain::ids::OrganizationId;
use crate::domain::money::Money;
use crate::domain::role::Role;
use crate::domain::template::{self, Values};
use crate::entities::message_template as row;
use crate::error::{AppResult, FieldError, Validation, is_unique_violation};
use crate::render::{Lang, format_money};
use crate::services::rules;
use crate::services::scope::OrgScoped;
use crate::state::AppState;

pub const MAX_NAME: usize = 200;
pub const MAX_SUBJECT: usize = 300;
pub const MAX_BODY: usize = 10_000;

/// What `createMessageTemplate` and `updateMessageTemplate` ask for.
#[derive(Debug, Clone)]
pub struct TemplateInput {
    pub name: String,
    pub channel: TemplateChannel,
    pub language: String,
    pub subject: Option<String>,
    pub body: String,
}

/// The organization's templates by name, channel and language.
pub async fn list(conn: &impl ConnectionTrait, org: OrganizationId) -> AppResult<Vec<row::Model>> {
    Ok(row::Entity::in_org(org)
        .order_by_asc(row::Column::Name)
        .order_by_asc(row::Column::Channel)
        .order_by_asc(row::Column::Language)
        .all(conn)
        .await?)
}

pub async fn find(
    conn: &impl ConnectionTrait,
    org: OrganizationId,
    id: Uuid,
) -> AppResult<Option<row::Model>> {
    Ok(row::Entity::find_in_org(id, org).one(conn).await?)
}

/// The same text in the customer's language when the organization has it, else `chosen`.
pub async fn in_language(
    conn: &impl ConnectionTrait,
    org: OrganizationId,
    chosen: row::Model,
    language: &str,
) -> AppResult<row::Model> {
    if chosen.language == language {
        return Ok(chosen);
    }
    let sibling = row::Entity::in_org(org)
        .filter(row::Column::Name.eq(chosen.name.clone()))
        .filter(row::Column::Channel.eq(chosen.channel))
        .filter(row::Column::Language.eq(language))
        .one(conn)
        .await?;
    Ok(sibling.unwrap_or(chosen))
}

/// Checks a template's fields; the checked values, or errors in `checks`.
fn checked(input: &TemplateInput, checks: &mut Validation) -> TemplateInput {
    let name = checks.value(rules::required_text(&input.name, MAX_NAME, &["name"]));
    let language = checks
        .value(rules::optional_language(
            Some(&input.language),
            &["language"],
        ))
        .unwrap_or_default();
    let subject = checks.value(rules::optional_text(
        input.subject.as_deref(),
        MAX_SUBJECT,
        &["subject"],
    ));
    let body = checks.value(rules::required_note(&input.body, MAX_BODY, &["body"]));
    checks.check(
        input.channel == TemplateChannel::Email && subject.is_none(),
        &["subject"],
        "REQUIRED",
        "a mail template needs a subject",
    );
    if let Some(subject) = &subject
        && let Err(error) = template::parse(subject)
    {
        checks.add(template_error("subject", error));
    }
    if let Err(error) = template::parse(&body) {
        checks.add(template_error("body", error));
    }
    TemplateInput {
        name,
        channel: input.channel,
        language,
        subject: if input.channel == TemplateChannel::Sms {
            None
        } else {
            subject
        },
        body,
    }
}

/// MANAGER and up: a new template (everyone may read them).
#[tracing::instrument(skip_all)]
pub async fn create(
    app: &AppState,
    viewer: &Viewer,
    input: TemplateInput,
) -> AppResult<row::Model> {
    viewer.require(Role::Manager)?;
    let mut checks = Validation::new();
    let input = checked(&input, &mut checks);
    checks.finish()?;
    let now = app.clock.now();
    let made = insert(app.db.writer(), viewer.organization_id, &input, now).await;
    made.map_err(duplicate_name)
}

/// Writes a checked template.
pub(crate) async fn insert(
    conn: &impl ConnectionTrait,
    org: OrganizationId,
    input: &TemplateInput,
    now: DateTime<Utc>,
) -> AppResult<row::Model> {
    Ok(row::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(org.0),
        name: Set(input.name.clone()),
        channel: Set(input.channel),
        language: Set(input.language.clone()),
        subject: Set(input.subject.clone()),
        body: Set(input.body.clone()),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(conn)
    .await?)
}

/// MANAGER and up: replaces a template's fields.
#[tracing::instrument(skip_all)]
pub async fn update(
    app: &AppState,
    viewer: &Viewer,
    id: Uuid,
    input: TemplateInput,
) -> AppResult<row::Model> {
    viewer.require(Role::Manager)?;
    let org = viewer.organization_id;
    let mut checks = Validation::new();
    let input = checked(&input, &mut checks);
    let txn = app.db.begin().await?;
    let found = find(&txn, org, id).await?;
    checks.check(found.is_none(), &["id"], "NOT_FOUND", "no such template");
    let found = checks.require(found)?;
    checks.finish()?;
    let mut changed: row::ActiveModel = found.into();
    changed.name = Set(input.name);
    changed.channel = Set(input.channel);
    changed.language = Set(input.language);
    changed.subject = Set(input.subject);
    changed.body = Set(input.body);
    changed.updated_at = Set(app.clock.now());
    let saved = changed
        .update(&txn)
        .await
        .map_err(|error| duplicate_name(error.into()))?;
    txn.commit().await?;
    Ok(saved)
}

fn duplicate_name(error: crate::error::AppError) -> crate::error::AppError {
    match &error {
        crate::error::AppError::Database(db) if is_unique_violation(db) => FieldError::new(
            &["name"],
            "DUPLICATE",
            "a template of this name, channel and language exists",
        )
        .into_error(),
        _ => error,
    }
}

/// One invoice line of a reminder.
#[derive(Debug, Clone)]
pub struct Line {
    pub number: String,
    pub due_date: NaiveDate,
    pub days_overdue: i64,
    pub balance: Money,
}

/// Everything a reminder's template may show.
#[derive(Debug, Clone)]
pub struct MessageValues {
    pub lang: Lang,
    pub company: String,
    pub customer: String,
    pub contact_name: String,
    pub lines: Vec<Line>,
    pub pay_link: String,
    pub collector_name: String,
    pub collector_phone: String,
}

impl MessageValues {
    fn date(&self, date: NaiveDate) -> String {
        match self.lang {
            Lang::Tr => date.format("%d.%m.%Y").to_string(),
            Lang::En => date.format("%Y-%m-%d").to_string(),
        }
    }

    /// The balance per currency, in the order the currencies first appear.
    pub fn totals(&self) -> Vec<Money> {
        let mut totals: Vec<Money> = Vec::new();
        for line in &self.lines {
            match totals
                .iter_mut()
                .find(|total| total.currency == line.balance.currency)
            {
                Some(total) => total.minor = total.minor.saturating_add(line.balance.minor),
                None => totals.push(line.balance),
            }
        }
        totals
    }

    fn days(&self, days: i64) -> String {
        match (self.lang, days) {
            (Lang::Tr, d) if d > 0 => format!("{d} gün gecikmiş"),
            (Lang::Tr, 0) => "bugün".to_owned(),
            (Lang::Tr, d) => format!("{} gün kaldı", -d),
            (Lang::En, d) if d > 0 => format!("{d} days overdue"),
            (Lang::En, 0) => "due today".to_owned(),
            (Lang::En, d) => format!("due in {} days", -d),
        }
    }
}

impl Values for MessageValues {
    fn text(&self, name: &str) -> String {
        match name {
            "company" => self.company.clone(),
            "customer" => self.customer.clone(),
            "contact_name" => self.contact_name.clone(),
            "invoice_table" => self
                .lines
                .iter()
                .map(|line| {
                    format!(
                        "- {} · {} · {} · {}",
                        line.number,
                        self.date(line.due_date),
                        self.days(line.days_overdue),
                        format_money(line.balance, self.lang)
                    )
                })
                .collect::<Vec<_>>()
                .join("\n"),
            "total_overdue" => self
                .totals()
                .into_iter()
                .map(|total| format_money(total, self.lang))
                .collect::<Vec<_>>()
                .join(" + "),
            "pay_link" => self.pay_link.clone(),
            "collector_name" => self.collector_name.clone(),
            "collector_phone" => self.collector_phone.clone(),
            _ => String::new(),
        }
    }

    fn invoice_table_html(&self) -> String {
        let (number, due, days, balance) = match self.lang {
            Lang::Tr => ("Fatura", "Vade", "Durum", "Bakiye"),
            Lang::En => ("Invoice", "Due", "Status", "Balance"),
        };
        let rows: String = self
            .lines
            .iter()
            .map(|line| {
                format!(
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td style=\"text-align:right\">{}</td></tr>",
                    crate::render::escape(&line.number),
                    self.date(line.due_date),
                    self.days(line.days_overdue),
                    format_money(line.balance, self.lang)
                )
            })
            .collect();
        format!(
            "<table style=\"border-collapse:collapse\" cellpadding=\"6\"><tr><th align=\"left\">{number}</th><th align=\"left\">{due}</th><th align=\"left\">{days}</th><th align=\"right\">{balance}</th></tr>{rows}</table>"
        )
    }
}

/// A template filled in: subject (mail), plain text and HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: Option<String>,
    pub text: String,
    pub html: String,
}

/// Fills a saved template. Saved templates parse (they were checked when saved); one that no
/// longer does is an internal error, logged.
pub fn render(template: &row::Model, values: &MessageValues) -> AppResult<Rendered> {
    let broken = |error: template::TemplateError| {
        crate::error::AppError::Internal(format!(
            "template {} does not parse: {error}",
            template.id
        ))
    };
    let body = template::parse(&template.body).map_err(broken)?;
    let subject = match &template.subject {
        Some(subject) => Some(template::render_text(
            &template::parse(subject).map_err(broken)?,
            values,
        )),
        None => None,
    };
    Ok(Rendered {
        subject,
        text: template::render_text(&body, values),
        html: template::render_html(&body, values),
    })
}
