//! The state every request handler and job shares; cheap to clone.

use std::sync::Arc;

use crate::auth::TokenCache;
use crate::clock::SharedClock;
use crate::config::Config;
use crate::db::Db;
use crate::mail::Mailer;
use crate::providers::Providers;
use crate::providers::RefusalLimiter;

#[derive(Clone, Debug)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    pub clock: SharedClock,
    pub tokens: Arc<TokenCache>,
    pub providers: Arc<Providers>,
    pub mailer: Arc<Mailer>,
    /// Sends reminder SMS: Netgsm, or files.
    pub sms: Arc<dyn integrations::sms::SmsProvider>,
    /// Per-source limit on refused callbacks that are written down.
    pub callback_refusals: Arc<RefusalLimiter>,
    /// Posts webhooks, only to addresses the rules allow.
    pub webhooks: reqwest::Client,
    /// Committed activities for GraphQL subscriptions.
    pub live: Arc<crate::live::Hub>,
    /// How many passes of the periodic jobs (expiry, reconciliation, promises, plans) have
    /// finished since start; a test waits for the first before it begins.
    pub job_passes: Arc<tokio::sync::watch::Sender<u64>>,
}
