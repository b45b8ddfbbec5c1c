//! Pure rules with no I/O: money and currencies, typed ids, roles, invoice status and
//! installments. Everything here is deterministic and unit-tested on its own.

pub mod activity;
pub mod allocation;
pub mod ids;
pub mod installments;
pub mod invoice;
pub mod money;
pub mod payment;
pub mod payment_link;
pub mod reconciliation;
pub mod role;
