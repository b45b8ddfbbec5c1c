//! The sandbox bank's wire format: a JSON event and a `Sandbox-Signature` header.

use serde::{Deserialize, Serialize};

/// The callback body the sandbox bank posts to `/callbacks/sandbox`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SandboxEvent {
    pub id: String,
    /// `payment.succeeded` or `payment.failed`.
    #[serde(rename = "type")]
    pub kind: String,
    pub link_id: String,
    pub transaction_id: String,
    /// What the card was charged, as a decimal string.
    pub amount: String,
    pub currency: String,
    pub installment_count: u32,
    pub failure_reason: Option<String>,
}

/// `t=<unix seconds>,v1=<hex>[,v1=<hex>…]`: the timestamp and every offered signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureHeader {
    pub timestamp: i64,
    pub signatures: Vec<String>,
}

impl SignatureHeader {
    pub fn parse(value: &str) -> Option<Self> {
        let mut timestamp = None;
        let mut signatures = Vec::new();
        for part in value.split(',') {
            match part.trim().split_once('=') {
                Some(("t", t)) => timestamp = t.parse().ok(),
                Some(("v1", signature)) => signatures.push(signature.to_owned()),
                _ => {}
            }
        }
        let timestamp = timestamp?;
        (!signatures.is_empty()).then_some(Self {
            timestamp,
            signatures,
        })
    }

    pub fn render(&self) -> String {
        let mut header = format!("t={}", self.timestamp);
        for signature in &self.signatures {
            header.push_str(",v1=");
            header.push_str(signature);
        }
        header
    }
}

/// The signed message: `"<t>.<raw body>"`.
pub fn signed_message(timestamp: i64, body: &[u8]) -> Vec<u8> {
    let mut message = format!("{timestamp}.").into_bytes();
    message.extend_from_slice(body);
    message
}
