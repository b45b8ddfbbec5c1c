//! `/pay/{token}`: the customer's page. It shows only what the link covers — the company, the
//! invoices, the amount and the installment table — in Turkish, or in English when the browser
//! prefers it, and sends the customer on to the provider's hosted card page. No card data ever
//! reaches this service. A customer who cannot pay now can promise a date or dispute an invoice
//! here instead (`/pay/{token}/promise`, `/pay/{token}/dispute`).

use std::net::SocketAddr;

use axum::Form;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use integrations::{Checkout, CheckoutKind, Language};
use serde::Deserialize;

use super::HttpState;
use crate::domain::dispute::DisputeReason;
use crate::domain::installments::{InstallmentOption, MAX_INSTALLMENTS};
use crate::domain::money::Money;
use crate::domain::payment_link::PaymentLinkStatus;
use crate::render::{Lang, escape, format_money, page, test_banner};
use crate::services::customer_replies::{self, Refusal};
use crate::services::payment_links::{self, PublicLink};
use crate::services::rules::stored_currency;
use crate::services::{attempts, installment_tables, link_pricing};

fn not_found(lang: Lang) -> Response {
    let body = format!(
        "<section><h1>{}</h1><p class=\"muted\">{}</p></section>",
        lang.pick("Bağlantı bulunamadı", "Link not found"),
        lang.pick(
            "Bu ödeme bağlantısı geçersiz. Lütfen size gönderilen e-postadaki bağlantıyı kullanın.",
            "This payment link is not valid. Please use the link in the email you received."
        )
    );
    (
        StatusCode::NOT_FOUND,
        page(lang, lang.pick("Bulunamadı", "Not found"), &body),
    )
        .into_response()
}

fn unavailable(lang: Lang) -> Response {
    let body = lang.pick(
        "<section><h1>Şu anda hizmet veremiyoruz</h1><p>Lütfen biraz sonra tekrar deneyin.</p></section>",
        "<section><h1>Temporarily unavailable</h1><p>Please try again in a moment.</p></section>",
    );
    (
        StatusCode::SERVICE_UNAVAILABLE,
        page(lang, "Tahsilat", body),
    )
        .into_response()
}

/// Each provider the page offers, with what the customer may choose there.
async fn offers(
    state: &HttpState,
    view: &PublicLink,
) -> crate::error::AppResult<Option<(Money, Vec<Offer>)>> {
    let Ok(currency) = stored_currency(&view.link.currency) else {
        return Ok(None);
    };
    let amount = Money::from_minor(view.link.amount_minor, currency);
    let max = u32::try_from(view.link.max_installments)
        .unwrap_or(1)
        .min(MAX_INSTALLMENTS);
    let org = crate::domain::ids::OrganizationId(view.link.organization_id);
    let providers = installment_tables::offered_providers(
        state.app.db.reader(),
        &state.app,
        org,
        &view.link.provider,
    )
    .await?;
    let mut offers = Vec::new();
    for (provider, terms) in providers {
        let Ok(options) = terms.options(amount, max) else {
            return Ok(None);
        };
        offers.push(Offer { provider, options });
    }
    Ok(Some((amount, offers)))
}

/// One provider on the pay page and its installment table.
struct Offer {
    provider: std::sync::Arc<dyn integrations::PosProvider>,
    options: Vec<InstallmentOption>,
}

/// What the customer sees after coming back from the provider without paying.
fn result_notice(lang: Lang, result: Option<&str>) -> String {
    let (id, title, text) = match result {
        Some("failed") => (
            "failed",
            lang.pick("Ödeme alınamadı", "The payment did not go through"),
            lang.pick(
                "Kartınızdan para çekilmedi. Tekrar deneyebilir ya da başka bir kart kullanabilirsiniz.",
                "Nothing was taken from your card. You can try again or use another card.",
            ),
        ),
        Some("pending") => (
            "pending",
            lang.pick("Ödemeniz kontrol ediliyor", "Your payment is being checked"),
            lang.pick(
                "Sonuç birkaç dakika içinde bu sayfada görünecek; lütfen tekrar ödemeyin.",
                "The result will show on this page within minutes; please do not pay again.",
            ),
        ),
        _ => return String::new(),
    };
    format!(
        "<section id=\"result\" data-result=\"{id}\"><h2>{title}</h2><p class=\"muted\">{text}</p></section>"
    )
}

