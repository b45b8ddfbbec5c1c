//! Bulk imports from the ERP in the API: the rows, the per-row answers, and the mutations.

use async_graphql::{Enum, InputObject, SimpleObject};

use super::enums::PaymentMethod;
use super::id;
use crate::graphql::area::*;
use crate::graphql::scalars::{Date, DateTime, Decimal};
use crate::services::imports;

/// What to do when some rows are refused.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug, Default)]
pub enum ImportMode {
    /// Write nothing at all when any row is refused.
    AllOrNothing,
    /// Write the rows that pass; answer the others as REJECTED (the default).
    #[default]
    ValidRows,
}

impl From<ImportMode> for imports::Mode {
    fn from(mode: ImportMode) -> Self {
        match mode {
            ImportMode::AllOrNothing => Self::AllOrNothing,
            ImportMode::ValidRows => Self::ValidRows,
        }
    }
}

/// What became of a row.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum ImportOutcome {
    /// A new key: inserted, and logged as created.
    Created,
    /// A known key with something different: those fields changed, and logged as updated.
    Updated,
    /// A known key with nothing different (or, in ALL_OR_NOTHING with a refused row, anything
    /// not written).
    Unchanged,
    /// Refused; `userErrors` say why. Nothing of it was written.
    Rejected,
}

impl From<imports::Outcome> for ImportOutcome {
    fn from(outcome: imports::Outcome) -> Self {
        match outcome {
            imports::Outcome::Created => Self::Created,
            imports::Outcome::Updated => Self::Updated,
            imports::Outcome::Unchanged => Self::Unchanged,
            imports::Outcome::Rejected => Self::Rejected,
        }
    }
}

/// The answer for one row.
#[derive(SimpleObject)]
pub struct ImportRowResult {
    /// 1 for the first row.
    pub row: i32,
    /// The row's key as given.
    pub external_ref: Option<String>,
    /// What became of it.
    pub outcome: ImportOutcome,
    /// The customer's, invoice's or payment's id, when it exists.
    pub id: Option<ID>,
    /// Why it was refused; each `field` is the path into the input (`["input", "rows", "4",
    /// "total"]`).
    pub user_errors: Vec<UserError>,
}

/// What an import did: totals, and one answer per row in the order given.
#[derive(SimpleObject)]
pub struct ImportPayload {
    /// Rows inserted.
    pub created: i32,
    /// Rows that changed something.
    pub updated: i32,
    /// Rows identical to what is stored.
    pub unchanged: i32,
    /// Rows refused.
    pub rejected: i32,
    /// One per row, in order.
    pub results: Vec<ImportRowResult>,
    /// Why the import as a whole was refused (no rows, or more than 10,000).
    pub user_errors: Vec<UserError>,
}

fn count(value: usize) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

impl ImportPayload {
    fn from_result(result: crate::error::AppResult<imports::Report>) -> Result<Self> {
        let (report, user_errors) = split(result)?;
        let report = report.unwrap_or_default();
        let results = report
            .results
            .into_iter()
            .map(|result| {
                let index = result.row.saturating_sub(1).to_string();
                ImportRowResult {
                    row: count(result.row),
                    external_ref: result.external_ref,
                    outcome: result.outcome.into(),
                    id: result.id.map(id),
                    user_errors: result
                        .errors
                        .into_iter()
                        .map(|error| {
                            // The service names the row's field; the path goes through the rows.
                            let mut user_error = UserError::from(error);
                            let rest = user_error.field.split_off(1.min(user_error.field.len()));
                            user_error.field =
                                ["input".to_owned(), "rows".to_owned(), index.clone()]
                                    .into_iter()
                                    .chain(rest)
                                    .collect();
                            user_error
                        })
                        .collect(),
                }
            })
            .collect();
        Ok(Self {
            created: count(report.created),
            updated: count(report.updated),
            unchanged: count(report.unchanged),
            rejected: count(report.rejected),
            results,
            user_errors,
        })
    }
}

/// A customer as the ERP has it (Cari hesap).
#[derive(InputObject)]
pub struct ImportCustomerRow {
    /// The ERP's key for the customer (Cari Kod): the row updates the customer with it, or makes one.
    pub external_ref: String,
    /// Up to 300 characters (Unvan).
    pub name: String,
    /// VKN (10 digits) or TCKN (11 digits).
    pub tax_id: Option<String>,
    pub email: Option<String>,
    /// Stored in E.164 (`0532 123 45 67` → `+905321234567`).
    pub phone: Option<String>,
    /// Up to 1,000 characters.
    pub address: Option<String>,
    /// 0 to 365; a new customer gets 30 when left out, an existing one keeps its own.
    pub payment_terms_days: Option<i32>,
}

/// Customers to upsert by `externalRef`.
#[derive(InputObject)]
pub struct ImportCustomersInput {
    /// Default VALID_ROWS.
    #[graphql(default)]
    pub mode: ImportMode,
    /// 1 to 10,000 rows.
    pub rows: Vec<ImportCustomerRow>,
}

