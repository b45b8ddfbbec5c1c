//! Payments can be reversed (a bounced cheque, a chargeback, a mistaken entry) without deleting
//! anything: the payment keeps who reversed it, when and why, and each allocation the day it
//! stopped counting, so a report as of an earlier day still sees the money.

use crate::columns::*;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261125_000013_add_payment_reversals"
    }
}

#[derive(DeriveIden)]
enum Payments {
    Table,
    ReversedAt,
    ReversedBy,
    ReversalReason,
}

#[derive(DeriveIden)]
enum PaymentAllocations {
    Table,
    ReversedOn,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per statement.
        let columns = [
            (
                Payments::Table.into_iden(),
                timestamp_null(Payments::ReversedAt),
            ),
            (Payments::Table.into_iden(), uuid_null(Payments::ReversedBy)),
            (
                Payments::Table.into_iden(),
                text_null(Payments::ReversalReason),
            ),
            (
                PaymentAllocations::Table.into_iden(),
                date_null(PaymentAllocations::ReversedOn),
            ),
        ];
        for (table, column) in columns {
            manager
                .alter_table(Table::alter().table(table).add_column(column).to_owned())
                .await?;
        }
        // Reversed allocations are rare: as-of reports find them without reading the rest.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX IF NOT EXISTS ix_payment_allocations_reversed ON payment_allocations \
                 (organization_id, reversed_on) WHERE reversed_on IS NOT NULL",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX IF EXISTS ix_payment_allocations_reversed")
            .await?;
        let columns = [
            (
                Payments::Table.into_iden(),
                Payments::ReversedAt.into_iden(),
            ),
            (
                Payments::Table.into_iden(),
                Payments::ReversedBy.into_iden(),
            ),
            (
                Payments::Table.into_iden(),
                Payments::ReversalReason.into_iden(),
            ),
            (
                PaymentAllocations::Table.into_iden(),
                PaymentAllocations::ReversedOn.into_iden(),
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
