//! iyzico: the hosted checkout form, IYZWSv2-signed requests, the signed checkout-form result and
//! `X-IYZ-SIGNATURE-V3` webhooks (`../shared/providers/iyzico.md`).
//!
//! The signing rules reproduce iyzico's published vectors byte for byte; requests go out with
//! [`authorization`], and nothing an answer or a webhook says is believed before its signature
//! matches ([`verify_hex`], constant time).
//!
//! The flow: nothing is made at iyzico with the link. When the payer chooses an installment
//! count, [`Iyzico::start_attempt`] makes a checkout form (its token lives 30 minutes) with only
//! that count enabled, and the payer is sent to iyzico's page. The `X-IYZ-SIGNATURE-V3` webhook
//! and the browser's return to `callbackUrl` are both triggers: [`Iyzico::confirm`] retrieves the
//! checkout-form result and checks its signature before anything is credited, and the
//! reconciliation job asks the same question of attempts nobody told us about.

pub mod transformers;

use std::time::Duration;

use async_trait::async_trait;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use self::transformers::{
    Address, BasketItem, Buyer, CheckoutWebhook, InitializeAnswer, InitializeRequest,
    RetrieveAnswer, RetrieveRequest, price_text, text_of,
};
use crate::signature::hmac_hex;
use crate::{
    Answer, AttemptQuery, AttemptRequest, CallbackError, CallbackEvent, Channel, Checkout,
    CheckoutKind, CreatedLink, Headers, Language, LinkRef, LinkRequest, PosProvider, ProviderError,
    ReportedAmount,
};

/// The provider's name in URLs, records and settings.
pub const NAME: &str = "iyzico";
/// The webhook's signature header.
pub const SIGNATURE_HEADER: &str = "x-iyz-signature-v3";
/// Where iyzico posts the payer's browser back (under `/callbacks/iyzico`).
pub const RETURN_PATH: &str = "return";
const INITIALIZE_PATH: &str = "/payment/iyzipos/checkoutform/initialize/auth/ecom";
const RETRIEVE_PATH: &str = "/payment/iyzipos/checkoutform/auth/ecom/detail";

/// An iyzico merchant account.
#[derive(Debug, Clone)]
pub struct Iyzico {
    api_key: SecretString,
    secret_key: SecretString,
    api_base: String,
    client: reqwest::Client,
}

