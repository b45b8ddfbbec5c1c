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
use crate::error::AppResult;
use crate::graphql::connection::{ACTIVITIES_OF_INVOICE, ActivityConnection, nested};
use crate::graphql::context::{ContextExt, load};
use crate::graphql::errors::GqlResultExt;
use crate::graphql::prefetch;
use crate::graphql::scalars::{Date, DateTime};
use crate::services::rules::stored_currency;

use crate::graphql::area::*;

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

/// A bill a customer owes, in one currency: its total, what was paid, and how late it is.
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
        customer_of(ctx, self.0.customer_id).await
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

    /// When payment is expected (UTC day): the date of an open promise covering the invoice;
    /// else the due date plus the customer's typical lateness (the median days late of their
    /// last 12 paid invoices, 0 without history); never before today. Null once nothing is owed.
    async fn expected_payment_date(&self, ctx: &Context<'_>) -> Result<Option<Date>> {
        let Some(key) = crate::graphql::prefetch::expected_date_key(&self.0) else {
            return Ok(None);
        };
        let loaders = ctx.loaders().gql()?;
        let date = loaders.expected_date.load_one(key).await.gql()?;
        Ok(date.map(Date))
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

    /// Disputes on this invoice, oldest first; `disputed` is true while one is open.
    async fn disputes(&self, ctx: &Context<'_>) -> Result<Vec<super::dispute::Dispute>> {
        let found = load(ctx, |loaders| &loaders.disputes_of_invoice, self.0.id).await?;
        Ok(found
            .unwrap_or_default()
            .into_iter()
            .map(super::dispute::Dispute)
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

/// The invoices area's queries.
#[derive(Default)]
pub struct InvoicesQuery;

#[Object]
impl InvoicesQuery {
    async fn invoice(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Invoice>> {
        let Some(id) = parse_id(&id) else {
            return Ok(None);
        };
        Ok(load(ctx, |loaders| &loaders.invoice, id)
            .await?
            .map(Invoice))
    }

    /// Invoices by due date, oldest first.
    #[graphql(complexity = "first.unwrap_or(20).max(1) as usize * child_complexity")]
    async fn invoices(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many, 1 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the page before.")] after: Option<String>,
        filter: Option<InvoiceFilter>,
    ) -> Result<InvoiceConnection> {
        let app = ctx.app().gql()?;
        let viewer = ctx.viewer().gql()?;
        if let Some(currency) = filter
            .as_ref()
            .and_then(|filter| filter.currency.as_deref())
        {
            rules::filter_text(currency, 3, "currency").gql()?;
        }
        let filter = filter.map_or_else(invoices::InvoiceFilter::default, |filter| {
            invoices::InvoiceFilter {
                customer_id: filter.customer_id.as_ref().map(input_id),
                statuses: filter
                    .status
                    .map(|statuses| statuses.into_iter().map(Into::into).collect()),
                overdue: filter.overdue,
                due_from: filter.due_from.map(|date| date.0),
                due_to: filter.due_to.map(|date| date.0),
                currency: filter.currency,
            }
        });
        let select = invoices::filtered(viewer.organization_id, &filter, app.clock.today());
        Ok(list(
            ctx,
            first,
            after,
            select,
            &invoices::ORDER,
            prefetch::invoices,
            Invoice,
        )
        .await?
        .into())
    }
}

/// The invoices area's mutations.
#[derive(Default)]
pub struct InvoicesMutation;

#[Object]
impl InvoicesMutation {
    /// MANAGER or ADMIN.
    async fn create_invoice(
        &self,
        ctx: &Context<'_>,
        input: CreateInvoiceInput,
    ) -> Result<CreateInvoicePayload> {
        let (app, viewer) = (ctx.app().gql()?, ctx.viewer().gql()?);
        let result = invoices::create(
            &app.db,
            app.clock.as_ref(),
            viewer,
            invoices::NewInvoice {
                customer_id: input_id(&input.customer_id),
                number: input.number,
                external_ref: input.external_ref,
                issue_date: input.issue_date.0,
                due_date: input.due_date.map(|date| date.0),
                currency: input.currency,
                total: input.total.0,
                description: input.description,
            },
        )
        .await;
        CreateInvoicePayload::from_result(result.map(Invoice))
    }

    /// MANAGER or ADMIN: the due date, description or external reference; logged as
    /// INVOICE_UPDATED with what changed.
    async fn update_invoice(
        &self,
        ctx: &Context<'_>,
        input: UpdateInvoiceInput,
    ) -> Result<UpdateInvoicePayload> {
        let (app, viewer) = (ctx.app().gql()?, ctx.viewer().gql()?);
        let changes = invoices::InvoiceChanges {
            due_date: input.due_date.map(|date| date.0),
            description: change(input.description, |text| text),
            external_ref: change(input.external_ref, |text| text),
        };
        let result = invoices::update(app, viewer, input_id(&input.id), changes).await;
        UpdateInvoicePayload::from_result(result.map(Invoice))
    }

    /// MANAGER or ADMIN. Refused for an invoice that has received payments.
    async fn void_invoice(
        &self,
        ctx: &Context<'_>,
        input: VoidInvoiceInput,
    ) -> Result<VoidInvoicePayload> {
        let (app, viewer) = (ctx.app().gql()?, ctx.viewer().gql()?);
        let result = invoices::void(app, viewer, input_id(&input.id), &input.reason).await;
        VoidInvoicePayload::from_result(result.map(Invoice))
    }
}
