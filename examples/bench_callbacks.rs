//! Benchmark of signed provider callbacks: distinct payments per second end to end, a storm of
//! one duplicated callback, and a storm during which the server is killed with SIGKILL and
//! restarted while the "provider" keeps retrying — counting double payments (there must be none).
//! On PostgreSQL it also runs `pgbench` on an equivalent single transaction, for the ratio.
//!
//! ```sh
//! cargo build --release && cargo build --release --example bench_callbacks
//! ./target/release/examples/bench_callbacks                     # SQLite
//! ./target/release/examples/bench_callbacks --postgres postgres://postgres@127.0.0.1:5432/postgres
//! ```
//! The server runs as a separate `tahsilat serve` process (next to this example in target/), so
//! it can be killed for real.

use std::error::Error;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use integrations::sandbox::Sandbox;
use integrations::sandbox::transformers::SandboxEvent;
use sea_orm::ActiveValue::Set;
use sea_orm::{ConnectionTrait, EntityTrait, Statement};
use secrecy::SecretString;
use tahsilat::config::Config;
use tahsilat::db::Db;
use tahsilat::domain::invoice::InvoiceStatus;
use tahsilat::domain::payment_link::{PaymentLinkStatus, new_token};
use tahsilat::entities::{customer, invoice, organization, payment_link, payment_link_invoice};

const SECRET: &str = "bench-sandbox-secret";
const CLIENTS: usize = 32;

struct Link {
    provider_link_id: String,
}

fn server_binary() -> std::path::PathBuf {
    let mut path = std::env::current_exe().unwrap_or_default();
    path.pop();
    path.pop();
    path.join("tahsilat")
}

fn start_server(url: &str, port: u16) -> Result<Child, Box<dyn Error>> {
    Ok(Command::new(server_binary())
        .arg("serve")
        .env("TAHSILAT_DATABASE_URL", url)
        .env("TAHSILAT_LISTEN", format!("127.0.0.1:{port}"))
        .env("TAHSILAT_SANDBOX", "on")
        .env("TAHSILAT_SANDBOX_SECRET", SECRET)
        .env("TAHSILAT_DATABASE_MAX_CONNECTIONS", "8")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?)
}

