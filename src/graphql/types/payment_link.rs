use async_graphql::{Context, Enum, ID, Object, Result};

use super::customer::Customer;
use super::id;
use super::invoice::Invoice;
use super::money::Money;
use super::payment::Payment;
use crate::domain::installments::MAX_INSTALLMENTS;
use crate::domain::money::Money as DomainMoney;
use crate::entities::payment_link;
use crate::error::{AppError, AppResult};
use crate::graphql::context::ContextExt;
use crate::graphql::errors::GqlResultExt;
use crate::graphql::query::InstallmentOption;
use crate::graphql::scalars::{DateTime, Decimal};
use crate::services::rules::stored_currency;

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::domain::payment_link::PaymentLinkStatus")]
pub enum PaymentLinkStatus {
    Active,
    Paid,
    Expired,
    Cancelled,
}

/// A card-payment page for some of a customer's invoices, sent to the customer by mail.
pub struct PaymentLink(pub payment_link::Model);

impl PaymentLink {
    fn amount_money(&self) -> AppResult<DomainMoney> {
        Ok(DomainMoney::from_minor(
            self.0.amount_minor,
            stored_currency(&self.0.currency)?,
        ))
    }
}

#[Object]
impl PaymentLink {
    async fn id(&self) -> ID {
        id(self.0.id)
    }

    /// The customer's page: `{TAHSILAT_PUBLIC_URL}/pay/{token}`. Whoever has it can pay.
    async fn url(&self, ctx: &Context<'_>) -> Result<String> {
        Ok(format!(
            "{}/pay/{}",
            ctx.app().gql()?.config.public_url,
            self.0.token
        ))
    }

    /// The provider's hosted card page the customer is sent on to.
    async fn provider_url(&self) -> Option<&str> {
        self.0.provider_url.as_deref()
    }

    async fn provider(&self) -> &str {
        &self.0.provider
    }

    async fn provider_link_id(&self) -> Option<&str> {
        self.0.provider_link_id.as_deref()
    }

    async fn status(&self) -> PaymentLinkStatus {
        self.0.status.into()
    }

    /// What the invoices are credited when the link is paid (installment interest comes on top).
    async fn amount(&self) -> Result<Money> {
        Ok(self.amount_money().gql()?.into())
    }

    async fn customer(&self, ctx: &Context<'_>) -> Result<Customer> {
        ctx.loaders()
            .gql()?
            .customer
            .load_one(self.0.customer_id)
            .await
            .gql()?
            .map(Customer)
            .ok_or_else(|| AppError::Internal("link without its customer".into()))
            .gql()
    }

    /// The invoices the link pays, oldest due first.
    async fn invoices(&self, ctx: &Context<'_>) -> Result<Vec<Invoice>> {
        let loaders = ctx.loaders().gql()?;
        let rows = loaders
            .invoices_of_link
            .load_one(self.0.id)
            .await
            .gql()?
            .unwrap_or_default();
        let mut found = loaders
            .invoice
            .load_many(rows.iter().map(|row| row.invoice_id))
            .await
            .gql()?;
        let mut invoices: Vec<_> = rows
            .iter()
            .filter_map(|row| found.remove(&row.invoice_id))
            .collect();
        invoices.sort_by_key(|invoice| (invoice.due_date, invoice.id));
        Ok(invoices.into_iter().map(Invoice).collect())
    }

    async fn max_installments(&self) -> i32 {
        self.0.max_installments
    }

    /// What the customer may choose from on the pay page.
    async fn installment_options(&self, ctx: &Context<'_>) -> Result<Vec<InstallmentOption>> {
        let app = ctx.app().gql()?;
        let max = u32::try_from(self.0.max_installments)
            .unwrap_or(1)
            .min(MAX_INSTALLMENTS);
        let options = app
            .config
            .installment_rates
            .options(self.amount_money().gql()?, max)
            .map_err(|_| AppError::Internal("installment overflow".into()))
            .gql()?;
        Ok(options
            .into_iter()
            .map(|option| InstallmentOption {
                count: option.count,
                rate_percent: Decimal(option.rate_percent),
                total: option.total.into(),
                per_installment: option.per_installment.into(),
                first_installment: option.first_installment.into(),
            })
            .collect())
    }

    async fn expires_at(&self) -> DateTime {
        self.0.expires_at.into()
    }

    async fn paid_at(&self) -> Option<DateTime> {
        self.0.paid_at.map(DateTime)
    }

    /// The payment the link brought in.
    async fn payment(&self, ctx: &Context<'_>) -> Result<Option<Payment>> {
        let Some(payment_id) = self.0.payment_id else {
            return Ok(None);
        };
        Ok(ctx
            .loaders()
            .gql()?
            .payment
            .load_one(payment_id)
            .await
            .gql()?
            .map(Payment))
    }

    async fn created_at(&self) -> DateTime {
        self.0.created_at.into()
    }
}
