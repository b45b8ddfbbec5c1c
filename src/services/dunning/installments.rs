//! Reminders for payment-plan installments. While a plan is ACTIVE its invoices leave normal
//! dunning; instead each unpaid installment goes through the customer's policy, its steps
//! counted from the installment's due date, with a pay link for that installment. The sending
//! (routes, fallbacks, exactly-once keys) is the scheduler's own; the keys are per
//! (installment, policy, day).

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use super::scheduler::{Planned, Policies};
use crate::domain::dunning::latest_due_step;
use crate::domain::ids::OrganizationId;
use crate::domain::money::Money;
use crate::domain::plan::{InstallmentStatus, PlanStatus};
use crate::entities::{customer, invoice, payment_plan, plan_reminder_send};
use crate::error::AppResult;
use crate::services::plans;
use crate::services::scope::OrgScoped;

/// The installment a reminder is about.
#[derive(Debug, Clone)]
pub struct InstallmentDue {
    pub id: Uuid,
    pub plan_id: Uuid,
    /// 1 for the first.
    pub position: i32,
    /// How many the plan has.
    pub count: usize,
    pub due_date: NaiveDate,
    /// What is left to pay on it.
    pub left: Money,
}

/// The installment messages the policies call for on `today`.
pub(super) async fn plan(
    conn: &impl ConnectionTrait,
    org: OrganizationId,
    policies: &Policies,
    today: NaiveDate,
) -> AppResult<Vec<Planned>> {
    let active = payment_plan::Entity::in_org(org)
        .filter(payment_plan::Column::Status.eq(PlanStatus::Active))
        .all(conn)
        .await?;
    if active.is_empty() {
        return Ok(Vec::new());
    }
    let customers: HashMap<Uuid, customer::Model> = customer::Entity::in_org(org)
        .filter(customer::Column::Id.is_in(active.iter().map(|plan| plan.customer_id)))
        .all(conn)
        .await?
        .into_iter()
        .filter(|customer| policies.reminds(customer, today))
        .map(|customer| (customer.id, customer))
        .collect();
    let active: Vec<&payment_plan::Model> = active
        .iter()
        .filter(|plan| customers.contains_key(&plan.customer_id))
        .collect();
    if active.is_empty() {
        return Ok(Vec::new());
    }
    let plan_ids: Vec<Uuid> = active.iter().map(|plan| plan.id).collect();
    let paid = plans::paid_by_plan(conn, org, &active).await?;
    let installments = plans::installments_by_plan(conn, org, &plan_ids).await?;
    let covered = plans::invoices_by_plan(conn, org, &plan_ids).await?;
    let owing: HashMap<Uuid, invoice::Model> = invoice::Entity::in_org(org)
        .filter(invoice::Column::Id.is_in(covered.values().flatten().copied()))
        .all(conn)
        .await?
        .into_iter()
        .filter(|invoice| invoice.paid_minor < invoice.total_minor)
        .map(|invoice| (invoice.id, invoice))
        .collect();
    let all_installments: Vec<Uuid> = installments
        .values()
        .flatten()
        .map(|installment| installment.id)
        .collect();
    let handled: HashSet<(Uuid, Uuid, i32)> = plan_reminder_send::Entity::in_org(org)
        .select_only()
        .column(plan_reminder_send::Column::InstallmentId)
        .column(plan_reminder_send::Column::PolicyId)
        .column(plan_reminder_send::Column::OffsetDays)
        .filter(plan_reminder_send::Column::InstallmentId.is_in(all_installments))
        .into_tuple()
        .all(conn)
        .await?
        .into_iter()
        .collect();

    let mut planned = Vec::new();
    for found in active {
        let (Some(customer), Some(list)) = (
            customers.get(&found.customer_id),
            installments.get(&found.id),
        ) else {
            continue;
        };
        let Some((policy, steps)) = policies.of(customer) else {
            continue;
        };
        let currency = plans::currency_of(found)?;
        let offsets: Vec<i32> = steps.iter().map(|step| step.offset_days).collect();
        let paid_in = paid.get(&found.id).copied().unwrap_or(0);
        let mut invoices: Vec<invoice::Model> = covered
            .get(&found.id)
            .into_iter()
            .flatten()
            .filter_map(|id| owing.get(id).cloned())
            .collect();
        invoices.sort_by_key(|invoice| (invoice.due_date, invoice.id));
        for view in plans::installment_views(found, list, paid_in) {
            if view.status == InstallmentStatus::Paid {
                continue;
            }
            let installment = &view.installment;
            let Some(latest) = latest_due_step(&offsets, installment.due_date, today) else {
                continue;
            };
            if handled.contains(&(installment.id, policy.id, latest)) {
                continue;
            }
            let Some(step) = steps.iter().find(|step| step.offset_days == latest) else {
                continue;
            };
            let days = (today - installment.due_date).num_days();
            let skipped = offsets
                .iter()
                .filter(|offset| **offset < latest && i64::from(**offset) <= days)
                .filter(|offset| !handled.contains(&(installment.id, policy.id, **offset)))
                .map(|offset| (installment.id, *offset))
                .collect();
            planned.push(Planned {
                customer: customer.clone(),
                policy_id: policy.id,
                max_installments: policy.max_installments,
                step: step.clone(),
                invoices: invoices.clone(),
                skipped,
                installment: Some(InstallmentDue {
                    id: installment.id,
                    plan_id: found.id,
                    position: installment.position,
                    count: list.len(),
                    due_date: installment.due_date,
                    left: Money::from_minor(installment.amount_minor - view.paid_minor, currency),
                }),
            });
        }
    }
    planned.sort_by_key(|message| (message.customer.name.clone(), message.step.offset_days));
    Ok(planned)
}
