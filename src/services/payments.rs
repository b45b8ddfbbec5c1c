//! Recording payments and applying them to invoices.
//!
//! The invoices a payment touches are locked (`FOR UPDATE` on PostgreSQL; SQLite's single writer
//! serialises the whole transaction), so two payments recorded at once can never both fill the
//! same balance.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde_json::json;
use uuid::Uuid;

use super::activities::{self, Actor, Entry};
use super::link_pricing;
use super::listing::{FilterIf, Keyset, time_key};
use super::rules;
use super::scope::{OrgScoped, customer_for_input};
use crate::auth::Viewer;
use crate::domain::activity::ActivityKind;
use crate::domain::allocation::{self, Allocation, Receivable};
use crate::domain::ids::{AllocationId, OrganizationId, PaymentId};
use crate::domain::invoice::InvoiceStatus;
use crate::domain::money::Money;
use crate::domain::payment::PaymentMethod;
use crate::domain::role::Role;
use crate::entities::{invoice, payment, payment_allocation};
use crate::error::{AppError, AppResult, FieldError, Validation};
use crate::state::AppState;

#[derive(Debug, Clone)]
pub struct RecordPayment {
    pub customer_id: Uuid,
    pub amount: Decimal,
    pub currency: String,
    pub method: PaymentMethod,
    /// Default: now.
    pub received_at: Option<DateTime<Utc>>,
    pub reference: Option<String>,
    /// Explicit allocations; without them the customer's unpaid invoices in the payment's
    /// currency are paid oldest due first.
    pub allocations: Option<Vec<(Uuid, Decimal)>>,
}

/// A recorded payment and where it went.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub payment: payment::Model,
    pub allocations: Vec<payment_allocation::Model>,
}

#[tracing::instrument(skip_all)]
pub async fn record(app: &AppState, viewer: &Viewer, input: RecordPayment) -> AppResult<Recorded> {
    viewer.require(Role::Collector)?;
    let txn = app.db.begin().await?;
    let (recorded, withdrawals) = record_in(&txn, viewer, input, app.clock.now()).await?;
    txn.commit().await?;
    link_pricing::withdraw_at_providers(app, withdrawals).await;
    Ok(recorded)
}

/// Records a payment inside the caller's transaction (a cheque received records its payment
/// with it); the links to withdraw at their providers once committed come back with it.
pub(crate) async fn record_in(
    txn: &sea_orm::DatabaseTransaction,
    viewer: &Viewer,
    input: RecordPayment,
    now: DateTime<Utc>,
) -> AppResult<(Recorded, Vec<link_pricing::Withdrawal>)> {
    let recorder = Recorder {
        org: viewer.organization_id,
        actor: Actor::User(viewer),
        user_id: Some(viewer.user_id.0),
    };
    record_as(txn, recorder, input, now).await
}

/// Who records a payment: a person, or the system (a command-line import) with no user.
#[derive(Debug, Clone, Copy)]
pub struct Recorder<'a> {
    pub org: OrganizationId,
    pub actor: Actor<'a>,
    pub user_id: Option<Uuid>,
}

