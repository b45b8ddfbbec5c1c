//! Outbound webhooks in the API: endpoints, their delivery log, and the webhooks area's query and
//! mutation roots. Everything here is for ADMINs.

use async_graphql::{Enum, InputObject, SimpleObject};
use futures_util::future::BoxFuture;

use super::id;
use crate::domain::role::Role;
use crate::entities::webhook_delivery::DeliveryStatus;
use crate::entities::{webhook_delivery, webhook_endpoint};
use crate::error::AppResult;
use crate::graphql::area::*;
use crate::graphql::loaders::Loaders;
use crate::graphql::scalars::DateTime;
use crate::services::webhooks;

/// A URL that receives the organization's events, signed after the Standard Webhooks
/// specification (`webhook-id`, `webhook-timestamp`, `webhook-signature` headers).
pub struct WebhookEndpoint(pub webhook_endpoint::Model);

#[Object]
impl WebhookEndpoint {
    async fn id(&self) -> ID {
        id(self.0.id)
    }

    /// Where events are posted: `https` (or `http` where the server allows it).
    async fn url(&self) -> &str {
        &self.0.url
    }

    /// The event types it receives (`invoice.paid`, …), or `*` for all.
    async fn event_types(&self) -> Vec<String> {
        serde_json::from_value(self.0.event_types.clone()).unwrap_or_default()
    }

    /// What it is for, in the admin's words.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    /// Whether events are sent to it. An endpoint failing every delivery for 5 days is turned
    /// off on its own; see `disabledReason`.
    async fn enabled(&self) -> bool {
        self.0.enabled
    }

    /// Since when every delivery has failed; null while deliveries succeed.
    async fn failing_since(&self) -> Option<DateTime> {
        self.0.failing_since.map(DateTime)
    }

    /// When it was turned off.
    async fn disabled_at(&self) -> Option<DateTime> {
        self.0.disabled_at.map(DateTime)
    }

    /// Why it was turned off: by whom, or after which failures.
    async fn disabled_reason(&self) -> Option<&str> {
        self.0.disabled_reason.as_deref()
    }

    /// Until when the secret before the last rotation still signs beside the current one.
    async fn previous_secret_expires_at(&self) -> Option<DateTime> {
        self.0.previous_secret_until.map(DateTime)
    }

    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }

    async fn updated_at(&self) -> DateTime {
        DateTime(self.0.updated_at)
    }
}

/// Where a delivery stands.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::entities::webhook_delivery::DeliveryStatus")]
pub enum WebhookDeliveryStatus {
    /// Waiting for its first or next try (see `nextAttemptAt`).
    Pending,
    /// Being sent right now.
    Sending,
    /// The receiver answered 2xx.
    Delivered,
    /// Every try failed, or the endpoint was turned off; `redeliverWebhook` sends it again.
    Failed,
}

/// One event on its way to one endpoint, with what the receiver last answered.
pub struct WebhookDelivery(pub webhook_delivery::Model);

#[Object]
impl WebhookDelivery {
    async fn id(&self) -> ID {
        id(self.0.id)
    }

    /// The endpoint it goes to.
    async fn endpoint(&self, ctx: &Context<'_>) -> Result<Option<WebhookEndpoint>> {
        Ok(
            load(ctx, |loaders| &loaders.webhook_endpoint, self.0.endpoint_id)
                .await?
                .map(WebhookEndpoint),
        )
    }

    /// The event's id: the `webhook-id` header, the same on every try and redelivery.
    async fn event_id(&self) -> ID {
        id(self.0.event_id)
    }

    /// The event's type, such as `invoice.paid`.
    async fn event_type(&self) -> &str {
        &self.0.event_type
    }

    /// The JSON body sent: `{type, timestamp, data}`.
    async fn payload(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        Ok(load(ctx, |loaders| &loaders.webhook_event, self.0.event_id)
            .await?
            .map(|event| event.body))
    }

    async fn status(&self) -> WebhookDeliveryStatus {
        self.0.status.into()
    }

    /// Tries so far (at most 13, over about three days).
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }

    /// When the next try is due, while PENDING.
    async fn next_attempt_at(&self) -> Option<DateTime> {
        (self.0.status == DeliveryStatus::Pending).then_some(DateTime(self.0.next_attempt_at))
    }

    async fn last_attempt_at(&self) -> Option<DateTime> {
        self.0.last_attempt_at.map(DateTime)
    }

    /// The HTTP status the receiver last answered; null when no answer came.
    async fn response_status(&self) -> Option<i32> {
        self.0.response_status
    }

    /// The start of the receiver's last answer (at most 4 KiB).
    async fn response_body(&self) -> Option<&str> {
        self.0.response_body.as_deref()
    }

    /// Why the last try failed: the status, a timeout, a refused address…
    async fn last_error(&self) -> Option<&str> {
        self.0.last_error.as_deref()
    }

    async fn delivered_at(&self) -> Option<DateTime> {
        self.0.delivered_at.map(DateTime)
    }

    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }
}

