//! Payment links: their states, and the secret token in the customer's URL.

use base64::Engine as _;
use sea_orm::entity::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum PaymentLinkStatus {
    /// Can be paid.
    #[sea_orm(string_value = "ACTIVE")]
    Active,
    #[sea_orm(string_value = "PAID")]
    Paid,
    /// Past its time; the expiry job sets it.
    #[sea_orm(string_value = "EXPIRED")]
    Expired,
    /// Withdrawn by a person.
    #[sea_orm(string_value = "CANCELLED")]
    Cancelled,
}

/// A new link token: 192 random bits, URL-safe (32 characters), so guessing one is hopeless.
pub fn new_token() -> String {
    let random: [u8; 24] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random)
}

/// Whether a text could be a token at all, checked before any database lookup.
pub fn looks_like_token(text: &str) -> bool {
    text.len() == 32
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_url_safe_and_distinct() {
        let tokens: std::collections::HashSet<String> = (0..1_000).map(|_| new_token()).collect();
        assert_eq!(tokens.len(), 1_000);
        assert!(tokens.iter().all(|token| looks_like_token(token)));
        assert!(!looks_like_token("../etc/passwd"));
        assert!(!looks_like_token("short"));
    }
}
