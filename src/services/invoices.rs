//! Invoices: creating, voiding, listing, and the balances they add up to per customer.

use std::collections::HashMap;

use chrono::{Duration, NaiveDate};
use rust_decimal::Decimal;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, PaginatorTrait,
    QueryFilter, QuerySelect, Select,
};
use serde_json::json;
use uuid::Uuid;

use super::activities::{self, Actor, Entry};
use super::link_pricing;
use super::listing::{Direction, FilterIf, Keyset, parse_date_key};
use super::rules;
use super::scope::{OrgScoped, customer_for_input, invoice_for_update};
use crate::auth::Viewer;
use crate::clock::Clock;
use crate::db::Db;
use crate::domain::activity::ActivityKind;
use crate::domain::ids::{InvoiceId, OrganizationId};
use crate::domain::invoice::InvoiceStatus;
use crate::domain::money::MoneySum;
use crate::domain::role::Role;
use crate::entities::{invoice, payment_allocation};
use crate::error::{AppResult, FieldError, Validation, is_unique_violation};
use crate::state::AppState;

/// Unpaid invoices (OPEN, PARTIALLY_PAID): `status IN ('OPEN', 'PARTIALLY_PAID')` with the values written out: a planner can use the
/// partial index `ix_invoices_unpaid_due` only for a condition it can see, not for parameters.
pub fn unpaid() -> SimpleExpr {
    Expr::cust("\"invoices\".\"status\" IN ('OPEN', 'PARTIALLY_PAID')")
}

#[derive(Debug, Clone)]
pub struct NewInvoice {
    pub customer_id: Uuid,
    pub number: String,
    pub external_ref: Option<String>,
    pub issue_date: NaiveDate,
    /// Default: the issue date plus the customer's payment terms.
    pub due_date: Option<NaiveDate>,
    pub currency: String,
    pub total: Decimal,
    pub description: Option<String>,
}

#[tracing::instrument(skip_all)]
pub async fn create(
    db: &Db,
    clock: &dyn Clock,
    viewer: &Viewer,
    input: NewInvoice,
) -> AppResult<invoice::Model> {
    viewer.require(Role::Manager)?;
    let org = viewer.organization_id;
    let mut checks = Validation::new();
    let number = checks.value(rules::required_text(&input.number, 64, &["number"]));
    let external_ref = checks.value(rules::external_ref(
        input.external_ref.as_deref(),
        &["externalRef"],
    ));
    let description = checks.value(rules::optional_note(
        input.description.as_deref(),
        2_000,
        &["description"],
    ));
    let total = rules::money_input(
        &mut checks,
        input.total,
        &["total"],
        &input.currency,
        &["currency"],
    );

    let txn = db.begin().await?;
    let customer = customer_for_input(&txn, org, input.customer_id, &mut checks).await?;
    let taken = invoice::Entity::in_org(org)
        .filter(invoice::Column::Number.eq(number.as_str()))
        .count(&txn)
        .await?
        > 0;
    checks.check(
        taken,
        &["number"],
        "DUPLICATE",
        format!("invoice {number} exists already"),
    );
    if let Some(reference) = &external_ref {
        check_external_ref_free(&txn, org, reference, None, &mut checks).await?;
    }
    let terms = customer.map_or(0, |customer| customer.payment_terms_days);
    let due_date = input
        .due_date
        .unwrap_or(input.issue_date + Duration::days(i64::from(terms)));
    checks.check(
        due_date > crate::domain::invoice::MAX_DATE,
        &["dueDate"],
        "OUT_OF_RANGE",
        format!("dates are at most {}", crate::domain::invoice::MAX_DATE),
    );
    checks.check(
        due_date < input.issue_date,
        &["dueDate"],
        "DUE_BEFORE_ISSUE",
        "the due date cannot be before the issue date",
    );
    checks.finish()?;

    let now = clock.now();
    let created = invoice::ActiveModel {
        id: Set(InvoiceId::new().0),
        organization_id: Set(org.0),
        customer_id: Set(input.customer_id),
        number: Set(number.clone()),
        external_ref: Set(external_ref),
        issue_date: Set(input.issue_date),
        due_date: Set(due_date),
        currency: Set(total.currency.code().to_owned()),
        total_minor: Set(total.minor),
        paid_minor: Set(0),
        status: Set(InvoiceStatus::Open),
        disputed: Set(false),
        description: Set(description),
        void_reason: Set(None),
        voided_on: Set(None),
        paid_on: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await
    .map_err(|error| {
        if is_unique_violation(&error) {
            // A race past the pre-checks: the number or the reference was taken meanwhile.
            FieldError::new(
                &["number"],
                "DUPLICATE",
                format!("invoice {number} (or its external reference) exists already"),
            )
            .into_error()
        } else {
            error.into()
        }
    })?;
    let entry = Entry {
        customer_id: created.customer_id,
        invoice_id: Some(created.id),
        kind: ActivityKind::InvoiceCreated,
        note: None,
        data: json!({"number": created.number, "total": total.to_decimal().to_string(), "currency": total.currency.code()}),
    };
    activities::append(&txn, org, Actor::User(viewer), entry, now).await?;
    txn.commit().await?;
    Ok(created)
}

/// What `updateInvoice` may change; `None` leaves a field as it is, `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct InvoiceChanges {
    pub due_date: Option<NaiveDate>,
    pub description: Option<Option<String>>,
    pub external_ref: Option<Option<String>>,
}

