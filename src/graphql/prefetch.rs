//! Loads a list's relations level by level before its fields resolve.
//!
//! A list resolver walks its selection once (`look_ahead`) and loads each selected relation for
//! the whole page with one `load_many`, level by level; the fields then find everything in the
//! loaders' caches. A page costs one statement per relation it shows, however many rows it has,
//! and no time is spent waiting for sibling resolvers to ask for their keys.
//!
//! How to add a relation to a type:
//! 1. give [`Loaders`] a loader for it (`ById` for a to-one relation, `Children` for rows that
//!    point back at the parent, `ChildPages`/`ChildCounts` for a nested connection);
//! 2. resolve the field through that loader (`context::load`, or `connection::nested`);
//! 3. add a row here: a to-one relation goes in the type's `*_TO_ONE` table (field name, the
//!    key on the row, and the walker of the rows it points at); anything else gets a few lines
//!    in the type's walker. The statement-count tests then prove the page costs no more.

use std::collections::HashSet;

use async_graphql::dataloader::{DataLoader, HashMapCache};
use async_graphql::{Lookahead, Value};
use futures_util::future::BoxFuture;
use uuid::Uuid;

use super::connection::{
    ACTIVITIES_OF_CUSTOMER, ACTIVITIES_OF_INVOICE, INVOICES_OF_CUSTOMER, Nested,
};
use super::loaders::{ById, ChildPages, Loaders};
use crate::entities::{
    activity, customer, dispute, instrument, invoice, payment, payment_link, payment_plan, promise,
    task, user,
};
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

/// A to-one relation: the field that shows it, the key on the row, and how to load and walk the
/// rows it points at.
struct ToOne<M> {
    field: &'static str,
    key: fn(&M) -> Option<Uuid>,
    walk: for<'a> fn(&'a Loaders, Lookahead<'a>, Vec<Uuid>) -> BoxFuture<'a, AppResult<()>>,
}

/// Loads every selected to-one relation of `rows` in `table`, and walks on into each.
async fn to_one_all<'a, M>(
    loaders: &'a Loaders,
    node: &Lookahead<'a>,
    rows: &[M],
    table: &[ToOne<M>],
) -> AppResult<()> {
    for relation in table {
        let selected = node.field(relation.field);
        if selected.exists() {
            let ids = unique(rows.iter().filter_map(relation.key));
            (relation.walk)(loaders, selected, ids).await?;
        }
    }
    Ok(())
}

/// Rows by id through a `ById` loader, then their own walk.
async fn by_id<'a, E>(
    loader: &'a DataLoader<ById<E>, HashMapCache>,
    loaders: &'a Loaders,
    node: Lookahead<'a>,
    ids: Vec<Uuid>,
    walk: Prefetch<E::Model>,
) -> AppResult<()>
where
    E: OrgScoped + Send + Sync + 'static,
    E::Model: Send + Sync + Clone + 'static,
{
    let found = loader.load_many(ids).await?;
    walk(loaders, node, found.into_values().collect()).await
}

fn customers_by_id<'a>(
    loaders: &'a Loaders,
    node: Lookahead<'a>,
    ids: Vec<Uuid>,
) -> BoxFuture<'a, AppResult<()>> {
    Box::pin(by_id(&loaders.customer, loaders, node, ids, customers))
}

fn invoices_by_id<'a>(
    loaders: &'a Loaders,
    node: Lookahead<'a>,
    ids: Vec<Uuid>,
) -> BoxFuture<'a, AppResult<()>> {
    Box::pin(by_id(&loaders.invoice, loaders, node, ids, invoices))
}

fn payments_by_id<'a>(
    loaders: &'a Loaders,
    node: Lookahead<'a>,
    ids: Vec<Uuid>,
) -> BoxFuture<'a, AppResult<()>> {
    Box::pin(by_id(&loaders.payment, loaders, node, ids, payments))
}

fn users_by_id<'a>(
    loaders: &'a Loaders,
    node: Lookahead<'a>,
    ids: Vec<Uuid>,
) -> BoxFuture<'a, AppResult<()>> {
    Box::pin(by_id(&loaders.user, loaders, node, ids, users))
}

const INVOICE_TO_ONE: &[ToOne<invoice::Model>] = &[ToOne {
    field: "customer",
    key: |row| Some(row.customer_id),
    walk: customers_by_id,
}];

const CUSTOMER_TO_ONE: &[ToOne<customer::Model>] = &[ToOne {
    field: "assignedCollector",
    key: |row| row.assigned_collector_id,
    walk: users_by_id,
}];

