//! Payment plans (taksitli ödeme planı): the invoices a plan covers, its installments, the
//! interest it charges (vade farkı) as paid by payments, the links that pay installments, and
//! the installment reminders already sent.

use crate::columns::*;
use crate::m20261123_000001_create_tenancy::Organizations;
use crate::m20261123_000002_create_customers::Customers;
use crate::m20261123_000003_create_invoices_and_payments::{Invoices, Payments};
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000015_create_payment_plans"
    }
}

#[derive(DeriveIden)]
enum PaymentPlans {
    Table,
    Id,
    OrganizationId,
    CustomerId,
    Currency,
    PrincipalMinor,
    InterestMinor,
    InterestBasisPoints,
    Status,
    Note,
    CreatedBy,
    CreatedByLabel,
    CreatedAt,
    EndedAt,
    EndReason,
    EndedPaidMinor,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PaymentPlanInvoices {
    Table,
    Id,
    OrganizationId,
    PlanId,
    InvoiceId,
    PaidAtStartMinor,
}

#[derive(DeriveIden)]
enum PlanInstallments {
    Table,
    Id,
    OrganizationId,
    PlanId,
    Position,
    DueDate,
    AmountMinor,
    MissedAt,
}

#[derive(DeriveIden)]
enum PaymentPlanCharges {
    Table,
    Id,
    OrganizationId,
    PlanId,
    PaymentId,
    AmountMinor,
    CreatedAt,
}

#[derive(DeriveIden)]
enum PaymentLinkInstallments {
    Table,
    Id,
    OrganizationId,
    LinkId,
    InstallmentId,
    PlanId,
}

#[derive(DeriveIden)]
enum PlanReminderSends {
    Table,
    Id,
    OrganizationId,
    InstallmentId,
    CustomerId,
    PolicyId,
    OffsetDays,
    Outcome,
    Channel,
    PlannedOn,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PaymentPlans::Table)
                    .if_not_exists()
                    .col(id(PaymentPlans::Id))
                    .col(uuid(PaymentPlans::OrganizationId))
                    .col(uuid(PaymentPlans::CustomerId))
                    .col(currency(PaymentPlans::Currency))
                    .col(minor(PaymentPlans::PrincipalMinor))
                    .col(minor(PaymentPlans::InterestMinor))
                    .col(integer(PaymentPlans::InterestBasisPoints))
                    .col(string(PaymentPlans::Status, 16))
                    .col(text_null(PaymentPlans::Note))
                    .col(uuid_null(PaymentPlans::CreatedBy))
                    .col(string(PaymentPlans::CreatedByLabel, 320))
                    .col(timestamp(PaymentPlans::CreatedAt))
                    .col(timestamp_null(PaymentPlans::EndedAt))
                    .col(text_null(PaymentPlans::EndReason))
                    .col(minor_null(PaymentPlans::EndedPaidMinor))
                    .col(timestamp(PaymentPlans::UpdatedAt))
                    .foreign_key(&mut foreign_key(
                        PaymentPlans::Table,
                        PaymentPlans::OrganizationId,
                        Organizations::Table,
                        Organizations::Id,
                    ))
                    .foreign_key(&mut foreign_key(
                        PaymentPlans::Table,
                        PaymentPlans::CustomerId,
                        Customers::Table,
                        Customers::Id,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PaymentPlanInvoices::Table)
                    .if_not_exists()
                    .col(id(PaymentPlanInvoices::Id))
                    .col(uuid(PaymentPlanInvoices::OrganizationId))
                    .col(uuid(PaymentPlanInvoices::PlanId))
                    .col(uuid(PaymentPlanInvoices::InvoiceId))
                    .col(minor(PaymentPlanInvoices::PaidAtStartMinor))
                    .foreign_key(&mut foreign_key(
                        PaymentPlanInvoices::Table,
                        PaymentPlanInvoices::PlanId,
                        PaymentPlans::Table,
                        PaymentPlans::Id,
                    ))
                    .foreign_key(&mut foreign_key(
                        PaymentPlanInvoices::Table,
                        PaymentPlanInvoices::InvoiceId,
                        Invoices::Table,
                        Invoices::Id,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PlanInstallments::Table)
                    .if_not_exists()
                    .col(id(PlanInstallments::Id))
                    .col(uuid(PlanInstallments::OrganizationId))
                    .col(uuid(PlanInstallments::PlanId))
                    .col(integer(PlanInstallments::Position))
                    .col(date(PlanInstallments::DueDate))
                    .col(minor(PlanInstallments::AmountMinor))
                    .col(timestamp_null(PlanInstallments::MissedAt))
                    .foreign_key(&mut foreign_key(
                        PlanInstallments::Table,
                        PlanInstallments::PlanId,
                        PaymentPlans::Table,
                        PaymentPlans::Id,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PaymentPlanCharges::Table)
                    .if_not_exists()
                    .col(id(PaymentPlanCharges::Id))
                    .col(uuid(PaymentPlanCharges::OrganizationId))
                    .col(uuid(PaymentPlanCharges::PlanId))
                    .col(uuid(PaymentPlanCharges::PaymentId))
                    .col(minor(PaymentPlanCharges::AmountMinor))
                    .col(timestamp(PaymentPlanCharges::CreatedAt))
                    .foreign_key(&mut foreign_key(
                        PaymentPlanCharges::Table,
                        PaymentPlanCharges::PlanId,
                        PaymentPlans::Table,
                        PaymentPlans::Id,
                    ))
                    .foreign_key(&mut foreign_key(
                        PaymentPlanCharges::Table,
                        PaymentPlanCharges::PaymentId,
                        Payments::Table,
                        Payments::Id,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PaymentLinkInstallments::Table)
                    .if_not_exists()
                    .col(id(PaymentLinkInstallments::Id))
                    .col(uuid(PaymentLinkInstallments::OrganizationId))
                    .col(uuid(PaymentLinkInstallments::LinkId))
                    .col(uuid(PaymentLinkInstallments::InstallmentId))
                    .col(uuid(PaymentLinkInstallments::PlanId))
                    .foreign_key(&mut foreign_key(
                        PaymentLinkInstallments::Table,
                        PaymentLinkInstallments::InstallmentId,
                        PlanInstallments::Table,
                        PlanInstallments::Id,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PlanReminderSends::Table)
                    .if_not_exists()
                    .col(id(PlanReminderSends::Id))
                    .col(uuid(PlanReminderSends::OrganizationId))
                    .col(uuid(PlanReminderSends::InstallmentId))
                    .col(uuid(PlanReminderSends::CustomerId))
                    .col(uuid(PlanReminderSends::PolicyId))
                    .col(integer(PlanReminderSends::OffsetDays))
                    .col(string(PlanReminderSends::Outcome, 16))
                    .col(string(PlanReminderSends::Channel, 16))
                    .col(date(PlanReminderSends::PlannedOn))
                    .col(timestamp(PlanReminderSends::CreatedAt))
                    .foreign_key(&mut foreign_key(
                        PlanReminderSends::Table,
                        PlanReminderSends::InstallmentId,
                        PlanInstallments::Table,
                        PlanInstallments::Id,
                    ))
                    .take(),
            )
            .await?;
        for statement in [
            index(
                PaymentPlans::Table,
                "organization_customer",
                [PaymentPlans::OrganizationId, PaymentPlans::CustomerId],
                false,
            ),
            index(
                PaymentPlans::Table,
                "organization_status",
                [
                    PaymentPlans::OrganizationId,
                    PaymentPlans::Status,
                    PaymentPlans::CreatedAt,
                ],
                false,
            ),
            index(
                PaymentPlanInvoices::Table,
                "organization_plan",
                [
                    PaymentPlanInvoices::OrganizationId,
                    PaymentPlanInvoices::PlanId,
                ],
                false,
            ),
            index(
                PaymentPlanInvoices::Table,
                "organization_invoice",
                [
                    PaymentPlanInvoices::OrganizationId,
                    PaymentPlanInvoices::InvoiceId,
                ],
                false,
            ),
            index(
                PlanInstallments::Table,
                "organization_plan_position",
                [
                    PlanInstallments::OrganizationId,
                    PlanInstallments::PlanId,
                    PlanInstallments::Position,
                ],
                true,
            ),
            index(
                PaymentPlanCharges::Table,
                "organization_plan",
                [
                    PaymentPlanCharges::OrganizationId,
                    PaymentPlanCharges::PlanId,
                ],
                false,
            ),
            index(
                PaymentPlanCharges::Table,
                "organization_payment",
                [
                    PaymentPlanCharges::OrganizationId,
                    PaymentPlanCharges::PaymentId,
                ],
                true,
            ),
            index(
                PaymentLinkInstallments::Table,
                "organization_link",
                [
                    PaymentLinkInstallments::OrganizationId,
                    PaymentLinkInstallments::LinkId,
                ],
                false,
            ),
            index(
                PaymentLinkInstallments::Table,
                "organization_installment",
                [
                    PaymentLinkInstallments::OrganizationId,
                    PaymentLinkInstallments::InstallmentId,
                ],
                false,
            ),
            // Each installment's step goes once, whichever instance sends it.
            index(
                PlanReminderSends::Table,
                "organization_installment_step",
                [
                    PlanReminderSends::OrganizationId,
                    PlanReminderSends::InstallmentId,
                    PlanReminderSends::PolicyId,
                    PlanReminderSends::OffsetDays,
                ],
                true,
            ),
        ] {
            manager.create_index(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            PlanReminderSends::Table.into_iden(),
            PaymentLinkInstallments::Table.into_iden(),
            PaymentPlanCharges::Table.into_iden(),
            PlanInstallments::Table.into_iden(),
            PaymentPlanInvoices::Table.into_iden(),
            PaymentPlans::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
