//! What a customer answers from the pay page instead of paying: "I will pay on …" (a promise,
//! at most 30 days ahead) or "this invoice is wrong" (a dispute). No login: the link's token is
//! the authority, and it reaches only the link's own invoices. Each reply is recorded with actor
//! `customer` and puts a task on the assigned collector's worklist.

use chrono::NaiveDate;
use uuid::Uuid;

use super::activities::Actor;
use super::payment_links::{self, PublicLink};
use super::promises::{self, Promised};
use super::scope::invoice_for_update;
use super::tasks::{self, Planned};
use super::{disputes, rules};
use crate::domain::dispute::DisputeReason;
use crate::domain::ids::OrganizationId;
use crate::domain::invoice::InvoiceStatus;
use crate::domain::money::Money;
use crate::domain::payment_link::PaymentLinkStatus;
use crate::domain::promise::PromiseStatus;
use crate::domain::task::{TaskKind, TaskSource};
use crate::entities::{promise, promise_invoice};
use crate::error::{AppError, AppResult, FieldError, Validation};
use crate::render::{Lang, format_money};
use crate::state::AppState;

/// The actor label of what the customer does on the pay page.
pub const CUSTOMER: &str = "customer";
/// How far ahead a customer may promise from the pay page.
pub const MAX_PROMISE_DAYS: i64 = 30;
/// The longest note a customer may leave.
pub const MAX_NOTE: usize = 1_000;

/// Why a reply was not taken, in words for the customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The token names no link, or the link cannot be answered any more (paid, expired…).
    Closed,
    /// The input was wrong; the page says what.
    Invalid(Vec<FieldError>),
    /// An open promise from the customer covers these invoices already.
    AlreadyPromised,
}

/// An ACTIVE link by its token, with its still open invoices.
async fn answerable(app: &AppState, token: &str) -> AppResult<Result<PublicLink, Refusal>> {
    let Some(view) = payment_links::by_token(app, token).await? else {
        return Ok(Err(Refusal::Closed));
    };
    if view.status != PaymentLinkStatus::Active {
        return Ok(Err(Refusal::Closed));
    }
    Ok(Ok(view))
}

fn refusal(error: AppError) -> AppResult<Result<(), Refusal>> {
    match error {
        AppError::Invalid(errors) => Ok(Err(Refusal::Invalid(errors))),
        other => Err(other),
    }
}

