//! Outbound webhooks: the endpoints an ADMIN registers (each with its own signing secret), their
//! delivery log, and redelivery. Events are published by [`events`] in the transaction of the
//! change; [`delivery`] sends them.

pub mod delivery;
pub mod events;

use chrono::Duration;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, PaginatorTrait, QueryFilter, Select,
};
use uuid::Uuid;

use super::listing::{FilterIf, Keyset, time_key};
use super::rules;
use super::scope::OrgScoped;
use crate::auth::Viewer;
use crate::config::Config;
use crate::domain::ids::OrganizationId;
use crate::domain::role::Role;
use crate::domain::webhook;
use crate::entities::webhook_delivery::{self, DeliveryStatus};
use crate::entities::webhook_endpoint;
use crate::error::{AppError, AppResult, FieldError, Validation};
use crate::state::AppState;

/// The longest endpoint URL accepted.
pub const MAX_URL: usize = 2_048;
/// The most endpoints an organization may have.
pub const MAX_ENDPOINTS: u64 = 20;
/// How long the secret before a rotation keeps signing beside the new one.
pub fn rotation_overlap() -> Duration {
    Duration::hours(24)
}

/// Why an endpoint URL is refused: its user error code and the words for it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct UrlRefused {
    /// INVALID_URL, or ADDRESS_NOT_ALLOWED for an address the rules forbid.
    pub code: &'static str,
    pub message: String,
}

fn invalid(message: &str) -> UrlRefused {
    UrlRefused {
        code: "INVALID_URL",
        message: message.to_owned(),
    }
}

/// Whether deliveries may go to `url` under the settings: `https` (or `http` when allowed), a
/// host, no credentials, and no IP address the rules refuse. Names are judged again after DNS,
/// at every delivery.
pub fn check_url(url: &str, config: &Config) -> Result<reqwest::Url, UrlRefused> {
    let parsed = reqwest::Url::parse(url).map_err(|_| invalid("not a valid URL"))?;
    match parsed.scheme() {
        "https" => {}
        "http" if config.webhook_allow_http => {}
        "http" => {
            return Err(invalid(
                "must be an https URL (http is allowed only with TAHSILAT_WEBHOOK_ALLOW_HTTP)",
            ));
        }
        _ => return Err(invalid("must be an https URL")),
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(invalid("must not carry a user name or password"));
    }
    let literal = match parsed.host() {
        None => return Err(invalid("must name a host")),
        Some(url::Host::Ipv4(address)) => Some(std::net::IpAddr::V4(address)),
        Some(url::Host::Ipv6(address)) => Some(std::net::IpAddr::V6(address)),
        Some(url::Host::Domain(_)) => None,
    };
    if let Some(address) = literal
        && !webhook::address_allowed(address, config.webhook_allow_private)
    {
        return Err(UrlRefused {
            code: "ADDRESS_NOT_ALLOWED",
            message: format!(
                "{address} is a loopback, private or reserved address (allowed only with TAHSILAT_WEBHOOK_ALLOW_PRIVATE)"
            ),
        });
    }
    Ok(parsed)
}

/// A new endpoint as asked for.
#[derive(Debug, Clone)]
pub struct NewEndpoint {
    pub url: String,
    pub event_types: Vec<String>,
    pub description: Option<String>,
}

/// A change to an endpoint; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct EndpointChange {
    pub url: Option<String>,
    pub event_types: Option<Vec<String>>,
    pub description: Option<Option<String>>,
    /// Turning a disabled endpoint on again clears its failure record.
    pub enabled: Option<bool>,
}

fn checked_url(url: &str, config: &Config, checks: &mut Validation) -> Option<String> {
    let url = checks.take(rules::required_text(url, MAX_URL, &["url"]))?;
    match check_url(&url, config) {
        Ok(_) => Some(url),
        Err(refused) => {
            checks.add(FieldError::new(&["url"], refused.code, refused.message));
            None
        }
    }
}

