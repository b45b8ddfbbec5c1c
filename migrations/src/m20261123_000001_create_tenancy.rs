//! Organizations (tenants), their users and the users' API tokens.

use crate::columns::*;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261123_000001_create_tenancy"
    }
}

#[derive(DeriveIden)]
pub enum Organizations {
    Table,
    Id,
    Name,
    DefaultCurrency,
    Settings,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub enum Users {
    Table,
    Id,
    OrganizationId,
    Email,
    Name,
    Role,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    Id,
    OrganizationId,
    UserId,
    TokenHash,
    Prefix,
    LastUsedAt,
    RevokedAt,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Organizations::Table)
                    .if_not_exists()
                    .col(id(Organizations::Id))
                    .col(string(Organizations::Name, 200))
                    .col(currency(Organizations::DefaultCurrency))
                    .col(json(Organizations::Settings))
                    .col(timestamp(Organizations::CreatedAt))
                    .col(timestamp(Organizations::UpdatedAt))
                    .take(),
            )
            .await?;
        // Organizations are the tenants themselves; their names are how the CLI finds one.
        manager
            .create_index(index(
                Organizations::Table,
                "name",
                [Organizations::Name],
                true,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .if_not_exists()
                    .col(id(Users::Id))
                    .col(uuid(Users::OrganizationId))
                    .col(string(Users::Email, 254))
                    .col(string(Users::Name, 200))
                    .col(string(Users::Role, 16))
                    .col(timestamp(Users::CreatedAt))
                    .col(timestamp(Users::UpdatedAt))
                    .foreign_key(&mut foreign_key(
                        Users::Table,
                        Users::OrganizationId,
                        Organizations::Table,
                        Organizations::Id,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                Users::Table,
                "organization_email",
                [Users::OrganizationId, Users::Email],
                true,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ApiTokens::Table)
                    .if_not_exists()
                    .col(id(ApiTokens::Id))
                    .col(uuid(ApiTokens::OrganizationId))
                    .col(uuid(ApiTokens::UserId))
                    .col(string(ApiTokens::TokenHash, 64))
                    .col(string(ApiTokens::Prefix, 16))
                    .col(timestamp_null(ApiTokens::LastUsedAt))
                    .col(timestamp_null(ApiTokens::RevokedAt))
                    .col(timestamp(ApiTokens::CreatedAt))
                    .foreign_key(&mut foreign_key(
                        ApiTokens::Table,
                        ApiTokens::OrganizationId,
                        Organizations::Table,
                        Organizations::Id,
                    ))
                    .foreign_key(&mut foreign_key(
                        ApiTokens::Table,
                        ApiTokens::UserId,
                        Users::Table,
                        Users::Id,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                ApiTokens::Table,
                "organization_token_hash",
                [ApiTokens::OrganizationId, ApiTokens::TokenHash],
                true,
            ))
            .await?;
        // A request names no organization before it is authenticated, so tokens are found by
        // hash alone; 256 random bits make a collision across tenants impossible in practice.
        manager
            .create_index(index(
                ApiTokens::Table,
                "token_hash",
                [ApiTokens::TokenHash],
                false,
            ))
            .await?;
        manager
            .create_index(index(ApiTokens::Table, "user", [ApiTokens::UserId], false))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ApiTokens::Table.into_iden(),
            Users::Table.into_iden(),
            Organizations::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().take())
                .await?;
        }
        Ok(())
    }
}