/// Like [`record_in`], for whoever records it.
pub(crate) async fn record_as(
    txn: &sea_orm::DatabaseTransaction,
    recorder: Recorder<'_>,
    input: RecordPayment,
    now: DateTime<Utc>,
) -> AppResult<(Recorded, Vec<link_pricing::Withdrawal>)> {
    let Recorder {
        org,
        actor,
        user_id,
    } = recorder;
    let mut checks = Validation::new();
    let amount = rules::money_input(
        &mut checks,
        input.amount,
        &["amount"],
        &input.currency,
        &["currency"],
    );
    let reference = checks.value(rules::optional_text(
        input.reference.as_deref(),
        200,
        &["reference"],
    ));
    let received_at = input.received_at.unwrap_or(now);
    checks.check(
        received_at > now + chrono::Duration::minutes(5),
        &["receivedAt"],
        "IN_FUTURE",
        "a payment cannot be received in the future",
    );

    customer_for_input(txn, org, input.customer_id, &mut checks).await?;
    // Allocations are checked against a valid amount only.
    checks.stop_if_invalid()?;

    let (plan, locked, charge) = match &input.allocations {
        Some(requested) => {
            let (plan, locked) =
                explicit_plan(txn, org, input.customer_id, amount, requested, &mut checks).await?;
            (plan, locked, None)
        }
        None => oldest_due_first(txn, org, input.customer_id, amount).await?,
    };
    let charged = charge.map_or(0, |(_, minor)| minor);
    let planned: Vec<Uuid> = plan.iter().map(|part| part.invoice_id).collect();
    checks.check(
        reversed_after(txn, org, &planned, received_at.date_naive()).await?,
        &["receivedAt"],
        "BEFORE_REVERSAL",
        "a payment to these invoices was reversed after this date: date this one on or after the reversal",
    );
    checks.finish()?;

    let payment_id = PaymentId::new().0;
    let payment = payment::ActiveModel {
        id: Set(payment_id),
        organization_id: Set(org.0),
        customer_id: Set(input.customer_id),
        amount_minor: Set(amount.minor),
        charged_minor: Set(amount.minor),
        unapplied_minor: Set(amount.minor
            - charged
            - plan.iter().map(|part| part.amount_minor).sum::<i64>()),
        currency: Set(amount.currency.code().to_owned()),
        method: Set(input.method),
        received_at: Set(received_at),
        reference: Set(reference.clone()),
        provider: Set(None),
        provider_transaction_id: Set(None),
        installment_count: Set(1),
        needs_review: Set(false),
        review_reason: Set(None),
        recorded_by: Set(user_id),
        test: Set(false),
        reversed_at: Set(None),
        reversed_by: Set(None),
        reversal_reason: Set(None),
        fee_minor: Set(None),
        created_at: Set(now),
    }
    .insert(txn)
    .await?;
    let Applied {
        allocations,
        paid_in_full,
    } = apply(txn, org, payment_id, &plan, &locked, received_at, now).await?;
    if let Some((plan_id, minor)) = charge {
        super::plans::book_charge(txn, org, plan_id, payment_id, minor, now).await?;
    }

    let applied: i64 = plan.iter().map(|a| a.amount_minor).sum::<i64>() + charged;
    let (numbers, single) = touched(&plan, &locked);
    let entry = Entry {
        customer_id: input.customer_id,
        invoice_id: single,
        kind: ActivityKind::PaymentRecorded,
        note: reference,
        data: json!({
            "paymentId": payment_id,
            "amount": amount.to_decimal().to_string(),
            "currency": amount.currency.code(),
            "method": format!("{:?}", input.method),
            "invoices": numbers,
            "unapplied": Money::from_minor(amount.minor - applied, amount.currency).to_decimal().to_string(),
            "planInterest": (charged > 0).then(|| Money::from_minor(charged, amount.currency).to_decimal().to_string()),
        }),
    };
    activities::append_with(txn, org, actor, entry, now, paid_in_full).await?;
    // Links over these invoices must not take this money a second time.
    let paid: Vec<Uuid> = plan.iter().map(|part| part.invoice_id).collect();
    let mut withdrawals = link_pricing::reconcile_links(txn, org, &paid, actor, now).await?;
    withdrawals.extend(super::plans::reevaluate(txn, org, input.customer_id, actor, now).await?);
    Ok((
        Recorded {
            payment,
            allocations,
        },
        withdrawals,
    ))
}

/// What reverses a payment.
#[derive(Debug, Clone)]
pub struct ReversePayment {
    pub payment_id: Uuid,
    pub reason: String,
    /// Default: now.
    pub reversed_at: Option<DateTime<Utc>>,
}

/// MANAGER and up: reverses a payment (a bounced cheque, a chargeback, a mistaken entry). The
/// payment stays, marked with who reversed it, when and why; each allocation keeps its amount
/// and gets the day it stopped counting; its invoices are owed again (PAID → PARTIALLY_PAID or
/// OPEN), so dunning and promises see them as open. Reports as of an earlier day still count it.
#[tracing::instrument(skip_all)]
pub async fn reverse(
    app: &AppState,
    viewer: &Viewer,
    input: ReversePayment,
) -> AppResult<payment::Model> {
    viewer.require(Role::Manager)?;
    let txn = app.db.begin().await?;
    let reversed = reverse_in(&txn, viewer, input, app.clock.now()).await?;
    txn.commit().await?;
    Ok(reversed)
}

