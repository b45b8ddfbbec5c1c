//! The outbox: work for the outside world (mail) written in the same transaction as the change
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
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use uuid::Uuid;

use crate::domain::ids::OrganizationId;
use crate::entities::outbox::{self, OutboxKind, OutboxStatus};
use crate::error::{AppError, AppResult};
use crate::mail::Mail;
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
    let id = Uuid::now_v7();
    let payload =
        serde_json::to_value(mail).map_err(|error| AppError::Internal(error.to_string()))?;
    outbox::ActiveModel {
        id: Set(id),
        organization_id: Set(Some(organization.0)),
        kind: Set(OutboxKind::Email),
        payload: Set(payload),
        status: Set(OutboxStatus::Pending),
        attempts: Set(0),
        next_attempt_at: Set(now),
        last_error: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(conn)
    .await?;
    Ok(id)
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
        let outcome = match serde_json::from_value::<Mail>(row.payload.clone()) {
            Ok(mail) => app
                .mailer
                .send(&app.config.mail_from, &mail)
                .await
                .map_err(|error| error.to_string()),
            Err(error) => Err(format!("unreadable payload: {error}")),
        };
        let now = app.clock.now();
        let mut update: outbox::ActiveModel = row.clone().into();
        update.updated_at = Set(now);
        match outcome {
            Ok(()) => {
                update.status = Set(OutboxStatus::Sent);
                update.last_error = Set(None);
                delivered += 1;
            }
            Err(error) => {
                let attempts = row.attempts + 1;
                update.attempts = Set(attempts);
                update.last_error = Set(Some(error.chars().take(1_000).collect()));
                if attempts >= MAX_ATTEMPTS {
                    tracing::error!(outbox_id = %row.id, attempts, "giving up on a mail");
                    update.status = Set(OutboxStatus::Failed);
                } else {
                    tracing::warn!(outbox_id = %row.id, attempts, "mail not delivered; will retry");
                    update.status = Set(OutboxStatus::Pending);
                    update.next_attempt_at = Set(now + backoff(row.attempts));
                }
            }
        }
        update.update(app.db.writer()).await?;
    }
    Ok(delivered)
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
