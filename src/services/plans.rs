//! Payment plans: a customer's overdue balance (plus agreed interest, vade farkı) paid in
//! installments on agreed dates.
//!
//! - A plan covers some invoices and counts what is paid on them after it was made (each
//!   invoice's paid amount then is kept), plus the payments' parts booked as its interest. That
//!   money fills the installments oldest first, so every way money reaches those invoices —
//!   recorded, card, cheque, a reversal taking it back — moves the installments.
//! - Principal first: payments go to the covered invoices, and only once they are paid to the
//!   interest. A broken plan therefore leaves the invoices owing what was not paid, and normal
//!   dunning takes over from there.
//! - A daily pass marks installments unpaid past due date + grace MISSED (activity and a task),
//!   breaks a plan after the organization's number of missed installments, and completes one
//!   that is paid.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Days, NaiveDate, Utc};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QuerySelect, Select,
};
use serde_json::json;
use uuid::Uuid;

use super::activities::{self, Actor, Entry};
use super::link_pricing::{self, Withdrawal};
use super::listing::{FilterIf, Keyset, time_key};
use super::rules;
use super::scope::{self, OrgScoped, customer_for_input};
use super::tasks::{self, Planned};
use crate::auth::Viewer;
use crate::domain::activity::ActivityKind;
use crate::domain::ids::OrganizationId;
use crate::domain::invoice::InvoiceStatus;
use crate::domain::money::{Currency, MAX_MINOR, Money};
use crate::domain::payment_link::PaymentLinkStatus;
use crate::domain::plan::{self, InstallmentStatus, Interval, PlanStatus};
use crate::domain::role::Role;
use crate::domain::task::{TaskKind, TaskSource};
use crate::entities::{
    customer, invoice, organization, payment, payment_link, payment_link_installment,
    payment_plan as row, payment_plan_charge, payment_plan_invoice, plan_installment,
};
use crate::error::{AppError, AppResult, FieldError, Validation};
use crate::state::AppState;

/// The longest note on a plan, and the longest cancellation reason.
pub const MAX_NOTE: usize = 2_000;

/// How the installments are given: one by one, or as a count from a first date.
#[derive(Debug, Clone)]
pub enum Schedule {
    /// (due date, amount) each.
    Listed(Vec<(NaiveDate, Decimal)>),
    Generated {
        count: i32,
        first_due_date: NaiveDate,
        interval: Interval,
    },
}

/// What `createPaymentPlan` asks for.
#[derive(Debug, Clone)]
pub struct NewPlan {
    pub customer_id: Uuid,
    pub invoice_ids: Vec<Uuid>,
    /// None when the input gave neither form, or both (the caller reports which).
    pub schedule: Option<Schedule>,
    pub interest_percent: Option<Decimal>,
    pub note: Option<String>,
}

/// A plan and its installments.
#[derive(Debug, Clone)]
pub struct PlanView {
    pub plan: row::Model,
    pub installments: Vec<plan_installment::Model>,
}

/// COLLECTOR and up: a plan over some of a customer's unpaid invoices in one currency. The
/// installments must add up exactly to their balance plus the interest, with ascending dates
/// from today on.
#[tracing::instrument(skip_all)]
pub async fn create(app: &AppState, viewer: &Viewer, input: NewPlan) -> AppResult<PlanView> {
    viewer.require(Role::Collector)?;
    let txn = app.db.begin().await?;
    let made = create_in(&txn, viewer, input, app.clock.today(), app.clock.now()).await?;
    txn.commit().await?;
    Ok(made)
}

