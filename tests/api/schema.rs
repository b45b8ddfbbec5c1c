//! The migrated schema: idempotent migrations, tenant-first unique indexes, SQLite durability.

use sea_orm::{ConnectionTrait, Statement};
use tahsilat::db::Db;

use crate::helpers::Backend;

/// Rows of a raw query, each column read as text.
async fn rows(db: &impl ConnectionTrait, sql: &str, columns: &[&str]) -> Vec<Vec<String>> {
    let statement = Statement::from_string(db.get_database_backend(), sql.to_owned());
    db.query_all_raw(statement)
        .await
        .unwrap()
        .into_iter()
        .map(|row| {
            columns
                .iter()
                .map(|column| {
                    row.try_get::<String>("", column)
                        .or_else(|_| row.try_get::<i64>("", column).map(|n| n.to_string()))
                        .unwrap_or_default()
                })
                .collect()
        })
        .collect()
}

/// Every unique index with the names of its columns in order.
async fn unique_indexes(app: &crate::helpers::TestApp) -> Vec<(String, String, Vec<String>)> {
    let db = app.state.db.reader();
    match app.backend() {
        Backend::Sqlite => {
            let mut found = Vec::new();
            let tables = rows(db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'seaql_migrations'", &["name"]).await;
            for table in tables.into_iter().map(|row| row[0].clone()) {
                let indexes = rows(
                    db,
                    &format!("PRAGMA index_list('{table}')"),
                    &["name", "unique", "origin"],
                )
                .await;
                for index in indexes {
                    // "pk" indexes are primary keys, which are ids, not tenant data.
                    if index[1] != "1" || index[2] == "pk" {
                        continue;
                    }
                    let columns =
                        rows(db, &format!("PRAGMA index_info('{}')", index[0]), &["name"]).await;
                    found.push((
                        table.clone(),
                        index[0].clone(),
                        columns.into_iter().map(|c| c[0].clone()).collect(),
                    ));
                }
            }
            found
        }
        Backend::Postgres => {
            let indexes = rows(db, "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND indexdef LIKE 'CREATE UNIQUE%' AND indexname NOT LIKE '%_pkey' AND tablename <> 'seaql_migrations'", &["tablename", "indexname", "indexdef"]).await;
            indexes
                .into_iter()
                .map(|row| {
                    let inside = row[2]
                        .split_once('(')
                        .map(|(_, rest)| rest.trim_end_matches(')'))
                        .unwrap_or("");
                    let columns = inside
                        .split(',')
                        .map(|c| c.trim().trim_matches('"').to_owned())
                        .collect();
                    (row[0].clone(), row[1].clone(), columns)
                })
                .collect()
        }
    }
}

on_both_databases! {
    async fn migrating_again_changes_nothing(app) {
        let db = &app.state.db;
        let applied = "SELECT version FROM seaql_migrations ORDER BY version";
        let before = rows(db.reader(), applied, &["version"]).await;
        assert_eq!(before.len(), 18);
        db.migrate().await.unwrap();
        // A second process starting on the same database migrates too.
        let second = Db::connect(&app.database.config()).await.unwrap();
        second.migrate().await.unwrap();
        second.close().await;
        assert_eq!(rows(db.reader(), applied, &["version"]).await, before);
    }

    async fn every_tenant_unique_index_starts_with_organization_id(app) {
        let indexes = unique_indexes(&app).await;
        assert!(indexes.len() >= 8, "{indexes:?}");
        for (table, index, columns) in indexes {
            // Organizations are the tenants themselves.
            if table == "organizations" {
                continue;
            }
            assert_eq!(columns.first().map(String::as_str), Some("organization_id"), "{table}.{index}: {columns:?}");
        }
    }
}

#[tokio::test]
async fn sqlite_is_durable_and_enforces_foreign_keys() {
    let app = crate::helpers::TestApp::spawn(Backend::Sqlite).await;
    for db in [app.state.db.reader(), app.state.db.writer()] {
        assert_eq!(
            rows(db, "PRAGMA journal_mode", &["journal_mode"]).await[0][0],
            "wal"
        );
        // 2 is FULL: a committed payment survives a power cut.
        assert_eq!(
            rows(db, "PRAGMA synchronous", &["synchronous"]).await[0][0],
            "2"
        );
        assert_eq!(
            rows(db, "PRAGMA foreign_keys", &["foreign_keys"]).await[0][0],
            "1"
        );
        assert!(
            rows(db, "PRAGMA busy_timeout", &["timeout"]).await[0][0]
                .parse::<i64>()
                .unwrap()
                >= 1000
        );
    }
    let orphan = app
        .state
        .db
        .writer()
        .execute_unprepared("INSERT INTO contacts (id, organization_id, customer_id, name, is_primary, created_at) VALUES (x'00', x'01', x'02', 'n', 0, '2026-01-01')")
        .await;
    assert!(orphan.is_err(), "a contact without a customer was accepted");
}

/// `graphql/schema.graphql` is what `tahsilat schema` prints; regenerate it with
/// `cargo run -- schema > graphql/schema.graphql` after changing the API.
#[test]
fn the_schema_file_is_in_step_with_the_code() {
    let file = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/graphql/schema.graphql"
    ))
    .unwrap();
    assert!(
        file == tahsilat::graphql::sdl(),
        "graphql/schema.graphql is stale: run `cargo run -- schema > graphql/schema.graphql`"
    );
}

