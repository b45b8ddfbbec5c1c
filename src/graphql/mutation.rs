//! The mutation root: every area's mutations (each beside its types in `types/`), merged. Each
//! mutation takes one `input`, calls a service, and returns a payload.

use async_graphql::MaybeUndefined;

use super::types::activity::ActivityMutation;
use super::types::analytics::AnalyticsMutation;
use super::types::customer::CustomersMutation;
use super::types::dispute::DisputesMutation;
use super::types::dunning::DunningMutation;
use super::types::import::ImportsMutation;
use super::types::instrument::InstrumentsMutation;
use super::types::invoice::InvoicesMutation;
use super::types::payment::PaymentsMutation;
use super::types::payment_link::PaymentLinksMutation;
use super::types::plan::PlansMutation;
use super::types::promise::PromisesMutation;
use super::types::providers::ProvidersMutation;
use super::types::task::TasksMutation;
use super::types::user::UsersMutation;
use super::types::webhook::WebhooksMutation;

/// The schema's mutation root.
#[derive(async_graphql::MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(
    CustomersMutation,
    InvoicesMutation,
    PaymentsMutation,
    PaymentLinksMutation,
    ActivityMutation,
    DisputesMutation,
    DunningMutation,
    AnalyticsMutation,
    InstrumentsMutation,
    TasksMutation,
    PromisesMutation,
    PlansMutation,
    ImportsMutation,
    WebhooksMutation,
    ProvidersMutation,
    UsersMutation,
);

/// `MaybeUndefined` as a change: left out → `None`, null → `Some(None)`, a value → `Some(Some(_))`.
pub fn change<T, U>(value: MaybeUndefined<T>, map: impl FnOnce(T) -> U) -> Option<Option<U>> {
    match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(value) => Some(Some(map(value))),
    }
}