fn checked_types(types: &[String], checks: &mut Validation) -> Vec<String> {
    let mut kept: Vec<String> = Vec::new();
    checks.check(
        types.is_empty(),
        &["eventTypes"],
        "REQUIRED",
        "name at least one event type, or \"*\" for all",
    );
    checks.check(
        types.len() > webhook::EVENT_TYPES.len() + 1,
        &["eventTypes"],
        "TOO_MANY",
        "too many event types",
    );
    for name in types.iter().take(webhook::EVENT_TYPES.len() + 1) {
        let name = name.trim();
        if !webhook::is_event_type(name) {
            let shown: String = name.chars().take(64).collect();
            checks.add(FieldError::new(
                &["eventTypes"],
                "UNKNOWN_EVENT_TYPE",
                format!(
                    "unknown event type {shown:?}; known: {}",
                    webhook::EVENT_TYPES.join(", ")
                ),
            ));
        } else if !kept.iter().any(|seen| seen == name) {
            kept.push(name.to_owned());
        }
    }
    kept
}

/// ADMIN: registers an endpoint; answers it with its secret, which is never shown again.
#[tracing::instrument(skip_all)]
pub async fn create(
    app: &AppState,
    viewer: &Viewer,
    input: NewEndpoint,
) -> AppResult<(webhook_endpoint::Model, String)> {
    viewer.require(Role::Admin)?;
    let org = viewer.organization_id;
    let mut checks = Validation::new();
    let url = checked_url(&input.url, &app.config, &mut checks);
    let types = checked_types(&input.event_types, &mut checks);
    let description = checks
        .take(rules::optional_note(
            input.description.as_deref(),
            500,
            &["description"],
        ))
        .flatten();
    let txn = app.db.begin().await?;
    let count = webhook_endpoint::Entity::in_org(org).count(&txn).await?;
    checks.check(
        count >= MAX_ENDPOINTS,
        &[],
        "LIMIT_REACHED",
        format!("an organization may have at most {MAX_ENDPOINTS} endpoints"),
    );
    checks.finish()?;
    let url = url.ok_or_else(|| AppError::Internal("a checked URL went missing".into()))?;
    let now = app.clock.now();
    let secret = webhook::new_secret();
    let created = webhook_endpoint::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(org.0),
        url: Set(url),
        description: Set(description),
        event_types: Set(serde_json::json!(types)),
        enabled: Set(true),
        secret: Set(secret.clone()),
        previous_secret: Set(None),
        previous_secret_until: Set(None),
        failing_since: Set(None),
        disabled_at: Set(None),
        disabled_reason: Set(None),
        created_by: Set(Some(viewer.user_id.0)),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    tracing::info!(endpoint_id = %created.id, "webhook endpoint created");
    Ok((created, secret))
}

/// An endpoint of the viewer's organization, locked for a change.
async fn endpoint_for_change(
    txn: &sea_orm::DatabaseTransaction,
    org: OrganizationId,
    id: Uuid,
) -> AppResult<webhook_endpoint::Model> {
    use sea_orm::QuerySelect as _;
    webhook_endpoint::Entity::find_in_org(id, org)
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or_else(|| FieldError::new(&["id"], "NOT_FOUND", "no such endpoint").into_error())
}

/// ADMIN: changes an endpoint's URL, event types, description or whether it is on.
#[tracing::instrument(skip_all)]
pub async fn update(
    app: &AppState,
    viewer: &Viewer,
    id: Uuid,
    change: EndpointChange,
) -> AppResult<webhook_endpoint::Model> {
    viewer.require(Role::Admin)?;
    let org = viewer.organization_id;
    let mut checks = Validation::new();
    let url = change
        .url
        .as_deref()
        .map(|url| checked_url(url, &app.config, &mut checks));
    let types = change
        .event_types
        .as_deref()
        .map(|types| checked_types(types, &mut checks));
    let description = change.description.as_ref().map(|text| {
        checks
            .take(rules::optional_note(text.as_deref(), 500, &["description"]))
            .flatten()
    });
    let txn = app.db.begin().await?;
    let found = endpoint_for_change(&txn, org, id).await?;
    checks.finish()?;
    let now = app.clock.now();
    let mut row: webhook_endpoint::ActiveModel = found.clone().into();
    if let Some(Some(url)) = url {
        row.url = Set(url);
    }
    if let Some(types) = types {
        row.event_types = Set(serde_json::json!(types));
    }
    if let Some(description) = description {
        row.description = Set(description);
    }
    match change.enabled {
        Some(true) if !found.enabled => {
            row.enabled = Set(true);
            row.failing_since = Set(None);
            row.disabled_at = Set(None);
            row.disabled_reason = Set(None);
        }
        Some(false) if found.enabled => {
            row.enabled = Set(false);
            row.disabled_at = Set(Some(now));
            row.disabled_reason = Set(Some(format!("disabled by {}", viewer.email)));
        }
        _ => {}
    }
    row.updated_at = Set(now);
    let updated = row.update(&txn).await?;
    txn.commit().await?;
    Ok(updated)
}