/// Endpoints have no relations worth fetching ahead.
fn endpoint_relations<'a>(
    _: &'a Loaders,
    _: async_graphql::Lookahead<'a>,
    _: Vec<webhook_endpoint::Model>,
) -> BoxFuture<'a, AppResult<()>> {
    Box::pin(async { Ok(()) })
}

/// A page of deliveries: their endpoints and event bodies, when asked for, in one batch each.
fn delivery_relations<'a>(
    loaders: &'a Loaders,
    node: async_graphql::Lookahead<'a>,
    rows: Vec<webhook_delivery::Model>,
) -> BoxFuture<'a, AppResult<()>> {
    Box::pin(async move {
        if node.field("endpoint").exists() {
            let ids: Vec<uuid::Uuid> = rows.iter().map(|row| row.endpoint_id).collect();
            loaders.webhook_endpoint.load_many(ids).await?;
        }
        if node.field("payload").exists() {
            let ids: Vec<uuid::Uuid> = rows.iter().map(|row| row.event_id).collect();
            loaders.webhook_event.load_many(ids).await?;
        }
        Ok(())
    })
}

/// Which deliveries to list.
#[derive(InputObject, Default)]
pub struct WebhookDeliveryFilter {
    /// Only deliveries in this state.
    pub status: Option<WebhookDeliveryStatus>,
    /// Only events of this type.
    pub event_type: Option<String>,
}

/// A new endpoint.
#[derive(InputObject)]
pub struct CreateWebhookEndpointInput {
    /// An `https` URL (`http` only where the server allows it), up to 2,048 characters, with no
    /// user name or password; never a loopback, private or link-local address.
    pub url: String,
    /// The event types to receive (see `webhookEventTypes`), or `["*"]` for all.
    pub event_types: Vec<String>,
    /// What it is for; up to 500 characters.
    pub description: Option<String>,
}

/// A change to an endpoint; fields left out stay as they are.
#[derive(InputObject)]
pub struct UpdateWebhookEndpointInput {
    /// An endpoint of your organization.
    pub id: ID,
    /// A new URL, under the same rules as on creation.
    pub url: Option<String>,
    /// A new list of event types.
    pub event_types: Option<Vec<String>>,
    /// A new description; null clears it.
    pub description: async_graphql::MaybeUndefined<String>,
    /// Turn it off, or on again (which forgets its failures).
    pub enabled: Option<bool>,
}

/// Which endpoint.
#[derive(InputObject)]
pub struct WebhookEndpointIdInput {
    /// An endpoint of your organization.
    pub id: ID,
}

/// Which delivery to send again.
#[derive(InputObject)]
pub struct RedeliverWebhookInput {
    /// A delivery of one of your organization's endpoints.
    pub delivery_id: ID,
}

/// The endpoint, with its signing secret when one was just made.
#[derive(SimpleObject)]
pub struct WebhookEndpointPayload {
    pub endpoint: Option<WebhookEndpoint>,
    /// `whsec_…`: shown only in the answer that made it. Keep it to verify signatures.
    pub secret: Option<String>,
    pub user_errors: Vec<UserError>,
}

impl WebhookEndpointPayload {
    fn from_result(result: AppResult<(webhook_endpoint::Model, Option<String>)>) -> Result<Self> {
        let (found, user_errors) = split(result)?;
        let (endpoint, secret) = match found {
            Some((endpoint, secret)) => (Some(WebhookEndpoint(endpoint)), secret),
            None => (None, None),
        };
        Ok(Self {
            endpoint,
            secret,
            user_errors,
        })
    }
}

/// The new delivery.
#[derive(SimpleObject)]
pub struct RedeliverWebhookPayload {
    pub delivery: Option<WebhookDelivery>,
    pub user_errors: Vec<UserError>,
}

/// The webhooks area's queries (ADMIN).
#[derive(Default)]
pub struct WebhooksQuery;

#[Object]
impl WebhooksQuery {
    /// ADMIN: the organization's webhook endpoints, newest first.
    #[graphql(complexity = "first.unwrap_or(20).max(1) as usize * child_complexity")]
    async fn webhook_endpoints(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many, 1 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the page before.")] after: Option<String>,
    ) -> Result<WebhookEndpointConnection> {
        let viewer = ctx.viewer().gql()?;
        viewer.require(Role::Admin).gql()?;
        let select = webhooks::endpoints(viewer.organization_id);
        Ok(list(
            ctx,
            first,
            after,
            select,
            &webhooks::ENDPOINT_ORDER,
            endpoint_relations,
            WebhookEndpoint,
        )
        .await?
        .into())
    }

