//! The webhook delivery worker: claims due deliveries, signs and posts each event, and records
//! what the receiver answered — retrying on the schedule of [`webhook::retry_delay`] and
//! disabling an endpoint that has failed everything for five days.
//!
//! Claims follow the outbox's rules: due rows are taken under a lease (`FOR UPDATE SKIP LOCKED`
//! on PostgreSQL, so instances share the work without taking the same row), sent outside any
//! transaction, and a worker that dies mid-send leaves its lease to run out. Delivery is at least
//! once; `webhook-id` stays the same on every try so a receiver can drop repeats.
//!
//! Requests go only where the rules allow: `https` (or `http` when allowed), never to loopback,
//! private or link-local addresses unless allowed — judged on the addresses DNS answers, which
//! are then the only ones connected to — with no proxy, no redirects and a 10 s timeout.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use futures_util::StreamExt as _;
use sea_orm::sea_query::{Expr, LockBehavior, LockType};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use uuid::Uuid;

use crate::config::Config;
use crate::domain::ids::OrganizationId;
use crate::domain::role::Role;
use crate::domain::webhook;
use crate::entities::webhook_delivery::{self, DeliveryStatus};
use crate::entities::{user, webhook_endpoint, webhook_event};
use crate::error::AppResult;
use crate::mail::Mail;
use crate::services::outbox;
use crate::state::AppState;

/// How long a claimed delivery is left to its worker before another may take it.
const LEASE: Duration = Duration::minutes(2);
/// How long one request may take, connection included.
pub const TIMEOUT: StdDuration = StdDuration::from_secs(10);
/// How much of a receiver's answer is kept for the delivery log.
pub const MAX_RESPONSE_BODY: usize = 4 * 1_024;
/// Requests in flight at once.
const CONCURRENCY: usize = 32;

/// The HTTP client for webhooks: resolves through [`GuardedResolver`], follows no redirect and
/// uses no proxy (a proxy would resolve names where the rules cannot see).
pub fn client(config: &Config) -> reqwest::Client {
    reqwest::Client::builder()
        .dns_resolver(Arc::new(GuardedResolver {
            allow_private: config.webhook_allow_private,
        }))
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(TIMEOUT)
        .connect_timeout(TIMEOUT)
        .user_agent(concat!("Tahsilat-Webhooks/", env!("CARGO_PKG_VERSION")))
        .pool_max_idle_per_host(CONCURRENCY)
        .build()
        .unwrap_or_default()
}

/// Resolves names and refuses any whose addresses include one the rules forbid.
#[derive(Debug)]
struct GuardedResolver {
    allow_private: bool,
}

/// A name resolved to an address deliveries may not reach.
#[derive(Debug, thiserror::Error)]
#[error("{host} resolves to {address}, an address webhooks may not reach")]
pub struct RefusedAddress {
    host: String,
    address: IpAddr,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addresses: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if let Some(refused) = addresses
                .iter()
                .find(|address| !webhook::address_allowed(address.ip(), allow_private))
            {
                let error = RefusedAddress {
                    host,
                    address: refused.ip(),
                };
                return Err(Box::new(error) as Box<dyn std::error::Error + Send + Sync>);
            }
            let addresses: reqwest::dns::Addrs = Box::new(addresses.into_iter());
            Ok(addresses)
        })
    }
}

/// What one try came to.
#[derive(Debug)]
struct Attempt {
    status: Option<u16>,
    body: Option<String>,
    error: Option<String>,
}

impl Attempt {
    fn delivered(&self) -> bool {
        self.status
            .is_some_and(|status| (200..300).contains(&status))
    }

    fn failed(error: impl Into<String>) -> Self {
        Self {
            status: None,
            body: None,
            error: Some(error.into()),
        }
    }
}

/// What a pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PassReport {
    pub delivered: usize,
    pub failed: usize,
    pub endpoints_disabled: usize,
}

