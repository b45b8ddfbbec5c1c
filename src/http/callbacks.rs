//! `POST /callbacks/{provider}`: banks and POS providers report payments here.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::HttpState;
use crate::services::callbacks::{self, Delivery};

/// The largest callback body read; providers send a few hundred bytes.
pub const MAX_CALLBACK_BYTES: usize = 64 * 1024;

pub async fn receive(
    State(state): State<HttpState>,
    Path(provider): Path<String>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(adapter) = state.app.providers.get(&provider) else {
        return (StatusCode::NOT_FOUND, "unknown provider").into_response();
    };
    let headers: Vec<(String, String)> = headers
        .iter()
        .filter_map(|(name, value)| {
            Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
        })
        .collect();
    let delivery = Delivery {
        headers: &headers,
        body: &body,
        source: Some(peer.ip()),
    };
    let answer = callbacks::handle(&state.app, adapter.as_ref(), delivery).await;
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        [(header::CONTENT_TYPE, answer.content_type)],
        answer.body,
    )
        .into_response()
}
