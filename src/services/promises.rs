//! Promises to pay: recorded by a collector (or, later, by the customer on the pay page), kept or
//! broken by a daily settlement. A broken promise puts a call back on the collector's worklist.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QuerySelect, Select,
};
use serde_json::json;
use uuid::Uuid;

use super::activities::{self, Actor, Entry};
use super::listing::{FilterIf, Keyset, time_key};
use super::rules;
use super::scope::{self, OrgScoped, customer_for_input};
use super::tasks::{self, Planned};
use crate::auth::Viewer;
use crate::domain::activity::ActivityKind;
use crate::domain::ids::OrganizationId;
use crate::domain::money::{Currency, Money};
use crate::domain::promise::{self, PromiseStatus};
use crate::domain::role::Role;
use crate::domain::task::{TaskKind, TaskSource};
use crate::entities::{customer, payment, payment_allocation, promise as row, promise_invoice};
use crate::error::{AppResult, FieldError, Validation};
use crate::state::AppState;

/// The longest note on a promise.
pub const MAX_NOTE: usize = 2_000;
/// The furthest a promise may reach.
pub const MAX_DAYS_AHEAD: i64 = 365;

/// What `createPromise` asks for.
#[derive(Debug, Clone)]
pub struct NewPromise {
    pub customer_id: Uuid,
    pub invoice_ids: Vec<Uuid>,
    pub amount: Decimal,
    pub currency: String,
    pub promised_date: NaiveDate,
    pub note: Option<String>,
}

/// COLLECTOR and up: a promise over some of a customer's invoices in one currency.
#[tracing::instrument(skip_all)]
pub async fn create(app: &AppState, viewer: &Viewer, input: NewPromise) -> AppResult<row::Model> {
    viewer.require(Role::Collector)?;
    let org = viewer.organization_id;
    let today = app.clock.today();
    let mut checks = Validation::new();
    let note = checks.value(rules::optional_note(
        input.note.as_deref(),
        MAX_NOTE,
        &["note"],
    ));
    let amount = rules::money_input(
        &mut checks,
        input.amount,
        &["amount"],
        &input.currency,
        &["currency"],
    );
    let past = input.promised_date < today;
    checks.check(
        past,
        &["promisedDate"],
        "DATE_IN_PAST",
        "a promise is for today or later",
    );
    let far = input.promised_date > today + chrono::Duration::days(MAX_DAYS_AHEAD);
    checks.check(
        far,
        &["promisedDate"],
        "OUT_OF_RANGE",
        "a promise reaches at most a year ahead",
    );
    let none = input.invoice_ids.is_empty();
    checks.check(
        none,
        &["invoiceIds"],
        "REQUIRED",
        "a promise covers at least one invoice",
    );
    let txn = app.db.begin().await?;
    customer_for_input(&txn, org, input.customer_id, &mut checks).await?;
    scope::customer_invoices_for_input(
        &txn,
        org,
        input.customer_id,
        &input.invoice_ids,
        Some(amount.currency.code()),
        &mut checks,
    )
    .await?;
    checks.finish()?;
    let mut invoice_ids = input.invoice_ids.clone();
    invoice_ids.dedup();
    let promised = Promised {
        customer_id: input.customer_id,
        invoice_ids: &invoice_ids,
        amount,
        promised_date: input.promised_date,
        note,
        log_made: true,
    };
    let made = record(&txn, org, Actor::User(viewer), promised, app.clock.now()).await?;
    txn.commit().await?;
    Ok(made)
}

/// A promise to write, from `createPromise`, a logged PROMISE_TO_PAY, or the customer.
#[derive(Debug, Clone)]
pub struct Promised<'a> {
    pub customer_id: Uuid,
    pub invoice_ids: &'a [Uuid],
    pub amount: Money,
    pub promised_date: NaiveDate,
    pub note: Option<String>,
    /// False when the caller logs the promise itself (a PROMISE_TO_PAY activity).
    pub log_made: bool,
}

