//! Use cases. Each opens its own transaction, checks its rules in [`crate::domain`], writes its
//! rows and its activity-log row, and commits. Callers (GraphQL resolvers, the CLI, jobs) only
//! parse input, call a service and shape the answer.

pub mod activities;
pub mod analytics;
pub mod api_tokens;
pub mod attempts;
pub mod callbacks;
pub mod customer_replies;
pub mod customers;
pub mod demo;
pub mod disputes;
pub mod dunning;
pub mod import_files;
pub mod imports;
pub mod installment_tables;
pub mod instruments;
pub mod invoices;
pub mod link_pricing;
pub mod listing;
pub mod outbox;
pub mod payment_links;
pub mod payments;
pub mod plans;
pub mod promises;
pub mod provider_events;
pub mod rules;
pub mod scope;
pub mod tasks;
pub mod users;
pub mod webhooks;