impl Iyzico {
    pub fn new(
        api_key: SecretString,
        secret_key: SecretString,
        api_base: &str,
    ) -> Result<Self, ProviderError> {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(20))
            .build()
            .map_err(|error| {
                ProviderError::Unsupported(format!("cannot build the HTTP client: {error}"))
            })?;
        Ok(Self {
            api_key,
            secret_key,
            api_base: api_base.trim_end_matches('/').to_owned(),
            client,
        })
    }

    fn secret(&self) -> &[u8] {
        self.secret_key.expose_secret().as_bytes()
    }

    /// One signed JSON request; the answer's body as iyzico sent it.
    async fn post<T: Serialize>(&self, path: &str, request: &T) -> Result<String, ProviderError> {
        let body = serde_json::to_string(request)
            .map_err(|error| ProviderError::Unsupported(error.to_string()))?;
        let random_key = uuid::Uuid::now_v7().simple().to_string();
        let response = self
            .client
            .post(format!("{}{path}", self.api_base))
            .header(
                "Authorization",
                authorization(
                    self.api_key.expose_secret(),
                    self.secret_key.expose_secret(),
                    &random_key,
                    path,
                    &body,
                ),
            )
            .header("x-iyzi-rnd", random_key)
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .await
            .map_err(|error| ProviderError::Unreachable(error.to_string()))?;
        if response.status().is_server_error() {
            return Err(ProviderError::Unreachable(format!(
                "iyzico answered {}",
                response.status()
            )));
        }
        response
            .text()
            .await
            .map_err(|error| ProviderError::Unreachable(error.to_string()))
    }

    /// The checkout-form result for `token`, its signature checked.
    async fn retrieve(
        &self,
        token: &str,
        reference: Option<&str>,
        language: Language,
    ) -> Result<Option<CallbackEvent>, RetrieveError> {
        let request = RetrieveRequest {
            locale: locale(language),
            conversation_id: reference.map(str::to_owned),
            token: token.to_owned(),
        };
        let text = self
            .post(RETRIEVE_PATH, &request)
            .await
            .map_err(RetrieveError::Provider)?;
        let answer: RetrieveAnswer = serde_json::from_str(&text).map_err(|error| {
            RetrieveError::Refused(format!("not a checkout-form result: {error}"))
        })?;
        self.read_result(&answer, token, reference)
    }

    /// What a retrieved result says, once its signature matches.
    fn read_result(
        &self,
        answer: &RetrieveAnswer,
        token: &str,
        reference: Option<&str>,
    ) -> Result<Option<CallbackEvent>, RetrieveError> {
        if answer.status != "success" {
            return Err(RetrieveError::Refused(format!(
                "iyzico refused: {} {}",
                answer
                    .error_code
                    .as_ref()
                    .and_then(text_of)
                    .unwrap_or_default(),
                answer.error_message.clone().unwrap_or_default()
            )));
        }
        let missing = |field: &str| RetrieveError::Refused(format!("the result has no {field}"));
        let payment_status = answer
            .payment_status
            .clone()
            .ok_or_else(|| missing("paymentStatus"))?;
        let conversation_id = answer
            .conversation_id
            .clone()
            .ok_or_else(|| missing("conversationId"))?;
        let price_field = |value: &Option<serde_json::Value>, name: &str| {
            value
                .as_ref()
                .and_then(text_of)
                .and_then(|text| crate::parse_plain_decimal(&text))
                .ok_or_else(|| missing(name))
        };
        let price = price_field(&answer.price, "price")?;
        let paid_price = price_field(&answer.paid_price, "paidPrice")?;
        let payment_id = answer
            .payment_id
            .as_ref()
            .and_then(text_of)
            .unwrap_or_default();
        let currency = answer.currency.clone().unwrap_or_default();
        let fields = ResultFields {
            payment_status: &payment_status,
            payment_id: &payment_id,
            currency: &currency,
            basket_id: answer.basket_id.as_deref().unwrap_or_default(),
            conversation_id: &conversation_id,
            paid_price: &price_text(paid_price),
            price: &price_text(price),
            token: answer.token.as_deref().unwrap_or(token),
        };
        let expected = result_signature(self.secret_key.expose_secret(), &fields);
        if !answer
            .signature
            .as_deref()
            .is_some_and(|given| verify_hex(&expected, given))
        {
            return Err(RetrieveError::BadSignature);
        }
        if answer.token.as_deref().is_some_and(|given| given != token)
            || reference.is_some_and(|asked| asked != conversation_id)
        {
            return Err(RetrieveError::Refused(
                "the result is for another checkout form".into(),
            ));
        }
        let link = LinkRef::Attempt(conversation_id);
        let fraud = answer.fraud_status.as_ref().and_then(text_of);
        match (payment_status.as_str(), fraud.as_deref()) {
            ("SUCCESS", Some("1")) => {
                let installments = answer
                    .installment
                    .as_ref()
                    .and_then(text_of)
                    .and_then(|text| text.parse().ok());
                Ok(Some(CallbackEvent::Succeeded {
                    event_key: format!("payment:{payment_id}"),
                    link,
                    transaction_id: payment_id,
                    charged: Some(ReportedAmount {
                        value: paid_price,
                        currency: Some(currency),
                    }),
                    installment_count: installments,
                }))
            }
            ("SUCCESS", Some("-1")) | ("FAILURE", _) => Ok(Some(CallbackEvent::Failed {
                event_key: format!("failure:{token}"),
                link,
                reason: match &answer.error_message {
                    Some(message) if !message.is_empty() => message.clone(),
                    _ if payment_status == "SUCCESS" => {
                        "iyzico's fraud check refused the payment".into()
                    }
                    _ => "the card was declined".into(),
                },
            })),
            // Still in 3-D Secure, or held for iyzico's fraud review: not decided yet.
            _ => Ok(None),
        }
    }
}

/// Why a checkout-form result could not be read.
#[derive(Debug)]
enum RetrieveError {
    Provider(ProviderError),
    Refused(String),
    BadSignature,
}