on_both_databases! {
    async fn the_analytics_migration_fills_existing_rows_from_the_ledger(app) {
        use crate::collections::{Team, create_customer, mutate};
        use sea_orm::EntityTrait;
        use serde_json::json;
        use migrations::MigratorTrait;
        use tahsilat::entities::{customer_assignment, invoice, payment, payment_allocation};

        let team = Team::new(&app, "ledger").await;
        let (_, body) = app.graphql(&team.collector, "{ viewer { id } }", json!({})).await;
        let collector = body["data"]["viewer"]["id"].as_str().unwrap().to_owned();
        let customer = mutate(&app, &team.manager, "mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { id } } }", json!({"name": "Eski Müşteri", "assignedCollectorId": collector})).await["customer"]["id"].as_str().unwrap().to_owned();
        let other = create_customer(&app, &team.manager, "Atanmamış").await;
        let create = "mutation($input: CreateInvoiceInput!) { createInvoice(input: $input) { invoice { id } } }";
        mutate(&app, &team.manager, create, json!({"customerId": customer, "number": "L1", "issueDate": "2026-10-01", "dueDate": "2026-10-31", "currency": "TRY", "total": "100.00"})).await;
        let void = mutate(&app, &team.manager, create, json!({"customerId": other, "number": "L2", "issueDate": "2026-10-01", "dueDate": "2026-10-31", "currency": "TRY", "total": "50.00"})).await["invoice"]["id"].as_str().unwrap().to_owned();
        let pay = "mutation($input: RecordPaymentInput!) { recordPayment(input: $input) { userErrors { code } } }";
        // The later-dated payment is recorded first; the earlier one completes the invoice.
        mutate(&app, &team.collector, pay, json!({"customerId": customer, "amount": "60.00", "currency": "TRY", "method": "CASH", "receivedAt": "2026-11-10T08:00:00Z"})).await;
        mutate(&app, &team.collector, pay, json!({"customerId": customer, "amount": "70.00", "currency": "TRY", "method": "CASH", "receivedAt": "2026-11-05T08:00:00Z"})).await;
        mutate(&app, &team.manager, "mutation($input: VoidInvoiceInput!) { voidInvoice(input: $input) { userErrors { code } } }", json!({"id": void, "reason": "hata"})).await;

        let db = app.state.db.writer();
        let snapshot = || async {
            let mut allocations: Vec<_> = payment_allocation::Entity::find().all(db).await.unwrap().into_iter().map(|row| (row.amount_minor, row.received_on)).collect();
            allocations.sort();
            let mut invoices: Vec<_> = invoice::Entity::find().all(db).await.unwrap().into_iter().map(|row| (row.number, row.paid_on, row.voided_on)).collect();
            invoices.sort();
            let mut payments: Vec<_> = payment::Entity::find().all(db).await.unwrap().into_iter().map(|row| (row.amount_minor, row.unapplied_minor)).collect();
            payments.sort();
            let assignments: Vec<_> = customer_assignment::Entity::find().all(db).await.unwrap().into_iter().map(|row| (row.customer_id.to_string(), row.collector_id.to_string(), row.unassigned_at)).collect();
            (allocations, invoices, payments, assignments)
        };
        let written = snapshot().await;
        let day = |text: &str| text.parse::<chrono::NaiveDate>().unwrap();
        // As the services wrote them: 60 on 10 Nov; 40 of the 70 on 5 Nov, 30 unapplied; paid on 10 Nov.
        assert_eq!(written.0, vec![(4_000, day("2026-11-05")), (6_000, day("2026-11-10"))]);
        assert_eq!(written.1, vec![("L1".to_owned(), Some(day("2026-11-10")), None), ("L2".to_owned(), None, Some(day("2026-11-23")))]);
        assert_eq!(written.2, vec![(6_000, 0), (7_000, 3_000)]);
        assert_eq!(written.3, vec![(customer.clone(), collector.clone(), None)]);

        // Back to before the migration, and up again: the backfill finds the same.
        migrations::Migrator::down(db, Some(1)).await.unwrap();
        migrations::Migrator::up(db, None).await.unwrap();
        assert_eq!(snapshot().await, written);
    }
}