/// MANAGER and up: changes an invoice's due date, description or external reference, logged as
/// INVOICE_UPDATED with what changed. A VOID invoice is frozen.
#[tracing::instrument(skip_all)]
pub async fn update(
    app: &AppState,
    viewer: &Viewer,
    id: Uuid,
    changes: InvoiceChanges,
) -> AppResult<invoice::Model> {
    viewer.require(Role::Manager)?;
    let org = viewer.organization_id;
    let mut checks = Validation::new();
    let description = changes.description.map(|description| {
        checks
            .take(rules::optional_note(
                description.as_deref(),
                2_000,
                &["description"],
            ))
            .flatten()
    });
    let external_ref = changes.external_ref.map(|external_ref| {
        checks
            .take(rules::external_ref(
                external_ref.as_deref(),
                &["externalRef"],
            ))
            .flatten()
    });
    let txn = app.db.begin().await?;
    let invoice = invoice_for_update(&txn, org, id).await?;
    let frozen = invoice.status == InvoiceStatus::Void;
    checks.check(frozen, &["id"], "INVOICE_VOID", "a void invoice is frozen");
    if let Some(Some(reference)) = &external_ref {
        check_external_ref_free(&txn, org, reference, Some(invoice.id), &mut checks).await?;
    }
    if let Some(due) = changes.due_date {
        checks.check(
            due < invoice.issue_date,
            &["dueDate"],
            "DUE_BEFORE_ISSUE",
            "the due date cannot be before the issue date",
        );
    }
    checks.finish()?;
    let now = app.clock.now();
    let mut changed = serde_json::Map::new();
    let mut row: invoice::ActiveModel = invoice.clone().into();
    if let Some(due) = note_change(&mut changed, "dueDate", &invoice.due_date, changes.due_date) {
        row.due_date = Set(due);
    }
    let old = &invoice.description;
    if let Some(description) = note_change(&mut changed, "description", old, description) {
        row.description = Set(description);
    }
    let old = &invoice.external_ref;
    if let Some(external_ref) = note_change(&mut changed, "externalRef", old, external_ref) {
        row.external_ref = Set(external_ref);
    }
    if changed.is_empty() {
        return Ok(invoice);
    }
    row.updated_at = Set(now);
    let updated = row.update(&txn).await?;
    let data = json!({"number": updated.number, "changed": changed});
    let entry = Entry::for_invoice(&updated, ActivityKind::InvoiceUpdated, None, data);
    activities::append(&txn, org, Actor::User(viewer), entry, now).await?;
    txn.commit().await?;
    Ok(updated)
}

/// The new value of a field when it differs from the old one, noted in `changed` as from → to.
fn note_change<T: PartialEq + serde::Serialize>(
    changed: &mut serde_json::Map<String, serde_json::Value>,
    name: &str,
    old: &T,
    new: Option<T>,
) -> Option<T> {
    let new = new.filter(|new| new != old)?;
    changed.insert(name.to_owned(), json!({"from": old, "to": new}));
    Some(new)
}