/// An invoice as the ERP has it.
#[derive(InputObject)]
pub struct ImportInvoiceRow {
    /// The ERP's key for the invoice: the row updates the invoice with it, or makes one.
    pub external_ref: String,
    /// The customer's `externalRef` (Cari Kod); the customer must exist.
    pub customer_external_ref: String,
    /// Unique in the organization (Fatura No).
    pub number: String,
    /// Fatura Tarihi.
    pub issue_date: Date,
    /// Vade. A new invoice without one is due after the customer's payment terms; an existing
    /// one keeps its own.
    pub due_date: Option<Date>,
    /// ISO code (Döviz); an existing invoice keeps its currency.
    pub currency: String,
    /// Tutar; never below what was paid on an existing invoice.
    pub total: Decimal,
    /// Açıklama, up to 2,000 characters.
    pub description: Option<String>,
}

/// Invoices to upsert by `externalRef`.
#[derive(InputObject)]
pub struct ImportInvoicesInput {
    /// Default VALID_ROWS.
    #[graphql(default)]
    pub mode: ImportMode,
    /// 1 to 10,000 rows.
    pub rows: Vec<ImportInvoiceRow>,
}

/// Part of an imported payment applied to one invoice.
#[derive(InputObject)]
pub struct ImportAllocationRow {
    /// The invoice's `externalRef`.
    pub invoice_external_ref: String,
    /// Positive, at most what the invoice still owes.
    pub amount: Decimal,
}

/// A payment as the ERP has it (tahsilat fişi, dekont).
#[derive(InputObject)]
pub struct ImportPaymentRow {
    /// The ERP's key for the payment: one with it is never recorded twice.
    pub reference: String,
    /// The customer's `externalRef`.
    pub customer_external_ref: String,
    /// Positive, in `currency`'s digits.
    pub amount: Decimal,
    /// ISO code.
    pub currency: String,
    /// How it was paid.
    pub method: PaymentMethod,
    /// Default now; not in the future.
    pub received_at: Option<DateTime>,
    /// Where it goes; left out: the customer's unpaid invoices, oldest due first (an active
    /// payment plan's first).
    pub allocations: Option<Vec<ImportAllocationRow>>,
}

/// Payments to record, keyed by `reference`.
#[derive(InputObject)]
pub struct ImportPaymentsInput {
    /// Default VALID_ROWS.
    #[graphql(default)]
    pub mode: ImportMode,
    /// 1 to 10,000 rows.
    pub rows: Vec<ImportPaymentRow>,
}

/// The imports' mutations.
#[derive(Default)]
pub struct ImportsMutation;

#[Object]
impl ImportsMutation {
    /// MANAGER and up: customers from the ERP, upserted by `externalRef`. Importing the same
    /// rows again changes nothing; a changed row logs CUSTOMER_UPDATED with what changed.
    async fn import_customers(
        &self,
        ctx: &Context<'_>,
        input: ImportCustomersInput,
    ) -> Result<ImportPayload> {
        let (app, viewer) = (ctx.app().gql()?, ctx.viewer().gql()?);
        let importer = imports::Importer::user(viewer).gql()?;
        let rows = input
            .rows
            .into_iter()
            .map(|row| imports::CustomerRow {
                external_ref: row.external_ref,
                name: row.name,
                tax_id: row.tax_id,
                email: row.email,
                phone: row.phone,
                address: row.address,
                payment_terms_days: row.payment_terms_days,
            })
            .collect();
        ImportPayload::from_result(imports::customers(app, importer, input.mode.into(), rows).await)
    }

    /// MANAGER and up: invoices from the ERP, upserted by `externalRef`, each naming its
    /// customer by `customerExternalRef`. Importing the same rows again changes nothing.
    async fn import_invoices(
        &self,
        ctx: &Context<'_>,
        input: ImportInvoicesInput,
    ) -> Result<ImportPayload> {
        let (app, viewer) = (ctx.app().gql()?, ctx.viewer().gql()?);
        let importer = imports::Importer::user(viewer).gql()?;
        let rows = input
            .rows
            .into_iter()
            .map(|row| imports::InvoiceRow {
                external_ref: row.external_ref,
                customer_external_ref: row.customer_external_ref,
                number: row.number,
                issue_date: row.issue_date.0,
                due_date: row.due_date.map(|date| date.0),
                currency: row.currency,
                total: row.total.0,
                description: row.description,
            })
            .collect();
        ImportPayload::from_result(imports::invoices(app, importer, input.mode.into(), rows).await)
    }

    /// MANAGER and up: payments from the ERP, recorded like `recordPayment` (logged
    /// PAYMENT_RECORDED) unless one with the same `reference` exists: the same payment again is
    /// UNCHANGED, a different one with that reference is refused (PAYMENT_EXISTS).
    async fn import_payments(
        &self,
        ctx: &Context<'_>,
        input: ImportPaymentsInput,
    ) -> Result<ImportPayload> {
        let (app, viewer) = (ctx.app().gql()?, ctx.viewer().gql()?);
        let importer = imports::Importer::user(viewer).gql()?;
        let rows = input
            .rows
            .into_iter()
            .map(|row| imports::PaymentRow {
                reference: row.reference,
                customer_external_ref: row.customer_external_ref,
                amount: row.amount.0,
                currency: row.currency,
                method: row.method.into(),
                received_at: row.received_at.map(|at| at.0),
                allocations: row.allocations.map(|parts| {
                    parts
                        .into_iter()
                        .map(|part| (part.invoice_external_ref, part.amount.0))
                        .collect()
                }),
            })
            .collect();
        ImportPayload::from_result(imports::payments(app, importer, input.mode.into(), rows).await)
    }
}