/// Creates a plan inside the caller's transaction (the demo agrees one as its collector would).
pub(crate) async fn create_in(
    txn: &sea_orm::DatabaseTransaction,
    viewer: &Viewer,
    input: NewPlan,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> AppResult<PlanView> {
    let org = viewer.organization_id;
    let mut checks = Validation::new();
    let note = checks.value(rules::optional_note(
        input.note.as_deref(),
        MAX_NOTE,
        &["note"],
    ));
    let percent = input.interest_percent.unwrap_or(Decimal::ZERO);
    let basis_points = plan::basis_points(percent).filter(|_| plan::interest(0, percent).is_some());
    checks.check(
        basis_points.is_none(),
        &["interestPercent"],
        "OUT_OF_RANGE",
        "interest is 0 to 100 percent, to two decimals",
    );
    checks.check(
        input.invoice_ids.is_empty(),
        &["invoiceIds"],
        "REQUIRED",
        "a plan covers at least one invoice",
    );
    checks.check(
        input.schedule.is_none(),
        &["installments"],
        "SCHEDULE_REQUIRED",
        "give either installments, or count, firstDueDate and interval",
    );
    customer_for_input(txn, org, input.customer_id, &mut checks).await?;
    let mut invoice_ids = input.invoice_ids.clone();
    let found = scope::customer_invoices_for_input(
        txn,
        org,
        input.customer_id,
        &invoice_ids,
        None,
        &mut checks,
    )
    .await?;
    checks.stop_if_invalid()?;
    let locked = super::payments::lock_invoices(txn, org, &invoice_ids).await?;
    let covered = covered_invoices(txn, org, &invoice_ids).await?;
    let mut seen = HashSet::new();
    for (index, id) in invoice_ids.iter().enumerate() {
        let position = index.to_string();
        let field = ["invoiceIds", position.as_str()];
        let Some(invoice) = locked.get(id).or_else(|| found.get(id)) else {
            continue;
        };
        let problem = if !seen.insert(*id) {
            Some(("DUPLICATE", "the invoice appears twice".to_owned()))
        } else if invoice.status == InvoiceStatus::Void {
            Some((
                "INVOICE_VOID",
                format!("invoice {} is void", invoice.number),
            ))
        } else if invoice.paid_minor >= invoice.total_minor {
            Some((
                "INVOICE_PAID",
                format!("invoice {} is paid", invoice.number),
            ))
        } else if invoice.disputed {
            Some((
                "INVOICE_DISPUTED",
                format!("invoice {} is disputed: resolve that first", invoice.number),
            ))
        } else if covered.contains(id) {
            Some((
                "IN_PAYMENT_PLAN",
                format!("invoice {} is in an active plan already", invoice.number),
            ))
        } else {
            None
        };
        if let Some((code, message)) = problem {
            checks.add(FieldError::new(&field, code, message));
        }
    }
    let currencies: HashSet<&str> = locked.values().map(|i| i.currency.as_str()).collect();
    checks.check(
        currencies.len() > 1,
        &["invoiceIds"],
        "CURRENCY_MISMATCH",
        "a plan is in one currency: its invoices must share it",
    );
    checks.stop_if_invalid()?;
    invoice_ids.dedup();
    let currency = rules::stored_currency(
        locked
            .values()
            .next()
            .map(|invoice| invoice.currency.as_str())
            .unwrap_or("TRY"),
    )?;
    let principal: i64 = locked
        .values()
        .map(|invoice| invoice.total_minor - invoice.paid_minor)
        .fold(0_i64, i64::saturating_add);
    let interest = plan::interest(principal, percent).unwrap_or(0);
    let total = principal.saturating_add(interest);
    checks.check(
        total > MAX_MINOR,
        &["invoiceIds"],
        "OUT_OF_RANGE",
        "the plan's total is beyond what one amount may be",
    );
    let existing = row::Entity::in_org(org)
        .filter(row::Column::CustomerId.eq(input.customer_id))
        .filter(row::Column::Currency.eq(currency.code()))
        .filter(row::Column::Status.eq(PlanStatus::Active))
        .one(txn)
        .await?;
    checks.check(
        existing.is_some(),
        &["customerId"],
        "ACTIVE_PLAN_EXISTS",
        format!("the customer has an active plan in {currency} already: cancel it first to agree a new one"),
    );
    let dates = input
        .schedule
        .as_ref()
        .map(|schedule| installments_of(schedule, total, currency, today, &mut checks))
        .unwrap_or_default();
    checks.finish()?;

    let (created_by, label) = (Some(viewer.user_id.0), viewer.email.clone());
    let made = row::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(org.0),
        customer_id: Set(input.customer_id),
        currency: Set(currency.code().to_owned()),
        principal_minor: Set(principal),
        interest_minor: Set(interest),
        interest_basis_points: Set(basis_points.unwrap_or(0)),
        status: Set(PlanStatus::Active),
        note: Set(note.clone()),
        created_by: Set(created_by),
        created_by_label: Set(label),
        created_at: Set(now),
        ended_at: Set(None),
        end_reason: Set(None),
        ended_paid_minor: Set(None),
        updated_at: Set(now),
    }
    .insert(txn)
    .await?;
    let mut joins = Vec::with_capacity(invoice_ids.len());
    for invoice in invoice_ids.iter().filter_map(|id| locked.get(id)) {
        joins.push(payment_plan_invoice::ActiveModel {
            id: Set(Uuid::now_v7()),
            organization_id: Set(org.0),
            plan_id: Set(made.id),
            invoice_id: Set(invoice.id),
            paid_at_start_minor: Set(invoice.paid_minor),
        });
    }
    scope::insert_all(txn, joins).await?;
    let installments: Vec<plan_installment::Model> = dates
        .iter()
        .enumerate()
        .map(|(index, (due_date, amount))| plan_installment::Model {
            id: Uuid::now_v7(),
            organization_id: org.0,
            plan_id: made.id,
            position: index as i32 + 1,
            due_date: *due_date,
            amount_minor: *amount,
            missed_at: None,
        })
        .collect();
    scope::insert_all(
        txn,
        installments
            .iter()
            .cloned()
            .map(plan_installment::ActiveModel::from),
    )
    .await?;
    let mut numbers: Vec<String> = Vec::with_capacity(invoice_ids.len());
    for id in &invoice_ids {
        if let Some(invoice) = locked.get(id) {
            numbers.push(invoice.number.clone());
        }
    }
    let money = |minor| Money::from_minor(minor, currency).to_decimal().to_string();
    let entry = Entry {
        customer_id: input.customer_id,
        invoice_id: match invoice_ids.as_slice() {
            [only] => Some(*only),
            _ => None,
        },
        kind: ActivityKind::PlanCreated,
        note,
        data: json!({
            "planId": made.id,
            "currency": currency.code(),
            "principal": money(principal),
            "interest": money(interest),
            "total": money(total),
            "invoices": numbers,
            "installments": installments.iter().map(|i| json!({"dueDate": i.due_date, "amount": money(i.amount_minor)})).collect::<Vec<_>>(),
        }),
    };
    activities::append(txn, org, Actor::User(viewer), entry, now).await?;
    Ok(PlanView {
        plan: made,
        installments,
    })
}

