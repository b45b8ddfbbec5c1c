//! Webhook fan-out benchmark: 10,000 events (an import of 10,000 customers, each a
//! `customer.created`) for 3 endpoints, all pointing at a local receiver that checks every
//! signature — measured from the import's commit until the receiver has all 30,000 requests, with
//! the server's own background worker doing the delivery.
//!
//! ```sh
//! cargo run --release --example bench_webhooks                     # SQLite
//! cargo run --release --example bench_webhooks -- --postgres postgres://postgres@127.0.0.1:5432/postgres
//! ```

use std::collections::HashSet;
use std::error::Error;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use tahsilat::app::App;
use tahsilat::config::Config;
use tahsilat::domain::role::Role;
use tahsilat::services::imports::{self, CustomerRow, Importer, Mode};
use tahsilat::services::users::{NewUser, provision_user};
use tahsilat::services::webhooks::{self, NewEndpoint};

const EVENTS: usize = 10_000;
const ENDPOINTS: usize = 3;

/// What the receiver saw: requests, bad signatures, distinct (endpoint, webhook-id) pairs.
#[derive(Default)]
struct Seen {
    requests: AtomicUsize,
    bad: AtomicUsize,
    distinct: Mutex<HashSet<(String, String)>>,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().collect();
    let postgres = args
        .iter()
        .position(|arg| arg == "--postgres")
        .and_then(|index| args.get(index + 1).cloned());
    let dir = tempfile_dir()?;
    let (database_url, label) = match &postgres {
        Some(server) => {
            let name = format!("tahsilat_bench_webhooks_{}", std::process::id());
            (
                format!(
                    "{}/{name}",
                    server
                        .trim_end_matches('/')
                        .rsplit_once('/')
                        .map_or(server.as_str(), |(base, _)| base)
                ),
                "PostgreSQL",
            )
        }
        None => (
            format!("sqlite://{}/bench.db?mode=rwc", dir.display()),
            "SQLite",
        ),
    };

    // The receiver: checks each signature with the secret of the endpoint it was sent to.
    let seen = Arc::new(Seen::default());
    let secrets: Arc<Mutex<Vec<String>>> = Arc::default();
    let router = {
        let (seen, secrets) = (seen.clone(), secrets.clone());
        axum::Router::new().route(
            "/hook/{index}",
            axum::routing::post(
                move |axum::extract::Path(index): axum::extract::Path<usize>,
                      headers: HeaderMap,
                      body: Bytes| {
                    let (seen, secrets) = (seen.clone(), secrets.clone());
                    async move {
                        let header = |name: &str| {
                            headers
                                .get(name)
                                .and_then(|value| value.to_str().ok())
                                .unwrap_or_default()
                                .to_owned()
                        };
                        let id = header("webhook-id");
                        let timestamp: i64 = header("webhook-timestamp").parse().unwrap_or(0);
                        let secret = secrets
                            .lock()
                            .map(|all| all[index].clone())
                            .unwrap_or_default();
                        let expected = tahsilat::domain::webhook::signature(
                            &secret,
                            &id,
                            timestamp,
                            std::str::from_utf8(&body).unwrap_or_default(),
                        );
                        if expected.as_deref() != Some(header("webhook-signature").as_str()) {
                            seen.bad.fetch_add(1, Ordering::Relaxed);
                        }
                        if let Ok(mut distinct) = seen.distinct.lock() {
                            distinct.insert((index.to_string(), id));
                        }
                        seen.requests.fetch_add(1, Ordering::Relaxed);
                        StatusCode::NO_CONTENT
                    }
                },
            ),
        )
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let receiver = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, router).await });

    let mail_dir = dir.join("mail").display().to_string();
    let settings = std::collections::HashMap::from([
        ("TAHSILAT_DATABASE_URL", database_url.as_str()),
        ("TAHSILAT_LISTEN", "127.0.0.1:0"),
        ("TAHSILAT_WEBHOOK_ALLOW_HTTP", "true"),
        ("TAHSILAT_WEBHOOK_ALLOW_PRIVATE", "true"),
        ("TAHSILAT_JOBS_INTERVAL", "86400"),
        ("TAHSILAT_MAIL_DIR", mail_dir.as_str()),
    ]);
    let config = Config::from_lookup(|key| settings.get(key).map(|value| (*value).to_owned()))
        .map_err(|error| format!("{}: {}", error.variable, error.message))?;
    let app = App::build(config).await?;
    let state = app.state().clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async move {
        let _ = stopped.await;
    }));

    let admin = provision_user(
        &state.db,
        state.clock.as_ref(),
        NewUser {
            organization_name: "Bench A.Ş.".into(),
            email: "admin@bench.com.tr".into(),
            name: None,
            role: Role::Admin,
        },
    )
    .await?;
    let viewer =
        tahsilat::auth::authenticate(&state.db, state.clock.as_ref(), &admin.token).await?;
    for index in 0..ENDPOINTS {
        let (_, secret) = webhooks::create(
            &state,
            &viewer,
            NewEndpoint {
                url: format!("http://{receiver}/hook/{index}"),
                event_types: vec!["customer.created".into()],
                description: None,
            },
        )
        .await?;
        secrets.lock().map_err(|_| "poisoned")?.push(secret);
    }

    let rows: Vec<CustomerRow> = (0..EVENTS)
        .map(|index| CustomerRow {
            external_ref: format!("CARI-{index:05}"),
            name: format!("Bench Müşteri {index}"),
            tax_id: None,
            email: None,
            phone: None,
            address: None,
            payment_terms_days: None,
        })
        .collect();
    let started = Instant::now();
    let report =
        imports::customers(&state, Importer::user(&viewer)?, Mode::AllOrNothing, rows).await?;
    let written = started.elapsed();
    let expected = EVENTS * ENDPOINTS;
    let deadline = Instant::now() + Duration::from_secs(600);
    while seen.requests.load(Ordering::Relaxed) < expected && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let delivered = started.elapsed();
    let requests = seen.requests.load(Ordering::Relaxed);
    let distinct = seen.distinct.lock().map(|set| set.len()).unwrap_or(0);
    println!(
        "{label}: {} customers imported, {EVENTS} events × {ENDPOINTS} endpoints",
        report.created
    );
    println!(
        "  import with its events and deliveries written: {:.1} s",
        written.as_secs_f64()
    );
    println!(
        "  all {expected} delivered: {:.1} s after the import started ({:.0} deliveries/s after its commit)",
        delivered.as_secs_f64(),
        expected as f64 / (delivered - written).as_secs_f64().max(0.001)
    );
    println!(
        "  receiver: {requests} requests, {distinct} distinct (endpoint, webhook-id), {} bad signatures",
        seen.bad.load(Ordering::Relaxed)
    );

    let _ = stop.send(());
    server.await??;
    if postgres.is_some() {
        // The database is left for inspection only on failure.
        if let Some(server_url) = &postgres {
            drop_database(server_url, &database_url).await;
        }
    }
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}

fn tempfile_dir() -> Result<std::path::PathBuf, Box<dyn Error>> {
    let dir = std::env::temp_dir().join(format!("tahsilat-bench-webhooks-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

async fn drop_database(server_url: &str, database_url: &str) {
    use sea_orm::sqlx::{Connection as _, Executor as _};
    let Some((_, name)) = database_url.rsplit_once('/') else {
        return;
    };
    if let Ok(mut connection) = sea_orm::sqlx::PgConnection::connect(server_url).await {
        let _ = connection
            .execute(sea_orm::sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
            )))
            .await;
    }
}