/// Voids an invoice that has received no money; VOID freezes it.
#[tracing::instrument(skip_all)]
pub async fn void(
    app: &AppState,
    viewer: &Viewer,
    id: Uuid,
    reason: &str,
) -> AppResult<invoice::Model> {
    let (db, clock) = (&app.db, app.clock.as_ref());
    viewer.require(Role::Manager)?;
    let org = viewer.organization_id;
    let mut checks = Validation::new();
    let reason = checks.value(rules::required_note(reason, 1_000, &["reason"]));
    let txn = db.begin().await?;
    let invoice = invoice_for_update(&txn, org, id).await?;
    let void = invoice.status == InvoiceStatus::Void;
    checks.check(void, &["id"], "ALREADY_VOID", "the invoice is void already");
    let has_payments = invoice.paid_minor != 0
        || payment_allocation::Entity::in_org(org)
            .filter(payment_allocation::Column::InvoiceId.eq(invoice.id))
            .count(&txn)
            .await?
            > 0;
    checks.check(
        has_payments && invoice.status != InvoiceStatus::Void,
        &["id"],
        "HAS_PAYMENTS",
        "an invoice that has received payments cannot be voided",
    );
    checks.check(
        super::plans::covers(&txn, org, invoice.id).await?,
        &["id"],
        "IN_PAYMENT_PLAN",
        "an active payment plan covers the invoice: cancel the plan first",
    );
    checks.finish()?;
    let now = clock.now();
    let mut row: invoice::ActiveModel = invoice.into();
    row.status = Set(InvoiceStatus::Void);
    row.void_reason = Set(Some(reason.clone()));
    row.voided_on = Set(Some(now.date_naive()));
    row.updated_at = Set(now);
    let voided = row.update(&txn).await?;
    let data = json!({"number": voided.number});
    let entry = Entry::for_invoice(&voided, ActivityKind::InvoiceVoided, Some(reason), data);
    activities::append(&txn, org, Actor::User(viewer), entry, now).await?;
    // A link covering it now asks too much: withdrawn or repriced in the same transaction.
    let withdrawals =
        link_pricing::reconcile_links(&txn, org, &[voided.id], Actor::User(viewer), now).await?;
    txn.commit().await?;
    link_pricing::withdraw_at_providers(app, withdrawals).await;
    Ok(voided)
}

/// Refuses an external reference another of the organization's invoices has (DUPLICATE).
pub async fn check_external_ref_free(
    conn: &impl sea_orm::ConnectionTrait,
    org: OrganizationId,
    external_ref: &str,
    except: Option<Uuid>,
    checks: &mut Validation,
) -> AppResult<()> {
    let column = invoice::Column::ExternalRef;
    super::scope::external_ref_free::<invoice::Entity>(
        conn,
        org,
        column,
        external_ref,
        except,
        "invoice",
        checks,
    )
    .await
}

/// What to list.
#[derive(Debug, Clone, Default)]
pub struct InvoiceFilter {
    pub customer_id: Option<Uuid>,
    pub statuses: Option<Vec<InvoiceStatus>>,
    pub overdue: Option<bool>,
    pub due_from: Option<NaiveDate>,
    pub due_to: Option<NaiveDate>,
    pub currency: Option<String>,
}

/// Overdue: due before today with something left to pay.
pub fn overdue_condition(today: NaiveDate) -> Condition {
    Condition::all()
        .add(invoice::Column::DueDate.lt(today))
        .add(unpaid())
}

pub fn filtered(
    organization: OrganizationId,
    filter: &InvoiceFilter,
    today: NaiveDate,
) -> Select<invoice::Entity> {
    let mut select = invoice::Entity::in_org(organization)
        .eq_if(invoice::Column::CustomerId, filter.customer_id)
        .in_if(invoice::Column::Status, filter.statuses.clone());
    match filter.overdue {
        Some(true) => select = select.filter(overdue_condition(today)),
        Some(false) => select = select.filter(overdue_condition(today).not()),
        None => {}
    }
    if let Some(from) = filter.due_from {
        select = select.filter(invoice::Column::DueDate.gte(from));
    }
    if let Some(to) = filter.due_to {
        select = select.filter(invoice::Column::DueDate.lte(to));
    }
    if let Some(currency) = &filter.currency {
        select = select.filter(invoice::Column::Currency.eq(currency.trim().to_uppercase()));
    }
    select
}