/// Reverses a payment inside the caller's transaction (a bounced cheque reverses its payment
/// with the bounce).
pub(crate) async fn reverse_in(
    txn: &sea_orm::DatabaseTransaction,
    viewer: &Viewer,
    input: ReversePayment,
    now: DateTime<Utc>,
) -> AppResult<payment::Model> {
    let org = viewer.organization_id;
    let mut checks = Validation::new();
    let reason = checks.value(rules::required_note(&input.reason, 1_000, &["reason"]));
    let reversed_at = input.reversed_at.unwrap_or(now);
    checks.check(
        reversed_at > now + chrono::Duration::minutes(5),
        &["reversedAt"],
        "IN_FUTURE",
        "a reversal cannot be dated in the future",
    );
    let found = payment::Entity::find_in_org(input.payment_id, org)
        .lock_exclusive()
        .one(txn)
        .await?;
    let Some(payment) = found else {
        checks.add(FieldError::new(
            &["paymentId"],
            "NOT_FOUND",
            "no such payment",
        ));
        checks.finish()?;
        return Err(AppError::NotFound);
    };
    checks.check(
        payment.reversed_at.is_some(),
        &["paymentId"],
        "ALREADY_REVERSED",
        "the payment was reversed already",
    );
    checks.check(
        reversed_at.date_naive() < payment.received_at.date_naive(),
        &["reversedAt"],
        "BEFORE_RECEIVED",
        "a payment cannot be reversed before the day it was received",
    );
    checks.finish()?;

    let allocations = payment_allocation::Entity::in_org(org)
        .filter(payment_allocation::Column::PaymentId.eq(payment.id))
        .all(txn)
        .await?;
    let invoice_ids: Vec<Uuid> = allocations.iter().map(|part| part.invoice_id).collect();
    let locked = lock_invoices(txn, org, &invoice_ids).await?;
    let reversed_on = reversed_at.date_naive();
    let mut numbers = Vec::new();
    for allocation in &allocations {
        let invoice = locked.get(&allocation.invoice_id).ok_or_else(|| {
            AppError::Internal("reversal of an allocation to an invoice not locked".into())
        })?;
        let paid = invoice.paid_minor - allocation.amount_minor;
        if paid < 0 {
            return Err(AppError::Internal(format!(
                "invoice {} would be paid below zero",
                invoice.number
            )));
        }
        let status = InvoiceStatus::from_amounts(invoice.total_minor, paid);
        let mut row: invoice::ActiveModel = invoice.clone().into();
        row.paid_minor = Set(paid);
        row.status = Set(status);
        if status != InvoiceStatus::Paid {
            row.paid_on = Set(None);
        }
        row.updated_at = Set(now);
        row.update(txn).await?;
        let mut part: payment_allocation::ActiveModel = allocation.clone().into();
        part.reversed_on = Set(Some(reversed_on));
        part.update(txn).await?;
        numbers.push(invoice.number.clone());
    }
    let mut row: payment::ActiveModel = payment.clone().into();
    row.reversed_at = Set(Some(reversed_at));
    row.reversed_by = Set(Some(viewer.user_id.0));
    row.reversal_reason = Set(Some(reason.clone()));
    let reversed = row.update(txn).await?;
    let currency = rules::stored_currency(&payment.currency)?;
    let entry = Entry {
        customer_id: payment.customer_id,
        invoice_id: (invoice_ids.len() == 1).then(|| invoice_ids[0]),
        kind: ActivityKind::PaymentReversed,
        note: Some(reason),
        data: json!({
            "paymentId": payment.id,
            "amount": Money::from_minor(payment.amount_minor, currency).to_decimal().to_string(),
            "currency": currency.code(),
            "reversedAt": reversed_at,
            "invoices": numbers,
            "providerReference": payment.provider_transaction_id,
        }),
    };
    activities::append(txn, org, Actor::User(viewer), entry, now).await?;
    // A plan these invoices were completing is owed again; its links stay as they are.
    super::plans::reevaluate(txn, org, payment.customer_id, Actor::User(viewer), now).await?;
    Ok(reversed)
}

