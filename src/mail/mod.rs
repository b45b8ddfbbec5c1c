//! Outgoing mail: the texts (Turkish and English, plain text and HTML) and the sender — SMTP
//! through lettre, or `.eml` files in `TAHSILAT_MAIL_DIR` when no SMTP server is configured.

pub mod templates;

use std::path::PathBuf;

use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};

use crate::config::Config;

/// A mail as the outbox keeps it: rendered when it was queued, so it says what was true then.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// Stable across retries, so a receiver can tell a repeat.
    pub message_id: String,
}

/// Why a mail did not go; the outbox tries again later.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("the mail cannot be built: {0}")]
    Build(String),
    #[error("the mail was not delivered: {0}")]
    Delivery(String),
}

#[derive(Clone)]
pub enum Mailer {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(PathBuf),
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mailer::Smtp(_) => f.write_str("Mailer::Smtp"),
            Mailer::Files(dir) => write!(f, "Mailer::Files({})", dir.display()),
        }
    }
}

impl Mailer {
    pub fn from_config(config: &Config) -> Result<Self, MailError> {
        match &config.smtp_url {
            Some(url) => AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose_secret())
                .map(|builder| {
                    Mailer::Smtp(
                        builder
                            .timeout(Some(std::time::Duration::from_secs(20)))
                            .build(),
                    )
                })
                .map_err(|error| MailError::Build(format!("TAHSILAT_SMTP_URL: {error}"))),
            None => Ok(Mailer::Files(config.mail_dir.clone())),
        }
    }

    pub async fn send(&self, from: &str, mail: &Mail) -> Result<(), MailError> {
        let from: Mailbox = from
            .parse()
            .map_err(|error| MailError::Build(format!("sender: {error}")))?;
        let to: Mailbox = mail
            .to
            .parse()
            .map_err(|error| MailError::Build(format!("recipient: {error}")))?;
        let message = Message::builder()
            .from(from)
            .to(to)
            .subject(mail.subject.clone())
            .message_id(Some(mail.message_id.clone()))
            .multipart(MultiPart::alternative_plain_html(
                mail.text.clone(),
                mail.html.clone(),
            ))
            .map_err(|error| MailError::Build(error.to_string()))?;
        match self {
            Mailer::Smtp(transport) => transport
                .send(message)
                .await
                .map(|_| ())
                .map_err(|error| MailError::Delivery(error.to_string())),
            Mailer::Files(dir) => {
                tokio::fs::create_dir_all(dir)
                    .await
                    .map_err(|error| MailError::Delivery(format!("{}: {error}", dir.display())))?;
                let name = mail
                    .message_id
                    .trim_matches(['<', '>'])
                    .replace(['@', '/'], "_");
                let path = dir.join(format!("{name}.eml"));
                tokio::fs::write(&path, message.formatted())
                    .await
                    .map_err(|error| MailError::Delivery(format!("{}: {error}", path.display())))
            }
        }
    }
}
