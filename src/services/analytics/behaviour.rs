//! How customers pay: lateness, its trend, promises kept, open disputes and the risk score they
//! add up to; when each open invoice is expected to be paid; and the weekly cash forecast.
//!
//! A customer's typical lateness is the median days late (early counts as 0) of their last 12
//! fully paid invoices, 0 without history. An open invoice is expected on an open promise's date
//! if one covers it, else on its due date plus that lateness — never before today.

use std::collections::HashMap;

use chrono::{Datelike, Duration, NaiveDate};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::{Sql, get};
use crate::domain::analytics::{self as figures, RiskInputs};
use crate::domain::ids::OrganizationId;
use crate::domain::money::Currency;
use crate::error::{AppError, AppResult};

/// How many recent paid invoices typical lateness looks at.
pub const RECENT_PAID: i64 = 12;
/// The longest forecast, in weeks.
pub const MAX_FORECAST_WEEKS: i64 = 52;

/// A customer's payment behaviour.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Behaviour {
    /// Average days late over the last 12 paid invoices.
    pub average_days_late: Option<Decimal>,
    /// Median days late over the same invoices (0 without history).
    pub typical_days_late: i64,
    /// Average days late of invoices paid in the last 90 days minus the 90 before.
    pub trend_days: Option<Decimal>,
    /// Kept ÷ (kept + broken) promises, as a share (0–1).
    pub promise_kept_ratio: Option<Decimal>,
    pub open_disputes: u64,
    /// Cheques and notes that bounced in the last 365 days.
    pub bounced_instruments: u64,
    /// Overdue ÷ open balance today, the highest over the customer's currencies (0–1).
    pub overdue_share: Option<Decimal>,
    pub risk_score: i32,
    pub risk_reasons: Vec<String>,
}

