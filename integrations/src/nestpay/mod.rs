//! NestPay (Asseco / Payten) 3D Pay Hosting, the virtual POS of many Turkish banks
//! (`../shared/providers/nestpay.md`): hash version 3 over every posted field, the same rule for
//! the form we send to the bank's gateway and for the fields the bank posts back.
//!
//! This part holds the hash, reproducing the published vectors byte for byte; a callback is
//! believed only once [`verify`] accepts it (constant time).

pub mod transformers;

use std::cmp::Ordering;

use base64::Engine as _;
use sha2::{Digest, Sha512};

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
