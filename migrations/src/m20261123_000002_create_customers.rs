//! Customers (the companies that owe money) and their contacts.

use crate::columns::*;
use crate::m20261123_000001_create_tenancy::{Organizations, Users};
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261123_000002_create_customers"
    }
}

#[derive(DeriveIden)]
pub enum Customers {
    Table,
    Id,
    OrganizationId,
    ExternalRef,
    Name,
    TaxId,
    Email,
    Phone,
    Address,
    PaymentTermsDays,
    AssignedCollectorId,
    CreditLimitMinor,
    CreditLimitCurrency,
    Blocked,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Contacts {
    Table,
    Id,
    OrganizationId,
    CustomerId,
    Name,
    Role,
    Email,
    Phone,
    IsPrimary,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Customers::Table)
                    .if_not_exists()
                    .col(id(Customers::Id))
                    .col(uuid(Customers::OrganizationId))
                    .col(string_null(Customers::ExternalRef, 100))
                    .col(string(Customers::Name, 300))
                    .col(string_null(Customers::TaxId, 20))
                    .col(string_null(Customers::Email, 254))
                    .col(string_null(Customers::Phone, 40))
                    .col(text_null(Customers::Address))
                    .col(integer(Customers::PaymentTermsDays))
                    .col(uuid_null(Customers::AssignedCollectorId))
                    .col(minor_null(Customers::CreditLimitMinor))
                    .col(
                        ColumnDef::new(Customers::CreditLimitCurrency)
                            .char_len(3)
                            .null(),
                    )
                    .col(boolean(Customers::Blocked))
                    .col(timestamp(Customers::CreatedAt))
                    .col(timestamp(Customers::UpdatedAt))
                    .foreign_key(&mut foreign_key(
                        Customers::Table,
                        Customers::OrganizationId,
                        Organizations::Table,
                        Organizations::Id,
                    ))
                    .foreign_key(&mut foreign_key(
                        Customers::Table,
                        Customers::AssignedCollectorId,
                        Users::Table,
                        Users::Id,
                    ))
                    .take(),
            )
            .await?;
        // NULL external refs are distinct on both databases, so only set ones must be unique.
        manager
            .create_index(index(
                Customers::Table,
                "organization_external_ref",
                [Customers::OrganizationId, Customers::ExternalRef],
                true,
            ))
            .await?;
        // The customer list is ordered by name, then id (keyset pagination).
        manager
            .create_index(index(
                Customers::Table,
                "organization_name",
                [Customers::OrganizationId, Customers::Name, Customers::Id],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                Customers::Table,
                "organization_collector",
                [Customers::OrganizationId, Customers::AssignedCollectorId],
                false,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Contacts::Table)
                    .if_not_exists()
                    .col(id(Contacts::Id))
                    .col(uuid(Contacts::OrganizationId))
                    .col(uuid(Contacts::CustomerId))
                    .col(string(Contacts::Name, 200))
                    .col(string_null(Contacts::Role, 100))
                    .col(string_null(Contacts::Email, 254))
                    .col(string_null(Contacts::Phone, 40))
                    .col(boolean(Contacts::IsPrimary))
                    .col(timestamp(Contacts::CreatedAt))
                    .foreign_key(&mut foreign_key(
                        Contacts::Table,
                        Contacts::OrganizationId,
                        Organizations::Table,
                        Organizations::Id,
                    ))
                    .foreign_key(&mut foreign_key(
                        Contacts::Table,
                        Contacts::CustomerId,
                        Customers::Table,
                        Customers::Id,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                Contacts::Table,
                "customer",
                [Contacts::CustomerId],
                false,
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [Contacts::Table.into_iden(), Customers::Table.into_iden()] {
            manager
                .drop_table(Table::drop().table(table).if_exists().take())
                .await?;
        }
        Ok(())
    }
}
