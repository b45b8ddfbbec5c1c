//! Collection analytics: as-of aging, DSO/CEI and the other period figures, collector
//! performance, payment behaviour, expected payment dates, the cash forecast, and the exchange
//! rates that convert between currencies.
//!
//! Everything is computed from the ledger as it stood on a date. An invoice counts on day `t`
//! when issued on or before `t` and not voided by then; its open balance is its total less the
//! allocations received on or before `t`. Days are UTC days. The figures are summed in SQL (one
//! pass per question, never a row per invoice in memory) and finished here in exact arithmetic.

pub mod aging;
pub mod behaviour;
pub mod export;
pub mod metrics;
pub mod rates;

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection, QueryFilter, QueryResult,
    Statement, TransactionTrait, Value,
};
use uuid::Uuid;

use super::scope::OrgScoped;
use crate::domain::ids::OrganizationId;
use crate::domain::money::Currency;
use crate::entities::customer_assignment;
use crate::error::{AppError, AppResult};

/// The first instant after day `day` (UTC): "received on or before `day`" is `< end_of(day)`.
pub fn end_of(day: NaiveDate) -> DateTime<Utc> {
    day.succ_opt()
        .unwrap_or(day)
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default()
        .and_utc()
}

/// One SQL statement for either database: written with `?` placeholders (numbered `$n` for
/// PostgreSQL), with the few expressions that differ between the two spelled per backend.
pub(crate) struct Sql {
    backend: DatabaseBackend,
    text: String,
    values: Vec<Value>,
}

impl Sql {
    pub(crate) fn new(conn: &impl ConnectionTrait) -> Self {
        Self {
            backend: conn.get_database_backend(),
            text: String::with_capacity(1_024),
            values: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder bound to `value`.
    pub(crate) fn bind(&mut self, value: impl Into<Value>) -> &mut Self {
        self.values.push(value.into());
        if self.backend == DatabaseBackend::Postgres {
            let number = self.values.len();
            self.text.push_str(&format!("${number}"));
        } else {
            self.text.push('?');
        }
        self
    }

    /// A currency code compared with a `CHAR(3)` column. PostgreSQL is told the column's type:
    /// compared as text, the column's statistics go unused, the planner expects a handful of
    /// rows where there are a million, and picks nested loops and index scans that are ten times
    /// slower.
    pub(crate) fn bind_currency(&mut self, currency: Currency) -> &mut Self {
        if self.backend == DatabaseBackend::Postgres {
            self.push("CAST(")
                .bind(currency.code())
                .push(" AS CHAR(3))")
        } else {
            self.bind(currency.code())
        }
    }

    /// Whole days from `earlier` to `later` (date expressions).
    pub(crate) fn days_between(&self, later: &str, earlier: &str) -> String {
        match self.backend {
            DatabaseBackend::Postgres => format!("({later} - {earlier})"),
            _ => format!("CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"),
        }
    }

    /// The larger of two integer expressions.
    pub(crate) fn greatest(&self, a: &str, b: &str) -> String {
        match self.backend {
            DatabaseBackend::Postgres => format!("GREATEST({a}, {b})"),
            _ => format!("MAX({a}, {b})"),
        }
    }

    /// Whole days from the date in `column` to `day` (a bound parameter).
    pub(crate) fn push_days_since(&mut self, day: NaiveDate, column: &str) -> &mut Self {
        if self.backend == DatabaseBackend::Postgres {
            self.push("(CAST(")
                .bind(day)
                .push(&format!(" AS DATE) - {column})"))
        } else {
            self.push("CAST(julianday(")
                .bind(day)
                .push(&format!(") - julianday({column}) AS INTEGER)"))
        }
    }

    /// Runs the query. On PostgreSQL it is planned for its own values every time (a plan made
    /// once for any dates would guess the row counts, and a report's ranges differ by orders of
    /// magnitude), without JIT (whose compiling costs these one-pass sums more than it saves).
    pub(crate) async fn all(self, conn: &DatabaseConnection) -> AppResult<Vec<QueryResult>> {
        let statement = Statement::from_sql_and_values(self.backend, self.text, self.values);
        if self.backend != DatabaseBackend::Postgres {
            return Ok(conn.query_all_raw(statement).await?);
        }
        let txn = conn.begin().await?;
        txn.execute_unprepared(
            "SET LOCAL plan_cache_mode = force_custom_plan; SET LOCAL jit = off",
        )
        .await?;
        let rows = txn.query_all_raw(statement).await?;
        txn.commit().await?;
        Ok(rows)
    }

    /// The UTC day of a timestamp column.
    pub(crate) fn utc_day(&self, column: &str) -> String {
        match self.backend {
            DatabaseBackend::Postgres => format!("CAST(({column} AT TIME ZONE 'UTC') AS DATE)"),
            // sea-orm writes SQLite timestamps as text that starts with the UTC date.
            _ => format!("substr({column}, 1, 10)"),
        }
    }
}

/// Reads a column of a raw row.
pub(crate) fn get<T: sea_orm::TryGetable>(row: &QueryResult, column: &str) -> AppResult<T> {
    row.try_get::<T>("", column)
        .map_err(|error| AppError::Internal(format!("reading {column}: {error}")))
}

/// Who was assigned to each customer when: portfolios "at the time".
#[derive(Default)]
pub struct Assignments {
    by_customer: HashMap<Uuid, Vec<Stretch>>,
}

/// From when, until when (None: still), which collector.
type Stretch = (DateTime<Utc>, Option<DateTime<Utc>>, Uuid);

impl Assignments {
    pub async fn load(conn: &impl ConnectionTrait, org: OrganizationId) -> AppResult<Self> {
        let rows = customer_assignment::Entity::in_org(org)
            .filter(customer_assignment::Column::OrganizationId.eq(org.0))
            .all(conn)
            .await?;
        let mut by_customer: HashMap<_, Vec<_>> = HashMap::new();
        for row in rows {
            by_customer.entry(row.customer_id).or_default().push((
                row.assigned_at,
                row.unassigned_at,
                row.collector_id,
            ));
        }
        Ok(Self { by_customer })
    }

    /// How many customers were assigned to the collector at the end of `day`.
    pub fn portfolio(&self, collector: Uuid, day: NaiveDate) -> i64 {
        let count = self
            .by_customer
            .keys()
            .filter(|customer| self.collector_on(**customer, day) == Some(collector))
            .count();
        i64::try_from(count).unwrap_or(i64::MAX)
    }

    /// The customer's collector at the end of `day`.
    pub fn collector_on(&self, customer_id: Uuid, day: NaiveDate) -> Option<Uuid> {
        let end = end_of(day);
        self.by_customer
            .get(&customer_id)?
            .iter()
            .find_map(|(from, until, collector)| {
                (*from < end && until.is_none_or(|until| until >= end)).then_some(*collector)
            })
    }
}
