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
        self.data::<Arc<Loaders>>()
            .cloned()
            .map_err(|_| AppError::Internal("the request has no loaders".into()))
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
