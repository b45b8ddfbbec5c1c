//! Invoices, payments, and the allocations that apply a payment to invoices.

use crate::columns::*;
use crate::m20261123_000001_create_tenancy::{Organizations, Users};
use crate::m20261123_000002_create_customers::Customers;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261123_000003_create_invoices_and_payments"
    }
}

#[derive(DeriveIden)]
pub enum Invoices {
    Table,
    Id,
    OrganizationId,
    CustomerId,
    Number,
    ExternalRef,
    IssueDate,
    DueDate,
    Currency,
    TotalMinor,
    PaidMinor,
    Status,
    Disputed,
    Description,
    VoidReason,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub enum Payments {
    Table,
    Id,
    OrganizationId,
    CustomerId,
    AmountMinor,
    ChargedMinor,
    Currency,
    Method,
    ReceivedAt,
    Reference,
    Provider,
    ProviderTransactionId,
    InstallmentCount,
    NeedsReview,
    ReviewReason,
    RecordedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum PaymentAllocations {
    Table,
    Id,
    OrganizationId,
    PaymentId,
    InvoiceId,
    AmountMinor,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Invoices::Table)
                    .if_not_exists()
                    .col(id(Invoices::Id))
                    .col(uuid(Invoices::OrganizationId))
                    .col(uuid(Invoices::CustomerId))
                    .col(string(Invoices::Number, 64))
                    .col(string_null(Invoices::ExternalRef, 100))
                    .col(date(Invoices::IssueDate))
                    .col(date(Invoices::DueDate))
                    .col(currency(Invoices::Currency))
                    .col(minor(Invoices::TotalMinor))
                    .col(minor(Invoices::PaidMinor))
                    .col(string(Invoices::Status, 16))
                    .col(boolean(Invoices::Disputed))
                    .col(text_null(Invoices::Description))
                    .col(text_null(Invoices::VoidReason))
                    .col(timestamp(Invoices::CreatedAt))
                    .col(timestamp(Invoices::UpdatedAt))
                    .foreign_key(&mut foreign_key(
                        Invoices::Table,
                        Invoices::OrganizationId,
                        Organizations::Table,
                        Organizations::Id,
                    ))
                    .foreign_key(&mut foreign_key(
                        Invoices::Table,
                        Invoices::CustomerId,
                        Customers::Table,
                        Customers::Id,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                Invoices::Table,
                "organization_number",
                [Invoices::OrganizationId, Invoices::Number],
                true,
            ))
            .await?;
        // A customer's invoices, oldest due first (allocation order and the customer page).
        manager
            .create_index(index(
                Invoices::Table,
                "organization_customer_due",
                [
                    Invoices::OrganizationId,
                    Invoices::CustomerId,
                    Invoices::DueDate,
                ],
                false,
            ))
            .await?;
        // The invoice list: ordered by due date then id, usually narrowed by status.
        manager
            .create_index(index(
                Invoices::Table,
                "organization_due",
                [Invoices::OrganizationId, Invoices::DueDate, Invoices::Id],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                Invoices::Table,
                "organization_status_due",
                [
                    Invoices::OrganizationId,
                    Invoices::Status,
                    Invoices::DueDate,
                    Invoices::Id,
                ],
                false,
            ))
            .await?;

        // The collector's work list and every balance read only unpaid invoices, by due date.
        // A partial index keeps that slice small however many paid invoices pile up; the same
        // statement works on both engines (the query builder has no partial indexes).
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX IF NOT EXISTS ix_invoices_unpaid_due ON invoices (organization_id, due_date, id) \
                 WHERE status IN ('OPEN', 'PARTIALLY_PAID')",
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Payments::Table)
                    .if_not_exists()
                    .col(id(Payments::Id))
                    .col(uuid(Payments::OrganizationId))
                    .col(uuid(Payments::CustomerId))
                    .col(minor(Payments::AmountMinor))
                    .col(minor(Payments::ChargedMinor))
                    .col(currency(Payments::Currency))
                    .col(string(Payments::Method, 20))
                    .col(timestamp(Payments::ReceivedAt))
                    .col(string_null(Payments::Reference, 200))
                    .col(string_null(Payments::Provider, 32))
                    .col(string_null(Payments::ProviderTransactionId, 128))
                    .col(integer(Payments::InstallmentCount))
                    .col(boolean(Payments::NeedsReview))
                    .col(text_null(Payments::ReviewReason))
                    .col(uuid_null(Payments::RecordedBy))
                    .col(timestamp(Payments::CreatedAt))
                    .foreign_key(&mut foreign_key(
                        Payments::Table,
                        Payments::OrganizationId,
                        Organizations::Table,
                        Organizations::Id,
                    ))
                    .foreign_key(&mut foreign_key(
                        Payments::Table,
                        Payments::CustomerId,
                        Customers::Table,
                        Customers::Id,
                    ))
                    .foreign_key(&mut foreign_key(
                        Payments::Table,
                        Payments::RecordedBy,
                        Users::Table,
                        Users::Id,
                    ))
                    .take(),
            )
            .await?;
        // The guard against counting one bank transaction twice. Manual payments leave both
        // provider columns NULL, and NULLs never collide.
        manager
            .create_index(index(
                Payments::Table,
                "organization_provider_transaction",
                [
                    Payments::OrganizationId,
                    Payments::Provider,
                    Payments::ProviderTransactionId,
                ],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                Payments::Table,
                "organization_customer_received",
                [
                    Payments::OrganizationId,
                    Payments::CustomerId,
                    Payments::ReceivedAt,
                ],
                false,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PaymentAllocations::Table)
                    .if_not_exists()
                    .col(id(PaymentAllocations::Id))
                    .col(uuid(PaymentAllocations::OrganizationId))
                    .col(uuid(PaymentAllocations::PaymentId))
                    .col(uuid(PaymentAllocations::InvoiceId))
                    .col(minor(PaymentAllocations::AmountMinor))
                    .col(timestamp(PaymentAllocations::CreatedAt))
                    .foreign_key(&mut foreign_key(
                        PaymentAllocations::Table,
                        PaymentAllocations::OrganizationId,
                        Organizations::Table,
                        Organizations::Id,
                    ))
                    .foreign_key(&mut foreign_key(
                        PaymentAllocations::Table,
                        PaymentAllocations::PaymentId,
                        Payments::Table,
                        Payments::Id,
                    ))
                    .foreign_key(&mut foreign_key(
                        PaymentAllocations::Table,
                        PaymentAllocations::InvoiceId,
                        Invoices::Table,
                        Invoices::Id,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                PaymentAllocations::Table,
                "organization_payment_invoice",
                [
                    PaymentAllocations::OrganizationId,
                    PaymentAllocations::PaymentId,
                    PaymentAllocations::InvoiceId,
                ],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                PaymentAllocations::Table,
                "invoice",
                [PaymentAllocations::InvoiceId],
                false,
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            PaymentAllocations::Table.into_iden(),
            Payments::Table.into_iden(),
            Invoices::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().take())
                .await?;
        }
        Ok(())
    }
}
