//! PayTR's wire format: form fields out, JSON answers in, form-encoded callbacks.

use serde::{Deserialize, Serialize};

/// PayTR writes the Turkish lira as `TL`; the other codes are ISO's.
pub fn currency_code(iso: &str) -> Option<&'static str> {
    match iso {
        "TRY" => Some("TL"),
        "USD" => Some("USD"),
        "EUR" => Some("EUR"),
        "GBP" => Some("GBP"),
        "RUB" => Some("RUB"),
        _ => None,
    }
}

/// `POST /odeme/api/link/create`, collection link.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CreateLinkForm {
    pub merchant_id: String,
    pub name: String,
    /// Integer kuruş.
    pub price: String,
    pub currency: String,
    pub max_installment: String,
    pub link_type: String,
    pub lang: String,
    pub email: String,
    /// `YYYY-MM-DD HH:MM:SS`, Turkey time.
    pub expiry_date: String,
    pub callback_link: String,
    pub callback_id: String,
    pub paytr_token: String,
}

impl CreateLinkForm {
    /// The token message: `name, price, currency, max_installment, link_type, lang, email`, then the salt.
    pub fn token_message(&self, salt: &str) -> String {
        format!(
            "{}{}{}{}{}{}{}{}",
            self.name,
            self.price,
            self.currency,
            self.max_installment,
            self.link_type,
            self.lang,
            self.email,
            salt
        )
    }
}

/// `POST /odeme/api/link/delete`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DeleteLinkForm {
    pub merchant_id: String,
    pub id: String,
    pub paytr_token: String,
}

/// The token message for a delete: `id + merchant_id + salt`.
pub fn delete_token_message(id: &str, merchant_id: &str, salt: &str) -> String {
    format!("{id}{merchant_id}{salt}")
}

/// PayTR's JSON answer to API calls.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct ApiAnswer {
    pub status: String,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub link: Option<String>,
    #[serde(default)]
    pub err_msg: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
}

/// The link callback (to `callback_link`). Only `callback_id`, `merchant_oid`, `status` and
/// `total_amount` are signed; the rest is information.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct LinkCallback {
    pub hash: String,
    pub merchant_oid: String,
    pub status: String,
    pub total_amount: String,
    #[serde(default)]
    pub payment_amount: Option<String>,
    #[serde(default)]
    pub callback_id: String,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub installment_count: Option<String>,
    #[serde(default)]
    pub failed_reason_msg: Option<String>,
}

impl LinkCallback {
    /// `callback_id + merchant_oid + salt + status + total_amount`.
    pub fn hash_message(&self, salt: &str) -> String {
        format!(
            "{}{}{}{}{}",
            self.callback_id, self.merchant_oid, salt, self.status, self.total_amount
        )
    }
}

/// The iFrame/Direct API notification hash: `merchant_oid + salt + status + total_amount`.
pub fn notification_hash_message(
    merchant_oid: &str,
    salt: &str,
    status: &str,
    total_amount: &str,
) -> String {
    format!("{merchant_oid}{salt}{status}{total_amount}")
}