/// "I will pay on `date`": a promise for the link's amount over its open invoices.
#[tracing::instrument(skip_all)]
pub async fn promise(
    app: &AppState,
    token: &str,
    date: Option<NaiveDate>,
    note: Option<String>,
) -> AppResult<Result<(), Refusal>> {
    let view = match answerable(app, token).await? {
        Ok(view) => view,
        Err(refused) => return Ok(Err(refused)),
    };
    let org = OrganizationId(view.link.organization_id);
    let today = app.clock.today();
    let mut checks = Validation::new();
    let note = checks.value(rules::optional_note(note.as_deref(), MAX_NOTE, &["note"]));
    let Some(date) = date else {
        let missing = FieldError::new(&["date"], "REQUIRED", "choose a date");
        return Ok(Err(Refusal::Invalid(vec![missing])));
    };
    checks.check(
        date < today || date > today + chrono::Duration::days(MAX_PROMISE_DAYS),
        &["date"],
        "OUT_OF_RANGE",
        "a date from today to 30 days ahead",
    );
    if let Err(error) = checks.finish() {
        return refusal(error);
    }
    let invoice_ids: Vec<Uuid> = view
        .invoices
        .iter()
        .filter(|invoice| !matches!(invoice.status, InvoiceStatus::Paid | InvoiceStatus::Void))
        .map(|invoice| invoice.id)
        .collect();
    if invoice_ids.is_empty() {
        return Ok(Err(Refusal::Closed));
    }
    let amount = Money::from_minor(
        view.link.amount_minor,
        rules::stored_currency(&view.link.currency)?,
    );
    let now = app.clock.now();
    let txn = app.db.begin().await?;
    if already_promised(&txn, org, &invoice_ids).await? {
        return Ok(Err(Refusal::AlreadyPromised));
    }
    let promised = Promised {
        customer_id: view.link.customer_id,
        invoice_ids: &invoice_ids,
        amount,
        promised_date: date,
        note: note.clone(),
        log_made: true,
    };
    promises::record(&txn, org, Actor::System(CUSTOMER), promised, now).await?;
    let said = format!(
        "The customer promised on the pay page to pay {} by {date}.{}",
        format_money(amount, Lang::En),
        note.map(|note| format!(" Note: {note}"))
            .unwrap_or_default()
    );
    reply_task(
        &txn,
        org,
        &view,
        &invoice_ids,
        TaskKind::FollowUp,
        said,
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(Ok(()))
}

/// Whether an open promise already covers any of these invoices.
async fn already_promised(
    conn: &impl sea_orm::ConnectionTrait,
    org: OrganizationId,
    invoice_ids: &[Uuid],
) -> AppResult<bool> {
    use super::scope::OrgScoped;
    use sea_orm::{ColumnTrait, QueryFilter};
    let joins = promise_invoice::Entity::in_org(org)
        .filter(promise_invoice::Column::InvoiceId.is_in(invoice_ids.iter().copied()))
        .all(conn)
        .await?;
    if joins.is_empty() {
        return Ok(false);
    }
    let open = promise::Entity::in_org(org)
        .filter(promise::Column::Id.is_in(joins.iter().map(|join| join.promise_id)))
        .filter(promise::Column::Status.eq(PromiseStatus::Open))
        .one(conn)
        .await?;
    Ok(open.is_some())
}

/// "This invoice is wrong": a dispute on one of the link's invoices.
#[tracing::instrument(skip_all)]
pub async fn dispute(
    app: &AppState,
    token: &str,
    invoice_number: &str,
    reason: Option<DisputeReason>,
    note: Option<String>,
) -> AppResult<Result<(), Refusal>> {
    let view = match answerable(app, token).await? {
        Ok(view) => view,
        Err(refused) => return Ok(Err(refused)),
    };
    let org = OrganizationId(view.link.organization_id);
    let mut checks = Validation::new();
    let note = checks.value(rules::optional_note(note.as_deref(), MAX_NOTE, &["note"]));
    // Only the link's own invoices can be named.
    let chosen = view
        .invoices
        .iter()
        .find(|invoice| invoice.number == invoice_number);
    checks.check(
        chosen.is_none(),
        &["invoice"],
        "NOT_FOUND",
        "choose one of the invoices above",
    );
    checks.check(reason.is_none(), &["reason"], "REQUIRED", "choose a reason");
    let (Some(chosen), Some(reason)) = (chosen, reason) else {
        return refusal(
            checks
                .finish()
                .err()
                .unwrap_or(AppError::Invalid(Vec::new())),
        );
    };
    let now = app.clock.now();
    let txn = app.db.begin().await?;
    let invoice = invoice_for_update(&txn, org, chosen.id).await?;
    let opened = disputes::open_in(
        &txn,
        Actor::System(CUSTOMER),
        &invoice,
        reason,
        note.clone(),
        checks,
        now,
    )
    .await;
    if let Err(error) = opened {
        return refusal(error);
    }
    let said = format!(
        "The customer disputed invoice {} on the pay page ({}).{}",
        invoice.number,
        sea_orm::ActiveEnum::to_value(&reason),
        note.map(|note| format!(" Note: {note}"))
            .unwrap_or_default()
    );
    reply_task(&txn, org, &view, &[invoice.id], TaskKind::Review, said, now).await?;
    txn.commit().await?;
    Ok(Ok(()))
}

/// The collector's task about a reply, due the day it came.
async fn reply_task(
    conn: &impl sea_orm::ConnectionTrait,
    org: OrganizationId,
    view: &PublicLink,
    invoice_ids: &[Uuid],
    kind: TaskKind,
    note: String,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<()> {
    let today = now.date_naive();
    use sea_orm::EntityTrait;
    let collector = crate::entities::customer::Entity::find_by_id(view.link.customer_id)
        .one(conn)
        .await?
        .and_then(|customer| customer.assigned_collector_id);
    let planned = Planned {
        kind,
        source: TaskSource::CustomerReply,
        customer_id: view.link.customer_id,
        invoice_ids,
        due_date: today,
        assignee_id: collector,
        note: Some(note),
    };
    tasks::record(conn, org, Actor::System(CUSTOMER), planned, now).await?;
    Ok(())
}
