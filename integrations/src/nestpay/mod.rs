//! NestPay (Asseco / Payten) 3D Pay Hosting, the virtual POS of many Turkish banks
//! (`../shared/providers/nestpay.md`): hash version 3 over every posted field, the same rule for
//! the form we send to the bank's gateway and for the fields the bank posts back.
//!
//! The hash reproduces the published vectors byte for byte; a post is believed only once
//! [`verify`] accepts it (constant time).
//!
//! The flow: there is no server-side call. The installment count is chosen on our pay page, so the
//! amount (with the customer's interest) and `taksit` are fixed and signed into a form the payer's
//! browser posts to the bank's gateway ([`Nestpay::start_attempt`]). The bank posts the result back
//! through the browser to `okUrl` or `failUrl`, and server to server to `callbackUrl`; every one is
//! verified over all its fields and de-duplicated on `oid`, which is unique per attempt.
//!
//! Where the bank gives an API user, [`Nestpay::attempt_status`] asks its XML API for an order's
//! status (`ORDERSTATUS` `QUERY`, as NestPay's API and the mewebstudio/pos library have it), so
//! an order whose posts were all lost is still found.

pub mod transformers;

use std::cmp::Ordering;

use async_trait::async_trait;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha512};

use self::transformers::{approved, currency_code, currency_number};
use crate::{
    Answer, AttemptQuery, AttemptRequest, CallbackError, CallbackEvent, Channel, Checkout,
    CheckoutKind, CreatedLink, Headers, Language, LinkRef, LinkRequest, PosProvider, ProviderError,
    ReportedAmount,
};

/// The provider's name in URLs, records and settings.
pub const NAME: &str = "nestpay";
/// The paths under `/callbacks/nestpay` the bank posts to.
pub const OK_PATH: &str = "ok";
pub const FAIL_PATH: &str = "fail";
pub const CALLBACK_PATH: &str = "callback";

/// The bank's XML API, for asking an order's status: its URL (`…/fim/api`) and an API user.
#[derive(Debug, Clone)]
pub struct StatusApi {
    pub url: String,
    pub user: String,
    pub password: SecretString,
}

/// One bank's NestPay merchant account.
#[derive(Debug, Clone)]
pub struct Nestpay {
    client_id: String,
    store_key: SecretString,
    gateway_url: String,
    bank_name: String,
    status_api: Option<StatusApi>,
    client: reqwest::Client,
}

impl Nestpay {
    pub fn new(
        client_id: String,
        store_key: SecretString,
        gateway_url: String,
        bank_name: String,
        status_api: Option<StatusApi>,
    ) -> Result<Self, ProviderError> {
        let client = reqwest::Client::builder()
            .connect_timeout(std::time::Duration::from_secs(5))
            .timeout(std::time::Duration::from_secs(20))
            .build()
            .map_err(|error| {
                ProviderError::Unsupported(format!("cannot build the HTTP client: {error}"))
            })?;
        Ok(Self {
            client_id,
            store_key,
            gateway_url,
            bank_name,
            status_api,
            client,
        })
    }

