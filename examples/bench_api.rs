//! Benchmark of the collector's main list: `invoices(first: 50, filter: {overdue: true})` with
//! each invoice's customer name and balance, over HTTP at 1 and 32 concurrent clients, beside the
//! same statements run directly against the database (token lookup, the page, the customers), so
//! the cost of the HTTP and GraphQL layers shows as a ratio.
//!
//! ```sh
//! cargo run --release --example bench_api -- --seconds 10                   # SQLite
//! cargo run --release --example bench_api -- --postgres postgres://postgres@127.0.0.1:5432/postgres
//! ```
//! It seeds 10,000 customers and 200,000 invoices into a fresh database of its own (a temporary
//! SQLite file, or a new PostgreSQL database that is dropped afterwards) and prints a Markdown table.

use std::error::Error;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{Duration as Days, NaiveDate, TimeZone, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use tahsilat::app::App;
use tahsilat::auth::authenticate;
use tahsilat::clock::{Clock, FixedClock};
use tahsilat::config::Config;
use tahsilat::domain::ids::{CustomerId, InvoiceId, OrganizationId};
use tahsilat::domain::invoice::InvoiceStatus;
use tahsilat::domain::role::Role;
use tahsilat::entities::{customer, invoice};
use tahsilat::services::invoices::{InvoiceFilter, ORDER, filtered};
use tahsilat::services::listing::PageRequest;
use tahsilat::services::users::{NewUser, provision_user};

const CUSTOMERS: usize = 10_000;
const INVOICES_PER_CUSTOMER: usize = 20;
const QUERY: &str = "{ invoices(first: 50, filter: {overdue: true}) { edges { node { number balance { amount currency } customer { name } } } } }";

struct Stats {
    requests: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Stats {
    fn per_second(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }

    fn percentile(&self, p: f64) -> f64 {
        let index = ((self.latencies.len() as f64 - 1.0) * p).round() as usize;
        self.latencies[index.min(self.latencies.len() - 1)].as_secs_f64() * 1000.0
    }
}

/// Runs `clients` loops of `work` for `seconds`, timing each call.
async fn measure<F, Fut>(clients: usize, seconds: u64, work: F) -> Stats
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let work = Arc::new(work);
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let work = work.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let begun = Instant::now();
                work().await;
                latencies.push(begun.elapsed());
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.unwrap_or_default());
    }
    let elapsed = started.elapsed();
    latencies.sort();
    Stats {
        requests: latencies.len(),
        elapsed,
        latencies,
    }
}