/// ADMIN: a new secret; the old one keeps signing beside it for 24 hours, so receivers can
/// switch without missing an event.
#[tracing::instrument(skip_all)]
pub async fn rotate_secret(
    app: &AppState,
    viewer: &Viewer,
    id: Uuid,
) -> AppResult<(webhook_endpoint::Model, String)> {
    viewer.require(Role::Admin)?;
    let org = viewer.organization_id;
    let txn = app.db.begin().await?;
    let found = endpoint_for_change(&txn, org, id).await?;
    let now = app.clock.now();
    let secret = webhook::new_secret();
    let mut row: webhook_endpoint::ActiveModel = found.clone().into();
    row.previous_secret = Set(Some(found.secret));
    row.previous_secret_until = Set(Some(now + rotation_overlap()));
    row.secret = Set(secret.clone());
    row.updated_at = Set(now);
    let updated = row.update(&txn).await?;
    txn.commit().await?;
    tracing::info!(endpoint_id = %updated.id, "webhook secret rotated");
    Ok((updated, secret))
}

/// ADMIN: stops deliveries to an endpoint; what was waiting fails (and can be redelivered).
pub async fn disable(
    app: &AppState,
    viewer: &Viewer,
    id: Uuid,
) -> AppResult<webhook_endpoint::Model> {
    let change = EndpointChange {
        enabled: Some(false),
        ..EndpointChange::default()
    };
    update(app, viewer, id, change).await
}

/// ADMIN: sends an event to an endpoint again, now, as a new delivery with the same
/// `webhook-id` (a receiver that already has it can tell).
#[tracing::instrument(skip_all)]
pub async fn redeliver(
    app: &AppState,
    viewer: &Viewer,
    delivery_id: Uuid,
) -> AppResult<webhook_delivery::Model> {
    viewer.require(Role::Admin)?;
    let org = viewer.organization_id;
    let txn = app.db.begin().await?;
    let found = webhook_delivery::Entity::find_in_org(delivery_id, org)
        .one(&txn)
        .await?
        .ok_or_else(|| {
            FieldError::new(&["deliveryId"], "NOT_FOUND", "no such delivery").into_error()
        })?;
    let endpoint = webhook_endpoint::Entity::find_in_org(found.endpoint_id, org)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    if !endpoint.enabled {
        return Err(FieldError::new(
            &["deliveryId"],
            "ENDPOINT_DISABLED",
            "the endpoint is disabled; enable it first",
        )
        .into_error());
    }
    let now = app.clock.now();
    let again = events::new_delivery(
        org,
        found.endpoint_id,
        found.event_id,
        &found.event_type,
        now,
    )
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(again)
}

/// The organization's endpoints, newest first.
pub fn endpoints(organization: OrganizationId) -> Select<webhook_endpoint::Entity> {
    webhook_endpoint::Entity::in_org(organization)
}

/// Endpoints, newest first.
pub const ENDPOINT_ORDER: Keyset<webhook_endpoint::Entity> = Keyset::newest_first(
    webhook_endpoint::Column::CreatedAt,
    webhook_endpoint::Column::Id,
    |model: &webhook_endpoint::Model| time_key(&model.created_at),
);

/// Which deliveries to list.
#[derive(Debug, Clone, Default)]
pub struct DeliveryFilter {
    pub status: Option<DeliveryStatus>,
    pub event_type: Option<String>,
}

/// An endpoint's deliveries, filtered.
pub fn deliveries(
    organization: OrganizationId,
    endpoint_id: Uuid,
    filter: &DeliveryFilter,
) -> Select<webhook_delivery::Entity> {
    webhook_delivery::Entity::in_org(organization)
        .filter(webhook_delivery::Column::EndpointId.eq(endpoint_id))
        .eq_if(webhook_delivery::Column::Status, filter.status)
        .eq_if(
            webhook_delivery::Column::EventType,
            filter.event_type.clone(),
        )
}

/// Deliveries, newest first.
pub const DELIVERY_ORDER: Keyset<webhook_delivery::Entity> = Keyset::newest_first(
    webhook_delivery::Column::CreatedAt,
    webhook_delivery::Column::Id,
    |model: &webhook_delivery::Model| time_key(&model.created_at),
);