    /// The `ORDERSTATUS` query for one order, as the bank's XML API takes it.
    pub fn status_request(&self, api: &StatusApi, order_id: &str) -> String {
        let text = |value: &str| quick_xml::escape::escape(value).into_owned();
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><CC5Request><Name>{}</Name><Password>{}</Password><ClientId>{}</ClientId><OrderId>{}</OrderId><Extra><ORDERSTATUS>QUERY</ORDERSTATUS></Extra></CC5Request>",
            text(&api.user),
            text(api.password.expose_secret()),
            text(&self.client_id),
            text(order_id),
        )
    }

    /// The bank's name, shown on the pay page.
    pub fn bank_name(&self) -> &str {
        &self.bank_name
    }

    /// The signed form for one attempt, in the order it is posted.
    pub fn form(
        &self,
        request: &AttemptRequest,
        rnd: &str,
    ) -> Result<Vec<(String, String)>, ProviderError> {
        let currency = currency_number(&request.currency).ok_or_else(|| {
            ProviderError::Unsupported(format!("NestPay does not take {}", request.currency))
        })?;
        let amount = rust_decimal::Decimal::new(request.charged_minor, 2).to_string();
        let taksit = if request.installments > 1 {
            request.installments.to_string()
        } else {
            String::new()
        };
        let base = &request.callback_base;
        let mut fields: Vec<(String, String)> = [
            ("clientid", self.client_id.clone()),
            ("storetype", "3d_pay_hosting".to_owned()),
            ("TranType", "Auth".to_owned()),
            ("amount", amount),
            ("currency", currency.to_owned()),
            ("oid", request.reference.clone()),
            ("okUrl", format!("{base}/{OK_PATH}")),
            ("failUrl", format!("{base}/{FAIL_PATH}")),
            ("callbackUrl", format!("{base}/{CALLBACK_PATH}")),
            (
                "lang",
                match request.language {
                    Language::Turkish => "tr",
                    Language::English => "en",
                }
                .to_owned(),
            ),
            ("rnd", rnd.to_owned()),
            ("taksit", taksit),
            ("hashAlgorithm", "ver3".to_owned()),
            ("BillToName", request.payer_name.clone()),
            ("email", request.payer_email.clone()),
            ("refreshtime", "5".to_owned()),
            ("encoding", "utf-8".to_owned()),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect();
        let hash = hash_v3(
            fields
                .iter()
                .map(|(name, value)| (name.as_str(), value.as_str())),
            self.store_key.expose_secret(),
        );
        fields.push(("hash".to_owned(), hash));
        Ok(fields)
    }
}

fn posted_fields(body: &[u8]) -> Result<Vec<(String, String)>, CallbackError> {
    serde_urlencoded::from_bytes(body).map_err(|_| CallbackError::MissingSignature)
}

#[async_trait]
impl PosProvider for Nestpay {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn create_link(&self, _request: &LinkRequest) -> Result<CreatedLink, ProviderError> {
        Err(ProviderError::Unsupported(
            "NestPay's form is made per attempt".into(),
        ))
    }

    async fn cancel_link(&self, _provider_link_id: &str) -> Result<(), ProviderError> {
        Ok(())
    }

    fn checkout_kind(&self) -> CheckoutKind {
        CheckoutKind::PerAttempt
    }

    fn display_name(&self) -> String {
        self.bank_name.clone()
    }

