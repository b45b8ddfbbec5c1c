//! HTTP routes, with no business logic, behind the request-id, tracing, panic, timeout, metrics
//! and body-size layers:
//!
//! - [`graphql`] — `POST /graphql` for an authenticated caller, `GET /graphql` GraphiQL (served
//!   from the binary, no CDN);
//! - [`pay`] — `/pay/{token}`, the customer's page; [`sandbox`] — the test bank's page, only
//!   while the sandbox is on; both behind `page_headers` (CSP, no referrer, no caching);
//! - [`callbacks`] — `POST /callbacks/{provider}`, signed provider reports;
//! - [`reports`] — `/reports/aging.csv` and `.xlsx` for an authenticated caller;
//! - [`health`] — `/healthz`, `/readyz`, and `/metrics` in Prometheus text.

pub mod callbacks;
pub mod graphql;
pub mod health;
pub mod pay;
pub mod reports;
pub mod sandbox;

use std::time::Instant;

use axum::extract::{MatchedPath, State};
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use base64::Engine as _;
use sha2::{Digest, Sha256};

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderName, Request, Response, StatusCode};
use axum::routing::{get, post};
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

/// The largest request body accepted: room for a bulk import of 10,000 rows.
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;
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
    crate::metrics::install();
    let sandbox_on = app.providers.sandbox().is_some();
    let headers = PageHeaders::new(&app);
    let state = HttpState { app, schema };
    let mut pages = Router::new()
        .route("/pay/{token}", get(pay::show).post(pay::choose))
        .route("/pay/{token}/promise", post(pay::promise))
        .route("/pay/{token}/dispute", post(pay::dispute));
    if sandbox_on {
        pages = pages.route(
            "/sandbox/checkout/{id}",
            get(sandbox::show).post(sandbox::decide),
        );
    }
    let pages = pages.layer(middleware::from_fn_with_state(headers, page_headers));
    let callbacks = Router::new()
        .route(
            "/callbacks/{provider}",
            axum::routing::post(callbacks::receive),
        )
        .route(
            "/callbacks/{provider}/{path}",
            axum::routing::post(callbacks::receive_at),
        )
        .layer(RequestBodyLimitLayer::new(callbacks::MAX_CALLBACK_BYTES));
    Router::new()
        .merge(pages)
        .merge(callbacks)
        .route("/graphql", get(graphql::graphiql).post(graphql::execute))
        .route("/graphql/ws", get(graphql::subscribe))
        .route("/graphql/assets/{file}", get(graphql::asset))
        .route("/reports/aging.csv", get(reports::aging_csv))
        .route("/reports/aging.xlsx", get(reports::aging_xlsx))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .route_layer(middleware::from_fn(count_request))
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

/// Counts each routed request by its route pattern, for `/metrics`.
async fn count_request(request: Request<Body>, next: Next) -> Response<Body> {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let method = request.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    crate::metrics::request(
        &route,
        &method,
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

/// The headers every customer-facing page carries, computed once.
#[derive(Clone)]
struct PageHeaders {
    content_security_policy: HeaderValue,
    strict_transport_security: Option<HeaderValue>,
}

impl PageHeaders {
    fn new(app: &AppState) -> Self {
        // No scripts at all; the one inline style is allowed by its hash; forms go only to this
        // service and on to the hosted card pages of the providers that are on. (The one page
        // that posts to a bank's 3-D gateway sets a policy of its own: `pay::to_the_bank`.)
        let style_hash = base64::engine::general_purpose::STANDARD
            .encode(Sha256::digest(crate::render::STYLE.as_bytes()));
        let mut form_action = vec!["'self'".to_owned()];
        form_action.extend(app.providers.hosted_origins());
        let policy = format!(
            "default-src 'none'; style-src 'sha256-{style_hash}'; img-src 'self'; \
             form-action {}; frame-ancestors 'none'; base-uri 'none'",
            form_action.join(" ")
        );
        Self {
            content_security_policy: HeaderValue::from_str(&policy).unwrap_or_else(|_| {
                HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'")
            }),
            strict_transport_security: app
                .config
                .public_url
                .starts_with("https://")
                .then(|| HeaderValue::from_static("max-age=31536000; includeSubDomains")),
        }
    }
}

/// `/pay/*` and `/sandbox/*` carry a secret in their address: nothing may frame, cache, sniff or
/// refer them onwards, and no script may run on them.
async fn page_headers(
    State(headers): State<PageHeaders>,
    request: Request<Body>,
    next: Next,
) -> Response<Body> {
    let mut response = next.run(request).await;
    let set = response.headers_mut();
    if !set.contains_key(header::CONTENT_SECURITY_POLICY) {
        set.insert(
            header::CONTENT_SECURITY_POLICY,
            headers.content_security_policy.clone(),
        );
    }
    set.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    set.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    set.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    set.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if let Some(hsts) = &headers.strict_transport_security {
        set.insert(header::STRICT_TRANSPORT_SECURITY, hsts.clone());
    }
    response
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
