//! Payment plans in the API: the plan and its installments, and the plans area's query and
//! mutation roots.

use async_graphql::{Enum, InputObject, SimpleObject};

use super::customer::Customer;
use super::id;
use super::invoice::Invoice;
use super::money::Money;
use crate::domain::money::Money as DomainMoney;
use crate::domain::plan as domain;
use crate::entities::payment_plan;
use crate::graphql::area::*;
use crate::graphql::scalars::{Date, DateTime, Decimal};
use crate::services::plans;

/// Where a payment plan stands.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::domain::plan::PlanStatus")]
pub enum PaymentPlanStatus {
    /// Being paid; its invoices are out of normal dunning and its installments are reminded.
    Active,
    /// Every installment was paid.
    Completed,
    /// Too many installments were missed (the `planMissesToBreak` setting); normal dunning
    /// resumed on what its invoices still owe.
    Broken,
    /// Withdrawn by a person.
    Cancelled,
}

/// Where an installment stands.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum InstallmentStatus {
    /// Not paid yet, and not past its due date plus grace.
    Pending,
    /// Part of it is paid.
    PartiallyPaid,
    /// Paid in full (late or not).
    Paid,
    /// Unpaid past its due date plus the `planGraceDays` setting.
    Missed,
}

impl From<domain::InstallmentStatus> for InstallmentStatus {
    fn from(status: domain::InstallmentStatus) -> Self {
        match status {
            domain::InstallmentStatus::Pending => Self::Pending,
            domain::InstallmentStatus::PartiallyPaid => Self::PartiallyPaid,
            domain::InstallmentStatus::Paid => Self::Paid,
            domain::InstallmentStatus::Missed => Self::Missed,
        }
    }
}

/// How generated installments follow one another.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum PlanInterval {
    /// Every 7 days from the first.
    Weekly,
    /// The same day each month from the first (the month's last day where it is shorter).
    Monthly,
}

impl From<PlanInterval> for domain::Interval {
    fn from(interval: PlanInterval) -> Self {
        match interval {
            PlanInterval::Weekly => Self::Weekly,
            PlanInterval::Monthly => Self::Monthly,
        }
    }
}

/// A payment plan (see its GraphQL description on the `Object` impl).
pub struct PaymentPlan(pub payment_plan::Model);

impl PaymentPlan {
    fn money(&self, minor: i64) -> Result<Money> {
        let currency = plans::currency_of(&self.0).gql()?;
        Ok(DomainMoney::from_minor(minor, currency).into())
    }

    fn total_minor(&self) -> i64 {
        self.0.principal_minor + self.0.interest_minor
    }

    async fn paid_minor(&self, ctx: &Context<'_>) -> Result<i64> {
        Ok(load(ctx, |loaders| &loaders.plan_paid, self.0.id)
            .await?
            .unwrap_or(0))
    }
}

/// An agreement to pay some overdue invoices (plus interest, vade farkı) in installments
/// (taksitli ödeme planı). Money reaching its invoices after it was made fills the installments
/// oldest first; the interest is paid after the invoices.
#[Object]
impl PaymentPlan {
    /// The plan's id.
    async fn id(&self) -> ID {
        id(self.0.id)
    }

    /// Where it stands.
    async fn status(&self) -> PaymentPlanStatus {
        self.0.status.into()
    }

    /// Whose plan it is.
    async fn customer(&self, ctx: &Context<'_>) -> Result<Customer> {
        customer_of(ctx, self.0.customer_id).await
    }

    /// What the covered invoices owed when the plan was made.
    async fn principal(&self) -> Result<Money> {
        self.money(self.0.principal_minor)
    }

    /// The plan's own charge (vade farkı): principal × interestPercent, booked apart from the
    /// invoices and paid after them.
    async fn interest(&self) -> Result<Money> {
        self.money(self.0.interest_minor)
    }

    /// The agreed interest, in percent of the principal (e.g. "5.00").
    async fn interest_percent(&self) -> Decimal {
        let mut percent = rust_decimal::Decimal::new(i64::from(self.0.interest_basis_points), 2);
        percent.rescale(2);
        Decimal(percent)
    }

    /// Principal plus interest: what the installments add up to.
    async fn total(&self) -> Result<Money> {
        self.money(self.total_minor())
    }

    /// What has been paid on the plan: on its invoices since it was made, plus interest.
    async fn paid(&self, ctx: &Context<'_>) -> Result<Money> {
        let paid = self.paid_minor(ctx).await?;
        self.money(paid.clamp(0, self.total_minor()))
    }