    fn return_paths(&self) -> &'static [(&'static str, Channel)] {
        &[
            (OK_PATH, Channel::Browser),
            (FAIL_PATH, Channel::Browser),
            (CALLBACK_PATH, Channel::Server),
        ]
    }

    fn hosted_origin(&self) -> Option<String> {
        crate::origin_of(&self.gateway_url)
    }

    fn signs_installment_count(&self) -> bool {
        true
    }

    async fn start_attempt(&self, request: &AttemptRequest) -> Result<Checkout, ProviderError> {
        // About 20 characters, fresh for every form: the bank refuses a repeated rnd.
        let rnd: String = uuid::Uuid::now_v7()
            .simple()
            .to_string()
            .chars()
            .rev()
            .take(20)
            .collect();
        Ok(Checkout::PostForm {
            action: self.gateway_url.clone(),
            fields: self.form(request, &rnd)?,
        })
    }

    /// The post without its card fields (masked number, expiry, card holder, 3-D values).
    fn audit_copy(&self, body: &[u8]) -> String {
        let Ok(fields) = posted_fields(body) else {
            return String::new();
        };
        let kept: Vec<(String, String)> = fields
            .into_iter()
            .filter(|(name, _)| !transformers::is_card_field(name))
            .collect();
        serde_urlencoded::to_string(kept).unwrap_or_default()
    }

    fn claimed_link(&self, body: &[u8]) -> Option<LinkRef> {
        let fields = posted_fields(body).ok()?;
        let oid = fields.into_iter().find(|(name, _)| name == "oid")?.1;
        Some(LinkRef::Attempt(oid))
    }

    /// Every posted field is under the hash (names as posted, any order, `EXTRA.*` included);
    /// only an approved, fully 3-D-authenticated payment is a success.
    fn verify_callback(
        &self,
        _headers: Headers<'_>,
        body: &[u8],
        _now: DateTime<Utc>,
    ) -> Result<CallbackEvent, CallbackError> {
        let fields = posted_fields(body)?;
        let pairs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        if !pairs
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("hash"))
        {
            return Err(CallbackError::MissingSignature);
        }
        if !verify(&pairs, self.store_key.expose_secret()) {
            return Err(CallbackError::BadSignature);
        }
        let field = |name: &str| {
            pairs
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        };
        let oid = field("oid")
            .or_else(|| field("ReturnOid"))
            .filter(|oid| !oid.is_empty())
            .ok_or_else(|| CallbackError::Malformed("no oid".into()))?;
        if field("clientid").is_some_and(|client| client != self.client_id) {
            return Err(CallbackError::Malformed("for another merchant".into()));
        }
        let link = LinkRef::Attempt(oid.clone());
        if !approved(field) {
            let reason = match (field("ErrMsg"), field("mdStatus")) {
                (Some(message), _) if !message.is_empty() => message,
                (_, Some(md)) if md != "1" => {
                    format!("3-D Secure was not completed (mdStatus {md})")
                }
                _ => format!("declined ({})", field("ProcReturnCode").unwrap_or_default()),
            };
            return Ok(CallbackEvent::Failed {
                event_key: format!("{oid}/failed"),
                link,
                reason,
            });
        }
        let amount = field("amount")
            .and_then(|amount| crate::parse_plain_decimal(&amount))
            .ok_or_else(|| CallbackError::Malformed("amount is not a plain decimal".into()))?;
        let currency = field("currency")
            .map(|number| {
                currency_code(&number)
                    .map(str::to_owned)
                    .ok_or_else(|| CallbackError::Malformed(format!("unknown currency {number:?}")))
            })
            .transpose()?;
        let installments = match field("taksit").as_deref() {
            None | Some("") => 1,
            Some(count) => count
                .parse()
                .map_err(|_| CallbackError::Malformed("taksit is not a count".into()))?,
        };
        let transaction_id = field("TransId")
            .filter(|id| !id.is_empty())
            .ok_or_else(|| CallbackError::Malformed("an approval without TransId".into()))?;
        Ok(CallbackEvent::Succeeded {
            event_key: oid,
            link,
            transaction_id,
            charged: Some(ReportedAmount {
                value: amount,
                currency,
            }),
            installment_count: Some(installments),
        })
    }

    fn queries_status(&self) -> bool {
        self.status_api.is_some()
    }

    /// The bank's answer to `ORDERSTATUS`: a sale (`CHARGE_TYPE_CD` `S`) that is authorised or
    /// settled (`TRANS_STAT` `A`, `C` or `S`) is a success under the same key as the order's
    /// callback, so whichever comes first is recorded once; a failed or cancelled order is a
    /// decline; a pending or unknown one is undecided.
    async fn attempt_status(
        &self,
        query: &AttemptQuery,
    ) -> Result<Option<CallbackEvent>, ProviderError> {
        let Some(api) = &self.status_api else {
            return Ok(None);
        };
        let response = self
            .client
            .post(&api.url)
            .header("Content-Type", "application/xml; charset=utf-8")
            .body(self.status_request(api, &query.reference))
            .send()
            .await
            .map_err(|error| ProviderError::Unreachable(error.to_string()))?;
        if !response.status().is_success() {
            return Err(ProviderError::Unreachable(format!(
                "the bank answered {}",
                response.status()
            )));
        }
        let text = response
            .text()
            .await
            .map_err(|error| ProviderError::Unreachable(error.to_string()))?;
        let answer = transformers::read_xml(&text).map_err(ProviderError::BadAnswer)?;
        transformers::status_event(&answer, query)
    }

    fn accepted(&self) -> Answer {
        Answer {
            status: 200,
            content_type: "text/plain; charset=utf-8",
            body: "Approved".to_owned(),
        }
    }

    fn rejected(&self) -> Answer {
        Answer {
            status: 400,
            content_type: "text/plain; charset=utf-8",
            body: "hash mismatch".to_owned(),
        }
    }
}