/// `?payment=…` on the way back from a provider.
#[derive(Debug, Deserialize)]
pub struct Returned {
    pub payment: Option<String>,
}

pub async fn show(
    State(state): State<HttpState>,
    Path(token): Path<String>,
    Query(returned): Query<Returned>,
    headers: HeaderMap,
) -> Response {
    let lang = Lang::from_headers(&headers);
    let view = match payment_links::by_token(&state.app, &token).await {
        Ok(Some(view)) => view,
        Ok(None) => return not_found(lang),
        Err(error) => {
            let _ = error.public_message();
            return unavailable(lang);
        }
    };
    let (amount, offers) = match offers(&state, &view).await {
        Ok(Some(found)) => found,
        Ok(None) => return not_found(lang),
        Err(error) => {
            let _ = error.public_message();
            return unavailable(lang);
        }
    };
    let day_format = if lang == Lang::Tr {
        "%d.%m.%Y"
    } else {
        "%Y-%m-%d"
    };
    // A link for plan installments shows the installments; any other, its invoices.
    let (first_column, invoices): (&str, String) = if view.installments.is_empty() {
        let rows = view
            .invoices
            .iter()
            .map(|invoice| {
                format!(
                    "<tr><td>{}</td><td class=\"num\">{}</td></tr>",
                    escape(&invoice.number),
                    invoice.due_date.format(day_format)
                )
            })
            .collect();
        (lang.pick("Fatura", "Invoice"), rows)
    } else {
        let rows = view
            .installments
            .iter()
            .map(|(position, count, due_date)| {
                format!(
                    "<tr><td>{} {position}/{count}</td><td class=\"num\">{}</td></tr>",
                    lang.pick("Taksit", "Installment"),
                    due_date.format(day_format)
                )
            })
            .collect();
        (lang.pick("Ödeme planı", "Payment plan"), rows)
    };
    let header = format!(
        "<section><p class=\"muted\">{}</p><h1>{}</h1><div class=\"amount\">{}</div>\
<table><tr><th>{}</th><th class=\"num\">{}</th></tr>{invoices}</table></section>",
        lang.pick("Ödeme talebi", "Payment request"),
        escape(&view.organization_name),
        format_money(amount, lang),
        first_column,
        lang.pick("Vade", "Due"),
    );
    let action = match view.status {
        PaymentLinkStatus::Active => {
            let several = offers.len() > 1;
            let forms: String = offers
                .iter()
                .map(|offer| choice_form(lang, offer, several))
                .collect();
            format!(
                "{}<section>{forms}<p class=\"muted\">{}</p></section>",
                result_notice(lang, returned.payment.as_deref()),
                lang.pick("Kart bilgileriniz bankanın güvenli ödeme sayfasında girilir; bu sayfaya ulaşmaz.", "You enter your card on the bank's secure page; it never reaches this site."),
            )
        }
        PaymentLinkStatus::Paid => format!(
            "<section><p class=\"state\" id=\"status\" data-status=\"PAID\">✓ {}</p><p class=\"muted\">{}</p></section>",
            lang.pick("Ödendi", "Paid"),
            lang.pick("Ödemeniz alındı. Teşekkür ederiz.", "Your payment has been received. Thank you.")
        ),
        PaymentLinkStatus::Expired => format!(
            "<section><p class=\"state\" id=\"status\" data-status=\"EXPIRED\">{}</p><p class=\"muted\">{}</p></section>",
            lang.pick("Süresi doldu", "Expired"),
            lang.pick("Bu bağlantının süresi doldu. Yeni bir bağlantı için lütfen bizimle iletişime geçin.", "This link has expired. Please contact us for a new one.")
        ),
        PaymentLinkStatus::Cancelled => format!(
            "<section><p class=\"state\" id=\"status\" data-status=\"CANCELLED\">{}</p><p class=\"muted\">{}</p></section>",
            lang.pick("İptal edildi", "Cancelled"),
            lang.pick("Bu ödeme bağlantısı iptal edildi.", "This payment link has been cancelled.")
        ),
    };
    let reply = if view.status == PaymentLinkStatus::Active {
        reply_forms(lang, &view, state.app.clock.today())
    } else {
        String::new()
    };
    let banner = if state
        .app
        .providers
        .get(&view.link.provider)
        .is_some_and(|provider| provider.is_test())
    {
        test_banner(lang)
    } else {
        String::new()
    };
    page(
        lang,
        &view.organization_name,
        &format!("{banner}{header}{action}{reply}"),
    )
    .into_response()
}

