//! HTTP routes, with no business logic: the GraphQL endpoint and health checks, behind the
//! request-id, tracing, panic, timeout and body-size layers.

pub mod callbacks;
pub mod graphql;
pub mod health;
pub mod pay;
pub mod sandbox;

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderName, Request, Response, StatusCode};
use axum::routing::get;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use tracing::Span;

use crate::graphql::TahsilatSchema;
use crate::state::AppState;

/// The largest request body accepted.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// How long one request may take before it is answered 408.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// What the routes share.
#[derive(Clone)]
pub struct HttpState {
    pub app: AppState,
    pub schema: TahsilatSchema,
}

pub fn router(app: AppState, schema: TahsilatSchema) -> Router {
    let sandbox_on = app.providers.sandbox().is_some();
    let state = HttpState { app, schema };
    let mut routes = Router::new().route("/pay/{token}", get(pay::show).post(pay::choose));
    if sandbox_on {
        routes = routes.route(
            "/sandbox/checkout/{id}",
            get(sandbox::show).post(sandbox::decide),
        );
    }
    routes
        .route("/graphql", get(graphql::graphiql).post(graphql::execute))
        .route(
            "/callbacks/{provider}",
            axum::routing::post(callbacks::receive),
        )
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .with_state(state)
        // Innermost first: the body limit sees the request last, the request id first.
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID.clone()))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_request(())
                .on_response(record_response),
        )
        .layer(SetRequestIdLayer::new(REQUEST_ID.clone(), NewRequestId))
}

/// Request ids are UUIDv7, so they sort by time in the logs.
#[derive(Clone, Copy)]
struct NewRequestId;

impl MakeRequestId for NewRequestId {
    fn make_request_id<B>(&mut self, _request: &Request<B>) -> Option<RequestId> {
        uuid::Uuid::now_v7()
            .to_string()
            .parse()
            .ok()
            .map(RequestId::new)
    }
}

fn request_span(request: &Request<Body>) -> Span {
    let request_id = request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    tracing::info_span!(
        "request",
        method = %request.method(),
        path = %loggable_path(request.uri().path()),
        request_id,
        status = tracing::field::Empty,
        latency_ms = tracing::field::Empty,
    )
}

fn record_response(response: &Response<Body>, latency: Duration, span: &Span) {
    span.record("status", response.status().as_u16());
    span.record("latency_ms", latency.as_millis() as u64);
    tracing::info!("request finished");
}

/// The path with secrets removed: pay-link tokens and checkout ids must not reach the logs.
pub fn loggable_path(path: &str) -> String {
    for prefix in ["/pay/", "/sandbox/checkout/"] {
        if path.starts_with(prefix) {
            return format!("{prefix}…");
        }
    }
    path.chars().take(200).collect()
}

fn panic_response(_panic: Box<dyn std::any::Any + Send + 'static>) -> Response<String> {
    tracing::error!("a request handler panicked");
    let mut response = Response::new(
        serde_json::json!({"errors": [{"message": "internal error", "extensions": {"code": "INTERNAL"}}]}).to_string(),
    );
    *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    response.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/json"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pay_tokens_never_reach_the_logs() {
        assert_eq!(loggable_path("/pay/abcdef123"), "/pay/…");
        assert_eq!(
            loggable_path("/sandbox/checkout/xyz"),
            "/sandbox/checkout/…"
        );
        assert_eq!(loggable_path("/graphql"), "/graphql");
    }
}
