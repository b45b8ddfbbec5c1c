use async_graphql::{Context, ID, Object, Result};

use super::customer::Customer;
use super::enums::PaymentMethod;
use super::id;
use super::invoice::Invoice;
use super::money::Money;
use super::user::User;
use crate::domain::money::{Currency, Money as DomainMoney};
use crate::entities::{payment, payment_allocation};
use crate::error::{AppError, AppResult};
use crate::graphql::context::ContextExt;
use crate::graphql::errors::GqlResultExt;
use crate::graphql::prefetch;
use crate::graphql::scalars::DateTime;
use crate::services::rules::stored_currency;

/// Money received from a customer.
pub struct Payment(pub payment::Model);

/// The part of a payment applied to one invoice.
pub struct Allocation {
    pub row: payment_allocation::Model,
    pub currency: Currency,
}

impl Payment {
    fn currency(&self) -> AppResult<Currency> {
        stored_currency(&self.0.currency)
    }
}

#[Object]
impl Payment {
    async fn id(&self) -> ID {
        id(self.0.id)
    }

    async fn customer(&self, ctx: &Context<'_>) -> Result<Customer> {
        ctx.loaders()
            .gql()?
            .customer
            .load_one(self.0.customer_id)
            .await
            .gql()?
            .map(Customer)
            .ok_or_else(|| AppError::Internal("payment without its customer".into()))
            .gql()
    }

    /// What the payment settles on the receivable.
    async fn amount(&self) -> Result<Money> {
        Ok(DomainMoney::from_minor(self.0.amount_minor, self.currency().gql()?).into())
    }

    /// What the payer was charged, installment interest included.
    async fn charged(&self) -> Result<Money> {
        Ok(DomainMoney::from_minor(self.0.charged_minor, self.currency().gql()?).into())
    }

    async fn method(&self) -> PaymentMethod {
        self.0.method.into()
    }

    async fn received_at(&self) -> DateTime {
        self.0.received_at.into()
    }

    /// The bank's or cheque's reference.
    async fn reference(&self) -> Option<&str> {
        self.0.reference.as_deref()
    }

    /// The payment provider, for card payments through a link.
    async fn provider(&self) -> Option<&str> {
        self.0.provider.as_deref()
    }

    async fn provider_transaction_id(&self) -> Option<&str> {
        self.0.provider_transaction_id.as_deref()
    }

    async fn installment_count(&self) -> i32 {
        self.0.installment_count
    }

    /// Where the payment went.
    async fn allocations(&self, ctx: &Context<'_>) -> Result<Vec<Allocation>> {
        let currency = self.currency().gql()?;
        let loaders = ctx.loaders().gql()?;
        let rows = loaders
            .allocations_of_payment
            .load_one(self.0.id)
            .await
            .gql()?
            .unwrap_or_default();
        let invoice = ctx.look_ahead().field("invoice");
        if invoice.exists() {
            let found = loaders
                .invoice
                .load_many(rows.iter().map(|row| row.invoice_id))
                .await
                .gql()?;
            prefetch::invoices(&loaders, invoice, found.into_values().collect())
                .await
                .gql()?;
        }
        Ok(rows
            .into_iter()
            .map(|row| Allocation { row, currency })
            .collect())
    }

    /// What is not applied to any invoice.
    async fn unapplied_amount(&self, ctx: &Context<'_>) -> Result<Money> {
        let rows = ctx
            .loaders()
            .gql()?
            .allocations_of_payment
            .load_one(self.0.id)
            .await
            .gql()?
            .unwrap_or_default();
        let applied: i64 = rows.iter().map(|row| row.amount_minor).sum();
        Ok(DomainMoney::from_minor(self.0.amount_minor - applied, self.currency().gql()?).into())
    }

    /// Set when a provider reported money that did not fit its link (expired, a different amount…).
    /// Taken by the sandbox (a test bank): no money moved.
    async fn test(&self) -> bool {
        self.0.test
    }

    async fn needs_review(&self) -> bool {
        self.0.needs_review
    }

    async fn review_reason(&self) -> Option<&str> {
        self.0.review_reason.as_deref()
    }

    /// Who recorded it, for payments entered by hand.
    async fn recorded_by(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let Some(user_id) = self.0.recorded_by else {
            return Ok(None);
        };
        Ok(ctx
            .loaders()
            .gql()?
            .user
            .load_one(user_id)
            .await
            .gql()?
            .map(User))
    }
}

#[Object]
impl Allocation {
    async fn invoice(&self, ctx: &Context<'_>) -> Result<Invoice> {
        ctx.loaders()
            .gql()?
            .invoice
            .load_one(self.row.invoice_id)
            .await
            .gql()?
            .map(Invoice)
            .ok_or_else(|| AppError::Internal("allocation without its invoice".into()))
            .gql()
    }

    async fn amount(&self) -> Money {
        DomainMoney::from_minor(self.row.amount_minor, self.currency).into()
    }
}