/// The installments a schedule asks for, checked: amounts in the plan's currency adding up to
/// `total` exactly, dates ascending from today to at most [`plan::MAX_DAYS_AHEAD`] ahead.
fn installments_of(
    schedule: &Schedule,
    total: i64,
    currency: Currency,
    today: NaiveDate,
    checks: &mut Validation,
) -> Vec<(NaiveDate, i64)> {
    let last_allowed = today
        .checked_add_days(Days::new(plan::MAX_DAYS_AHEAD))
        .unwrap_or(NaiveDate::MAX);
    let owed = Money::from_minor(total, currency).to_decimal();
    let dates = match schedule {
        Schedule::Listed(listed) => {
            checks.check(
                listed.is_empty() || listed.len() > plan::MAX_INSTALLMENTS,
                &["installments"],
                "OUT_OF_RANGE",
                format!("a plan has 1 to {} installments", plan::MAX_INSTALLMENTS),
            );
            let mut dates = Vec::with_capacity(listed.len());
            for (index, (due_date, amount)) in listed.iter().enumerate() {
                let position = index.to_string();
                let field = |name| ["installments", position.as_str(), name];
                if let Some(money) =
                    checks.take(rules::positive_amount(*amount, currency, &field("amount")))
                {
                    dates.push((*due_date, money.minor));
                }
                if index > 0 && listed[index - 1].0 >= *due_date {
                    checks.add(FieldError::new(
                        &field("dueDate"),
                        "NOT_ASCENDING",
                        "each installment falls after the one before it",
                    ));
                }
            }
            let sum = dates
                .iter()
                .map(|(_, amount)| *amount)
                .fold(0_i64, i64::saturating_add);
            checks.check(
                dates.len() == listed.len() && sum != total,
                &["installments"],
                "SUM_MISMATCH",
                format!(
                    "the installments must add up to {owed} {currency}, the balance plus interest"
                ),
            );
            dates
        }
        Schedule::Generated {
            count,
            first_due_date,
            interval,
        } => {
            let count = usize::try_from(*count)
                .ok()
                .filter(|count| (1..=plan::MAX_INSTALLMENTS).contains(count));
            checks.check(
                count.is_none(),
                &["count"],
                "OUT_OF_RANGE",
                format!("a plan has 1 to {} installments", plan::MAX_INSTALLMENTS),
            );
            let Some(count) = count else {
                return Vec::new();
            };
            let dates = plan::schedule(total, count, *first_due_date, *interval);
            checks.check(
                dates.is_none(),
                &["count"],
                "OUT_OF_RANGE",
                format!("{owed} {currency} cannot be split into {count} installments"),
            );
            dates.unwrap_or_default()
        }
    };
    let (first_field, last_field): (&[&str], &[&str]) = match schedule {
        Schedule::Listed(_) => (&["installments", "0", "dueDate"], &["installments"]),
        Schedule::Generated { .. } => (&["firstDueDate"], &["count"]),
    };
    checks.check(
        dates.first().is_some_and(|(due, _)| *due < today),
        first_field,
        "DATE_IN_PAST",
        "the first installment falls today or later",
    );
    checks.check(
        dates.last().is_some_and(|(due, _)| *due > last_allowed),
        last_field,
        "OUT_OF_RANGE",
        "the last installment falls at most three years ahead",
    );
    dates
}

/// The invoices among `invoice_ids` that an ACTIVE plan covers.
async fn covered_invoices(
    conn: &impl ConnectionTrait,
    org: OrganizationId,
    invoice_ids: &[Uuid],
) -> AppResult<HashSet<Uuid>> {
    let joins = payment_plan_invoice::Entity::in_org(org)
        .filter(payment_plan_invoice::Column::InvoiceId.is_in(invoice_ids.iter().copied()))
        .all(conn)
        .await?;
    if joins.is_empty() {
        return Ok(HashSet::new());
    }
    let active: HashSet<Uuid> = row::Entity::in_org(org)
        .select_only()
        .column(row::Column::Id)
        .filter(row::Column::Id.is_in(joins.iter().map(|join| join.plan_id)))
        .filter(row::Column::Status.eq(PlanStatus::Active))
        .into_tuple()
        .all(conn)
        .await?
        .into_iter()
        .collect();
    Ok(joins
        .into_iter()
        .filter(|join| active.contains(&join.plan_id))
        .map(|join| join.invoice_id)
        .collect())
}

/// The invoices of these customers that ACTIVE plans cover: out of normal dunning.
pub async fn covered_for_customers(
    conn: &impl ConnectionTrait,
    org: OrganizationId,
    customer_ids: &[Uuid],
) -> AppResult<HashSet<Uuid>> {
    let active: Vec<Uuid> = row::Entity::in_org(org)
        .select_only()
        .column(row::Column::Id)
        .filter(row::Column::CustomerId.is_in(customer_ids.iter().copied()))
        .filter(row::Column::Status.eq(PlanStatus::Active))
        .into_tuple()
        .all(conn)
        .await?;
    if active.is_empty() {
        return Ok(HashSet::new());
    }
    Ok(payment_plan_invoice::Entity::in_org(org)
        .filter(payment_plan_invoice::Column::PlanId.is_in(active))
        .all(conn)
        .await?
        .into_iter()
        .map(|join| join.invoice_id)
        .collect())
}

/// Whether an ACTIVE plan covers the invoice (voiding it is then refused).
pub async fn covers(
    conn: &impl ConnectionTrait,
    org: OrganizationId,
    invoice_id: Uuid,
) -> AppResult<bool> {
    Ok(!covered_invoices(conn, org, &[invoice_id]).await?.is_empty())
}

