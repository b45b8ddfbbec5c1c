use async_graphql::{Context, ID, Object, Result};

use super::activity::Activity;
use super::customer::Customer;
use super::enums::InvoiceStatus;
use super::id;
use super::money::Money;
use super::payment::Payment;
use super::payment_link::PaymentLink;
use crate::domain::invoice::days_overdue;
use crate::domain::money::Money as DomainMoney;
use crate::entities::invoice;
use crate::error::{AppError, AppResult};
use crate::graphql::connection::{ACTIVITIES_OF_INVOICE, ActivityConnection, nested};
use crate::graphql::context::ContextExt;
use crate::graphql::errors::GqlResultExt;
use crate::graphql::prefetch;
use crate::graphql::scalars::{Date, DateTime};
use crate::services::rules::stored_currency;

/// A bill a customer owes.
pub struct Invoice(pub invoice::Model);

impl Invoice {
    fn money(&self, minor: i64) -> AppResult<Money> {
        Ok(DomainMoney::from_minor(minor, stored_currency(&self.0.currency)?).into())
    }

    fn balance_minor(&self) -> i64 {
        if self.0.status == crate::domain::invoice::InvoiceStatus::Void {
            0
        } else {
            (self.0.total_minor - self.0.paid_minor).max(0)
        }
    }
}

#[Object]
impl Invoice {
    async fn id(&self) -> ID {
        id(self.0.id)
    }

    async fn number(&self) -> &str {
        &self.0.number
    }

    /// The invoice's id in your ERP or accounting system.
    async fn external_ref(&self) -> Option<&str> {
        self.0.external_ref.as_deref()
    }

    async fn customer(&self, ctx: &Context<'_>) -> Result<Customer> {
        ctx.loaders()
            .gql()?
            .customer
            .load_one(self.0.customer_id)
            .await
            .gql()?
            .map(Customer)
            .ok_or_else(|| AppError::Internal("invoice without its customer".into()))
            .gql()
    }

    async fn issue_date(&self) -> Date {
        Date(self.0.issue_date)
    }

    async fn due_date(&self) -> Date {
        Date(self.0.due_date)
    }

    async fn currency(&self) -> &str {
        &self.0.currency
    }

    async fn total(&self) -> Result<Money> {
        self.money(self.0.total_minor).gql()
    }

    async fn paid_amount(&self) -> Result<Money> {
        self.money(self.0.paid_minor).gql()
    }

    /// What is left to pay (zero for a void invoice).
    async fn balance(&self) -> Result<Money> {
        self.money(self.balance_minor()).gql()
    }

    async fn status(&self) -> InvoiceStatus {
        self.0.status.into()
    }

    /// Days past the due date while something is left to pay; 0 otherwise.
    async fn days_overdue(&self, ctx: &Context<'_>) -> Result<i64> {
        let today = ctx.app().gql()?.clock.today();
        Ok(days_overdue(self.0.due_date, today, self.balance_minor()))
    }

    /// Whether the customer disputes the invoice.
    async fn disputed(&self) -> bool {
        self.0.disputed
    }

    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    /// Why the invoice was voided.
    async fn void_reason(&self) -> Option<&str> {
        self.0.void_reason.as_deref()
    }

    /// Payments applied to this invoice, oldest first.
    async fn payments(&self, ctx: &Context<'_>) -> Result<Vec<Payment>> {
        let loaders = ctx.loaders().gql()?;
        let allocations = loaders
            .allocations_of_invoice
            .load_one(self.0.id)
            .await
            .gql()?
            .unwrap_or_default();
        let ids: Vec<uuid::Uuid> = allocations
            .iter()
            .map(|allocation| allocation.payment_id)
            .collect();
        let mut payments = loaders.payment.load_many(ids.iter().copied()).await.gql()?;
        prefetch::payments(
            &loaders,
            ctx.look_ahead(),
            payments.values().cloned().collect(),
        )
        .await
        .gql()?;
        Ok(ids
            .iter()
            .filter_map(|payment_id| payments.remove(payment_id))
            .map(Payment)
            .collect())
    }

    /// Payment links that cover this invoice, newest first.
    async fn payment_links(&self, ctx: &Context<'_>) -> Result<Vec<PaymentLink>> {
        let loaders = ctx.loaders().gql()?;
        let rows = loaders
            .links_of_invoice
            .load_one(self.0.id)
            .await
            .gql()?
            .unwrap_or_default();
        let mut found = loaders
            .payment_link
            .load_many(rows.iter().map(|row| row.link_id))
            .await
            .gql()?;
        let mut links: Vec<_> = rows
            .iter()
            .filter_map(|row| found.remove(&row.link_id))
            .collect();
        links.sort_by_key(|link| std::cmp::Reverse((link.created_at, link.id)));
        Ok(links.into_iter().map(PaymentLink).collect())
    }

    /// What was done about this invoice, newest first.
    #[graphql(complexity = "first.unwrap_or(20).max(1) as usize * child_complexity")]
    async fn activities(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<ActivityConnection> {
        nested(
            ctx,
            self.0.id,
            first,
            after,
            ACTIVITIES_OF_INVOICE,
            Activity,
        )
        .await
        .map(Into::into)
    }

    async fn created_at(&self) -> DateTime {
        self.0.created_at.into()
    }

    async fn updated_at(&self) -> DateTime {
        self.0.updated_at.into()
    }
}
