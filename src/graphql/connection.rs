//! Relay connections: `edges { cursor node }`, `pageInfo`, and `totalCount`, counted only when
//! asked for.

use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, HashMapCache};
use async_graphql::{Object, Result, SimpleObject};
use futures_util::future::BoxFuture;

use super::context::ContextExt;
use super::errors::GqlResultExt;
use super::loaders::{ChildCounts, ChildPages, Loaders};
use super::prefetch;
use super::types::{
    activity::Activity, customer::Customer, dispute::Dispute, instrument::Instrument,
    invoice::Invoice, payment::Payment, payment_link::PaymentLink, plan::PaymentPlan,
    promise::Promise, providers::ProviderEvent, webhook::WebhookDelivery, webhook::WebhookEndpoint,
};
use crate::db::Db;
use crate::entities::{activity, invoice};
use crate::error::AppResult;
use crate::services::listing::{Keyset, Page, PageRequest};
use crate::services::scope::OrgScoped;

/// Counts the whole filtered list when `totalCount` is requested.
pub type Counter = Arc<dyn Fn() -> BoxFuture<'static, AppResult<u64>> + Send + Sync>;

/// Where a page sits in its list.
#[derive(SimpleObject, Clone)]
pub struct PageInfo {
    /// Whether more rows follow: pass `endCursor` as `after` for them.
    pub has_next_page: bool,
    /// Lists run forwards only; true when this page starts after a cursor.
    pub has_previous_page: bool,
    /// The first row's cursor.
    pub start_cursor: Option<String>,
    /// The last row's cursor: the `after` of the next page.
    pub end_cursor: Option<String>,
}

/// A page of nodes with their cursors, as the generic parts of a connection.
pub struct Connection<N> {
    edges: Vec<(String, N)>,
    page_info: PageInfo,
    counter: Counter,
}

impl<N> Connection<N> {
    pub fn new<M>(
        page: Page<M>,
        request: &PageRequest,
        node: impl Fn(M) -> N,
        counter: Counter,
    ) -> Self {
        let edges: Vec<(String, N)> = page
            .items
            .into_iter()
            .map(|(cursor, model)| (cursor.encode(), node(model)))
            .collect();
        let page_info = PageInfo {
            has_next_page: page.has_next,
            has_previous_page: request.after.is_some(),
            start_cursor: edges.first().map(|(cursor, _)| cursor.clone()),
            end_cursor: edges.last().map(|(cursor, _)| cursor.clone()),
        };
        Self {
            edges,
            page_info,
            counter,
        }
    }
}

macro_rules! connection {
    ($($node:ident => $connection:ident, $edge:ident;)*) => {$(
        pub struct $edge<'a>(&'a (String, $node));

        /// One row of a page, with the cursor that continues after it.
        #[Object]
        impl $edge<'_> {
            /// Pass as `after` to continue after this row.
            async fn cursor(&self) -> &str {
                &self.0.0
            }

            /// The row.
            async fn node(&self) -> &$node {
                &self.0.1
            }
        }

        pub struct $connection(pub Connection<$node>);

        impl From<Connection<$node>> for $connection {
            fn from(connection: Connection<$node>) -> Self {
                Self(connection)
            }
        }

        /// A page of a list (a Relay connection with keyset cursors).
        #[Object]
        impl $connection {
            /// The page's rows, in the list's order.
            async fn edges(&self) -> Vec<$edge<'_>> {
                self.0.edges.iter().map($edge).collect()
            }

            /// Whether more rows follow, and the cursors to continue.
            async fn page_info(&self) -> &PageInfo {
                &self.0.page_info
            }

            /// How many rows the whole list has, across all pages.
            async fn total_count(&self) -> Result<u64> {
                (self.0.counter)().await.gql()
            }
        }
    )*};
}

connection! {
    Customer => CustomerConnection, CustomerEdge;
    Invoice => InvoiceConnection, InvoiceEdge;
    Activity => ActivityConnection, ActivityEdge;
    Payment => PaymentConnection, PaymentEdge;
    PaymentLink => PaymentLinkConnection, PaymentLinkEdge;
    Dispute => DisputeConnection, DisputeEdge;
    Promise => PromiseConnection, PromiseEdge;
    PaymentPlan => PaymentPlanConnection, PaymentPlanEdge;
    Instrument => InstrumentConnection, InstrumentEdge;
    WebhookEndpoint => WebhookEndpointConnection, WebhookEndpointEdge;
    WebhookDelivery => WebhookDeliveryConnection, WebhookDeliveryEdge;
    ProviderEvent => ProviderEventConnection, ProviderEventEdge;
}

