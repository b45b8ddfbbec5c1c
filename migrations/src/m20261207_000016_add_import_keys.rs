//! The keys bulk imports match rows by: an invoice's external reference (unique in its
//! organization, as a customer's is) and a payment's reference.

use crate::columns::*;
use crate::m20261123_000003_create_invoices_and_payments::{Invoices, Payments};
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000016_add_import_keys"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // NULL external refs are distinct on both databases, so only set ones must be unique.
        manager
            .create_index(index(
                Invoices::Table,
                "organization_external_ref",
                [Invoices::OrganizationId, Invoices::ExternalRef],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                Payments::Table,
                "organization_reference",
                [Payments::OrganizationId, Payments::Reference],
                false,
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, name) in [
            (
                Payments::Table.into_iden(),
                "ix_payments_organization_reference",
            ),
            (
                Invoices::Table.into_iden(),
                "ux_invoices_organization_external_ref",
            ),
        ] {
            manager
                .drop_index(Index::drop().name(name).table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
