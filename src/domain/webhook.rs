//! Outbound webhooks after the Standard Webhooks specification (standardwebhooks.com): the event
//! types an endpoint may subscribe to, the signing secret and signature, the retry schedule, and
//! which network addresses a delivery may never reach.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use base64::Engine as _;
use chrono::Duration;

/// Every event type, as sent in the body's `type` and subscribed to by name.
pub const EVENT_TYPES: [&str; 20] = [
    "customer.created",
    "customer.updated",
    "invoice.created",
    "invoice.updated",
    "invoice.paid",
    "invoice.voided",
    "payment.recorded",
    "payment.received",
    "payment.failed",
    "payment.reversed",
    "payment_link.created",
    "payment_link.paid",
    "payment_link.expired",
    "reminder.sent",
    "promise.made",
    "promise.kept",
    "promise.broken",
    "dispute.opened",
    "dispute.resolved",
    "callback.rejected",
];

/// Subscribes an endpoint to every event type, including ones added later.
pub const ALL_EVENTS: &str = "*";

/// Whether `name` is a known event type (or `*`).
pub fn is_event_type(name: &str) -> bool {
    name == ALL_EVENTS || EVENT_TYPES.contains(&name)
}

/// Whether an endpoint subscribed to `subscribed` receives `event_type`.
pub fn subscribes(subscribed: &[String], event_type: &str) -> bool {
    subscribed
        .iter()
        .any(|name| name == ALL_EVENTS || name == event_type)
}

/// Signing secrets start with this, as the specification's libraries expect.
pub const SECRET_PREFIX: &str = "whsec_";

/// A fresh signing secret: `whsec_` and 32 random bytes in standard base64.
pub fn new_secret() -> String {
    let key: [u8; 32] = rand::random();
    format!(
        "{SECRET_PREFIX}{}",
        base64::engine::general_purpose::STANDARD.encode(key)
    )
}

/// The key a secret stands for: the base64 after `whsec_`.
fn key(secret: &str) -> Option<Vec<u8>> {
    let encoded = secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret);
    base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()
}

/// `v1,` and the base64 HMAC-SHA256 of `id.timestamp.body` under the secret's key; `None` for
/// a secret that is not base64 (never one this module made).
pub fn signature(secret: &str, id: &str, timestamp: i64, body: &str) -> Option<String> {
    let key = key(secret)?;
    let signed = format!("{id}.{timestamp}.{body}");
    Some(format!(
        "v1,{}",
        integrations::signature::hmac_base64(&key, signed.as_bytes())
    ))
}

