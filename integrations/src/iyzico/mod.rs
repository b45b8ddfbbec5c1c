//! iyzico: the hosted checkout form, IYZWSv2-signed requests, the signed checkout-form result and
//! `X-IYZ-SIGNATURE-V3` webhooks (`../shared/providers/iyzico.md`).
//!
//! This part holds the signing rules, each reproducing iyzico's published vectors byte for byte;
//! requests go out with [`authorization`], and nothing an answer or a webhook says is believed
//! before its signature matches ([`verify_hex`], constant time).

pub mod transformers;

use base64::Engine as _;

use crate::signature::hmac_hex;

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
