//! The payment providers this instance offers, built once from the settings.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use integrations::iyzico::Iyzico;
use integrations::nestpay::Nestpay;
use integrations::paytr::Paytr;
use integrations::sandbox::Sandbox;
use integrations::{PosProvider, ProviderError};
use secrecy::SecretString;

use crate::config::Config;

#[derive(Debug, Clone)]
pub struct Providers {
    sandbox: Option<Arc<Sandbox>>,
    paytr: Option<Arc<Paytr>>,
    iyzico: Option<Arc<Iyzico>>,
    nestpay: Option<Arc<Nestpay>>,
    default: Option<String>,
}

impl Providers {
    /// The sandbox gets `TAHSILAT_SANDBOX_SECRET`, or a random secret for this run (its own
    /// hosted page is the only signer, and it runs in this process).
    pub fn from_config(config: &Config) -> Result<Self, ProviderError> {
        let sandbox = config.sandbox_enabled.then(|| {
            let secret = config
                .sandbox_secret
                .clone()
                .unwrap_or_else(|| SecretString::from(hex::encode(rand::random::<[u8; 32]>())));
            Arc::new(Sandbox::new(
                secret,
                config.sandbox_previous_secret.clone(),
                &config.public_url,
            ))
        });
        let paytr = match &config.paytr {
            Some(paytr) => Some(Arc::new(Paytr::new(
                paytr.merchant_id.clone(),
                paytr.merchant_key.clone(),
                paytr.merchant_salt.clone(),
                &paytr.api_base,
            )?)),
            None => None,
        };
        let iyzico = match &config.iyzico {
            Some(iyzico) => Some(Arc::new(Iyzico::new(
                iyzico.api_key.clone(),
                iyzico.secret_key.clone(),
                &iyzico.api_base,
            )?)),
            None => None,
        };
        let nestpay = match &config.nestpay {
            Some(nestpay) => Some(Arc::new(Nestpay::new(
                nestpay.client_id.clone(),
                nestpay.store_key.clone(),
                nestpay.gateway_url.clone(),
                nestpay.name.clone(),
                nestpay.status_api.clone(),
            )?)),
            None => None,
        };
        Ok(Self {
            sandbox,
            paytr,
            iyzico,
            nestpay,
            default: config.default_provider.clone(),
        })
    }

    /// An enabled provider by name.
    pub fn get(&self, name: &str) -> Option<Arc<dyn PosProvider>> {
        self.all()
            .into_iter()
            .find(|provider| provider.name() == name)
    }

    /// The provider used when a request names none (`TAHSILAT_DEFAULT_PROVIDER`), if any.
    pub fn default_name(&self) -> Option<&str> {
        self.default.as_deref()
    }

    /// Every enabled provider.
    pub fn all(&self) -> Vec<Arc<dyn PosProvider>> {
        let sandbox = self.sandbox.clone().map(|p| p as Arc<dyn PosProvider>);
        let paytr = self.paytr.clone().map(|p| p as Arc<dyn PosProvider>);
        let iyzico = self.iyzico.clone().map(|p| p as Arc<dyn PosProvider>);
        let nestpay = self.nestpay.clone().map(|p| p as Arc<dyn PosProvider>);
        sandbox
            .into_iter()
            .chain(paytr)
            .chain(iyzico)
            .chain(nestpay)
            .collect()
    }

    /// Where the pay page may send a customer: the hosted pages of the enabled providers.
    pub fn hosted_origins(&self) -> Vec<String> {
        self.all()
            .iter()
            .filter_map(|provider| provider.hosted_origin())
            .collect()
    }

    /// The sandbox bank, for its hosted page, which signs callbacks like an outside bank.
    pub fn sandbox(&self) -> Option<&Sandbox> {
        self.sandbox.as_deref()
    }
}

/// How many refused callbacks one source address may leave a trace of: a burst, then a steady
/// trickle. Past it, refusals are answered 429 and not written, so a flood of forgeries cannot
/// fill the disk or keep the writer from real callbacks. Verified callbacks are never limited.
pub struct RefusalLimiter(DefaultKeyedRateLimiter<IpAddr>);

impl RefusalLimiter {
    const PER_SECOND: u32 = 5;
    const BURST: u32 = 50;

    pub fn new() -> Self {
        let quota = Quota::per_second(NonZeroU32::MIN.saturating_add(Self::PER_SECOND - 1))
            .allow_burst(NonZeroU32::MIN.saturating_add(Self::BURST - 1));
        Self(RateLimiter::keyed(quota))
    }

    pub fn allows(&self, source: Option<IpAddr>) -> bool {
        // Without a known peer (a test calling the service directly), everything is kept.
        source.is_none_or(|source| {
            let allowed = self.0.check_key(&source).is_ok();
            if self.0.len() > 100_000 {
                self.0.retain_recent();
            }
            allowed
        })
    }
}

impl Default for RefusalLimiter {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for RefusalLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RefusalLimiter")
    }
}