/// Behaviour of each of `customers` (all of them get an entry).
pub async fn of_customers(
    conn: &sea_orm::DatabaseConnection,
    org: OrganizationId,
    customers: &[Uuid],
    today: NaiveDate,
) -> AppResult<HashMap<Uuid, Behaviour>> {
    let recent = recent_lateness(conn, org, Some(customers)).await?;
    let mut found: HashMap<Uuid, Behaviour> = customers
        .iter()
        .map(|customer| (*customer, Behaviour::default()))
        .collect();
    for (customer, days) in &recent {
        let Some(behaviour) = found.get_mut(customer) else {
            continue;
        };
        let total: i64 = days.iter().sum();
        behaviour.average_days_late =
            figures::ratio(i128::from(total), days.len() as i128).map(figures::round2);
        behaviour.typical_days_late = figures::median(days.clone()).unwrap_or(0);
    }

    let mut sql = Sql::new(conn);
    let late = sql.greatest(&sql.days_between("paid_on", "due_date"), "0");
    sql.push("SELECT customer_id, CASE WHEN paid_on > ")
        .bind(today - Duration::days(90))
        .push(&format!(
            " THEN 0 ELSE 1 END AS recent, COUNT(*) AS n, CAST(SUM({late}) AS BIGINT) AS late \
             FROM invoices WHERE organization_id = "
        ))
        .bind(org.0)
        .push(" AND paid_on > ")
        .bind(today - Duration::days(180))
        .push(" AND paid_on <= ")
        .bind(today);
    push_in(&mut sql, "customer_id", customers);
    sql.push(" GROUP BY customer_id, recent");
    let mut windows: HashMap<Uuid, [Option<Decimal>; 2]> = HashMap::new();
    for row in sql.all(conn).await? {
        let window = usize::try_from(get::<i32>(&row, "recent")?)
            .unwrap_or(1)
            .min(1);
        let average = figures::ratio(
            i128::from(get::<i64>(&row, "late")?),
            i128::from(get::<i64>(&row, "n")?),
        );
        windows.entry(get(&row, "customer_id")?).or_default()[window] = average;
    }
    for (customer, [last, before]) in windows {
        if let (Some(behaviour), Some(last), Some(before)) =
            (found.get_mut(&customer), last, before)
        {
            behaviour.trend_days = Some(figures::round2(last - before));
        }
    }

    let mut sql = Sql::new(conn);
    sql.push("SELECT customer_id, status, COUNT(*) AS n FROM promises WHERE organization_id = ")
        .bind(org.0)
        .push(" AND status IN ('KEPT', 'BROKEN')");
    push_in(&mut sql, "customer_id", customers);
    sql.push(" GROUP BY customer_id, status");
    let mut promises: HashMap<Uuid, (i64, i64)> = HashMap::new();
    for row in sql.all(conn).await? {
        let entry = promises.entry(get(&row, "customer_id")?).or_default();
        let count: i64 = get(&row, "n")?;
        if get::<String>(&row, "status")? == "KEPT" {
            entry.0 += count;
        } else {
            entry.1 += count;
        }
    }
    for (customer, (kept, broken)) in promises {
        if let Some(behaviour) = found.get_mut(&customer) {
            behaviour.promise_kept_ratio =
                figures::ratio(i128::from(kept), i128::from(kept + broken));
        }
    }

    let mut sql = Sql::new(conn);
    sql.push("SELECT customer_id, COUNT(*) AS n FROM disputes WHERE organization_id = ")
        .bind(org.0)
        .push(" AND status = 'OPEN'");
    push_in(&mut sql, "customer_id", customers);
    sql.push(" GROUP BY customer_id");
    for row in sql.all(conn).await? {
        if let Some(behaviour) = found.get_mut(&get::<Uuid>(&row, "customer_id")?) {
            behaviour.open_disputes = u64::try_from(get::<i64>(&row, "n")?).unwrap_or(0);
        }
    }

    let mut sql = Sql::new(conn);
    sql.push(
        "SELECT customer_id, currency, CAST(SUM(total_minor - paid_minor) AS BIGINT) AS open, \
         CAST(SUM(CASE WHEN due_date < ",
    )
    .bind(today)
    .push(
        " THEN total_minor - paid_minor ELSE 0 END) AS BIGINT) AS overdue FROM invoices \
         WHERE organization_id = ",
    )
    .bind(org.0)
    .push(" AND status IN ('OPEN', 'PARTIALLY_PAID')");
    push_in(&mut sql, "customer_id", customers);
    sql.push(" GROUP BY customer_id, currency");
    for row in sql.all(conn).await? {
        let Some(behaviour) = found.get_mut(&get::<Uuid>(&row, "customer_id")?) else {
            continue;
        };
        let share = figures::ratio(
            i128::from(get::<i64>(&row, "overdue")?),
            i128::from(get::<i64>(&row, "open")?),
        );
        behaviour.overdue_share = behaviour.overdue_share.max(share);
    }

    let mut sql = Sql::new(conn);
    sql.push(
        "SELECT i.customer_id AS customer_id, COUNT(*) AS n FROM instrument_events e \
         JOIN instruments i ON i.id = e.instrument_id WHERE e.organization_id = ",
    )
    .bind(org.0)
    .push(" AND e.status = 'BOUNCED' AND e.on_date > ")
    .bind(today - Duration::days(365));
    push_in(&mut sql, "i.customer_id", customers);
    sql.push(" GROUP BY i.customer_id");
    for row in sql.all(conn).await? {
        if let Some(behaviour) = found.get_mut(&get::<Uuid>(&row, "customer_id")?) {
            behaviour.bounced_instruments = u64::try_from(get::<i64>(&row, "n")?).unwrap_or(0);
        }
    }

    for behaviour in found.values_mut() {
        let (score, reasons) = figures::risk_score(&RiskInputs {
            average_days_late: behaviour.average_days_late,
            trend_days: behaviour.trend_days,
            promise_kept_ratio: behaviour.promise_kept_ratio,
            open_disputes: behaviour.open_disputes,
            overdue_share: behaviour.overdue_share,
            bounced_instruments: behaviour.bounced_instruments,
        });
        behaviour.risk_score = score;
        behaviour.risk_reasons = reasons;
    }
    Ok(found)
}

/// Days late (early is 0) of each customer's last 12 paid invoices (all customers when `None`).
async fn recent_lateness(
    conn: &sea_orm::DatabaseConnection,
    org: OrganizationId,
    customers: Option<&[Uuid]>,
) -> AppResult<HashMap<Uuid, Vec<i64>>> {
    let mut sql = Sql::new(conn);
    let late = sql.greatest(&sql.days_between("paid_on", "due_date"), "0");
    sql.push(&format!(
        "SELECT customer_id, late FROM (SELECT customer_id, CAST({late} AS BIGINT) AS late, ROW_NUMBER() OVER \
         (PARTITION BY customer_id ORDER BY paid_on DESC, id DESC) AS n FROM invoices \
         WHERE organization_id = "
    ))
    .bind(org.0)
    .push(" AND paid_on IS NOT NULL");
    if let Some(customers) = customers {
        push_in(&mut sql, "customer_id", customers);
    }
    sql.push(") recent WHERE n <= ").bind(RECENT_PAID);
    let mut days: HashMap<Uuid, Vec<i64>> = HashMap::new();
    for row in sql.all(conn).await? {
        days.entry(get(&row, "customer_id")?)
            .or_default()
            .push(get::<i64>(&row, "late")?);
    }
    Ok(days)
}

/// ` AND column IN (…)`; an empty list matches nothing.
fn push_in(sql: &mut Sql, column: &str, ids: &[Uuid]) {
    if ids.is_empty() {
        sql.push(" AND 1 = 0");
        return;
    }
    sql.push(&format!(" AND {column} IN ("));
    for (index, id) in ids.iter().enumerate() {
        if index > 0 {
            sql.push(", ");
        }
        sql.bind(*id);
    }
    sql.push(")");
}

