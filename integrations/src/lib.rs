//! Payment-provider adapters, with no database and no GraphQL.
//!
//! Each provider implements [`PosProvider`]: create and cancel a hosted payment link, verify a
//! callback over its raw body (before parsing anything), and say what answer the provider
//! expects. The types here are plain — minor units and ISO currency codes — so no provider's wire
//! format leaks into the service, and nothing of the service's leaks out.
//!
//! - [`signature`] — HMAC helpers with constant-time comparison.
//! - [`sandbox`] — the built-in fake bank, signing like an outside bank does.
//! - [`paytr`] — PayTR's Link API (`link_type=collection`) and its link callback.
//! - [`iyzico`] — iyzico's hosted checkout form, made per attempt; its webhook is a trigger and
//!   the signed result retrieved from iyzico is the proof.
//! - [`nestpay`] — bank virtual POS on NestPay (3D Pay Hosting): an auto-submitting form to the
//!   bank, and the bank's hash-version-3 posts back.
//! - [`sms`] — SMS providers behind `SmsProvider`: Netgsm, and files for machines without one.
//!
//! Each adapter is a `mod.rs` (talks HTTP, verifies) and a `transformers.rs` (wire structs ↔
//! the plain types below).

pub mod iyzico;
pub mod nestpay;
pub mod paytr;
pub mod sandbox;
pub mod signature;
pub mod sms;

use chrono::{DateTime, Utc};

/// What the service asks a provider to create: a hosted page where the payer pays `amount_minor`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRequest {
    /// The service's id of the link, as 32 hex characters; providers echo it in callbacks.
    pub reference: String,
    /// Shown to the payer, e.g. "Fatura INV-2024-0001".
    pub name: String,
    pub amount_minor: i64,
    /// ISO 4217, e.g. TRY.
    pub currency: String,
    /// 1 = a single payment; 2–12 = installments up to that count.
    pub max_installments: u32,
    pub payer_email: String,
    pub language: Language,
    /// Where the provider posts its callback.
    pub callback_url: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    Turkish,
    English,
}

/// A link the provider created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedLink {
    /// The provider's own id of the link.
    pub provider_link_id: String,
    /// The hosted page the payer is sent to.
    pub url: String,
}

/// Who posts to a callback path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// The payer's browser, coming back from the provider's page.
    Browser,
    /// The provider's server.
    Server,
}

/// How a payer reaches a provider's card page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckoutKind {
    /// The provider keeps a page for the whole life of the link, made when the link is
    /// ([`PosProvider::create_link`]): the sandbox, PayTR.
    StandingLink,
    /// Nothing is made with the link; each time the payer chooses an installment count on the pay
    /// page an attempt begins ([`PosProvider::start_attempt`]): iyzico (its checkout form lives 30
    /// minutes), NestPay (the bank's form carries the amount and count chosen).
    PerAttempt,
}

/// One try at paying a link, begun when the payer chooses an installment count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptRequest {
    /// The service's id of the attempt, as 32 hex characters; the provider echoes it (iyzico's
    /// `conversationId`, NestPay's `oid`).
    pub reference: String,
    /// The link's id, as 32 hex characters.
    pub link_reference: String,
    /// Shown to the payer, e.g. "Fatura INV-2024-0001".
    pub name: String,
    /// What the invoices are credited.
    pub amount_minor: i64,
    /// What the card is charged: the amount with the customer's installment interest.
    pub charged_minor: i64,
    /// ISO 4217, e.g. TRY.
    pub currency: String,
    /// The count the payer chose, 1–12.
    pub installments: u32,
    pub payer_name: String,
    pub payer_email: String,
    /// The payer's address as this service saw it, for providers that ask.
    pub payer_ip: Option<String>,
    pub language: Language,
    /// `{public_url}/callbacks/{provider}`; each adapter adds the paths it registers.
    pub callback_base: String,
}

/// Where the payer goes to pay an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checkout {
    /// Send the browser to `url` (iyzico's checkout page).
    Redirect {
        url: String,
        /// The provider's handle on the attempt (iyzico's token), for asking about it later.
        provider_ref: Option<String>,
    },
    /// Have the browser POST `fields` to `action` (a bank's 3-D gateway).
    PostForm {
        action: String,
        fields: Vec<(String, String)>,
    },
}

