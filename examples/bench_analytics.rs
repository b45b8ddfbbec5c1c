//! Benchmark of the analytics queries on a large ledger: 50,000 customers, 1,000,000 invoices
//! issued over two years, about 2,000,000 payments (most invoices paid in two or three parts,
//! some left open or part-paid, a few payments with unapplied rest), 10 collectors. It times
//! `aging(asOf: today)` overall and grouped by customer (first page of 50), aging as of six
//! months ago, and `collectionMetrics` for 12 months by month — through the services the API
//! calls — three times each, and prints the fastest and the slowest.
//!
//! ```sh
//! cargo build --release --example bench_analytics
//! ./target/release/examples/bench_analytics                     # SQLite
//! ./target/release/examples/bench_analytics --postgres postgres://postgres@127.0.0.1:5432/postgres
//! BENCH_CUSTOMERS=5000 ./target/release/examples/bench_analytics  # a tenth of the data
//! ```

use std::error::Error;
use std::sync::Arc;
use std::time::{Duration as Elapsed, Instant};

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::{ConnectionTrait, EntityTrait};
use tahsilat::auth::Viewer;
use tahsilat::clock::FixedClock;
use tahsilat::config::Config;
use tahsilat::domain::analytics::Buckets;
use tahsilat::domain::ids::{OrganizationId, UserId};
use tahsilat::domain::invoice::InvoiceStatus;
use tahsilat::domain::money::Currency;
use tahsilat::domain::payment::PaymentMethod;
use tahsilat::domain::role::Role;
use tahsilat::entities::{
    customer, customer_assignment, invoice, payment, payment_allocation, user,
};
use tahsilat::services::analytics::aging::{self, AgingRequest, GroupBy};
use tahsilat::services::analytics::metrics::{self, MetricsGroupBy, MetricsRequest};
use tahsilat::services::listing::PageRequest;

const CUSTOMERS: usize = 50_000;
const INVOICES_EACH: usize = 20;
const COLLECTORS: usize = 10;
/// Customers written per transaction.
const BATCH: usize = 250;

/// A small deterministic generator: the same ledger on every run.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn range(&mut self, low: i64, high: i64) -> i64 {
        low + (self.next() % (high - low) as u64) as i64
    }
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
        .max(BATCH)
        / BATCH
        * BATCH;
    let dir = tempfile::tempdir()?;
    // `--existing URL`: time the queries on a database an earlier run seeded (it keeps it).
    let existing = args
        .iter()
        .position(|arg| arg == "--existing")
        .and_then(|index| args.get(index + 1).cloned());
    let url = match (&existing, &postgres) {
        (Some(url), _) => url.clone(),
        (None, Some(server)) => {
            let name = format!("tahsilat_bench_analytics_{}", std::process::id());
            let admin = sea_orm::Database::connect(server.as_str()).await?;
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await?;
            let (base, _) = server.rsplit_once('/').unwrap_or((server, ""));
            println!("database {name} (kept; time it again with --existing)");
            format!("{base}/{name}")
        }
        (None, None) => format!("sqlite://{}/bench.db?mode=rwc", dir.path().display()),
    };
    let config = Config::from_lookup(|key| match key {
        "TAHSILAT_DATABASE_URL" => Some(url.clone()),
        _ => None,
    })?;
    let start = Utc
        .with_ymd_and_hms(2026, 11, 25, 9, 0, 0)
        .single()
        .ok_or("no such time")?;
    let clock = FixedClock::new(start);
    let today: NaiveDate = start.date_naive();
    let app = tahsilat::app::prepare_state(config, Arc::new(clock.clone())).await?;
    let now = tahsilat::clock::Clock::now(&clock);
    let (org, _) = tahsilat::services::users::find_or_create_organization(
        app.db.writer(),
        "Bench Ticaret A.Ş.",
        now,
    )
    .await?;
    let manager = match &existing {
        Some(_) => {
            use sea_orm::{ColumnTrait, QueryFilter};
            let found = user::Entity::find()
                .filter(user::Column::Role.eq(Role::Manager))
                .one(app.db.reader())
                .await?
                .ok_or("no manager in that database")?;
            Viewer {
                user_id: UserId(found.id),
                organization_id: OrganizationId(found.organization_id),
                email: found.email,
                name: found.name,
                role: Role::Manager,
            }
        }
        None => seed(&app, org.id, customers, today, now).await?,
    };
    time(&app, &manager, today).await?;
    app.db.close().await;
    Ok(())
}

