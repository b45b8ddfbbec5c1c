//! Loads a list's relations level by level before its fields resolve.
//!
//! A list resolver walks its selection once (`look_ahead`) and loads each selected relation for
//! the whole page with one `load_many`, level by level; the fields then find everything in the
//! loaders' caches. A page costs one statement per relation it shows, however many rows it has,
//! and no time is spent waiting for sibling resolvers to ask for their keys.

use std::collections::HashSet;

use async_graphql::dataloader::{DataLoader, HashMapCache};
use async_graphql::{Lookahead, Value};
use futures_util::future::BoxFuture;
use uuid::Uuid;

use super::connection::{
    ACTIVITIES_OF_CUSTOMER, ACTIVITIES_OF_INVOICE, INVOICES_OF_CUSTOMER, Nested,
};
use super::loaders::{ById, ChildPages, Loaders};
use crate::entities::{activity, customer, invoice, payment, user};
use crate::error::AppResult;
use crate::services::listing::PageRequest;
use crate::services::scope::OrgScoped;

/// A prefetch walk for rows of one kind.
pub type Prefetch<M> =
    for<'a> fn(&'a Loaders, Lookahead<'a>, Vec<M>) -> BoxFuture<'a, AppResult<()>>;

fn unique(ids: impl IntoIterator<Item = Uuid>) -> Vec<Uuid> {
    let mut seen = HashSet::new();
    ids.into_iter().filter(|id| seen.insert(*id)).collect()
}

/// The page each selection of a nested connection asks for (aliases may ask for several).
fn page_requests(selection: &Lookahead<'_>) -> Vec<PageRequest> {
    selection
        .selection_fields()
        .iter()
        .filter_map(|field| {
            let arguments = field.arguments().ok()?;
            let argument = |name: &str| {
                arguments
                    .iter()
                    .find(|(key, _)| key.as_str() == name)
                    .map(|(_, value)| value)
            };
            let first = match argument("first") {
                Some(Value::Number(number)) => Some(i32::try_from(number.as_i64()?).ok()?),
                _ => None,
            };
            let after = match argument("after") {
                Some(Value::String(cursor)) => Some(cursor.as_str()),
                _ => None,
            };
            PageRequest::new(first, after).ok()
        })
        .collect()
}

/// The rows of every page a nested connection's selections ask for, for all parents at once.
async fn pages_of<E>(
    loader: &DataLoader<ChildPages<E>, HashMapCache>,
    parents: &[Uuid],
    selection: &Lookahead<'_>,
) -> AppResult<Vec<E::Model>>
where
    E: OrgScoped + Default + Send + Sync + 'static,
    E::Model: Send + Sync + Clone + 'static,
    E::Column: Send + Sync,
{
    let mut rows = Vec::new();
    for request in page_requests(selection) {
        let pages = loader
            .load_many(parents.iter().map(|id| (*id, request.clone())))
            .await?;
        rows.extend(
            pages
                .into_values()
                .flat_map(|page| page.items.into_iter().map(|(_, row)| row)),
        );
    }
    Ok(rows)
}

/// Loads what a to-one relation `field` points at, for the whole page, and walks on into it.
async fn to_one<'a, E>(
    loader: &'a DataLoader<ById<E>, HashMapCache>,
    loaders: &'a Loaders,
    node: &Lookahead<'a>,
    field: &str,
    ids: impl IntoIterator<Item = Uuid>,
    walk: Prefetch<E::Model>,
) -> AppResult<()>
where
    E: OrgScoped + Send + Sync + 'static,
    E::Model: Send + Sync + Clone + 'static,
{
    let selected = node.field(field);
    if selected.exists() {
        let found = loader.load_many(unique(ids)).await?;
        walk(loaders, selected, found.into_values().collect()).await?;
    }
    Ok(())
}

/// Loads the pages a nested connection `field` asks for, for every parent at once, walks on
/// into their rows, and counts them when `totalCount` is asked for.
async fn nested_pages<'a, E>(
    loaders: &'a Loaders,
    node: &Lookahead<'a>,
    field: &str,
    parents: &[Uuid],
    kind: Nested<E>,
) -> AppResult<()>
where
    E: OrgScoped + Default + Send + Sync + 'static,
    E::Model: Send + Sync + Clone + 'static,
    E::Column: Send + Sync,
{
    let selected = node.field(field);
    if selected.exists() {
        let found = pages_of((kind.pages)(loaders), parents, &selected).await?;
        (kind.prefetch)(loaders, selected.field("edges").field("node"), found).await?;
        if selected.field("totalCount").exists() {
            (kind.counts)(loaders)
                .load_many(parents.iter().copied())
                .await?;
        }
    }
    Ok(())
}