fn locale(language: Language) -> &'static str {
    match language {
        Language::Turkish => "tr",
        Language::English => "en",
    }
}

fn major(minor: i64) -> rust_decimal::Decimal {
    rust_decimal::Decimal::new(minor, 2)
}

#[async_trait]
impl PosProvider for Iyzico {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn create_link(&self, _request: &LinkRequest) -> Result<CreatedLink, ProviderError> {
        Err(ProviderError::Unsupported(
            "iyzico's checkout form is made per attempt".into(),
        ))
    }

    async fn cancel_link(&self, _provider_link_id: &str) -> Result<(), ProviderError> {
        // A checkout form cannot be withdrawn; its token lapses within 30 minutes.
        Ok(())
    }

    fn checkout_kind(&self) -> CheckoutKind {
        CheckoutKind::PerAttempt
    }

    fn display_name(&self) -> String {
        "iyzico".to_owned()
    }

    fn return_paths(&self) -> &'static [(&'static str, Channel)] {
        &[(RETURN_PATH, Channel::Browser)]
    }

    /// iyzico's card page is on `cpp`/`sandbox-cpp` beside `api`/`sandbox-api`; a stand-in
    /// serves its page itself.
    fn hosted_origin(&self) -> Option<String> {
        let origin = crate::origin_of(&self.api_base)?;
        Some(match origin.as_str() {
            "https://api.iyzipay.com" => "https://cpp.iyzipay.com".to_owned(),
            "https://sandbox-api.iyzipay.com" => "https://sandbox-cpp.iyzipay.com".to_owned(),
            _ => origin,
        })
    }

    fn requires_payer_email(&self) -> bool {
        true
    }

    async fn start_attempt(&self, request: &AttemptRequest) -> Result<Checkout, ProviderError> {
        if !matches!(request.currency.as_str(), "TRY" | "USD" | "EUR" | "GBP") {
            return Err(ProviderError::Unsupported(format!(
                "iyzico does not take {}",
                request.currency
            )));
        }
        // The base amount: iyzico adds the payer's installment interest on its own page.
        let price = price_text(major(request.amount_minor));
        let (name, surname) = split_name(&request.payer_name);
        let body = InitializeRequest {
            locale: locale(request.language),
            conversation_id: request.reference.clone(),
            price: price.clone(),
            paid_price: price.clone(),
            currency: request.currency.clone(),
            basket_id: request.link_reference.clone(),
            payment_group: "PRODUCT",
            callback_url: format!("{}/{RETURN_PATH}", request.callback_base),
            enabled_installments: vec![request.installments.clamp(1, 12)],
            buyer: Buyer {
                id: request.link_reference.clone(),
                name,
                surname,
                email: request.payer_email.clone(),
                // iyzico requires one; payers here are companies, paying by a company card.
                identity_number: "11111111111".into(),
                registration_address: request.payer_name.clone(),
                ip: request.payer_ip.clone().unwrap_or_else(|| "0.0.0.0".into()),
                city: "Istanbul".into(),
                country: "Turkey".into(),
            },
            billing_address: Address {
                contact_name: request.payer_name.clone(),
                city: "Istanbul".into(),
                country: "Turkey".into(),
                address: request.payer_name.clone(),
            },
            basket_items: vec![BasketItem {
                id: request.link_reference.clone(),
                name: request.name.clone(),
                category1: "Fatura".into(),
                item_type: "VIRTUAL",
                price,
            }],
        };
        let text = self.post(INITIALIZE_PATH, &body).await?;
        let answer: InitializeAnswer = serde_json::from_str(&text)
            .map_err(|error| ProviderError::BadAnswer(error.to_string()))?;
        if answer.status != "success" {
            return Err(ProviderError::Refused(format!(
                "{} {}",
                answer
                    .error_code
                    .as_ref()
                    .and_then(text_of)
                    .unwrap_or_default(),
                answer.error_message.unwrap_or_default()
            )));
        }
        let (Some(token), Some(url)) = (answer.token, answer.payment_page_url) else {
            return Err(ProviderError::BadAnswer("no token or page".into()));
        };
        let conversation = answer
            .conversation_id
            .unwrap_or_else(|| request.reference.clone());
        let expected = hmac_hex(self.secret(), format!("{conversation}:{token}").as_bytes());
        if conversation != request.reference
            || !answer
                .signature
                .as_deref()
                .is_some_and(|given| verify_hex(&expected, given))
        {
            return Err(ProviderError::BadAnswer(
                "the answer's signature does not match".into(),
            ));
        }
        Ok(Checkout::Redirect {
            url,
            provider_ref: Some(token),
        })
    }

    fn claimed_link(&self, body: &[u8]) -> Option<LinkRef> {
        let webhook: CheckoutWebhook = serde_json::from_slice(body).ok()?;
        Some(LinkRef::Attempt(webhook.payment_conversation_id))
    }

    /// The webhook (JSON, `X-IYZ-SIGNATURE-V3`) or the browser's return (a form with `token`);
    /// either only names a checkout form, whose result [`Iyzico::confirm`] then fetches.
    fn verify_callback(
        &self,
        headers: Headers<'_>,
        body: &[u8],
        _now: DateTime<Utc>,
    ) -> Result<CallbackEvent, CallbackError> {
        let signature = headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(SIGNATURE_HEADER))
            .map(|(_, value)| value.as_str());
        let Some(signature) = signature else {
            // The browser's return carries no signature: it only names a token, and the result
            // fetched for that token is signed.
            let form: Vec<(String, String)> =
                serde_urlencoded::from_bytes(body).map_err(|_| CallbackError::MissingSignature)?;
            let token = form
                .into_iter()
                .find(|(name, _)| name == "token")
                .map(|(_, token)| token)
                .filter(|token| !token.is_empty() && token.len() <= 200)
                .ok_or(CallbackError::MissingSignature)?;
            return Ok(CallbackEvent::Unconfirmed {
                token,
                reference: None,
            });
        };
        // The signature covers fields, not bytes: read them, then check before believing any.
        let webhook: CheckoutWebhook =
            serde_json::from_slice(body).map_err(|_| CallbackError::BadSignature)?;
        let expected = webhook_signature_hosted(
            self.secret_key.expose_secret(),
            &webhook.iyzi_event_type,
            &webhook.payment_id(),
            &webhook.token,
            &webhook.payment_conversation_id,
            &webhook.status,
        );
        if !verify_hex(&expected, signature) {
            return Err(CallbackError::BadSignature);
        }
        Ok(CallbackEvent::Unconfirmed {
            token: webhook.token,
            reference: Some(webhook.payment_conversation_id),
        })
    }

    async fn confirm(&self, event: CallbackEvent) -> Result<CallbackEvent, CallbackError> {
        let CallbackEvent::Unconfirmed { token, reference } = event else {
            return Ok(event);
        };
        match self
            .retrieve(&token, reference.as_deref(), Language::Turkish)
            .await
        {
            Ok(Some(event)) => Ok(event),
            Ok(None) => Err(CallbackError::Unconfirmed(
                "iyzico has not decided the payment yet".into(),
            )),
            Err(RetrieveError::Provider(error)) => {
                Err(CallbackError::Unconfirmed(error.to_string()))
            }
            Err(RetrieveError::BadSignature) => Err(CallbackError::BadSignature),
            Err(RetrieveError::Refused(reason)) => Err(CallbackError::Malformed(reason)),
        }
    }

    fn queries_status(&self) -> bool {
        true
    }

    async fn attempt_status(
        &self,
        query: &AttemptQuery,
    ) -> Result<Option<CallbackEvent>, ProviderError> {
        let Some(token) = &query.provider_ref else {
            return Ok(None);
        };
        match self
            .retrieve(token, Some(&query.reference), query.language)
            .await
        {
            Ok(event) => Ok(event),
            Err(RetrieveError::Provider(error)) => Err(error),
            Err(RetrieveError::BadSignature) => Err(ProviderError::BadAnswer(
                "the result's signature does not match".into(),
            )),
            Err(RetrieveError::Refused(reason)) => Err(ProviderError::Refused(reason)),
        }
    }

    fn accepted(&self) -> Answer {
        Answer {
            status: 200,
            content_type: "application/json",
            body: r#"{"status":"success"}"#.to_owned(),
        }
    }

    fn rejected(&self) -> Answer {
        Answer {
            status: 401,
            content_type: "application/json",
            body: r#"{"status":"failure","errorMessage":"invalid signature"}"#.to_owned(),
        }
    }
}

