//! What the changes of an organization publish: webhook events for its endpoints and live
//! notices for its subscribers, both written in the transaction of the change.
//!
//! Most events follow from the activity log, which every change appends to in its own
//! transaction ([`activities_written`]); the few with no activity of their own (an invoice paid
//! in full, a link paid or expired, a refused callback) are published where they happen
//! ([`publish`]).

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::domain::activity::ActivityKind;
use crate::domain::ids::OrganizationId;
use crate::domain::webhook;
use crate::entities::webhook_delivery::DeliveryStatus;
use crate::entities::{activity, webhook_delivery, webhook_endpoint, webhook_event};
use crate::error::AppResult;
use crate::live::{self, Notice};
use crate::services::scope::insert_all;

/// Rows per INSERT: a large import stays under SQLite's limit on bound parameters.
const ROWS_PER_INSERT: usize = 1_000;

/// One event to publish: its type (one of [`webhook::EVENT_TYPES`]) and its `data`.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub event_type: &'static str,
    pub data: Value,
}

impl Event {
    pub fn new(event_type: &'static str, data: Value) -> Self {
        debug_assert!(webhook::EVENT_TYPES.contains(&event_type));
        Self { event_type, data }
    }

    /// The same event, naming the payment link it is about.
    pub fn with_link(mut self, link_id: Uuid) -> Self {
        if let Value::Object(data) = &mut self.data {
            data.insert("paymentLinkId".into(), json!(link_id));
        }
        self
    }
}

/// Publishes what activities just written in `conn`'s transaction stand for: their webhook
/// events and their live notices.
pub async fn activities_written(
    conn: &impl ConnectionTrait,
    organization: OrganizationId,
    rows: &[activity::Model],
    now: DateTime<Utc>,
) -> AppResult<()> {
    activities_written_with(conn, organization, rows, Vec::new(), now).await
}

/// [`activities_written`], with `more` events of the same change published alongside.
pub async fn activities_written_with(
    conn: &impl ConnectionTrait,
    organization: OrganizationId,
    rows: &[activity::Model],
    more: Vec<Event>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let mut events: Vec<Event> = rows.iter().filter_map(event_of).collect();
    events.extend(more);
    publish(conn, organization, events, now).await?;
    live::announce(conn, rows.iter().map(Notice::of).collect()).await
}

/// The webhook event an activity stands for, if any.
pub fn event_of(row: &activity::Model) -> Option<Event> {
    let event_type = match row.kind {
        ActivityKind::CustomerCreated => "customer.created",
        ActivityKind::CustomerUpdated => "customer.updated",
        ActivityKind::InvoiceCreated => "invoice.created",
        ActivityKind::InvoiceUpdated => "invoice.updated",
        ActivityKind::InvoiceVoided => "invoice.voided",
        ActivityKind::PaymentRecorded => "payment.recorded",
        ActivityKind::PaymentReceived => "payment.received",
        ActivityKind::PaymentFailed => "payment.failed",
        ActivityKind::PaymentReversed => "payment.reversed",
        ActivityKind::PaymentLinkCreated => "payment_link.created",
        ActivityKind::ReminderSent => "reminder.sent",
        ActivityKind::PromiseMade => "promise.made",
        ActivityKind::PromiseKept => "promise.kept",
        ActivityKind::PromiseBroken => "promise.broken",
        ActivityKind::DisputeOpened => "dispute.opened",
        ActivityKind::DisputeResolved => "dispute.resolved",
        _ => return None,
    };
    let mut data = Map::new();
    data.insert("activityId".into(), json!(row.id));
    data.insert("customerId".into(), json!(row.customer_id));
    if let Some(invoice_id) = row.invoice_id {
        data.insert("invoiceId".into(), json!(invoice_id));
    }
    if let Some(note) = &row.note {
        data.insert("note".into(), json!(note));
    }
    data.insert("actor".into(), json!(row.actor_label));
    if let Value::Object(details) = &row.data {
        let currency = details.get("currency").and_then(Value::as_str);
        for (key, value) in details {
            data.insert(key.clone(), as_money(key, value, currency));
        }
    }
    Some(Event::new(event_type, Value::Object(data)))
}

/// Keys whose decimal string is an amount in the entry's currency.
const MONEY_KEYS: [&str; 6] = [
    "amount",
    "total",
    "charged",
    "unapplied",
    "planInterest",
    "promisedAmount",
];

