use async_graphql::{Context, Enum, ID, Object, Result, SimpleObject};

use super::customer::Customer;
use super::id;
use super::invoice::Invoice;
use super::money::Money;
use super::payment::Payment;
use crate::domain::installments::MAX_INSTALLMENTS;
use crate::domain::money::Money as DomainMoney;
use crate::entities::payment_link;
use crate::error::{AppError, AppResult};
use crate::graphql::context::{ContextExt, load};
use crate::graphql::errors::GqlResultExt;
use crate::graphql::scalars::{DateTime, Decimal};
use crate::services::installment_tables::Terms;
use crate::services::rules::stored_currency;

use crate::graphql::area::*;

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
        customer_of(ctx, self.0.customer_id).await
    }

    /// The invoices the link pays, oldest due first.
    async fn invoices(&self, ctx: &Context<'_>) -> Result<Vec<Invoice>> {
        invoices_joined(
            ctx,
            load(ctx, |loaders| &loaders.invoices_of_link, self.0.id).await?,
        )
        .await
    }

    async fn max_installments(&self) -> i32 {
        self.0.max_installments
    }

    /// What the customer may choose from on the pay page.
    async fn installment_options(&self, ctx: &Context<'_>) -> Result<Vec<InstallmentOption>> {
        let max = u32::try_from(self.0.max_installments)
            .unwrap_or(1)
            .min(MAX_INSTALLMENTS);
        let terms = installment_terms(ctx, &self.0.provider).await?;
        let options = terms
            .options(self.amount_money().gql()?, max)
            .map_err(|_| AppError::Internal("installment overflow".into()))
            .gql()?;
        Ok(options.into_iter().map(InstallmentOption::from).collect())
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
        Ok(load(ctx, |loaders| &loaders.payment, payment_id)
            .await?
            .map(Payment))
    }

    async fn created_at(&self) -> DateTime {
        self.0.created_at.into()
    }
}

/// One row of the installment table a customer chooses from.
#[derive(SimpleObject)]
pub struct InstallmentOption {
    pub count: u32,
    /// Interest added to the amount, in percent.
    pub rate_percent: Decimal,
    /// What the card is charged in all.
    pub total: Money,
    /// Each installment; the first may carry a few kuruş more (the remainder of the division).
    pub per_installment: Money,
    pub first_installment: Money,
}

impl From<crate::domain::installments::InstallmentOption> for InstallmentOption {
    fn from(option: crate::domain::installments::InstallmentOption) -> Self {
        Self {
            count: option.count,
            rate_percent: Decimal(option.rate_percent),
            total: option.total.into(),
            per_installment: option.per_installment.into(),
            first_installment: option.first_installment.into(),
        }
    }
}

/// The payment links area's queries.
#[derive(Default)]
pub struct PaymentLinksQuery;

#[Object]
impl PaymentLinksQuery {
    async fn payment_link(&self, ctx: &Context<'_>, id: ID) -> Result<Option<PaymentLink>> {
        let Some(id) = parse_id(&id) else {
            return Ok(None);
        };
        Ok(load(ctx, |loaders| &loaders.payment_link, id)
            .await?
            .map(PaymentLink))
    }

    /// Payment links, newest first.
    #[graphql(complexity = "first.unwrap_or(20).max(1) as usize * child_complexity")]
    async fn payment_links(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many, 1 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the page before.")] after: Option<String>,
        filter: Option<PaymentLinkFilter>,
    ) -> Result<PaymentLinkConnection> {
        let viewer = ctx.viewer().gql()?;
        let filter = filter.map_or_else(payment_links::PaymentLinkFilter::default, |filter| {
            payment_links::PaymentLinkFilter {
                customer_id: filter.customer_id.as_ref().map(input_id),
                statuses: filter
                    .status
                    .map(|statuses| statuses.into_iter().map(Into::into).collect()),
            }
        });
        let select = payment_links::filtered(viewer.organization_id, &filter);
        Ok(list(
            ctx,
            first,
            after,
            select,
            &payment_links::ORDER,
            prefetch::payment_links,
            PaymentLink,
        )
        .await?
        .into())
    }

