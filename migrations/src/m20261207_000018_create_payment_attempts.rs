//! More virtual POS: the attempts made at providers whose page is made per attempt (iyzico's
//! checkout form, a bank's NestPay form), installment tables per organization and provider, the
//! provider's commission on a payment when the merchant bears the interest, and what a verified
//! callback for an unknown link reported, so a person can assign it to a customer.

use crate::columns::*;
use crate::m20261123_000001_create_tenancy::{Organizations, Users};
use crate::m20261123_000004_create_payment_links::PaymentLinks;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000018_create_payment_attempts"
    }
}

#[derive(DeriveIden)]
enum PaymentAttempts {
    Table,
    Id,
    OrganizationId,
    LinkId,
    Provider,
    ProviderRef,
    InstallmentCount,
    AmountMinor,
    ChargedMinor,
    Currency,
    Status,
    CreatedAt,
    CheckedAt,
    SettledAt,
}

#[derive(DeriveIden)]
enum InstallmentRateTables {
    Table,
    Id,
    OrganizationId,
    Provider,
    Payer,
    Rates,
    Offered,
    UpdatedBy,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Payments {
    Table,
    FeeMinor,
}

#[derive(DeriveIden)]
enum ProviderEvents {
    Table,
    ChargedMinor,
    Currency,
    TransactionId,
    InstallmentCount,
    AssignedBy,
    AssignedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PaymentAttempts::Table)
                    .if_not_exists()
                    .col(id(PaymentAttempts::Id))
                    .col(uuid(PaymentAttempts::OrganizationId))
                    .col(uuid(PaymentAttempts::LinkId))
                    .col(string(PaymentAttempts::Provider, 32))
                    .col(string_null(PaymentAttempts::ProviderRef, 200))
                    .col(integer(PaymentAttempts::InstallmentCount))
                    .col(minor(PaymentAttempts::AmountMinor))
                    .col(minor(PaymentAttempts::ChargedMinor))
                    .col(currency(PaymentAttempts::Currency))
                    .col(string(PaymentAttempts::Status, 16))
                    .col(timestamp(PaymentAttempts::CreatedAt))
                    .col(timestamp_null(PaymentAttempts::CheckedAt))
                    .col(timestamp_null(PaymentAttempts::SettledAt))
                    .foreign_key(&mut foreign_key(
                        PaymentAttempts::Table,
                        PaymentAttempts::OrganizationId,
                        Organizations::Table,
                        Organizations::Id,
                    ))
                    .foreign_key(&mut foreign_key(
                        PaymentAttempts::Table,
                        PaymentAttempts::LinkId,
                        PaymentLinks::Table,
                        PaymentLinks::Id,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                PaymentAttempts::Table,
                "organization_link",
                [PaymentAttempts::OrganizationId, PaymentAttempts::LinkId],
                false,
            ))
            .await?;
        // The reconciliation job's scan: open attempts, oldest first.
        manager
            .create_index(index(
                PaymentAttempts::Table,
                "status_created",
                [PaymentAttempts::Status, PaymentAttempts::CreatedAt],
                false,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(InstallmentRateTables::Table)
                    .if_not_exists()
                    .col(id(InstallmentRateTables::Id))
                    .col(uuid(InstallmentRateTables::OrganizationId))
                    .col(string(InstallmentRateTables::Provider, 32))
                    .col(string(InstallmentRateTables::Payer, 16))
                    .col(string(InstallmentRateTables::Rates, 500))
                    .col(boolean(InstallmentRateTables::Offered))
                    .col(uuid_null(InstallmentRateTables::UpdatedBy))
                    .col(timestamp(InstallmentRateTables::UpdatedAt))
                    .foreign_key(&mut foreign_key(
                        InstallmentRateTables::Table,
                        InstallmentRateTables::OrganizationId,
                        Organizations::Table,
                        Organizations::Id,
                    ))
                    .foreign_key(&mut foreign_key(
                        InstallmentRateTables::Table,
                        InstallmentRateTables::UpdatedBy,
                        Users::Table,
                        Users::Id,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                InstallmentRateTables::Table,
                "organization_provider",
                [
                    InstallmentRateTables::OrganizationId,
                    InstallmentRateTables::Provider,
                ],
                true,
            ))
            .await?;

        add_column(manager, Payments::Table, minor_null(Payments::FeeMinor)).await?;
        add_column(
            manager,
            ProviderEvents::Table,
            minor_null(ProviderEvents::ChargedMinor),
        )
        .await?;
        add_column(
            manager,
            ProviderEvents::Table,
            string_null(ProviderEvents::Currency, 3),
        )
        .await?;
        add_column(
            manager,
            ProviderEvents::Table,
            string_null(ProviderEvents::TransactionId, 200),
        )
        .await?;
        add_column(
            manager,
            ProviderEvents::Table,
            ColumnDef::new(ProviderEvents::InstallmentCount)
                .integer()
                .null()
                .take(),
        )
        .await?;
        add_column(
            manager,
            ProviderEvents::Table,
            uuid_null(ProviderEvents::AssignedBy),
        )
        .await?;
        add_column(
            manager,
            ProviderEvents::Table,
            timestamp_null(ProviderEvents::AssignedAt),
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let drops: [(DynIden, DynIden); 7] = [
            (
                ProviderEvents::Table.into_iden(),
                ProviderEvents::AssignedAt.into_iden(),
            ),
            (
                ProviderEvents::Table.into_iden(),
                ProviderEvents::AssignedBy.into_iden(),
            ),
            (
                ProviderEvents::Table.into_iden(),
                ProviderEvents::InstallmentCount.into_iden(),
            ),
            (
                ProviderEvents::Table.into_iden(),
                ProviderEvents::TransactionId.into_iden(),
            ),
            (
                ProviderEvents::Table.into_iden(),
                ProviderEvents::Currency.into_iden(),
            ),
            (
                ProviderEvents::Table.into_iden(),
                ProviderEvents::ChargedMinor.into_iden(),
            ),
            (Payments::Table.into_iden(), Payments::FeeMinor.into_iden()),
        ];
        for (table, column) in drops {
            manager
                .alter_table(Table::alter().table(table).drop_column(column).to_owned())
                .await?;
        }
        for table in [
            InstallmentRateTables::Table.into_iden(),
            PaymentAttempts::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
