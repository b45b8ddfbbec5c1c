//! The query root.

use async_graphql::{Context, Object, Result};

use super::context::ContextExt;
use super::errors::GqlResultExt;
use super::types::user::User;

pub struct QueryRoot;

#[Object(name = "Query")]
impl QueryRoot {
    /// The user the request's token belongs to.
    async fn viewer(&self, ctx: &Context<'_>) -> Result<User> {
        let viewer = ctx.viewer().gql()?;
        Ok(User::from_viewer(viewer))
    }
}
