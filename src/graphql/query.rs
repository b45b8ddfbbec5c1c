//! The query root: every area's queries (each beside its types in `types/`), merged.

use super::types::activity::ActivityQuery;
use super::types::analytics::AnalyticsQuery;
use super::types::customer::CustomersQuery;
use super::types::dispute::DisputesQuery;
use super::types::dunning::DunningQuery;
use super::types::instrument::InstrumentsQuery;
use super::types::invoice::InvoicesQuery;
use super::types::payment::PaymentsQuery;
use super::types::payment_link::PaymentLinksQuery;
use super::types::plan::PlansQuery;
use super::types::promise::PromisesQuery;
use super::types::providers::ProvidersQuery;
use super::types::task::TasksQuery;
use super::types::user::UsersQuery;
use super::types::webhook::WebhooksQuery;

/// The schema's query root.
#[derive(async_graphql::MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(
    CustomersQuery,
    InvoicesQuery,
    PaymentsQuery,
    PaymentLinksQuery,
    ActivityQuery,
    DisputesQuery,
    DunningQuery,
    AnalyticsQuery,
    InstrumentsQuery,
    TasksQuery,
    PromisesQuery,
    PlansQuery,
    WebhooksQuery,
    ProvidersQuery,
    UsersQuery,
);

/// The longest customer search accepted.
pub const MAX_SEARCH: usize = 200;
