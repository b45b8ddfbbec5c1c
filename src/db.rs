//! Connection pools for both engines, behind one small handle.
//!
//! SQLite runs in WAL mode with `synchronous=FULL` (a recorded payment survives a power cut),
//! foreign keys on and a busy timeout. Readers get a pool of their own and run beside the one
//! writer connection: writes queue for that connection in the pool instead of failing with
//! SQLITE_BUSY, and each write transaction starts with `BEGIN IMMEDIATE` so it holds the write
//! lock from its first statement. On PostgreSQL both handles are the same pool.

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use migrations::MigratorTrait;
use sea_orm::sqlx::{self, ConnectOptions as _};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, SqliteTransactionMode,
    SqlxPostgresConnector, SqlxSqliteConnector, TransactionOptions, TransactionTrait,
};

use crate::config::{Config, DatabaseKind};

/// How long a request waits for a connection before the database counts as unavailable.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long SQLite waits on a lock held by another process before giving up.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// How busy one connection pool is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolUse {
    pub pool: &'static str,
    pub open: u32,
    pub idle: u32,
}

/// The database: a reader pool and a writer, and a count of the statements run through them.
#[derive(Clone, Debug)]
pub struct Db {
    reader: DatabaseConnection,
    writer: DatabaseConnection,
    kind: DatabaseKind,
    statements: Arc<AtomicU64>,
}

impl Db {
    /// Connects as the settings say. For PostgreSQL, a database that does not exist yet is
    /// created first, so a fresh server needs no manual step.
    pub async fn connect(config: &Config) -> Result<Self, DbErr> {
        let url = config.database_url();
        let statements = Arc::new(AtomicU64::new(0));
        let (mut reader, mut writer) = match config.database_kind {
            DatabaseKind::Sqlite => {
                let options = sqlite_options(url)?;
                let writer = sqlx::sqlite::SqlitePoolOptions::new()
                    .max_connections(1)
                    .acquire_timeout(ACQUIRE_TIMEOUT)
                    .connect_with(options.clone())
                    .await
                    .map_err(connection_error)?;
                // Created after the writer, which has made the file and switched it to WAL.
                let reader = sqlx::sqlite::SqlitePoolOptions::new()
                    .max_connections(config.database_max_connections)
                    .acquire_timeout(ACQUIRE_TIMEOUT)
                    .connect_with(options)
                    .await
                    .map_err(connection_error)?;
                (
                    SqlxSqliteConnector::from_sqlx_sqlite_pool(reader),
                    SqlxSqliteConnector::from_sqlx_sqlite_pool(writer),
                )
            }
            DatabaseKind::Postgres => {
                let options = postgres_options(url)?;
                create_postgres_database_if_missing(&options).await?;
                let pool = sqlx::postgres::PgPoolOptions::new()
                    .max_connections(config.database_max_connections)
                    .acquire_timeout(ACQUIRE_TIMEOUT)
                    .connect_with(options)
                    .await
                    .map_err(connection_error)?;
                let connection = SqlxPostgresConnector::from_sqlx_postgres_pool(pool);
                (connection.clone(), connection)
            }
        };
        for connection in [&mut reader, &mut writer] {
            let statements = Arc::clone(&statements);
            connection.set_metric_callback(move |info| {
                // The SQL text only: parameter values (which may be personal data) stay out.
                tracing::trace!(target: "tahsilat::sql", sql = %info.statement.sql, elapsed_us = info.elapsed.as_micros() as u64, failed = info.failed);
                statements.fetch_add(1, Ordering::Relaxed);
            });
        }
        Ok(Self {
            reader,
            writer,
            kind: config.database_kind,
            statements,
        })
    }

    /// For queries outside a transaction.
    pub fn reader(&self) -> &DatabaseConnection {
        &self.reader
    }

    /// The connection that writes; services write inside [`Db::begin`] instead.
    pub fn writer(&self) -> &DatabaseConnection {
        &self.writer
    }

    pub fn kind(&self) -> DatabaseKind {
        self.kind
    }