/// An amount the log keeps as a decimal string beside a `currency`, as GraphQL's `Money`.
fn as_money(key: &str, value: &Value, currency: Option<&str>) -> Value {
    match (value, currency) {
        (Value::String(amount), Some(currency)) if MONEY_KEYS.contains(&key) => {
            json!({"amount": amount, "currency": currency})
        }
        _ => value.clone(),
    }
}

/// Writes each event once, with one delivery for every enabled endpoint of the organization
/// subscribed to its type; an event nobody subscribed to is not kept.
pub async fn publish(
    conn: &impl ConnectionTrait,
    organization: OrganizationId,
    events: Vec<Event>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    let endpoints: Vec<(Uuid, Value)> = webhook_endpoint::Entity::find()
        .select_only()
        .columns([
            webhook_endpoint::Column::Id,
            webhook_endpoint::Column::EventTypes,
        ])
        .filter(webhook_endpoint::Column::OrganizationId.eq(organization.0))
        .filter(webhook_endpoint::Column::Enabled.eq(true))
        .into_tuple()
        .all(conn)
        .await?;
    if endpoints.is_empty() {
        return Ok(());
    }
    let endpoints: Vec<(Uuid, Vec<String>)> = endpoints
        .into_iter()
        .map(|(id, types)| (id, serde_json::from_value(types).unwrap_or_default()))
        .collect();
    let mut event_rows = Vec::new();
    let mut delivery_rows = Vec::new();
    for event in events {
        let targets: Vec<Uuid> = endpoints
            .iter()
            .filter(|(_, types)| webhook::subscribes(types, event.event_type))
            .map(|(id, _)| *id)
            .collect();
        if targets.is_empty() {
            continue;
        }
        let id = Uuid::now_v7();
        let body = json!({
            "type": event.event_type,
            "timestamp": now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "data": event.data,
        })
        .to_string();
        event_rows.push(webhook_event::ActiveModel {
            id: Set(id),
            organization_id: Set(organization.0),
            event_type: Set(event.event_type.to_owned()),
            body: Set(body),
            created_at: Set(now),
        });
        for endpoint_id in targets {
            delivery_rows.push(new_delivery(
                organization,
                endpoint_id,
                id,
                event.event_type,
                now,
            ));
        }
    }
    for chunk in event_rows.chunks(ROWS_PER_INSERT) {
        insert_all(conn, chunk.to_vec()).await?;
    }
    for chunk in delivery_rows.chunks(ROWS_PER_INSERT) {
        insert_all(conn, chunk.to_vec()).await?;
    }
    Ok(())
}

/// A delivery due now.
pub fn new_delivery(
    organization: OrganizationId,
    endpoint_id: Uuid,
    event_id: Uuid,
    event_type: &str,
    now: DateTime<Utc>,
) -> webhook_delivery::ActiveModel {
    webhook_delivery::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(organization.0),
        endpoint_id: Set(endpoint_id),
        event_id: Set(event_id),
        event_type: Set(event_type.to_owned()),
        status: Set(DeliveryStatus::Pending),
        attempts: Set(0),
        next_attempt_at: Set(now),
        last_attempt_at: Set(None),
        response_status: Set(None),
        response_body: Set(None),
        last_error: Set(None),
        delivered_at: Set(None),
        created_at: Set(now),
    }
}

/// Money as GraphQL shows it, for event data built outside the activity log.
pub fn money(money: crate::domain::money::Money) -> Value {
    json!({"amount": money.to_decimal().to_string(), "currency": money.currency.code()})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_activity_amount_becomes_money() {
        let row = activity::Model {
            id: Uuid::now_v7(),
            organization_id: Uuid::now_v7(),
            customer_id: Uuid::now_v7(),
            invoice_id: None,
            actor_user_id: None,
            actor_label: "sandbox".into(),
            kind: ActivityKind::PaymentReceived,
            note: None,
            data: json!({"paymentId": "p", "amount": "1250.50", "currency": "TRY", "installmentCount": 6}),
            occurred_at: Utc::now(),
        };
        let event = event_of(&row).unwrap();
        assert_eq!(event.event_type, "payment.received");
        assert_eq!(
            event.data["amount"],
            json!({"amount": "1250.50", "currency": "TRY"})
        );
        assert_eq!(event.data["installmentCount"], json!(6));
        assert_eq!(event.data["customerId"], json!(row.customer_id));
        let note = activity::Model {
            kind: ActivityKind::Note,
            ..row
        };
        assert_eq!(event_of(&note), None);
    }
}
