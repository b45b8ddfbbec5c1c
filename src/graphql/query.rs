//! The query root: every area's queries (each beside its types in `types/`), merged.

use async_graphql::ID;
use uuid::Uuid;

use super::types::activity::ActivityQuery;
use super::types::customer::CustomersQuery;
use super::types::invoice::InvoicesQuery;
use super::types::parse_id;
use super::types::payment::PaymentsQuery;
use super::types::payment_link::PaymentLinksQuery;
use super::types::user::UsersQuery;

/// The schema's query root.
#[derive(async_graphql::MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(
    CustomersQuery,
    InvoicesQuery,
    PaymentsQuery,
    PaymentLinksQuery,
    ActivityQuery,
    UsersQuery,
);

/// The longest customer search accepted.
pub const MAX_SEARCH: usize = 200;

/// An id that matches nothing, for malformed ids in filters.
pub fn filter_id(id: &ID) -> Uuid {
    parse_id(id).unwrap_or(Uuid::nil())
}