    /// Starts a write transaction.
    pub async fn begin(&self) -> Result<DatabaseTransaction, DbErr> {
        self.writer
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..TransactionOptions::default()
            })
            .await
    }

    /// Applies pending migrations; applied ones are skipped.
    pub async fn migrate(&self) -> Result<(), DbErr> {
        migrations::Migrator::up(&self.writer, None).await
    }

    /// Whether the database answers a trivial query.
    pub async fn ping(&self) -> Result<(), DbErr> {
        self.reader.execute_unprepared("SELECT 1").await.map(|_| ())
    }

    /// Connections open and idle per pool (`reader`, `writer`; one `pool` on PostgreSQL).
    pub fn pool_use(&self) -> Vec<PoolUse> {
        match self.kind {
            DatabaseKind::Sqlite => [("reader", &self.reader), ("writer", &self.writer)]
                .into_iter()
                .map(|(pool, connection)| {
                    let sqlx_pool = connection.get_sqlite_connection_pool();
                    PoolUse {
                        pool,
                        open: sqlx_pool.size(),
                        idle: u32::try_from(sqlx_pool.num_idle()).unwrap_or(u32::MAX),
                    }
                })
                .collect(),
            DatabaseKind::Postgres => {
                let sqlx_pool = self.reader.get_postgres_connection_pool();
                vec![PoolUse {
                    pool: "pool",
                    open: sqlx_pool.size(),
                    idle: u32::try_from(sqlx_pool.num_idle()).unwrap_or(u32::MAX),
                }]
            }
        }
    }

    /// Statements run so far; tests use it to prove a query count does not grow with the data.
    pub fn statement_count(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }

    /// Closes the pools, letting connections in use finish first.
    pub async fn close(&self) {
        // Closing twice is harmless: on PostgreSQL reader and writer are one pool.
        let _ = self.reader.close_by_ref().await;
        let _ = self.writer.close_by_ref().await;
    }
}

fn sqlite_options(url: &str) -> Result<sqlx::sqlite::SqliteConnectOptions, DbErr> {
    use sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
    let options = sqlx::sqlite::SqliteConnectOptions::from_str(url).map_err(connection_error)?;
    Ok(options
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(SQLITE_BUSY_TIMEOUT)
        .disable_statement_logging())
}

fn postgres_options(url: &str) -> Result<sqlx::postgres::PgConnectOptions, DbErr> {
    let options = sqlx::postgres::PgConnectOptions::from_str(url).map_err(connection_error)?;
    Ok(options
        .application_name("tahsilat")
        .disable_statement_logging())
}

/// PostgreSQL's "database does not exist".
const INVALID_CATALOG_NAME: &str = "3D000";

async fn create_postgres_database_if_missing(
    options: &sqlx::postgres::PgConnectOptions,
) -> Result<(), DbErr> {
    use sqlx::Connection as _;
    match sqlx::PgConnection::connect_with(options).await {
        Ok(connection) => {
            let _ = connection.close().await;
            Ok(())
        }
        Err(sqlx::Error::Database(error))
            if error.code().as_deref() == Some(INVALID_CATALOG_NAME) =>
        {
            let name = options.get_database().unwrap_or("tahsilat").to_owned();
            let mut maintenance =
                sqlx::PgConnection::connect_with(&options.clone().database("postgres"))
                    .await
                    .map_err(connection_error)?;
            let quoted = format!("\"{}\"", name.replace('"', "\"\""));
            let created = sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {quoted}")))
                .execute(&mut maintenance)
                .await;
            let _ = maintenance.close().await;
            match created {
                Ok(_) => {
                    tracing::info!(database = %name, "created the PostgreSQL database");
                    Ok(())
                }
                // Another instance created it first.
                Err(sqlx::Error::Database(error)) if error.code().as_deref() == Some("42P04") => {
                    Ok(())
                }
                Err(error) => Err(connection_error(error)),
            }
        }
        Err(error) => Err(connection_error(error)),
    }
}

fn connection_error(error: sqlx::Error) -> DbErr {
    DbErr::Conn(sea_orm::RuntimeErr::SqlxError(Arc::new(error)))
}