/// Whether a payment to any of `invoice_ids` was reversed on a later day than `day`: a payment
/// dated before that reversal would count beside the reversed one in reports as of the days
/// between, and could show the invoice paid twice.
async fn reversed_after(
    conn: &impl ConnectionTrait,
    org: OrganizationId,
    invoice_ids: &[Uuid],
    day: chrono::NaiveDate,
) -> AppResult<bool> {
    if invoice_ids.is_empty() {
        return Ok(false);
    }
    let found = payment_allocation::Entity::in_org(org)
        .filter(payment_allocation::Column::InvoiceId.is_in(invoice_ids.iter().copied()))
        .filter(payment_allocation::Column::ReversedOn.gt(day))
        .one(conn)
        .await?;
    Ok(found.is_some())
}

/// Checks requested allocations: each invoice the customer's, unpaid, in the payment's currency,
/// paid at most up to its balance; all together at most the payment.
async fn explicit_plan(
    conn: &impl ConnectionTrait,
    org: OrganizationId,
    customer_id: Uuid,
    amount: Money,
    requested: &[(Uuid, Decimal)],
    checks: &mut Validation,
) -> AppResult<(Vec<Allocation>, HashMap<Uuid, invoice::Model>)> {
    let ids: Vec<Uuid> = requested.iter().map(|(id, _)| *id).collect();
    let locked = lock_invoices(conn, org, &ids).await?;
    let mut plan = Vec::new();
    let mut seen = HashSet::new();
    let mut total = 0_i64;
    for (index, (invoice_id, value)) in requested.iter().enumerate() {
        let position = index.to_string();
        let field = |name: &'static str| ["allocations", position.as_str(), name];
        if !seen.insert(*invoice_id) {
            checks.add(FieldError::new(
                &field("invoiceId"),
                "DUPLICATE",
                "the invoice appears twice",
            ));
            continue;
        }
        let Some(invoice) = locked.get(invoice_id) else {
            checks.add(FieldError::new(
                &field("invoiceId"),
                "NOT_FOUND",
                "no such invoice",
            ));
            continue;
        };
        let Some(part) = checks.take(rules::positive_amount(
            *value,
            amount.currency,
            &field("amount"),
        )) else {
            continue;
        };
        if invoice.customer_id != customer_id {
            checks.add(FieldError::new(
                &field("invoiceId"),
                "INVOICE_OF_OTHER_CUSTOMER",
                "the invoice belongs to another customer",
            ));
        } else if invoice.currency != amount.currency.code() {
            checks.add(FieldError::new(
                &field("invoiceId"),
                "CURRENCY_MISMATCH",
                format!(
                    "invoice {} is in {}, the payment in {}",
                    invoice.number, invoice.currency, amount.currency
                ),
            ));
        } else if invoice.status == InvoiceStatus::Void {
            checks.add(FieldError::new(
                &field("invoiceId"),
                "INVOICE_VOID",
                format!("invoice {} is void", invoice.number),
            ));
        } else if part.minor > invoice.total_minor - invoice.paid_minor {
            checks.add(FieldError::new(
                &field("amount"),
                "AMOUNT_EXCEEDS_BALANCE",
                format!(
                    "invoice {} has {} left to pay",
                    invoice.number,
                    Money::from_minor(invoice.total_minor - invoice.paid_minor, amount.currency)
                        .to_decimal()
                ),
            ));
        } else {
            total += part.minor;
            plan.push(Allocation {
                invoice_id: *invoice_id,
                amount_minor: part.minor,
            });
        }
    }
    checks.check(
        total > amount.minor,
        &["allocations"],
        "ALLOCATION_EXCEEDS_AMOUNT",
        "the allocations add up to more than the payment",
    );
    Ok((plan, locked))
}

