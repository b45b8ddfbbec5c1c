//! The built-in sandbox bank: plainly a fake, for trying payments without a real provider.
//!
//! Its hosted page lives in the service (`/sandbox/checkout/{id}`); what it posts back is signed
//! exactly as an outside bank signs: `Sandbox-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret,
//! "<t>.<body>")>`, with several `v1` entries while a secret is being rotated. Signatures older
//! than five minutes are refused.

pub mod transformers;

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};

use self::transformers::{SandboxEvent, SignatureHeader, signed_message};
use crate::signature::{hmac_hex, verify_hex};
use crate::{
    Answer, CallbackError, CallbackEvent, CreatedLink, Headers, LinkRef, LinkRequest, PosProvider,
    ProviderError, ReportedAmount,
};

/// The provider's name in URLs, records and settings.
pub const NAME: &str = "sandbox";

/// How old a signature may be, in seconds.
pub const TOLERANCE_SECONDS: i64 = 300;
pub const SIGNATURE_HEADER: &str = "sandbox-signature";

#[derive(Debug, Clone)]
pub struct Sandbox {
    /// Secrets accepted on callbacks, the current one first (it also signs).
    secrets: Vec<SecretString>,
    /// The service's public base URL, where the sandbox's hosted page is served.
    public_url: String,
}

/// What the payer chose on the sandbox bank's page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision<'a> {
    /// The bank's id of the link (`sbx_…`).
    pub provider_link_id: &'a str,
    pub approved: bool,
    /// What the card is charged, as decimal text ("1313.03").
    pub charged: &'a str,
    pub currency: &'a str,
    pub installments: u32,
}

impl Sandbox {
    /// The callback the bank posts for `decision`: the JSON body, and the `Sandbox-Signature`
    /// header over it at `timestamp`, exactly as an outside bank would send them.
    pub fn signed_callback(
        &self,
        decision: &Decision<'_>,
        timestamp: i64,
    ) -> Result<(Vec<u8>, String), serde_json::Error> {
        let event = SandboxEvent {
            id: format!("evt_{}", uuid::Uuid::now_v7().simple()),
            kind: if decision.approved {
                "payment.succeeded"
            } else {
                "payment.failed"
            }
            .to_owned(),
            link_id: decision.provider_link_id.to_owned(),
            transaction_id: format!("sbx_txn_{}", uuid::Uuid::now_v7().simple()),
            amount: decision.charged.to_owned(),
            currency: decision.currency.to_owned(),
            installment_count: decision.installments,
            failure_reason: (!decision.approved)
                .then(|| "Sandbox: declined by the payer".to_owned()),
        };
        let body = serde_json::to_vec(&event)?;
        let signature = self.sign(timestamp, &body);
        Ok((body, signature))
    }

    pub fn new(current: SecretString, previous: Option<SecretString>, public_url: &str) -> Self {
        Self {
            secrets: std::iter::once(current).chain(previous).collect(),
            public_url: public_url.trim_end_matches('/').to_owned(),
        }
    }

    /// Signs a body as the sandbox bank does, at `timestamp`.
    pub fn sign(&self, timestamp: i64, body: &[u8]) -> String {
        let secret = self
            .secrets
            .first()
            .map(|s| s.expose_secret().as_bytes())
            .unwrap_or_default();
        SignatureHeader {
            timestamp,
            signatures: vec![hmac_hex(secret, &signed_message(timestamp, body))],
        }
        .render()
    }
}

