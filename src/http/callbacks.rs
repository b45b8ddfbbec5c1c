//! `POST /callbacks/{provider}`: banks and POS providers report payments here; and
//! `POST /callbacks/{provider}/{path}` for the paths a provider posts to besides (iyzico's
//! browser return, NestPay's `ok`, `fail` and server `callback`). A payer's browser coming back is
//! verified like any callback, then sent on to the pay page, which shows what became of it.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

use integrations::{Channel, PosProvider};

use super::HttpState;
use crate::render::{Lang, page};
use crate::services::callbacks::{self, Delivery, Outcome, Processed};

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
    answer(
        &state,
        adapter.as_ref(),
        peer,
        &headers,
        &body,
        Channel::Server,
    )
    .await
}

/// `POST /callbacks/{provider}/{path}`, for the paths the provider names.
pub async fn receive_at(
    State(state): State<HttpState>,
    Path((provider, path)): Path<(String, String)>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(adapter) = state.app.providers.get(&provider) else {
        return (StatusCode::NOT_FOUND, "unknown provider").into_response();
    };
    let Some((_, channel)) = adapter
        .return_paths()
        .iter()
        .find(|(known, _)| *known == path)
    else {
        return (StatusCode::NOT_FOUND, "unknown callback path").into_response();
    };
    answer(&state, adapter.as_ref(), peer, &headers, &body, *channel).await
}

async fn answer(
    state: &HttpState,
    adapter: &dyn PosProvider,
    peer: SocketAddr,
    headers: &HeaderMap,
    body: &Bytes,
    channel: Channel,
) -> Response {
    let pairs: Vec<(String, String)> = headers
        .iter()
        .filter_map(|(name, value)| {
            Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
        })
        .collect();
    let delivery = Delivery {
        headers: &pairs,
        body,
        source: Some(peer.ip()),
    };
    let (answer, processed) = callbacks::handle(&state.app, adapter, delivery).await;
    if channel == Channel::Browser {
        return back_to_the_pay_page(headers, processed);
    }
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        [(header::CONTENT_TYPE, answer.content_type)],
        answer.body,
    )
        .into_response()
}

/// The payer's browser, back from the provider: to the link's pay page, which shows the result
/// (`?payment=failed` or `pending` when it is not paid yet); a post we could not believe gets a
/// short page of its own, since it names no link we can trust.
fn back_to_the_pay_page(headers: &HeaderMap, processed: Option<Processed>) -> Response {
    let lang = Lang::from_headers(headers);
    let Some(Processed {
        outcome,
        link_token: Some(token),
        declined,
    }) = processed
    else {
        let body = format!(
            "<section><h1>{}</h1><p class=\"muted\">{}</p></section>",
            lang.pick("Ödeme sonucu okunamadı", "The payment result could not be read"),
            lang.pick(
                "Ödemeniz alındıysa size ayrıca bildirilecektir. Lütfen e-postanızdaki bağlantıyla ödeme sayfasına dönün.",
                "If your payment went through you will be told. Please go back to the payment page through the link in your email."
            )
        );
        return (
            StatusCode::BAD_REQUEST,
            page(lang, lang.pick("Ödeme", "Payment"), &body),
        )
            .into_response();
    };
    let result = match outcome {
        _ if declined => "?payment=failed",
        Outcome::NotYet => "?payment=pending",
        _ => "",
    };
    Redirect::to(&format!("/pay/{token}{result}")).into_response()
}
