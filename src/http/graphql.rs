//! `POST /graphql` executes operations for an authenticated caller; `GET /graphql` serves GraphiQL;
//! `GET /graphql/ws` carries subscriptions over WebSocket.
//!
//! Only `application/json` bodies are accepted (a browser form cannot post one across origins
//! without a CORS preflight), one operation per request (batches are refused), and nothing is
//! ever executed over GET, so a link cannot trigger a mutation.

use std::sync::Arc;

use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql_axum::{GraphQLProtocol, GraphQLResponse, GraphQLWebSocket};
use axum::Json;
use axum::body::Bytes;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde_json::json;

use super::HttpState;
use crate::error::AppError;
use crate::graphql::guard;
use crate::graphql::loaders::Loaders;

/// GraphiQL's files, embedded so the page needs no CDN (versions and licences:
/// `assets/graphiql/README.md`).
const ASSETS: [(&str, &str, &[u8]); 5] = [
    (
        "graphiql.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/graphiql.min.js"),
    ),
    (
        "graphiql.min.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/graphiql/graphiql.min.css"),
    ),
    (
        "react.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/react.production.min.js"),
    ),
    (
        "react-dom.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/react-dom.production.min.js"),
    ),
    ("init.js", "text/javascript; charset=utf-8", INIT.as_bytes()),
];

/// Mounts GraphiQL on `/graphql`; the token goes in its Headers tab, which GraphiQL also sends as
/// `connection_init`'s payload when it runs a subscription over `/graphql/ws`.
const INIT: &str = r#"const fetcher = GraphiQL.createFetcher({
  url: "/graphql",
  subscriptionUrl: (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/graphql/ws",
});
ReactDOM.createRoot(document.getElementById("graphiql")).render(
  React.createElement(GraphiQL, {
    fetcher,
    defaultEditorToolsVisibility: true,
    shouldPersistHeaders: true,
    defaultHeaders: '{ "Authorization": "Bearer PASTE-YOUR-TOKEN-HERE" }',
  }),
);
"#;

pub async fn graphiql() -> Html<&'static str> {
    Html(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>Tahsilat GraphQL</title>\
<link rel=\"stylesheet\" href=\"/graphql/assets/graphiql.min.css\">\
<style>body{margin:0;height:100vh}#graphiql{height:100vh}</style></head><body>\
<div id=\"graphiql\">Loading GraphiQL…</div>\
<script src=\"/graphql/assets/react.production.min.js\"></script>\
<script src=\"/graphql/assets/react-dom.production.min.js\"></script>\
<script src=\"/graphql/assets/graphiql.min.js\"></script>\
<script src=\"/graphql/assets/init.js\"></script></body></html>",
    )
}

