//! Assembling and running the service: [`App::build`] opens the database, migrates, builds the
//! state, schema and router, and binds the listener (port 0 picks a free one, as tests do);
//! [`App::run_until_stopped`] serves until the shutdown future completes, lets in-flight requests
//! finish, and closes the pools.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use tokio::net::TcpListener;

use crate::clock::{SharedClock, SystemClock};
use crate::config::Config;
use crate::db::Db;
use crate::graphql::build_schema;
use crate::providers::Providers;
use crate::state::AppState;

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot open the database: {0}")]
    Database(sea_orm::DbErr),
    #[error("cannot migrate the database: {0}")]
    Migrate(sea_orm::DbErr),
    #[error("cannot set up the payment providers: {0}")]
    Providers(integrations::ProviderError),
    #[error("cannot set up mail: {0}")]
    Mail(crate::mail::MailError),
    #[error("cannot listen on {address}: {source}")]
    Bind {
        address: SocketAddr,
        source: std::io::Error,
    },
}

pub struct App {
    listener: TcpListener,
    router: Router,
    state: AppState,
}

impl App {
    pub async fn build(config: Config) -> Result<Self, StartError> {
        Self::build_with_clock(config, Arc::new(SystemClock)).await
    }

    pub async fn build_with_clock(config: Config, clock: SharedClock) -> Result<Self, StartError> {
        let mut config = config;
        let address = config.listen;
        let listener = TcpListener::bind(address)
            .await
            .map_err(|source| StartError::Bind { address, source })?;
        // Without TAHSILAT_PUBLIC_URL links point at the listener; with port 0 that is the port
        // the system picked.
        if let Ok(bound) = listener.local_addr()
            && config.public_url == format!("http://{address}")
        {
            config.public_url = format!("http://{bound}");
        }
        let state = prepare_state(config, clock).await?;
        if state.config.sandbox_enabled {
            tracing::warn!(
                "the sandbox (a test bank) is on: anyone with a pay link can mark invoices paid with no money moving; never turn it on in production"
            );
        }
        let schema = build_schema(state.clone());
        let router = crate::http::router(state.clone(), schema);
        Ok(Self {
            listener,
            router,
            state,
        })
    }

    /// The bound address (the real port when the configuration asked for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or(self.state.config.listen)
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` completes, then lets in-flight requests finish and closes the pools.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        tracing::info!(address = %self.local_addr(), "serving");
        let (stop_jobs, jobs_stopped) = tokio::sync::watch::channel(false);
        let jobs = tokio::spawn(crate::jobs::run(self.state.clone(), jobs_stopped));
        let served = axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await;
        let _ = stop_jobs.send(true);
        let _ = jobs.await;
        self.state.db.close().await;
        tracing::info!("stopped");
        served
    }
}

/// The SMS provider the settings name.
fn sms_provider(config: &Config) -> Arc<dyn integrations::sms::SmsProvider> {
    match &config.sms {
        crate::config::SmsConfig::File => {
            Arc::new(integrations::sms::file::FileSms::new(&config.sms_dir))
        }
        crate::config::SmsConfig::Netgsm(netgsm) => {
            let http = reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(20))
                .build()
                .unwrap_or_default();
            Arc::new(integrations::sms::netgsm::Netgsm::new(netgsm.clone(), http))
        }
    }
}

/// Opens the database and migrates it: what `serve`, `migrate` and `user add` share.
pub async fn prepare_state(config: Config, clock: SharedClock) -> Result<AppState, StartError> {
    let providers = Providers::from_config(&config).map_err(StartError::Providers)?;
    let mailer = crate::mail::Mailer::from_config(&config).map_err(StartError::Mail)?;
    let sms = sms_provider(&config);
    let db = Db::connect(&config).await.map_err(StartError::Database)?;
    db.migrate().await.map_err(StartError::Migrate)?;
    // Organizations made before dunning existed get its default policy and templates.
    crate::services::dunning::defaults::seed_all(db.writer(), clock.now())
        .await
        .map_err(|error| StartError::Migrate(sea_orm::DbErr::Custom(error.to_string())))?;
    let webhooks = crate::services::webhooks::delivery::client(&config);
    let live = Arc::new(crate::live::Hub::new(db.clone()));
    Ok(AppState {
        db,
        webhooks,
        live,
        config: Arc::new(config),
        clock,
        tokens: Arc::default(),
        providers: Arc::new(providers),
        mailer: Arc::new(mailer),
        sms,
        callback_refusals: Arc::default(),
        job_passes: Arc::new(tokio::sync::watch::Sender::new(0)),
    })
}