/// An attempt to ask the provider about ([`PosProvider::attempt_status`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptQuery {
    pub reference: String,
    pub provider_ref: Option<String>,
    pub language: Language,
    /// The count the attempt was begun with (a bank's form fixes it; its status answer omits it).
    pub installments: u32,
}

/// What a verified callback reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallbackEvent {
    /// Money was taken.
    Succeeded {
        /// Unique per provider: a repeat of the same callback carries the same key.
        event_key: String,
        /// How the callback names the link: the provider's link id or our reference.
        link: LinkRef,
        transaction_id: String,
        /// What the card was charged, when the provider reports it in a signed field.
        charged: Option<ReportedAmount>,
        installment_count: Option<u32>,
    },
    /// The payment was declined; the link stays usable.
    Failed {
        event_key: String,
        link: LinkRef,
        reason: String,
    },
    /// A notification that is only a trigger (iyzico's): genuine, but the payment's outcome must
    /// be fetched from the provider ([`PosProvider::confirm`]) before anything is believed.
    Unconfirmed {
        /// The provider's handle on the attempt (iyzico's checkout-form token).
        token: String,
        /// Our attempt reference, when the notification names it.
        reference: Option<String>,
    },
}

/// An amount a provider reported, exactly as it reported it; the service checks it against the
/// currency's digits and its own records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportedAmount {
    pub value: rust_decimal::Decimal,
    /// Only when the currency is part of what the provider signed.
    pub currency: Option<String>,
}

/// Reads an amount written in plain decimal notation (`1250.50`, `-5`): no exponent, no sign
/// but a leading minus, no spaces. Anything else is not an amount a provider sends.
pub fn parse_plain_decimal(text: &str) -> Option<rust_decimal::Decimal> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let plain = !whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().all(|b| b.is_ascii_digit())
        && fraction.is_empty() != digits.contains('.');
    if !plain {
        return None;
    }
    rust_decimal::Decimal::from_str_exact(text).ok()
}

/// `scheme://host[:port]` of a URL, for a page's `form-action`.
pub fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split(['/', '?', '#']).next()?;
    (!host.is_empty()).then(|| format!("{scheme}://{host}"))
}

/// How a callback identifies its link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkRef {
    ProviderLinkId(String),
    Reference(String),
    /// One attempt's reference (iyzico's `conversationId`, NestPay's `oid`).
    Attempt(String),
}

/// An HTTP answer in the form a provider expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
}

/// Why a provider call failed.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// The provider could not be reached or did not answer in time; trying again may work.
    #[error("the provider could not be reached: {0}")]
    Unreachable(String),
    /// The provider answered with a refusal.
    #[error("the provider refused: {0}")]
    Refused(String),
    /// The provider's answer could not be understood.
    #[error("unexpected answer from the provider: {0}")]
    BadAnswer(String),
    /// The request cannot be expressed for this provider (e.g. an unsupported currency).
    #[error("{0}")]
    Unsupported(String),
}

/// Why a callback was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallbackError {
    #[error("missing or malformed signature")]
    MissingSignature,
    #[error("signature does not match")]
    BadSignature,
    #[error("signature timestamp outside the allowed window")]
    Stale,
    #[error("malformed body: {0}")]
    Malformed(String),
    /// The provider could not confirm the payment just now (unreachable, or still deciding):
    /// nothing is recorded and the sender is asked to try again.
    #[error("not confirmed yet: {0}")]
    Unconfirmed(String),
}

/// A request's headers as the adapters need them: lower-case name → value.
pub type Headers<'a> = &'a [(String, String)];

/// A virtual-POS provider.
#[async_trait::async_trait]
pub trait PosProvider: Send + Sync + std::fmt::Debug {
    /// The name used in URLs and records: `sandbox`, `paytr`.
    fn name(&self) -> &'static str;

    async fn create_link(&self, request: &LinkRequest) -> Result<CreatedLink, ProviderError>;

    async fn cancel_link(&self, provider_link_id: &str) -> Result<(), ProviderError>;

