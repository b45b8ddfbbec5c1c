use async_graphql::{Context, ID, Object, Result};

use super::customer::Customer;
use super::enums::PaymentMethod;
use super::id;
use super::invoice::Invoice;
use super::money::Money;
use super::user::User;
use crate::domain::money::{Currency, Money as DomainMoney};
use crate::entities::{payment, payment_allocation};
use crate::error::AppResult;
use crate::graphql::context::{ContextExt, load, load_required};
use crate::graphql::errors::GqlResultExt;
use crate::graphql::prefetch;
use crate::graphql::scalars::DateTime;
use crate::services::rules::stored_currency;

use crate::graphql::area::*;

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
        customer_of(ctx, self.0.customer_id).await
    }

    /// What the payment settles on the receivable.
    async fn amount(&self) -> Result<Money> {
        Ok(DomainMoney::from_minor(self.0.amount_minor, self.currency().gql()?).into())
    }

    /// What the payer was charged, installment interest included.
    async fn charged(&self) -> Result<Money> {
        Ok(DomainMoney::from_minor(self.0.charged_minor, self.currency().gql()?).into())
    }

    /// The provider's commission on an installment payment whose interest the merchant bears
    /// (its installment table's payer is MERCHANT): kept by the provider, never charged to the
    /// customer. Null otherwise.
    async fn fee_amount(&self) -> Result<Option<Money>> {
        let Some(fee) = self.0.fee_minor else {
            return Ok(None);
        };
        Ok(Some(
            DomainMoney::from_minor(fee, self.currency().gql()?).into(),
        ))
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

    /// What is applied neither to an invoice nor to a payment plan's interest (vade farkı).
    async fn unapplied_amount(&self) -> Result<Money> {
        Ok(DomainMoney::from_minor(self.0.unapplied_minor, self.currency().gql()?).into())
    }

    /// Taken by the sandbox (a test bank): no money moved.
    async fn test(&self) -> bool {
        self.0.test
    }

    /// Whether the payment was reversed (a bounced cheque, a chargeback, a mistaken entry): it no
    /// longer pays its invoices from `reversedAt` on, and stays here for the record.
    async fn reversed(&self) -> bool {
        self.0.reversed_at.is_some()
    }

    /// When it was reversed.
    async fn reversed_at(&self) -> Option<DateTime> {
        self.0.reversed_at.map(DateTime)
    }

    /// Why it was reversed.
    async fn reversal_reason(&self) -> Option<&str> {
        self.0.reversal_reason.as_deref()
    }

    /// Who reversed it.
    async fn reversed_by(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let Some(user_id) = self.0.reversed_by else {
            return Ok(None);
        };
        Ok(load(ctx, |loaders| &loaders.user, user_id).await?.map(User))
    }

    /// Set when a provider reported money that did not fit its link (expired, a different amount…).
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
        Ok(load(ctx, |loaders| &loaders.user, user_id).await?.map(User))
    }
}

#[Object]
impl Allocation {
    async fn invoice(&self, ctx: &Context<'_>) -> Result<Invoice> {
        load_required(
            ctx,
            |loaders| &loaders.invoice,
            self.row.invoice_id,
            "invoice",
        )
        .await
        .map(Invoice)
    }

    async fn amount(&self) -> Money {
        DomainMoney::from_minor(self.row.amount_minor, self.currency).into()
    }
}

/// The payments area's queries.
#[derive(Default)]
pub struct PaymentsQuery;

#[Object]
impl PaymentsQuery {
    async fn payment(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Payment>> {
        let Some(id) = parse_id(&id) else {
            return Ok(None);
        };
        Ok(load(ctx, |loaders| &loaders.payment, id)
            .await?
            .map(Payment))
    }

    /// Payments, newest received first.
    #[graphql(complexity = "first.unwrap_or(20).max(1) as usize * child_complexity")]
    async fn payments(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many, 1 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the page before.")] after: Option<String>,
        filter: Option<PaymentFilter>,
    ) -> Result<PaymentConnection> {
        let viewer = ctx.viewer().gql()?;
        if let Some(provider) = filter
            .as_ref()
            .and_then(|filter| filter.provider.as_deref())
        {
            rules::filter_text(provider, 32, "provider").gql()?;
        }
        let filter = filter.map_or_else(payments::PaymentFilter::default, |filter| {
            payments::PaymentFilter {
                customer_id: filter.customer_id.as_ref().map(input_id),
                method: filter.method.map(Into::into),
                needs_review: filter.needs_review,
                provider: filter.provider,
            }
        });
        let select = payments::filtered(viewer.organization_id, &filter);
        Ok(list(
            ctx,
            first,
            after,
            select,
            &payments::ORDER,
            prefetch::payments,
            Payment,
        )
        .await?
        .into())
    }
}

/// The payments area's mutations.
#[derive(Default)]
pub struct PaymentsMutation;

#[Object]
impl PaymentsMutation {
    /// COLLECTOR and up.
    async fn record_payment(
        &self,
        ctx: &Context<'_>,
        input: RecordPaymentInput,
    ) -> Result<RecordPaymentPayload> {
        let (app, viewer) = (ctx.app().gql()?, ctx.viewer().gql()?);
        let result = payments::record(
            app,
            viewer,
            payments::RecordPayment {
                customer_id: input_id(&input.customer_id),
                amount: input.amount.0,
                currency: input.currency,
                method: input.method.into(),
                received_at: input.received_at.map(|at| at.0),
                reference: input.reference,
                allocations: input.allocations.map(|allocations| {
                    allocations
                        .into_iter()
                        .map(|allocation| (input_id(&allocation.invoice_id), allocation.amount.0))
                        .collect()
                }),
            },
        )
        .await;
        RecordPaymentPayload::from_result(result.map(|recorded| Payment(recorded.payment)))
    }

    /// MANAGER and up: reverses a payment (a bounced cheque, a chargeback, a mistaken entry).
    /// The payment stays, marked reversed; its invoices are owed again from `reversedAt` on
    /// (reports as of an earlier day still count it). Reversing twice is refused.
    async fn reverse_payment(
        &self,
        ctx: &Context<'_>,
        input: ReversePaymentInput,
    ) -> Result<ReversePaymentPayload> {
        let (app, viewer) = (ctx.app().gql()?, ctx.viewer().gql()?);
        let result = payments::reverse(
            app,
            viewer,
            payments::ReversePayment {
                payment_id: input_id(&input.payment_id),
                reason: input.reason,
                reversed_at: input.reversed_at.map(|at| at.0),
            },
        )
        .await;
        ReversePaymentPayload::from_result(result.map(Payment))
    }
}