/// What has been paid on each plan: on its invoices since it was made, plus interest booked to
/// it by payments not reversed. An ended plan keeps what it had when it ended.
pub async fn paid_by_plan(
    conn: &impl ConnectionTrait,
    org: OrganizationId,
    plans: &[&row::Model],
) -> AppResult<HashMap<Uuid, i64>> {
    let live: Vec<Uuid> = plans
        .iter()
        .filter(|plan| plan.ended_paid_minor.is_none())
        .map(|plan| plan.id)
        .collect();
    let mut paid: HashMap<Uuid, i64> = plans
        .iter()
        .filter_map(|plan| plan.ended_paid_minor.map(|minor| (plan.id, minor)))
        .collect();
    if live.is_empty() {
        return Ok(paid);
    }
    let joins = payment_plan_invoice::Entity::in_org(org)
        .filter(payment_plan_invoice::Column::PlanId.is_in(live.iter().copied()))
        .all(conn)
        .await?;
    let invoices: HashMap<Uuid, i64> = invoice::Entity::in_org(org)
        .select_only()
        .column(invoice::Column::Id)
        .column(invoice::Column::PaidMinor)
        .filter(invoice::Column::Id.is_in(joins.iter().map(|join| join.invoice_id)))
        .into_tuple()
        .all(conn)
        .await?
        .into_iter()
        .collect();
    for join in &joins {
        let now_paid = invoices.get(&join.invoice_id).copied().unwrap_or(0);
        *paid.entry(join.plan_id).or_default() += now_paid - join.paid_at_start_minor;
    }
    for (plan_id, minor) in interest_paid(conn, org, &live).await? {
        *paid.entry(plan_id).or_default() += minor;
    }
    for plan in plans {
        paid.entry(plan.id).or_default();
    }
    Ok(paid)
}

/// What has been paid on one plan (see [`paid_by_plan`]).
async fn paid_of(
    conn: &impl ConnectionTrait,
    org: OrganizationId,
    plan: &row::Model,
) -> AppResult<i64> {
    Ok(paid_by_plan(conn, org, &[plan])
        .await?
        .get(&plan.id)
        .copied()
        .unwrap_or(0))
}

/// The interest each plan's payments have paid so far (reversed payments no longer pay it).
async fn interest_paid(
    conn: &impl ConnectionTrait,
    org: OrganizationId,
    plan_ids: &[Uuid],
) -> AppResult<HashMap<Uuid, i64>> {
    let charges = payment_plan_charge::Entity::in_org(org)
        .filter(payment_plan_charge::Column::PlanId.is_in(plan_ids.iter().copied()))
        .all(conn)
        .await?;
    if charges.is_empty() {
        return Ok(HashMap::new());
    }
    let reversed: HashSet<Uuid> = payment::Entity::in_org(org)
        .select_only()
        .column(payment::Column::Id)
        .filter(payment::Column::Id.is_in(charges.iter().map(|c| c.payment_id)))
        .filter(payment::Column::ReversedAt.is_not_null())
        .into_tuple()
        .all(conn)
        .await?
        .into_iter()
        .collect();
    let mut paid = HashMap::new();
    for charge in charges {
        if !reversed.contains(&charge.payment_id) {
            *paid.entry(charge.plan_id).or_default() += charge.amount_minor;
        }
    }
    Ok(paid)
}

/// The customer's ACTIVE plan in a currency: where an unallocated payment goes first.
#[derive(Debug, Clone)]
pub struct ActivePlan {
    pub plan: row::Model,
    pub invoice_ids: HashSet<Uuid>,
    /// Interest not yet paid.
    pub interest_left: i64,
}

/// The customer's ACTIVE plan in `currency`, if any, locked for the caller's transaction: two
/// payments at once cannot both take the same interest.
pub async fn active_for(
    conn: &impl ConnectionTrait,
    org: OrganizationId,
    customer_id: Uuid,
    currency: Currency,
) -> AppResult<Option<ActivePlan>> {
    let Some(found) = row::Entity::in_org(org)
        .filter(row::Column::CustomerId.eq(customer_id))
        .filter(row::Column::Currency.eq(currency.code()))
        .filter(row::Column::Status.eq(PlanStatus::Active))
        .lock_exclusive()
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    active_plan(conn, org, found).await.map(Some)
}

async fn active_plan(
    conn: &impl ConnectionTrait,
    org: OrganizationId,
    found: row::Model,
) -> AppResult<ActivePlan> {
    let invoice_ids = payment_plan_invoice::Entity::in_org(org)
        .filter(payment_plan_invoice::Column::PlanId.eq(found.id))
        .all(conn)
        .await?
        .into_iter()
        .map(|join| join.invoice_id)
        .collect();
    let paid = interest_paid(conn, org, &[found.id]).await?;
    let interest_left = (found.interest_minor - paid.get(&found.id).copied().unwrap_or(0)).max(0);
    Ok(ActivePlan {
        plan: found,
        invoice_ids,
        interest_left,
    })
}

/// The ACTIVE plan a link pays installments of, if it is such a link; locked like
/// [`active_for`].
pub async fn plan_of_link(
    conn: &impl ConnectionTrait,
    org: OrganizationId,
    link_id: Uuid,
) -> AppResult<Option<ActivePlan>> {
    let Some(join) = payment_link_installment::Entity::in_org(org)
        .filter(payment_link_installment::Column::LinkId.eq(link_id))
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    let found = row::Entity::find_in_org(join.plan_id, org)
        .filter(row::Column::Status.eq(PlanStatus::Active))
        .lock_exclusive()
        .one(conn)
        .await?;
    match found {
        Some(found) => active_plan(conn, org, found).await.map(Some),
        None => Ok(None),
    }
}