const PAYMENT_TO_ONE: &[ToOne<payment::Model>] = &[
    ToOne {
        field: "customer",
        key: |row| Some(row.customer_id),
        walk: customers_by_id,
    },
    ToOne {
        field: "recordedBy",
        key: |row| row.recorded_by,
        walk: users_by_id,
    },
];

const ACTIVITY_TO_ONE: &[ToOne<activity::Model>] = &[
    ToOne {
        field: "customer",
        key: |row| Some(row.customer_id),
        walk: customers_by_id,
    },
    ToOne {
        field: "invoice",
        key: |row| row.invoice_id,
        walk: invoices_by_id,
    },
    ToOne {
        field: "actor",
        key: |row| row.actor_user_id,
        walk: users_by_id,
    },
];

const DISPUTE_TO_ONE: &[ToOne<dispute::Model>] = &[
    ToOne {
        field: "invoice",
        key: |row| Some(row.invoice_id),
        walk: invoices_by_id,
    },
    ToOne {
        field: "openedBy",
        key: |row| row.opened_by,
        walk: users_by_id,
    },
];

const TASK_TO_ONE: &[ToOne<task::Model>] = &[
    ToOne {
        field: "customer",
        key: |row| Some(row.customer_id),
        walk: customers_by_id,
    },
    ToOne {
        field: "assignee",
        key: |row| row.assignee_id,
        walk: users_by_id,
    },
];

const PLAN_TO_ONE: &[ToOne<payment_plan::Model>] = &[ToOne {
    field: "customer",
    key: |row| Some(row.customer_id),
    walk: customers_by_id,
}];

/// A page of payment plans: their customers, installments, what is paid, and their invoices.
pub fn plans<'a>(
    loaders: &'a Loaders,
    node: Lookahead<'a>,
    rows: Vec<payment_plan::Model>,
) -> BoxFuture<'a, AppResult<()>> {
    Box::pin(async move {
        if rows.is_empty() {
            return Ok(());
        }
        to_one_all(loaders, &node, &rows, PLAN_TO_ONE).await?;
        let ids = unique(rows.iter().map(|row| row.id));
        if node.field("installments").exists() {
            loaders.installments_of_plan.load_many(ids.clone()).await?;
        }
        if node.field("installments").exists() || node.field("paid").exists() {
            loaders.plan_paid.load_many(ids.clone()).await?;
        }
        let selected = node.field("invoices");
        if selected.exists() {
            let joins = loaders.invoices_of_plan.load_many(ids).await?;
            let invoice_ids = unique(joins.values().flatten().map(|join| join.invoice_id));
            invoices_by_id(loaders, selected, invoice_ids).await?;
        }
        Ok(())
    })
}

const PROMISE_TO_ONE: &[ToOne<promise::Model>] = &[ToOne {
    field: "customer",
    key: |row| Some(row.customer_id),
    walk: customers_by_id,
}];

const PAYMENT_LINK_TO_ONE: &[ToOne<payment_link::Model>] = &[
    ToOne {
        field: "customer",
        key: |row| Some(row.customer_id),
        walk: customers_by_id,
    },
    ToOne {
        field: "payment",
        key: |row| row.payment_id,
        walk: payments_by_id,
    },
];

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
        to_one_all(loaders, &node, &rows, INVOICE_TO_ONE).await?;
        if node.field("expectedPaymentDate").exists() {
            let open = rows.iter().filter_map(expected_date_key);
            loaders.expected_date.load_many(open).await?;
        }
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
            payments_by_id(loaders, selected, payment_ids).await?;
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
        let selected = node.field("disputes");
        if selected.exists() {
            let found = loaders
                .disputes_of_invoice
                .load_many(ids.iter().copied())
                .await?;
            disputes(loaders, selected, found.into_values().flatten().collect()).await?;
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
        let exposure = node.field("exposure").exists();
        if node.field("openBalance").exists() || node.field("overdueBalance").exists() || exposure {
            loaders.balances.load_many(ids.iter().copied()).await?;
        }
        if exposure {
            loaders.uncleared.load_many(ids.iter().copied()).await?;
        }
        if node.field("paymentBehaviour").exists() {
            loaders.behaviour.load_many(ids.iter().copied()).await?;
        }
        if node.field("contacts").exists() {
            loaders
                .contacts_of_customer
                .load_many(ids.iter().copied())
                .await?;
        }
        let links = node.field("paymentLinks");
        if links.exists() {
            let found = loaders
                .links_of_customer
                .load_many(ids.iter().copied())
                .await?;
            payment_links(loaders, links, found.into_values().flatten().collect()).await?;
        }
        to_one_all(loaders, &node, &rows, CUSTOMER_TO_ONE).await?;
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
        to_one_all(loaders, &node, &rows, PAYMENT_TO_ONE).await?;
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
                invoices_by_id(loaders, invoice, invoice_ids).await?;
            }
        }
        Ok(())
    })
}

