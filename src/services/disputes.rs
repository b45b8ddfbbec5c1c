//! Disputes: a customer's objection to an invoice. Opening one marks the invoice disputed;
//! resolving the last open one clears the mark. Both are logged on the customer's history.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, PaginatorTrait, QueryFilter,
    Select,
};
use serde_json::json;
use uuid::Uuid;

use super::activities::{self, Actor, Entry};
use super::listing::{FilterIf, Keyset, time_key};
use super::rules;
use super::scope::{OrgScoped, invoice_for_update};
use crate::auth::Viewer;
use crate::domain::activity::ActivityKind;
use crate::domain::dispute::{DisputeOutcome, DisputeReason, DisputeStatus};
use crate::domain::ids::OrganizationId;
use crate::domain::invoice::InvoiceStatus;
use crate::domain::role::Role;
use crate::entities::{dispute, invoice};
use crate::error::{AppResult, FieldError, Validation};
use crate::state::AppState;

/// The longest note on a dispute or its resolution.
pub const MAX_NOTE: usize = 2_000;

/// COLLECTOR and up: opens a dispute on an invoice that is not VOID and has none open.
#[tracing::instrument(skip_all)]
pub async fn open(
    app: &AppState,
    viewer: &Viewer,
    invoice_id: Uuid,
    reason: DisputeReason,
    note: Option<&str>,
) -> AppResult<dispute::Model> {
    viewer.require(Role::Collector)?;
    let org = viewer.organization_id;
    let mut checks = Validation::new();
    let note = checks.value(rules::optional_note(note, MAX_NOTE, &["note"]));
    let txn = app.db.begin().await?;
    let invoice = invoice_for_update(&txn, org, invoice_id)
        .await
        .map_err(|_| {
            FieldError::new(&["invoiceId"], "NOT_FOUND", "no such invoice").into_error()
        })?;
    let now = app.clock.now();
    let opened = open_in(
        &txn,
        Actor::User(viewer),
        &invoice,
        reason,
        note,
        checks,
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(opened)
}

/// Opens a dispute on a locked invoice inside the caller's transaction (a person's, or the
/// customer's from the pay page); `checks` may already hold the input's errors.
pub async fn open_in(
    txn: &impl ConnectionTrait,
    actor: Actor<'_>,
    invoice: &invoice::Model,
    reason: DisputeReason,
    note: Option<String>,
    mut checks: Validation,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<dispute::Model> {
    let org = OrganizationId(invoice.organization_id);
    let void = invoice.status == InvoiceStatus::Void;
    checks.check(
        void,
        &["invoiceId"],
        "INVOICE_VOID",
        "a void invoice cannot be disputed",
    );
    let already = open_count(txn, org, invoice.id).await? > 0;
    let text = "the invoice has an open dispute; resolve it first";
    checks.check(already, &["invoiceId"], "ALREADY_DISPUTED", text);
    checks.finish()?;

    let (opened_by, label) = match &actor {
        Actor::User(viewer) => (Some(viewer.user_id.0), viewer.email.clone()),
        Actor::System(label) => (None, (*label).to_owned()),
    };
    let opened = dispute::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(org.0),
        invoice_id: Set(invoice.id),
        customer_id: Set(invoice.customer_id),
        reason: Set(reason),
        note: Set(note.clone()),
        status: Set(DisputeStatus::Open),
        outcome: Set(None),
        resolution_note: Set(None),
        opened_by: Set(opened_by),
        opened_by_label: Set(label),
        opened_at: Set(now),
        resolved_by: Set(None),
        resolved_at: Set(None),
    }
    .insert(txn)
    .await?;
    set_disputed(txn, invoice, true, now).await?;
    let data = json!({"disputeId": opened.id, "number": invoice.number, "reason": sea_orm::ActiveEnum::to_value(&reason)});
    let entry = Entry::for_invoice(invoice, ActivityKind::DisputeOpened, note, data);
    activities::append(txn, org, actor, entry, now).await?;
    Ok(opened)
}

/// MANAGER and up: resolves an open dispute; the invoice stays disputed while another is open.
#[tracing::instrument(skip_all)]
pub async fn resolve(
    app: &AppState,
    viewer: &Viewer,
    id: Uuid,
    outcome: DisputeOutcome,
    note: Option<&str>,
) -> AppResult<dispute::Model> {
    viewer.require(Role::Manager)?;
    let org = viewer.organization_id;
    let mut checks = Validation::new();
    let note = checks.value(rules::optional_note(note, MAX_NOTE, &["note"]));
    let txn = app.db.begin().await?;
    let found = dispute::Entity::find_in_org(id, org)
        .one(&txn)
        .await?
        .ok_or_else(|| FieldError::new(&["id"], "NOT_FOUND", "no such dispute").into_error())?;
    // The invoice first, as every change to it does, so two resolutions cannot race.
    let invoice = invoice_for_update(&txn, org, found.invoice_id).await?;
    let resolved = found.status == DisputeStatus::Resolved;
    checks.check(
        resolved,
        &["id"],
        "ALREADY_RESOLVED",
        "the dispute is resolved already",
    );
    checks.finish()?;

    let now = app.clock.now();
    let mut row: dispute::ActiveModel = found.into();
    row.status = Set(DisputeStatus::Resolved);
    row.outcome = Set(Some(outcome));
    row.resolution_note = Set(note.clone());
    row.resolved_by = Set(Some(viewer.user_id.0));
    row.resolved_at = Set(Some(now));
    let done = row.update(&txn).await?;
    if open_count(&txn, org, invoice.id).await? == 0 {
        set_disputed(&txn, &invoice, false, now).await?;
    }
    let data = json!({"disputeId": done.id, "number": invoice.number, "outcome": sea_orm::ActiveEnum::to_value(&outcome)});
    let entry = Entry::for_invoice(&invoice, ActivityKind::DisputeResolved, note, data);
    activities::append(&txn, org, Actor::User(viewer), entry, now).await?;
    txn.commit().await?;
    Ok(done)
}

async fn open_count(
    conn: &impl ConnectionTrait,
    org: OrganizationId,
    invoice_id: Uuid,
) -> AppResult<u64> {
    Ok(dispute::Entity::in_org(org)
        .filter(dispute::Column::InvoiceId.eq(invoice_id))
        .filter(dispute::Column::Status.eq(DisputeStatus::Open))
        .count(conn)
        .await?)
}

async fn set_disputed(
    conn: &impl ConnectionTrait,
    invoice: &invoice::Model,
    disputed: bool,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<()> {
    let mut row: invoice::ActiveModel = invoice.clone().into();
    row.disputed = Set(disputed);
    row.updated_at = Set(now);
    row.update(conn).await?;
    Ok(())
}

/// Which disputes to list.
#[derive(Debug, Clone, Default)]
pub struct DisputeFilter {
    pub invoice_id: Option<Uuid>,
    pub customer_id: Option<Uuid>,
    pub status: Option<DisputeStatus>,
}

/// The organization's disputes matching the filter (for the page and its total count).
pub fn filtered(organization: OrganizationId, filter: &DisputeFilter) -> Select<dispute::Entity> {
    dispute::Entity::in_org(organization)
        .eq_if(dispute::Column::InvoiceId, filter.invoice_id)
        .eq_if(dispute::Column::CustomerId, filter.customer_id)
        .eq_if(dispute::Column::Status, filter.status)
}

/// Disputes, newest opened first.
pub const ORDER: Keyset<dispute::Entity> = Keyset::newest_first(
    dispute::Column::OpenedAt,
    dispute::Column::Id,
    |model: &dispute::Model| time_key(&model.opened_at),
);
