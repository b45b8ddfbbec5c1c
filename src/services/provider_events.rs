//! The audit trail of provider callbacks (`providerEvents`), and assigning a verified payment for
//! a link we do not know to a customer by hand (`assignProviderEvent`).
//!
//! A callback that could not be trusted to name its organization (a refused one) or that names
//! no link of ours has no organization. The provider accounts are this instance's own, so such
//! rows are shown to the ADMINs of every organization here until one assigns the payment, which
//! makes it that organization's.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, Select};
use uuid::Uuid;

use super::listing::{FilterIf, Keyset, time_key};
use super::payments::{self, RecordPayment, Recorded};
use super::scope::{OrgScoped, invoices_by_id};
use crate::auth::Viewer;
use crate::domain::ids::OrganizationId;
use crate::domain::invoice::InvoiceStatus;
use crate::domain::money::{Currency, Money};
use crate::domain::payment::PaymentMethod;
use crate::domain::role::Role;
use crate::entities::provider_event::{self, EventOutcome};
use crate::entities::{customer, payment};
use crate::error::{AppError, AppResult, FieldError, Validation, is_unique_violation};
use crate::services::link_pricing;
use crate::state::AppState;

/// Which events to list.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub provider: Option<String>,
    pub outcome: Option<EventOutcome>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// The organization's events and the instance's unattributed ones.
pub fn events(org: OrganizationId, filter: &EventFilter) -> Select<provider_event::Entity> {
    let mut select = provider_event::Entity::find()
        .filter(
            Condition::any()
                .add(provider_event::Column::OrganizationId.eq(org.0))
                .add(provider_event::Column::OrganizationId.is_null()),
        )
        .eq_if(provider_event::Column::Provider, filter.provider.clone())
        .eq_if(provider_event::Column::Outcome, filter.outcome);
    if let Some(from) = filter.from {
        select = select.filter(provider_event::Column::ReceivedAt.gte(from));
    }
    if let Some(to) = filter.to {
        select = select.filter(provider_event::Column::ReceivedAt.lt(to));
    }
    select
}

/// Newest first.
pub const ORDER: Keyset<provider_event::Entity> = Keyset::newest_first(
    provider_event::Column::ReceivedAt,
    provider_event::Column::Id,
    |model: &provider_event::Model| time_key(&model.received_at),
);

/// What assigns an event.
#[derive(Debug, Clone)]
pub struct Assignment {
    pub event_id: Uuid,
    pub customer_id: Uuid,
    /// Paid oldest due first; what they do not take stays unapplied on the payment.
    pub invoice_ids: Vec<Uuid>,
}