/// `hash` of hash version 3: every field but `hash` and `encoding` (any case), sorted by
/// [`natcasecmp`] of the names, each value escaped (`\` → `\\`, then `|` → `\|`) and followed by
/// `|`, then the escaped store key; base64 of the SHA-512 of those UTF-8 bytes.
pub fn hash_v3<'a>(
    fields: impl IntoIterator<Item = (&'a str, &'a str)>,
    store_key: &str,
) -> String {
    let mut kept: Vec<(&str, &str)> = fields
        .into_iter()
        .filter(|(name, _)| {
            !name.eq_ignore_ascii_case("hash") && !name.eq_ignore_ascii_case("encoding")
        })
        .collect();
    kept.sort_by(|(a, _), (b, _)| natcasecmp(a, b));
    let mut plain = String::new();
    for (_, value) in kept {
        plain.push_str(&escape(value));
        plain.push('|');
    }
    plain.push_str(&escape(store_key));
    base64::engine::general_purpose::STANDARD.encode(Sha512::digest(plain.as_bytes()))
}

/// Whether the posted fields carry a `hash` (any case) that [`hash_v3`] gives for them, compared
/// in constant time.
pub fn verify<'a>(fields: &[(&'a str, &'a str)], store_key: &str) -> bool {
    let Some(given) = fields
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("hash"))
        .map(|(_, value)| value.trim())
    else {
        return false;
    };
    let expected = hash_v3(fields.iter().copied(), store_key);
    expected.len() == given.len()
        && expected
            .bytes()
            .zip(given.bytes())
            .fold(0u8, |difference, (a, b)| difference | (a ^ b))
            == 0
}

fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('|', "\\|")
}

