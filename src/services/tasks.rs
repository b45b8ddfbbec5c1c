//! Tasks and the collector's worklist: what to do today, most urgent first.
//!
//! A COLLECTOR sees and completes their own tasks; MANAGER and up see and complete everyone's, and
//! pick up tasks nobody is assigned (customers without a collector). Creating and completing a task
//! are logged on the customer's history.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, QueryFilter,
};
use serde_json::json;
use uuid::Uuid;

use super::activities::{self, Actor, Entry};
use super::rules;
use super::scope::{self, OrgScoped, customer_for_input};
use crate::auth::Viewer;
use crate::domain::activity::ActivityKind;
use crate::domain::ids::OrganizationId;
use crate::domain::invoice::InvoiceStatus;
use crate::domain::role::Role;
use crate::domain::task::{TaskKind, TaskSource, TaskStatus};
use crate::entities::{activity, invoice, task, task_invoice, user};
use crate::error::{AppResult, FieldError, Validation};
use crate::state::AppState;

/// The longest task note or outcome.
pub const MAX_NOTE: usize = 2_000;

/// What `createTask` asks for.
#[derive(Debug, Clone)]
pub struct NewTask {
    pub kind: TaskKind,
    pub customer_id: Uuid,
    pub invoice_ids: Vec<Uuid>,
    /// Default: today.
    pub due_date: Option<NaiveDate>,
    /// Default: the customer's collector, else the caller.
    pub assignee_id: Option<Uuid>,
    pub note: Option<String>,
}

