use async_graphql::{Context, ID, Json, Object, Result};

use super::customer::Customer;
use super::enums::ActivityKind;
use super::id;
use super::invoice::Invoice;
use super::user::User;
use crate::entities::activity;
use crate::graphql::context::{ContextExt, load};
use crate::graphql::errors::GqlResultExt;
use crate::graphql::scalars::DateTime;

use crate::graphql::area::*;

/// One entry of the activity log: who did what, for which customer, when.
pub struct Activity(pub activity::Model);

#[Object]
impl Activity {
    async fn id(&self) -> ID {
        id(self.0.id)
    }

    async fn kind(&self) -> ActivityKind {
        self.0.kind.into()
    }

    async fn customer(&self, ctx: &Context<'_>) -> Result<Customer> {
        customer_of(ctx, self.0.customer_id).await
    }

    async fn invoice(&self, ctx: &Context<'_>) -> Result<Option<Invoice>> {
        invoice_of(ctx, self.0.invoice_id).await
    }

    /// The user who acted; empty for what a provider or the system did.
    async fn actor(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let Some(user_id) = self.0.actor_user_id else {
            return Ok(None);
        };
        Ok(load(ctx, |loaders| &loaders.user, user_id).await?.map(User))
    }

    /// The acting user's email, or the provider's name.
    async fn actor_label(&self) -> &str {
        &self.0.actor_label
    }

    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }

    /// Details by kind, e.g. a promise's promisedAmount, currency and promisedDate.
    async fn data(&self) -> Json<serde_json::Value> {
        Json(self.0.data.clone())
    }

    async fn occurred_at(&self) -> DateTime {
        self.0.occurred_at.into()
    }
}

/// The activity log area's queries.
#[derive(Default)]
pub struct ActivityQuery;

#[Object]
impl ActivityQuery {
    /// The activity log, newest first.
    #[graphql(complexity = "first.unwrap_or(20).max(1) as usize * child_complexity")]
    async fn activities(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many, 1 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the page before.")] after: Option<String>,
        filter: Option<ActivityFilter>,
    ) -> Result<ActivityConnection> {
        let viewer = ctx.viewer().gql()?;
        let filter = filter.map_or_else(activities::ActivityFilter::default, |filter| {
            activities::ActivityFilter {
                customer_id: filter.customer_id.as_ref().map(input_id),
                invoice_id: filter.invoice_id.as_ref().map(input_id),
                actor_id: filter.actor_id.as_ref().map(input_id),
                kinds: filter
                    .kinds
                    .map(|kinds| kinds.into_iter().map(Into::into).collect()),
            }
        });
        let select = activities::filtered(viewer.organization_id, &filter);
        Ok(list(
            ctx,
            first,
            after,
            select,
            &activities::ORDER,
            prefetch::activities,
            Activity,
        )
        .await?
        .into())
    }
}

/// The activity log area's mutations.
#[derive(Default)]
pub struct ActivityMutation;

#[Object]
impl ActivityMutation {
    /// COLLECTOR and up: a note, call, email, meeting, promise to pay or dispute.
    async fn log_activity(
        &self,
        ctx: &Context<'_>,
        input: LogActivityInput,
    ) -> Result<LogActivityPayload> {
        let (app, viewer) = (ctx.app().gql()?, ctx.viewer().gql()?);
        let result = activities::log(
            &app.db,
            app.clock.as_ref(),
            viewer,
            activities::LogActivity {
                kind: input.kind.into(),
                customer_id: input_id(&input.customer_id),
                invoice_id: input.invoice_id.as_ref().map(input_id),
                note: input.note,
                promised_amount: input.promised_amount.map(|amount| amount.0),
                promised_date: input.promised_date.map(|date| date.0),
                currency: input.currency,
            },
        )
        .await;
        LogActivityPayload::from_result(result.map(Activity))
    }
}