pub fn invoices<'a>(
    loaders: &'a Loaders,
    node: Lookahead<'a>,
    rows: Vec<invoice::Model>,
) -> BoxFuture<'a, AppResult<()>> {
    Box::pin(async move {
        if rows.is_empty() {
            return Ok(());
        }
        let ids = unique(rows.iter().map(|row| row.id));
        to_one(
            &loaders.customer,
            loaders,
            &node,
            "customer",
            rows.iter().map(|row| row.customer_id),
            customers,
        )
        .await?;
        let selected = node.field("payments");
        if selected.exists() {
            let allocations = loaders
                .allocations_of_invoice
                .load_many(ids.iter().copied())
                .await?;
            let payment_ids = unique(
                allocations
                    .values()
                    .flatten()
                    .map(|allocation| allocation.payment_id),
            );
            let found = loaders.payment.load_many(payment_ids).await?;
            payments(loaders, selected, found.into_values().collect()).await?;
        }
        if node.field("paymentLinks").exists() {
            let joins = loaders
                .links_of_invoice
                .load_many(ids.iter().copied())
                .await?;
            loaders
                .payment_link
                .load_many(unique(joins.values().flatten().map(|join| join.link_id)))
                .await?;
        }
        nested_pages(loaders, &node, "activities", &ids, ACTIVITIES_OF_INVOICE).await?;
        Ok(())
    })
}

pub fn customers<'a>(
    loaders: &'a Loaders,
    node: Lookahead<'a>,
    rows: Vec<customer::Model>,
) -> BoxFuture<'a, AppResult<()>> {
    Box::pin(async move {
        if rows.is_empty() {
            return Ok(());
        }
        let ids = unique(rows.iter().map(|row| row.id));
        if node.field("openBalance").exists() || node.field("overdueBalance").exists() {
            loaders.balances.load_many(ids.iter().copied()).await?;
        }
        if node.field("contacts").exists() {
            loaders
                .contacts_of_customer
                .load_many(ids.iter().copied())
                .await?;
        }
        to_one(
            &loaders.user,
            loaders,
            &node,
            "assignedCollector",
            rows.iter().filter_map(|row| row.assigned_collector_id),
            users,
        )
        .await?;
        nested_pages(loaders, &node, "invoices", &ids, INVOICES_OF_CUSTOMER).await?;
        nested_pages(loaders, &node, "activities", &ids, ACTIVITIES_OF_CUSTOMER).await?;
        Ok(())
    })
}

pub fn payments<'a>(
    loaders: &'a Loaders,
    node: Lookahead<'a>,
    rows: Vec<payment::Model>,
) -> BoxFuture<'a, AppResult<()>> {
    Box::pin(async move {
        if rows.is_empty() {
            return Ok(());
        }
        let ids = unique(rows.iter().map(|row| row.id));
        to_one(
            &loaders.customer,
            loaders,
            &node,
            "customer",
            rows.iter().map(|row| row.customer_id),
            customers,
        )
        .await?;
        let selected = node.field("allocations");
        if selected.exists() || node.field("unappliedAmount").exists() {
            let allocations = loaders
                .allocations_of_payment
                .load_many(ids.iter().copied())
                .await?;
            let invoice = selected.field("invoice");
            if invoice.exists() {
                let invoice_ids = unique(
                    allocations
                        .values()
                        .flatten()
                        .map(|allocation| allocation.invoice_id),
                );
                let found = loaders.invoice.load_many(invoice_ids).await?;
                invoices(loaders, invoice, found.into_values().collect()).await?;
            }
        }
        to_one(
            &loaders.user,
            loaders,
            &node,
            "recordedBy",
            rows.iter().filter_map(|row| row.recorded_by),
            users,
        )
        .await?;
        Ok(())
    })
}

pub fn activities<'a>(
    loaders: &'a Loaders,
    node: Lookahead<'a>,
    rows: Vec<activity::Model>,
) -> BoxFuture<'a, AppResult<()>> {
    Box::pin(async move {
        if rows.is_empty() {
            return Ok(());
        }
        to_one(
            &loaders.customer,
            loaders,
            &node,
            "customer",
            rows.iter().map(|row| row.customer_id),
            customers,
        )
        .await?;
        to_one(
            &loaders.invoice,
            loaders,
            &node,
            "invoice",
            rows.iter().filter_map(|row| row.invoice_id),
            invoices,
        )
        .await?;
        to_one(
            &loaders.user,
            loaders,
            &node,
            "actor",
            rows.iter().filter_map(|row| row.actor_user_id),
            users,
        )
        .await?;
        Ok(())
    })
}

pub fn users<'a>(
    loaders: &'a Loaders,
    node: Lookahead<'a>,
    rows: Vec<user::Model>,
) -> BoxFuture<'a, AppResult<()>> {
    Box::pin(async move {
        if node.field("organization").exists() {
            loaders
                .organization
                .load_many(unique(rows.iter().map(|row| row.organization_id)))
                .await?;
        }
        Ok(())
    })
}