/// Books `amount_minor` of a payment as the plan's interest, inside the payment's transaction.
pub async fn book_charge(
    conn: &impl ConnectionTrait,
    org: OrganizationId,
    plan_id: Uuid,
    payment_id: Uuid,
    amount_minor: i64,
    now: DateTime<Utc>,
) -> AppResult<()> {
    if amount_minor <= 0 {
        return Ok(());
    }
    payment_plan_charge::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(org.0),
        plan_id: Set(plan_id),
        payment_id: Set(payment_id),
        amount_minor: Set(amount_minor),
        created_at: Set(now),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// One installment with what is paid on it and its status.
#[derive(Debug, Clone)]
pub struct InstallmentView {
    pub installment: plan_installment::Model,
    pub currency: String,
    pub paid_minor: i64,
    pub status: InstallmentStatus,
}

/// The installments of a plan that has `paid_minor` in, oldest first, with their status.
pub fn installment_views(
    plan: &row::Model,
    installments: &[plan_installment::Model],
    paid_minor: i64,
) -> Vec<InstallmentView> {
    let mut sorted: Vec<&plan_installment::Model> = installments.iter().collect();
    sorted.sort_by_key(|installment| installment.position);
    let amounts: Vec<i64> = sorted.iter().map(|i| i.amount_minor).collect();
    let filled = plan::fill(paid_minor, &amounts);
    sorted
        .into_iter()
        .zip(filled)
        .map(|(installment, paid)| InstallmentView {
            installment: installment.clone(),
            currency: plan.currency.clone(),
            paid_minor: paid,
            status: plan::installment_status(
                installment.amount_minor,
                paid,
                installment.missed_at.is_some(),
            ),
        })
        .collect()
}

/// The plan's installments, oldest first.
async fn installments_of_plan(
    conn: &impl ConnectionTrait,
    org: OrganizationId,
    plan_id: Uuid,
) -> AppResult<Vec<plan_installment::Model>> {
    let mut found = plan_installment::Entity::in_org(org)
        .filter(plan_installment::Column::PlanId.eq(plan_id))
        .all(conn)
        .await?;
    found.sort_by_key(|installment| installment.position);
    Ok(found)
}

/// After money reached or left a customer's invoices, inside that transaction: an ACTIVE plan
/// now paid in full is COMPLETED; a COMPLETED one no longer paid in full (a reversal) is ACTIVE
/// again. Answers the provider pages to withdraw once committed.
pub async fn reevaluate(
    conn: &impl ConnectionTrait,
    org: OrganizationId,
    customer_id: Uuid,
    actor: Actor<'_>,
    now: DateTime<Utc>,
) -> AppResult<Vec<Withdrawal>> {
    let plans = row::Entity::in_org(org)
        .filter(row::Column::CustomerId.eq(customer_id))
        .filter(row::Column::Status.is_in([PlanStatus::Active, PlanStatus::Completed]))
        .all(conn)
        .await?;
    let mut withdrawals = Vec::new();
    for found in plans {
        let live = row::Model {
            ended_paid_minor: None,
            ..found.clone()
        };
        let paid = paid_of(conn, org, &live).await?;
        let total = found.principal_minor + found.interest_minor;
        match found.status {
            PlanStatus::Active if paid >= total => {
                withdrawals.extend(
                    end(
                        conn,
                        org,
                        &found,
                        PlanStatus::Completed,
                        None,
                        paid,
                        actor,
                        now,
                    )
                    .await?,
                );
            }
            PlanStatus::Completed if paid < total => {
                let mut update: row::ActiveModel = found.into();
                update.status = Set(PlanStatus::Active);
                update.ended_at = Set(None);
                update.ended_paid_minor = Set(None);
                update.updated_at = Set(now);
                update.update(conn).await?;
            }
            _ => {}
        }
    }
    Ok(withdrawals)
}

/// Ends a plan (completed, broken, cancelled): its status, what was paid, the activity, and its
/// installment links withdrawn.
#[expect(clippy::too_many_arguments, reason = "the facts of one ending")]
async fn end(
    conn: &impl ConnectionTrait,
    org: OrganizationId,
    found: &row::Model,
    status: PlanStatus,
    reason: Option<String>,
    paid: i64,
    actor: Actor<'_>,
    now: DateTime<Utc>,
) -> AppResult<Vec<Withdrawal>> {
    let mut update: row::ActiveModel = found.clone().into();
    update.status = Set(status);
    update.ended_at = Set(Some(now));
    update.end_reason = Set(reason.clone());
    update.ended_paid_minor = Set(Some(paid));
    update.updated_at = Set(now);
    update.update(conn).await?;
    let currency = rules::stored_currency(&found.currency)?;
    let money = |minor| Money::from_minor(minor, currency).to_decimal().to_string();
    let total = found.principal_minor + found.interest_minor;
    let kind = match status {
        PlanStatus::Completed => ActivityKind::PlanCompleted,
        PlanStatus::Broken => ActivityKind::PlanBroken,
        _ => ActivityKind::PlanCancelled,
    };
    let entry = Entry {
        customer_id: found.customer_id,
        invoice_id: None,
        kind,
        note: reason,
        data: json!({
            "planId": found.id,
            "currency": found.currency,
            "total": money(total),
            "paid": money(paid.min(total)),
            "left": money((total - paid).max(0)),
        }),
    };
    activities::append(conn, org, actor, entry, now).await?;
    withdraw_links(conn, org, found.id, actor, now).await
}

/// Cancels the plan's ACTIVE installment links.
async fn withdraw_links(
    conn: &impl ConnectionTrait,
    org: OrganizationId,
    plan_id: Uuid,
    actor: Actor<'_>,
    now: DateTime<Utc>,
) -> AppResult<Vec<Withdrawal>> {
    let link_ids: HashSet<Uuid> = payment_link_installment::Entity::in_org(org)
        .filter(payment_link_installment::Column::PlanId.eq(plan_id))
        .all(conn)
        .await?
        .into_iter()
        .map(|join| join.link_id)
        .collect();
    if link_ids.is_empty() {
        return Ok(Vec::new());
    }
    let links = payment_link::Entity::in_org(org)
        .filter(payment_link::Column::Id.is_in(link_ids))
        .filter(payment_link::Column::Status.eq(PaymentLinkStatus::Active))
        .all(conn)
        .await?;
    let mut withdrawals = Vec::new();
    for link in links {
        if let Some(provider_link_id) = &link.provider_link_id {
            withdrawals.push(Withdrawal {
                provider: link.provider.clone(),
                provider_link_id: provider_link_id.clone(),
            });
        }
        let entry = Entry {
            customer_id: link.customer_id,
            invoice_id: None,
            kind: ActivityKind::PaymentLinkCancelled,
            note: None,
            data: json!({"paymentLinkId": link.id, "reason": "its payment plan ended"}),
        };
        let mut update: payment_link::ActiveModel = link.into();
        update.status = Set(PaymentLinkStatus::Cancelled);
        update.updated_at = Set(now);
        update.update(conn).await?;
        activities::append(conn, org, actor, entry, now).await?;
    }
    Ok(withdrawals)
}

/// COLLECTOR and up: withdraws an ACTIVE plan; its invoices go back to normal dunning.
#[tracing::instrument(skip_all)]
pub async fn cancel(
    app: &AppState,
    viewer: &Viewer,
    id: Uuid,
    reason: &str,
) -> AppResult<row::Model> {
    viewer.require(Role::Collector)?;
    let org = viewer.organization_id;
    let mut checks = Validation::new();
    let reason = checks.value(rules::required_note(reason, MAX_NOTE, &["reason"]));
    let txn = app.db.begin().await?;
    let found = row::Entity::find_in_org(id, org)
        .lock_exclusive()
        .one(&txn)
        .await?;
    let Some(found) = found else {
        checks.add(FieldError::new(
            &["id"],
            "NOT_FOUND",
            "no such payment plan",
        ));
        checks.finish()?;
        return Err(AppError::NotFound);
    };
    checks.check(
        found.status != PlanStatus::Active,
        &["id"],
        "NOT_ACTIVE",
        "the plan has ended already",
    );
    checks.finish()?;
    let now = app.clock.now();
    let paid = paid_of(&txn, org, &found).await?;
    let withdrawals = end(
        &txn,
        org,
        &found,
        PlanStatus::Cancelled,
        Some(reason),
        paid,
        Actor::User(viewer),
        now,
    )
    .await?;
    txn.commit().await?;
    link_pricing::withdraw_at_providers(app, withdrawals).await;
    row::Entity::find_in_org(id, org)
        .one(app.db.reader())
        .await?
        .ok_or(AppError::NotFound)
}

/// What one settlement pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SettleReport {
    pub missed: usize,
    pub broken: usize,
    pub completed: usize,
}

