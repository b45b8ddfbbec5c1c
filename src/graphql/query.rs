//! The query root.

use std::sync::Arc;

use async_graphql::{Context, ID, Object, Result, SimpleObject};
use uuid::Uuid;

use super::connection::{
    ActivityConnection, Connection, Counter, CustomerConnection, InvoiceConnection,
    PaymentConnection, PaymentLinkConnection,
};
use super::context::ContextExt;
use super::errors::GqlResultExt;
use super::inputs::{
    ActivityFilter, CustomerFilter, InvoiceFilter, PaymentFilter, PaymentLinkFilter,
};
use super::prefetch;
use super::scalars::Decimal;
use super::types::activity::Activity;
use super::types::customer::Customer;
use super::types::invoice::Invoice;
use super::types::money::Money;
use super::types::parse_id;
use super::types::payment::Payment;
use super::types::payment_link::PaymentLink;
use super::types::user::UsersQuery;
use crate::db::Db;
use crate::domain::installments::MAX_INSTALLMENTS;
use crate::error::AppError;
use crate::services::listing::PageRequest;
use crate::services::{activities, customers, invoices, payment_links, payments, rules};

/// The schema's query root: each area's queries, merged.
#[derive(async_graphql::MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(CoreQuery, UsersQuery);

/// Customers, invoices, payments, links and the activity log (to be split by area in turn).
#[derive(Default)]
pub struct CoreQuery;

/// The longest customer search accepted.
pub const MAX_SEARCH: usize = 200;

/// An id that matches nothing, for malformed ids in filters.
fn filter_id(id: &ID) -> Uuid {
    parse_id(id).unwrap_or(Uuid::nil())
}