pub fn payment_links<'a>(
    loaders: &'a Loaders,
    node: Lookahead<'a>,
    rows: Vec<payment_link::Model>,
) -> BoxFuture<'a, AppResult<()>> {
    Box::pin(async move {
        if rows.is_empty() {
            return Ok(());
        }
        to_one_all(loaders, &node, &rows, PAYMENT_LINK_TO_ONE).await?;
        if node.field("installmentOptions").exists() {
            let providers: std::collections::BTreeSet<String> =
                rows.iter().map(|row| row.provider.clone()).collect();
            loaders.installment_table.load_many(providers).await?;
        }
        let selected = node.field("invoices");
        if selected.exists() {
            let joins = loaders
                .invoices_of_link
                .load_many(unique(rows.iter().map(|row| row.id)))
                .await?;
            let invoice_ids = unique(joins.values().flatten().map(|join| join.invoice_id));
            invoices_by_id(loaders, selected, invoice_ids).await?;
        }
        Ok(())
    })
}

pub fn disputes<'a>(
    loaders: &'a Loaders,
    node: Lookahead<'a>,
    rows: Vec<dispute::Model>,
) -> BoxFuture<'a, AppResult<()>> {
    Box::pin(async move { to_one_all(loaders, &node, &rows, DISPUTE_TO_ONE).await })
}

pub fn tasks<'a>(
    loaders: &'a Loaders,
    node: Lookahead<'a>,
    rows: Vec<task::Model>,
) -> BoxFuture<'a, AppResult<()>> {
    Box::pin(async move {
        if rows.is_empty() {
            return Ok(());
        }
        to_one_all(loaders, &node, &rows, TASK_TO_ONE).await?;
        let selected = node.field("invoices");
        if selected.exists() {
            let joins = loaders
                .invoices_of_task
                .load_many(unique(rows.iter().map(|row| row.id)))
                .await?;
            let invoice_ids = unique(joins.values().flatten().map(|join| join.invoice_id));
            invoices_by_id(loaders, selected, invoice_ids).await?;
        }
        Ok(())
    })
}

pub fn promises<'a>(
    loaders: &'a Loaders,
    node: Lookahead<'a>,
    rows: Vec<promise::Model>,
) -> BoxFuture<'a, AppResult<()>> {
    Box::pin(async move {
        if rows.is_empty() {
            return Ok(());
        }
        to_one_all(loaders, &node, &rows, PROMISE_TO_ONE).await?;
        let selected = node.field("invoices");
        if selected.exists() {
            let joins = loaders
                .invoices_of_promise
                .load_many(unique(rows.iter().map(|row| row.id)))
                .await?;
            let invoice_ids = unique(joins.values().flatten().map(|join| join.invoice_id));
            invoices_by_id(loaders, selected, invoice_ids).await?;
        }
        Ok(())
    })
}

pub fn activities<'a>(
    loaders: &'a Loaders,
    node: Lookahead<'a>,
    rows: Vec<activity::Model>,
) -> BoxFuture<'a, AppResult<()>> {
    Box::pin(async move { to_one_all(loaders, &node, &rows, ACTIVITY_TO_ONE).await })
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

/// The key an open invoice's expected payment date is loaded by; None once nothing is owed.
pub fn expected_date_key(
    row: &invoice::Model,
) -> Option<crate::services::analytics::behaviour::OpenInvoice> {
    use crate::domain::invoice::InvoiceStatus;
    matches!(
        row.status,
        InvoiceStatus::Open | InvoiceStatus::PartiallyPaid
    )
    .then_some(crate::services::analytics::behaviour::OpenInvoice {
        id: row.id,
        customer_id: row.customer_id,
        due_date: row.due_date,
    })
}

const INSTRUMENT_TO_ONE: &[ToOne<instrument::Model>] = &[
    ToOne {
        field: "customer",
        key: |row| Some(row.customer_id),
        walk: customers_by_id,
    },
    ToOne {
        field: "payment",
        key: |row| Some(row.payment_id),
        walk: payments_by_id,
    },
];

pub fn instruments<'a>(
    loaders: &'a Loaders,
    node: Lookahead<'a>,
    rows: Vec<instrument::Model>,
) -> BoxFuture<'a, AppResult<()>> {
    Box::pin(async move {
        if rows.is_empty() {
            return Ok(());
        }
        to_one_all(loaders, &node, &rows, INSTRUMENT_TO_ONE).await?;
        if node.field("history").exists() {
            loaders
                .history_of_instrument
                .load_many(unique(rows.iter().map(|row| row.id)))
                .await?;
        }
        Ok(())
    })
}
