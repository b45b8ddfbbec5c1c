//! iyzico's wire formats: how amounts are written, the checkout-form requests and answers, and
//! the webhook body.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// An amount as iyzico writes it in signed fields: major units, no trailing zeros (`1250.5`,
/// `100`, `1313.03`).
pub fn price_text(amount: Decimal) -> String {
    amount.normalize().to_string()
}

/// The body of a hosted-page (checkout form) webhook. It is a trigger only: the payment is
/// credited after the checkout-form result has been retrieved and its signature checked.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct CheckoutWebhook {
    pub payment_conversation_id: String,
    #[serde(default)]
    pub merchant_id: Option<serde_json::Value>,
    pub token: String,
    pub status: String,
    #[serde(default)]
    pub iyzi_reference_code: Option<String>,
    pub iyzi_event_type: String,
    #[serde(default)]
    pub iyzi_event_time: Option<i64>,
    pub iyzi_payment_id: serde_json::Value,
}

impl CheckoutWebhook {
    /// The payment id as text, whether iyzico sent it as a number or a string.
    pub fn payment_id(&self) -> String {
        match &self.iyzi_payment_id {
            serde_json::Value::String(text) => text.clone(),
            other => other.to_string(),
        }
    }
}

/// A JSON value iyzico writes as a number or a string, as text (`25152948`, `1313.03`).
pub fn text_of(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(text) => Some(text.clone()),
        serde_json::Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

/// `POST /payment/iyzipos/checkoutform/initialize/auth/ecom`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InitializeRequest {
    pub locale: &'static str,
    pub conversation_id: String,
    pub price: String,
    pub paid_price: String,
    pub currency: String,
    pub basket_id: String,
    pub payment_group: &'static str,
    pub callback_url: String,
    pub enabled_installments: Vec<u32>,
    pub buyer: Buyer,
    pub billing_address: Address,
    pub basket_items: Vec<BasketItem>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Buyer {
    pub id: String,
    pub name: String,
    pub surname: String,
    pub email: String,
    pub identity_number: String,
    pub registration_address: String,
    pub ip: String,
    pub city: String,
    pub country: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    pub contact_name: String,
    pub city: String,
    pub country: String,
    pub address: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BasketItem {
    pub id: String,
    pub name: String,
    pub category1: String,
    pub item_type: &'static str,
    pub price: String,
}

/// The answer to an initialize request.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InitializeAnswer {
    pub status: String,
    #[serde(default)]
    pub error_code: Option<serde_json::Value>,
    #[serde(default)]
    pub error_message: Option<String>,
    #[serde(default)]
    pub conversation_id: Option<String>,
    #[serde(default)]
    pub token: Option<String>,
    #[serde(default)]
    pub payment_page_url: Option<String>,
    #[serde(default)]
    pub signature: Option<String>,
}

/// `POST /payment/iyzipos/checkoutform/auth/ecom/detail`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RetrieveRequest {
    pub locale: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conversation_id: Option<String>,
    pub token: String,
}

/// The checkout-form result; believed only after its `signature` matches.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RetrieveAnswer {
    pub status: String,
    #[serde(default)]
    pub error_code: Option<serde_json::Value>,
    #[serde(default)]
    pub error_message: Option<String>,
    #[serde(default)]
    pub payment_status: Option<String>,
    #[serde(default)]
    pub payment_id: Option<serde_json::Value>,
    #[serde(default)]
    pub price: Option<serde_json::Value>,
    #[serde(default)]
    pub paid_price: Option<serde_json::Value>,
    #[serde(default)]
    pub installment: Option<serde_json::Value>,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub basket_id: Option<String>,
    #[serde(default)]
    pub conversation_id: Option<String>,
    #[serde(default)]
    pub fraud_status: Option<serde_json::Value>,
    #[serde(default)]
    pub token: Option<String>,
    #[serde(default)]
    pub signature: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_drop_trailing_zeros() {
        assert_eq!(price_text(Decimal::new(125050, 2)), "1250.5");
        assert_eq!(price_text(Decimal::new(10000, 2)), "100");
        assert_eq!(price_text(Decimal::new(131303, 2)), "1313.03");
    }

    #[test]
    fn a_webhook_reads_with_a_numeric_payment_id() {
        let body = r#"{"paymentConversationId":"INV20240001","merchantId":12345,"token":"077aff05-1e9b-44aa-aa11-c268bb8b3826","status":"SUCCESS","iyziReferenceCode":"ref","iyziEventType":"CHECKOUT_FORM_AUTH","iyziEventTime":1700000000000,"iyziPaymentId":25152948}"#;
        let webhook: CheckoutWebhook = serde_json::from_str(body).unwrap();
        assert_eq!(webhook.payment_id(), "25152948");
        let signature = super::super::webhook_signature_hosted(
            "sandbox-secret-TEST",
            &webhook.iyzi_event_type,
            &webhook.payment_id(),
            &webhook.token,
            &webhook.payment_conversation_id,
            &webhook.status,
        );
        assert_eq!(
            signature,
            "cd27344d18a3cb1571112f63fc2f676b9a2826ed6fe028c7db4e47b1efdcec53"
        );
    }
}