/// One pass over every ACTIVE plan: completes the paid ones; marks installments unpaid past
/// their due date plus the organization's `planGraceDays` MISSED (an activity and a call task
/// for the collector); breaks a plan with `planMissesToBreak` installments missed and unpaid.
/// "Today" is the organization's own day.
pub async fn settle_due(app: &AppState) -> AppResult<SettleReport> {
    let now = app.clock.now();
    let mut report = SettleReport::default();
    let active = row::Entity::find()
        .filter(row::Column::Status.eq(PlanStatus::Active))
        .all(app.db.reader())
        .await?;
    if active.is_empty() {
        return Ok(report);
    }
    let settings: HashMap<Uuid, crate::domain::dunning::DunningSettings> =
        organization::Entity::find()
            .filter(organization::Column::Id.is_in(active.iter().map(|plan| plan.organization_id)))
            .all(app.db.reader())
            .await?
            .into_iter()
            .map(|found| (found.id, super::dunning::from_stored(&found.settings)))
            .collect();
    for listed in active {
        let org = OrganizationId(listed.organization_id);
        let Some(rules) = settings.get(&org.0) else {
            continue;
        };
        let today = rules.local_date(now);
        let txn = app.db.begin().await?;
        // Read again, locked: another instance may have settled it meanwhile.
        let Some(found) = row::Entity::find_by_id(listed.id)
            .lock_exclusive()
            .one(&txn)
            .await?
        else {
            continue;
        };
        if found.status != PlanStatus::Active {
            continue;
        }
        let paid = paid_of(&txn, org, &found).await?;
        let total = found.principal_minor + found.interest_minor;
        let system = Actor::System("system");
        if paid >= total {
            let withdrawals = end(
                &txn,
                org,
                &found,
                PlanStatus::Completed,
                None,
                paid,
                system,
                now,
            )
            .await?;
            txn.commit().await?;
            link_pricing::withdraw_at_providers(app, withdrawals).await;
            report.completed += 1;
            continue;
        }
        let installments = installments_of_plan(&txn, org, found.id).await?;
        let views = installment_views(&found, &installments, paid);
        let newly: Vec<&InstallmentView> = views
            .iter()
            .filter(|view| view.status != InstallmentStatus::Paid)
            .filter(|view| view.installment.missed_at.is_none())
            .filter(|view| {
                plan::is_overdue(view.installment.due_date, rules.plan_grace_days, today)
            })
            .collect();
        let missed_before = views
            .iter()
            .filter(|view| view.status == InstallmentStatus::Missed)
            .count();
        if newly.is_empty() {
            continue;
        }
        let customer = customer::Entity::find_in_org(found.customer_id, org)
            .one(&txn)
            .await?;
        let collector = customer.and_then(|customer| customer.assigned_collector_id);
        let covered: Vec<Uuid> = payment_plan_invoice::Entity::in_org(org)
            .filter(payment_plan_invoice::Column::PlanId.eq(found.id))
            .all(&txn)
            .await?
            .into_iter()
            .map(|join| join.invoice_id)
            .collect();
        let currency = rules::stored_currency(&found.currency)?;
        let count = installments.len();
        for view in &newly {
            let mut update: plan_installment::ActiveModel = view.installment.clone().into();
            update.missed_at = Set(Some(now));
            update.update(&txn).await?;
            let left = Money::from_minor(view.installment.amount_minor - view.paid_minor, currency)
                .to_decimal()
                .to_string();
            let entry = Entry {
                customer_id: found.customer_id,
                invoice_id: None,
                kind: ActivityKind::PlanInstallmentMissed,
                note: None,
                data: json!({
                    "planId": found.id,
                    "installmentId": view.installment.id,
                    "position": view.installment.position,
                    "dueDate": view.installment.due_date,
                    "left": left,
                    "currency": found.currency,
                }),
            };
            activities::append(&txn, org, system, entry, now).await?;
            let planned = Planned {
                kind: TaskKind::Call,
                source: TaskSource::PaymentPlan,
                customer_id: found.customer_id,
                invoice_ids: &covered,
                due_date: today,
                assignee_id: collector,
                note: Some(format!(
                    "Taksit {}/{count} ödenmedi / installment {}/{count} missed: {left} {}",
                    view.installment.position, view.installment.position, found.currency
                )),
            };
            tasks::record(&txn, org, system, planned, now).await?;
            report.missed += 1;
        }
        let missed = missed_before + newly.len();
        let mut withdrawals = Vec::new();
        if missed >= rules.plan_misses_to_break as usize {
            let reason = format!(
                "{missed} taksit ödenmedi / {missed} installments missed; normal dunning resumes"
            );
            withdrawals = end(
                &txn,
                org,
                &found,
                PlanStatus::Broken,
                Some(reason),
                paid,
                system,
                now,
            )
            .await?;
            report.broken += 1;
        }
        txn.commit().await?;
        link_pricing::withdraw_at_providers(app, withdrawals).await;
    }
    Ok(report)
}

