//! `POST /graphql` executes operations for an authenticated caller; `GET /graphql` serves GraphiQL.

use async_graphql::http::GraphiQLSource;
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde_json::json;

use super::HttpState;
use crate::error::AppError;
use crate::services::users::authenticate;

pub async fn graphiql() -> Html<String> {
    Html(
        GraphiQLSource::build()
            .endpoint("/graphql")
            .title("Tahsilat GraphQL")
            .finish(),
    )
}

pub async fn execute(
    State(state): State<HttpState>,
    headers: HeaderMap,
    request: GraphQLRequest,
) -> Response {
    let Some(token) = bearer_token(&headers) else {
        return error_response(StatusCode::UNAUTHORIZED, &AppError::Unauthenticated);
    };
    let viewer = match authenticate(&state.app.db, state.app.clock.as_ref(), token).await {
        Ok(viewer) => viewer,
        Err(AppError::Unauthenticated) => {
            return error_response(StatusCode::UNAUTHORIZED, &AppError::Unauthenticated);
        }
        Err(error) => return error_response(StatusCode::INTERNAL_SERVER_ERROR, &error),
    };
    let request = request.into_inner().data(viewer);
    GraphQLResponse::from(state.schema.execute(request).await).into_response()
}

fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// A GraphQL-shaped error answer for failures before execution.
fn error_response(status: StatusCode, error: &AppError) -> Response {
    let body = json!({"errors": [{"message": error.public_message(), "extensions": {"code": error.code()}}]});
    let mut response = (status, Json(body)).into_response();
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer"),
        );
    }
    response
}