/// Writes a promise and its invoices (and its PROMISE_MADE activity) inside the caller's
/// transaction.
pub async fn record(
    conn: &impl ConnectionTrait,
    org: OrganizationId,
    actor: Actor<'_>,
    promised: Promised<'_>,
    now: DateTime<Utc>,
) -> AppResult<row::Model> {
    let (created_by, label) = match actor {
        Actor::User(viewer) => (Some(viewer.user_id.0), viewer.email.clone()),
        Actor::System(label) => (None, label.to_owned()),
    };
    let made = row::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(org.0),
        customer_id: Set(promised.customer_id),
        amount_minor: Set(promised.amount.minor),
        currency: Set(promised.amount.currency.code().to_owned()),
        promised_date: Set(promised.promised_date),
        note: Set(promised.note.clone()),
        status: Set(PromiseStatus::Open),
        created_by: Set(created_by),
        created_by_label: Set(label),
        created_at: Set(now),
        settled_at: Set(None),
        updated_at: Set(now),
    }
    .insert(conn)
    .await?;
    let join = |invoice_id| promise_invoice::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(org.0),
        promise_id: Set(made.id),
        invoice_id: Set(invoice_id),
    };
    scope::insert_all(conn, promised.invoice_ids.iter().copied().map(join)).await?;
    let single = match promised.invoice_ids {
        [only] => Some(*only),
        _ => None,
    };
    let data = json!({
        "promiseId": made.id,
        "amount": promised.amount.to_decimal().to_string(),
        "currency": promised.amount.currency.code(),
        "promisedDate": promised.promised_date,
    });
    if promised.log_made {
        let entry = Entry {
            customer_id: promised.customer_id,
            invoice_id: single,
            kind: ActivityKind::PromiseMade,
            note: promised.note,
            data,
        };
        activities::append(conn, org, actor, entry, now).await?;
    } else {
        // Logged as the collector's PROMISE_TO_PAY: the event is published here, with the id.
        let event = json!({
            "promiseId": made.id,
            "customerId": promised.customer_id,
            "invoiceId": single,
            "invoiceIds": promised.invoice_ids,
            "amount": super::webhooks::events::money(promised.amount),
            "promisedDate": promised.promised_date,
            "note": promised.note,
        });
        let events = vec![super::webhooks::events::Event::new("promise.made", event)];
        super::webhooks::events::publish(conn, org, events, now).await?;
    }
    Ok(made)
}

/// COLLECTOR and up: withdraws an OPEN promise.
#[tracing::instrument(skip_all)]
pub async fn cancel(app: &AppState, viewer: &Viewer, id: Uuid) -> AppResult<row::Model> {
    viewer.require(Role::Collector)?;
    let org = viewer.organization_id;
    let txn = app.db.begin().await?;
    let found = row::Entity::find_in_org(id, org)
        .one(&txn)
        .await?
        .ok_or_else(|| FieldError::new(&["id"], "NOT_FOUND", "no such promise").into_error())?;
    if found.status != PromiseStatus::Open {
        return Err(
            FieldError::new(&["id"], "NOT_OPEN", "the promise is settled already").into_error(),
        );
    }
    let now = app.clock.now();
    let mut update: row::ActiveModel = found.into();
    update.status = Set(PromiseStatus::Cancelled);
    update.settled_at = Set(Some(now));
    update.updated_at = Set(now);
    let cancelled = update.update(&txn).await?;
    txn.commit().await?;
    Ok(cancelled)
}

