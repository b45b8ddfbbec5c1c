//! What a resolver reads from the request context: the application state and the viewer.

use std::sync::Arc;

use async_graphql::Context;
use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use uuid::Uuid;

use super::errors::GqlResultExt;
use super::loaders::{LoadError, Loaders};

use crate::auth::Viewer;
use crate::error::AppError;
use crate::state::AppState;

pub trait ContextExt {
    fn app(&self) -> Result<&AppState, AppError>;
    fn viewer(&self) -> Result<&Viewer, AppError>;
    fn loaders(&self) -> Result<Arc<Loaders>, AppError>;
}

impl ContextExt for Context<'_> {
    fn app(&self) -> Result<&AppState, AppError> {
        self.data::<AppState>()
            .map_err(|_| AppError::Internal("the schema was built without state".into()))
    }

    /// The HTTP layer authenticates before executing, so a missing viewer is a bug, not a guest.
    fn viewer(&self) -> Result<&Viewer, AppError> {
        self.data::<Viewer>().map_err(|_| AppError::Unauthenticated)
    }

    fn loaders(&self) -> Result<Arc<Loaders>, AppError> {
        if let Ok(loaders) = self.data::<Arc<Loaders>>() {
            return Ok(Arc::clone(loaders));
        }
        // A subscription lives for hours: each event gets loaders of its own, so it never shows
        // what an earlier event cached.
        match self.data::<FreshLoaders>() {
            Ok(fresh) => Ok(Arc::new(fresh.make())),
            Err(_) => Err(AppError::Internal("the request has no loaders".into())),
        }
    }
}

/// Makes loaders on demand, for a subscription's events.
pub struct FreshLoaders {
    pub app: AppState,
    pub organization: crate::domain::ids::OrganizationId,
}

impl FreshLoaders {
    fn make(&self) -> Loaders {
        Loaders::new(&self.app.db, self.organization, self.app.clock.today())
    }
}

/// One value through the request's loaders (batched and cached): `load(ctx, |l| &l.customer, id)`.
pub async fn load<L>(
    ctx: &Context<'_>,
    pick: impl FnOnce(&Loaders) -> &DataLoader<L, HashMapCache>,
    key: Uuid,
) -> async_graphql::Result<Option<L::Value>>
where
    L: Loader<Uuid, Error = LoadError>,
{
    let loaders = ctx.loaders().gql()?;
    pick(&loaders).load_one(key).await.gql()
}

/// A relation that must exist: its absence is a broken invariant, answered as INTERNAL.
pub async fn load_required<L>(
    ctx: &Context<'_>,
    pick: impl FnOnce(&Loaders) -> &DataLoader<L, HashMapCache>,
    key: Uuid,
    what: &str,
) -> async_graphql::Result<L::Value>
where
    L: Loader<Uuid, Error = LoadError>,
{
    load(ctx, pick, key)
        .await?
        .ok_or_else(|| AppError::Internal(format!("{what} {key} is missing")))
        .gql()
}

/// The customer a row belongs to; every row that names one has it.
pub async fn customer_of(
    ctx: &Context<'_>,
    customer_id: Uuid,
) -> async_graphql::Result<crate::graphql::types::customer::Customer> {
    load_required(ctx, |loaders| &loaders.customer, customer_id, "customer")
        .await
        .map(crate::graphql::types::customer::Customer)
}

/// The invoice a row may name (an activity's, a dispute's).
pub async fn invoice_of(
    ctx: &Context<'_>,
    invoice_id: Option<Uuid>,
) -> async_graphql::Result<Option<crate::graphql::types::invoice::Invoice>> {
    let Some(invoice_id) = invoice_id else {
        return Ok(None);
    };
    Ok(load(ctx, |loaders| &loaders.invoice, invoice_id)
        .await?
        .map(crate::graphql::types::invoice::Invoice))
}

/// Invoices through a join table's rows (a link's, a task's, a promise's), oldest due first.
pub async fn invoices_joined<J: HasInvoice>(
    ctx: &Context<'_>,
    joins: Option<Vec<J>>,
) -> async_graphql::Result<Vec<crate::graphql::types::invoice::Invoice>> {
    let joins = joins.unwrap_or_default();
    let loaders = ctx.loaders().gql()?;
    let mut found = loaders
        .invoice
        .load_many(joins.iter().map(HasInvoice::invoice_id))
        .await
        .gql()?;
    let mut invoices: Vec<_> = joins
        .iter()
        .filter_map(|join| found.remove(&join.invoice_id()))
        .collect();
    invoices.sort_by_key(|invoice| (invoice.due_date, invoice.id));
    Ok(invoices
        .into_iter()
        .map(crate::graphql::types::invoice::Invoice)
        .collect())
}

/// A join row that points at an invoice.
pub trait HasInvoice {
    fn invoice_id(&self) -> Uuid;
}

macro_rules! has_invoice {
    ($($entity:ident),*) => {$(
        impl HasInvoice for crate::entities::$entity::Model {
            fn invoice_id(&self) -> Uuid {
                self.invoice_id
            }
        }
    )*};
}
has_invoice!(
    payment_link_invoice,
    task_invoice,
    promise_invoice,
    payment_plan_invoice
);
