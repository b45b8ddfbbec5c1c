//! Integration tests: each starts the real server on port 0 against a fresh database and speaks
//! HTTP to it. Every scenario runs on SQLite, and on PostgreSQL when
//! `TAHSILAT_TEST_POSTGRES_URL` is set (otherwise the PostgreSQL half prints why it skipped).

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test should fail loudly at the first surprise"
)]

#[macro_use]
mod helpers;

mod access;
mod analytics;
mod attacks;
mod browser;
mod callbacks;
mod cli;
mod collections;
mod customer_details;
mod demo;
mod disputes;
mod dunning;
mod hardening;
mod health;
mod imports;
mod installment_tables;
mod instruments;
mod iyzico;
mod lists;
mod mail;
mod nestpay;
mod operations;
mod pay_page;
mod payment_links;
mod paytr;
mod plans;
mod promises;
mod reversals;
mod schema;
mod sms;
mod subscriptions;
mod tenancy;
mod webhooks;
mod worklist;