/// Runs `wrk` (when installed) against the endpoint: requests/s, p50 and p99 in milliseconds.
fn wrk(
    address: &str,
    token: &str,
    body: &str,
    clients: usize,
    seconds: u64,
) -> Option<(f64, f64, f64)> {
    let script = std::env::temp_dir().join(format!(
        "tahsilat-bench-{}.lua",
        uuid::Uuid::now_v7().simple()
    ));
    let lua = format!(
        "wrk.method = \"POST\"\nwrk.body = {body:?}\nwrk.headers[\"Content-Type\"] = \"application/json\"\nwrk.headers[\"Authorization\"] = \"Bearer {token}\"\n"
    );
    std::fs::write(&script, lua).ok()?;
    let output = std::process::Command::new("wrk")
        .args([
            "-t",
            if clients == 1 { "1" } else { "2" },
            "-c",
            &clients.to_string(),
            "-d",
            &format!("{seconds}s"),
            "--latency",
            "-s",
        ])
        .arg(&script)
        .arg(address)
        .output()
        .ok()?;
    let _ = std::fs::remove_file(&script);
    let text = String::from_utf8_lossy(&output.stdout);
    let millis = |label: &str| {
        let value = text
            .lines()
            .find(|line| line.trim_start().starts_with(label))?
            .split_whitespace()
            .nth(1)?
            .to_owned();
        let (number, unit) = value.split_at(value.find(|c: char| c.is_ascii_alphabetic())?);
        let number: f64 = number.parse().ok()?;
        Some(match unit {
            "us" => number / 1000.0,
            "ms" => number,
            "s" => number * 1000.0,
            _ => return None,
        })
    };
    let per_second: f64 = text
        .lines()
        .find(|line| line.starts_with("Requests/sec:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    if text.contains("Non-2xx") {
        eprintln!("wrk saw errors:\n{text}");
    }
    Some((per_second, millis("50%")?, millis("99%")?))
}

async fn seed(
    state: &tahsilat::state::AppState,
    organization: OrganizationId,
    today: NaiveDate,
) -> Result<Duration, Box<dyn Error>> {
    let started = Instant::now();
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let mut customers = Vec::with_capacity(CUSTOMERS);
    let mut customer_ids = Vec::with_capacity(CUSTOMERS);
    for n in 0..CUSTOMERS {
        let id = CustomerId::new().0;
        customer_ids.push(id);
        customers.push(customer::ActiveModel {
            id: Set(id),
            organization_id: Set(organization.0),
            external_ref: Set(Some(format!("C{n:06}"))),
            name: Set(format!("Müşteri {n:05} Ticaret A.Ş.")),
            tax_id: Set(Some(format!("{:010}", 1_000_000_000 + n))),
            email: Set(Some(format!("muhasebe{n}@example.com.tr"))),
            phone: Set(None),
            address: Set(None),
            payment_terms_days: Set(30),
            assigned_collector_id: Set(None),
            credit_limit_minor: Set(None),
            credit_limit_currency: Set(None),
            blocked: Set(false),
            language: Set(None),
            reminder_policy_id: Set(None),
            reminders_off: Set(None),
            dunning_paused_until: Set(None),
            dunning_pause_reason: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        });
    }
    for chunk in customers.chunks(1_000) {
        customer::Entity::insert_many(chunk.to_vec())
            .exec(&txn)
            .await?;
    }
    let mut batch = Vec::with_capacity(1_000);
    let mut number = 0_u64;
    for (c, customer_id) in customer_ids.iter().enumerate() {
        for i in 0..INVOICES_PER_CUSTOMER {
            number += 1;
            let issue = today - Days::days(((c * 7 + i * 19) % 365) as i64);
            let due = issue + Days::days(30);
            let total = 10_000 + ((c * 31 + i * 997) % 5_000_000) as i64;
            // A third paid, a sixth partly paid, the rest open.
            let paid = match number % 6 {
                0 | 1 => total,
                2 => total / 2,
                _ => 0,
            };
            batch.push(invoice::ActiveModel {
                id: Set(InvoiceId::new().0),
                organization_id: Set(organization.0),
                customer_id: Set(*customer_id),
                number: Set(format!("B{number:07}")),
                external_ref: Set(None),
                issue_date: Set(issue),
                due_date: Set(due),
                currency: Set("TRY".into()),
                total_minor: Set(total),
                paid_minor: Set(paid),
                status: Set(InvoiceStatus::from_amounts(total, paid)),
                disputed: Set(false),
                description: Set(None),
                void_reason: Set(None),
                voided_on: Set(None),
                paid_on: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
            });
            if batch.len() == 1_000 {
                invoice::Entity::insert_many(std::mem::take(&mut batch))
                    .exec(&txn)
                    .await?;
            }
        }
    }
    if !batch.is_empty() {
        invoice::Entity::insert_many(batch).exec(&txn).await?;
    }
    txn.commit().await?;
    // Planner statistics, as a database in service has them (autovacuum / a periodic ANALYZE).
    use sea_orm::ConnectionTrait as _;
    state.db.writer().execute_unprepared("ANALYZE").await?;
    Ok(started.elapsed())
}

async fn bench(label: &str, url: String, seconds: u64) -> Result<(), Box<dyn Error>> {
    let lookup = {
        let url = url.clone();
        move |key: &str| match key {
            "TAHSILAT_DATABASE_URL" => Some(url.clone()),
            "TAHSILAT_LISTEN" => Some("127.0.0.1:0".into()),
            "TAHSILAT_DATABASE_MAX_CONNECTIONS" => {
                std::env::var("BENCH_POOL").ok().or(Some("8".into()))
            }
            _ => None,
        }
    };
    let config = Config::from_lookup(lookup)?;
    let clock = FixedClock::new(
        Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0)
            .single()
            .ok_or("clock")?,
    );
    let app = App::build_with_clock(config, Arc::new(clock.clone())).await?;
    let state = app.state().clone();
    let address = format!("http://{}/graphql", app.local_addr());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async move {
        let _ = stopped.await;
    }));

    let admin = provision_user(
        &state.db,
        &clock,
        NewUser {
            organization_name: "Bench A.Ş.".into(),
            email: "bench@example.com.tr".into(),
            name: None,
            role: Role::Viewer,
        },
    )
    .await?;
    let organization = OrganizationId(admin.organization.id);
    let seeded = seed(&state, organization, clock.today()).await?;
    let token = admin.token;
    eprintln!(
        "{label}: seeded {CUSTOMERS} customers and {} invoices in {:.1} s",
        CUSTOMERS * INVOICES_PER_CUSTOMER,
        seeded.as_secs_f64()
    );

    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()?;
    // BENCH_QUERY swaps in another operation, e.g. `{ viewer { email } }` for the fixed cost.
    let query = std::env::var("BENCH_QUERY").unwrap_or_else(|_| QUERY.to_owned());
    let body = json!({"query": query}).to_string();
    // Warm up caches and connections; check the answer once.
    let answer: serde_json::Value = client
        .post(&address)
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(body.clone())
        .send()
        .await?
        .json()
        .await?;
    let rows = answer["data"]["invoices"]["edges"]
        .as_array()
        .map_or(50, Vec::len);
    if rows != 50 || answer.get("errors").is_some() {
        return Err(format!("unexpected answer: {answer}").into());
    }
    let before = state.db.statement_count();
    for _ in 0..20 {
        client
            .post(&address)
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await?;
    }
    let statements_per_request = (state.db.statement_count() - before) as f64 / 20.0;

    let use_wrk = !std::env::args().any(|a| a == "--builtin")
        && std::process::Command::new("wrk")
            .arg("--version")
            .output()
            .is_ok();
    let generator = if use_wrk { "wrk" } else { "built-in client" };
    println!(
        "| {label} | GraphQL over HTTP ({generator}) | clients | requests/s | p50 ms | p99 ms |"
    );
    let mut http = Vec::new();
    for clients in [1, 32] {
        let measured = if use_wrk {
            wrk(&address, &token, &body, clients, seconds).ok_or("wrk did not run")?
        } else {
            let (client, address, token, body) =
                (client.clone(), address.clone(), token.clone(), body.clone());
            let stats = measure(clients, seconds, move || {
                let (client, address, token, body) =
                    (client.clone(), address.clone(), token.clone(), body.clone());
                async move {
                    let _ = client
                        .post(&address)
                        .bearer_auth(&token)
                        .header("content-type", "application/json")
                        .body(body)
                        .send()
                        .await
                        .map(|r| r.bytes());
                }
            })
            .await;
            (
                stats.per_second(),
                stats.percentile(0.5),
                stats.percentile(0.99),
            )
        };
        println!(
            "| {label} | http | {clients} | {:.0} | {:.2} | {:.2} |",
            measured.0, measured.1, measured.2
        );
        http.push(measured.0);
    }

    let today = clock.today();
    // The server remembers the token after its first use, so the same work is the page and
    // the customers it shows.
    let viewer = authenticate(&state.db, &clock, &token).await?;
    for (index, clients) in [1, 32].into_iter().enumerate() {
        let (db, viewer) = (state.db.clone(), viewer.clone());
        let stats = measure(clients, seconds, move || {
            let (db, viewer) = (db.clone(), viewer.clone());
            async move {
                let filter = InvoiceFilter {
                    overdue: Some(true),
                    ..InvoiceFilter::default()
                };
                let request = PageRequest {
                    first: 50,
                    after: None,
                };
                let Ok(rows) = ORDER
                    .page(
                        db.reader(),
                        filtered(viewer.organization_id, &filter, today),
                        &request,
                    )
                    .await
                else {
                    return;
                };
                let ids: Vec<uuid::Uuid> = rows
                    .items
                    .iter()
                    .map(|(_, invoice)| invoice.customer_id)
                    .collect();
                let _ = customer::Entity::find()
                    .filter(customer::Column::OrganizationId.eq(viewer.organization_id.0))
                    .filter(customer::Column::Id.is_in(ids))
                    .all(db.reader())
                    .await;
            }
        })
        .await;
        println!(
            "| {label} | same SQL, direct | {clients} | {:.0} | {:.2} | {:.2} | (HTTP reaches {:.0} % of it)",
            stats.per_second(),
            stats.percentile(0.5),
            stats.percentile(0.99),
            100.0 * http[index] / stats.per_second()
        );
    }
    println!("| {label} | SQL statements per request: {statements_per_request:.1} |");

    let _ = stop.send(());
    let _ = server.await;
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().collect();
    let option = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let seconds: u64 = option("--seconds").map_or(Ok(10), |s| s.parse())?;
    match option("--postgres") {
        Some(server) => {
            let name = format!("tahsilat_bench_{}", uuid::Uuid::now_v7().simple());
            let url = match server.rsplit_once('/') {
                Some((base, _)) => format!("{base}/{name}"),
                None => return Err(
                    "--postgres takes a URL such as postgres://postgres@127.0.0.1:5432/postgres"
                        .into(),
                ),
            };
            let outcome = bench("PostgreSQL", url, seconds).await;
            use sea_orm::sqlx::{self, Connection as _};
            if args.iter().any(|a| a == "--keep") {
                eprintln!("kept database {name}");
            } else if let Ok(mut admin) = sqlx::PgConnection::connect(&server).await {
                let drop = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                let _ = sqlx::query(sqlx::AssertSqlSafe(drop))
                    .execute(&mut admin)
                    .await;
            }
            outcome
        }
        None => {
            let dir = std::env::temp_dir()
                .join(format!("tahsilat-bench-{}", uuid::Uuid::now_v7().simple()));
            std::fs::create_dir_all(&dir)?;
            let url = format!("sqlite://{}?mode=rwc", dir.join("bench.db").display());
            let outcome = bench("SQLite", url, seconds).await;
            let _ = std::fs::remove_dir_all(&dir);
            outcome
        }
    }
}