/// iyzico wants a name and a surname; a company's name is split at its last space.
fn split_name(full: &str) -> (String, String) {
    let full = full.trim();
    match full.rsplit_once(' ') {
        Some((name, surname)) if !name.trim().is_empty() => {
            (name.trim().to_owned(), surname.to_owned())
        }
        _ => (full.to_owned(), full.to_owned()),
    }
}

/// The `Authorization` header of a request: `IYZWSv2 ` + base64 of
/// `apiKey:…&randomKey:…&signature:…`, the signature being the lower-case hex HMAC-SHA256 of
/// `randomKey + uriPath + body` under the secret key. `uri_path` is the path alone (a query
/// string is left out); a request without a body signs `randomKey + uriPath`.
pub fn authorization(
    api_key: &str,
    secret_key: &str,
    random_key: &str,
    uri_path: &str,
    body: &str,
) -> String {
    let signature = request_signature(secret_key, random_key, uri_path, body);
    let auth = format!("apiKey:{api_key}&randomKey:{random_key}&signature:{signature}");
    format!(
        "IYZWSv2 {}",
        base64::engine::general_purpose::STANDARD.encode(auth)
    )
}

/// The hex signature inside [`authorization`]; the query string of `uri_path`, if any, is cut.
pub fn request_signature(secret_key: &str, random_key: &str, uri_path: &str, body: &str) -> String {
    let path = uri_path.split('?').next().unwrap_or(uri_path);
    hmac_hex(
        secret_key.as_bytes(),
        format!("{random_key}{path}{body}").as_bytes(),
    )
}