async fn wait_ready(client: &reqwest::Client, base: &str) -> Result<(), Box<dyn Error>> {
    for _ in 0..200 {
        if let Ok(response) = client.get(format!("{base}/readyz")).send().await
            && response.status().is_success()
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err("the server did not become ready".into())
}

/// Seeds `count` links of 100.00 TRY, each for an invoice of its own.
async fn seed(db: &Db, count: usize, prefix: &str) -> Result<Vec<Link>, Box<dyn Error>> {
    let now = Utc::now();
    let txn = db.begin().await?;
    let org = match organization::Entity::find().one(&txn).await? {
        Some(org) => org.id,
        None => {
            let id = uuid::Uuid::now_v7();
            organization::Entity::insert(organization::ActiveModel {
                id: Set(id),
                name: Set("Callback Bench A.Ş.".into()),
                default_currency: Set("TRY".into()),
                settings: Set(serde_json::json!({})),
                created_at: Set(now),
                updated_at: Set(now),
            })
            .exec(&txn)
            .await?;
            id
        }
    };
    let customer_id = uuid::Uuid::now_v7();
    customer::Entity::insert(customer::ActiveModel {
        id: Set(customer_id),
        organization_id: Set(org),
        external_ref: Set(None),
        name: Set(format!("Bench {prefix}")),
        tax_id: Set(None),
        email: Set(None),
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
    })
    .exec(&txn)
    .await?;
    let mut links = Vec::with_capacity(count);
    let (mut invoices, mut rows, mut joins) = (Vec::new(), Vec::new(), Vec::new());
    for n in 0..count {
        let (invoice_id, link_id) = (uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
        let provider_link_id = format!("sbx_{}", link_id.simple());
        invoices.push(invoice::ActiveModel {
            id: Set(invoice_id),
            organization_id: Set(org),
            customer_id: Set(customer_id),
            number: Set(format!("{prefix}-{n:06}")),
            external_ref: Set(None),
            issue_date: Set(now.date_naive()),
            due_date: Set(now.date_naive()),
            currency: Set("TRY".into()),
            total_minor: Set(10_000),
            paid_minor: Set(0),
            status: Set(InvoiceStatus::Open),
            disputed: Set(false),
            description: Set(None),
            void_reason: Set(None),
            voided_on: Set(None),
            paid_on: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        });
        rows.push(payment_link::ActiveModel {
            id: Set(link_id),
            organization_id: Set(org),
            token: Set(new_token()),
            customer_id: Set(customer_id),
            amount_minor: Set(10_000),
            currency: Set("TRY".into()),
            provider: Set("sandbox".into()),
            provider_link_id: Set(Some(provider_link_id.clone())),
            provider_url: Set(None),
            max_installments: Set(1),
            status: Set(PaymentLinkStatus::Active),
            expires_at: Set(now + chrono::Duration::days(7)),
            paid_at: Set(None),
            payment_id: Set(None),
            created_by: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        });
        joins.push(payment_link_invoice::ActiveModel {
            id: Set(uuid::Uuid::now_v7()),
            organization_id: Set(org),
            link_id: Set(link_id),
            invoice_id: Set(invoice_id),
        });
        links.push(Link { provider_link_id });
        if invoices.len() == 500 {
            invoice::Entity::insert_many(std::mem::take(&mut invoices))
                .exec(&txn)
                .await?;
            payment_link::Entity::insert_many(std::mem::take(&mut rows))
                .exec(&txn)
                .await?;
            payment_link_invoice::Entity::insert_many(std::mem::take(&mut joins))
                .exec(&txn)
                .await?;
        }
    }
    if !invoices.is_empty() {
        invoice::Entity::insert_many(invoices).exec(&txn).await?;
        payment_link::Entity::insert_many(rows).exec(&txn).await?;
        payment_link_invoice::Entity::insert_many(joins)
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(links)
}

fn signed(bank: &Sandbox, event_id: &str, link: &Link) -> (String, Vec<u8>) {
    let body = serde_json::to_vec(&SandboxEvent {
        id: event_id.to_owned(),
        kind: "payment.succeeded".into(),
        link_id: link.provider_link_id.clone(),
        transaction_id: format!("txn-{event_id}"),
        amount: "100.00".into(),
        currency: "TRY".into(),
        installment_count: 1,
        failure_reason: None,
    })
    .unwrap_or_default();
    (bank.sign(Utc::now().timestamp(), &body), body)
}

/// Sends every callback with `CLIENTS` at a time; returns (sent per second, answers not 200,
/// latencies).
async fn fire(
    client: &reqwest::Client,
    url: &str,
    callbacks: Arc<Vec<(String, Vec<u8>)>>,
) -> (f64, usize, Vec<Duration>) {
    let started = Instant::now();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..CLIENTS {
        let (client, url, callbacks, next) = (
            client.clone(),
            url.to_owned(),
            callbacks.clone(),
            next.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let (mut failures, mut latencies) = (0, Vec::new());
            loop {
                let index = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some((signature, body)) = callbacks.get(index) else {
                    break;
                };
                let begun = Instant::now();
                let ok = client
                    .post(&url)
                    .header("content-type", "application/json")
                    .header("Sandbox-Signature", signature)
                    .body(body.clone())
                    .send()
                    .await
                    .is_ok_and(|response| response.status().is_success());
                latencies.push(begun.elapsed());
                if !ok {
                    failures += 1;
                }
            }
            (failures, latencies)
        }));
    }
    let (mut failures, mut latencies) = (0, Vec::new());
    for task in tasks {
        if let Ok((f, l)) = task.await {
            failures += f;
            latencies.extend(l);
        }
    }
    latencies.sort();
    (
        callbacks.len() as f64 / started.elapsed().as_secs_f64(),
        failures,
        latencies,
    )
}

fn percentile(latencies: &[Duration], p: f64) -> f64 {
    if latencies.is_empty() {
        return 0.0;
    }
    latencies[((latencies.len() - 1) as f64 * p).round() as usize].as_secs_f64() * 1000.0
}

async fn count(db: &Db, sql: &str) -> Result<i64, Box<dyn Error>> {
    let row = db
        .reader()
        .query_one_raw(Statement::from_string(
            db.reader().get_database_backend(),
            sql.to_owned(),
        ))
        .await?
        .ok_or("no row")?;
    Ok(row.try_get::<i64>("", "n")?)
}

async fn bench(
    label: &str,
    url: &str,
    postgres: bool,
    distinct: usize,
) -> Result<(), Box<dyn Error>> {
    let config = Config::with_database(url)?;
    let db = Db::connect(&config).await?;
    db.migrate().await?;
    let bank = Sandbox::new(SecretString::from(SECRET), None, "http://unused");
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let callback_url = format!("{base}/callbacks/sandbox");
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()?;
    let mut server = start_server(url, port)?;
    wait_ready(&client, &base).await?;

    // 1. Distinct payments.
    let links = seed(&db, distinct, "D").await?;
    let callbacks: Vec<_> = links
        .iter()
        .enumerate()
        .map(|(n, link)| signed(&bank, &format!("d{n}"), link))
        .collect();
    let (rate, failures, latencies) = fire(&client, &callback_url, Arc::new(callbacks)).await;
    println!(
        "| {label} | distinct callbacks, {CLIENTS} clients | {distinct} | {rate:.0}/s | p50 {:.1} ms | p99 {:.1} ms | not acknowledged: {failures} |",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99)
    );

    // 2. One callback, a thousand times at once.
    let storm_link = seed(&db, 1, "S").await?;
    let one = signed(&bank, "storm", &storm_link[0]);
    let (rate, failures, _) = fire(&client, &callback_url, Arc::new(vec![one; 1_000])).await;
    let storm_payments = count(
        &db,
        "SELECT COUNT(*) AS n FROM payments WHERE provider_transaction_id = 'txn-storm'",
    )
    .await?;
    println!(
        "| {label} | one callback ×1000, {CLIENTS} clients | 1000 | {rate:.0}/s | payments recorded: {storm_payments} | not acknowledged: {failures} |"
    );

    // 3. SIGKILL mid-storm, restart, and the provider sends everything again.
    let kill_links = seed(&db, distinct, "K").await?;
    let kill_callbacks: Arc<Vec<_>> = Arc::new(
        kill_links
            .iter()
            .enumerate()
            .map(|(n, link)| signed(&bank, &format!("k{n}"), link))
            .collect(),
    );
    let storm = tokio::spawn({
        let (client, url, callbacks) =
            (client.clone(), callback_url.clone(), kill_callbacks.clone());
        async move { fire(&client, &url, callbacks).await }
    });
    tokio::time::sleep(Duration::from_millis(700)).await;
    let killed = Command::new("kill")
        .args(["-KILL", &server.id().to_string()])
        .status()?;
    let _ = server.wait();
    let (_, lost, _) = storm.await?;
    let before_restart = count(
        &db,
        "SELECT COUNT(*) AS n FROM payments WHERE provider_transaction_id LIKE 'txn-k%'",
    )
    .await?;
    server = start_server(url, port)?;
    wait_ready(&client, &base).await?;
    let (_, failures, _) = fire(&client, &callback_url, kill_callbacks.clone()).await;
    let payments = count(
        &db,
        "SELECT COUNT(*) AS n FROM payments WHERE provider_transaction_id LIKE 'txn-k%'",
    )
    .await?;
    let distinct_txns = count(&db, "SELECT COUNT(DISTINCT provider_transaction_id) AS n FROM payments WHERE provider_transaction_id LIKE 'txn-k%'").await?;
    let overpaid = count(
        &db,
        "SELECT COUNT(*) AS n FROM invoices WHERE paid_minor > total_minor",
    )
    .await?;
    println!(
        "| {label} | SIGKILL mid-storm ({}), restart, all {distinct} resent | {distinct} | {before_restart} recorded before the kill, {lost} unanswered | payments {payments} for {distinct_txns} transactions, overpaid invoices {overpaid} | not acknowledged after restart: {failures} |",
        if killed.success() {
            "killed"
        } else {
            "kill failed"
        }
    );
    let _ = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status();
    let _ = server.wait();

    // 4. The same work as one SQL transaction, by pgbench.
    if postgres {
        pgbench(&db, url, label).await?;
    }
    db.close().await;
    Ok(())
}