/// The loaders behind one kind of nested connection (a customer's invoices, an invoice's
/// activities…): its pages, its counts, and how its nodes' relations are prefetched.
pub struct Nested<E: sea_orm::EntityTrait> {
    pub pages: fn(&Loaders) -> &DataLoader<ChildPages<E>, HashMapCache>,
    pub counts: fn(&Loaders) -> &DataLoader<ChildCounts<E>, HashMapCache>,
    pub prefetch: prefetch::Prefetch<E::Model>,
}

pub const INVOICES_OF_CUSTOMER: Nested<invoice::Entity> = Nested {
    pages: |loaders| &loaders.invoices_of_customer,
    counts: |loaders| &loaders.invoice_count_of_customer,
    prefetch: prefetch::invoices,
};

pub const ACTIVITIES_OF_CUSTOMER: Nested<activity::Entity> = Nested {
    pages: |loaders| &loaders.activities_of_customer,
    counts: |loaders| &loaders.activity_count_of_customer,
    prefetch: prefetch::activities,
};

pub const ACTIVITIES_OF_INVOICE: Nested<activity::Entity> = Nested {
    pages: |loaders| &loaders.activities_of_invoice,
    counts: |loaders| &loaders.activity_count_of_invoice,
    prefetch: prefetch::activities,
};

/// One page of a nested connection for `parent`, its nodes' relations prefetched, its
/// `totalCount` counted only when asked for.
pub async fn nested<E, N>(
    ctx: &async_graphql::Context<'_>,
    parent: uuid::Uuid,
    first: Option<i32>,
    after: Option<String>,
    kind: Nested<E>,
    node: fn(E::Model) -> N,
) -> Result<Connection<N>>
where
    E: OrgScoped + Default + Send + Sync + 'static,
    E::Model: Send + Sync + Clone + 'static,
    E::Column: Send + Sync,
{
    let request = PageRequest::new(first, after.as_deref()).gql()?;
    let loaders = ctx.loaders().gql()?;
    let page = (kind.pages)(&loaders)
        .load_one((parent, request.clone()))
        .await
        .gql()?
        .unwrap_or(Page {
            items: Vec::new(),
            has_next: false,
        });
    let rows = page.items.iter().map(|(_, row)| row.clone()).collect();
    (kind.prefetch)(
        &loaders,
        ctx.look_ahead().field("edges").field("node"),
        rows,
    )
    .await
    .gql()?;
    let counts = kind.counts;
    let counter: Counter = Arc::new(move || {
        let loaders = loaders.clone();
        Box::pin(async move { Ok(counts(&loaders).load_one(parent).await?.unwrap_or(0)) })
    });
    Ok(Connection::new(page, &request, node, counter))
}

/// Counts the whole filtered selection, when `totalCount` asks.
pub fn counter<E: sea_orm::EntityTrait>(db: &Db, select: sea_orm::Select<E>) -> Counter
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

/// A top-level list: one keyset page of `select` in `order`, its nodes' selected relations
/// prefetched, and a `totalCount` that counts the whole selection only when asked for.
pub async fn list<E, N>(
    ctx: &async_graphql::Context<'_>,
    first: Option<i32>,
    after: Option<String>,
    select: sea_orm::Select<E>,
    order: &Keyset<E>,
    prefetch: prefetch::Prefetch<E::Model>,
    node: fn(E::Model) -> N,
) -> Result<Connection<N>>
where
    E: sea_orm::EntityTrait,
    E::Model: Send + Sync + Clone,
{
    let app = ctx.app().gql()?;
    let request = PageRequest::new(first, after.as_deref()).gql()?;
    let page = order
        .page(app.db.reader(), select.clone(), &request)
        .await
        .gql()?;
    let rows = page.items.iter().map(|(_, row)| row.clone()).collect();
    let loaders = ctx.loaders().gql()?;
    prefetch(
        &loaders,
        ctx.look_ahead().field("edges").field("node"),
        rows,
    )
    .await
    .gql()?;
    Ok(Connection::new(
        page,
        &request,
        node,
        counter(&app.db, select),
    ))
}