/// Which plans to list.
#[derive(Debug, Clone, Default)]
pub struct PlanFilter {
    pub customer_id: Option<Uuid>,
    pub status: Option<PlanStatus>,
}

/// The organization's plans matching the filter.
pub fn filtered(organization: OrganizationId, filter: &PlanFilter) -> Select<row::Entity> {
    row::Entity::in_org(organization)
        .eq_if(row::Column::CustomerId, filter.customer_id)
        .eq_if(row::Column::Status, filter.status)
}

/// Plans, newest first.
pub const ORDER: Keyset<row::Entity> = Keyset::newest_first(
    row::Column::CreatedAt,
    row::Column::Id,
    |model: &row::Model| time_key(&model.created_at),
);

/// The installments a link for `installment_ids` pays: all of one ACTIVE plan, not yet paid.
/// Answers the plan, the installments with what is left on each, and the plan's covered
/// invoices that still owe (the link's invoices).
pub async fn installments_for_link(
    conn: &impl ConnectionTrait,
    org: OrganizationId,
    installment_ids: &[Uuid],
    checks: &mut Validation,
) -> AppResult<Option<(row::Model, Vec<InstallmentView>, Vec<invoice::Model>)>> {
    let found: HashMap<Uuid, plan_installment::Model> = plan_installment::Entity::in_org(org)
        .filter(plan_installment::Column::Id.is_in(installment_ids.iter().copied()))
        .all(conn)
        .await?
        .into_iter()
        .map(|installment| (installment.id, installment))
        .collect();
    let mut plan_ids = HashSet::new();
    let mut seen = HashSet::new();
    for (index, id) in installment_ids.iter().enumerate() {
        let position = index.to_string();
        let field = ["planInstallmentIds", position.as_str()];
        match found.get(id) {
            None => checks.add(FieldError::new(&field, "NOT_FOUND", "no such installment")),
            Some(_) if !seen.insert(*id) => {
                checks.add(FieldError::new(
                    &field,
                    "DUPLICATE",
                    "the installment appears twice",
                ));
            }
            Some(installment) => {
                plan_ids.insert(installment.plan_id);
            }
        }
    }
    checks.check(
        plan_ids.len() > 1,
        &["planInstallmentIds"],
        "DIFFERENT_PLANS",
        "a link pays installments of one plan",
    );
    if !checks.is_empty() {
        return Ok(None);
    }
    let Some(plan_id) = plan_ids.into_iter().next() else {
        return Ok(None);
    };
    let Some(found_plan) = row::Entity::find_in_org(plan_id, org).one(conn).await? else {
        return Ok(None);
    };
    if found_plan.status != PlanStatus::Active {
        checks.add(FieldError::new(
            &["planInstallmentIds"],
            "PLAN_NOT_ACTIVE",
            "the plan has ended",
        ));
        return Ok(None);
    }
    let all = installments_of_plan(conn, org, plan_id).await?;
    let paid = paid_of(conn, org, &found_plan).await?;
    let views = installment_views(&found_plan, &all, paid);
    let mut chosen = Vec::new();
    for (index, id) in installment_ids.iter().enumerate() {
        let Some(view) = views.iter().find(|view| view.installment.id == *id) else {
            continue;
        };
        if view.status == InstallmentStatus::Paid {
            let position = index.to_string();
            checks.add(FieldError::new(
                &["planInstallmentIds", position.as_str()],
                "INSTALLMENT_PAID",
                format!("installment {} is paid", view.installment.position),
            ));
        } else {
            chosen.push(view.clone());
        }
    }
    if !checks.is_empty() {
        return Ok(None);
    }
    chosen.sort_by_key(|view| view.installment.position);
    let covered: Vec<Uuid> = payment_plan_invoice::Entity::in_org(org)
        .filter(payment_plan_invoice::Column::PlanId.eq(plan_id))
        .all(conn)
        .await?
        .into_iter()
        .map(|join| join.invoice_id)
        .collect();
    let mut invoices: Vec<invoice::Model> = invoice::Entity::in_org(org)
        .filter(invoice::Column::Id.is_in(covered))
        .all(conn)
        .await?
        .into_iter()
        .filter(|invoice| invoice.paid_minor < invoice.total_minor)
        .collect();
    invoices.sort_by_key(|invoice| (invoice.due_date, invoice.id));
    Ok(Some((found_plan, chosen, invoices)))
}

