//! SMS providers behind [`SmsProvider`]: send one message, ask how it went.
//!
//! - [`netgsm`] — Netgsm's REST v2 API (`/sms/rest/v2/send`, `/sms/rest/v2/report`).
//! - [`file`] — writes each message to a directory, for machines without an SMS account.
//!
//! Numbers come in E.164 (`+905321234567`); each adapter writes them as its provider wants.

pub mod file;
pub mod netgsm;

/// One message to one number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsMessage {
    /// E.164, e.g. `+905321234567`.
    pub to: String,
    /// Plain text; Turkish letters are kept.
    pub body: String,
    /// About an existing debt (not commercial): no marketing-consent check applies.
    pub informational: bool,
}

/// What the provider answered to a send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsReceipt {
    /// The provider's id of the send, to ask its delivery status by.
    pub job_id: String,
}

/// Where a sent message stands at the operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    Waiting,
    Delivered,
    /// Not delivered, for good (bad number, rejected, no credit…).
    Failed,
    /// The provider has no record of it yet.
    Unknown,
}

/// Why a send failed; `retryable` says whether trying again later may help.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SmsError {
    pub message: String,
    pub retryable: bool,
}

impl SmsError {
    pub fn retry(message: impl Into<String>) -> Self {
        SmsError {
            message: message.into(),
            retryable: true,
        }
    }

    pub fn give_up(message: impl Into<String>) -> Self {
        SmsError {
            message: message.into(),
            retryable: false,
        }
    }
}

#[async_trait::async_trait]
pub trait SmsProvider: Send + Sync + std::fmt::Debug {
    /// The provider's name, as configured (`netgsm`, `file`).
    fn name(&self) -> &'static str;

    async fn send(&self, message: &SmsMessage) -> Result<SmsReceipt, SmsError>;

    async fn delivery_status(&self, job_id: &str) -> Result<DeliveryStatus, SmsError>;
}
