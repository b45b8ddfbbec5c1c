//! GraphQL object types, each built from services' results rather than from table rows.

pub mod user;