    /// What paying `amount` in installments costs, per installment count on offer.
    async fn installment_options(
        &self,
        ctx: &Context<'_>,
        amount: Decimal,
        currency: String,
        provider: Option<String>,
    ) -> Result<Vec<InstallmentOption>> {
        let app = ctx.app().gql()?;
        if let Some(provider) = provider.as_deref()
            && app.providers.get(provider).is_none()
        {
            return Err(AppError::BadRequest(format!(
                "provider {provider:?} is not enabled"
            )))
            .gql();
        }
        let money = rules::currency(&currency, &["currency"])
            .and_then(|currency| rules::positive_amount(amount.0, currency, &["amount"]))
            .map_err(|error| AppError::BadRequest(error.message))
            .gql()?;
        let provider = provider
            .or_else(|| app.providers.default_name().map(str::to_owned))
            .unwrap_or_default();
        let terms = installment_terms(ctx, &provider).await?;
        let options = terms
            .options(money, MAX_INSTALLMENTS)
            .map_err(|_| AppError::BadRequest("the amount is too large".into()))
            .gql()?;
        Ok(options.into_iter().map(InstallmentOption::from).collect())
    }
}

/// The payment links area's mutations.
#[derive(Default)]
pub struct PaymentLinksMutation;

#[Object]
impl PaymentLinksMutation {
    /// COLLECTOR and up: a card-payment link for open invoices of one customer.
    async fn create_payment_link(
        &self,
        ctx: &Context<'_>,
        input: CreatePaymentLinkInput,
    ) -> Result<CreatePaymentLinkPayload> {
        let (app, viewer) = (ctx.app().gql()?, ctx.viewer().gql()?);
        let result = payment_links::create(
            app,
            viewer,
            payment_links::NewPaymentLink {
                invoice_ids: input.invoice_ids.iter().flatten().map(input_id).collect(),
                plan_installment_ids: input
                    .plan_installment_ids
                    .iter()
                    .flatten()
                    .map(input_id)
                    .collect(),
                amount: input.amount.map(|amount| amount.0),
                max_installments: input.max_installments,
                provider: input.provider,
                expires_in_hours: input.expires_in_hours,
            },
        )
        .await;
        CreatePaymentLinkPayload::from_result(result.map(PaymentLink))
    }

    /// COLLECTOR and up: mails the link to the customer (delivered by the outbox worker).
    async fn send_payment_link(
        &self,
        ctx: &Context<'_>,
        input: SendPaymentLinkInput,
    ) -> Result<SendPaymentLinkPayload> {
        let (app, viewer) = (ctx.app().gql()?, ctx.viewer().gql()?);
        let result = payment_links::send(app, viewer, input_id(&input.id), input.email).await;
        SendPaymentLinkPayload::from_result(result.map(PaymentLink))
    }

    /// COLLECTOR and up: withdraws an active link.
    async fn cancel_payment_link(
        &self,
        ctx: &Context<'_>,
        input: CancelPaymentLinkInput,
    ) -> Result<CancelPaymentLinkPayload> {
        let (app, viewer) = (ctx.app().gql()?, ctx.viewer().gql()?);
        let result = payment_links::cancel(app, viewer, input_id(&input.id)).await;
        CancelPaymentLinkPayload::from_result(result.map(PaymentLink))
    }
}

/// The viewer's organization's installment terms at `provider`, through the request's loader.
async fn installment_terms(ctx: &Context<'_>, provider: &str) -> Result<Terms> {
    let app = ctx.app().gql()?;
    let table = ctx
        .loaders()
        .gql()?
        .installment_table
        .load_one(provider.to_owned())
        .await
        .gql()?
        .flatten();
    match table {
        None => Ok(Terms::default_for(app)),
        Some(table) => Terms::from_row(&table).gql(),
    }
}