/// The customer's unpaid invoices in the payment's currency, oldest due first — those of an
/// active payment plan before the rest, and then the plan's interest before the rest (the
/// customer pays the installment). Answers the allocations, the invoices locked, and the part
/// booked as the plan's interest.
async fn oldest_due_first(
    conn: &impl ConnectionTrait,
    org: OrganizationId,
    customer_id: Uuid,
    amount: Money,
) -> AppResult<(
    Vec<Allocation>,
    HashMap<Uuid, invoice::Model>,
    Option<(Uuid, i64)>,
)> {
    let open = invoice::Entity::in_org(org)
        .filter(invoice::Column::CustomerId.eq(customer_id))
        .filter(invoice::Column::Currency.eq(amount.currency.code()))
        .filter(super::invoices::unpaid())
        .order_by_asc(invoice::Column::DueDate)
        .order_by_asc(invoice::Column::IssueDate)
        .order_by_asc(invoice::Column::Id)
        .lock_exclusive()
        .all(conn)
        .await?;
    let active = super::plans::active_for(conn, org, customer_id, amount.currency).await?;
    let covered = |invoice: &&invoice::Model| {
        active
            .as_ref()
            .is_some_and(|plan| plan.invoice_ids.contains(&invoice.id))
    };
    let (first, rest): (Vec<&invoice::Model>, Vec<&invoice::Model>) =
        open.iter().partition(covered);
    let (mut plan, left) = allocation::in_order(amount.minor, &receivables(first.into_iter()));
    let charge = active
        .as_ref()
        .map(|active| (active.plan.id, left.min(active.interest_left)))
        .filter(|(_, minor)| *minor > 0);
    let left = left - charge.map_or(0, |(_, minor)| minor);
    let (others, _unapplied) = allocation::in_order(left, &receivables(rest.into_iter()));
    plan.extend(others);
    Ok((
        plan,
        open.into_iter()
            .map(|invoice| (invoice.id, invoice))
            .collect(),
        charge,
    ))
}

/// The organization's invoices with these ids, locked for this transaction.
pub async fn lock_invoices(
    conn: &impl ConnectionTrait,
    org: OrganizationId,
    ids: &[Uuid],
) -> AppResult<HashMap<Uuid, invoice::Model>> {
    let rows = invoice::Entity::in_org(org)
        .filter(invoice::Column::Id.is_in(ids.iter().copied()))
        .order_by_asc(invoice::Column::Id)
        .lock_exclusive()
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|invoice| (invoice.id, invoice))
        .collect())
}

