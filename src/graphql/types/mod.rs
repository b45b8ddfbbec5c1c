//! GraphQL object types. Each wraps what a service returned and resolves its relations through
//! the request's DataLoaders.

pub mod activity;
pub mod analytics;
pub mod customer;
pub mod dispute;
pub mod dunning;
pub mod enums;
pub mod import;
pub mod instrument;
pub mod invoice;
pub mod money;
pub mod payment;
pub mod payment_link;
pub mod plan;
pub mod promise;
pub mod providers;
pub mod task;
pub mod user;
pub mod webhook;

use async_graphql::ID;
use uuid::Uuid;

/// An id as GraphQL shows it.
pub fn id(uuid: Uuid) -> ID {
    ID(uuid.to_string())
}

/// An id from a caller; a malformed one is simply an id that does not exist.
pub fn parse_id(id: &ID) -> Option<Uuid> {
    Uuid::parse_str(id.as_str()).ok()
}

/// An id from a caller, or the nil id for a malformed one: it matches nothing, so a filter finds
/// no rows and a mutation answers NOT_FOUND, exactly as for an id that does not exist.
pub fn input_id(id: &ID) -> Uuid {
    parse_id(id).unwrap_or(Uuid::nil())
}
