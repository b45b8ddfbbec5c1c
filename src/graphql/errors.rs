//! Turns [`AppError`] into a GraphQL error with a stable `extensions.code`.

use async_graphql::{ErrorExtensions, Result};

use crate::error::AppError;

impl ErrorExtensions for AppError {
    fn extend(&self) -> async_graphql::Error {
        let code = self.code();
        async_graphql::Error::new(self.public_message())
            .extend_with(|_, extensions| extensions.set("code", code))
    }
}

/// `.gql()?` in a resolver: an application error becomes a coded GraphQL error.
pub trait GqlResultExt<T> {
    fn gql(self) -> Result<T>;
}

impl<T, E: Into<AppError>> GqlResultExt<T> for std::result::Result<T, E> {
    fn gql(self) -> Result<T> {
        self.map_err(|error| error.into().extend())
    }
}
