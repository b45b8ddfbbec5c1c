//! What as-of reporting needs: the day each allocation counts from, the days an invoice was
//! voided and fully paid, each payment's unapplied rest, who was assigned to a customer when, and
//! the organization's exchange rates. Existing rows are filled from what the ledger already holds.

use crate::columns::*;
use crate::m20261123_000001_create_tenancy::{Organizations, Users};
use crate::m20261123_000002_create_customers::Customers;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261125_000012_create_analytics"
    }
}

#[derive(DeriveIden)]
enum PaymentAllocations {
    Table,
    OrganizationId,
    ReceivedOn,
}

#[derive(DeriveIden)]
enum Invoices {
    Table,
    OrganizationId,
    VoidedOn,
    PaidOn,
    IssueDate,
}

#[derive(DeriveIden)]
enum Payments {
    Table,
    OrganizationId,
    UnappliedMinor,
    ReceivedAt,
}

#[derive(DeriveIden)]
enum CustomerAssignments {
    Table,
    Id,
    OrganizationId,
    CustomerId,
    CollectorId,
    AssignedAt,
    UnassignedAt,
}

#[derive(DeriveIden)]
enum ExchangeRates {
    Table,
    Id,
    OrganizationId,
    Currency,
    RateDate,
    Rate,
    Source,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per statement.
        let columns = [
            (
                PaymentAllocations::Table.into_iden(),
                date_null(PaymentAllocations::ReceivedOn),
            ),
            (Invoices::Table.into_iden(), date_null(Invoices::VoidedOn)),
            (Invoices::Table.into_iden(), date_null(Invoices::PaidOn)),
            (
                Payments::Table.into_iden(),
                minor_null(Payments::UnappliedMinor),
            ),
        ];
        for (table, column) in columns {
            manager
                .alter_table(Table::alter().table(table).add_column(column).to_owned())
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(CustomerAssignments::Table)
                    .if_not_exists()
                    .col(id(CustomerAssignments::Id))
                    .col(uuid(CustomerAssignments::OrganizationId))
                    .col(uuid(CustomerAssignments::CustomerId))
                    .col(uuid(CustomerAssignments::CollectorId))
                    .col(timestamp(CustomerAssignments::AssignedAt))
                    .col(timestamp_null(CustomerAssignments::UnassignedAt))
                    .foreign_key(&mut foreign_key(
                        CustomerAssignments::Table,
                        CustomerAssignments::OrganizationId,
                        Organizations::Table,
                        Organizations::Id,
                    ))
                    .foreign_key(&mut foreign_key(
                        CustomerAssignments::Table,
                        CustomerAssignments::CustomerId,
                        Customers::Table,
                        Customers::Id,
                    ))
                    .foreign_key(&mut foreign_key(
                        CustomerAssignments::Table,
                        CustomerAssignments::CollectorId,
                        Users::Table,
                        Users::Id,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ExchangeRates::Table)
                    .if_not_exists()
                    .col(id(ExchangeRates::Id))
                    .col(uuid(ExchangeRates::OrganizationId))
                    .col(currency(ExchangeRates::Currency))
                    .col(date(ExchangeRates::RateDate))
                    // Exact decimal text: SQLite would round a DECIMAL column.
                    .col(string(ExchangeRates::Rate, 40))
                    .col(string(ExchangeRates::Source, 16))
                    .col(timestamp(ExchangeRates::CreatedAt))
                    .col(timestamp(ExchangeRates::UpdatedAt))
                    .foreign_key(&mut foreign_key(
                        ExchangeRates::Table,
                        ExchangeRates::OrganizationId,
                        Organizations::Table,
                        Organizations::Id,
                    ))
                    .take(),
            )
            .await?;
        let indexes = [
            index(
                ExchangeRates::Table,
                "organization_currency_date",
                [
                    ExchangeRates::OrganizationId.into_iden(),
                    ExchangeRates::Currency.into_iden(),
                    ExchangeRates::RateDate.into_iden(),
                ],
                true,
            ),
            index(
                CustomerAssignments::Table,
                "organization_customer",
                [
                    CustomerAssignments::OrganizationId.into_iden(),
                    CustomerAssignments::CustomerId.into_iden(),
                ],
                false,
            ),
            // Allocations after an as-of date: what reopens invoices paid since.
            index(
                PaymentAllocations::Table,
                "organization_received_on",
                [
                    PaymentAllocations::OrganizationId.into_iden(),
                    PaymentAllocations::ReceivedOn.into_iden(),
                ],
                false,
            ),
            index(
                Invoices::Table,
                "organization_paid_on",
                [
                    Invoices::OrganizationId.into_iden(),
                    Invoices::PaidOn.into_iden(),
                ],
                false,
            ),
            index(
                Invoices::Table,
                "organization_issue_date",
                [
                    Invoices::OrganizationId.into_iden(),
                    Invoices::IssueDate.into_iden(),
                ],
                false,
            ),
            index(
                Payments::Table,
                "organization_received",
                [
                    Payments::OrganizationId.into_iden(),
                    Payments::ReceivedAt.into_iden(),
                ],
                false,
            ),
        ];
        for statement in indexes {
            manager.create_index(statement).await?;
        }
        backfill(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ExchangeRates::Table.into_iden(),
            CustomerAssignments::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        // SQLite drops no indexed column: the indexes on the new columns go first.
        let connection = manager.get_connection();
        for index in [
            "ix_payments_unapplied",
            "ix_payments_organization_received",
            "ix_invoices_organization_paid_on",
            "ix_invoices_organization_issue_date",
            "ix_payment_allocations_organization_received_on",
        ] {
            connection
                .execute_unprepared(&format!("DROP INDEX IF EXISTS {index}"))
                .await?;
        }
        let columns = [
            (
                PaymentAllocations::Table.into_iden(),
                PaymentAllocations::ReceivedOn.into_iden(),
            ),
            (Invoices::Table.into_iden(), Invoices::VoidedOn.into_iden()),
            (Invoices::Table.into_iden(), Invoices::PaidOn.into_iden()),
            (
                Payments::Table.into_iden(),
                Payments::UnappliedMinor.into_iden(),
            ),
        ];
        for (table, column) in columns {
            manager
                .alter_table(Table::alter().table(table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}

/// Fills the new columns from the ledger: an allocation counts from its payment's (UTC) day, a
/// void invoice was voided when it was last changed (voiding freezes it), a paid invoice was paid
/// on its last allocation's day, and a payment's unapplied rest is what its allocations left.
async fn backfill(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let connection = manager.get_connection();
    let utc_day = |column: &str| match manager.get_database_backend() {
        DatabaseBackend::Postgres => format!("CAST(({column} AT TIME ZONE 'UTC') AS DATE)"),
        // sea-orm writes SQLite timestamps as text that starts with the UTC date.
        _ => format!("substr({column}, 1, 10)"),
    };
    let statements = [
        format!(
            "UPDATE payment_allocations SET received_on = (SELECT {} FROM payments p \
             WHERE p.id = payment_allocations.payment_id)",
            utc_day("p.received_at")
        ),
        format!(
            "UPDATE invoices SET voided_on = {} WHERE status = 'VOID'",
            utc_day("updated_at")
        ),
        "UPDATE invoices SET paid_on = (SELECT MAX(a.received_on) FROM payment_allocations a \
         WHERE a.invoice_id = invoices.id) WHERE status = 'PAID'"
            .to_owned(),
        "UPDATE payments SET unapplied_minor = amount_minor - COALESCE((SELECT SUM(a.amount_minor) \
         FROM payment_allocations a WHERE a.payment_id = payments.id), 0)"
            .to_owned(),
        // Today's assignments are the history known so far; the first row of a customer's
        // history reuses the customer's id (ids are unique per table).
        "INSERT INTO customer_assignments (id, organization_id, customer_id, collector_id, assigned_at) \
         SELECT id, organization_id, id, assigned_collector_id, created_at FROM customers \
         WHERE assigned_collector_id IS NOT NULL"
            .to_owned(),
        // Unapplied cash is rare: a partial index finds it without reading every payment.
        "CREATE INDEX IF NOT EXISTS ix_payments_unapplied ON payments \
         (organization_id, currency, received_at) WHERE unapplied_minor <> 0"
            .to_owned(),
    ];
    for statement in statements {
        connection.execute_unprepared(&statement).await?;
    }
    Ok(())
}