#[async_trait::async_trait]
impl PosProvider for Sandbox {
    fn name(&self) -> &'static str {
        NAME
    }

    fn is_test(&self) -> bool {
        true
    }

    fn signs_installment_count(&self) -> bool {
        true
    }

    /// The sandbox bank takes the choice in the address; real providers ask on their own page.
    fn checkout_url(&self, provider_url: &str, installments: u32) -> String {
        format!("{provider_url}?installments={installments}")
    }

    async fn create_link(&self, request: &LinkRequest) -> Result<CreatedLink, ProviderError> {
        let provider_link_id = format!("sbx_{}", request.reference);
        Ok(CreatedLink {
            url: format!("{}/sandbox/checkout/{provider_link_id}", self.public_url),
            provider_link_id,
        })
    }

    async fn cancel_link(&self, _provider_link_id: &str) -> Result<(), ProviderError> {
        Ok(())
    }

    fn claimed_link(&self, body: &[u8]) -> Option<LinkRef> {
        #[derive(serde::Deserialize)]
        struct Claimed {
            link_id: String,
        }
        let claimed: Claimed = serde_json::from_slice(body).ok()?;
        Some(LinkRef::ProviderLinkId(claimed.link_id))
    }

    fn verify_callback(
        &self,
        headers: Headers<'_>,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<CallbackEvent, CallbackError> {
        let header = headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(SIGNATURE_HEADER))
            .and_then(|(_, value)| SignatureHeader::parse(value))
            .ok_or(CallbackError::MissingSignature)?;
        let message = signed_message(header.timestamp, body);
        let matches = self.secrets.iter().any(|secret| {
            header
                .signatures
                .iter()
                .any(|signature| verify_hex(secret.expose_secret().as_bytes(), &message, signature))
        });
        if !matches {
            return Err(CallbackError::BadSignature);
        }
        if (now.timestamp() - header.timestamp).abs() > TOLERANCE_SECONDS {
            return Err(CallbackError::Stale);
        }
        let event: SandboxEvent = serde_json::from_slice(body)
            .map_err(|error| CallbackError::Malformed(error.to_string()))?;
        let link = LinkRef::ProviderLinkId(event.link_id);
        match event.kind.as_str() {
            "payment.succeeded" => {
                let value = crate::parse_plain_decimal(&event.amount).ok_or_else(|| {
                    CallbackError::Malformed("amount is not a plain decimal".into())
                })?;
                Ok(CallbackEvent::Succeeded {
                    event_key: event.id,
                    link,
                    transaction_id: event.transaction_id,
                    charged: Some(ReportedAmount {
                        value,
                        currency: Some(event.currency),
                    }),
                    installment_count: Some(event.installment_count),
                })
            }
            "payment.failed" => Ok(CallbackEvent::Failed {
                event_key: event.id,
                link,
                reason: event
                    .failure_reason
                    .unwrap_or_else(|| "declined".to_owned()),
            }),
            other => Err(CallbackError::Malformed(format!(
                "unknown event type {other:?}"
            ))),
        }
    }

    fn accepted(&self) -> Answer {
        Answer {
            status: 200,
            content_type: "application/json",
            body: r#"{"received": true}"#.to_owned(),
        }
    }

    fn rejected(&self) -> Answer {
        Answer {
            status: 401,
            content_type: "application/json",
            body: r#"{"error": "invalid signature"}"#.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event_body() -> Vec<u8> {
        serde_json::to_vec(&SandboxEvent {
            id: "evt_1".into(),
            kind: "payment.succeeded".into(),
            link_id: "sbx_abc".into(),
            transaction_id: "txn_1".into(),
            amount: "1313.03".into(),
            currency: "TRY".into(),
            installment_count: 6,
            failure_reason: None,
        })
        .unwrap()
    }

    fn headers(value: String) -> Vec<(String, String)> {
        vec![(SIGNATURE_HEADER.to_owned(), value)]
    }

    #[test]
    fn a_signed_event_is_read() {
        let bank = Sandbox::new(SecretString::from("s3cret"), None, "http://localhost");
        let now = Utc::now();
        let body = event_body();
        let event = bank
            .verify_callback(&headers(bank.sign(now.timestamp(), &body)), &body, now)
            .unwrap();
        match event {
            CallbackEvent::Succeeded {
                event_key,
                charged,
                installment_count,
                ..
            } => {
                assert_eq!(event_key, "evt_1");
                assert_eq!(charged.unwrap().value.to_string(), "1313.03");
                assert_eq!(installment_count, Some(6));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_banks_own_callbacks_verify() {
        let bank = Sandbox::new(SecretString::from("s3cret"), None, "http://localhost");
        let now = Utc::now();
        let decision = Decision {
            provider_link_id: "sbx_abc",
            approved: false,
            charged: "10.00",
            currency: "TRY",
            installments: 1,
        };
        let (body, signature) = bank.signed_callback(&decision, now.timestamp()).unwrap();
        match bank
            .verify_callback(&headers(signature), &body, now)
            .unwrap()
        {
            CallbackEvent::Failed { link, reason, .. } => {
                assert_eq!(link, LinkRef::ProviderLinkId("sbx_abc".into()));
                assert!(reason.contains("declined"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bad_stale_and_missing_signatures_are_refused() {
        let bank = Sandbox::new(SecretString::from("s3cret"), None, "http://localhost");
        let forger = Sandbox::new(SecretString::from("guess"), None, "http://localhost");
        let now = Utc::now();
        let body = event_body();
        assert_eq!(
            bank.verify_callback(&headers(forger.sign(now.timestamp(), &body)), &body, now),
            Err(CallbackError::BadSignature)
        );
        let old = now.timestamp() - TOLERANCE_SECONDS - 1;
        assert_eq!(
            bank.verify_callback(&headers(bank.sign(old, &body)), &body, now),
            Err(CallbackError::Stale)
        );
        assert_eq!(
            bank.verify_callback(&[], &body, now),
            Err(CallbackError::MissingSignature)
        );
        let mut tampered = body.clone();
        tampered.extend_from_slice(b" ");
        assert_eq!(
            bank.verify_callback(&headers(bank.sign(now.timestamp(), &body)), &tampered, now),
            Err(CallbackError::BadSignature)
        );
    }

    #[test]
    fn during_rotation_either_secret_is_accepted() {
        let old_bank = Sandbox::new(SecretString::from("old"), None, "http://localhost");
        let rotated = Sandbox::new(
            SecretString::from("new"),
            Some(SecretString::from("old")),
            "http://localhost",
        );
        let now = Utc::now();
        let body = event_body();
        assert!(
            rotated
                .verify_callback(&headers(old_bank.sign(now.timestamp(), &body)), &body, now)
                .is_ok()
        );
        // Several v1 entries: any match is enough.
        let both = format!("{},v1=deadbeef", old_bank.sign(now.timestamp(), &body));
        assert!(rotated.verify_callback(&headers(both), &body, now).is_ok());
    }
}
