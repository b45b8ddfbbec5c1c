//! The GraphQL schema: roots, types, and the mapping of errors to `extensions.code`.
//!
//! Resolvers parse input, call a service and shape its answer; they hold no business rules and
//! never expose sea-orm models directly.

pub mod context;
pub mod errors;
pub mod query;
pub mod types;

use async_graphql::{EmptyMutation, EmptySubscription, Schema};

use crate::state::AppState;

pub type TahsilatSchema = Schema<query::QueryRoot, EmptyMutation, EmptySubscription>;

/// The deepest query accepted; deeper ones are refused before anything runs.
pub const MAX_DEPTH: usize = 15;
/// The most expensive query accepted (list fields cost their page size).
pub const MAX_COMPLEXITY: usize = 20_000;

/// The executable schema, holding the application state for resolvers.
pub fn build_schema(state: AppState) -> TahsilatSchema {
    let introspection = state.config.graphql_introspection;
    let builder = Schema::build(query::QueryRoot, EmptyMutation, EmptySubscription)
        .data(state)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY);
    if introspection {
        builder.finish()
    } else {
        builder.disable_introspection().finish()
    }
}

/// The schema in SDL, as `tahsilat schema` prints it and `graphql/schema.graphql` holds it.
pub fn sdl() -> String {
    Schema::build(query::QueryRoot, EmptyMutation, EmptySubscription)
        .finish()
        .sdl()
}
