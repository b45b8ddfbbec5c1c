//! The outbox: work for the outside world (mail, SMS) written in the same transaction as the change
//! that causes it, and delivered afterwards by a worker — never lost, and retried with backoff.
//!
//! A worker claims due rows under a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so several
//! instances share the work without taking the same row; SQLite has one writer anyway), sends
//! outside any transaction, then marks each row sent or schedules its next try. A worker that dies
//! mid-send leaves the lease to run out and the row is tried again: delivery is at least once, and
//! a mail keeps its Message-ID across tries so a repeat can be recognised.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, LockBehavior, LockType};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use serde::{Deserialize, Serialize};

use crate::domain::activity::ActivityKind;
use crate::domain::ids::OrganizationId;
use crate::domain::invoice::InvoiceStatus;
use crate::entities::invoice;
use crate::entities::outbox::{self, OutboxKind, OutboxStatus};
use crate::error::{AppError, AppResult};
use crate::mail::Mail;
use crate::services::activities::{self, Actor, Entry};
use crate::state::AppState;

/// How long a claimed row is left to its worker before another may take it.
const LEASE: Duration = Duration::minutes(5);
/// After this many failed tries a row is given up (and logged) instead of retried.
const MAX_ATTEMPTS: i32 = 25;

/// Queues a mail; call it inside the transaction of the change that causes it.
pub async fn enqueue_mail(
    conn: &impl ConnectionTrait,
    organization: OrganizationId,
    mail: &Mail,
    now: DateTime<Utc>,
) -> AppResult<Uuid> {
    enqueue(conn, organization, OutboxKind::Email, mail, None, now).await
}

/// An SMS as the outbox keeps it, rendered when queued.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Sms {
    /// E.164.
    pub to: String,
    pub body: String,
    pub informational: bool,
}

/// What a reminder's outbox row remembers, to drop it when its invoices no longer need it and to
/// log REMINDER_FAILED when it cannot be delivered.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ReminderContext {
    pub customer_id: Uuid,
    pub offset_days: Option<i32>,
    pub channel: String,
    pub invoice_ids: Vec<Uuid>,
    pub invoices: Vec<String>,
}

/// Queues a mail or SMS, with a reminder's context when it is one.
pub async fn enqueue<T: Serialize>(
    conn: &impl ConnectionTrait,
    organization: OrganizationId,
    kind: OutboxKind,
    payload: &T,
    context: Option<&ReminderContext>,
    now: DateTime<Utc>,
) -> AppResult<Uuid> {
    let row = row(organization, kind, payload, context, now)?;
    Ok(row.insert(conn).await?.id)
}

/// The row of a queued message, for callers that write many at once.
pub fn row<T: Serialize>(
    organization: OrganizationId,
    kind: OutboxKind,
    payload: &T,
    context: Option<&ReminderContext>,
    now: DateTime<Utc>,
) -> AppResult<outbox::ActiveModel> {
    Ok(outbox::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(Some(organization.0)),
        kind: Set(kind),
        payload: Set(to_json(payload)?),
        status: Set(OutboxStatus::Pending),
        attempts: Set(0),
        next_attempt_at: Set(now),
        last_error: Set(None),
        context: Set(context.map(to_json).transpose()?),
        created_at: Set(now),
        updated_at: Set(now),
    })
}

fn to_json(value: &impl Serialize) -> AppResult<serde_json::Value> {
    serde_json::to_value(value).map_err(|error| AppError::Internal(error.to_string()))
}

/// Work waiting to go out, per kind: how many rows and when the oldest was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Depth {
    pub kind: OutboxKind,
    pub waiting: i64,
    pub oldest: Option<DateTime<Utc>>,
}

/// The outbox's depth per kind (pending or being sent), for `/metrics`.
pub async fn depth(conn: &impl ConnectionTrait) -> AppResult<Vec<Depth>> {
    let rows: Vec<(OutboxKind, i64, Option<DateTime<Utc>>)> = outbox::Entity::find()
        .select_only()
        .column(outbox::Column::Kind)
        .column_as(outbox::Column::Id.count(), "waiting")
        .column_as(outbox::Column::CreatedAt.min(), "oldest")
        .filter(outbox::Column::Status.is_in([OutboxStatus::Pending, OutboxStatus::Sending]))
        .group_by(outbox::Column::Kind)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(kind, waiting, oldest)| Depth {
            kind,
            waiting,
            oldest,
        })
        .collect())
}

/// The wait before try `attempts + 1`: 10 s, 20 s, 40 s… at most an hour.
pub fn backoff(attempts: i32) -> Duration {
    let seconds = 10_i64.saturating_mul(1_i64 << attempts.clamp(0, 20));
    Duration::seconds(seconds.min(3_600))
}