/// Writes the allocations of a payment received at `received_at` and moves each invoice's paid
/// amount, status and (when it is now paid in full) the day it was paid.
pub async fn apply(
    conn: &impl ConnectionTrait,
    org: OrganizationId,
    payment_id: Uuid,
    plan: &[Allocation],
    locked: &HashMap<Uuid, invoice::Model>,
    received_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> AppResult<Applied> {
    let received_on = received_at.date_naive();
    let mut written = Vec::with_capacity(plan.len());
    let mut paid_in_full = Vec::new();
    for part in plan {
        let invoice = locked.get(&part.invoice_id).ok_or_else(|| {
            AppError::Internal("allocation to an invoice that was not locked".into())
        })?;
        let paid = invoice.paid_minor + part.amount_minor;
        let status = InvoiceStatus::from_amounts(invoice.total_minor, paid);
        let mut row: invoice::ActiveModel = invoice.clone().into();
        row.paid_minor = Set(paid);
        row.status = Set(status);
        if status == InvoiceStatus::Paid {
            // A payment dated earlier than one already applied: paid when the later one came.
            let earlier = last_allocation_day(conn, org, invoice.id).await?;
            let paid_on = earlier.map_or(received_on, |day| day.max(received_on));
            row.paid_on = Set(Some(paid_on));
            if invoice.status != InvoiceStatus::Paid {
                paid_in_full.push(invoice_paid(invoice, payment_id, paid_on)?);
            }
        }
        row.updated_at = Set(now);
        row.update(conn).await?;
        written.push(
            payment_allocation::ActiveModel {
                id: Set(AllocationId::new().0),
                organization_id: Set(org.0),
                payment_id: Set(payment_id),
                invoice_id: Set(part.invoice_id),
                amount_minor: Set(part.amount_minor),
                received_on: Set(received_on),
                reversed_on: Set(None),
                created_at: Set(now),
            }
            .insert(conn)
            .await?,
        );
    }
    Ok(Applied {
        allocations: written,
        paid_in_full,
    })
}

/// What [`apply`] wrote, and the `invoice.paid` events of the invoices it paid in full, for the
/// caller to publish with its activity (one look at the endpoints per change).
pub struct Applied {
    pub allocations: Vec<payment_allocation::Model>,
    pub paid_in_full: Vec<super::webhooks::events::Event>,
}

/// The `invoice.paid` event of an invoice this payment paid in full.
fn invoice_paid(
    invoice: &invoice::Model,
    payment_id: Uuid,
    paid_on: chrono::NaiveDate,
) -> AppResult<super::webhooks::events::Event> {
    let currency = rules::stored_currency(&invoice.currency)?;
    Ok(super::webhooks::events::Event::new(
        "invoice.paid",
        json!({
            "invoiceId": invoice.id,
            "customerId": invoice.customer_id,
            "number": invoice.number,
            "externalRef": invoice.external_ref,
            "total": super::webhooks::events::money(Money::from_minor(invoice.total_minor, currency)),
            "paidOn": paid_on,
            "paymentId": payment_id,
        }),
    ))
}

/// The day of the invoice's latest allocation so far.
async fn last_allocation_day(
    conn: &impl ConnectionTrait,
    org: OrganizationId,
    invoice_id: Uuid,
) -> AppResult<Option<chrono::NaiveDate>> {
    let day = payment_allocation::Entity::in_org(org)
        .select_only()
        .column_as(payment_allocation::Column::ReceivedOn.max(), "day")
        .filter(payment_allocation::Column::InvoiceId.eq(invoice_id))
        .into_tuple::<Option<chrono::NaiveDate>>()
        .one(conn)
        .await?;
    Ok(day.flatten())
}

/// The numbers of the invoices a plan touches, and the invoice when it is only one (the activity
/// then belongs to it too).
pub fn touched<'a>(
    plan: &[Allocation],
    locked: &'a HashMap<Uuid, invoice::Model>,
) -> (Vec<&'a str>, Option<Uuid>) {
    let numbers = plan
        .iter()
        .filter_map(|part| locked.get(&part.invoice_id))
        .map(|invoice| invoice.number.as_str())
        .collect();
    let single = match plan {
        [only] => Some(only.invoice_id),
        _ => None,
    };
    (numbers, single)
}

/// What each invoice still owes, in the order given (callers sort oldest due first).
pub fn receivables<'a>(invoices: impl Iterator<Item = &'a invoice::Model>) -> Vec<Receivable> {
    invoices
        .map(|invoice| Receivable {
            invoice_id: invoice.id,
            balance_minor: invoice.total_minor - invoice.paid_minor,
        })
        .collect()
}

/// Which payments to list.
#[derive(Debug, Clone, Default)]
pub struct PaymentFilter {
    pub customer_id: Option<Uuid>,
    pub method: Option<PaymentMethod>,
    pub needs_review: Option<bool>,
    pub provider: Option<String>,
}

/// The filtered payments of the organization (for the page and its total count).
pub fn filtered(
    organization: OrganizationId,
    filter: &PaymentFilter,
) -> sea_orm::Select<payment::Entity> {
    payment::Entity::in_org(organization)
        .eq_if(payment::Column::CustomerId, filter.customer_id)
        .eq_if(payment::Column::Method, filter.method)
        .eq_if(payment::Column::NeedsReview, filter.needs_review)
        .eq_if(payment::Column::Provider, filter.provider.clone())
}

/// Payments, newest received first.
pub const ORDER: Keyset<payment::Entity> = Keyset::newest_first(
    payment::Column::ReceivedAt,
    payment::Column::Id,
    |model: &payment::Model| time_key(&model.received_at),
);