/// The `webhook-signature` header: one signature per secret, space-separated, so a receiver
/// still holding the previous secret during a rotation verifies too.
pub fn signature_header<'a>(
    secrets: impl IntoIterator<Item = &'a str>,
    id: &str,
    timestamp: i64,
    body: &str,
) -> String {
    secrets
        .into_iter()
        .filter_map(|secret| signature(secret, id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The waits between tries: 5 s, 5 min, 30 min, 2 h, 5 h, then 10 h seven times — about three
/// days in all (77 h 35 min) and 13 tries.
const RETRY_SCHEDULE: [i64; 12] = [
    5,
    5 * 60,
    30 * 60,
    2 * 3_600,
    5 * 3_600,
    10 * 3_600,
    10 * 3_600,
    10 * 3_600,
    10 * 3_600,
    10 * 3_600,
    10 * 3_600,
    10 * 3_600,
];

/// The most tries a delivery gets.
pub const MAX_ATTEMPTS: i32 = RETRY_SCHEDULE.len() as i32 + 1;

/// An endpoint whose deliveries have all failed for this long is disabled.
pub fn disable_after() -> Duration {
    Duration::days(5)
}

/// The wait after try number `attempts` (1-based) failed, or `None` when it was the last.
/// `jitter` in [0, 1) spreads retries by up to a tenth either way, so receivers coming back up
/// are not hit by every delivery in the same second.
pub fn retry_delay(attempts: i32, jitter: f64) -> Option<Duration> {
    let index = usize::try_from(attempts.checked_sub(1)?).ok()?;
    let base = *RETRY_SCHEDULE.get(index)?;
    let millis = base * 1_000;
    let spread = millis / 10;
    // The jitter only picks a point inside a whole-millisecond range: no money, no f64 stored.
    let offset = ((jitter.clamp(0.0, 1.0) * 2.0 - 1.0) * spread as f64) as i64;
    Some(Duration::milliseconds(millis + offset))
}

/// Whether a delivery may connect to `address`. Loopback, private, link-local, shared (CGNAT),
/// unspecified, multicast and broadcast addresses are refused unless private addresses are
/// allowed, so an endpoint cannot point the service at its own network (SSRF).
pub fn address_allowed(address: IpAddr, allow_private: bool) -> bool {
    allow_private || is_public(address)
}

fn is_public(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(address: Ipv4Addr) -> bool {
    let [a, b, ..] = address.octets();
    let shared = a == 100 && (64..128).contains(&b);
    let reserved = a == 0 || a >= 240;
    !(address.is_loopback()
        || address.is_private()
        || address.is_link_local()
        || address.is_unspecified()
        || address.is_multicast()
        || address.is_broadcast()
        || address.is_documentation()
        || shared
        || reserved)
}

fn is_public_v6(address: Ipv6Addr) -> bool {
    let first = address.segments()[0];
    let unique_local = (first & 0xfe00) == 0xfc00;
    let link_local = (first & 0xffc0) == 0xfe80;
    // 64:ff9b::/96 carries an IPv4 address through NAT64: judge the address inside.
    if address.segments()[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let [.., c, d] = address.segments();
        let inner = Ipv4Addr::from((u32::from(c) << 16) | u32::from(d));
        return is_public_v4(inner);
    }
    !(address.is_loopback()
        || address.is_unspecified()
        || address.is_multicast()
        || unique_local
        || link_local)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_specification_example_signs_as_published() {
        // The example in the Standard Webhooks specification.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = r#"{"test": 2432232314}"#;
        assert_eq!(
            signature(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body).as_deref(),
            Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        );
    }

    #[test]
    fn a_rotation_sends_both_signatures() {
        let (old, new) = (new_secret(), new_secret());
        let header = signature_header([new.as_str(), old.as_str()], "id", 1, "{}");
        let parts: Vec<&str> = header.split(' ').collect();
        assert_eq!(parts.len(), 2);
        assert_eq!(Some(parts[0].to_owned()), signature(&new, "id", 1, "{}"));
        assert_eq!(Some(parts[1].to_owned()), signature(&old, "id", 1, "{}"));
    }

    #[test]
    fn retries_follow_the_schedule_for_about_three_days() {
        let waits: Vec<i64> = (1..MAX_ATTEMPTS)
            .map(|attempt| retry_delay(attempt, 0.5).map_or(-1, |wait| wait.num_seconds()))
            .collect();
        assert_eq!(&waits[..6], &[5, 300, 1_800, 7_200, 18_000, 36_000]);
        let total: i64 = waits.iter().sum();
        assert!((70 * 3_600..80 * 3_600).contains(&total), "{total}");
        assert_eq!(retry_delay(MAX_ATTEMPTS, 0.5), None);
        assert_eq!(retry_delay(0, 0.5), None);
        // Jitter stays within a tenth.
        assert_eq!(retry_delay(2, 0.0), Some(Duration::seconds(270)));
        assert_eq!(retry_delay(2, 1.0), Some(Duration::seconds(330)));
    }

    #[test]
    fn private_and_special_addresses_are_refused() {
        for refused in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a9fe:a9fe",
        ] {
            let address: IpAddr = refused.parse().unwrap();
            assert!(!address_allowed(address, false), "{refused}");
            assert!(address_allowed(address, true), "{refused}");
        }
        for allowed in [
            "93.184.216.34",
            "2606:2800:220:1::1",
            "::ffff:93.184.216.34",
        ] {
            let address: IpAddr = allowed.parse().unwrap();
            assert!(address_allowed(address, false), "{allowed}");
        }
    }

    #[test]
    fn subscriptions_match_by_name_or_star() {
        let some = vec!["invoice.paid".to_owned()];
        assert!(subscribes(&some, "invoice.paid"));
        assert!(!subscribes(&some, "invoice.created"));
        assert!(subscribes(&["*".to_owned()], "callback.rejected"));
        assert!(EVENT_TYPES.iter().all(|name| is_event_type(name)));
        assert!(!is_event_type("invoice.deleted"));
    }
}
