//! Promises to pay: the type, its status, and the promises area's query and mutation roots.

use async_graphql::{Enum, InputObject, SimpleObject};

use super::customer::Customer;
use super::id;
use super::invoice::Invoice;
use super::money::Money;
use crate::domain::money::Money as DomainMoney;
use crate::entities::promise;
use crate::graphql::area::*;
use crate::graphql::scalars::{Date, DateTime, Decimal};
use crate::services::promises;

/// Where a promise stands.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::domain::promise::PromiseStatus")]
pub enum PromiseStatus {
    /// Waiting for the money.
    Open,
    /// The promised amount arrived by the date (plus the grace days).
    Kept,
    /// It did not; a call went on the collector's worklist.
    Broken,
    /// Withdrawn by a person.
    Cancelled,
}

/// An amount a customer promised to pay by a date, over some of their invoices.
pub struct Promise(pub promise::Model);

#[Object]
impl Promise {
    async fn id(&self) -> ID {
        id(self.0.id)
    }

    async fn status(&self) -> PromiseStatus {
        self.0.status.into()
    }

    async fn amount(&self) -> Result<Money> {
        let currency = crate::services::rules::stored_currency(&self.0.currency).gql()?;
        Ok(DomainMoney::from_minor(self.0.amount_minor, currency).into())
    }

    /// The day the customer said they would pay by.
    async fn promised_date(&self) -> Date {
        Date(self.0.promised_date)
    }

    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }

    async fn customer(&self, ctx: &Context<'_>) -> Result<Customer> {
        customer_of(ctx, self.0.customer_id).await
    }

    /// The invoices it covers.
    async fn invoices(&self, ctx: &Context<'_>) -> Result<Vec<Invoice>> {
        invoices_joined(
            ctx,
            load(ctx, |loaders| &loaders.invoices_of_promise, self.0.id).await?,
        )
        .await
    }

    /// Who noted it: a user's email, or `customer` from the pay page.
    async fn created_by_label(&self) -> &str {
        &self.0.created_by_label
    }

    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }

    /// When it was kept, broken or cancelled.
    async fn settled_at(&self) -> Option<DateTime> {
        self.0.settled_at.map(DateTime)
    }
}

/// How a customer's promises went.
#[derive(SimpleObject)]
pub struct PromiseStats {
    pub made: u64,
    pub kept: u64,
    pub broken: u64,
    /// kept / (kept + broken), as a decimal such as "0.75"; null before any was settled.
    pub kept_ratio: Option<Decimal>,
}

impl From<promises::PromiseStats> for PromiseStats {
    fn from(stats: promises::PromiseStats) -> Self {
        let settled = stats.kept + stats.broken;
        let kept_ratio = (settled > 0).then(|| {
            let mut ratio = (rust_decimal::Decimal::from(stats.kept)
                / rust_decimal::Decimal::from(settled))
            .round_dp(2);
            // Always two places: "1.00", "0.50", "0.67".
            ratio.rescale(2);
            Decimal(ratio)
        });
        Self {
            made: stats.made,
            kept: stats.kept,
            broken: stats.broken,
            kept_ratio,
        }
    }
}

/// Which promises to list.
#[derive(InputObject)]
pub struct PromiseFilter {
    pub customer_id: Option<ID>,
    pub status: Option<PromiseStatus>,
}

/// A promise the customer made.
#[derive(InputObject)]
pub struct CreatePromiseInput {
    pub customer_id: ID,
    /// One or more of the customer's invoices, in the promise's currency.
    pub invoice_ids: Vec<ID>,
    pub amount: Decimal,
    pub currency: String,
    /// Today or later, at most a year ahead.
    pub promised_date: Date,
    /// Up to 2,000 characters, line breaks allowed.
    pub note: Option<String>,
}

/// Which promise to withdraw.
#[derive(InputObject)]
pub struct CancelPromiseInput {
    /// An OPEN promise.
    pub id: ID,
}

/// The promise as it is now.
#[derive(SimpleObject)]
pub struct PromisePayload {
    pub promise: Option<Promise>,
    pub user_errors: Vec<UserError>,
}

impl PromisePayload {
    fn from_result(result: crate::error::AppResult<promise::Model>) -> Result<Self> {
        let (promise, user_errors) = split(result)?;
        Ok(Self {
            promise: promise.map(Promise),
            user_errors,
        })
    }
}

/// The promises area's queries.
#[derive(Default)]
pub struct PromisesQuery;

#[Object]
impl PromisesQuery {
    /// Promises to pay, newest first.
    #[graphql(complexity = "first.unwrap_or(20).max(1) as usize * child_complexity")]
    async fn promises(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many, 1 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the page before.")] after: Option<String>,
        filter: Option<PromiseFilter>,
    ) -> Result<PromiseConnection> {
        let viewer = ctx.viewer().gql()?;
        let filter = filter.map_or_else(promises::PromiseFilter::default, |filter| {
            promises::PromiseFilter {
                customer_id: filter.customer_id.as_ref().map(input_id),
                status: filter.status.map(Into::into),
            }
        });
        let select = promises::filtered(viewer.organization_id, &filter);
        Ok(list(
            ctx,
            first,
            after,
            select,
            &promises::ORDER,
            prefetch::promises,
            Promise,
        )
        .await?
        .into())
    }
}

/// The promises area's mutations.
#[derive(Default)]
pub struct PromisesMutation;

#[Object]
impl PromisesMutation {
    /// COLLECTOR and up; logged as PROMISE_MADE, settled KEPT or BROKEN by the daily job.
    async fn create_promise(
        &self,
        ctx: &Context<'_>,
        input: CreatePromiseInput,
    ) -> Result<PromisePayload> {
        let (app, viewer) = (ctx.app().gql()?, ctx.viewer().gql()?);
        let new = promises::NewPromise {
            customer_id: input_id(&input.customer_id),
            invoice_ids: input.invoice_ids.iter().map(input_id).collect(),
            amount: input.amount.0,
            currency: input.currency,
            promised_date: input.promised_date.0,
            note: input.note,
        };
        PromisePayload::from_result(promises::create(app, viewer, new).await)
    }

    /// COLLECTOR and up: withdraws an OPEN promise.
    async fn cancel_promise(
        &self,
        ctx: &Context<'_>,
        input: CancelPromiseInput,
    ) -> Result<PromisePayload> {
        let (app, viewer) = (ctx.app().gql()?, ctx.viewer().gql()?);
        PromisePayload::from_result(promises::cancel(app, viewer, input_id(&input.id)).await)
    }
}
