//! Tasks: the collector's worklist — calls, emails, follow-ups and reviews, each for a customer and
//! some of their invoices, due on a date, assigned to a person (or to the managers when nobody).

use crate::columns::*;
use crate::m20261123_000001_create_tenancy::{Organizations, Users};
use crate::m20261123_000002_create_customers::Customers;
use crate::m20261123_000003_create_invoices_and_payments::Invoices;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261125_000008_create_tasks"
    }
}

#[derive(DeriveIden)]
enum Tasks {
    Table,
    Id,
    OrganizationId,
    CustomerId,
    Kind,
    Source,
    Status,
    DueDate,
    AssigneeId,
    Note,
    OutcomeNote,
    CreatedBy,
    CreatedAt,
    CompletedBy,
    CompletedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum TaskInvoices {
    Table,
    Id,
    OrganizationId,
    TaskId,
    InvoiceId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Tasks::Table)
                    .if_not_exists()
                    .col(id(Tasks::Id))
                    .col(uuid(Tasks::OrganizationId))
                    .col(uuid(Tasks::CustomerId))
                    .col(string(Tasks::Kind, 16))
                    .col(string(Tasks::Source, 16))
                    .col(string(Tasks::Status, 16))
                    .col(date(Tasks::DueDate))
                    .col(uuid_null(Tasks::AssigneeId))
                    .col(text_null(Tasks::Note))
                    .col(text_null(Tasks::OutcomeNote))
                    .col(uuid_null(Tasks::CreatedBy))
                    .col(timestamp(Tasks::CreatedAt))
                    .col(uuid_null(Tasks::CompletedBy))
                    .col(timestamp_null(Tasks::CompletedAt))
                    .col(timestamp(Tasks::UpdatedAt))
                    .foreign_key(&mut foreign_key(
                        Tasks::Table,
                        Tasks::OrganizationId,
                        Organizations::Table,
                        Organizations::Id,
                    ))
                    .foreign_key(&mut foreign_key(
                        Tasks::Table,
                        Tasks::CustomerId,
                        Customers::Table,
                        Customers::Id,
                    ))
                    .foreign_key(&mut foreign_key(
                        Tasks::Table,
                        Tasks::AssigneeId,
                        Users::Table,
                        Users::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                Tasks::Table,
                "open_due",
                [Tasks::OrganizationId, Tasks::Status, Tasks::DueDate],
                false,
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TaskInvoices::Table)
                    .if_not_exists()
                    .col(id(TaskInvoices::Id))
                    .col(uuid(TaskInvoices::OrganizationId))
                    .col(uuid(TaskInvoices::TaskId))
                    .col(uuid(TaskInvoices::InvoiceId))
                    .foreign_key(&mut foreign_key(
                        TaskInvoices::Table,
                        TaskInvoices::TaskId,
                        Tasks::Table,
                        Tasks::Id,
                    ))
                    .foreign_key(&mut foreign_key(
                        TaskInvoices::Table,
                        TaskInvoices::InvoiceId,
                        Invoices::Table,
                        Invoices::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                TaskInvoices::Table,
                "task_invoice",
                [
                    TaskInvoices::OrganizationId,
                    TaskInvoices::TaskId,
                    TaskInvoices::InvoiceId,
                ],
                true,
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [TaskInvoices::Table.into_iden(), Tasks::Table.into_iden()] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
