//! The sandbox bank's hosted page (only while the sandbox is on): plainly a fake bank, with
//! Approve and Decline and no card fields at all. Its answer travels as a signed callback to
//! `/callbacks/sandbox`, server to server over HTTP, exactly the way an outside bank's does; then
//! the browser goes back to the pay page, which shows the result.

use std::sync::OnceLock;
use std::time::Duration;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use integrations::PosProvider as _;
use integrations::sandbox::Decision as BankDecision;
use integrations::sandbox::SIGNATURE_HEADER;
use serde::Deserialize;

use super::HttpState;
use crate::domain::money::Money;
use crate::domain::payment_link::PaymentLinkStatus;
use crate::render::{Lang, escape, format_money, page, test_banner};
use crate::services::installment_tables;
use crate::services::payment_links::{self, PublicLink};
use crate::services::rules::stored_currency;

#[derive(Debug, Deserialize)]
pub struct Chosen {
    #[serde(default = "one")]
    pub installments: u32,
}

fn one() -> u32 {
    1
}

#[derive(Debug, Deserialize)]
pub struct Decision {
    pub action: String,
    #[serde(default = "one")]
    pub installments: u32,
}

/// The amount and what the chosen installments cost, or None when the choice is not offered.
async fn charge(state: &HttpState, view: &PublicLink, installments: u32) -> Option<(Money, Money)> {
    let amount = Money::from_minor(
        view.link.amount_minor,
        stored_currency(&view.link.currency).ok()?,
    );
    let org = crate::domain::ids::OrganizationId(view.link.organization_id);
    let terms =
        installment_tables::terms(state.app.db.reader(), &state.app, org, &view.link.provider)
            .await
            .ok()?;
    let max = u32::try_from(view.link.max_installments).ok()?;
    let chosen = terms
        .options(amount, max)
        .ok()?
        .into_iter()
        .find(|option| option.count == installments)?;
    Some((amount, chosen.total))
}

async fn find(state: &HttpState, id: &str) -> Option<PublicLink> {
    let bank = state.app.providers.sandbox()?;
    payment_links::by_provider_link(&state.app, bank.name(), id)
        .await
        .ok()
        .flatten()
}

pub async fn show(
    State(state): State<HttpState>,
    Path(id): Path<String>,
    Query(chosen): Query<Chosen>,
    headers: HeaderMap,
) -> Response {
    let lang = Lang::from_headers(&headers);
    let Some(view) = find(&state, &id).await else {
        return (StatusCode::NOT_FOUND, "unknown checkout").into_response();
    };
    if view.status != PaymentLinkStatus::Active {
        return Redirect::to(&format!("/pay/{}", view.link.token)).into_response();
    }
    let Some((amount, total)) = charge(&state, &view, chosen.installments).await else {
        return Redirect::to(&format!("/pay/{}", view.link.token)).into_response();
    };
    let body = format!(
        "{}<section><p class=\"muted\">{}</p><h1>{}</h1><div class=\"amount\">{}</div><p>{}: {} — {}: {}</p>\
<form method=\"post\"><input type=\"hidden\" name=\"installments\" value=\"{}\">\
<button type=\"submit\" name=\"action\" value=\"approve\" id=\"approve\">{}</button>\
<button type=\"submit\" name=\"action\" value=\"decline\" id=\"decline\" class=\"decline\">{}</button></form></section>",
        test_banner(lang),
        lang.pick("Ödenecek", "To pay"),
        escape(&view.organization_name),
        format_money(total, lang),
        lang.pick("Taksit", "Installments"),
        chosen.installments,
        lang.pick("Borç tutarı", "Amount owed"),
        format_money(amount, lang),
        chosen.installments,
        lang.pick("Onayla", "Approve"),
        lang.pick("Reddet", "Decline"),
    );
    page(lang, "Sandbox Bank", &body).into_response()
}

fn client() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .build()
            .unwrap_or_else(|_| reqwest::Client::new())
    })
}

pub async fn decide(
    State(state): State<HttpState>,
    Path(id): Path<String>,
    Form(decision): Form<Decision>,
) -> Response {
    let (Some(view), Some(bank)) = (find(&state, &id).await, state.app.providers.sandbox()) else {
        return (StatusCode::NOT_FOUND, "unknown checkout").into_response();
    };
    let back = Redirect::to(&format!("/pay/{}", view.link.token)).into_response();
    if view.status != PaymentLinkStatus::Active {
        return back;
    }
    let Some((_, total)) = charge(&state, &view, decision.installments).await else {
        return back;
    };
    let charged = total.to_decimal().to_string();
    let choice = BankDecision {
        provider_link_id: &id,
        approved: decision.action == "approve",
        charged: &charged,
        currency: total.currency.code(),
        installments: decision.installments,
    };
    let Ok((body, signature)) = bank.signed_callback(&choice, state.app.clock.now().timestamp())
    else {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            "could not build the callback",
        )
            .into_response();
    };
    let url = format!("{}/callbacks/{}", state.app.config.public_url, bank.name());
    // The bank tells the shop first, then sends the payer back; like a real one, it retries a
    // callback that was not acknowledged.
    for attempt in 0..3 {
        let sent = client()
            .post(&url)
            .header("content-type", "application/json")
            .header(SIGNATURE_HEADER, &signature)
            .body(body.clone())
            .send()
            .await;
        match sent {
            Ok(response) if response.status().is_success() => break,
            Ok(response) => {
                tracing::warn!(status = %response.status(), attempt, "sandbox callback not acknowledged")
            }
            Err(error) => tracing::warn!(%error, attempt, "sandbox callback not delivered"),
        }
        tokio::time::sleep(Duration::from_millis(200 * (attempt + 1))).await;
    }
    back
}