    /// What is left of the total.
    async fn left(&self, ctx: &Context<'_>) -> Result<Money> {
        let paid = self.paid_minor(ctx).await?;
        self.money((self.total_minor() - paid).max(0))
    }

    /// The installments, first to last, each with what is paid on it.
    async fn installments(&self, ctx: &Context<'_>) -> Result<Vec<PlanInstallment>> {
        let listed = load(ctx, |loaders| &loaders.installments_of_plan, self.0.id)
            .await?
            .unwrap_or_default();
        let paid = self.paid_minor(ctx).await?;
        plans::installment_views(&self.0, &listed, paid)
            .into_iter()
            .map(|view| PlanInstallment::new(view, listed.len()))
            .collect()
    }

    /// The invoices it covers.
    async fn invoices(&self, ctx: &Context<'_>) -> Result<Vec<Invoice>> {
        invoices_joined(
            ctx,
            load(ctx, |loaders| &loaders.invoices_of_plan, self.0.id).await?,
        )
        .await
    }

    /// Up to 2,000 characters, as agreed with the customer.
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }

    /// Who agreed it: a user's email.
    async fn created_by_label(&self) -> &str {
        &self.0.created_by_label
    }

    /// When it was agreed.
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }

    /// When it was completed, broken or cancelled.
    async fn ended_at(&self) -> Option<DateTime> {
        self.0.ended_at.map(DateTime)
    }

    /// Why it ended: the cancellation's reason, or how many installments were missed.
    async fn end_reason(&self) -> Option<&str> {
        self.0.end_reason.as_deref()
    }
}

/// One installment (taksit) of a payment plan.
#[derive(SimpleObject)]
pub struct PlanInstallment {
    /// The installment's id (for `createPaymentLink(planInstallmentIds:)`).
    pub id: ID,
    /// 1 for the first.
    pub position: i32,
    /// How many the plan has (for "2/3").
    pub count: i32,
    /// The agreed day.
    pub due_date: Date,
    /// The agreed amount.
    pub amount: Money,
    /// What the plan's money paid of it (oldest installments are filled first).
    pub paid: Money,
    /// What is left to pay on it.
    pub left: Money,
    /// Where it stands.
    pub status: InstallmentStatus,
    /// When the plan job found it unpaid past its due date plus grace; it stays set if it is
    /// paid later.
    pub missed_at: Option<DateTime>,
}

impl PlanInstallment {
    fn new(view: plans::InstallmentView, count: usize) -> Result<Self> {
        let currency = crate::services::rules::stored_currency(&view.currency).gql()?;
        let money = |minor| Money::from(DomainMoney::from_minor(minor, currency));
        let installment = &view.installment;
        Ok(Self {
            id: id(installment.id),
            position: installment.position,
            count: i32::try_from(count).unwrap_or(i32::MAX),
            due_date: Date(installment.due_date),
            amount: money(installment.amount_minor),
            paid: money(view.paid_minor),
            left: money(installment.amount_minor - view.paid_minor),
            status: view.status.into(),
            missed_at: installment.missed_at.map(DateTime),
        })
    }
}

/// Which plans to list.
#[derive(InputObject)]
pub struct PaymentPlanFilter {
    /// One customer's plans.
    pub customer_id: Option<ID>,
    /// Plans in this status.
    pub status: Option<PaymentPlanStatus>,
}

/// One installment of a plan given by hand.
#[derive(InputObject)]
pub struct PlanInstallmentInput {
    /// After the one before; the first today or later, the last at most three years ahead.
    pub due_date: Date,
    /// In the plan's currency (its invoices'), positive.
    pub amount: Decimal,
}

/// A payment plan agreed with the customer. Give either `installments`, or `count`,
/// `firstDueDate` and `interval` (equal parts, the remainder on the first).
#[derive(InputObject)]
pub struct CreatePaymentPlanInput {
    /// Whose plan it is.
    pub customer_id: ID,
    /// Unpaid, undisputed invoices of the customer in one currency, in no other active plan.
    /// The plan covers what they owe now.
    pub invoice_ids: Vec<ID>,
    /// The installments by hand: they must add up exactly to the balance plus interest, and
    /// their dates ascend.
    pub installments: Option<Vec<PlanInstallmentInput>>,
    /// How many installments to generate, 1 to 60.
    pub count: Option<i32>,
    /// The first generated installment's due date: today or later.
    pub first_due_date: Option<Date>,
    /// How generated installments follow one another.
    pub interval: Option<PlanInterval>,
    /// Interest (vade farkı) on the balance, 0 to 100 percent to two decimals; default none.
    pub interest_percent: Option<Decimal>,
    /// Up to 2,000 characters, line breaks allowed.
    pub note: Option<String>,
}

