//! Columns for the hardening work: payments say whether they came from the test bank, rejected
//! callbacks keep metadata instead of bodies, tokens get names, users can be deactivated, and a
//! link withdrawn at its provider can wait for a correctly priced replacement.

use crate::columns::*;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261125_000006_add_hardening_columns"
    }
}

#[derive(DeriveIden)]
enum Payments {
    Table,
    Test,
    Provider,
}

#[derive(DeriveIden)]
enum ProviderEvents {
    Table,
    BodySha256,
    BodySize,
    SourceAddress,
    Reason,
}

#[derive(DeriveIden)]
enum OldProviderEvents {
    #[sea_orm(iden = "provider_events")]
    Table,
    Outcome,
    RawBody,
    SignatureOk,
}

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    Name,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    DeactivatedAt,
}

/// One `ALTER` per change: SQLite takes one at a time.
async fn add(
    manager: &SchemaManager<'_>,
    table: impl IntoIden,
    column: ColumnDef,
) -> Result<(), DbErr> {
    let mut column = column;
    manager
        .alter_table(
            Table::alter()
                .table(table)
                .add_column(&mut column)
                .to_owned(),
        )
        .await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Adding a NOT NULL column to rows that exist needs a value for them; the application
        // writes the column on every insert, so the default only ever serves existing rows.
        add(
            manager,
            Payments::Table,
            boolean(Payments::Test).default(false).take(),
        )
        .await?;
        manager
            .exec_stmt(
                Query::update()
                    .table(Payments::Table)
                    .value(Payments::Test, true)
                    .and_where(Expr::col(Payments::Provider).eq("sandbox"))
                    .to_owned(),
            )
            .await?;
        add(
            manager,
            ProviderEvents::Table,
            string_null(ProviderEvents::BodySha256, 64),
        )
        .await?;
        add(
            manager,
            ProviderEvents::Table,
            ColumnDef::new(ProviderEvents::BodySize)
                .big_integer()
                .null()
                .take(),
        )
        .await?;
        add(
            manager,
            ProviderEvents::Table,
            string_null(ProviderEvents::SourceAddress, 64),
        )
        .await?;
        add(
            manager,
            ProviderEvents::Table,
            string_null(ProviderEvents::Reason, 300),
        )
        .await?;
        // Outcomes become a closed set; refused callbacks keep no body.
        manager
            .exec_stmt(
                Query::update()
                    .table(OldProviderEvents::Table)
                    .value(OldProviderEvents::Outcome, "rejected")
                    .value(OldProviderEvents::RawBody, "")
                    .and_where(Expr::col(OldProviderEvents::SignatureOk).eq(false))
                    .to_owned(),
            )
            .await?;
        add(manager, ApiTokens::Table, string_null(ApiTokens::Name, 100)).await?;
        add(manager, Users::Table, timestamp_null(Users::DeactivatedAt)).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let drops: [(DynIden, DynIden); 7] = [
            (Users::Table.into_iden(), Users::DeactivatedAt.into_iden()),
            (ApiTokens::Table.into_iden(), ApiTokens::Name.into_iden()),
            (
                ProviderEvents::Table.into_iden(),
                ProviderEvents::Reason.into_iden(),
            ),
            (
                ProviderEvents::Table.into_iden(),
                ProviderEvents::SourceAddress.into_iden(),
            ),
            (
                ProviderEvents::Table.into_iden(),
                ProviderEvents::BodySize.into_iden(),
            ),
            (
                ProviderEvents::Table.into_iden(),
                ProviderEvents::BodySha256.into_iden(),
            ),
            (Payments::Table.into_iden(), Payments::Test.into_iden()),
        ];
        for (table, column) in drops {
            manager
                .alter_table(Table::alter().table(table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}