async fn pgbench(db: &Db, url: &str, label: &str) -> Result<(), Box<dyn Error>> {
    seed(db, 5_000, "P").await?;
    let conn = db.writer();
    conn.execute_unprepared(
        "CREATE TABLE IF NOT EXISTS bench_links AS \
         SELECT ROW_NUMBER() OVER (ORDER BY l.id) AS n, l.id AS link_id, li.invoice_id, l.customer_id, l.organization_id \
         FROM payment_links l JOIN payment_link_invoices li ON li.link_id = l.id JOIN invoices i ON i.id = li.invoice_id WHERE i.number LIKE 'P-%'",
    )
    .await?;
    let script = std::env::temp_dir().join("tahsilat-callback.sql");
    std::fs::write(
        &script,
        "\\set n random(1, 5000)\n\
SELECT link_id, invoice_id, customer_id, organization_id FROM bench_links WHERE n = :n \\gset\n\
BEGIN;\n\
INSERT INTO provider_events (id, organization_id, provider, event_key, received_at, signature_ok, outcome, raw_body) VALUES (gen_random_uuid(), :organization_id, 'pgbench', gen_random_uuid()::text, now(), true, 'processing', '{}');\n\
SELECT id FROM payment_links WHERE id = :link_id FOR UPDATE;\n\
INSERT INTO payments (id, organization_id, customer_id, amount_minor, charged_minor, currency, method, received_at, provider, provider_transaction_id, installment_count, needs_review, created_at) VALUES (gen_random_uuid(), :organization_id, :customer_id, 1, 1, 'TRY', 'CARD', now(), 'pgbench', gen_random_uuid()::text, 1, false, now());\n\
SELECT id FROM invoices WHERE id = :invoice_id FOR UPDATE;\n\
UPDATE invoices SET updated_at = now() WHERE id = :invoice_id;\n\
UPDATE payment_links SET updated_at = now() WHERE id = :link_id;\n\
INSERT INTO activities (id, organization_id, customer_id, actor_label, kind, data, occurred_at) VALUES (gen_random_uuid(), :organization_id, :customer_id, 'pgbench', 'NOTE', '{}', now());\n\
END;\n",
    )?;
    let output = Command::new("pgbench")
        .args([
            "-n", "-M", "prepared", "-c", "32", "-j", "2", "-T", "10", "-f",
        ])
        .arg(&script)
        .arg(url)
        .output()?;
    let text = String::from_utf8_lossy(&output.stdout);
    let tps = text
        .lines()
        .find(|line| line.starts_with("tps"))
        .unwrap_or("pgbench gave no tps line");
    println!("| {label} | pgbench, the same single transaction, 32 clients | | {tps} |");
    if !output.status.success() {
        eprintln!("{}", String::from_utf8_lossy(&output.stderr));
    }
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
    let distinct: usize = option("--count").map_or(Ok(5_000), |s| s.parse())?;
    if !server_binary().exists() {
        return Err(format!(
            "{} is missing: run `cargo build --release` first",
            server_binary().display()
        )
        .into());
    }
    match option("--postgres") {
        Some(server) => {
            let name = format!("tahsilat_cbench_{}", uuid::Uuid::now_v7().simple());
            let url = match server.rsplit_once('/') {
                Some((base, _)) => format!("{base}/{name}"),
                None => return Err("--postgres takes a URL".into()),
            };
            let outcome = bench("PostgreSQL", &url, true, distinct).await;
            use sea_orm::sqlx::{self, Connection as _};
            if let Ok(mut admin) = sqlx::PgConnection::connect(&server).await {
                let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                )))
                .execute(&mut admin)
                .await;
            }
            outcome
        }
        None => {
            let dir = std::env::temp_dir()
                .join(format!("tahsilat-cbench-{}", uuid::Uuid::now_v7().simple()));
            std::fs::create_dir_all(&dir)?;
            let url = format!("sqlite://{}?mode=rwc", dir.join("bench.db").display());
            let outcome = bench("SQLite", &url, false, distinct).await;
            let _ = std::fs::remove_dir_all(&dir);
            outcome
        }
    }
}