    /// ADMIN: one endpoint; null when it is not your organization's.
    async fn webhook_endpoint(&self, ctx: &Context<'_>, id: ID) -> Result<Option<WebhookEndpoint>> {
        let viewer = ctx.viewer().gql()?;
        viewer.require(Role::Admin).gql()?;
        let Some(id) = parse_id(&id) else {
            return Ok(None);
        };
        Ok(load(ctx, |loaders| &loaders.webhook_endpoint, id)
            .await?
            .map(WebhookEndpoint))
    }

    /// ADMIN: an endpoint's deliveries, newest first.
    #[graphql(complexity = "first.unwrap_or(20).max(1) as usize * child_complexity")]
    async fn webhook_deliveries(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "An endpoint of your organization.")] endpoint_id: ID,
        #[graphql(desc = "How many, 1 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the page before.")] after: Option<String>,
        filter: Option<WebhookDeliveryFilter>,
    ) -> Result<WebhookDeliveryConnection> {
        let viewer = ctx.viewer().gql()?;
        viewer.require(Role::Admin).gql()?;
        let filter = filter.unwrap_or_default();
        let event_type = filter
            .event_type
            .as_deref()
            .map(|text| rules::filter_text(text, 64, "eventType"))
            .transpose()
            .gql()?;
        let filter = webhooks::DeliveryFilter {
            status: filter.status.map(Into::into),
            event_type,
        };
        let select = webhooks::deliveries(viewer.organization_id, input_id(&endpoint_id), &filter);
        Ok(list(
            ctx,
            first,
            after,
            select,
            &webhooks::DELIVERY_ORDER,
            delivery_relations,
            WebhookDelivery,
        )
        .await?
        .into())
    }

    /// Every event type an endpoint can subscribe to.
    async fn webhook_event_types(&self) -> Vec<&'static str> {
        crate::domain::webhook::EVENT_TYPES.to_vec()
    }
}

/// The webhooks area's mutations (ADMIN).
#[derive(Default)]
pub struct WebhooksMutation;

#[Object]
impl WebhooksMutation {
    /// ADMIN: registers an endpoint. The answer carries its signing secret, shown only this once.
    async fn create_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        input: CreateWebhookEndpointInput,
    ) -> Result<WebhookEndpointPayload> {
        let (app, viewer) = (ctx.app().gql()?, ctx.viewer().gql()?);
        let new = webhooks::NewEndpoint {
            url: input.url,
            event_types: input.event_types,
            description: input.description,
        };
        let result = webhooks::create(app, viewer, new)
            .await
            .map(|(endpoint, secret)| (endpoint, Some(secret)));
        WebhookEndpointPayload::from_result(result)
    }

    /// ADMIN: changes an endpoint's URL, event types or description, or turns it off or on.
    async fn update_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        input: UpdateWebhookEndpointInput,
    ) -> Result<WebhookEndpointPayload> {
        let (app, viewer) = (ctx.app().gql()?, ctx.viewer().gql()?);
        let change = webhooks::EndpointChange {
            url: input.url,
            event_types: input.event_types,
            description: change(input.description, |text| text),
            enabled: input.enabled,
        };
        let result = webhooks::update(app, viewer, input_id(&input.id), change)
            .await
            .map(|endpoint| (endpoint, None));
        WebhookEndpointPayload::from_result(result)
    }

    /// ADMIN: a new signing secret, shown only in this answer. For 24 hours the old one signs
    /// beside it (two signatures in `webhook-signature`), so receivers can switch unhurried.
    async fn rotate_webhook_secret(
        &self,
        ctx: &Context<'_>,
        input: WebhookEndpointIdInput,
    ) -> Result<WebhookEndpointPayload> {
        let (app, viewer) = (ctx.app().gql()?, ctx.viewer().gql()?);
        let result = webhooks::rotate_secret(app, viewer, input_id(&input.id))
            .await
            .map(|(endpoint, secret)| (endpoint, Some(secret)));
        WebhookEndpointPayload::from_result(result)
    }

    /// ADMIN: stops sending to an endpoint; deliveries still waiting fail (and can be
    /// redelivered once it is on again).
    async fn disable_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        input: WebhookEndpointIdInput,
    ) -> Result<WebhookEndpointPayload> {
        let (app, viewer) = (ctx.app().gql()?, ctx.viewer().gql()?);
        let result = webhooks::disable(app, viewer, input_id(&input.id))
            .await
            .map(|endpoint| (endpoint, None));
        WebhookEndpointPayload::from_result(result)
    }

    /// ADMIN: sends a delivery's event to its endpoint again, now, with the same `webhook-id`.
    async fn redeliver_webhook(
        &self,
        ctx: &Context<'_>,
        input: RedeliverWebhookInput,
    ) -> Result<RedeliverWebhookPayload> {
        let (app, viewer) = (ctx.app().gql()?, ctx.viewer().gql()?);
        let result = webhooks::redeliver(app, viewer, input_id(&input.delivery_id)).await;
        let (delivery, user_errors) = split(result)?;
        Ok(RedeliverWebhookPayload {
            delivery: delivery.map(WebhookDelivery),
            user_errors,
        })
    }
}