/// Which plan to withdraw, and why.
#[derive(InputObject)]
pub struct CancelPaymentPlanInput {
    /// An ACTIVE plan.
    pub id: ID,
    /// Required, up to 2,000 characters: kept on the plan and in the activity log.
    pub reason: String,
}

/// The plan as it is now, or what was wrong with the input.
#[derive(SimpleObject)]
pub struct PaymentPlanPayload {
    /// The plan; null when the input was refused.
    pub plan: Option<PaymentPlan>,
    /// What was wrong with the input (nothing was changed then).
    pub user_errors: Vec<UserError>,
}

impl PaymentPlanPayload {
    fn from_result(result: crate::error::AppResult<payment_plan::Model>) -> Result<Self> {
        let (plan, user_errors) = split(result)?;
        Ok(Self {
            plan: plan.map(PaymentPlan),
            user_errors,
        })
    }
}

/// The payment plans area's queries.
#[derive(Default)]
pub struct PlansQuery;

#[Object]
impl PlansQuery {
    /// A payment plan by id; null when there is none in the viewer's organization.
    async fn payment_plan(&self, ctx: &Context<'_>, id: ID) -> Result<Option<PaymentPlan>> {
        let Some(id) = parse_id(&id) else {
            return Ok(None);
        };
        Ok(load(ctx, |loaders| &loaders.plan, id)
            .await?
            .map(PaymentPlan))
    }

    /// Payment plans, newest first.
    #[graphql(complexity = "first.unwrap_or(20).max(1) as usize * child_complexity")]
    async fn payment_plans(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many, 1 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the page before.")] after: Option<String>,
        #[graphql(desc = "Which plans; all when left out.")] filter: Option<PaymentPlanFilter>,
    ) -> Result<PaymentPlanConnection> {
        let viewer = ctx.viewer().gql()?;
        let filter = filter.map_or_else(plans::PlanFilter::default, |filter| plans::PlanFilter {
            customer_id: filter.customer_id.as_ref().map(input_id),
            status: filter.status.map(Into::into),
        });
        let select = plans::filtered(viewer.organization_id, &filter);
        Ok(list(
            ctx,
            first,
            after,
            select,
            &plans::ORDER,
            prefetch::plans,
            PaymentPlan,
        )
        .await?
        .into())
    }
}

/// The payment plans area's mutations.
#[derive(Default)]
pub struct PlansMutation;

#[Object]
impl PlansMutation {
    /// COLLECTOR and up: agrees a plan; logged as PLAN_CREATED. Its invoices leave normal
    /// dunning while it is ACTIVE.
    async fn create_payment_plan(
        &self,
        ctx: &Context<'_>,
        input: CreatePaymentPlanInput,
    ) -> Result<PaymentPlanPayload> {
        let (app, viewer) = (ctx.app().gql()?, ctx.viewer().gql()?);
        let generated = (input.count, input.first_due_date, input.interval);
        let schedule = match (input.installments, generated) {
            (Some(listed), (None, None, None)) => Some(plans::Schedule::Listed(
                listed
                    .into_iter()
                    .map(|installment| (installment.due_date.0, installment.amount.0))
                    .collect(),
            )),
            (None, (Some(count), Some(first), Some(interval))) => {
                Some(plans::Schedule::Generated {
                    count,
                    first_due_date: first.0,
                    interval: interval.into(),
                })
            }
            _ => None,
        };
        let new = plans::NewPlan {
            customer_id: input_id(&input.customer_id),
            invoice_ids: input.invoice_ids.iter().map(input_id).collect(),
            schedule,
            interest_percent: input.interest_percent.map(|percent| percent.0),
            note: input.note,
        };
        let result = plans::create(app, viewer, new).await;
        PaymentPlanPayload::from_result(result.map(|view| view.plan))
    }

    /// COLLECTOR and up: withdraws an ACTIVE plan (PLAN_CANCELLED); its installment links are
    /// withdrawn and its invoices go back to normal dunning.
    async fn cancel_payment_plan(
        &self,
        ctx: &Context<'_>,
        input: CancelPaymentPlanInput,
    ) -> Result<PaymentPlanPayload> {
        let (app, viewer) = (ctx.app().gql()?, ctx.viewer().gql()?);
        let result = plans::cancel(app, viewer, input_id(&input.id), &input.reason).await;
        PaymentPlanPayload::from_result(result)
    }
}