/// COLLECTOR and up: a task for a customer and some of their invoices.
#[tracing::instrument(skip_all)]
pub async fn create(app: &AppState, viewer: &Viewer, input: NewTask) -> AppResult<task::Model> {
    viewer.require(Role::Collector)?;
    let org = viewer.organization_id;
    let now = app.clock.now();
    let mut checks = Validation::new();
    let note = checks.value(rules::optional_note(
        input.note.as_deref(),
        MAX_NOTE,
        &["note"],
    ));
    let due_date = input.due_date.unwrap_or_else(|| app.clock.today());
    let txn = app.db.begin().await?;
    let customer = customer_for_input(&txn, org, input.customer_id, &mut checks).await?;
    scope::customer_invoices_for_input(
        &txn,
        org,
        input.customer_id,
        &input.invoice_ids,
        None,
        &mut checks,
    )
    .await?;
    let assignee = match input.assignee_id {
        Some(id) => Some(active_user(&txn, org, id, &mut checks).await?),
        None => customer
            .as_ref()
            .and_then(|customer| customer.assigned_collector_id)
            .or(Some(viewer.user_id.0)),
    };
    checks.finish()?;
    let invoice_ids = unique(&input.invoice_ids);
    let created = record(
        &txn,
        org,
        Actor::User(viewer),
        Planned {
            kind: input.kind,
            source: TaskSource::Manual,
            customer_id: input.customer_id,
            invoice_ids: &invoice_ids,
            due_date,
            assignee_id: assignee,
            note,
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// A task to write, from a person or from the system (dunning, a broken promise, a customer).
#[derive(Debug, Clone)]
pub struct Planned<'a> {
    pub kind: TaskKind,
    pub source: TaskSource,
    pub customer_id: Uuid,
    pub invoice_ids: &'a [Uuid],
    pub due_date: NaiveDate,
    pub assignee_id: Option<Uuid>,
    pub note: Option<String>,
}

/// Writes a task, its invoices and its TASK_CREATED activity, inside the caller's transaction.
pub async fn record(
    conn: &impl ConnectionTrait,
    org: OrganizationId,
    actor: Actor<'_>,
    planned: Planned<'_>,
    now: DateTime<Utc>,
) -> AppResult<task::Model> {
    let (task, joins, activity) = rows(org, actor, planned, now);
    let created = task.insert(conn).await?;
    scope::insert_all(conn, joins).await?;
    activities::append_rows(conn, org, vec![activity], now).await?;
    Ok(created)
}

/// The rows of a new task: the task, its invoices, its TASK_CREATED activity.
pub fn rows(
    org: OrganizationId,
    actor: Actor<'_>,
    planned: Planned<'_>,
    now: DateTime<Utc>,
) -> (
    task::ActiveModel,
    Vec<task_invoice::ActiveModel>,
    activity::ActiveModel,
) {
    let created_by = match actor {
        Actor::User(viewer) => Some(viewer.user_id.0),
        Actor::System(_) => None,
    };
    let id = Uuid::now_v7();
    let task = task::ActiveModel {
        id: Set(id),
        organization_id: Set(org.0),
        customer_id: Set(planned.customer_id),
        kind: Set(planned.kind),
        source: Set(planned.source),
        status: Set(TaskStatus::Open),
        due_date: Set(planned.due_date),
        assignee_id: Set(planned.assignee_id),
        note: Set(planned.note.clone()),
        outcome_note: Set(None),
        created_by: Set(created_by),
        created_at: Set(now),
        completed_by: Set(None),
        completed_at: Set(None),
        updated_at: Set(now),
    };
    let joins = planned
        .invoice_ids
        .iter()
        .map(|invoice_id| task_invoice::ActiveModel {
            id: Set(Uuid::now_v7()),
            organization_id: Set(org.0),
            task_id: Set(id),
            invoice_id: Set(*invoice_id),
        })
        .collect();
    let entry = Entry {
        customer_id: planned.customer_id,
        invoice_id: match planned.invoice_ids {
            [only] => Some(*only),
            _ => None,
        },
        kind: ActivityKind::TaskCreated,
        note: planned.note,
        data: json!({
            "taskId": id,
            "kind": sea_orm::ActiveEnum::to_value(&planned.kind),
            "source": sea_orm::ActiveEnum::to_value(&planned.source),
            "dueDate": planned.due_date,
            "assigneeId": planned.assignee_id,
        }),
    };
    (task, joins, activities::row(org, actor, entry, now))
}

/// Marks an OPEN task done with what came of it: the assignee, or MANAGER and up.
#[tracing::instrument(skip_all)]
pub async fn complete(
    app: &AppState,
    viewer: &Viewer,
    id: Uuid,
    note: Option<&str>,
) -> AppResult<task::Model> {
    viewer.require(Role::Collector)?;
    let org = viewer.organization_id;
    let mut checks = Validation::new();
    let note = checks.value(rules::optional_note(note, MAX_NOTE, &["note"]));
    let txn = app.db.begin().await?;
    let found = open_task(&txn, org, id).await?;
    if found.assignee_id != Some(viewer.user_id.0) {
        viewer.require(Role::Manager)?;
    }
    checks.finish()?;
    let now = app.clock.now();
    let mut row: task::ActiveModel = found.clone().into();
    row.status = Set(TaskStatus::Done);
    row.outcome_note = Set(note.clone());
    row.completed_by = Set(Some(viewer.user_id.0));
    row.completed_at = Set(Some(now));
    row.updated_at = Set(now);
    let done = row.update(&txn).await?;
    let entry = Entry {
        customer_id: done.customer_id,
        invoice_id: None,
        kind: ActivityKind::TaskCompleted,
        note,
        data: json!({"taskId": done.id, "kind": sea_orm::ActiveEnum::to_value(&done.kind)}),
    };
    activities::append(&txn, org, Actor::User(viewer), entry, now).await?;
    txn.commit().await?;
    Ok(done)
}

/// MANAGER and up: gives an OPEN task to someone else, or (None) to the managers' pool.
#[tracing::instrument(skip_all)]
pub async fn reassign(
    app: &AppState,
    viewer: &Viewer,
    id: Uuid,
    assignee_id: Option<Uuid>,
) -> AppResult<task::Model> {
    viewer.require(Role::Manager)?;
    let org = viewer.organization_id;
    let mut checks = Validation::new();
    let txn = app.db.begin().await?;
    let found = open_task(&txn, org, id).await?;
    if let Some(assignee) = assignee_id {
        active_user(&txn, org, assignee, &mut checks).await?;
    }
    checks.finish()?;
    let now = app.clock.now();
    let mut row: task::ActiveModel = found.into();
    row.assignee_id = Set(assignee_id);
    row.updated_at = Set(now);
    let moved = row.update(&txn).await?;
    let entry = Entry {
        customer_id: moved.customer_id,
        invoice_id: None,
        kind: ActivityKind::TaskAssigned,
        note: None,
        data: json!({
            "taskId": moved.id,
            "kind": sea_orm::ActiveEnum::to_value(&moved.kind),
            "assigneeId": assignee_id,
        }),
    };
    activities::append(&txn, org, Actor::User(viewer), entry, now).await?;
    txn.commit().await?;
    Ok(moved)
}

/// The OPEN tasks due by `date` (default today) for `assignee` (default the caller), most urgent
/// first: broken promises, customer replies, dunning, the rest; within each, the most money overdue
/// and the longest overdue first. A manager's list also holds the tasks nobody is assigned.
pub async fn worklist(
    app: &AppState,
    viewer: &Viewer,
    assignee: Option<Uuid>,
    date: Option<NaiveDate>,
) -> AppResult<Vec<task::Model>> {
    let org = viewer.organization_id;
    let assignee = assignee.unwrap_or(viewer.user_id.0);
    if assignee != viewer.user_id.0 {
        viewer.require(Role::Manager)?;
    }
    let date = date.unwrap_or_else(|| app.clock.today());
    let manages = user::Entity::find_in_org(assignee, org)
        .one(app.db.reader())
        .await?
        .is_some_and(|user| user.role.allows(Role::Manager));
    let mut whose = Condition::any().add(task::Column::AssigneeId.eq(assignee));
    if manages {
        whose = whose.add(task::Column::AssigneeId.is_null());
    }
    let tasks = task::Entity::in_org(org)
        .filter(task::Column::Status.eq(TaskStatus::Open))
        .filter(task::Column::DueDate.lte(date))
        .filter(whose)
        .all(app.db.reader())
        .await?;
    let urgency = overdue_of(app, org, &tasks, date).await?;
    let mut ranked: Vec<(task::Model, Urgency)> = tasks
        .into_iter()
        .map(|task| {
            let urgency = urgency.get(&task.id).copied().unwrap_or_default();
            (task, urgency)
        })
        .collect();
    ranked.sort_by_key(|(task, urgency)| {
        (
            task.source.priority(),
            std::cmp::Reverse(urgency.overdue_minor),
            std::cmp::Reverse(urgency.days_overdue),
            task.due_date,
            task.id,
        )
    });
    Ok(ranked.into_iter().map(|(task, _)| task).collect())
}

/// How much a task's invoices (or, without invoices, its customer's) are overdue.
#[derive(Debug, Clone, Copy, Default)]
struct Urgency {
    /// Summed across currencies: an ordering hint, never shown as money.
    overdue_minor: i128,
    days_overdue: i64,
}

async fn overdue_of(
    app: &AppState,
    org: OrganizationId,
    tasks: &[task::Model],
    date: NaiveDate,
) -> AppResult<HashMap<Uuid, Urgency>> {
    if tasks.is_empty() {
        return Ok(HashMap::new());
    }
    let joins = task_invoice::Entity::in_org(org)
        .filter(task_invoice::Column::TaskId.is_in(tasks.iter().map(|task| task.id)))
        .all(app.db.reader())
        .await?;
    let customers = tasks.iter().map(|task| task.customer_id);
    let invoices = invoice::Entity::in_org(org)
        .filter(invoice::Column::CustomerId.is_in(customers))
        .filter(invoice::Column::DueDate.lt(date))
        .filter(invoice::Column::Status.is_in([InvoiceStatus::Open, InvoiceStatus::PartiallyPaid]))
        .all(app.db.reader())
        .await?;
    let mut urgency = HashMap::new();
    for task in tasks {
        let named: Vec<Uuid> = joins
            .iter()
            .filter(|join| join.task_id == task.id)
            .map(|join| join.invoice_id)
            .collect();
        let mut found = Urgency::default();
        for invoice in invoices.iter().filter(|invoice| {
            invoice.customer_id == task.customer_id
                && (named.is_empty() || named.contains(&invoice.id))
        }) {
            found.overdue_minor += i128::from(invoice.total_minor - invoice.paid_minor);
            found.days_overdue = found.days_overdue.max((date - invoice.due_date).num_days());
        }
        urgency.insert(task.id, found);
    }
    Ok(urgency)
}

/// An OPEN task of the organization: NOT_FOUND or NOT_OPEN on `id` otherwise.
async fn open_task(
    conn: &impl ConnectionTrait,
    org: OrganizationId,
    id: Uuid,
) -> AppResult<task::Model> {
    let found = task::Entity::find_in_org(id, org)
        .one(conn)
        .await?
        .ok_or_else(|| FieldError::new(&["id"], "NOT_FOUND", "no such task").into_error())?;
    if found.status != TaskStatus::Open {
        let done = FieldError::new(&["id"], "NOT_OPEN", "the task is done or cancelled already");
        return Err(done.into_error());
    }
    Ok(found)
}

/// An active user of the organization, or NOT_FOUND on `assigneeId`.
async fn active_user(
    conn: &impl ConnectionTrait,
    org: OrganizationId,
    id: Uuid,
    checks: &mut Validation,
) -> AppResult<Uuid> {
    let found = user::Entity::find_in_org(id, org).one(conn).await?;
    let usable = found.is_some_and(|user| user.deactivated_at.is_none());
    checks.check(!usable, &["assigneeId"], "NOT_FOUND", "no such active user");
    Ok(id)
}

fn unique(ids: &[Uuid]) -> Vec<Uuid> {
    let mut seen = std::collections::HashSet::new();
    ids.iter().copied().filter(|id| seen.insert(*id)).collect()
}