/// An open invoice whose payment date is wanted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OpenInvoice {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub due_date: NaiveDate,
}

/// When each invoice is expected to be paid.
pub async fn expected_dates(
    conn: &sea_orm::DatabaseConnection,
    org: OrganizationId,
    invoices: &[OpenInvoice],
    today: NaiveDate,
) -> AppResult<HashMap<Uuid, NaiveDate>> {
    let mut customers: Vec<Uuid> = invoices.iter().map(|invoice| invoice.customer_id).collect();
    customers.sort();
    customers.dedup();
    let lateness = recent_lateness(conn, org, Some(&customers)).await?;
    let ids: Vec<Uuid> = invoices.iter().map(|invoice| invoice.id).collect();
    let promised = promised_dates(conn, org, Some(&ids)).await?;
    Ok(invoices
        .iter()
        .map(|invoice| {
            let typical = lateness
                .get(&invoice.customer_id)
                .and_then(|days| figures::median(days.clone()))
                .unwrap_or(0);
            (
                invoice.id,
                expected(invoice, typical, promised.get(&invoice.id), today),
            )
        })
        .collect())
}

fn expected(
    invoice: &OpenInvoice,
    typical_days_late: i64,
    promised: Option<&NaiveDate>,
    today: NaiveDate,
) -> NaiveDate {
    let planned = promised
        .copied()
        .unwrap_or(invoice.due_date + Duration::days(typical_days_late));
    planned.max(today)
}

/// The date of the open promise covering each invoice (the earliest, if several).
async fn promised_dates(
    conn: &sea_orm::DatabaseConnection,
    org: OrganizationId,
    invoices: Option<&[Uuid]>,
) -> AppResult<HashMap<Uuid, NaiveDate>> {
    let mut sql = Sql::new(conn);
    sql.push(
        "SELECT pi.invoice_id AS invoice_id, MIN(p.promised_date) AS promised_date \
         FROM promise_invoices pi JOIN promises p ON p.id = pi.promise_id \
         WHERE p.organization_id = ",
    )
    .bind(org.0)
    .push(" AND p.status = 'OPEN'");
    if let Some(invoices) = invoices {
        push_in(&mut sql, "pi.invoice_id", invoices);
    }
    sql.push(" GROUP BY pi.invoice_id");
    sql.all(conn)
        .await?
        .iter()
        .map(|row| Ok((get(row, "invoice_id")?, get(row, "promised_date")?)))
        .collect()
}

/// Expected receipts in one week.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForecastWeek {
    /// The week's Monday.
    pub week_start: NaiveDate,
    pub expected: i128,
    pub invoices: i64,
}

/// The open balance in `currency`, by the week each invoice is expected to be paid in, from
/// this week on; what is expected later than the last week is left out.
pub async fn cash_forecast(
    conn: &sea_orm::DatabaseConnection,
    org: OrganizationId,
    currency: Currency,
    weeks: i64,
    today: NaiveDate,
) -> AppResult<Vec<ForecastWeek>> {
    if !(1..=MAX_FORECAST_WEEKS).contains(&weeks) {
        return Err(AppError::BadRequest(format!(
            "`weeks` is between 1 and {MAX_FORECAST_WEEKS}"
        )));
    }
    let monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
    let mut forecast: Vec<ForecastWeek> = (0..weeks)
        .map(|week| ForecastWeek {
            week_start: monday + Duration::weeks(week),
            expected: 0,
            invoices: 0,
        })
        .collect();
    let mut sql = Sql::new(conn);
    sql.push(
        "SELECT id, customer_id, due_date, total_minor - paid_minor AS open FROM invoices \
         WHERE organization_id = ",
    )
    .bind(org.0)
    .push(" AND currency = ")
    .bind_currency(currency)
    .push(" AND status IN ('OPEN', 'PARTIALLY_PAID')");
    let rows = sql.all(conn).await?;
    let lateness = recent_lateness(conn, org, None).await?;
    let promised = promised_dates(conn, org, None).await?;
    for row in rows {
        let invoice = OpenInvoice {
            id: get(&row, "id")?,
            customer_id: get(&row, "customer_id")?,
            due_date: get(&row, "due_date")?,
        };
        let typical = lateness
            .get(&invoice.customer_id)
            .and_then(|days| figures::median(days.clone()))
            .unwrap_or(0);
        let day = expected(&invoice, typical, promised.get(&invoice.id), today);
        let week = (day - monday).num_days() / 7;
        if let Some(slot) = usize::try_from(week)
            .ok()
            .and_then(|week| forecast.get_mut(week))
        {
            slot.expected += i128::from(get::<i64>(&row, "open")?);
            slot.invoices += 1;
        }
    }
    Ok(forecast)
}