/// Invoices by due date, then id.
pub const ORDER: Keyset<invoice::Entity> = Keyset {
    key: invoice::Column::DueDate,
    id: invoice::Column::Id,
    direction: Direction::Ascending,
    key_of: |model| model.due_date.to_string(),
    parse_key: parse_date_key,
};

/// SUM over BIGINT is NUMERIC on PostgreSQL; the cast keeps both engines answering integers.
fn sum_as_bigint(expr: SimpleExpr) -> SimpleExpr {
    Func::cast_as(Func::sum(expr), Alias::new("BIGINT")).into()
}

/// Balances are summed in two parts, whole billions of minor units and the rest, so neither sum
/// can overflow a BIGINT (SQLite raises an error on overflow, PostgreSQL's cast would too) however
/// many invoices a customer has; the parts are joined in `i128`.
const SUM_SPLIT: i64 = 1_000_000_000;

fn split_sums(expr: SimpleExpr) -> (SimpleExpr, SimpleExpr) {
    (
        sum_as_bigint(expr.clone().div(SUM_SPLIT)),
        sum_as_bigint(expr.modulo(SUM_SPLIT)),
    )
}

fn joined(high: i64, low: i64) -> i128 {
    i128::from(high) * i128::from(SUM_SPLIT) + i128::from(low)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Property: splitting each balance as SQL does (`/` and `%` truncate toward zero on both
    /// engines), summing the parts and joining them gives the exact sum, negatives included.
    #[test]
    fn split_sums_join_to_the_exact_total() {
        let mut next = crate::domain::xorshift(0xB0B_u64);
        for _ in 0..2_000 {
            let balances: Vec<i64> = (0..(next() % 50))
                .map(|_| (next() % 2_000_000_000_000_001) as i64 - 1_000_000_000_000_000)
                .collect();
            let high: i64 = balances.iter().map(|b| b / SUM_SPLIT).sum();
            let low: i64 = balances.iter().map(|b| b % SUM_SPLIT).sum();
            let exact: i128 = balances.iter().map(|b| i128::from(*b)).sum();
            assert_eq!(joined(high, low), exact);
        }
    }
}

/// A customer's unpaid amounts per currency, and the overdue part of them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Balances {
    pub open: Vec<MoneySum>,
    pub overdue: Vec<MoneySum>,
}

/// Balances of many customers in one grouped query.
pub async fn balances(
    conn: &impl ConnectionTrait,
    organization: OrganizationId,
    customers: &[Uuid],
    today: NaiveDate,
) -> AppResult<HashMap<Uuid, Balances>> {
    let balance: SimpleExpr =
        Expr::col(invoice::Column::TotalMinor).sub(Expr::col(invoice::Column::PaidMinor));
    let overdue_balance: SimpleExpr =
        Expr::case(invoice::Column::DueDate.lt(today), balance.clone())
            .finally(0)
            .into();
    let (open_high, open_low) = split_sums(balance);
    let (overdue_high, overdue_low) = split_sums(overdue_balance);
    let rows: Vec<(Uuid, String, i64, i64, i64, i64)> = invoice::Entity::in_org(organization)
        .select_only()
        .column(invoice::Column::CustomerId)
        .column(invoice::Column::Currency)
        .column_as(open_high, "open_high")
        .column_as(open_low, "open_low")
        .column_as(overdue_high, "overdue_high")
        .column_as(overdue_low, "overdue_low")
        .filter(invoice::Column::CustomerId.is_in(customers.iter().copied()))
        .filter(unpaid())
        .group_by(invoice::Column::CustomerId)
        .group_by(invoice::Column::Currency)
        .into_tuple()
        .all(conn)
        .await?;
    let mut balances: HashMap<Uuid, Balances> = HashMap::new();
    for (customer_id, currency, open_high, open_low, overdue_high, overdue_low) in rows {
        let currency = rules::stored_currency(&currency)?;
        let entry = balances.entry(customer_id).or_default();
        let open = joined(open_high, open_low);
        if open > 0 {
            entry.open.push(MoneySum {
                minor: open,
                currency,
            });
        }
        let overdue = joined(overdue_high, overdue_low);
        if overdue > 0 {
            entry.overdue.push(MoneySum {
                minor: overdue,
                currency,
            });
        }
    }
    for entry in balances.values_mut() {
        entry.open.sort_by_key(|money| money.currency.code());
        entry.overdue.sort_by_key(|money| money.currency.code());
    }
    Ok(balances)
}
