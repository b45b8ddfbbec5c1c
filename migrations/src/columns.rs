//! Column and constraint builders shared by the migrations, so each table reads as its own rules.

use sea_orm_migration::prelude::*;

/// `id UUID PRIMARY KEY` (UUIDv7, made by the application).
pub fn id<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name).uuid().not_null().primary_key().take()
}

pub fn uuid<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name).uuid().not_null().take()
}

pub fn uuid_null<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name).uuid().null().take()
}

pub fn string<T: IntoIden>(name: T, len: u32) -> ColumnDef {
    ColumnDef::new(name).string_len(len).not_null().take()
}

pub fn string_null<T: IntoIden>(name: T, len: u32) -> ColumnDef {
    ColumnDef::new(name).string_len(len).null().take()
}

pub fn text_null<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name).text().null().take()
}

/// An ISO 4217 code such as `TRY`.
pub fn currency<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name).char_len(3).not_null().take()
}

/// Money in integer minor units (kuruş for TRY).
pub fn minor<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name).big_integer().not_null().take()
}

pub fn minor_null<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name).big_integer().null().take()
}

pub fn integer<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name).integer().not_null().take()
}

pub fn boolean<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name).boolean().not_null().take()
}

pub fn date<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name).date().not_null().take()
}

pub fn timestamp<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name)
        .timestamp_with_time_zone()
        .not_null()
        .take()
}

pub fn timestamp_null<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name)
        .timestamp_with_time_zone()
        .null()
        .take()
}

/// JSON (JSONB on PostgreSQL, JSON text on SQLite).
pub fn json<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name).json_binary().not_null().take()
}

/// A foreign key named `fk_<table>_<column>`. Deleting a referenced row is refused: this data is
/// a financial record, and nothing in it disappears by cascade.
pub fn foreign_key(
    table: impl IntoIden,
    column: impl IntoIden,
    references: impl IntoIden,
    referenced_column: impl IntoIden,
) -> ForeignKeyCreateStatement {
    let (table, column) = (table.into_iden(), column.into_iden());
    ForeignKey::create()
        .name(format!("fk_{table}_{column}"))
        .from(table, column)
        .to(references, referenced_column)
        .on_delete(ForeignKeyAction::Restrict)
        .on_update(ForeignKeyAction::Restrict)
        .take()
}

/// An index over `columns` named `ix_<table>_<name>`, or `ux_…` when unique.
pub fn index<C: IntoIndexColumn>(
    table: impl IntoIden,
    name: &str,
    columns: impl IntoIterator<Item = C>,
    unique: bool,
) -> IndexCreateStatement {
    let table = table.into_iden();
    let table_name = table.to_string();
    let prefix = if unique { "ux" } else { "ix" };
    let mut index = Index::create();
    index
        .name(format!("{prefix}_{table_name}_{name}"))
        .table(table)
        .if_not_exists();
    for column in columns {
        index.col(column);
    }
    if unique {
        index.unique();
    }
    index.take()
}

pub fn json_null<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name).json_binary().null().take()
}

pub fn date_null<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name).date().null().take()
}

pub fn boolean_null<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name).boolean().null().take()
}

/// Adds one column to an existing table.
pub async fn add_column(
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