/// One of GraphiQL's embedded files.
pub async fn asset(Path(file): Path<String>) -> Response {
    match ASSETS.iter().find(|(name, _, _)| *name == file) {
        Some((_, content_type, bytes)) => (
            [
                (header::CONTENT_TYPE, *content_type),
                (header::CACHE_CONTROL, "public, max-age=86400"),
            ],
            *bytes,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// `GET /graphql/ws`: subscriptions over WebSocket (`graphql-transport-ws`, and the older
/// `graphql-ws`). The caller's token goes in `connection_init`'s payload as
/// `{"Authorization": "Bearer tsk_…"}`; without a valid one the socket is closed (code 1002,
/// with the reason).
pub async fn subscribe(
    State(state): State<HttpState>,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> Response {
    let HttpState { app, schema } = state;
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| {
            use futures_util::StreamExt as _;
            let (sink, stream) = socket.split();
            // A message out of bounds ends the client's stream, and with it the connection.
            let stream = stream
                .map(within_bounds)
                .take_while(|message| std::future::ready(message.is_some()))
                .filter_map(std::future::ready);
            GraphQLWebSocket::new_with_pair(sink, stream, schema, protocol)
                .on_connection_init(move |payload| authenticate_socket(app, payload))
                .serve()
        })
}

/// Holds a subscribe message to the bounds `POST /graphql` checks before the parser sees the
/// query: `None` for one nested too deep, which ends the connection instead of letting the
/// parser overflow the stack.
fn within_bounds(
    message: Result<axum::extract::ws::Message, axum::Error>,
) -> Option<Result<axum::extract::ws::Message, axum::Error>> {
    use axum::extract::ws::Message;
    let Ok(Message::Text(text)) = &message else {
        return Some(message);
    };
    // serde_json refuses input nested deeper than 128 levels by itself.
    let Ok(parsed) = serde_json::from_str::<serde_json::Value>(text.as_str()) else {
        return Some(message);
    };
    let payload = &parsed["payload"];
    let query_ok = payload["query"]
        .as_str()
        .is_none_or(|query| guard::query_within(query, guard::MAX_NESTING));
    let variables_ok = match async_graphql::Value::from_json(payload["variables"].clone()) {
        Ok(variables) => guard::values_within(std::iter::once(&variables), guard::MAX_NESTING),
        Err(_) => true,
    };
    if query_ok && variables_ok {
        Some(message)
    } else {
        tracing::warn!("a subscription nested too deep; closing its connection");
        None
    }
}

/// Reads the token from `connection_init` and makes the connection's data: its viewer, and
/// loaders made afresh for each event.
async fn authenticate_socket(
    app: crate::state::AppState,
    payload: serde_json::Value,
) -> async_graphql::Result<async_graphql::Data> {
    let header = ["Authorization", "authorization"]
        .iter()
        .find_map(|key| payload.get(*key).and_then(serde_json::Value::as_str));
    let token = header
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .ok_or_else(|| {
            async_graphql::Error::new(
                "send {\"Authorization\": \"Bearer <token>\"} in connection_init",
            )
        })?;
    let viewer = app
        .tokens
        .authenticate(&app.db, app.clock.as_ref(), token)
        .await
        .map_err(|error| async_graphql::Error::new(error.public_message()))?;
    let mut data = async_graphql::Data::default();
    data.insert(crate::graphql::context::FreshLoaders {
        app: app.clone(),
        organization: viewer.organization_id,
    });
    data.insert(viewer);
    Ok(data)
}

pub async fn execute(State(state): State<HttpState>, headers: HeaderMap, body: Bytes) -> Response {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return error_response(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "BAD_REQUEST",
            "send the operation as a JSON body with Content-Type: application/json",
        );
    }
    let Some(token) = bearer_token(&headers) else {
        return app_error_response(StatusCode::UNAUTHORIZED, &AppError::Unauthenticated);
    };
    let viewer = match state
        .app
        .tokens
        .authenticate(&state.app.db, state.app.clock.as_ref(), token)
        .await
    {
        Ok(viewer) => viewer,
        Err(AppError::Unauthenticated) => {
            return app_error_response(StatusCode::UNAUTHORIZED, &AppError::Unauthenticated);
        }
        Err(error) => return app_error_response(StatusCode::INTERNAL_SERVER_ERROR, &error),
    };
    if body.first_non_whitespace() == Some(b'[') {
        return error_response(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            "batched requests are not accepted; send one operation per request",
        );
    }
    // The operation is read from its exact text: numbers in variables are never turned into
    // floats on the way (the Decimal scalar refuses fractional JSON numbers).
    let request: async_graphql::Request = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(error) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                &format!("the body is not a GraphQL request: {error}"),
            );
        }
    };
    if !guard::query_within(&request.query, guard::MAX_NESTING)
        || !guard::values_within(request.variables.values(), guard::MAX_NESTING)
    {
        return error_response(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            &format!(
                "the operation or its variables are nested more than {} levels deep",
                guard::MAX_NESTING
            ),
        );
    }
    let loaders = Arc::new(Loaders::new(
        &state.app.db,
        viewer.organization_id,
        state.app.clock.today(),
    ));
    let request = request.data(viewer).data(loaders);
    let operation_name = request.operation_name.clone();
    let started = std::time::Instant::now();
    let mut response = state.schema.execute(request).await;
    crate::metrics::operation(
        operation_name.as_deref(),
        !response.errors.is_empty(),
        started.elapsed(),
    );
    let request_id = headers
        .get("x-request-id")
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    for error in &mut response.errors {
        let code = error
            .extensions
            .as_ref()
            .and_then(|extensions| extensions.get("code"))
            .cloned();
        if code == Some(async_graphql::Value::from("INTERNAL")) {
            error
                .extensions
                .get_or_insert_with(Default::default)
                .set("requestId", request_id);
        }
    }
    GraphQLResponse::from(response).into_response()
}

trait FirstByte {
    fn first_non_whitespace(&self) -> Option<u8>;
}

impl FirstByte for Bytes {
    fn first_non_whitespace(&self) -> Option<u8> {
        self.iter()
            .copied()
            .find(|byte| !byte.is_ascii_whitespace())
    }
}

pub(super) fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

pub(super) fn app_error_response(status: StatusCode, error: &AppError) -> Response {
    let mut response = error_response(status, error.code(), &error.public_message());
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer"),
        );
    }
    response
}

/// A GraphQL-shaped error answer for failures before execution.
pub(super) fn error_response(status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({"errors": [{"message": message, "extensions": {"code": code}}]});
    (status, Json(body)).into_response()
}
