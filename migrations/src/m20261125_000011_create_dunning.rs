//! Dunning: message templates, reminder policies (their steps kept as JSON on the policy), the
//! record of what was sent per invoice and step (its unique key makes each reminder go once),
//! per-customer policy and pause, and the context an outbox row needs to report a failed reminder.

use crate::columns::*;
use crate::m20261123_000001_create_tenancy::Organizations;
use crate::m20261123_000003_create_invoices_and_payments::Invoices;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261125_000011_create_dunning"
    }
}

#[derive(DeriveIden)]
enum MessageTemplates {
    Table,
    Id,
    OrganizationId,
    Name,
    Channel,
    Language,
    Subject,
    Body,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ReminderPolicies {
    Table,
    Id,
    OrganizationId,
    Name,
    IsDefault,
    MaxInstallments,
    Steps,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ReminderSends {
    Table,
    Id,
    OrganizationId,
    InvoiceId,
    CustomerId,
    PolicyId,
    OffsetDays,
    Outcome,
    Channel,
    PlannedOn,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CustomerDunning {
    #[sea_orm(iden = "customers")]
    Table,
    ReminderPolicyId,
    RemindersOff,
    DunningPausedUntil,
    DunningPauseReason,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Phone,
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Context,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MessageTemplates::Table)
                    .if_not_exists()
                    .col(id(MessageTemplates::Id))
                    .col(uuid(MessageTemplates::OrganizationId))
                    .col(string(MessageTemplates::Name, 200))
                    .col(string(MessageTemplates::Channel, 16))
                    .col(string(MessageTemplates::Language, 2))
                    .col(string_null(MessageTemplates::Subject, 300))
                    .col(ColumnDef::new(MessageTemplates::Body).text().not_null())
                    .col(timestamp(MessageTemplates::CreatedAt))
                    .col(timestamp(MessageTemplates::UpdatedAt))
                    .foreign_key(&mut foreign_key(
                        MessageTemplates::Table,
                        MessageTemplates::OrganizationId,
                        Organizations::Table,
                        Organizations::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                MessageTemplates::Table,
                "name",
                [
                    MessageTemplates::OrganizationId,
                    MessageTemplates::Name,
                    MessageTemplates::Channel,
                    MessageTemplates::Language,
                ],
                true,
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ReminderPolicies::Table)
                    .if_not_exists()
                    .col(id(ReminderPolicies::Id))
                    .col(uuid(ReminderPolicies::OrganizationId))
                    .col(string(ReminderPolicies::Name, 200))
                    .col(boolean(ReminderPolicies::IsDefault))
                    .col(integer(ReminderPolicies::MaxInstallments))
                    .col(json(ReminderPolicies::Steps))
                    .col(timestamp(ReminderPolicies::CreatedAt))
                    .col(timestamp(ReminderPolicies::UpdatedAt))
                    .foreign_key(&mut foreign_key(
                        ReminderPolicies::Table,
                        ReminderPolicies::OrganizationId,
                        Organizations::Table,
                        Organizations::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                ReminderPolicies::Table,
                "org",
                [ReminderPolicies::OrganizationId],
                false,
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ReminderSends::Table)
                    .if_not_exists()
                    .col(id(ReminderSends::Id))
                    .col(uuid(ReminderSends::OrganizationId))
                    .col(uuid(ReminderSends::InvoiceId))
                    .col(uuid(ReminderSends::CustomerId))
                    .col(uuid(ReminderSends::PolicyId))
                    .col(integer(ReminderSends::OffsetDays))
                    .col(string(ReminderSends::Outcome, 16))
                    .col(string(ReminderSends::Channel, 16))
                    .col(date(ReminderSends::PlannedOn))
                    .col(timestamp(ReminderSends::CreatedAt))
                    .foreign_key(&mut foreign_key(
                        ReminderSends::Table,
                        ReminderSends::InvoiceId,
                        Invoices::Table,
                        Invoices::Id,
                    ))
                    .foreign_key(&mut foreign_key(
                        ReminderSends::Table,
                        ReminderSends::PolicyId,
                        ReminderPolicies::Table,
                        ReminderPolicies::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        // The exactly-once key: a second writer of the same step for the same invoice fails here.
        manager
            .create_index(index(
                ReminderSends::Table,
                "step",
                [
                    ReminderSends::OrganizationId,
                    ReminderSends::InvoiceId,
                    ReminderSends::PolicyId,
                    ReminderSends::OffsetDays,
                ],
                true,
            ))
            .await?;
        // The scheduler reads what was sent by customer, a page of customers at a time.
        manager
            .create_index(index(
                ReminderSends::Table,
                "customer",
                [ReminderSends::OrganizationId, ReminderSends::CustomerId],
                false,
            ))
            .await?;
        for column in [
            uuid_null(CustomerDunning::ReminderPolicyId),
            boolean_null(CustomerDunning::RemindersOff),
            date_null(CustomerDunning::DunningPausedUntil),
            text_null(CustomerDunning::DunningPauseReason),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(CustomerDunning::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        // The collector's phone, for the `collector_phone` template variable.
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(string_null(Users::Phone, 20))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Outbox::Table)
                    .add_column(json_null(Outbox::Context))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .drop_column(Users::Phone)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Outbox::Table)
                    .drop_column(Outbox::Context)
                    .to_owned(),
            )
            .await?;
        for column in [
            CustomerDunning::ReminderPolicyId,
            CustomerDunning::RemindersOff,
            CustomerDunning::DunningPausedUntil,
            CustomerDunning::DunningPauseReason,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(CustomerDunning::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        for table in [
            ReminderSends::Table.into_iden(),
            ReminderPolicies::Table.into_iden(),
            MessageTemplates::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
