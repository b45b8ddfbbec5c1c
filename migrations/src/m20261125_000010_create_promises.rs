//! Promises to pay: an amount a customer promised by a date, over some of their invoices; settled
//! KEPT or BROKEN by a job once the date (and a grace period) has passed.

use crate::columns::*;
use crate::m20261123_000001_create_tenancy::{Organizations, Users};
use crate::m20261123_000002_create_customers::Customers;
use crate::m20261123_000003_create_invoices_and_payments::Invoices;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261125_000010_create_promises"
    }
}

#[derive(DeriveIden)]
enum Promises {
    Table,
    Id,
    OrganizationId,
    CustomerId,
    AmountMinor,
    Currency,
    PromisedDate,
    Note,
    Status,
    CreatedBy,
    CreatedByLabel,
    CreatedAt,
    SettledAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PromiseInvoices {
    Table,
    Id,
    OrganizationId,
    PromiseId,
    InvoiceId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Promises::Table)
                    .if_not_exists()
                    .col(id(Promises::Id))
                    .col(uuid(Promises::OrganizationId))
                    .col(uuid(Promises::CustomerId))
                    .col(minor(Promises::AmountMinor))
                    .col(currency(Promises::Currency))
                    .col(date(Promises::PromisedDate))
                    .col(text_null(Promises::Note))
                    .col(string(Promises::Status, 16))
                    .col(uuid_null(Promises::CreatedBy))
                    .col(string(Promises::CreatedByLabel, 254))
                    .col(timestamp(Promises::CreatedAt))
                    .col(timestamp_null(Promises::SettledAt))
                    .col(timestamp(Promises::UpdatedAt))
                    .foreign_key(&mut foreign_key(
                        Promises::Table,
                        Promises::OrganizationId,
                        Organizations::Table,
                        Organizations::Id,
                    ))
                    .foreign_key(&mut foreign_key(
                        Promises::Table,
                        Promises::CustomerId,
                        Customers::Table,
                        Customers::Id,
                    ))
                    .foreign_key(&mut foreign_key(
                        Promises::Table,
                        Promises::CreatedBy,
                        Users::Table,
                        Users::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                Promises::Table,
                "status_date",
                [
                    Promises::OrganizationId,
                    Promises::Status,
                    Promises::PromisedDate,
                ],
                false,
            ))
            .await?;
        manager
            .create_index(index(Promises::Table, "open", [Promises::Status], false))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PromiseInvoices::Table)
                    .if_not_exists()
                    .col(id(PromiseInvoices::Id))
                    .col(uuid(PromiseInvoices::OrganizationId))
                    .col(uuid(PromiseInvoices::PromiseId))
                    .col(uuid(PromiseInvoices::InvoiceId))
                    .foreign_key(&mut foreign_key(
                        PromiseInvoices::Table,
                        PromiseInvoices::PromiseId,
                        Promises::Table,
                        Promises::Id,
                    ))
                    .foreign_key(&mut foreign_key(
                        PromiseInvoices::Table,
                        PromiseInvoices::InvoiceId,
                        Invoices::Table,
                        Invoices::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                PromiseInvoices::Table,
                "promise_invoice",
                [
                    PromiseInvoices::OrganizationId,
                    PromiseInvoices::PromiseId,
                    PromiseInvoices::InvoiceId,
                ],
                true,
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            PromiseInvoices::Table.into_iden(),
            Promises::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