/// `X-IYZ-SIGNATURE-V3` of a hosted-page (checkout form) webhook: hex HMAC-SHA256 of
/// `secretKey + iyziEventType + iyziPaymentId + token + paymentConversationId + status`.
pub fn webhook_signature_hosted(
    secret_key: &str,
    event_type: &str,
    payment_id: &str,
    token: &str,
    conversation_id: &str,
    status: &str,
) -> String {
    let message = format!("{secret_key}{event_type}{payment_id}{token}{conversation_id}{status}");
    hmac_hex(secret_key.as_bytes(), message.as_bytes())
}

/// `X-IYZ-SIGNATURE-V3` of a direct-API webhook: hex HMAC-SHA256 of
/// `secretKey + iyziEventType + paymentId + paymentConversationId + status`.
pub fn webhook_signature_direct(
    secret_key: &str,
    event_type: &str,
    payment_id: &str,
    conversation_id: &str,
    status: &str,
) -> String {
    let message = format!("{secret_key}{event_type}{payment_id}{conversation_id}{status}");
    hmac_hex(secret_key.as_bytes(), message.as_bytes())
}

/// The fields a checkout-form result signs, in iyzico's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultFields<'a> {
    pub payment_status: &'a str,
    pub payment_id: &'a str,
    pub currency: &'a str,
    pub basket_id: &'a str,
    pub conversation_id: &'a str,
    /// As [`transformers::price_text`] renders it: no trailing zeros.
    pub paid_price: &'a str,
    pub price: &'a str,
    pub token: &'a str,
}

/// The signature of a checkout-form result: hex HMAC-SHA256 of its fields joined by `:`.
pub fn result_signature(secret_key: &str, fields: &ResultFields<'_>) -> String {
    let message = [
        fields.payment_status,
        fields.payment_id,
        fields.currency,
        fields.basket_id,
        fields.conversation_id,
        fields.paid_price,
        fields.price,
        fields.token,
    ]
    .join(":");
    hmac_hex(secret_key.as_bytes(), message.as_bytes())
}

