//! The GraphQL schema: roots, types, and the mapping of errors to `extensions.code`.
//!
//! Resolvers parse input, call a service and shape its answer; they hold no business rules and
//! never expose sea-orm models directly.

pub mod area;
pub mod connection;
pub mod context;
pub mod errors;
pub mod guard;
pub mod inputs;
pub mod loaders;
pub mod mutation;
pub mod payloads;
pub mod prefetch;
pub mod query;
pub mod scalars;
pub mod subscription;
pub mod types;

use async_graphql::Schema;

use crate::state::AppState;

pub type TahsilatSchema =
    Schema<query::QueryRoot, mutation::MutationRoot, subscription::SubscriptionRoot>;

/// The deepest query accepted; deeper ones are refused before anything runs.
pub const MAX_DEPTH: usize = 15;
/// The most expensive query accepted (list fields cost their page size).
pub const MAX_COMPLEXITY: usize = 20_000;

/// The executable schema, holding the application state for resolvers.
pub fn build_schema(state: AppState) -> TahsilatSchema {
    let introspection = state.config.graphql_introspection;
    let builder = Schema::build(
        query::QueryRoot::default(),
        mutation::MutationRoot::default(),
        subscription::SubscriptionRoot,
    )
    .data(state)
    .limit_depth(MAX_DEPTH)
    .limit_complexity(MAX_COMPLEXITY);
    if introspection {
        builder.finish()
    } else {
        // "Did you mean …" would name the fields introspection hides.
        builder
            .disable_introspection()
            .disable_suggestions()
            .finish()
    }
}

/// The schema in SDL, as `tahsilat schema` prints it and `graphql/schema.graphql` holds it.
pub fn sdl() -> String {
    Schema::build(
        query::QueryRoot::default(),
        mutation::MutationRoot::default(),
        subscription::SubscriptionRoot,
    )
    .finish()
    .sdl()
}
