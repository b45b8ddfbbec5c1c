//! Benchmark of one reminder scheduler pass: 10,000 customers with 20 invoices each (200,000),
//! 4 of each customer's due three days ago (40,000 at the +3 step today, one mail per customer
//! with a new pay link), 8 paid and 8 not due for weeks. It times the pass that plans, writes and
//! queues every message, and reports the process's peak memory before and after.
//!
//! ```sh
//! cargo build --release --example bench_dunning
//! ./target/release/examples/bench_dunning                     # SQLite
//! ./target/release/examples/bench_dunning --postgres postgres://postgres@127.0.0.1:5432/postgres
//! ```

use std::error::Error;
use std::sync::Arc;
use std::time::Instant;

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait};
use tahsilat::clock::FixedClock;
use tahsilat::config::Config;
use tahsilat::domain::invoice::InvoiceStatus;
use tahsilat::entities::{customer, invoice, outbox};

/// Customers by default; `BENCH_CUSTOMERS` sets another count (a multiple of 500), to see that
/// memory does not grow with the data.
const CUSTOMERS: usize = 10_000;
const INVOICES_EACH: usize = 20;

/// The process's peak resident memory so far, in MiB.
fn peak_mib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("VmHWM:"))
                .and_then(|line| line.split_whitespace().nth(1))
                .and_then(|kib| kib.parse::<u64>().ok())
        })
        .map_or(0, |kib| kib / 1024)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().collect();
    let postgres = args
        .iter()
        .position(|arg| arg == "--postgres")
        .and_then(|index| args.get(index + 1).cloned());
    let customers = std::env::var("BENCH_CUSTOMERS")
        .ok()
        .and_then(|count| count.parse::<usize>().ok())
        .unwrap_or(CUSTOMERS)
        .max(500);
    let dir = tempfile::tempdir()?;
    let url = match &postgres {
        Some(server) => {
            let name = format!("tahsilat_bench_dunning_{}", std::process::id());
            let admin = sea_orm::Database::connect(server.as_str()).await?;
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await?;
            let (base, _) = server.rsplit_once('/').unwrap_or((server, ""));
            format!("{base}/{name}")
        }
        None => format!("sqlite://{}/bench.db?mode=rwc", dir.path().display()),
    };
    let mail_dir = dir.path().join("mail").display().to_string();
    let config = Config::from_lookup(|key| match key {
        "TAHSILAT_DATABASE_URL" => Some(url.clone()),
        "TAHSILAT_SANDBOX" => Some("on".into()),
        "TAHSILAT_MAIL_DIR" => Some(mail_dir.clone()),
        _ => None,
    })?;
    // Wednesday 10:00 in Istanbul: inside the default window.
    let start = Utc
        .with_ymd_and_hms(2026, 11, 25, 7, 0, 0)
        .single()
        .ok_or("no such time")?;
    let clock = FixedClock::new(start);
    let today: NaiveDate = start.date_naive();
    let app = tahsilat::app::prepare_state(config, Arc::new(clock.clone())).await?;
    let (org, _) = tahsilat::services::users::find_or_create_organization(
        app.db.writer(),
        "Bench Ticaret A.Ş.",
        tahsilat::clock::Clock::now(&clock),
    )
    .await?;

    let started = Instant::now();
    let now = tahsilat::clock::Clock::now(&clock);
    for chunk in 0..(customers / 500) {
        let mut customers = Vec::new();
        let mut invoices = Vec::new();
        for index in chunk * 500..(chunk + 1) * 500 {
            let customer_id = uuid::Uuid::now_v7();
            customers.push(customer::ActiveModel {
                id: Set(customer_id),
                organization_id: Set(org.id),
                external_ref: Set(None),
                name: Set(format!("Müşteri {index:05}")),
                tax_id: Set(None),
                email: Set(Some(format!("muhasebe{index}@example.com"))),
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
            for number in 0..INVOICES_EACH {
                let (due, status, paid) = match number {
                    0..4 => (today - Duration::days(3), InvoiceStatus::Open, 0),
                    4..12 => (today - Duration::days(40), InvoiceStatus::Paid, 100_000),
                    _ => (
                        today + Duration::days(30 + number as i64),
                        InvoiceStatus::Open,
                        0,
                    ),
                };
                invoices.push(invoice::ActiveModel {
                    id: Set(uuid::Uuid::now_v7()),
                    organization_id: Set(org.id),
                    customer_id: Set(customer_id),
                    number: Set(format!("B{index:05}-{number:02}")),
                    external_ref: Set(None),
                    issue_date: Set(today - Duration::days(60)),
                    due_date: Set(due),
                    currency: Set("TRY".into()),
                    total_minor: Set(100_000),
                    paid_minor: Set(paid),
                    status: Set(status),
                    disputed: Set(false),
                    description: Set(None),
                    void_reason: Set(None),
                    voided_on: Set(None),
                    paid_on: Set(None),
                    created_at: Set(now),
                    updated_at: Set(now),
                });
            }
        }
        customer::Entity::insert_many(customers)
            .exec(app.db.writer())
            .await?;
        for part in invoices.chunks(1_000) {
            invoice::Entity::insert_many(part.to_vec())
                .exec(app.db.writer())
                .await?;
        }
    }
    println!(
        "seeded {customers} customers and {} invoices in {:.1} s; peak memory {} MiB",
        customers * INVOICES_EACH,
        started.elapsed().as_secs_f64(),
        peak_mib()
    );

    let before = peak_mib();
    let started = Instant::now();
    let report = tahsilat::services::dunning::scheduler::run_pass(&app).await?;
    let elapsed = started.elapsed();
    let queued = outbox::Entity::find().count(app.db.reader()).await?;
    println!(
        "one pass: {} messages queued ({} outbox rows) in {:.1} s = {:.0} messages/s; peak memory {} MiB before, {} MiB after",
        report.sent,
        queued,
        elapsed.as_secs_f64(),
        report.sent as f64 / elapsed.as_secs_f64(),
        before,
        peak_mib()
    );
    let again = Instant::now();
    let second = tahsilat::services::dunning::scheduler::run_pass(&app).await?;
    println!(
        "a second pass the same day: {} sent in {:.1} s",
        second.sent,
        again.elapsed().as_secs_f64()
    );
    app.db.close().await;
    Ok(())
}
