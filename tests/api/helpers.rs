//! `spawn_app()` and friends: the real application on port 0 against a fresh database.

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use sea_orm::sqlx::{self, Connection as _};
use serde_json::{Value, json};
use tahsilat::app::App;
use tahsilat::clock::FixedClock;
use tahsilat::config::Config;
use tahsilat::state::AppState;
use tokio::sync::oneshot;

/// Runs one scenario as two tests, `sqlite` and `postgres`. `with SPAWN;` first starts the app
/// through `SPAWN(Backend) -> Option<TestApp>` instead of the default settings.
macro_rules! on_both_databases {
    (with $spawn:path; $(async fn $name:ident($app:ident) $body:block)*) => {$(
        mod $name {
            #[allow(unused_imports, reason = "each scenario uses a different part of the prelude")]
            use super::*;
            use crate::helpers::{Backend, TestApp};

            async fn scenario($app: TestApp) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = $spawn(Backend::Sqlite).await.expect("SQLite is always available");
                scenario(app).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(app) = $spawn(Backend::Postgres).await {
                    scenario(app).await;
                }
            }
        }
    )*};
    ($(async fn $name:ident($app:ident) $body:block)*) => {
        on_both_databases! {
            with crate::helpers::TestApp::spawn_or_skip;
            $(async fn $name($app) $body)*
        }
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub const POSTGRES_VARIABLE: &str = "TAHSILAT_TEST_POSTGRES_URL";

/// A database of the test's own: a SQLite file in a temporary folder, or a PostgreSQL database
/// created for the test and dropped when it ends.
pub struct TestDatabase {
    pub url: String,
    pub backend: Backend,
    /// For PostgreSQL: the server's URL and the database's name, to drop it afterwards.
    postgres: Option<(String, String)>,
    pub dir: tempfile::TempDir,
}

impl TestDatabase {
    /// None (after printing why) when PostgreSQL is asked for but not configured.
    pub async fn create(backend: Backend) -> Option<Self> {
        let dir = tempfile::tempdir().unwrap();
        match backend {
            Backend::Sqlite => Some(Self {
                url: format!(
                    "sqlite://{}?mode=rwc",
                    dir.path().join("tahsilat.db").display()
                ),
                backend,
                postgres: None,
                dir,
            }),
            Backend::Postgres => {
                let Ok(server_url) = std::env::var(POSTGRES_VARIABLE) else {
                    eprintln!("skipped on PostgreSQL: {POSTGRES_VARIABLE} is not set");
                    return None;
                };
                let name = format!("tahsilat_test_{}", uuid::Uuid::now_v7().simple());
                let mut connection = sqlx::PgConnection::connect(&server_url)
                    .await
                    .unwrap_or_else(|error| {
                        panic!("{POSTGRES_VARIABLE} is set but PostgreSQL refused: {error}")
                    });
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
                    .execute(&mut connection)
                    .await
                    .unwrap();
                connection.close().await.unwrap();
                Some(Self {
                    url: with_database_name(&server_url, &name),
                    backend,
                    postgres: Some((server_url, name)),
                    dir,
                })
            }
        }
    }

    /// Settings for this database, port 0, and mail into the test's folder.
    pub fn config(&self) -> Config {
        self.config_with(&[])
    }

    /// The test settings with some variables set differently.
    pub fn config_with(&self, extra: &[(&str, &str)]) -> Config {
        let mut values = vec![
            ("TAHSILAT_DATABASE_URL".to_owned(), self.url.clone()),
            ("TAHSILAT_LISTEN".to_owned(), "127.0.0.1:0".to_owned()),
            (
                "TAHSILAT_MAIL_DIR".to_owned(),
                self.dir.path().join("mail").display().to_string(),
            ),
            (
                "TAHSILAT_SMS_DIR".to_owned(),
                self.dir.path().join("sms").display().to_string(),
            ),
            (
                "TAHSILAT_DATABASE_MAX_CONNECTIONS".to_owned(),
                "5".to_owned(),
            ),
            // Tests drive expiry, promises and plans by hand, day by day: no pass of their own
            // beside the one at start (before any data).
            ("TAHSILAT_JOBS_INTERVAL".to_owned(), "86400".to_owned()),
            // Most scenarios pay through the test bank; `attacks` checks it is off by default.
            ("TAHSILAT_SANDBOX".to_owned(), "on".to_owned()),
        ];
        // Later entries win.
        values.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        Config::from_lookup(|key| {
            values
                .iter()
                .rev()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
        })
        .unwrap()
    }

    /// The PostgreSQL server URL and this database's name.
    pub fn postgres(&self) -> Option<&(String, String)> {
        self.postgres.as_ref()
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((server_url, name)) = self.postgres.take() else {
            return;
        };
        // Drop runs inside the test's runtime; the clean-up gets a thread and runtime of its own.
        let cleanup = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let mut connection = sqlx::PgConnection::connect(&server_url).await.ok()?;
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                )))
                .execute(&mut connection)
                .await
                .ok()?;
                connection.close().await.ok()
            })
        });
        let _ = cleanup.join();
    }
}