/// Writes the ledger and returns the manager who reads it.
async fn seed(
    app: &tahsilat::state::AppState,
    org_id: uuid::Uuid,
    customers: usize,
    today: NaiveDate,
    now: chrono::DateTime<Utc>,
) -> Result<Viewer, Box<dyn Error>> {
    let mut collectors = Vec::new();
    for index in 0..=COLLECTORS {
        let id = UserId::new().0;
        let role = if index == COLLECTORS {
            Role::Manager
        } else {
            Role::Collector
        };
        user::Entity::insert(user::ActiveModel {
            id: Set(id),
            organization_id: Set(org_id),
            email: Set(format!("user{index}@bench.com.tr")),
            name: Set(format!("User {index}")),
            role: Set(role),
            phone: Set(None),
            deactivated_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .exec(app.db.writer())
        .await?;
        collectors.push(id);
    }
    let manager = Viewer {
        user_id: UserId(collectors[COLLECTORS]),
        organization_id: OrganizationId(org_id),
        email: "manager@bench.com.tr".into(),
        name: "Manager".into(),
        role: Role::Manager,
    };

    let started = Instant::now();
    let mut dice = Dice(0x9e37_79b9_7f4a_7c15);
    let (mut invoice_count, mut payment_count) = (0_usize, 0_usize);
    let created_at = now - Duration::days(800);
    for batch in 0..customers / BATCH {
        let mut customer_rows = Vec::with_capacity(BATCH);
        let mut assignments = Vec::with_capacity(BATCH);
        let mut invoices = Vec::with_capacity(BATCH * INVOICES_EACH);
        let mut payments = Vec::new();
        let mut allocations = Vec::new();
        for index in batch * BATCH..(batch + 1) * BATCH {
            let customer_id = uuid::Uuid::now_v7();
            let collector = collectors[index % COLLECTORS];
            let terms = [30, 45, 60][index % 3];
            customer_rows.push(customer::ActiveModel {
                id: Set(customer_id),
                organization_id: Set(org_id),
                external_ref: Set(None),
                name: Set(format!("Müşteri {index:05}")),
                tax_id: Set(None),
                email: Set(None),
                phone: Set(None),
                address: Set(None),
                payment_terms_days: Set(terms),
                assigned_collector_id: Set(Some(collector)),
                credit_limit_minor: Set(None),
                credit_limit_currency: Set(None),
                blocked: Set(false),
                language: Set(None),
                reminder_policy_id: Set(None),
                reminders_off: Set(None),
                dunning_paused_until: Set(None),
                dunning_pause_reason: Set(None),
                created_at: Set(created_at),
                updated_at: Set(created_at),
            });
            assignments.push(customer_assignment::ActiveModel {
                id: Set(uuid::Uuid::now_v7()),
                organization_id: Set(org_id),
                customer_id: Set(customer_id),
                collector_id: Set(collector),
                assigned_at: Set(created_at),
                unassigned_at: Set(None),
            });
            for number in 0..INVOICES_EACH {
                let invoice_id = uuid::Uuid::now_v7();
                let issued = today - Duration::days(dice.range(0, 730));
                let due = issued + Duration::days(i64::from(terms));
                let total = dice.range(1_000, 5_000_000);
                // Older invoices are mostly paid in two parts; some stay open or part-paid.
                let age = (today - issued).num_days();
                let stuck = dice.range(0, 100) < 12;
                let parts: Vec<(i64, NaiveDate)> = if age > 60 && !stuck {
                    let first = due + Duration::days(dice.range(-5, 20));
                    let second = first + Duration::days(dice.range(1, 30));
                    if dice.range(0, 100) < 35 {
                        let third = second + Duration::days(dice.range(1, 15));
                        vec![
                            (total / 3, first),
                            (total / 3, second),
                            (total - 2 * (total / 3), third),
                        ]
                    } else {
                        vec![(total / 2, first), (total - total / 2, second)]
                    }
                } else if stuck && age > 30 {
                    vec![(total / 3, due + Duration::days(dice.range(0, 30)))]
                } else {
                    Vec::new()
                };
                let parts: Vec<_> = parts
                    .into_iter()
                    .filter(|(_, day)| *day <= today)
                    .map(|(amount, day)| (amount, day.max(issued)))
                    .collect();
                let paid: i64 = parts.iter().map(|(amount, _)| amount).sum();
                let status = InvoiceStatus::from_amounts(total, paid);
                let paid_on = (status == InvoiceStatus::Paid)
                    .then(|| parts.iter().map(|(_, day)| *day).max())
                    .flatten();
                invoices.push(invoice::ActiveModel {
                    id: Set(invoice_id),
                    organization_id: Set(org_id),
                    customer_id: Set(customer_id),
                    number: Set(format!("B{index:05}-{number:02}")),
                    external_ref: Set(None),
                    issue_date: Set(issued),
                    due_date: Set(due),
                    currency: Set("TRY".into()),
                    total_minor: Set(total),
                    paid_minor: Set(paid),
                    status: Set(status),
                    disputed: Set(false),
                    description: Set(None),
                    void_reason: Set(None),
                    voided_on: Set(None),
                    paid_on: Set(paid_on),
                    created_at: Set(now),
                    updated_at: Set(now),
                });
                for (amount, day) in parts {
                    let payment_id = uuid::Uuid::now_v7();
                    let received_at = day.and_hms_opt(10, 0, 0).unwrap_or_default().and_utc();
                    // One payment in a hundred brought a little more than it was for.
                    let unapplied = if dice.range(0, 100) == 0 { 10_000 } else { 0 };
                    payments.push(payment::ActiveModel {
                        id: Set(payment_id),
                        organization_id: Set(org_id),
                        customer_id: Set(customer_id),
                        amount_minor: Set(amount + unapplied),
                        charged_minor: Set(amount + unapplied),
                        unapplied_minor: Set(unapplied),
                        currency: Set("TRY".into()),
                        method: Set(PaymentMethod::BankTransfer),
                        received_at: Set(received_at),
                        reference: Set(None),
                        provider: Set(None),
                        provider_transaction_id: Set(None),
                        installment_count: Set(1),
                        needs_review: Set(false),
                        review_reason: Set(None),
                        recorded_by: Set(Some(collector)),
                        test: Set(false),
                        reversed_at: Set(None),
                        reversed_by: Set(None),
                        reversal_reason: Set(None),
                        fee_minor: Set(None),
                        created_at: Set(received_at),
                    });
                    allocations.push(payment_allocation::ActiveModel {
                        id: Set(uuid::Uuid::now_v7()),
                        organization_id: Set(org_id),
                        payment_id: Set(payment_id),
                        invoice_id: Set(invoice_id),
                        amount_minor: Set(amount),
                        received_on: Set(day),
                        reversed_on: Set(None),
                        created_at: Set(received_at),
                    });
                }
            }
        }
        invoice_count += invoices.len();
        payment_count += payments.len();
        let txn = sea_orm::TransactionTrait::begin(app.db.writer()).await?;
        customer::Entity::insert_many(customer_rows)
            .exec(&txn)
            .await?;
        customer_assignment::Entity::insert_many(assignments)
            .exec(&txn)
            .await?;
        for part in invoices.chunks(1_000) {
            invoice::Entity::insert_many(part.to_vec())
                .exec(&txn)
                .await?;
        }
        for part in payments.chunks(1_000) {
            payment::Entity::insert_many(part.to_vec())
                .exec(&txn)
                .await?;
        }
        for part in allocations.chunks(1_000) {
            payment_allocation::Entity::insert_many(part.to_vec())
                .exec(&txn)
                .await?;
        }
        txn.commit().await?;
    }
    // Fresh statistics, as a database that has lived with its data would have.
    app.db.writer().execute_unprepared("ANALYZE").await?;
    println!(
        "seeded {customers} customers, {invoice_count} invoices, {payment_count} payments in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    Ok(manager)
}

/// Times each query three times.
async fn time(
    app: &tahsilat::state::AppState,
    manager: &Viewer,
    today: NaiveDate,
) -> Result<(), Box<dyn Error>> {
    let aging_request = |as_of: NaiveDate, group_by: GroupBy| AgingRequest {
        as_of,
        currency: Currency::TRY,
        convert: false,
        buckets: Buckets::default(),
        group_by,
        page: PageRequest {
            first: 50,
            after: None,
        },
    };
    let six_months_ago = today - Duration::days(182);
    let mut timings: Vec<(&str, Vec<Elapsed>)> = Vec::new();
    for (label, as_of, group_by) in [
        ("aging(asOf: today, groupBy: NONE)", today, GroupBy::None),
        (
            "aging(asOf: today, groupBy: CUSTOMER, first: 50)",
            today,
            GroupBy::Customer,
        ),
        (
            "aging(asOf: six months ago, groupBy: NONE)",
            six_months_ago,
            GroupBy::None,
        ),
    ] {
        let mut runs = Vec::new();
        for _ in 0..3 {
            let started = Instant::now();
            let report = aging::report(app, manager, aging_request(as_of, group_by)).await?;
            runs.push(started.elapsed());
            std::hint::black_box(report);
        }
        timings.push((label, runs));
    }
    // The last twelve whole months.
    let this_month = tahsilat::domain::analytics::first_of_month(today);
    let from = this_month
        .checked_sub_months(chrono::Months::new(12))
        .ok_or("no such month")?;
    let to = this_month - Duration::days(1);
    for (label, group_by) in [
        (
            "collectionMetrics(12 months, groupBy: MONTH)",
            MetricsGroupBy::Month,
        ),
        (
            "collectionMetrics(12 months, groupBy: NONE)",
            MetricsGroupBy::None,
        ),
        (
            "collectionMetrics(12 months, groupBy: COLLECTOR)",
            MetricsGroupBy::Collector,
        ),
    ] {
        let mut runs = Vec::new();
        for _ in 0..3 {
            let started = Instant::now();
            let rows = metrics::collection_metrics(
                app,
                manager,
                MetricsRequest {
                    from,
                    to,
                    currency: Currency::TRY,
                    group_by,
                    attribution_days: 7,
                },
            )
            .await?;
            runs.push(started.elapsed());
            std::hint::black_box(rows);
        }
        timings.push((label, runs));
    }
    println!("period for the metrics: {from} to {to}");
    for (label, mut runs) in timings {
        runs.sort();
        println!(
            "{label}: fastest {:.3} s, slowest {:.3} s",
            runs[0].as_secs_f64(),
            runs[runs.len() - 1].as_secs_f64()
        );
    }
    Ok(())
}
