//! Payment-provider adapters, with no database and no GraphQL.
//!
//! Each provider will implement the `PosProvider` trait (create and cancel a hosted payment
//! link, verify a callback over its raw body, answer as the provider expects) with plain types
//! of its own — minor units and currency codes — so no wire format leaks into the service.
