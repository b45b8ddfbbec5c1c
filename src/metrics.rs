//! Prometheus metrics for `GET /metrics`: requests and latency by route, GraphQL operations,
//! callbacks by provider and outcome, and — read at scrape time — outbox depth and pool use.
//!
//! One recorder serves the process (the `metrics` facade is global); every [`crate::app::App`]
//! in it shares the counters, which only matters to tests that start several.

use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::entities::outbox::OutboxKind;
use crate::state::AppState;

/// Latency buckets in seconds, from a cache hit to a slow provider call.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];
/// Operation names are chosen by clients; past this many distinct ones, new ones count as
/// `other`, so a client cannot grow the metrics without bound.
const MAX_OPERATION_NAMES: usize = 200;

fn handle() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let installed = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &BUCKETS)
                .and_then(|builder| builder.install_recorder());
            match installed {
                Ok(handle) => Some(handle),
                Err(error) => {
                    tracing::warn!(%error, "metrics are off: no recorder could be installed");
                    None
                }
            }
        })
        .as_ref()
}

/// Installs the recorder; called once at start (and harmless again).
pub fn install() {
    let _ = handle();
}

/// One answered HTTP request, by its route pattern (never the raw path, which holds tokens).
pub fn request(route: &str, method: &str, status: u16, latency: Duration) {
    let labels = [
        ("route", route.to_owned()),
        ("method", method.to_owned()),
        ("status", status.to_string()),
    ];
    metrics::counter!("tahsilat_http_requests_total", &labels).increment(1);
    metrics::histogram!(
        "tahsilat_http_request_duration_seconds",
        "route" => route.to_owned(),
        "method" => method.to_owned()
    )
    .record(latency.as_secs_f64());
}

/// One executed GraphQL operation, by its name.
pub fn operation(name: Option<&str>, errors: bool, latency: Duration) {
    let name = operation_label(name);
    metrics::counter!(
        "tahsilat_graphql_operations_total",
        "operation" => name.clone(),
        "result" => if errors { "error" } else { "ok" }
    )
    .increment(1);
    metrics::histogram!("tahsilat_graphql_operation_duration_seconds", "operation" => name)
        .record(latency.as_secs_f64());
}

fn operation_label(name: Option<&str>) -> String {
    static SEEN: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    let Some(name) = name.filter(|name| {
        !name.is_empty()
            && name.len() <= 64
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    }) else {
        return "anonymous".to_owned();
    };
    let Ok(mut seen) = SEEN.get_or_init(Mutex::default).lock() else {
        return "other".to_owned();
    };
    if seen.contains(name) || seen.len() < MAX_OPERATION_NAMES {
        seen.insert(name.to_owned());
        name.to_owned()
    } else {
        "other".to_owned()
    }
}

/// One callback, by provider and what became of it.
pub fn callback(provider: &str, outcome: &str) {
    metrics::counter!(
        "tahsilat_callbacks_total",
        "provider" => provider.to_owned(),
        "outcome" => outcome.to_owned()
    )
    .increment(1);
}

/// The text a scrape gets: the counters, plus gauges read from the database now.
pub async fn render(app: &AppState) -> String {
    match crate::services::outbox::depth(app.db.reader()).await {
        Ok(depths) => {
            let now = app.clock.now();
            // Kinds with nothing waiting read zero rather than keeping their last value.
            use sea_orm::Iterable as _;
            for kind in OutboxKind::iter().map(OutboxKind::as_str) {
                metrics::gauge!("tahsilat_outbox_depth", "kind" => kind).set(0.0);
                metrics::gauge!("tahsilat_outbox_oldest_age_seconds", "kind" => kind).set(0.0);
            }
            for depth in depths {
                let age = depth.oldest.map_or(0.0, |oldest| {
                    (now - oldest).num_milliseconds().max(0) as f64 / 1000.0
                });
                let kind = depth.kind.as_str();
                metrics::gauge!("tahsilat_outbox_depth", "kind" => kind).set(depth.waiting as f64);
                metrics::gauge!("tahsilat_outbox_oldest_age_seconds", "kind" => kind).set(age);
            }
        }
        Err(error) => {
            let _ = error.public_message();
        }
    }
    // Webhook deliveries are the webhook outbox: the same two gauges, kind "webhook".
    if let Ok((waiting, oldest)) =
        crate::services::webhooks::delivery::waiting(app.db.reader()).await
    {
        let age = oldest.map_or(0.0, |oldest| {
            (app.clock.now() - oldest).num_milliseconds().max(0) as f64 / 1000.0
        });
        metrics::gauge!("tahsilat_outbox_depth", "kind" => "webhook").set(waiting as f64);
        metrics::gauge!("tahsilat_outbox_oldest_age_seconds", "kind" => "webhook").set(age);
    }
    for pool in app.db.pool_use() {
        metrics::gauge!("tahsilat_db_pool_connections", "pool" => pool.pool, "state" => "open")
            .set(f64::from(pool.open));
        metrics::gauge!("tahsilat_db_pool_connections", "pool" => pool.pool, "state" => "idle")
            .set(f64::from(pool.idle));
    }
    handle().map(PrometheusHandle::render).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_names_are_bounded() {
        assert_eq!(operation_label(None), "anonymous");
        assert_eq!(operation_label(Some("a b")), "anonymous");
        assert_eq!(operation_label(Some("CustomerList")), "CustomerList");
    }
}
