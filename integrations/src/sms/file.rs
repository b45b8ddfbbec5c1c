//! The `file` SMS provider: each message becomes a text file in a directory, like mail without
//! SMTP, so a machine without an SMS account still shows what would have gone out.

use std::path::PathBuf;

use super::{DeliveryStatus, SmsError, SmsMessage, SmsProvider, SmsReceipt};

#[derive(Debug, Clone)]
pub struct FileSms {
    dir: PathBuf,
}

impl FileSms {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        FileSms { dir: dir.into() }
    }
}

#[async_trait::async_trait]
impl SmsProvider for FileSms {
    fn name(&self) -> &'static str {
        "file"
    }

    async fn send(&self, message: &SmsMessage) -> Result<SmsReceipt, SmsError> {
        let job_id = uuid::Uuid::now_v7().simple().to_string();
        tokio::fs::create_dir_all(&self.dir)
            .await
            .map_err(|error| SmsError::retry(format!("cannot create the SMS folder: {error}")))?;
        let path = self.dir.join(format!("{job_id}.txt"));
        let text = format!(
            "To: {}\nInformational: {}\n\n{}\n",
            message.to,
            if message.informational { "yes" } else { "no" },
            message.body
        );
        tokio::fs::write(&path, text).await.map_err(|error| {
            SmsError::retry(format!("cannot write {}: {error}", path.display()))
        })?;
        Ok(SmsReceipt { job_id })
    }

    async fn delivery_status(&self, job_id: &str) -> Result<DeliveryStatus, SmsError> {
        let written = tokio::fs::try_exists(self.dir.join(format!("{job_id}.txt")))
            .await
            .unwrap_or(false);
        Ok(if written {
            DeliveryStatus::Delivered
        } else {
            DeliveryStatus::Unknown
        })
    }
}