/// Claims and sends what is due, batch after batch, until nothing is due or `max_batches` have
/// gone; returns what happened.
pub async fn deliver_due(app: &AppState, batch: u64, max_batches: usize) -> AppResult<PassReport> {
    let mut total = PassReport::default();
    for _ in 0..max_batches {
        let claimed = claim(app, batch).await?;
        if claimed.is_empty() {
            break;
        }
        let report = send_batch(app, claimed).await?;
        total.delivered += report.delivered;
        total.failed += report.failed;
        total.endpoints_disabled += report.endpoints_disabled;
    }
    Ok(total)
}

async fn claim(app: &AppState, limit: u64) -> AppResult<Vec<webhook_delivery::Model>> {
    let now = app.clock.now();
    let txn = app.db.begin().await?;
    let claimed = webhook_delivery::Entity::find()
        .filter(
            webhook_delivery::Column::Status
                .is_in([DeliveryStatus::Pending, DeliveryStatus::Sending]),
        )
        .filter(webhook_delivery::Column::NextAttemptAt.lte(now))
        .order_by_asc(webhook_delivery::Column::NextAttemptAt)
        .limit(limit)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .all(&txn)
        .await?;
    if !claimed.is_empty() {
        webhook_delivery::Entity::update_many()
            .col_expr(
                webhook_delivery::Column::Status,
                Expr::value(sea_orm::ActiveEnum::to_value(&DeliveryStatus::Sending)),
            )
            .col_expr(
                webhook_delivery::Column::NextAttemptAt,
                Expr::value(now + LEASE),
            )
            .filter(webhook_delivery::Column::Id.is_in(claimed.iter().map(|row| row.id)))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(claimed)
}

async fn send_batch(
    app: &AppState,
    claimed: Vec<webhook_delivery::Model>,
) -> AppResult<PassReport> {
    let endpoint_ids: Vec<Uuid> = unique(claimed.iter().map(|row| row.endpoint_id));
    let event_ids: Vec<Uuid> = unique(claimed.iter().map(|row| row.event_id));
    let endpoints: HashMap<Uuid, webhook_endpoint::Model> = webhook_endpoint::Entity::find()
        .filter(webhook_endpoint::Column::Id.is_in(endpoint_ids))
        .all(app.db.reader())
        .await?
        .into_iter()
        .map(|endpoint| (endpoint.id, endpoint))
        .collect();
    let mut events: HashMap<Uuid, webhook_event::Model> = HashMap::new();
    for chunk in event_ids.chunks(500) {
        for event in webhook_event::Entity::find()
            .filter(webhook_event::Column::Id.is_in(chunk.iter().copied()))
            .all(app.db.reader())
            .await?
        {
            events.insert(event.id, event);
        }
    }

    let sends = claimed.into_iter().map(|row| {
        let endpoint = endpoints.get(&row.endpoint_id);
        let event = events.get(&row.event_id);
        async move {
            let attempt = match (endpoint, event) {
                (Some(endpoint), Some(event)) if endpoint.enabled => {
                    post(app, endpoint, event).await
                }
                (Some(_), Some(_)) => Attempt::failed("the endpoint is disabled"),
                _ => Attempt::failed("the endpoint or event is gone"),
            };
            (row, attempt)
        }
    });
    let results: Vec<(webhook_delivery::Model, Attempt)> = futures_util::stream::iter(sends)
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    record(app, results, &endpoints).await
}

/// Signs and posts one event.
async fn post(
    app: &AppState,
    endpoint: &webhook_endpoint::Model,
    event: &webhook_event::Model,
) -> Attempt {
    let now = app.clock.now();
    if let Err(refused) = super::check_url(&endpoint.url, &app.config) {
        return Attempt::failed(refused.message);
    }
    let timestamp = now.timestamp();
    let id = event.id.to_string();
    let mut secrets = vec![endpoint.secret.as_str()];
    if let (Some(previous), Some(until)) =
        (&endpoint.previous_secret, endpoint.previous_secret_until)
        && until > now
    {
        secrets.push(previous.as_str());
    }
    let signature = webhook::signature_header(secrets, &id, timestamp, &event.body);
    let sent = app
        .webhooks
        .post(&endpoint.url)
        .header("content-type", "application/json")
        .header("webhook-id", &id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(event.body.clone())
        .send()
        .await;
    match sent {
        Ok(response) => {
            let status = response.status().as_u16();
            let body = read_limited(response).await;
            Attempt {
                status: Some(status),
                body: Some(body),
                error: (!(200..300).contains(&status))
                    .then(|| format!("the receiver answered {status}")),
            }
        }
        Err(error) => Attempt::failed(describe(&error)),
    }
}

/// The start of the answer's body, at most [`MAX_RESPONSE_BODY`] bytes, read no further.
async fn read_limited(mut response: reqwest::Response) -> String {
    let mut kept: Vec<u8> = Vec::new();
    while kept.len() < MAX_RESPONSE_BODY {
        match response.chunk().await {
            Ok(Some(chunk)) => kept.extend_from_slice(&chunk),
            _ => break,
        }
    }
    kept.truncate(MAX_RESPONSE_BODY);
    String::from_utf8_lossy(&kept).into_owned()
}

/// A request error in words, with its cause (the refused address, the timeout…).
fn describe(error: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut text = if error.is_timeout() {
        "timed out".to_owned()
    } else if error.is_connect() {
        "could not connect".to_owned()
    } else {
        "request failed".to_owned()
    };
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text.chars().take(1_000).collect()
}

/// Writes every try's outcome in one transaction, and disables endpoints failing for too long.
async fn record(
    app: &AppState,
    results: Vec<(webhook_delivery::Model, Attempt)>,
    endpoints: &HashMap<Uuid, webhook_endpoint::Model>,
) -> AppResult<PassReport> {
    let now = app.clock.now();
    let mut report = PassReport::default();
    let mut succeeded: HashMap<Uuid, bool> = HashMap::new();
    let txn = app.db.begin().await?;
    for (row, attempt) in results {
        let attempts = row.attempts + 1;
        let delivered = attempt.delivered();
        let endpoint_disabled = endpoints
            .get(&row.endpoint_id)
            .is_none_or(|endpoint| !endpoint.enabled);
        *succeeded.entry(row.endpoint_id).or_insert(false) |= delivered;
        let mut update: webhook_delivery::ActiveModel = row.into();
        update.attempts = Set(attempts);
        update.last_attempt_at = Set(Some(now));
        update.response_status = Set(attempt.status.map(i32::from));
        update.response_body = Set(attempt.body);
        update.last_error = Set(attempt.error);
        if delivered {
            report.delivered += 1;
            update.status = Set(DeliveryStatus::Delivered);
            update.delivered_at = Set(Some(now));
        } else {
            let jitter: f64 = rand::random();
            match webhook::retry_delay(attempts, jitter) {
                Some(wait) if !endpoint_disabled => {
                    update.status = Set(DeliveryStatus::Pending);
                    update.next_attempt_at = Set(now + wait);
                }
                _ => {
                    report.failed += 1;
                    update.status = Set(DeliveryStatus::Failed);
                }
            }
        }
        update.update(&txn).await?;
    }
    for (endpoint_id, any_success) in succeeded {
        let Some(endpoint) = endpoints.get(&endpoint_id) else {
            continue;
        };
        if !endpoint.enabled {
            continue;
        }
        if any_success {
            if endpoint.failing_since.is_some() {
                let mut update: webhook_endpoint::ActiveModel = endpoint.clone().into();
                update.failing_since = Set(None);
                update.update(&txn).await?;
            }
            continue;
        }
        match endpoint.failing_since {
            None => {
                let mut update: webhook_endpoint::ActiveModel = endpoint.clone().into();
                update.failing_since = Set(Some(now));
                update.update(&txn).await?;
            }
            Some(since) if now - since >= webhook::disable_after() => {
                disable_failing(app, &txn, endpoint, since, now).await?;
                report.endpoints_disabled += 1;
            }
            Some(_) => {}
        }
    }
    txn.commit().await?;
    Ok(report)
}

/// Disables an endpoint that has failed every try since `since`, and tells the admins by mail.
async fn disable_failing(
    app: &AppState,
    txn: &sea_orm::DatabaseTransaction,
    endpoint: &webhook_endpoint::Model,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let reason = format!(
        "every delivery failed since {}",
        since.format("%Y-%m-%d %H:%M UTC")
    );
    tracing::warn!(endpoint_id = %endpoint.id, %reason, "webhook endpoint disabled");
    let mut update: webhook_endpoint::ActiveModel = endpoint.clone().into();
    update.enabled = Set(false);
    update.disabled_at = Set(Some(now));
    update.disabled_reason = Set(Some(reason.clone()));
    update.updated_at = Set(now);
    update.update(txn).await?;
    let org = OrganizationId(endpoint.organization_id);
    let admins = user::Entity::find()
        .filter(user::Column::OrganizationId.eq(org.0))
        .filter(user::Column::Role.eq(Role::Admin))
        .filter(user::Column::DeactivatedAt.is_null())
        .all(txn)
        .await?;
    for admin in admins {
        let mail = disabled_mail(&admin.email, endpoint, &reason, &app.config.public_url);
        outbox::enqueue_mail(txn, org, &mail, now).await?;
    }
    Ok(())
}

/// The mail to an admin about a disabled endpoint, in Turkish and English.
fn disabled_mail(to: &str, endpoint: &webhook_endpoint::Model, reason: &str, base: &str) -> Mail {
    let url = &endpoint.url;
    let text = format!(
        "Webhook adresiniz devre dışı bırakıldı: {url}\n\
         Neden: 5 gündür her gönderim başarısız oldu ({reason}).\n\
         Adresi düzelttikten sonra updateWebhookEndpoint ile yeniden açabilir, \
         kaçan olayları redeliverWebhook ile yeniden gönderebilirsiniz.\n\n\
         Your webhook endpoint was disabled: {url}\n\
         Why: every delivery failed for 5 days ({reason}).\n\
         Once the receiver is fixed, enable it again with updateWebhookEndpoint and resend \
         missed events with redeliverWebhook.\n\n{base}\n"
    );
    let escaped_url = crate::render::escape(url);
    let escaped_reason = crate::render::escape(reason);
    let html = format!(
        "<p>Webhook adresiniz devre dışı bırakıldı: <code>{escaped_url}</code><br>\
         Neden: 5 gündür her gönderim başarısız oldu ({escaped_reason}).</p>\
         <p>Your webhook endpoint was disabled: <code>{escaped_url}</code><br>\
         Why: every delivery failed for 5 days ({escaped_reason}).</p>"
    );
    Mail {
        to: to.to_owned(),
        subject: "Webhook adresi devre dışı / Webhook endpoint disabled".to_owned(),
        text,
        html,
        message_id: format!("<webhook-disabled-{}@tahsilat>", endpoint.id),
    }
}

/// Deliveries waiting (pending or mid-send) and when the oldest of them was written, for
/// `/metrics`.
pub async fn waiting(
    conn: &impl sea_orm::ConnectionTrait,
) -> AppResult<(i64, Option<DateTime<Utc>>)> {
    let row: Option<(i64, Option<DateTime<Utc>>)> = webhook_delivery::Entity::find()
        .select_only()
        .column_as(webhook_delivery::Column::Id.count(), "waiting")
        .column_as(webhook_delivery::Column::CreatedAt.min(), "oldest")
        .filter(
            webhook_delivery::Column::Status
                .is_in([DeliveryStatus::Pending, DeliveryStatus::Sending]),
        )
        .into_tuple()
        .one(conn)
        .await?;
    Ok(row.unwrap_or((0, None)))
}

fn unique(ids: impl Iterator<Item = Uuid>) -> Vec<Uuid> {
    let mut seen = std::collections::HashSet::new();
    ids.filter(|id| seen.insert(*id)).collect()
}
