//! Tahsilat's schema, as one migration set that runs unchanged on SQLite and PostgreSQL.
//!
//! Rules kept by every migration here:
//! - every tenant-owned table carries `organization_id`, and every unique index starts with it
//!   (tenants never collide, and the schema can later be distributed by tenant);
//! - money is `*_minor BIGINT` beside a three-letter `currency` (decimal columns lose precision on SQLite);
//! - timestamps are `TIMESTAMPTZ`, dates are `DATE`, ids are UUIDv7 written by the application;
//! - no database-side defaults: the application's clock and rules decide every value;
//! - foreign keys are declared inside `CREATE TABLE`, because SQLite cannot add them later.
//!
//! Migrations never import the application's entities, so old migrations keep compiling as the
//! entities move on.

pub use sea_orm_migration::prelude::*;

mod columns;
mod m20261123_000001_create_tenancy;
mod m20261123_000002_create_customers;
mod m20261123_000003_create_invoices_and_payments;
mod m20261123_000004_create_payment_links;
mod m20261123_000005_create_activities_and_outbox;
mod m20261125_000006_add_hardening_columns;
mod m20261125_000007_create_disputes;
mod m20261125_000008_create_tasks;
mod m20261125_000009_add_customer_language;
mod m20261125_000010_create_promises;
mod m20261125_000011_create_dunning;
mod m20261125_000012_create_analytics;
mod m20261125_000013_add_payment_reversals;
mod m20261125_000014_create_instruments;
mod m20261207_000015_create_payment_plans;
mod m20261207_000016_add_import_keys;
mod m20261207_000017_create_webhooks;
mod m20261207_000018_create_payment_attempts;

/// Every migration, oldest first. Applied ones are recorded in `seaql_migrations`, so running the
/// set again changes nothing.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_create_tenancy::Migration),
            Box::new(m20261123_000002_create_customers::Migration),
            Box::new(m20261123_000003_create_invoices_and_payments::Migration),
            Box::new(m20261123_000004_create_payment_links::Migration),
            Box::new(m20261123_000005_create_activities_and_outbox::Migration),
            Box::new(m20261125_000006_add_hardening_columns::Migration),
            Box::new(m20261125_000007_create_disputes::Migration),
            Box::new(m20261125_000008_create_tasks::Migration),
            Box::new(m20261125_000009_add_customer_language::Migration),
            Box::new(m20261125_000010_create_promises::Migration),
            Box::new(m20261125_000011_create_dunning::Migration),
            Box::new(m20261125_000012_create_analytics::Migration),
            Box::new(m20261125_000013_add_payment_reversals::Migration),
            Box::new(m20261125_000014_create_instruments::Migration),
            Box::new(m20261207_000015_create_payment_plans::Migration),
            Box::new(m20261207_000016_add_import_keys::Migration),
            Box::new(m20261207_000017_create_webhooks::Migration),
            Box::new(m20261207_000018_create_payment_attempts::Migration),
        ]
    }
}
