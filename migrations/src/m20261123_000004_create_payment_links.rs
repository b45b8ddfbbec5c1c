//! Payment links sent to customers, the invoices each covers, and the provider callbacks received.

use crate::columns::*;
use crate::m20261123_000001_create_tenancy::{Organizations, Users};
use crate::m20261123_000002_create_customers::Customers;
use crate::m20261123_000003_create_invoices_and_payments::{Invoices, Payments};
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261123_000004_create_payment_links"
    }
}

#[derive(DeriveIden)]
pub enum PaymentLinks {
    Table,
    Id,
    OrganizationId,
    Token,
    CustomerId,
    AmountMinor,
    Currency,
    Provider,
    ProviderLinkId,
    ProviderUrl,
    MaxInstallments,
    Status,
    ExpiresAt,
    PaidAt,
    PaymentId,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PaymentLinkInvoices {
    Table,
    Id,
    OrganizationId,
    LinkId,
    InvoiceId,
}

#[derive(DeriveIden)]
enum ProviderEvents {
    Table,
    Id,
    OrganizationId,
    Provider,
    EventKey,
    ReceivedAt,
    SignatureOk,
    Outcome,
    PaymentId,
    RawBody,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PaymentLinks::Table)
                    .if_not_exists()
                    .col(id(PaymentLinks::Id))
                    .col(uuid(PaymentLinks::OrganizationId))
                    .col(string(PaymentLinks::Token, 64))
                    .col(uuid(PaymentLinks::CustomerId))
                    .col(minor(PaymentLinks::AmountMinor))
                    .col(currency(PaymentLinks::Currency))
                    .col(string(PaymentLinks::Provider, 32))
                    .col(string_null(PaymentLinks::ProviderLinkId, 128))
                    .col(text_null(PaymentLinks::ProviderUrl))
                    .col(integer(PaymentLinks::MaxInstallments))
                    .col(string(PaymentLinks::Status, 16))
                    .col(timestamp(PaymentLinks::ExpiresAt))
                    .col(timestamp_null(PaymentLinks::PaidAt))
                    .col(uuid_null(PaymentLinks::PaymentId))
                    .col(uuid_null(PaymentLinks::CreatedBy))
                    .col(timestamp(PaymentLinks::CreatedAt))
                    .col(timestamp(PaymentLinks::UpdatedAt))
                    .foreign_key(&mut foreign_key(
                        PaymentLinks::Table,
                        PaymentLinks::OrganizationId,
                        Organizations::Table,
                        Organizations::Id,
                    ))
                    .foreign_key(&mut foreign_key(
                        PaymentLinks::Table,
                        PaymentLinks::CustomerId,
                        Customers::Table,
                        Customers::Id,
                    ))
                    .foreign_key(&mut foreign_key(
                        PaymentLinks::Table,
                        PaymentLinks::PaymentId,
                        Payments::Table,
                        Payments::Id,
                    ))
                    .foreign_key(&mut foreign_key(
                        PaymentLinks::Table,
                        PaymentLinks::CreatedBy,
                        Users::Table,
                        Users::Id,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                PaymentLinks::Table,
                "organization_token",
                [PaymentLinks::OrganizationId, PaymentLinks::Token],
                true,
            ))
            .await?;
        // The customer's browser brings only the token; 128+ random bits keep it unique in practice.
        manager
            .create_index(index(
                PaymentLinks::Table,
                "token",
                [PaymentLinks::Token],
                false,
            ))
            .await?;
        // Callbacks name the provider's link id.
        manager
            .create_index(index(
                PaymentLinks::Table,
                "provider_link",
                [PaymentLinks::Provider, PaymentLinks::ProviderLinkId],
                false,
            ))
            .await?;
        // The expiry job looks for ACTIVE links past their time.
        manager
            .create_index(index(
                PaymentLinks::Table,
                "status_expires",
                [PaymentLinks::Status, PaymentLinks::ExpiresAt],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                PaymentLinks::Table,
                "organization_customer",
                [PaymentLinks::OrganizationId, PaymentLinks::CustomerId],
                false,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PaymentLinkInvoices::Table)
                    .if_not_exists()
                    .col(id(PaymentLinkInvoices::Id))
                    .col(uuid(PaymentLinkInvoices::OrganizationId))
                    .col(uuid(PaymentLinkInvoices::LinkId))
                    .col(uuid(PaymentLinkInvoices::InvoiceId))
                    .foreign_key(&mut foreign_key(
                        PaymentLinkInvoices::Table,
                        PaymentLinkInvoices::OrganizationId,
                        Organizations::Table,
                        Organizations::Id,
                    ))
                    .foreign_key(&mut foreign_key(
                        PaymentLinkInvoices::Table,
                        PaymentLinkInvoices::LinkId,
                        PaymentLinks::Table,
                        PaymentLinks::Id,
                    ))
                    .foreign_key(&mut foreign_key(
                        PaymentLinkInvoices::Table,
                        PaymentLinkInvoices::InvoiceId,
                        Invoices::Table,
                        Invoices::Id,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                PaymentLinkInvoices::Table,
                "organization_link_invoice",
                [
                    PaymentLinkInvoices::OrganizationId,
                    PaymentLinkInvoices::LinkId,
                    PaymentLinkInvoices::InvoiceId,
                ],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                PaymentLinkInvoices::Table,
                "invoice",
                [PaymentLinkInvoices::InvoiceId],
                false,
            ))
            .await?;

        // A callback with a bad signature cannot be trusted to name its tenant, so
        // organization_id is NULL for those, and their event_key too: a forged event must never
        // make the genuine one with the same key look like a repeat.
        manager
            .create_table(
                Table::create()
                    .table(ProviderEvents::Table)
                    .if_not_exists()
                    .col(id(ProviderEvents::Id))
                    .col(uuid_null(ProviderEvents::OrganizationId))
                    .col(string(ProviderEvents::Provider, 32))
                    .col(string_null(ProviderEvents::EventKey, 200))
                    .col(timestamp(ProviderEvents::ReceivedAt))
                    .col(boolean(ProviderEvents::SignatureOk))
                    .col(string(ProviderEvents::Outcome, 32))
                    .col(uuid_null(ProviderEvents::PaymentId))
                    .col(ColumnDef::new(ProviderEvents::RawBody).text().not_null())
                    .foreign_key(&mut foreign_key(
                        ProviderEvents::Table,
                        ProviderEvents::OrganizationId,
                        Organizations::Table,
                        Organizations::Id,
                    ))
                    .foreign_key(&mut foreign_key(
                        ProviderEvents::Table,
                        ProviderEvents::PaymentId,
                        Payments::Table,
                        Payments::Id,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                ProviderEvents::Table,
                "organization_provider_event",
                [
                    ProviderEvents::OrganizationId,
                    ProviderEvents::Provider,
                    ProviderEvents::EventKey,
                ],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                ProviderEvents::Table,
                "provider_event",
                [ProviderEvents::Provider, ProviderEvents::EventKey],
                false,
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ProviderEvents::Table.into_iden(),
            PaymentLinkInvoices::Table.into_iden(),
            PaymentLinks::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().take())
                .await?;
        }
        Ok(())
    }
}
