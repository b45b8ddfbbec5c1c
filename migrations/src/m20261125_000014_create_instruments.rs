//! The cheque and promissory-note portfolio (çek/senet portföyü): each instrument taken in
//! payment, and every move it made (endorsed, deposited, cleared, bounced, returned).

use crate::columns::*;
use crate::m20261123_000001_create_tenancy::Organizations;
use crate::m20261123_000002_create_customers::Customers;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261125_000014_create_instruments"
    }
}

#[derive(DeriveIden)]
enum Instruments {
    Table,
    Id,
    OrganizationId,
    CustomerId,
    PaymentId,
    Kind,
    Number,
    Bank,
    Branch,
    AccountNo,
    Drawer,
    IssueDate,
    MaturityDate,
    AmountMinor,
    Currency,
    Status,
    Holder,
    FollowedUpAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum InstrumentEvents {
    Table,
    Id,
    OrganizationId,
    InstrumentId,
    Status,
    OnDate,
    Note,
    ActorLabel,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Instruments::Table)
                    .if_not_exists()
                    .col(id(Instruments::Id))
                    .col(uuid(Instruments::OrganizationId))
                    .col(uuid(Instruments::CustomerId))
                    .col(uuid(Instruments::PaymentId))
                    .col(string(Instruments::Kind, 16))
                    .col(string(Instruments::Number, 64))
                    .col(string_null(Instruments::Bank, 200))
                    .col(string_null(Instruments::Branch, 200))
                    .col(string_null(Instruments::AccountNo, 64))
                    .col(string(Instruments::Drawer, 200))
                    .col(date(Instruments::IssueDate))
                    .col(date(Instruments::MaturityDate))
                    .col(minor(Instruments::AmountMinor))
                    .col(currency(Instruments::Currency))
                    .col(string(Instruments::Status, 16))
                    .col(string_null(Instruments::Holder, 200))
                    .col(timestamp_null(Instruments::FollowedUpAt))
                    .col(timestamp(Instruments::CreatedAt))
                    .col(timestamp(Instruments::UpdatedAt))
                    .foreign_key(&mut foreign_key(
                        Instruments::Table,
                        Instruments::OrganizationId,
                        Organizations::Table,
                        Organizations::Id,
                    ))
                    .foreign_key(&mut foreign_key(
                        Instruments::Table,
                        Instruments::CustomerId,
                        Customers::Table,
                        Customers::Id,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(InstrumentEvents::Table)
                    .if_not_exists()
                    .col(id(InstrumentEvents::Id))
                    .col(uuid(InstrumentEvents::OrganizationId))
                    .col(uuid(InstrumentEvents::InstrumentId))
                    .col(string(InstrumentEvents::Status, 16))
                    .col(date(InstrumentEvents::OnDate))
                    .col(text_null(InstrumentEvents::Note))
                    .col(string(InstrumentEvents::ActorLabel, 320))
                    .col(timestamp(InstrumentEvents::CreatedAt))
                    .foreign_key(&mut foreign_key(
                        InstrumentEvents::Table,
                        InstrumentEvents::InstrumentId,
                        Instruments::Table,
                        Instruments::Id,
                    ))
                    .take(),
            )
            .await?;
        for statement in [
            // The portfolio's maturity calendar.
            index(
                Instruments::Table,
                "organization_maturity",
                [
                    Instruments::OrganizationId,
                    Instruments::MaturityDate,
                    Instruments::Id,
                ],
                false,
            ),
            index(
                Instruments::Table,
                "organization_customer",
                [Instruments::OrganizationId, Instruments::CustomerId],
                false,
            ),
            index(
                InstrumentEvents::Table,
                "organization_instrument",
                [
                    InstrumentEvents::OrganizationId,
                    InstrumentEvents::InstrumentId,
                ],
                false,
            ),
        ] {
            manager.create_index(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            InstrumentEvents::Table.into_iden(),
            Instruments::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
