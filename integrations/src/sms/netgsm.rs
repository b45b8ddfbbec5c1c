//! Netgsm's REST v2 SMS API (facts in `shared/providers/netgsm.md`): one message per request,
//! Basic auth, `encoding: "TR"` to keep Turkish letters, `iysfilter: "0"` for informational
//! messages. Answer codes 80, 85, 100 and 101 are worth retrying; every other failure is final.

use base64::Engine;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::{DeliveryStatus, SmsError, SmsMessage, SmsProvider, SmsReceipt};

pub const DEFAULT_API_BASE: &str = "https://api.netgsm.com.tr";

#[derive(Debug, Clone)]
pub struct NetgsmConfig {
    pub usercode: String,
    pub password: SecretString,
    /// The approved sender name (`msgheader`), 3 to 11 characters.
    pub header: String,
    pub api_base: String,
}

#[derive(Debug, Clone)]
pub struct Netgsm {
    config: NetgsmConfig,
    http: reqwest::Client,
}

impl Netgsm {
    pub fn new(config: NetgsmConfig, http: reqwest::Client) -> Self {
        Netgsm { config, http }
    }

    fn authorization(&self) -> String {
        let pair = format!(
            "{}:{}",
            self.config.usercode,
            self.config.password.expose_secret()
        );
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(pair)
        )
    }

    async fn post<T: Serialize>(&self, path: &str, body: &T) -> Result<Answer, SmsError> {
        let url = format!("{}{path}", self.config.api_base.trim_end_matches('/'));
        let response = self
            .http
            .post(url)
            .header(reqwest::header::AUTHORIZATION, self.authorization())
            .json(body)
            .send()
            .await
            .map_err(|error| SmsError::retry(format!("Netgsm did not answer: {error}")))?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|error| SmsError::retry(format!("Netgsm's answer was cut: {error}")))?;
        serde_json::from_str(&text).map_err(|_| {
            let retryable = status.is_server_error();
            let message = format!("Netgsm answered HTTP {status} without a code");
            SmsError { message, retryable }
        })
    }
}

/// The 10 digits Netgsm wants (`5321234567`) from an E.164 Turkish mobile number.
pub fn national_number(e164: &str) -> Option<String> {
    let digits = e164.strip_prefix("+90")?;
    (digits.len() == 10 && digits.starts_with('5') && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.to_owned())
}

#[derive(Debug, Serialize)]
struct SendBody<'a> {
    msgheader: &'a str,
    messages: [WireMessage<'a>; 1],
    encoding: &'static str,
    iysfilter: &'static str,
}

#[derive(Debug, Serialize)]
struct WireMessage<'a> {
    msg: &'a str,
    no: String,
}

#[derive(Debug, Serialize)]
struct ReportBody<'a> {
    jobids: [&'a str; 1],
    pagenumber: u32,
    pagesize: u32,
}

#[derive(Debug, Deserialize)]
struct Answer {
    code: String,
    #[serde(default)]
    jobid: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    jobs: Vec<Job>,
}

#[derive(Debug, Deserialize)]
struct Job {
    #[serde(default)]
    status: Option<serde_json::Value>,
}

/// What a failure code means: retry, or give up.
fn failure(code: &str, description: Option<&str>) -> SmsError {
    let what = match code {
        "20" => "the text is wrong or too long",
        "30" => "bad credentials, no API access, or this IP is not allowed",
        "40" => "the sender name (msgheader) is not approved",
        "50" | "51" => "the account cannot make İYS-checked sends",
        "70" => "a parameter is wrong or missing",
        "80" => "the sending rate limit was exceeded",
        "85" => "too many messages to one number within a minute",
        "100" | "101" => "Netgsm had a system error",
        _ => "an unknown answer",
    };
    let message = match description {
        Some(description) => format!("Netgsm code {code}: {what} ({description})"),
        None => format!("Netgsm code {code}: {what}"),
    };
    let retryable = matches!(code, "80" | "85" | "100" | "101");
    SmsError { message, retryable }
}

#[async_trait::async_trait]
impl SmsProvider for Netgsm {
    fn name(&self) -> &'static str {
        "netgsm"
    }

    async fn send(&self, message: &SmsMessage) -> Result<SmsReceipt, SmsError> {
        let Some(no) = national_number(&message.to) else {
            return Err(SmsError::give_up(format!(
                "{} is not a Turkish mobile number",
                message.to
            )));
        };
        let body = SendBody {
            msgheader: &self.config.header,
            messages: [WireMessage {
                msg: &message.body,
                no,
            }],
            encoding: "TR",
            // "0": informational. Reminders about an existing debt are never commercial.
            iysfilter: if message.informational { "0" } else { "12" },
        };
        let answer = self.post("/sms/rest/v2/send", &body).await?;
        match (answer.code.as_str(), answer.jobid) {
            ("00" | "01" | "02", Some(job_id)) => Ok(SmsReceipt { job_id }),
            (code, _) => Err(failure(code, answer.description.as_deref())),
        }
    }

    async fn delivery_status(&self, job_id: &str) -> Result<DeliveryStatus, SmsError> {
        let body = ReportBody {
            jobids: [job_id],
            pagenumber: 0,
            pagesize: 100,
        };
        let answer = self.post("/sms/rest/v2/report", &body).await?;
        match answer.code.as_str() {
            "00" => {}
            "60" => return Ok(DeliveryStatus::Unknown),
            code => return Err(failure(code, answer.description.as_deref())),
        }
        let status = answer
            .jobs
            .first()
            .and_then(|job| job.status.as_ref())
            .and_then(|status| match status {
                serde_json::Value::Number(number) => number.as_i64(),
                serde_json::Value::String(text) => text.parse().ok(),
                _ => None,
            });
        Ok(match status {
            Some(0) => DeliveryStatus::Waiting,
            Some(1) => DeliveryStatus::Delivered,
            Some(_) => DeliveryStatus::Failed,
            None => DeliveryStatus::Unknown,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_go_on_the_wire_as_ten_digits() {
        assert_eq!(
            national_number("+905321234567").as_deref(),
            Some("5321234567")
        );
        assert_eq!(national_number("+902121234567"), None);
        assert_eq!(national_number("+4915112345678"), None);
    }

    #[test]
    fn rate_limits_and_system_errors_are_retried_the_rest_given_up() {
        for code in ["80", "85", "100", "101"] {
            assert!(failure(code, None).retryable, "{code}");
        }
        for code in ["20", "30", "40", "50", "51", "70", "99"] {
            assert!(!failure(code, None).retryable, "{code}");
        }
    }
}
