//! Live notices for GraphQL subscriptions: every activity written is announced, and reaches the
//! subscribers of its organization only once the transaction that wrote it has committed.
//!
//! On PostgreSQL the announcement is a `NOTIFY` inside the writing transaction: the database
//! delivers it at commit, to every instance listening, and never for a rolled-back one. It is
//! sent only while some instance listens (see [`NOTIFY_IF_LISTENED`]). On
//! SQLite (one process) it goes through an in-process channel as a candidate; the hub then asks
//! the writer connection whether the activity exists — that connection is free only once the
//! announcing transaction has ended — and passes on only what was committed.
//!
//! Subscribers read a bounded broadcast channel: one that falls behind is dropped (its stream
//! ends), and writers never wait for anyone.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock, OnceLock};

use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter, QuerySelect, Statement,
};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use uuid::Uuid;

use crate::db::Db;
use crate::domain::activity::ActivityKind;
use crate::entities::activity;
use crate::error::AppResult;

/// The PostgreSQL channel the notices travel on.
pub const CHANNEL: &str = "tahsilat_live";
/// How many notices a subscriber may be behind before it is dropped.
const BUFFER: usize = 1_024;
/// Notices per `NOTIFY`: PostgreSQL takes payloads under 8,000 bytes.
const PER_NOTIFY: usize = 40;
/// The `application_name` of the connections that LISTEN, so writers can tell whether any
/// instance has subscribers at all.
pub const LISTENER_NAME: &str = "tahsilat-live";
/// NOTIFY only while some instance listens on this database. A notifying transaction holds a
/// database-wide lock through its commit (so notices keep commit order), which would make every
/// write commit one at a time; with nobody subscribed, writers skip it and commit side by side.
const NOTIFY: &str = "SELECT pg_notify($1, $2)";
const LISTENING: &str = "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1)";
const NOTIFY_IF_LISTENED: &str = "SELECT pg_notify($1, $2) WHERE EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND application_name = $3)";

/// One committed activity, with what the subscriptions filter on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    #[serde(rename = "o")]
    pub organization_id: Uuid,
    #[serde(rename = "a")]
    pub activity_id: Uuid,
    #[serde(rename = "c")]
    pub customer_id: Uuid,
    /// The activity kind as stored (`PAYMENT_RECEIVED`, …).
    #[serde(rename = "k")]
    pub kind: String,
    /// The payment an activity about a received or recorded payment is about.
    #[serde(rename = "p", default, skip_serializing_if = "Option::is_none")]
    pub payment_id: Option<Uuid>,
    /// The task a TASK_CREATED or TASK_ASSIGNED activity is about.
    #[serde(rename = "t", default, skip_serializing_if = "Option::is_none")]
    pub task_id: Option<Uuid>,
    /// That task's assignee.
    #[serde(rename = "u", default, skip_serializing_if = "Option::is_none")]
    pub assignee_id: Option<Uuid>,
}

impl Notice {
    /// The notice of an activity row.
    pub fn of(row: &activity::Model) -> Self {
        let id = |key: &str| {
            row.data
                .get(key)
                .and_then(|value| value.as_str())
                .and_then(|text| Uuid::parse_str(text).ok())
        };
        let is_payment = matches!(
            row.kind,
            ActivityKind::PaymentReceived | ActivityKind::PaymentRecorded
        );
        let is_task = matches!(
            row.kind,
            ActivityKind::TaskCreated | ActivityKind::TaskAssigned
        );
        Self {
            organization_id: row.organization_id,
            activity_id: row.id,
            customer_id: row.customer_id,
            kind: sea_orm::ActiveEnum::to_value(&row.kind),
            payment_id: if is_payment { id("paymentId") } else { None },
            task_id: if is_task { id("taskId") } else { None },
            assignee_id: if is_task { id("assigneeId") } else { None },
        }
    }
}

/// Candidates announced inside SQLite transactions, for every hub in the process.
static CANDIDATES: LazyLock<broadcast::Sender<Arc<Vec<Notice>>>> =
    LazyLock::new(|| broadcast::channel(BUFFER).0);

/// Announces activities written in the transaction `conn` belongs to.
pub async fn announce(conn: &impl ConnectionTrait, notices: Vec<Notice>) -> AppResult<()> {
    if notices.is_empty() {
        return Ok(());
    }
    match conn.get_database_backend() {
        DatabaseBackend::Postgres => {
            // A bulk write (an import) asks once whether anyone listens; a single change asks in
            // the statement that notifies.
            let many = notices.len() > PER_NOTIFY;
            if many && !anyone_listening(conn).await? {
                return Ok(());
            }
            let sql = if many { NOTIFY } else { NOTIFY_IF_LISTENED };
            for chunk in notices.chunks(PER_NOTIFY) {
                let payload = serde_json::to_string(chunk)
                    .map_err(|error| crate::error::AppError::Internal(error.to_string()))?;
                let mut values = vec![CHANNEL.into(), payload.into()];
                if !many {
                    values.push(LISTENER_NAME.into());
                }
                conn.execute_raw(Statement::from_sql_and_values(
                    DatabaseBackend::Postgres,
                    sql,
                    values,
                ))
                .await?;
            }
        }
        _ => {
            // Nobody listening is not an error.
            let _ = CANDIDATES.send(Arc::new(notices));
        }
    }
    Ok(())
}