/// Whether `given` is `expected` (both hex), compared in constant time.
pub fn verify_hex(expected: &str, given: &str) -> bool {
    let (expected, given) = (expected.as_bytes(), given.trim().as_bytes());
    if expected.len() != given.len() {
        return false;
    }
    expected.iter().zip(given).fold(0u8, |difference, (a, b)| {
        difference | (a.to_ascii_lowercase() ^ b.to_ascii_lowercase())
    }) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn y1_hosted_page_webhook() {
        let signature = webhook_signature_hosted(
            "sandbox-UuLnD7wZa0a3DmytfIrwHQqAMfqCNJrs",
            "CHECKOUT_FORM_AUTH",
            "22483975",
            "e828c62d-fd12-4b1a-ad5a-380f15fe6596",
            "conversationId",
            "SUCCESS",
        );
        assert_eq!(
            signature,
            "4031c575763486a2d2bf3f7ace0baebfcd6bed65393ab4df3fe80c00d5fd6878"
        );
    }

    #[test]
    fn y2_direct_api_webhook() {
        let signature = webhook_signature_direct(
            "sandbox-UuLnD7wZa0a3DmytfIrwHQqAMfqCNJrs",
            "API_AUTH",
            "22484059",
            "conversationId",
            "SUCCESS",
        );
        assert_eq!(
            signature,
            "92c7a72b7741bc83eb696066605c894778c87297b2c88d6037670666230e18ae"
        );
    }

    #[test]
    fn y4_request_without_a_body() {
        assert_eq!(
            authorization(
                "test",
                "test",
                "123456789",
                "/v2/subscription/initialize",
                ""
            ),
            "IYZWSv2 YXBpS2V5OnRlc3QmcmFuZG9tS2V5OjEyMzQ1Njc4OSZzaWduYXR1cmU6YmM0NGIyZjRkZmI4ZGY3NDE0N2IxZjUyN2ZmNjM2NDQ0YzNiM2QzYTFmZjk3ZGNiMzM2NmJjMjkzZmFjZjI5OA=="
        );
    }

    #[test]
    fn y5_the_query_string_is_not_signed() {
        let expected = "6f384099aae328f72daf9cdab105eb37fb29620251c47b4c583d748d9d0ab764";
        assert_eq!(
            request_signature(
                "test",
                "123456789",
                "/v2/subscription/customers/?page=1&count=10",
                ""
            ),
            expected
        );
        assert_eq!(
            request_signature("test", "123456789", "/v2/subscription/customers/", ""),
            expected
        );
    }

    #[test]
    fn y6_request_with_a_body() {
        let body = r#"{"locale":"tr","conversationId":"INV20240001","binNumber":"554960","price":"1250.5"}"#;
        assert_eq!(
            request_signature(
                "sandbox-secret-TEST",
                "123456789",
                "/payment/iyzipos/installment",
                body
            ),
            "949eb7a0b3f5fd23293c3f0a1f03a82d7b8695ec5ff77127f4b543e4943791e7"
        );
    }

    #[test]
    fn y9_checkout_form_result() {
        let fields = ResultFields {
            payment_status: "SUCCESS",
            payment_id: "25152948",
            currency: "TRY",
            basket_id: "INV20240001",
            conversation_id: "INV20240001",
            paid_price: &transformers::price_text(rust_decimal::Decimal::new(131303, 2)),
            price: &transformers::price_text(rust_decimal::Decimal::new(125050, 2)),
            token: "077aff05-1e9b-44aa-aa11-c268bb8b3826",
        };
        let signature = result_signature("sandbox-secret-TEST", &fields);
        assert_eq!(
            signature,
            "6d4e6ff76fd0ef6ab13b41b297fa43d34067c58a4b010e9f73971e8b27c2b48c"
        );
        assert!(verify_hex(&signature, &signature.to_uppercase()));
        assert!(!verify_hex(&signature, &signature[1..]));
        let mut forged = signature.clone();
        forged.replace_range(0..1, "7");
        assert!(!verify_hex(&signature, &forged));
    }

    fn iyzico() -> Iyzico {
        Iyzico::new(
            SecretString::from("sandbox-apikey-TEST"),
            SecretString::from("sandbox-secret-TEST"),
            "https://sandbox-api.iyzipay.com",
        )
        .unwrap()
    }

    #[test]
    fn a_webhook_is_a_trigger_and_the_browser_return_names_a_token() {
        let body = br#"{"paymentConversationId":"INV20240001","merchantId":1,"token":"077aff05-1e9b-44aa-aa11-c268bb8b3826","status":"SUCCESS","iyziReferenceCode":"r","iyziEventType":"CHECKOUT_FORM_AUTH","iyziEventTime":1,"iyziPaymentId":25152948}"#;
        let signed = [(
            "X-IYZ-SIGNATURE-V3".to_owned(),
            "cd27344d18a3cb1571112f63fc2f676b9a2826ed6fe028c7db4e47b1efdcec53".to_owned(),
        )];
        let event = iyzico()
            .verify_callback(&signed, body, chrono::Utc::now())
            .unwrap();
        assert_eq!(
            event,
            CallbackEvent::Unconfirmed {
                token: "077aff05-1e9b-44aa-aa11-c268bb8b3826".into(),
                reference: Some("INV20240001".into()),
            }
        );
        let forged = [(SIGNATURE_HEADER.to_owned(), "00".repeat(32))];
        assert_eq!(
            iyzico().verify_callback(&forged, body, chrono::Utc::now()),
            Err(CallbackError::BadSignature)
        );
        let tampered = String::from_utf8_lossy(body).replace("SUCCESS", "FAILURE");
        assert_eq!(
            iyzico().verify_callback(&signed, tampered.as_bytes(), chrono::Utc::now()),
            Err(CallbackError::BadSignature)
        );
        assert_eq!(
            iyzico().verify_callback(&[], b"token=abc", chrono::Utc::now()),
            Ok(CallbackEvent::Unconfirmed {
                token: "abc".into(),
                reference: None
            })
        );
        assert_eq!(
            iyzico().verify_callback(&[], b"nothing=here", chrono::Utc::now()),
            Err(CallbackError::MissingSignature)
        );
    }

    #[test]
    fn a_result_is_believed_only_with_its_signature() {
        let answer = |signature: &str, status: &str| RetrieveAnswer {
            status: "success".into(),
            error_code: None,
            error_message: None,
            payment_status: Some(status.into()),
            payment_id: Some(serde_json::json!("25152948")),
            price: Some(serde_json::json!(1250.5)),
            paid_price: Some(serde_json::json!(1313.03)),
            installment: Some(serde_json::json!(6)),
            currency: Some("TRY".into()),
            basket_id: Some("INV20240001".into()),
            conversation_id: Some("INV20240001".into()),
            fraud_status: Some(serde_json::json!(1)),
            token: Some("077aff05-1e9b-44aa-aa11-c268bb8b3826".into()),
            signature: Some(signature.into()),
        };
        let y9 = "6d4e6ff76fd0ef6ab13b41b297fa43d34067c58a4b010e9f73971e8b27c2b48c";
        let token = "077aff05-1e9b-44aa-aa11-c268bb8b3826";
        let Ok(Some(CallbackEvent::Succeeded {
            event_key,
            charged,
            installment_count,
            ..
        })) = iyzico().read_result(&answer(y9, "SUCCESS"), token, Some("INV20240001"))
        else {
            panic!("Y9's result is a success");
        };
        assert_eq!(event_key, "payment:25152948");
        assert_eq!(
            charged.map(|charged| charged.value),
            Some(rust_decimal::Decimal::new(131303, 2))
        );
        assert_eq!(installment_count, Some(6));
        assert!(matches!(
            iyzico().read_result(&answer(&"0".repeat(64), "SUCCESS"), token, None),
            Err(RetrieveError::BadSignature)
        ));
        assert!(
            matches!(
                iyzico().read_result(&answer(y9, "FAILURE"), token, None),
                Err(RetrieveError::BadSignature)
            ),
            "the status is under the signature"
        );
        assert!(matches!(
            iyzico().read_result(&answer(y9, "SUCCESS"), token, Some("another")),
            Err(RetrieveError::Refused(_))
        ));
    }

    #[test]
    fn y10_hosted_page_webhook_for_the_same_payment() {
        let signature = webhook_signature_hosted(
            "sandbox-secret-TEST",
            "CHECKOUT_FORM_AUTH",
            "25152948",
            "077aff05-1e9b-44aa-aa11-c268bb8b3826",
            "INV20240001",
            "SUCCESS",
        );
        assert_eq!(
            signature,
            "cd27344d18a3cb1571112f63fc2f676b9a2826ed6fe028c7db4e47b1efdcec53"
        );
    }
}