/// One provider's installment table, as a form that chooses a count and goes on to pay.
fn choice_form(lang: Lang, offer: &Offer, several: bool) -> String {
    let name = offer.provider.name();
    let rows: String = offer
        .options
        .iter()
        .enumerate()
        .map(|(index, option)| {
            let label = if option.count == 1 {
                lang.pick("Tek çekim", "Single payment").to_owned()
            } else {
                format!("{} × {}", option.count, format_money(option.per_installment, lang))
            };
            format!(
                "<tr><td><label><input type=\"radio\" name=\"installments\" value=\"{}\"{}> {}</label></td><td class=\"num\">{}</td></tr>",
                option.count,
                if index == 0 { " checked" } else { "" },
                escape(&label),
                format_money(option.total, lang)
            )
        })
        .collect();
    let (heading, button) = if several {
        let shown = escape(&offer.provider.display_name());
        (
            format!("<h2>{shown}</h2>"),
            format!("{shown} {}", lang.pick("ile öde", "— pay")),
        )
    } else {
        (
            String::new(),
            lang.pick("Ödemeye geç", "Continue to payment").to_owned(),
        )
    };
    format!(
        "<form method=\"post\" data-provider=\"{name}\">{heading}<input type=\"hidden\" name=\"provider\" value=\"{name}\">\
<table><tr><th>{}</th><th class=\"num\">{}</th></tr>{rows}</table><button type=\"submit\">{button}</button></form>",
        lang.pick("Taksit", "Installments"),
        lang.pick("Toplam", "Total"),
    )
}

#[derive(Debug, Deserialize)]
pub struct Choice {
    pub installments: u32,
    /// Which of the offered providers; the link's own when absent.
    pub provider: Option<String>,
}

/// The chosen installment count → 303 to the provider's hosted page.
pub async fn choose(
    State(state): State<HttpState>,
    Path(token): Path<String>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(choice): Form<Choice>,
) -> Response {
    let lang = Lang::from_headers(&headers);
    let view = match payment_links::by_token(&state.app, &token).await {
        Ok(Some(view)) => view,
        _ => return not_found(lang),
    };
    let offers = match offers(&state, &view).await {
        Ok(Some((_, offers))) => offers,
        Ok(None) => return not_found(lang),
        Err(error) => {
            let _ = error.public_message();
            return unavailable(lang);
        }
    };
    let wanted = choice.provider.as_deref().unwrap_or(&view.link.provider);
    let offer = offers.into_iter().find(|offer| {
        offer.provider.name() == wanted
            && offer
                .options
                .iter()
                .any(|option| option.count == choice.installments)
    });
    let (Some(offer), PaymentLinkStatus::Active) = (offer, view.status) else {
        // Back to the page, which shows why there is nothing to pay or what can be chosen.
        return Redirect::to(&format!("/pay/{token}")).into_response();
    };
    let provider = offer.provider;
    if provider.checkout_kind() == CheckoutKind::PerAttempt {
        let language = match lang {
            Lang::Tr => Language::Turkish,
            Lang::En => Language::English,
        };
        return match attempts::start(
            &state.app,
            provider.clone(),
            &view.link,
            choice.installments,
            Some(peer.ip()),
            language,
        )
        .await
        {
            Ok(Checkout::Redirect { url, .. }) => Redirect::to(&url).into_response(),
            Ok(Checkout::PostForm { action, fields }) => {
                to_the_bank(lang, &provider.display_name(), &action, &fields)
            }
            Err(error) => {
                let _ = error.public_message();
                unavailable(lang)
            }
        };
    }
    // A repriced link gets its new page at the provider now, for what is owed now.
    let page = match link_pricing::ensure_provider_page(&state.app, &view.link).await {
        Ok(Some(url)) => url,
        Ok(None) => return Redirect::to(&format!("/pay/{token}")).into_response(),
        Err(error) => {
            let _ = error.public_message();
            return unavailable(lang);
        }
    };
    Redirect::to(&provider.checkout_url(&page, choice.installments)).into_response()
}

