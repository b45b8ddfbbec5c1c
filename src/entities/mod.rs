//! sea-orm entities, one file per table. They are storage shapes only: services turn them into
//! domain values, and the GraphQL layer has types of its own.

pub mod activity;
pub mod api_token;
pub mod contact;
pub mod customer;
pub mod customer_assignment;
pub mod dispute;
pub mod exchange_rate;
pub mod instrument;
pub mod instrument_event;
pub mod invoice;
pub mod message_template;
pub mod organization;
pub mod outbox;
pub mod payment;
pub mod payment_allocation;
pub mod payment_link;
pub mod payment_link_installment;
pub mod payment_link_invoice;
pub mod payment_plan;
pub mod payment_plan_charge;
pub mod payment_plan_invoice;
pub mod plan_installment;
pub mod plan_reminder_send;
pub mod promise;
pub mod promise_invoice;
pub mod provider_event;
pub mod reminder_policy;
pub mod reminder_send;
pub mod task;
pub mod task_invoice;
pub mod user;
pub mod webhook_delivery;
pub mod webhook_endpoint;
pub mod webhook_event;
