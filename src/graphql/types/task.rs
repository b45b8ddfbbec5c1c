//! Tasks and the worklist: the type, its enums, and the tasks area's query and mutation roots.

use async_graphql::{Enum, InputObject, SimpleObject};

use super::customer::Customer;
use super::id;
use super::invoice::Invoice;
use super::user::User;
use crate::entities::task;
use crate::graphql::area::*;
use crate::graphql::scalars::{Date, DateTime};
use crate::services::tasks;

/// What to do.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::domain::task::TaskKind")]
pub enum TaskKind {
    /// Phone the customer.
    Call,
    /// Write to the customer.
    Email,
    /// Check back on something agreed.
    FollowUp,
    /// Look at something on our side (a payment set aside, a dispute).
    Review,
}

/// Why the task is on the list.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::domain::task::TaskSource")]
pub enum TaskSource {
    /// A person created it.
    Manual,
    /// A reminder policy step asked for a call.
    Dunning,
    /// A promise to pay was broken.
    BrokenPromise,
    /// The customer answered from the pay page.
    CustomerReply,
    /// A cheque or note of the customer's bounced, or sits past its maturity.
    Instrument,
    /// An installment of the customer's payment plan was missed, or the plan broke.
    PaymentPlan,
}

/// Where a task stands.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::domain::task::TaskStatus")]
pub enum TaskStatus {
    Open,
    Done,
    Cancelled,
}

/// Something a person should do about a customer, by a date.
pub struct Task(pub task::Model);

#[Object]
impl Task {
    async fn id(&self) -> ID {
        id(self.0.id)
    }

    async fn kind(&self) -> TaskKind {
        self.0.kind.into()
    }

    async fn source(&self) -> TaskSource {
        self.0.source.into()
    }

    async fn status(&self) -> TaskStatus {
        self.0.status.into()
    }

    /// The day it should be done by; it stays on the worklist until it is.
    async fn due_date(&self) -> Date {
        Date(self.0.due_date)
    }

    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }

    /// What came of it, once done.
    async fn outcome_note(&self) -> Option<&str> {
        self.0.outcome_note.as_deref()
    }

    async fn customer(&self, ctx: &Context<'_>) -> Result<Customer> {
        customer_of(ctx, self.0.customer_id).await
    }

    /// The invoices it is about (none: the customer as a whole).
    async fn invoices(&self, ctx: &Context<'_>) -> Result<Vec<Invoice>> {
        invoices_joined(
            ctx,
            load(ctx, |loaders| &loaders.invoices_of_task, self.0.id).await?,
        )
        .await
    }

    /// Whose it is; null while it waits for a manager to pick it up.
    async fn assignee(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let Some(user_id) = self.0.assignee_id else {
            return Ok(None);
        };
        Ok(load(ctx, |loaders| &loaders.user, user_id).await?.map(User))
    }

    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }

    async fn completed_at(&self) -> Option<DateTime> {
        self.0.completed_at.map(DateTime)
    }
}

/// A task for a customer.
#[derive(InputObject)]
pub struct CreateTaskInput {
    pub kind: TaskKind,
    pub customer_id: ID,
    /// Some of the customer's invoices, or none for the customer as a whole.
    #[graphql(default)]
    pub invoice_ids: Vec<ID>,
    /// Default: today.
    pub due_date: Option<Date>,
    /// Default: the customer's collector, else you.
    pub assignee_id: Option<ID>,
    /// Up to 2,000 characters, line breaks allowed.
    pub note: Option<String>,
}

/// A task done.
#[derive(InputObject)]
pub struct CompleteTaskInput {
    /// An OPEN task: yours, or anyone's for a MANAGER.
    pub id: ID,
    /// What came of it; logged on the customer's history.
    pub note: Option<String>,
}

/// A task for someone else.
#[derive(InputObject)]
pub struct ReassignTaskInput {
    /// An OPEN task.
    pub id: ID,
    /// An active user of the organization, or null for the managers to pick up.
    pub assignee_id: Option<ID>,
}

/// The task as it is now.
#[derive(SimpleObject)]
pub struct TaskPayload {
    pub task: Option<Task>,
    pub user_errors: Vec<UserError>,
}

impl TaskPayload {
    fn from_result(result: crate::error::AppResult<task::Model>) -> Result<Self> {
        let (task, user_errors) = split(result)?;
        Ok(Self {
            task: task.map(Task),
            user_errors,
        })
    }
}

/// The tasks area's queries.
#[derive(Default)]
pub struct TasksQuery;

#[Object]
impl TasksQuery {
    /// What to do by `date` (default today) for `assigneeId` (default you; someone else's needs
    /// MANAGER), most urgent first: broken promises, customer replies, dunning, the rest; within
    /// each, the most money and the longest overdue first. A manager's list also holds the tasks
    /// nobody is assigned.
    #[graphql(complexity = "100 * child_complexity")]
    async fn worklist(
        &self,
        ctx: &Context<'_>,
        assignee_id: Option<ID>,
        date: Option<Date>,
    ) -> Result<Vec<Task>> {
        let (app, viewer) = (ctx.app().gql()?, ctx.viewer().gql()?);
        let assignee = assignee_id.as_ref().map(input_id);
        let found = tasks::worklist(app, viewer, assignee, date.map(|date| date.0))
            .await
            .gql()?;
        let loaders = ctx.loaders().gql()?;
        prefetch::tasks(&loaders, ctx.look_ahead(), found.clone())
            .await
            .gql()?;
        Ok(found.into_iter().map(Task).collect())
    }
}

/// The tasks area's mutations.
#[derive(Default)]
pub struct TasksMutation;

#[Object]
impl TasksMutation {
    /// COLLECTOR and up; logged as TASK_CREATED.
    async fn create_task(&self, ctx: &Context<'_>, input: CreateTaskInput) -> Result<TaskPayload> {
        let (app, viewer) = (ctx.app().gql()?, ctx.viewer().gql()?);
        let new = tasks::NewTask {
            kind: input.kind.into(),
            customer_id: input_id(&input.customer_id),
            invoice_ids: input.invoice_ids.iter().map(input_id).collect(),
            due_date: input.due_date.map(|date| date.0),
            assignee_id: input.assignee_id.as_ref().map(input_id),
            note: input.note,
        };
        TaskPayload::from_result(tasks::create(app, viewer, new).await)
    }

    /// Your task, or anyone's for a MANAGER; logged as TASK_COMPLETED with the note.
    async fn complete_task(
        &self,
        ctx: &Context<'_>,
        input: CompleteTaskInput,
    ) -> Result<TaskPayload> {
        let (app, viewer) = (ctx.app().gql()?, ctx.viewer().gql()?);
        let result = tasks::complete(app, viewer, input_id(&input.id), input.note.as_deref()).await;
        TaskPayload::from_result(result)
    }

    /// MANAGER and up.
    async fn reassign_task(
        &self,
        ctx: &Context<'_>,
        input: ReassignTaskInput,
    ) -> Result<TaskPayload> {
        let (app, viewer) = (ctx.app().gql()?, ctx.viewer().gql()?);
        let assignee = input.assignee_id.as_ref().map(input_id);
        let result = tasks::reassign(app, viewer, input_id(&input.id), assignee).await;
        TaskPayload::from_result(result)
    }
}