    /// Verifies the signature over the raw body first, then parses.
    fn verify_callback(
        &self,
        headers: Headers<'_>,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<CallbackEvent, CallbackError>;

    /// The link a refused callback names, read from its unverified body for one purpose only:
    /// telling that link's organization (its `callback.rejected` webhook) that someone sent a
    /// callback for it that did not verify. Nothing else is ever done with it.
    fn claimed_link(&self, _body: &[u8]) -> Option<LinkRef> {
        None
    }

    /// The body as kept for audit once verified: the provider's posts may carry card details
    /// (a masked number, an expiry) that this service must not store.
    fn audit_copy(&self, body: &[u8]) -> String {
        String::from_utf8_lossy(body).into_owned()
    }

    /// The provider's name as the pay page shows it to the payer.
    fn display_name(&self) -> String {
        self.name().to_owned()
    }

    /// The paths under `/callbacks/{name}/` the provider posts to besides `/callbacks/{name}`,
    /// each marked whether it is the payer's browser coming back (answered by sending the payer
    /// to the pay page) or the provider's server (answered as [`PosProvider::accepted`] says).
    fn return_paths(&self) -> &'static [(&'static str, Channel)] {
        &[]
    }

    /// Whether this is a test provider whose payments move no money (the sandbox).
    fn is_test(&self) -> bool {
        false
    }

    /// Whether a link cannot be created without the payer's email address.
    fn requires_payer_email(&self) -> bool {
        false
    }

    /// The origin (`https://host`) of the provider's hosted card page, where the pay page's form
    /// may send the customer; None when the page is served by this service itself.
    fn hosted_origin(&self) -> Option<String> {
        None
    }

    /// Whether the installment count in a callback is covered by the signature; when it is not,
    /// the service checks the charge against every total it offered instead.
    fn signs_installment_count(&self) -> bool {
        false
    }

    /// Where to send the payer who chose `installments` on the pay page.
    fn checkout_url(&self, provider_url: &str, _installments: u32) -> String {
        provider_url.to_owned()
    }

    /// Whether the provider's page is made with the link or per attempt.
    fn checkout_kind(&self) -> CheckoutKind {
        CheckoutKind::StandingLink
    }

    /// Begins one attempt at paying ([`CheckoutKind::PerAttempt`] providers).
    async fn start_attempt(&self, _request: &AttemptRequest) -> Result<Checkout, ProviderError> {
        Err(ProviderError::Unsupported(format!(
            "{} makes its page with the link",
            self.name()
        )))
    }

    /// Turns a verified event into what the provider's own records say; only
    /// [`CallbackEvent::Unconfirmed`] needs this, and only providers that send it implement it.
    async fn confirm(&self, event: CallbackEvent) -> Result<CallbackEvent, CallbackError> {
        match event {
            CallbackEvent::Unconfirmed { .. } => Err(CallbackError::Malformed(
                "this provider cannot confirm a notification".into(),
            )),
            event => Ok(event),
        }
    }

    /// Whether [`PosProvider::attempt_status`] can ask the provider about an attempt.
    fn queries_status(&self) -> bool {
        false
    }

    /// What the provider says of an attempt: a final outcome in the same form as its callback,
    /// or None while it is undecided (or never began).
    async fn attempt_status(
        &self,
        _query: &AttemptQuery,
    ) -> Result<Option<CallbackEvent>, ProviderError> {
        Ok(None)
    }

    /// The answer once the event is durably recorded (or was already).
    fn accepted(&self) -> Answer;

    /// The answer to a callback that failed verification.
    fn rejected(&self) -> Answer;

    /// The answer to a callback that was signed correctly but cannot be read (a missing field,
    /// an amount that is not money): a client error, so the sender looks at it.
    fn malformed(&self) -> Answer {
        Answer {
            status: 400,
            content_type: "text/plain; charset=utf-8",
            body: "malformed callback".to_owned(),
        }
    }

    /// The answer when recording failed inside, so the provider tries again.
    fn retry_later(&self) -> Answer {
        Answer {
            status: 500,
            content_type: "text/plain; charset=utf-8",
            body: "temporary failure".to_owned(),
        }
    }
}