/// Claims and delivers what is due; returns how many were delivered.
pub async fn deliver_due(app: &AppState, limit: u64) -> AppResult<usize> {
    let now = app.clock.now();
    let txn = app.db.begin().await?;
    let claimed = outbox::Entity::find()
        .filter(outbox::Column::Status.is_in([OutboxStatus::Pending, OutboxStatus::Sending]))
        .filter(outbox::Column::NextAttemptAt.lte(now))
        .order_by_asc(outbox::Column::NextAttemptAt)
        .limit(limit)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .all(&txn)
        .await?;
    if claimed.is_empty() {
        return Ok(0);
    }
    outbox::Entity::update_many()
        .col_expr(
            outbox::Column::Status,
            Expr::value(sea_orm::ActiveEnum::to_value(&OutboxStatus::Sending)),
        )
        .col_expr(outbox::Column::NextAttemptAt, Expr::value(now + LEASE))
        .col_expr(outbox::Column::UpdatedAt, Expr::value(now))
        .filter(outbox::Column::Id.is_in(claimed.iter().map(|row| row.id)))
        .exec(&txn)
        .await?;
    txn.commit().await?;

    let mut delivered = 0;
    for row in claimed {
        let context: Option<ReminderContext> = row
            .context
            .clone()
            .and_then(|context| serde_json::from_value(context).ok());
        if let Some(context) = &context
            && !still_owed(app, &row, context).await?
        {
            let mut update: outbox::ActiveModel = row.clone().into();
            update.status = Set(OutboxStatus::Dropped);
            update.updated_at = Set(app.clock.now());
            update.update(app.db.writer()).await?;
            continue;
        }
        let outcome = send(app, &row).await;
        let now = app.clock.now();
        let mut update: outbox::ActiveModel = row.clone().into();
        update.updated_at = Set(now);
        match outcome {
            Ok(()) => {
                update.status = Set(OutboxStatus::Sent);
                update.last_error = Set(None);
                update.update(app.db.writer()).await?;
                delivered += 1;
            }
            Err(failure) => {
                let attempts = row.attempts + 1;
                update.attempts = Set(attempts);
                update.last_error = Set(Some(failure.message.chars().take(1_000).collect()));
                if !failure.retryable || attempts >= MAX_ATTEMPTS {
                    tracing::error!(outbox_id = %row.id, attempts, kind = row.kind.as_str(), "giving up on a message");
                    update.status = Set(OutboxStatus::Failed);
                    let txn = app.db.begin().await?;
                    update.update(&txn).await?;
                    if let (Some(context), Some(org)) = (&context, row.organization_id) {
                        log_failure(&txn, OrganizationId(org), context, &failure.message, now)
                            .await?;
                    }
                    txn.commit().await?;
                } else {
                    tracing::warn!(outbox_id = %row.id, attempts, kind = row.kind.as_str(), "message not delivered; will retry");
                    update.status = Set(OutboxStatus::Pending);
                    update.next_attempt_at = Set(now + backoff(row.attempts));
                    update.update(app.db.writer()).await?;
                }
            }
        }
    }
    Ok(delivered)
}

/// Why a delivery failed, and whether another try may help.
struct Failure {
    message: String,
    retryable: bool,
}

async fn send(app: &AppState, row: &outbox::Model) -> Result<(), Failure> {
    let unreadable = |error: serde_json::Error| Failure {
        message: format!("unreadable payload: {error}"),
        retryable: false,
    };
    match row.kind {
        OutboxKind::Email => {
            let mail: Mail = serde_json::from_value(row.payload.clone()).map_err(unreadable)?;
            app.mailer
                .send(&app.config.mail_from, &mail)
                .await
                .map_err(|error| Failure {
                    message: error.to_string(),
                    retryable: true,
                })
        }
        OutboxKind::Sms => {
            let sms: Sms = serde_json::from_value(row.payload.clone()).map_err(unreadable)?;
            let message = integrations::sms::SmsMessage {
                to: sms.to,
                body: sms.body,
                informational: sms.informational,
            };
            match app.sms.send(&message).await {
                Ok(receipt) => {
                    tracing::info!(outbox_id = %row.id, job_id = receipt.job_id, provider = app.sms.name(), "SMS accepted");
                    Ok(())
                }
                Err(error) => Err(Failure {
                    message: error.message,
                    retryable: error.retryable,
                }),
            }
        }
    }
}

/// Whether any of a reminder's invoices is still open and undisputed: one paid, voided or
/// disputed since it was queued is not chased, and a reminder about none of them is dropped.
async fn still_owed(
    app: &AppState,
    row: &outbox::Model,
    context: &ReminderContext,
) -> AppResult<bool> {
    if context.invoice_ids.is_empty() {
        return Ok(true);
    }
    let Some(org) = row.organization_id else {
        return Ok(true);
    };
    let open = invoice::Entity::find()
        .filter(invoice::Column::OrganizationId.eq(org))
        .filter(invoice::Column::Id.is_in(context.invoice_ids.iter().copied()))
        .filter(invoice::Column::Status.is_not_in([InvoiceStatus::Paid, InvoiceStatus::Void]))
        .filter(invoice::Column::Disputed.eq(false))
        .count(app.db.reader())
        .await?;
    Ok(open > 0)
}

/// REMINDER_FAILED on the customer's log, with the reason.
async fn log_failure(
    conn: &impl ConnectionTrait,
    org: OrganizationId,
    context: &ReminderContext,
    reason: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let entry = Entry {
        customer_id: context.customer_id,
        invoice_id: (context.invoice_ids.len() == 1).then(|| context.invoice_ids[0]),
        kind: ActivityKind::ReminderFailed,
        note: None,
        data: serde_json::json!({
            "step": context.offset_days,
            "channel": context.channel,
            "invoices": context.invoices,
            "reason": reason,
        }),
    };
    activities::append(conn, org, Actor::System("system"), entry, now).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        assert_eq!(backoff(0), Duration::seconds(10));
        assert_eq!(backoff(1), Duration::seconds(20));
        assert_eq!(backoff(5), Duration::seconds(320));
        assert_eq!(backoff(30), Duration::hours(1));
    }
}
