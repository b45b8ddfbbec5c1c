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
//! - [`domain`] — pure rules with no I/O: money and currencies, ids, invoice status, allocation,
//!   installments, and how a provider's callback is booked ([`domain::reconciliation`]).
//! - [`entities`] — sea-orm entities, one file per table; never exposed as GraphQL types.
//! - [`services`] — use cases; each owns its transaction and writes its activity-log row inside it.
//! - [`graphql`] — the GraphQL schema: one query and one mutation root per area, merged; types,
//!   inputs, payloads, connections, loaders and prefetching; the request guard; errors.
//! - [`http`] — axum routes without business logic: GraphQL and GraphiQL, pay pages, the sandbox
//!   bank, provider callbacks, health and metrics.
//! - [`render`] — what pages and mail share: language, money formatting, escaping, the page shell.
//! - [`mail`] — mail templates (Turkish and English) and the sender.
//! - [`jobs`] — background work beside the server: the outbox worker and payment-link expiry.
//! - [`metrics`] — Prometheus counters and gauges for `/metrics`.
//! - [`clock`], [`error`], [`telemetry`] — time, the error type, tracing.
//! - [`cli`] — the command-line interface the thin `main.rs` runs.
//!
//! Dependencies point one way: `http` and `graphql` use `services`, which use `domain`,
//! `entities`, `auth` and the providers; `render` serves `http` and `mail` and uses neither.

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
pub mod live;
pub mod mail;
pub mod metrics;
pub mod providers;
pub mod render;
pub mod services;
pub mod state;
pub mod telemetry;