/// One settlement pass over every organization's OPEN promises: KEPT when the money applied to
/// their invoices since they were made reaches the amount; BROKEN after the promised date plus
/// the organization's grace days (`promiseGraceDays` in the dunning settings, default 2), with a call task
/// for the customer's collector (or the managers). Returns how many were settled.
pub async fn settle_due(app: &AppState) -> AppResult<usize> {
    let today = app.clock.today();
    let now = app.clock.now();
    let open = row::Entity::find()
        .filter(row::Column::Status.eq(PromiseStatus::Open))
        .all(app.db.reader())
        .await?;
    let mut settled = 0;
    for found in open {
        let txn = app.db.begin().await?;
        // Read again, locked: a concurrent pass (another instance) may have settled it.
        let Some(current) = row::Entity::find_by_id(found.id)
            .lock_exclusive()
            .one(&txn)
            .await?
        else {
            continue;
        };
        if current.status != PromiseStatus::Open {
            continue;
        }
        let org = OrganizationId(current.organization_id);
        let paid = paid_since(&txn, org, &current).await?;
        let grace = grace_days(&txn, org).await?;
        let Some(status) = promise::settle(
            current.amount_minor,
            paid,
            current.promised_date,
            grace,
            today,
        ) else {
            continue;
        };
        let invoice_ids: Vec<Uuid> = promise_invoice::Entity::in_org(org)
            .filter(promise_invoice::Column::PromiseId.eq(current.id))
            .all(&txn)
            .await?
            .into_iter()
            .map(|join| join.invoice_id)
            .collect();
        let mut update: row::ActiveModel = current.clone().into();
        update.status = Set(status);
        update.settled_at = Set(Some(now));
        update.updated_at = Set(now);
        update.update(&txn).await?;
        let currency = Currency::from_code(&current.currency)
            .map(|currency| {
                Money::from_minor(current.amount_minor, currency)
                    .to_decimal()
                    .to_string()
            })
            .unwrap_or_default();
        let kind = match status {
            PromiseStatus::Kept => ActivityKind::PromiseKept,
            _ => ActivityKind::PromiseBroken,
        };
        let entry = Entry {
            customer_id: current.customer_id,
            invoice_id: None,
            kind,
            note: None,
            data: json!({"promiseId": current.id, "amount": currency, "currency": current.currency, "promisedDate": current.promised_date}),
        };
        activities::append(&txn, org, Actor::System("system"), entry, now).await?;
        if status == PromiseStatus::Broken {
            let collector = customer::Entity::find_in_org(current.customer_id, org)
                .one(&txn)
                .await?
                .and_then(|customer| customer.assigned_collector_id);
            let planned = Planned {
                kind: TaskKind::Call,
                source: TaskSource::BrokenPromise,
                customer_id: current.customer_id,
                invoice_ids: &invoice_ids,
                due_date: today,
                assignee_id: collector,
                note: Some(format!(
                    "Ödeme sözü tutulmadı / promise broken: {currency} {}",
                    current.currency
                )),
            };
            tasks::record(&txn, org, Actor::System("system"), planned, now).await?;
        }
        txn.commit().await?;
        settled += 1;
    }
    Ok(settled)
}

/// What was applied to a promise's invoices after it was made, in its currency.
async fn paid_since(
    conn: &impl ConnectionTrait,
    org: OrganizationId,
    promise: &row::Model,
) -> AppResult<i64> {
    let invoice_ids: Vec<Uuid> = promise_invoice::Entity::in_org(org)
        .filter(promise_invoice::Column::PromiseId.eq(promise.id))
        .all(conn)
        .await?
        .into_iter()
        .map(|join| join.invoice_id)
        .collect();
    let allocations = payment_allocation::Entity::in_org(org)
        .filter(payment_allocation::Column::InvoiceId.is_in(invoice_ids))
        .filter(payment_allocation::Column::CreatedAt.gt(promise.created_at))
        // A reversed payment keeps no promise.
        .filter(payment_allocation::Column::ReversedOn.is_null())
        .all(conn)
        .await?;
    let payments: HashMap<Uuid, payment::Model> = payment::Entity::in_org(org)
        .filter(payment::Column::Id.is_in(allocations.iter().map(|a| a.payment_id)))
        .all(conn)
        .await?
        .into_iter()
        .map(|payment| (payment.id, payment))
        .collect();
    Ok(allocations
        .iter()
        .filter(|allocation| {
            payments
                .get(&allocation.payment_id)
                .is_some_and(|p| p.currency == promise.currency)
        })
        .map(|allocation| allocation.amount_minor)
        .sum())
}

async fn grace_days(conn: &impl ConnectionTrait, org: OrganizationId) -> AppResult<u32> {
    Ok(super::dunning::settings(conn, org)
        .await?
        .promise_grace_days)
}

/// How a customer's promises went.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PromiseStats {
    pub made: u64,
    pub kept: u64,
    pub broken: u64,
}

/// Which promises to list.
#[derive(Debug, Clone, Default)]
pub struct PromiseFilter {
    pub customer_id: Option<Uuid>,
    pub status: Option<PromiseStatus>,
}

/// The organization's promises matching the filter.
pub fn filtered(organization: OrganizationId, filter: &PromiseFilter) -> Select<row::Entity> {
    row::Entity::in_org(organization)
        .eq_if(row::Column::CustomerId, filter.customer_id)
        .eq_if(row::Column::Status, filter.status)
}

/// Promises, newest first.
pub const ORDER: Keyset<row::Entity> = Keyset::newest_first(
    row::Column::CreatedAt,
    row::Column::Id,
    |model: &row::Model| time_key(&model.created_at),
);
