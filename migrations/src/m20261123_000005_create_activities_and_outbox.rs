//! The append-only activity log (the company's memory of each customer) and the outbox of work
//! (mail, webhooks) written in the same transaction as the change that causes it.

use crate::columns::*;
use crate::m20261123_000001_create_tenancy::{Organizations, Users};
use crate::m20261123_000002_create_customers::Customers;
use crate::m20261123_000003_create_invoices_and_payments::Invoices;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261123_000005_create_activities_and_outbox"
    }
}

#[derive(DeriveIden)]
enum Activities {
    Table,
    Id,
    OrganizationId,
    CustomerId,
    InvoiceId,
    ActorUserId,
    ActorLabel,
    Kind,
    Note,
    Data,
    OccurredAt,
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Id,
    OrganizationId,
    Kind,
    Payload,
    Status,
    Attempts,
    NextAttemptAt,
    LastError,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Activities::Table)
                    .if_not_exists()
                    .col(id(Activities::Id))
                    .col(uuid(Activities::OrganizationId))
                    .col(uuid(Activities::CustomerId))
                    .col(uuid_null(Activities::InvoiceId))
                    .col(uuid_null(Activities::ActorUserId))
                    .col(string(Activities::ActorLabel, 254))
                    .col(string(Activities::Kind, 32))
                    .col(text_null(Activities::Note))
                    .col(json(Activities::Data))
                    .col(timestamp(Activities::OccurredAt))
                    .foreign_key(&mut foreign_key(
                        Activities::Table,
                        Activities::OrganizationId,
                        Organizations::Table,
                        Organizations::Id,
                    ))
                    .foreign_key(&mut foreign_key(
                        Activities::Table,
                        Activities::CustomerId,
                        Customers::Table,
                        Customers::Id,
                    ))
                    .foreign_key(&mut foreign_key(
                        Activities::Table,
                        Activities::InvoiceId,
                        Invoices::Table,
                        Invoices::Id,
                    ))
                    .foreign_key(&mut foreign_key(
                        Activities::Table,
                        Activities::ActorUserId,
                        Users::Table,
                        Users::Id,
                    ))
                    .take(),
            )
            .await?;
        // Newest first, per customer and across the organization.
        manager
            .create_index(index(
                Activities::Table,
                "organization_customer_time",
                [
                    Activities::OrganizationId,
                    Activities::CustomerId,
                    Activities::OccurredAt,
                    Activities::Id,
                ],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                Activities::Table,
                "organization_time",
                [
                    Activities::OrganizationId,
                    Activities::OccurredAt,
                    Activities::Id,
                ],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                Activities::Table,
                "invoice",
                [Activities::InvoiceId],
                false,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Outbox::Table)
                    .if_not_exists()
                    .col(id(Outbox::Id))
                    .col(uuid_null(Outbox::OrganizationId))
                    .col(string(Outbox::Kind, 16))
                    .col(json(Outbox::Payload))
                    .col(string(Outbox::Status, 16))
                    .col(integer(Outbox::Attempts))
                    .col(timestamp(Outbox::NextAttemptAt))
                    .col(text_null(Outbox::LastError))
                    .col(timestamp(Outbox::CreatedAt))
                    .col(timestamp(Outbox::UpdatedAt))
                    .foreign_key(&mut foreign_key(
                        Outbox::Table,
                        Outbox::OrganizationId,
                        Organizations::Table,
                        Organizations::Id,
                    ))
                    .take(),
            )
            .await?;
        // The worker claims due rows in order.
        manager
            .create_index(index(
                Outbox::Table,
                "status_next_attempt",
                [Outbox::Status, Outbox::NextAttemptAt],
                false,
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [Outbox::Table.into_iden(), Activities::Table.into_iden()] {
            manager
                .drop_table(Table::drop().table(table).if_exists().take())
                .await?;
        }
        Ok(())
    }
}