/// The one script a page here runs: it submits the form to the bank as soon as the page loads.
/// Its hash is the only script the pages' Content-Security-Policy allows.
pub const AUTO_SUBMIT: &str = "document.getElementById(\"bank\").submit();";

/// The form the payer's browser posts to the bank's 3-D gateway: submitted by itself, with a
/// button for a browser that runs no script. No card field is on it. Its policy allows that one
/// script (by its hash) and forms only to the gateway's origin.
fn to_the_bank(lang: Lang, bank: &str, action: &str, fields: &[(String, String)]) -> Response {
    use base64::Engine as _;
    use sha2::Digest as _;
    let hash = |text: &str| {
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(text.as_bytes()))
    };
    let Some(origin) = integrations::origin_of(action) else {
        return unavailable(lang);
    };
    let policy = format!(
        "default-src 'none'; script-src 'sha256-{}'; style-src 'sha256-{}'; form-action {origin}; frame-ancestors 'none'; base-uri 'none'",
        hash(AUTO_SUBMIT),
        hash(crate::render::STYLE),
    );
    let inputs: String = fields
        .iter()
        .map(|(name, value)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                escape(name),
                escape(value)
            )
        })
        .collect();
    let body = format!(
        "<section><h1>{}</h1><p class=\"muted\">{}</p>\
<form method=\"post\" id=\"bank\" action=\"{}\" accept-charset=\"utf-8\">{inputs}<button type=\"submit\">{}</button></form></section>\
<script>{AUTO_SUBMIT}</script>",
        escape(bank),
        lang.pick(
            "Bankanın güvenli ödeme sayfasına yönlendiriliyorsunuz…",
            "Taking you to the bank's secure payment page…"
        ),
        escape(action),
        lang.pick("Devam et", "Continue"),
    );
    let mut response = page(lang, bank, &body).into_response();
    if let Ok(policy) = axum::http::HeaderValue::from_str(&policy) {
        response
            .headers_mut()
            .insert(axum::http::header::CONTENT_SECURITY_POLICY, policy);
    }
    response
}

/// The reasons a customer can pick, with their words.
const REASONS: [(DisputeReason, &str, &str); 7] = [
    (DisputeReason::Price, "Fiyat hatalı", "The price is wrong"),
    (
        DisputeReason::Quantity,
        "Miktar hatalı",
        "The quantity is wrong",
    ),
    (
        DisputeReason::Quality,
        "Ürün / hizmet kusurlu",
        "Faulty goods or service",
    ),
    (DisputeReason::NotReceived, "Teslim almadım", "Not received"),
    (DisputeReason::AlreadyPaid, "Zaten ödedim", "Already paid"),
    (
        DisputeReason::Duplicate,
        "Mükerrer fatura",
        "Invoiced twice",
    ),
    (DisputeReason::Other, "Diğer", "Other"),
];

/// "Can't pay now?": promise a date, or dispute an invoice.
fn reply_forms(lang: Lang, view: &PublicLink, today: chrono::NaiveDate) -> String {
    let last = today + chrono::Duration::days(customer_replies::MAX_PROMISE_DAYS);
    let invoices: String = view
        .invoices
        .iter()
        .map(|invoice| {
            let number = escape(&invoice.number);
            format!("<option value=\"{number}\">{number}</option>")
        })
        .collect();
    let reasons: String = REASONS
        .iter()
        .map(|(reason, tr, en)| {
            let value = sea_orm::ActiveEnum::to_value(reason);
            format!("<option value=\"{value}\">{}</option>", lang.pick(tr, en))
        })
        .collect();
    format!(
        "<section><h2>{}</h2>\
<form method=\"post\" action=\"/pay/{token}/promise\" id=\"promise\"><label>{} <input type=\"date\" name=\"date\" min=\"{today}\" max=\"{last}\" required></label>\
<label>{} <input type=\"text\" name=\"note\" maxlength=\"1000\"></label><button type=\"submit\">{}</button></form>\
<form method=\"post\" action=\"/pay/{token}/dispute\" id=\"dispute\"><label>{} <select name=\"invoice\">{invoices}</select></label>\
<label>{} <select name=\"reason\">{reasons}</select></label><label>{} <textarea name=\"note\" maxlength=\"1000\"></textarea></label>\
<button type=\"submit\" class=\"secondary\">{}</button></form></section>",
        lang.pick("Şimdi ödeyemiyor musunuz?", "Can't pay now?"),
        lang.pick("Şu tarihte ödeyeceğim:", "I will pay on:"),
        lang.pick("Not (isteğe bağlı):", "Note (optional):"),
        lang.pick("Ödeme sözü ver", "Promise to pay"),
        lang.pick("Faturaya itiraz:", "Dispute an invoice:"),
        lang.pick("Neden:", "Reason:"),
        lang.pick("Açıklama:", "Details:"),
        lang.pick("İtiraz et", "Dispute"),
        token = escape(&view.link.token),
    )
}

