//! What a resolver reads from the request context: the application state and the viewer.

use std::sync::Arc;

use async_graphql::Context;

use super::loaders::Loaders;

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
