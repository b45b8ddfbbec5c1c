//! PayTR: collection links through the Link API, and the link callback.
//!
//! Requests are signed with `base64(HMAC-SHA256(merchant_key, fields + merchant_salt))`; the
//! callback's `hash` covers only some fields, so amounts and currencies that are not signed are
//! left for the service to take from its own records. PayTR sends no callback for failed link
//! payments; expiry is the service's own timer.

pub mod transformers;

use std::time::Duration;

use chrono::{DateTime, FixedOffset, Utc};
use secrecy::{ExposeSecret, SecretString};

use self::transformers::{
    ApiAnswer, CreateLinkForm, DeleteLinkForm, LinkCallback, currency_code, delete_token_message,
};
use crate::signature::{hmac_base64, verify_base64};
use crate::{
    Answer, CallbackError, CallbackEvent, CreatedLink, Headers, Language, LinkRef, LinkRequest,
    PosProvider, ProviderError, ReportedAmount,
};

/// The provider's name in URLs, records and settings.
pub const NAME: &str = "paytr";

#[derive(Debug, Clone)]
pub struct Paytr {
    merchant_id: String,
    merchant_key: SecretString,
    merchant_salt: SecretString,
    api_base: String,
    client: reqwest::Client,
}

impl Paytr {
    pub fn new(
        merchant_id: String,
        merchant_key: SecretString,
        merchant_salt: SecretString,
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
            merchant_id,
            merchant_key,
            merchant_salt,
            api_base: api_base.trim_end_matches('/').to_owned(),
            client,
        })
    }

    fn sign(&self, message: &str) -> String {
        hmac_base64(
            self.merchant_key.expose_secret().as_bytes(),
            message.as_bytes(),
        )
    }

    /// The form for a collection link, signed.
    pub fn create_form(&self, request: &LinkRequest) -> Result<CreateLinkForm, ProviderError> {
        let currency = currency_code(&request.currency).ok_or_else(|| {
            ProviderError::Unsupported(format!("PayTR does not take {}", request.currency))
        })?;
        let turkey = FixedOffset::east_opt(3 * 3600)
            .ok_or_else(|| ProviderError::Unsupported("time zone".into()))?;
        let mut form = CreateLinkForm {
            merchant_id: self.merchant_id.clone(),
            name: request.name.clone(),
            price: request.amount_minor.to_string(),
            currency: currency.to_owned(),
            max_installment: request.max_installments.clamp(1, 12).to_string(),
            link_type: "collection".to_owned(),
            lang: match request.language {
                Language::Turkish => "tr",
                Language::English => "en",
            }
            .to_owned(),
            email: request.payer_email.clone(),
            expiry_date: request
                .expires_at
                .with_timezone(&turkey)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string(),
            callback_link: request.callback_url.clone(),
            callback_id: request.reference.clone(),
            paytr_token: String::new(),
        };
        form.paytr_token = self.sign(&form.token_message(self.merchant_salt.expose_secret()));
        Ok(form)
    }

    async fn post<F: serde::Serialize>(
        &self,
        path: &str,
        form: &F,
    ) -> Result<ApiAnswer, ProviderError> {
        let url = format!("{}{path}", self.api_base);
        let response = self
            .client
            .post(&url)
            .form(form)
            .send()
            .await
            .map_err(|error| ProviderError::Unreachable(error.without_url().to_string()))?;
        let text = response
            .text()
            .await
            .map_err(|error| ProviderError::Unreachable(error.without_url().to_string()))?;
        let answer: ApiAnswer = serde_json::from_str(&text)
            .map_err(|_| ProviderError::BadAnswer(text.chars().take(200).collect()))?;
        if answer.status == "success" {
            Ok(answer)
        } else {
            let reason = answer.err_msg.or(answer.reason).unwrap_or(answer.status);
            Err(ProviderError::Refused(reason))
        }
    }
}