/// Whether some instance has a LISTEN connection on this database.
async fn anyone_listening(conn: &impl ConnectionTrait) -> AppResult<bool> {
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            LISTENING,
            [LISTENER_NAME.into()],
        ))
        .await?;
    Ok(match row {
        Some(row) => row.try_get_by_index::<bool>(0)?,
        None => false,
    })
}

/// One instance's feed of committed notices, started when the first subscriber comes.
#[derive(Debug)]
pub struct Hub {
    db: Db,
    out: broadcast::Sender<Arc<Notice>>,
    started: OnceLock<()>,
    /// Whether notices are being received (on PostgreSQL: LISTEN is in place).
    listening: AtomicBool,
}

impl Hub {
    pub fn new(db: Db) -> Self {
        Self {
            db,
            out: broadcast::channel(BUFFER).0,
            started: OnceLock::new(),
            listening: AtomicBool::new(false),
        }
    }

    /// How many subscribers are receiving notices now (zero until the feed is listening).
    pub fn live_subscribers(&self) -> usize {
        if self.listening.load(Ordering::Acquire) {
            self.out.receiver_count()
        } else {
            0
        }
    }

    /// A receiver of the committed notices of every organization (callers filter by theirs).
    pub fn subscribe(self: &Arc<Self>) -> broadcast::Receiver<Arc<Notice>> {
        let receiver = self.out.subscribe();
        self.started.get_or_init(|| {
            let hub = Arc::clone(self);
            // Subscribed before the task starts, so nothing announced from now on is missed.
            let candidates = CANDIDATES.subscribe();
            tokio::spawn(async move {
                match hub.db.kind() {
                    crate::config::DatabaseKind::Postgres => hub.listen().await,
                    crate::config::DatabaseKind::Sqlite => hub.confirm(candidates).await,
                }
            });
        });
        receiver
    }

    /// PostgreSQL: LISTEN on a connection of its own (named [`LISTENER_NAME`], so writers see
    /// that someone listens), reconnecting when it drops.
    async fn listen(&self) {
        let shared = self.db.reader().get_postgres_connection_pool();
        let options = shared
            .connect_options()
            .as_ref()
            .clone()
            .application_name(LISTENER_NAME);
        let pool = sea_orm::sqlx::postgres::PgPoolOptions::new()
            .max_connections(1)
            .connect_lazy_with(options);
        loop {
            let mut listener = match sea_orm::sqlx::postgres::PgListener::connect_with(&pool).await
            {
                Ok(listener) => listener,
                Err(error) => {
                    tracing::warn!(%error, "cannot listen for live notices; will try again");
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    continue;
                }
            };
            if let Err(error) = listener.listen(CHANNEL).await {
                tracing::warn!(%error, "cannot listen for live notices; will try again");
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                continue;
            }
            self.listening.store(true, Ordering::Release);
            loop {
                match listener.recv().await {
                    Ok(message) => match serde_json::from_str::<Vec<Notice>>(message.payload()) {
                        Ok(notices) => {
                            for notice in notices {
                                let _ = self.out.send(Arc::new(notice));
                            }
                        }
                        Err(error) => tracing::warn!(%error, "an unreadable live notice"),
                    },
                    Err(error) => {
                        tracing::warn!(%error, "the live notice connection dropped; reconnecting");
                        self.listening.store(false, Ordering::Release);
                        break;
                    }
                }
            }
        }
    }

    /// SQLite: passes on the candidates whose activity was committed.
    async fn confirm(&self, mut candidates: broadcast::Receiver<Arc<Vec<Notice>>>) {
        self.listening.store(true, Ordering::Release);
        loop {
            let mut batch: Vec<Notice> = match candidates.recv().await {
                Ok(notices) => notices.as_ref().clone(),
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "live notices were missed: the hub fell behind");
                    continue;
                }
                Err(broadcast::error::RecvError::Closed) => return,
            };
            while let Ok(more) = candidates.try_recv() {
                batch.extend(more.iter().cloned());
            }
            if self.out.receiver_count() == 0 {
                continue;
            }
            match self.committed(&batch).await {
                Ok(committed) => {
                    for notice in batch {
                        if committed.contains(&notice.activity_id) {
                            let _ = self.out.send(Arc::new(notice));
                        }
                    }
                }
                Err(error) => tracing::warn!(error = ?error, "cannot confirm live notices"),
            }
        }
    }

    /// Which of the notices' activities exist, read on the writer so that a transaction still
    /// writing is waited for.
    async fn committed(&self, batch: &[Notice]) -> AppResult<HashSet<Uuid>> {
        let mut found = HashSet::new();
        for chunk in batch.chunks(500) {
            let ids: Vec<Uuid> = activity::Entity::find()
                .select_only()
                .column(activity::Column::Id)
                .filter(activity::Column::Id.is_in(chunk.iter().map(|notice| notice.activity_id)))
                .into_tuple()
                .all(self.db.writer())
                .await?;
            found.extend(ids);
        }
        Ok(found)
    }
}