/// PHP's `natcasesort` order on field names: case-insensitive (on the upper-cased names, so `_`
/// sorts after letters and `.` before them), with runs of digits compared as numbers
/// (`Instalment9` before `Instalment10`).
pub fn natcasecmp(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.to_uppercase(), b.to_uppercase());
    let (mut left, mut right) = (a.chars().peekable(), b.chars().peekable());
    loop {
        match (left.peek().copied(), right.peek().copied()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let number = |chars: &mut std::iter::Peekable<std::str::Chars<'_>>| {
                    let mut digits = String::new();
                    while let Some(digit) = chars.peek().copied().filter(char::is_ascii_digit) {
                        digits.push(digit);
                        chars.next();
                    }
                    digits
                };
                let (x, y) = (number(&mut left), number(&mut right));
                let (x_trimmed, y_trimmed) = (x.trim_start_matches('0'), y.trim_start_matches('0'));
                let by_value = x_trimmed
                    .len()
                    .cmp(&y_trimmed.len())
                    .then_with(|| x_trimmed.cmp(y_trimmed));
                if by_value != Ordering::Equal {
                    return by_value;
                }
            }
            (Some(x), Some(y)) => {
                if x != y {
                    return x.cmp(&y);
                }
                left.next();
                right.next();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const N1: [(&str, &str); 14] = [
        ("clientid", "190100000"),
        ("storetype", "3d_pay"),
        ("amount", "100.25"),
        ("oid", "order222"),
        ("okUrl", "https://domain.com/success"),
        ("failUrl", "https://domain.com/fail_url"),
        ("rnd", "rand"),
        ("lang", "tr"),
        ("currency", "949"),
        ("taksit", ""),
        ("islemtipi", "Auth"),
        ("firmaadi", "siparis veren"),
        ("Email", "test@test.com"),
        ("hashAlgorithm", "ver3"),
    ];

    #[test]
    fn n1_a_request_form() {
        assert_eq!(
            hash_v3(N1, "123456"),
            "/uPxhEKWCEGi3NsDOOQ4u8Hu5g71v5GWspOid70WehTWEz97PqxG3IN1Jv5jsbOXOw3Z3Rr/0UtywzEgbqFfdA=="
        );
    }

    #[test]
    fn n2_the_same_account_with_fewer_fields() {
        let fields = N1
            .iter()
            .filter(|(name, _)| *name != "firmaadi" && *name != "Email")
            .map(|&(name, value)| match name {
                "rnd" => (name, "12345"),
                "storetype" => (name, "3d"),
                _ => (name, value),
            });
        assert_eq!(
            hash_v3(fields, "123456"),
            "4aUsG5hqlIFLc9s8PKc5rWb2OLhmxDDewNgKa2XrwoYCIxlyVq8Fjl4IVaZzoqL983CfTseicmnTA0PjZr74xg=="
        );
    }

    const N4: [(&str, &str); 21] = [
        ("clientid", "100200127"),
        ("storetype", "3d_pay_hosting"),
        ("TranType", "Auth"),
        ("amount", "1250.50"),
        ("currency", "949"),
        ("oid", "INV20240001A"),
        ("okUrl", "https://crm.example.com/pos/ok"),
        ("failUrl", "https://crm.example.com/pos/fail"),
        ("callbackUrl", "https://crm.example.com/pos/callback"),
        ("lang", "tr"),
        ("rnd", "0123456789ABCDEF0123"),
        ("taksit", "6"),
        ("hashAlgorithm", "ver3"),
        ("BillToName", "Ayşe|Yılmaz"),
        ("BillToCompany", "ACME\\Ltd"),
        ("refreshtime", "5"),
        ("Instalment10", "x"),
        ("Instalment9", "y"),
        ("EXTRA.FOO", "a"),
        ("EXTRAB", "b"),
        ("EXTRA_BAR", "c"),
    ];
    const N4_KEY: &str = "TEST|KEY\\1";
    const N4_HASH: &str =
        "QUbGHFubNQtR56yIZJDdlWgZbuub1D6jmRo5eQNk1OUS+L/Qfvlx1MzSuAfSfnBmzU97sU8cheSiQ5b5TfJbOw==";
    const N4_WRONG: &str =
        "MTxsWx8lffB+szg8vdf6TuxZvNuCbTwHVmGhM0qvB2420yK2rVuHWN3u/G2T+4joR5yjOdZLANJIUPyjwLXdJA==";

    #[test]
    fn n4_escapes_sorts_naturally_and_keeps_dotted_names() {
        let mut names: Vec<&str> = N4.iter().map(|(name, _)| *name).collect();
        names.sort_by(|a, b| natcasecmp(a, b));
        assert_eq!(
            names,
            [
                "amount",
                "BillToCompany",
                "BillToName",
                "callbackUrl",
                "clientid",
                "currency",
                "EXTRA.FOO",
                "EXTRAB",
                "EXTRA_BAR",
                "failUrl",
                "hashAlgorithm",
                "Instalment9",
                "Instalment10",
                "lang",
                "oid",
                "okUrl",
                "refreshtime",
                "rnd",
                "storetype",
                "taksit",
                "TranType"
            ]
        );
        let hash = hash_v3(N4, N4_KEY);
        assert_eq!(hash, N4_HASH);
        assert_ne!(hash, N4_WRONG, "plain lower-case order is not the bank's");
    }

    #[test]
    fn card_details_never_reach_the_audit_copy() {
        let bank = Nestpay::new(
            "100200127".into(),
            SecretString::from(N4_KEY),
            "https://bank.example/fim/est3Dgate".into(),
            "Banka".into(),
            None,
        )
        .unwrap();
        let body = b"oid=A1&MaskedPan=435508%2A%2A%2A4358&Ecom_Payment_Card_ExpDate_Year=28&cavv=AAAB&EXTRA.CARDHOLDERNAME=AY%C5%9EE&TransId=T1&amount=1313.03";
        assert_eq!(bank.audit_copy(body), "oid=A1&TransId=T1&amount=1313.03");
    }

    #[test]
    fn a_callback_verifies_in_any_field_order_and_nothing_else_does() {
        let mut posted: Vec<(&str, &str)> = N4.iter().rev().copied().collect();
        posted.push(("HASH", N4_HASH));
        posted.push(("encoding", "utf-8"));
        assert!(verify(&posted, N4_KEY));
        assert!(!verify(&posted, "another key"));
        let mut changed = posted.clone();
        changed[0] = ("EXTRA_BAR", "d");
        assert!(!verify(&changed, N4_KEY));
        let mut wrong = posted.clone();
        wrong.retain(|(name, _)| *name != "HASH");
        assert!(!verify(&wrong, N4_KEY), "no hash, no payment");
        wrong.push(("hash", N4_WRONG));
        assert!(!verify(&wrong, N4_KEY));
    }
}