/// What the promise form sends.
#[derive(Debug, Deserialize)]
pub struct PromiseForm {
    pub date: Option<String>,
    pub note: Option<String>,
}

/// What the dispute form sends.
#[derive(Debug, Deserialize)]
pub struct DisputeForm {
    pub invoice: String,
    pub reason: Option<String>,
    pub note: Option<String>,
}

/// The answer to a reply: thanks, or what was wrong, with the way back to the page.
fn replied(
    lang: Lang,
    token: &str,
    outcome: crate::error::AppResult<Result<(), Refusal>>,
    thanks: (&'static str, &'static str),
) -> Response {
    let (status, title, text) = match outcome {
        Ok(Ok(())) => (
            StatusCode::OK,
            lang.pick("Teşekkürler", "Thank you"),
            lang.pick(thanks.0, thanks.1).to_owned(),
        ),
        Ok(Err(Refusal::Closed)) => return not_found(lang),
        Ok(Err(Refusal::AlreadyPromised)) => (
            StatusCode::CONFLICT,
            lang.pick("Zaten kayıtlı", "Already noted"),
            lang.pick(
                "Bu faturalar için verdiğiniz bir ödeme sözü zaten kayıtlı.",
                "A promise to pay these invoices is already on record.",
            )
            .to_owned(),
        ),
        Ok(Err(Refusal::Invalid(errors))) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            lang.pick("Lütfen kontrol edin", "Please check"),
            errors
                .iter()
                .map(|error| error.message.clone())
                .collect::<Vec<_>>()
                .join("; "),
        ),
        Err(error) => {
            let _ = error.public_message();
            return unavailable(lang);
        }
    };
    let body = format!(
        "<section><h1 id=\"reply\" data-status=\"{}\">{title}</h1><p>{}</p><p><a href=\"/pay/{}\">{}</a></p></section>",
        status.as_u16(),
        escape(&text),
        escape(token),
        lang.pick("Ödeme sayfasına dön", "Back to the payment page"),
    );
    (status, page(lang, title, &body)).into_response()
}

/// "I will pay on …".
pub async fn promise(
    State(state): State<HttpState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    Form(form): Form<PromiseForm>,
) -> Response {
    let lang = Lang::from_headers(&headers);
    let date = form.date.as_deref().and_then(|date| date.parse().ok());
    let outcome = customer_replies::promise(&state.app, &token, date, form.note).await;
    let thanks = (
        "Ödeme sözünüzü kaydettik; o tarihe kadar size hatırlatma göndermeyeceğiz.",
        "We have noted your promise; we will not send reminders until that date.",
    );
    replied(lang, &token, outcome, thanks)
}

/// "This invoice is wrong".
pub async fn dispute(
    State(state): State<HttpState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    Form(form): Form<DisputeForm>,
) -> Response {
    let lang = Lang::from_headers(&headers);
    let reason = form.reason.as_deref().and_then(|reason| {
        REASONS
            .iter()
            .map(|(reason, _, _)| *reason)
            .find(|known| sea_orm::ActiveEnum::to_value(known) == reason)
    });
    let outcome =
        customer_replies::dispute(&state.app, &token, &form.invoice, reason, form.note).await;
    let thanks = (
        "İtirazınızı aldık; bu fatura incelenene kadar size hatırlatma göndermeyeceğiz.",
        "We have your dispute; we will not send reminders for this invoice while it is reviewed.",
    );
    replied(lang, &token, outcome, thanks)
}