/// `postgres://user@host:port/old?x=y` → the same URL naming `database`.
pub fn with_database_name(server_url: &str, database: &str) -> String {
    let (base, query) = match server_url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (server_url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let root = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{root}/{database}?{query}"),
        None => format!("{root}/{database}"),
    }
}

/// A running application and an HTTP client for it.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub state: AppState,
    pub clock: FixedClock,
    pub database: TestDatabase,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_or_skip(backend)
            .await
            .expect("SQLite is always available")
    }

    pub async fn spawn_or_skip(backend: Backend) -> Option<TestApp> {
        let database = TestDatabase::create(backend).await?;
        Some(Self::spawn_on(database).await)
    }

    /// Starts the application on an existing test database.
    pub async fn spawn_on(database: TestDatabase) -> TestApp {
        Self::spawn_configured(database, &[]).await
    }

    /// Starts the application with some settings changed.
    pub async fn spawn_configured(database: TestDatabase, extra: &[(&str, &str)]) -> TestApp {
        // A realistic "now" that tests can move; the date matters for due dates.
        let clock = FixedClock::new(Utc.with_ymd_and_hms(2026, 11, 23, 9, 30, 0).unwrap());
        let app = App::build_with_clock(database.config_with(extra), Arc::new(clock.clone()))
            .await
            .expect("the application starts");
        let address = format!("http://{}", app.local_addr());
        let state = app.state().clone();
        let (shutdown, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until_stopped(async move {
            let _ = stopped.await;
        }));
        // The jobs' first pass runs at start; waiting for it keeps it from landing in the middle
        // of a scenario that drives the same jobs by hand.
        let mut passes = state.job_passes.subscribe();
        let _ = tokio::time::timeout(
            std::time::Duration::from_secs(30),
            passes.wait_for(|done| *done >= 1),
        )
        .await;
        TestApp {
            address,
            client: reqwest::Client::new(),
            state,
            clock,
            database,
            shutdown: Some(shutdown),
            server: Some(server),
        }
    }

    pub fn backend(&self) -> Backend {
        self.database.backend
    }

    /// Asks the server to stop and waits until it has.
    pub async fn stop(&mut self) -> std::io::Result<()> {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        match self.server.take() {
            Some(server) => server.await.unwrap(),
            None => Ok(()),
        }
    }

    /// A user with a fresh token in the named organization.
    pub async fn user(
        &self,
        organization: &str,
        email: &str,
        role: tahsilat::domain::role::Role,
    ) -> String {
        tahsilat::services::users::provision_user(
            &self.state.db,
            &self.clock,
            tahsilat::services::users::NewUser {
                organization_name: organization.to_owned(),
                email: email.to_owned(),
                name: None,
                role,
            },
        )
        .await
        .unwrap()
        .token
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// The authenticated caller a token stands for, for calling services directly.
    pub async fn viewer(&self, token: &str) -> tahsilat::auth::Viewer {
        tahsilat::auth::authenticate(&self.state.db, &self.clock, token)
            .await
            .unwrap()
    }

    /// The statements one operation costs, and its body. Background jobs (the outbox polls every
    /// second) share the process's counter and can only add to it, so this is the fewest of three
    /// runs of the same operation.
    pub async fn statements_for(&self, token: &str, query: &str, variables: Value) -> (u64, Value) {
        let mut fewest = u64::MAX;
        let mut last = Value::Null;
        for _ in 0..3 {
            let before = self.state.db.statement_count();
            let (status, body) = self.graphql(token, query, variables.clone()).await;
            let spent = self.state.db.statement_count() - before;
            assert_eq!(status, 200, "{body}");
            assert!(body.get("errors").is_none(), "{body}");
            fewest = fewest.min(spent);
            last = body;
        }
        (fewest, last)
    }

    /// POSTs a GraphQL operation with the token; returns the status and the JSON body.
    pub async fn graphql(&self, token: &str, query: &str, variables: Value) -> (u16, Value) {
        let response = self
            .client
            .post(self.url("/graphql"))
            .bearer_auth(token)
            .json(&json!({"query": query, "variables": variables}))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// A client that does not follow redirects, as a test needs to see where a page sends the
/// browser.
pub fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}
