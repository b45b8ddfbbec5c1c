//! HMAC-SHA256 helpers. Comparisons go through `Mac::verify_slice`, which is constant-time, so a
//! forger learns nothing from how long a wrong signature takes to refuse.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

fn mac(key: &[u8], message: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    let mut mac = match HmacSha256::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable_hmac(),
    };
    mac.update(message);
    mac
}

#[cold]
fn unreachable_hmac() -> ! {
    // Documented by the hmac crate: HMAC accepts keys of every length.
    panic!("HMAC rejected a key")
}

/// HMAC-SHA256 of `message` under `key`, as lower-case hex.
pub fn hmac_hex(key: &[u8], message: &[u8]) -> String {
    hex::encode(mac(key, message).finalize().into_bytes())
}

/// HMAC-SHA256 of `message` under `key`, as standard base64 (44 characters).
pub fn hmac_base64(key: &[u8], message: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(mac(key, message).finalize().into_bytes())
}

/// Whether `signature_hex` is the HMAC of `message`, compared in constant time.
pub fn verify_hex(key: &[u8], message: &[u8], signature_hex: &str) -> bool {
    match hex::decode(signature_hex.trim()) {
        Ok(bytes) => mac(key, message).verify_slice(&bytes).is_ok(),
        Err(_) => false,
    }
}

/// Whether `signature_base64` is the HMAC of `message`, compared in constant time.
pub fn verify_base64(key: &[u8], message: &[u8], signature_base64: &str) -> bool {
    match base64::engine::general_purpose::STANDARD.decode(signature_base64.trim()) {
        Ok(bytes) => mac(key, message).verify_slice(&bytes).is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_4231_case_2() {
        // RFC 4231, test case 2: key "Jefe", data "what do ya want for nothing?".
        let expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
        assert_eq!(hmac_hex(b"Jefe", b"what do ya want for nothing?"), expected);
        assert!(verify_hex(
            b"Jefe",
            b"what do ya want for nothing?",
            expected
        ));
        assert!(!verify_hex(
            b"Jefe",
            b"what do ya want for nothing!",
            expected
        ));
        assert!(!verify_hex(b"Jefe", b"what do ya want for nothing?", "zz"));
    }

    #[test]
    fn base64_round_trip() {
        let signature = hmac_base64(b"key", b"message");
        assert_eq!(signature.len(), 44);
        assert!(verify_base64(b"key", b"message", &signature));
        assert!(!verify_base64(b"other", b"message", &signature));
        assert!(!verify_base64(b"key", b"message", "not base64!"));
    }
}
