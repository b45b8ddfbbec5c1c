//! Pure rules with no I/O: money and currencies, typed ids, roles, invoice status and
//! installments. Everything here is deterministic and unit-tested on its own.

pub mod activity;
pub mod allocation;
pub mod analytics;
pub mod dispute;
pub mod dunning;
pub mod ids;
pub mod installments;
pub mod instrument;
pub mod invoice;
pub mod money;
pub mod payment;
pub mod payment_link;
pub mod plan;
pub mod promise;
pub mod reconciliation;
pub mod role;
pub mod sms;
pub mod task;
pub mod template;
pub mod webhook;

/// A small deterministic generator for the property tests: the same cases on every run.
#[cfg(test)]
pub(crate) fn xorshift(seed: u64) -> impl FnMut() -> u64 {
    let mut state = seed;
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    }
}
