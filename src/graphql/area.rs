//! What every area's query and mutation roots use, in one import: `use crate::graphql::area::*;`.
//! The roots live beside their types in `types/`; this keeps their headers short and alike.

pub use async_graphql::{Context, ID, Object, Result};

pub use crate::graphql::connection::*;
pub use crate::graphql::context::{ContextExt, customer_of, invoice_of, invoices_joined, load};
pub use crate::graphql::errors::GqlResultExt;
pub use crate::graphql::inputs::*;
pub use crate::graphql::mutation::change;
pub use crate::graphql::payloads::*;
pub use crate::graphql::prefetch;
pub use crate::graphql::query::MAX_SEARCH;
pub use crate::graphql::types::{input_id, parse_id};
pub use crate::services::{activities, customers, invoices, payment_links, payments, rules};