#[async_trait::async_trait]
impl PosProvider for Paytr {
    fn name(&self) -> &'static str {
        NAME
    }

    fn requires_payer_email(&self) -> bool {
        true
    }

    fn display_name(&self) -> String {
        "PayTR".to_owned()
    }

    fn hosted_origin(&self) -> Option<String> {
        crate::origin_of(&self.api_base)
    }

    #[tracing::instrument(skip_all, fields(provider = "paytr"))]
    async fn create_link(&self, request: &LinkRequest) -> Result<CreatedLink, ProviderError> {
        let form = self.create_form(request)?;
        let answer = self.post("/odeme/api/link/create", &form).await?;
        match (answer.id, answer.link) {
            (Some(id), Some(link)) => Ok(CreatedLink {
                provider_link_id: id,
                url: link,
            }),
            _ => Err(ProviderError::BadAnswer(
                "success without id and link".into(),
            )),
        }
    }

    #[tracing::instrument(skip_all, fields(provider = "paytr"))]
    async fn cancel_link(&self, provider_link_id: &str) -> Result<(), ProviderError> {
        let token = self.sign(&delete_token_message(
            provider_link_id,
            &self.merchant_id,
            self.merchant_salt.expose_secret(),
        ));
        let form = DeleteLinkForm {
            merchant_id: self.merchant_id.clone(),
            id: provider_link_id.to_owned(),
            paytr_token: token,
        };
        self.post("/odeme/api/link/delete", &form).await.map(|_| ())
    }

    fn claimed_link(&self, body: &[u8]) -> Option<LinkRef> {
        #[derive(serde::Deserialize)]
        struct Claimed {
            callback_id: String,
        }
        let claimed: Claimed = serde_urlencoded::from_bytes(body).ok()?;
        Some(LinkRef::Reference(claimed.callback_id))
    }

    fn verify_callback(
        &self,
        _headers: Headers<'_>,
        body: &[u8],
        _now: DateTime<Utc>,
    ) -> Result<CallbackEvent, CallbackError> {
        // PayTR signs fields, not the body: the form is split into fields, and nothing is acted
        // on before the hash over them matches.
        let callback: LinkCallback =
            serde_urlencoded::from_bytes(body).map_err(|_| CallbackError::MissingSignature)?;
        let message = callback.hash_message(self.merchant_salt.expose_secret());
        if !verify_base64(
            self.merchant_key.expose_secret().as_bytes(),
            message.as_bytes(),
            &callback.hash,
        ) {
            return Err(CallbackError::BadSignature);
        }
        let link = LinkRef::Reference(callback.callback_id.clone());
        let event_key = callback.merchant_oid.clone();
        if callback.status != "success" {
            return Ok(CallbackEvent::Failed {
                event_key,
                link,
                reason: callback.failed_reason_msg.unwrap_or(callback.status),
            });
        }
        let total: i64 = callback.total_amount.trim().parse().map_err(|_| {
            CallbackError::Malformed("total_amount is not a whole number of kuruş".into())
        })?;
        Ok(CallbackEvent::Succeeded {
            event_key,
            link,
            transaction_id: callback.merchant_oid,
            charged: Some(ReportedAmount {
                value: rust_decimal::Decimal::new(total, 2),
                currency: None,
            }),
            installment_count: None,
        })
    }

    fn accepted(&self) -> Answer {
        Answer {
            status: 200,
            content_type: "text/plain",
            body: "OK".to_owned(),
        }
    }

    fn rejected(&self) -> Answer {
        Answer {
            status: 400,
            content_type: "text/plain",
            body: "bad hash".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::transformers::notification_hash_message;
    use super::*;

    const KEY: &str = "TESTKEY1234567890";
    const SALT: &str = "TESTSALT12345678";

    fn paytr() -> Paytr {
        Paytr::new(
            "123456".into(),
            SecretString::from(KEY),
            SecretString::from(SALT),
            "http://127.0.0.1:1",
        )
        .unwrap()
    }

    fn form(name: &str, price: &str, max: &str, link_type: &str, email: &str) -> CreateLinkForm {
        CreateLinkForm {
            merchant_id: "123456".into(),
            name: name.into(),
            price: price.into(),
            currency: "TL".into(),
            max_installment: max.into(),
            link_type: link_type.into(),
            lang: "tr".into(),
            email: email.into(),
            expiry_date: String::new(),
            callback_link: String::new(),
            callback_id: String::new(),
            paytr_token: String::new(),
        }
    }

    #[test]
    fn vector_l1_link_create_collection() {
        let form = form(
            "Invoice INV-2024-0001",
            "125050",
            "6",
            "collection",
            "debtor@example.com",
        );
        let message = form.token_message(SALT);
        assert_eq!(
            message,
            "Invoice INV-2024-0001125050TL6collectiontrdebtor@example.comTESTSALT12345678"
        );
        assert_eq!(
            paytr().sign(&message),
            "H2w2rYY2EOOYHA86VhgxLniQBo7C7sF8Ac+fU87Dm6g="
        );
    }

    #[test]
    fn vector_l2_link_create_product_with_turkish_letters() {
        // Product links put min_count where collection links put the email.
        let form = form("Örnek Ürün / Hizmet Adı", "1445", "12", "product", "1");
        let message = form.token_message(SALT);
        assert_eq!(
            message,
            "Örnek Ürün / Hizmet Adı1445TL12producttr1TESTSALT12345678"
        );
        assert_eq!(
            paytr().sign(&message),
            "tryjOoUCzgKa/Co77YD43L7qB3/fy3hDHCsRrW+Iols="
        );
    }

    #[test]
    fn vector_l3_link_delete() {
        let message = delete_token_message("AbCd1234", "123456", SALT);
        assert_eq!(message, "AbCd1234123456TESTSALT12345678");
        assert_eq!(
            paytr().sign(&message),
            "GmtEj2KxgfclquLYmmw3Utr7l8/Yrfo4GvlmVCYTxm0="
        );
    }

    #[test]
    fn vectors_c1_c2_notification_callbacks() {
        let c1 = notification_hash_message("INV20240001A", SALT, "success", "131303");
        assert_eq!(c1, "INV20240001ATESTSALT12345678success131303");
        assert_eq!(
            paytr().sign(&c1),
            "DWIkIh+ggKy53KDjKXK3CPQzZTJ3mrCi8UEejRRH8+k="
        );
        let c2 = notification_hash_message("INV20240001B", SALT, "failed", "125050");
        assert_eq!(
            paytr().sign(&c2),
            "mUYreQYnR6MUukaFFtW3r6PuFLEQ4DmCSJdbxoO3bCc="
        );
    }

    #[test]
    fn vector_c3_link_callback_is_verified_and_read() {
        let hash = "nUMdDnSk9RipcadVgIl5e24HjzSNwigXBJNUq9hVk8k=";
        let body = serde_urlencoded::to_string([
            ("hash", hash),
            ("merchant_oid", "PL8F3K2Q9"),
            ("status", "success"),
            ("total_amount", "131303"),
            ("payment_amount", "125050"),
            ("payment_type", "card"),
            ("currency", "TL"),
            ("callback_id", "INV20240001"),
            ("merchant_id", "123456"),
            ("test_mode", "1"),
        ])
        .unwrap();
        let event = paytr()
            .verify_callback(&[], body.as_bytes(), Utc::now())
            .unwrap();
        assert_eq!(
            event,
            CallbackEvent::Succeeded {
                event_key: "PL8F3K2Q9".into(),
                link: LinkRef::Reference("INV20240001".into()),
                transaction_id: "PL8F3K2Q9".into(),
                charged: Some(ReportedAmount {
                    value: rust_decimal::Decimal::new(131_303, 2),
                    currency: None
                }),
                installment_count: None,
            }
        );
        // A tampered total no longer matches.
        let tampered = body.replace("total_amount=131303", "total_amount=1");
        assert_eq!(
            paytr().verify_callback(&[], tampered.as_bytes(), Utc::now()),
            Err(CallbackError::BadSignature)
        );
        assert_eq!(
            paytr().verify_callback(&[], b"garbage", Utc::now()),
            Err(CallbackError::MissingSignature)
        );
    }

    #[test]
    fn the_answers_are_what_paytr_expects() {
        assert_eq!(paytr().accepted().body, "OK");
        assert_eq!(paytr().rejected().status, 400);
    }
}
