//! Disputes: a customer's objection to an invoice, open until a person resolves it. An open
//! dispute marks the invoice disputed (and, with dunning, keeps reminders off it).

use crate::columns::*;
use crate::m20261123_000001_create_tenancy::{Organizations, Users};
use crate::m20261123_000002_create_customers::Customers;
use crate::m20261123_000003_create_invoices_and_payments::Invoices;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261125_000007_create_disputes"
    }
}

#[derive(DeriveIden)]
enum Disputes {
    Table,
    Id,
    OrganizationId,
    InvoiceId,
    CustomerId,
    Reason,
    Note,
    Status,
    Outcome,
    ResolutionNote,
    OpenedBy,
    OpenedByLabel,
    OpenedAt,
    ResolvedBy,
    ResolvedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Disputes::Table)
                    .if_not_exists()
                    .col(id(Disputes::Id))
                    .col(uuid(Disputes::OrganizationId))
                    .col(uuid(Disputes::InvoiceId))
                    .col(uuid(Disputes::CustomerId))
                    .col(string(Disputes::Reason, 16))
                    .col(text_null(Disputes::Note))
                    .col(string(Disputes::Status, 16))
                    .col(string_null(Disputes::Outcome, 16))
                    .col(text_null(Disputes::ResolutionNote))
                    .col(uuid_null(Disputes::OpenedBy))
                    .col(string(Disputes::OpenedByLabel, 254))
                    .col(timestamp(Disputes::OpenedAt))
                    .col(uuid_null(Disputes::ResolvedBy))
                    .col(timestamp_null(Disputes::ResolvedAt))
                    .foreign_key(&mut foreign_key(
                        Disputes::Table,
                        Disputes::OrganizationId,
                        Organizations::Table,
                        Organizations::Id,
                    ))
                    .foreign_key(&mut foreign_key(
                        Disputes::Table,
                        Disputes::InvoiceId,
                        Invoices::Table,
                        Invoices::Id,
                    ))
                    .foreign_key(&mut foreign_key(
                        Disputes::Table,
                        Disputes::CustomerId,
                        Customers::Table,
                        Customers::Id,
                    ))
                    .foreign_key(&mut foreign_key(
                        Disputes::Table,
                        Disputes::OpenedBy,
                        Users::Table,
                        Users::Id,
                    ))
                    .foreign_key(&mut foreign_key(
                        Disputes::Table,
                        Disputes::ResolvedBy,
                        Users::Table,
                        Users::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                Disputes::Table,
                "invoice",
                [Disputes::OrganizationId, Disputes::InvoiceId],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                Disputes::Table,
                "opened",
                [Disputes::OrganizationId, Disputes::OpenedAt, Disputes::Id],
                false,
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Disputes::Table).to_owned())
            .await
    }
}
