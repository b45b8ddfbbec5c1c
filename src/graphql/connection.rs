//! Relay connections: `edges { cursor node }`, `pageInfo`, and `totalCount`, counted only when
//! asked for.

use std::sync::Arc;

use async_graphql::{Object, Result, SimpleObject};
use futures_util::future::BoxFuture;

use super::errors::GqlResultExt;
use super::types::{activity::Activity, customer::Customer, invoice::Invoice};
use crate::error::AppResult;
use crate::services::listing::{Page, PageRequest};

/// Counts the whole filtered list when `totalCount` is requested.
pub type Counter = Arc<dyn Fn() -> BoxFuture<'static, AppResult<u64>> + Send + Sync>;

#[derive(SimpleObject, Clone)]
pub struct PageInfo {
    pub has_next_page: bool,
    /// Lists run forwards only; true when this page starts after a cursor.
    pub has_previous_page: bool,
    pub start_cursor: Option<String>,
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

        #[Object]
        impl $edge<'_> {
            /// Pass as `after` to continue after this row.
            async fn cursor(&self) -> &str {
                &self.0.0
            }

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

        #[Object]
        impl $connection {
            async fn edges(&self) -> Vec<$edge<'_>> {
                self.0.edges.iter().map($edge).collect()
            }

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
}