/// What is still owed on a plan link's installments (it asks no more than that).
pub async fn owed_on_link(
    conn: &impl ConnectionTrait,
    org: OrganizationId,
    link_id: Uuid,
) -> AppResult<Option<i64>> {
    let joins = payment_link_installment::Entity::in_org(org)
        .filter(payment_link_installment::Column::LinkId.eq(link_id))
        .all(conn)
        .await?;
    let Some(first) = joins.first() else {
        return Ok(None);
    };
    let Some(found) = row::Entity::find_in_org(first.plan_id, org)
        .one(conn)
        .await?
    else {
        return Ok(Some(0));
    };
    if found.status != PlanStatus::Active {
        return Ok(Some(0));
    }
    let all = installments_of_plan(conn, org, found.id).await?;
    let paid = paid_of(conn, org, &found).await?;
    let wanted: HashSet<Uuid> = joins.iter().map(|join| join.installment_id).collect();
    Ok(Some(
        installment_views(&found, &all, paid)
            .iter()
            .filter(|view| wanted.contains(&view.installment.id))
            .map(|view| view.installment.amount_minor - view.paid_minor)
            .sum(),
    ))
}

/// The installments a link pays: (position, how many the plan has, due date), first to last.
pub async fn installments_of_link(
    conn: &impl ConnectionTrait,
    org: OrganizationId,
    link_id: Uuid,
) -> AppResult<Vec<(i32, usize, NaiveDate)>> {
    let joins = payment_link_installment::Entity::in_org(org)
        .filter(payment_link_installment::Column::LinkId.eq(link_id))
        .all(conn)
        .await?;
    let Some(first) = joins.first() else {
        return Ok(Vec::new());
    };
    let all = installments_of_plan(conn, org, first.plan_id).await?;
    let wanted: HashSet<Uuid> = joins.iter().map(|join| join.installment_id).collect();
    Ok(all
        .iter()
        .filter(|installment| wanted.contains(&installment.id))
        .map(|installment| (installment.position, all.len(), installment.due_date))
        .collect())
}

/// Installments by plan, for the API's loader.
pub async fn installments_by_plan(
    conn: &impl ConnectionTrait,
    org: OrganizationId,
    plan_ids: &[Uuid],
) -> AppResult<HashMap<Uuid, Vec<plan_installment::Model>>> {
    let mut grouped: HashMap<Uuid, Vec<plan_installment::Model>> = HashMap::new();
    for installment in plan_installment::Entity::in_org(org)
        .filter(plan_installment::Column::PlanId.is_in(plan_ids.iter().copied()))
        .all(conn)
        .await?
    {
        grouped
            .entry(installment.plan_id)
            .or_default()
            .push(installment);
    }
    for list in grouped.values_mut() {
        list.sort_by_key(|installment| installment.position);
    }
    Ok(grouped)
}

/// Covered invoice ids by plan, for the API's loader.
pub async fn invoices_by_plan(
    conn: &impl ConnectionTrait,
    org: OrganizationId,
    plan_ids: &[Uuid],
) -> AppResult<HashMap<Uuid, Vec<Uuid>>> {
    let mut grouped: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for join in payment_plan_invoice::Entity::in_org(org)
        .filter(payment_plan_invoice::Column::PlanId.is_in(plan_ids.iter().copied()))
        .all(conn)
        .await?
    {
        grouped
            .entry(join.plan_id)
            .or_default()
            .push(join.invoice_id);
    }
    Ok(grouped)
}

/// The plan's currency as a [`Currency`].
pub fn currency_of(plan: &row::Model) -> AppResult<Currency> {
    rules::stored_currency(&plan.currency)
}
