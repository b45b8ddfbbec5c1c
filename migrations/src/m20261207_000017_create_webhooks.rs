//! Outbound webhooks (Standard Webhooks): the endpoints an organization registers, the events
//! its changes produce, and one delivery per event and endpoint — the webhook outbox, written in
//! the transaction of the change and worked off by the delivery worker.

use crate::columns::*;
use crate::m20261123_000001_create_tenancy::{Organizations, Users};
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000017_create_webhooks"
    }
}

#[derive(DeriveIden)]
enum WebhookEndpoints {
    Table,
    Id,
    OrganizationId,
    Url,
    Description,
    EventTypes,
    Enabled,
    Secret,
    PreviousSecret,
    PreviousSecretUntil,
    FailingSince,
    DisabledAt,
    DisabledReason,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum WebhookEvents {
    Table,
    Id,
    OrganizationId,
    EventType,
    Body,
    CreatedAt,
}

#[derive(DeriveIden)]
enum WebhookDeliveries {
    Table,
    Id,
    OrganizationId,
    EndpointId,
    EventId,
    EventType,
    Status,
    Attempts,
    NextAttemptAt,
    LastAttemptAt,
    ResponseStatus,
    ResponseBody,
    LastError,
    DeliveredAt,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(WebhookEndpoints::Table)
                    .if_not_exists()
                    .col(id(WebhookEndpoints::Id))
                    .col(uuid(WebhookEndpoints::OrganizationId))
                    .col(string(WebhookEndpoints::Url, 2048))
                    .col(text_null(WebhookEndpoints::Description))
                    .col(json(WebhookEndpoints::EventTypes))
                    .col(boolean(WebhookEndpoints::Enabled))
                    .col(string(WebhookEndpoints::Secret, 64))
                    .col(string_null(WebhookEndpoints::PreviousSecret, 64))
                    .col(timestamp_null(WebhookEndpoints::PreviousSecretUntil))
                    .col(timestamp_null(WebhookEndpoints::FailingSince))
                    .col(timestamp_null(WebhookEndpoints::DisabledAt))
                    .col(string_null(WebhookEndpoints::DisabledReason, 500))
                    .col(uuid_null(WebhookEndpoints::CreatedBy))
                    .col(timestamp(WebhookEndpoints::CreatedAt))
                    .col(timestamp(WebhookEndpoints::UpdatedAt))
                    .foreign_key(&mut foreign_key(
                        WebhookEndpoints::Table,
                        WebhookEndpoints::OrganizationId,
                        Organizations::Table,
                        Organizations::Id,
                    ))
                    .foreign_key(&mut foreign_key(
                        WebhookEndpoints::Table,
                        WebhookEndpoints::CreatedBy,
                        Users::Table,
                        Users::Id,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                WebhookEndpoints::Table,
                "organization_created",
                [
                    WebhookEndpoints::OrganizationId,
                    WebhookEndpoints::CreatedAt,
                    WebhookEndpoints::Id,
                ],
                false,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(WebhookEvents::Table)
                    .if_not_exists()
                    .col(id(WebhookEvents::Id))
                    .col(uuid(WebhookEvents::OrganizationId))
                    .col(string(WebhookEvents::EventType, 64))
                    // The exact bytes sent, so every retry signs and sends the same body.
                    .col(ColumnDef::new(WebhookEvents::Body).text().not_null())
                    .col(timestamp(WebhookEvents::CreatedAt))
                    .foreign_key(&mut foreign_key(
                        WebhookEvents::Table,
                        WebhookEvents::OrganizationId,
                        Organizations::Table,
                        Organizations::Id,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                WebhookEvents::Table,
                "organization_created",
                [WebhookEvents::OrganizationId, WebhookEvents::CreatedAt],
                false,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(WebhookDeliveries::Table)
                    .if_not_exists()
                    .col(id(WebhookDeliveries::Id))
                    .col(uuid(WebhookDeliveries::OrganizationId))
                    .col(uuid(WebhookDeliveries::EndpointId))
                    .col(uuid(WebhookDeliveries::EventId))
                    .col(string(WebhookDeliveries::EventType, 64))
                    .col(string(WebhookDeliveries::Status, 16))
                    .col(integer(WebhookDeliveries::Attempts))
                    .col(timestamp(WebhookDeliveries::NextAttemptAt))
                    .col(timestamp_null(WebhookDeliveries::LastAttemptAt))
                    .col(
                        ColumnDef::new(WebhookDeliveries::ResponseStatus)
                            .integer()
                            .null(),
                    )
                    .col(text_null(WebhookDeliveries::ResponseBody))
                    .col(text_null(WebhookDeliveries::LastError))
                    .col(timestamp_null(WebhookDeliveries::DeliveredAt))
                    .col(timestamp(WebhookDeliveries::CreatedAt))
                    .foreign_key(&mut foreign_key(
                        WebhookDeliveries::Table,
                        WebhookDeliveries::OrganizationId,
                        Organizations::Table,
                        Organizations::Id,
                    ))
                    .foreign_key(&mut foreign_key(
                        WebhookDeliveries::Table,
                        WebhookDeliveries::EndpointId,
                        WebhookEndpoints::Table,
                        WebhookEndpoints::Id,
                    ))
                    .foreign_key(&mut foreign_key(
                        WebhookDeliveries::Table,
                        WebhookDeliveries::EventId,
                        WebhookEvents::Table,
                        WebhookEvents::Id,
                    ))
                    .take(),
            )
            .await?;
        // The worker's claim: due rows in order of their next try.
        manager
            .create_index(index(
                WebhookDeliveries::Table,
                "status_next_attempt",
                [WebhookDeliveries::Status, WebhookDeliveries::NextAttemptAt],
                false,
            ))
            .await?;
        // An endpoint's delivery log, newest first.
        manager
            .create_index(index(
                WebhookDeliveries::Table,
                "organization_endpoint_created",
                [
                    WebhookDeliveries::OrganizationId,
                    WebhookDeliveries::EndpointId,
                    WebhookDeliveries::CreatedAt,
                    WebhookDeliveries::Id,
                ],
                false,
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            WebhookDeliveries::Table.into_iden(),
            WebhookEvents::Table.into_iden(),
            WebhookEndpoints::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