fn counter<E: sea_orm::EntityTrait>(db: &Db, select: sea_orm::Select<E>) -> Counter
where
    E::Model: Send + Sync,
{
    use sea_orm::PaginatorTrait;
    let db = db.clone();
    Arc::new(move || {
        let (db, select) = (db.clone(), select.clone());
        Box::pin(async move { Ok(select.count(db.reader()).await?) })
    })
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

#[Object]
impl CoreQuery {
    async fn customer(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Customer>> {
        let Some(id) = parse_id(&id) else {
            return Ok(None);
        };
        Ok(ctx
            .loaders()
            .gql()?
            .customer
            .load_one(id)
            .await
            .gql()?
            .map(Customer))
    }

    /// Customers by name.
    #[graphql(complexity = "first.unwrap_or(20).max(1) as usize * child_complexity")]
    async fn customers(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<CustomerFilter>,
    ) -> Result<CustomerConnection> {
        let app = ctx.app().gql()?;
        let viewer = ctx.viewer().gql()?;
        let request = PageRequest::new(first, after.as_deref()).gql()?;
        let search = match filter.as_ref().and_then(|filter| filter.search.as_deref()) {
            Some(search) => Some(rules::filter_text(search, MAX_SEARCH, "search").gql()?),
            None => None,
        };
        let filter = filter.map_or_else(customers::CustomerFilter::default, |filter| {
            customers::CustomerFilter {
                search,
                assigned_collector_id: filter.assigned_collector_id.as_ref().map(filter_id),
                has_overdue: filter.has_overdue,
            }
        });
        let select = customers::filtered(viewer.organization_id, &filter, app.clock.today());
        let page = customers::page(&app.db, select.clone(), &request)
            .await
            .gql()?;
        let rows = page.items.iter().map(|(_, row)| row.clone()).collect();
        let node = ctx.look_ahead().field("edges").field("node");
        prefetch::customers(&*ctx.loaders().gql()?, node, rows)
            .await
            .gql()?;
        Ok(Connection::new(page, &request, Customer, counter(&app.db, select)).into())
    }

    async fn invoice(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Invoice>> {
        let Some(id) = parse_id(&id) else {
            return Ok(None);
        };
        Ok(ctx
            .loaders()
            .gql()?
            .invoice
            .load_one(id)
            .await
            .gql()?
            .map(Invoice))
    }

    /// Invoices by due date, oldest first.
    #[graphql(complexity = "first.unwrap_or(20).max(1) as usize * child_complexity")]
    async fn invoices(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<InvoiceFilter>,
    ) -> Result<InvoiceConnection> {
        let app = ctx.app().gql()?;
        let viewer = ctx.viewer().gql()?;
        let request = PageRequest::new(first, after.as_deref()).gql()?;
        if let Some(currency) = filter
            .as_ref()
            .and_then(|filter| filter.currency.as_deref())
        {
            rules::filter_text(currency, 3, "currency").gql()?;
        }
        let filter = filter.map_or_else(invoices::InvoiceFilter::default, |filter| {
            invoices::InvoiceFilter {
                customer_id: filter.customer_id.as_ref().map(filter_id),
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
        let page = invoices::page(&app.db, select.clone(), &request)
            .await
            .gql()?;
        let rows = page.items.iter().map(|(_, row)| row.clone()).collect();
        let node = ctx.look_ahead().field("edges").field("node");
        prefetch::invoices(&*ctx.loaders().gql()?, node, rows)
            .await
            .gql()?;
        Ok(Connection::new(page, &request, Invoice, counter(&app.db, select)).into())
    }

    async fn payment(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Payment>> {
        let Some(id) = parse_id(&id) else {
            return Ok(None);
        };
        Ok(ctx
            .loaders()
            .gql()?
            .payment
            .load_one(id)
            .await
            .gql()?
            .map(Payment))
    }

    /// The activity log, newest first.
    #[graphql(complexity = "first.unwrap_or(20).max(1) as usize * child_complexity")]
    async fn activities(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<ActivityFilter>,
    ) -> Result<ActivityConnection> {
        let app = ctx.app().gql()?;
        let viewer = ctx.viewer().gql()?;
        let request = PageRequest::new(first, after.as_deref()).gql()?;
        let filter = filter.map_or_else(activities::ActivityFilter::default, |filter| {
            activities::ActivityFilter {
                customer_id: filter.customer_id.as_ref().map(filter_id),
                invoice_id: filter.invoice_id.as_ref().map(filter_id),
                actor_id: filter.actor_id.as_ref().map(filter_id),
                kinds: filter
                    .kinds
                    .map(|kinds| kinds.into_iter().map(Into::into).collect()),
            }
        });
        let select = activities::filtered(viewer.organization_id, &filter);
        let page = activities::page(&app.db, select.clone(), &request)
            .await
            .gql()?;
        let rows = page.items.iter().map(|(_, row)| row.clone()).collect();
        let node = ctx.look_ahead().field("edges").field("node");
        prefetch::activities(&*ctx.loaders().gql()?, node, rows)
            .await
            .gql()?;
        Ok(Connection::new(page, &request, Activity, counter(&app.db, select)).into())
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
        let app = ctx.app().gql()?;
        let viewer = ctx.viewer().gql()?;
        let request = PageRequest::new(first, after.as_deref()).gql()?;
        if let Some(provider) = filter
            .as_ref()
            .and_then(|filter| filter.provider.as_deref())
        {
            rules::filter_text(provider, 32, "provider").gql()?;
        }
        let filter = filter.map_or_else(payments::PaymentFilter::default, |filter| {
            payments::PaymentFilter {
                customer_id: filter.customer_id.as_ref().map(filter_id),
                method: filter.method.map(Into::into),
                needs_review: filter.needs_review,
                provider: filter.provider,
            }
        });
        let select = payments::filtered(viewer.organization_id, &filter);
        let page = payments::page(&app.db, select.clone(), &request)
            .await
            .gql()?;
        Ok(Connection::new(page, &request, Payment, counter(&app.db, select)).into())
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
        let app = ctx.app().gql()?;
        let viewer = ctx.viewer().gql()?;
        let request = PageRequest::new(first, after.as_deref()).gql()?;
        let filter = filter.map_or_else(payment_links::PaymentLinkFilter::default, |filter| {
            payment_links::PaymentLinkFilter {
                customer_id: filter.customer_id.as_ref().map(filter_id),
                statuses: filter
                    .status
                    .map(|statuses| statuses.into_iter().map(Into::into).collect()),
            }
        });
        let select = payment_links::filtered(viewer.organization_id, &filter);
        let page = payment_links::page(&app.db, select.clone(), &request)
            .await
            .gql()?;
        Ok(Connection::new(page, &request, PaymentLink, counter(&app.db, select)).into())
    }

    async fn payment_link(&self, ctx: &Context<'_>, id: ID) -> Result<Option<PaymentLink>> {
        let Some(id) = parse_id(&id) else {
            return Ok(None);
        };
        Ok(ctx
            .loaders()
            .gql()?
            .payment_link
            .load_one(id)
            .await
            .gql()?
            .map(PaymentLink))
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
        let options = app
            .config
            .installment_rates
            .options(money, MAX_INSTALLMENTS)
            .map_err(|_| AppError::BadRequest("the amount is too large".into()))
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
}