/// ADMIN: records the payment a verified callback for an unknown link reported, for a customer
/// and some of their invoices. The payment is the card payment the provider reported (its
/// transaction id, its charge), needs no review (a person chose where it goes), and the event
/// becomes the organization's, RECORDED.
pub async fn assign(
    app: &AppState,
    viewer: &Viewer,
    assignment: Assignment,
) -> AppResult<(provider_event::Model, Recorded)> {
    viewer.require(Role::Admin)?;
    let org = viewer.organization_id;
    let reader = app.db.reader();
    let not_found =
        || FieldError::new(&["eventId"], "NOT_FOUND", "no such provider event").into_error();
    let event = events(org, &EventFilter::default())
        .filter(provider_event::Column::Id.eq(assignment.event_id))
        .one(reader)
        .await?
        .ok_or_else(not_found)?;
    let assignable = event.outcome == EventOutcome::UnknownLink
        && event.signature_ok
        && event.assigned_at.is_none();
    let (Some(charged), Some(currency), Some(transaction_id), true) = (
        event.charged_minor,
        event.currency.as_deref(),
        event.transaction_id.clone(),
        assignable,
    ) else {
        return Err(FieldError::new(
            &["eventId"],
            "NOT_ASSIGNABLE",
            "only a verified payment for a link we do not know, not yet assigned, can be assigned",
        )
        .into_error());
    };
    let currency = Currency::from_code(currency)
        .map_err(|_| AppError::Internal("a stored event has an unknown currency".into()))?;
    let money = Money::from_minor(charged, currency);

    let mut checks = Validation::new();
    let customer = customer::Entity::find_in_org(assignment.customer_id, org)
        .one(reader)
        .await?;
    checks.check(
        customer.is_none(),
        &["customerId"],
        "NOT_FOUND",
        "no such customer",
    );
    checks.check(
        assignment.invoice_ids.len() > 100,
        &["invoiceIds"],
        "TOO_MANY",
        "at most 100 invoices",
    );
    checks.stop_if_invalid()?;
    let found = invoices_by_id(reader, org, assignment.invoice_ids.iter().copied()).await?;
    let mut invoices = Vec::new();
    for (index, id) in assignment.invoice_ids.iter().enumerate() {
        let position = index.to_string();
        let field = ["invoiceIds", position.as_str()];
        match found.get(id) {
            Some(invoice) if invoice.customer_id == assignment.customer_id => {
                if invoice.status == InvoiceStatus::Void {
                    checks.add(FieldError::new(
                        &field,
                        "INVOICE_VOID",
                        "the invoice is void",
                    ));
                } else if invoice.currency != currency.code() {
                    checks.add(FieldError::new(
                        &field,
                        "CURRENCY_MISMATCH",
                        format!(
                            "the payment is in {currency}, the invoice in {}",
                            invoice.currency
                        ),
                    ));
                } else if !invoices
                    .iter()
                    .any(|seen: &&crate::entities::invoice::Model| seen.id == *id)
                {
                    invoices.push(invoice);
                }
            }
            _ => checks.add(FieldError::new(
                &field,
                "NOT_FOUND",
                "no such invoice of this customer",
            )),
        }
    }
    checks.finish()?;
    // Oldest due first, each up to what it owes.
    invoices.sort_by_key(|invoice| (invoice.due_date, invoice.id));
    let mut left = money.minor;
    let mut allocations = Vec::new();
    for invoice in invoices {
        let owed = (invoice.total_minor - invoice.paid_minor).max(0);
        let part = owed.min(left);
        if part > 0 {
            allocations.push((invoice.id, Money::from_minor(part, currency).to_decimal()));
            left -= part;
        }
    }

    let now = app.clock.now();
    let txn = app.db.begin().await?;
    // Claimed first, so two admins assigning the same event at once record one payment.
    let claimed = provider_event::Entity::update_many()
        .col_expr(provider_event::Column::OrganizationId, Expr::value(org.0))
        .col_expr(
            provider_event::Column::AssignedBy,
            Expr::value(viewer.user_id.0),
        )
        .col_expr(provider_event::Column::AssignedAt, Expr::value(now))
        .col_expr(
            provider_event::Column::Outcome,
            Expr::value(sea_orm::ActiveEnum::to_value(&EventOutcome::Recorded)),
        )
        .filter(provider_event::Column::Id.eq(event.id))
        .filter(provider_event::Column::AssignedAt.is_null())
        .filter(provider_event::Column::Outcome.eq(EventOutcome::UnknownLink))
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        return Err(not_found());
    }
    let input = RecordPayment {
        customer_id: assignment.customer_id,
        amount: money.to_decimal(),
        currency: currency.code().to_owned(),
        method: PaymentMethod::Card,
        received_at: Some(event.received_at.min(now)),
        reference: Some(format!("{} {transaction_id}", event.provider)),
        allocations: Some(allocations),
    };
    let (mut recorded, withdrawals) = payments::record_in(&txn, viewer, input, now).await?;
    // The card payment the provider reported: its transaction, so the same one can never be
    // recorded twice (a late callback, a second assignment).
    let marked = payment::Entity::update_many()
        .col_expr(
            payment::Column::Provider,
            Expr::value(event.provider.clone()),
        )
        .col_expr(
            payment::Column::ProviderTransactionId,
            Expr::value(transaction_id.clone()),
        )
        .col_expr(
            payment::Column::InstallmentCount,
            Expr::value(event.installment_count.unwrap_or(1)),
        )
        .filter(payment::Column::Id.eq(recorded.payment.id))
        .exec(&txn)
        .await;
    match marked {
        Ok(_) => {}
        Err(error) if is_unique_violation(&error) => {
            return Err(FieldError::new(
                &["eventId"],
                "ALREADY_RECORDED",
                "this transaction is recorded already",
            )
            .into_error());
        }
        Err(error) => return Err(error.into()),
    }
    provider_event::Entity::update_many()
        .col_expr(
            provider_event::Column::PaymentId,
            Expr::value(recorded.payment.id),
        )
        .filter(provider_event::Column::Id.eq(event.id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    link_pricing::withdraw_at_providers(app, withdrawals).await;
    recorded.payment = payment::Entity::find_in_org(recorded.payment.id, org)
        .one(app.db.reader())
        .await?
        .ok_or_else(|| AppError::Internal("the assigned payment vanished".into()))?;
    let event = provider_event::Entity::find_by_id(event.id)
        .one(app.db.reader())
        .await?
        .ok_or_else(|| AppError::Internal("the assigned event vanished".into()))?;
    Ok((event, recorded))
}
