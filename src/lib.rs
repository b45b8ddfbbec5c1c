//! Tahsilat: receivables management, a "CRM for collections".
//!
//! The service is a library, so the binary and the integration tests run the very same code.
//! Reading top-down:
//!
//! - [`config`] — typed settings from `TAHSILAT_*` variables and an optional `tahsilat.toml`.
//! - [`app`] — [`app::App::build`] connects the database, migrates, assembles the state and the
//!   router and binds the listener; [`app::App::run_until_stopped`] serves until shutdown.
//! - [`state`] — [`state::AppState`], the cheap-to-clone handle every request gets.
//! - [`auth`] — API tokens and the [`auth::Viewer`] they stand for; the token cache.
//! - [`providers`] — the payment providers this instance offers (adapters in `integrations`).
//! - [`db`] — connection pools for SQLite (WAL, a single writer beside many readers) and PostgreSQL.
//! - [`domain`] — pure rules with no I/O: money and currencies, ids, invoice status, installments.
//! - [`entities`] — sea-orm entities, one file per table; never exposed as GraphQL types.
//! - [`services`] — use cases; each owns its transaction and writes its activity-log row inside it.
//! - [`graphql`] — the GraphQL schema: roots, types, errors.
//! - [`http`] — axum routes without business logic: GraphQL endpoint, health checks.
//! - [`jobs`] — background work beside the server: payment-link expiry.
//! - [`clock`], [`error`], [`telemetry`] — time, the error type, tracing.
//! - [`cli`] — the command-line interface the thin `main.rs` runs.

pub mod app;
pub mod auth;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod domain;
pub mod entities;
pub mod error;
pub mod graphql;
pub mod http;
pub mod jobs;
pub mod mail;
pub mod metrics;
pub mod providers;
pub mod services;
pub mod state;
pub mod telemetry;
