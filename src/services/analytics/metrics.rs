//! Period figures: credit sales, AR at the start and end, cash collected, DSO (period-end and
//! countback), best possible DSO, ADD, CEI, days to pay and days late, promise and dispute
//! figures — for the organization, per month, or per collector over the portfolio they held at
//! the time.
//!
//! AR on each day the figures need is summed in two passes (invoices, then allocations joined to
//! their invoices) with one column per day, so twelve months cost two scans, not twenty-five.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rust_decimal::Decimal;
use sea_orm::{ActiveEnum, ColumnTrait, QueryFilter};
use uuid::Uuid;

use super::{Assignments, Sql, end_of, get};
use crate::auth::Viewer;
use crate::domain::activity::ActivityKind;
use crate::domain::analytics::{self as figures, first_of_month, months_between, next_month};
use crate::domain::dispute::DisputeStatus;
use crate::domain::ids::OrganizationId;
use crate::domain::money::Currency;
use crate::domain::role::Role;
use crate::entities::dispute;
use crate::error::{AppError, AppResult};
use crate::services::scope::OrgScoped;
use crate::state::AppState;

/// The longest period accepted, in days (five years).
pub const MAX_PERIOD_DAYS: i64 = 1_830;
/// Default days after a touch within which a payment counts as the toucher's.
pub const DEFAULT_ATTRIBUTION_DAYS: i64 = 7;
/// The most days a touch can be credited for.
pub const MAX_ATTRIBUTION_DAYS: i64 = 90;
/// How many months countback DSO may walk back.
const COUNTBACK_MONTHS: usize = 24;
/// What counts as a collector's touch for attributing cash.
const TOUCHES: [ActivityKind; 6] = [
    ActivityKind::Call,
    ActivityKind::Email,
    ActivityKind::Meeting,
    ActivityKind::PromiseToPay,
    ActivityKind::PromiseMade,
    ActivityKind::PaymentLinkSent,
];

/// How rows are formed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricsGroupBy {
    None,
    Collector,
    Month,
}

#[derive(Debug, Clone)]
pub struct MetricsRequest {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub currency: Currency,
    pub group_by: MetricsGroupBy,
    pub attribution_days: i64,
}

/// One row of figures; amounts in minor units of the request's currency.
#[derive(Debug, Clone, Default)]
pub struct Metrics {
    pub collector: Option<Uuid>,
    /// The month's first day (month rows).
    pub month: Option<NaiveDate>,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub credit_sales: i128,
    pub ar_begin: i128,
    pub ar_end: i128,
    pub ar_end_current: i128,
    pub cash_collected: i128,
    pub dso: Option<Decimal>,
    pub dso_countback: Option<Decimal>,
    pub best_possible_dso: Option<Decimal>,
    pub add: Option<Decimal>,
    pub cei: Option<Decimal>,
    pub invoices_paid: i64,
    pub average_days_to_pay: Option<Decimal>,
    pub average_days_to_pay_weighted: Option<Decimal>,
    pub average_days_late: Option<Decimal>,
    pub average_days_late_weighted: Option<Decimal>,
    pub weighted_days_past_due: Option<Decimal>,
    pub promise_kept_rate: Option<Decimal>,
    pub dispute_share: Option<Decimal>,
    pub average_dispute_resolution_days: Option<Decimal>,
    /// Collector rows: payments within the attribution window after their last touch.
    pub attributed_cash: Option<i128>,
    /// Collector rows: customers assigned to them at the end of the period.
    pub customers: Option<i64>,
    pub activity_counts: Vec<(ActivityKind, i64)>,
}

impl Metrics {
    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }
}

/// Who a row belongs to: everyone, or one collector (None: customers with no collector).
type Owner = Option<Option<Uuid>>;

/// Sums collected per row owner and period, before the figures are derived.
#[derive(Debug, Clone, Default)]
struct Sums {
    /// AR and its current part on each day of `days` (index-aligned).
    ar: Vec<i128>,
    current: Vec<i128>,
    /// Σ open × days past due, on each day.
    weighted: Vec<i128>,
    /// Credit sales per issue day, with the day each sale was voided (None: never).
    sales: BTreeMap<(NaiveDate, Option<NaiveDate>), i128>,
    /// Per period: paid invoices (count, Σ days to pay, Σ days late, Σ amount, Σ amount × days
    /// to pay, Σ amount × days late).
    paid: Vec<[i128; 6]>,
    cash: Vec<i128>,
    kept: Vec<(i64, i64)>,
    disputed_overdue: Vec<i128>,
    resolution_days: Vec<Vec<Decimal>>,
    attributed: i128,
    activities: Vec<BTreeMap<String, i64>>,
}

impl Sums {
    fn empty(days: usize, periods: usize) -> Self {
        Self {
            ar: vec![0; days],
            current: vec![0; days],
            weighted: vec![0; days],
            paid: vec![[0; 6]; periods],
            cash: vec![0; periods],
            kept: vec![(0, 0); periods],
            disputed_overdue: vec![0; periods],
            resolution_days: vec![Vec::new(); periods],
            activities: vec![BTreeMap::new(); periods],
            ..Self::default()
        }
    }
}

/// The figures for a period, by the request's grouping. A collector sees only their own row.
pub async fn collection_metrics(
    app: &AppState,
    viewer: &Viewer,
    mut request: MetricsRequest,
) -> AppResult<Vec<Metrics>> {
    viewer.require(Role::Collector)?;
    if request.to < request.from {
        return Err(AppError::BadRequest("`to` is before `from`".into()));
    }
    if (request.to - request.from).num_days() >= MAX_PERIOD_DAYS {
        return Err(AppError::BadRequest(format!(
            "a period is at most {MAX_PERIOD_DAYS} days"
        )));
    }
    if !(0..=MAX_ATTRIBUTION_DAYS).contains(&request.attribution_days) {
        return Err(AppError::BadRequest(format!(
            "`attributionDays` is between 0 and {MAX_ATTRIBUTION_DAYS}"
        )));
    }
    let only_viewer = !viewer.role.allows(Role::Manager);
    if only_viewer {
        request.group_by = MetricsGroupBy::Collector;
    }
    let org = viewer.organization_id;
    let conn = app.db.reader();
    let periods: Vec<(NaiveDate, NaiveDate)> = match request.group_by {
        MetricsGroupBy::Month => months_between(request.from, request.to)
            .into_iter()
            .map(|(first, _, _)| {
                let last = next_month(first).pred_opt().unwrap_or(first);
                (first.max(request.from), last.min(request.to))
            })
            .collect(),
        _ => vec![(request.from, request.to)],
    };
    // Every day AR is needed on: the day before each period, and each period's last day.
    let mut days: Vec<NaiveDate> = periods
        .iter()
        .flat_map(|(from, to)| [from.pred_opt().unwrap_or(*from), *to])
        .collect();
    days.sort();
    days.dedup();

    let by_collector = request.group_by == MetricsGroupBy::Collector;
    let assignments = if by_collector {
        Assignments::load(conn, org).await?
    } else {
        Assignments::default()
    };
    let owner_on = |customer: Option<Uuid>, day: NaiveDate| -> Owner {
        match customer {
            Some(customer) if by_collector => Some(assignments.collector_on(customer, day)),
            _ => None,
        }
    };
    let mut sums: HashMap<Owner, Sums> = HashMap::new();
    let n_periods = periods.len();
    let n_days = days.len();
    let fresh = || Sums::empty(n_days, n_periods);
    let currency = request.currency;

    for (sign, pass) in [
        (1, Pass::Invoices),
        (-1, Pass::Allocations),
        (1, Pass::Reversals),
    ] {
        let rows = ar_columns(conn, org, currency, &days, by_collector, pass).await?;
        for (customer, columns) in rows {
            for (index, day) in days.iter().enumerate() {
                let entry = sums.entry(owner_on(customer, *day)).or_insert_with(fresh);
                entry.ar[index] += sign * columns[index * 3];
                entry.current[index] += sign * columns[index * 3 + 1];
                entry.weighted[index] += sign * columns[index * 3 + 2];
            }
        }
    }

    let lookback = first_of_month(request.from) - Duration::days(31 * COUNTBACK_MONTHS as i64);
    for (customer, issued, voided, total) in
        sales(conn, org, currency, lookback, request.to, by_collector).await?
    {
        *sums
            .entry(owner_on(customer, issued))
            .or_insert_with(fresh)
            .sales
            .entry((issued, voided))
            .or_default() += total;
    }

    let period_of = |day: NaiveDate| {
        periods
            .iter()
            .position(|(from, to)| *from <= day && day <= *to)
    };
    for (customer, paid_on, row) in
        paid(conn, org, currency, request.from, request.to, by_collector).await?
    {
        if let Some(period) = period_of(paid_on) {
            let entry = &mut sums
                .entry(owner_on(customer, paid_on))
                .or_insert_with(fresh)
                .paid[period];
            for (total, value) in entry.iter_mut().zip(row) {
                *total += value;
            }
        }
    }

    let start = end_of(request.from.pred_opt().unwrap_or(request.from));
    let end = end_of(request.to);
    let period_at = |at: DateTime<Utc>| period_of(at.date_naive());
    // Per collector each payment is needed (for attribution); otherwise sums per day do.
    let payments = if by_collector {
        payments(conn, org, currency, start, end).await?
    } else {
        Vec::new()
    };
    for (customer, received_at, amount) in &payments {
        if let Some(period) = period_at(*received_at) {
            sums.entry(owner_on(Some(*customer), received_at.date_naive()))
                .or_insert_with(fresh)
                .cash[period] += amount;
        }
    }
    if !by_collector {
        for (day, amount) in cash_by_day(conn, org, currency, start, end).await? {
            if let Some(period) = period_of(day) {
                sums.entry(None).or_insert_with(fresh).cash[period] += amount;
            }
        }
    }

    for (customer, promised, kept) in
        promises(conn, org, currency, request.from, request.to).await?
    {
        if let Some(period) = period_of(promised) {
            let entry = &mut sums
                .entry(owner_on(Some(customer), promised))
                .or_insert_with(fresh)
                .kept[period];
            if kept {
                entry.0 += 1;
            } else {
                entry.1 += 1;
            }
        }
    }

    let disputes = dispute::Entity::in_org(org)
        .filter(dispute::Column::OpenedAt.lt(end))
        .all(conn)
        .await?;
    for row in &disputes {
        if let Some(resolved_at) = row.resolved_at
            && let Some(period) = period_at(resolved_at)
        {
            let seconds = (resolved_at - row.opened_at).num_seconds().max(0);
            let days = Decimal::from(seconds) / Decimal::from(86_400);
            sums.entry(owner_on(Some(row.customer_id), resolved_at.date_naive()))
                .or_insert_with(fresh)
                .resolution_days[period]
                .push(days);
        }
    }
    let balances = disputed_balances(conn, org, currency, &disputes, &periods).await?;
    for (period, customer, open) in balances {
        let day = periods[period].1;
        sums.entry(owner_on(Some(customer), day))
            .or_insert_with(fresh)
            .disputed_overdue[period] += open;
    }

    for (actor, period, kind, count) in activity_counts(conn, org, &periods).await? {
        let owner = if by_collector { Some(actor) } else { None };
        *sums.entry(owner).or_insert_with(fresh).activities[period]
            .entry(kind)
            .or_default() += count;
    }

    if by_collector {
        let window = Duration::days(request.attribution_days);
        for (collector, amount) in
            attribute(conn, org, &payments, start - window, end, window).await?
        {
            sums.entry(Some(Some(collector)))
                .or_insert_with(fresh)
                .attributed += amount;
        }
    }

    let mut rows = Vec::new();
    for (owner, sums) in &sums {
        if only_viewer && *owner != Some(Some(viewer.user_id.0)) {
            continue;
        }
        for (period, (from, to)) in periods.iter().enumerate() {
            let mut row = derive(sums, &days, period, *from, *to);
            if let Some(collector) = owner {
                row.collector = *collector;
                row.attributed_cash = Some(sums.attributed);
                row.customers =
                    Some(collector.map_or(0, |collector| assignments.portfolio(collector, *to)));
            }
            if request.group_by == MetricsGroupBy::Month {
                row.month = Some(first_of_month(*from));
            }
            rows.push(row);
        }
    }
    if only_viewer && rows.is_empty() {
        // A collector with nothing yet still gets their (empty) row.
        let mut row = derive(&fresh(), &days, 0, request.from, request.to);
        row.collector = Some(viewer.user_id.0);
        row.attributed_cash = Some(0);
        row.customers = Some(assignments.portfolio(viewer.user_id.0, request.to));
        rows.push(row);
    }
    rows.sort_by_key(|row| (row.month, row.collector.is_none(), row.collector));
    Ok(rows)
}

/// The figures of one period from its sums.
fn derive(
    sums: &Sums,
    days: &[NaiveDate],
    period: usize,
    from: NaiveDate,
    to: NaiveDate,
) -> Metrics {
    let at = |day: NaiveDate| days.iter().position(|known| *known == day).unwrap_or(0);
    let (begin, end) = (at(from.pred_opt().unwrap_or(from)), at(to));
    let length = (to - from).num_days() + 1;
    let sales_between = |first: NaiveDate, last: NaiveDate| -> i128 {
        sums.sales
            .range((first, None)..)
            .take_while(|((issued, _), _)| *issued <= last)
            .filter(|((_, voided), _)| voided.is_none_or(|voided| voided > to))
            .map(|(_, total)| *total)
            .sum()
    };
    let credit_sales = sales_between(from, to);
    let (ar_begin, ar_end, ar_end_current) = (sums.ar[begin], sums.ar[end], sums.current[end]);
    let mut countback = Vec::new();
    let mut chunk_start = first_of_month(to);
    let mut chunk_end = to;
    for _ in 0..COUNTBACK_MONTHS {
        let chunk_days = (chunk_end - chunk_start).num_days() + 1;
        countback.push((sales_between(chunk_start, chunk_end), chunk_days));
        chunk_end = chunk_start.pred_opt().unwrap_or(chunk_start);
        chunk_start = first_of_month(chunk_end);
    }
    let dso = figures::dso(ar_end, credit_sales, length);
    let best_possible_dso = figures::dso(ar_end_current, credit_sales, length);
    let [
        count,
        days_to_pay,
        days_late,
        amount,
        weighted_to_pay,
        weighted_late,
    ] = sums.paid[period];
    let average = |total: i128, over: i128| figures::ratio(total, over).map(figures::round2);
    let overdue = ar_end - ar_end_current;
    let (kept, broken) = sums.kept[period];
    let resolutions = &sums.resolution_days[period];
    Metrics {
        collector: None,
        month: None,
        from,
        to,
        credit_sales,
        ar_begin,
        ar_end,
        ar_end_current,
        cash_collected: sums.cash[period],
        dso,
        dso_countback: figures::dso_countback(ar_end, &countback),
        best_possible_dso,
        add: figures::add(dso, best_possible_dso),
        cei: figures::cei(
            ar_begin,
            credit_sales,
            figures::months_in(from, to),
            ar_end,
            ar_end_current,
        ),
        invoices_paid: i64::try_from(count).unwrap_or(i64::MAX),
        average_days_to_pay: average(days_to_pay, count),
        average_days_to_pay_weighted: average(weighted_to_pay, amount),
        average_days_late: average(days_late, count),
        average_days_late_weighted: average(weighted_late, amount),
        weighted_days_past_due: average(sums.weighted[end], overdue),
        promise_kept_rate: figures::percent(i128::from(kept), i128::from(kept + broken)),
        dispute_share: figures::percent(sums.disputed_overdue[period], overdue),
        average_dispute_resolution_days: (!resolutions.is_empty()).then(|| {
            figures::round2(
                resolutions.iter().sum::<Decimal>() / Decimal::from(resolutions.len() as u64),
            )
        }),
        attributed_cash: None,
        customers: None,
        activity_counts: sums.activities[period]
            .iter()
            .filter_map(|(kind, count)| {
                ActivityKind::try_from_value(kind)
                    .ok()
                    .map(|kind| (kind, *count))
            })
            .collect(),
    }
}

/// What an AR pass sums.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pass {
    /// Invoice totals, counted from issue until voided.
    Invoices,
    /// Allocations, counted from the day received.
    Allocations,
    /// Reversed allocations, counted from the day reversed (they are few: a partial index).
    Reversals,
}

/// Per customer (or in all), for each day: AR, its current part, and Σ open × days past due,
/// as summed by one pass. AR = invoices − allocations + reversals.
async fn ar_columns(
    conn: &sea_orm::DatabaseConnection,
    org: OrganizationId,
    currency: Currency,
    days: &[NaiveDate],
    per_customer: bool,
    pass: Pass,
) -> AppResult<Vec<(Option<Uuid>, Vec<i128>)>> {
    let mut sql = Sql::new(conn);
    sql.push("SELECT ");
    if per_customer {
        sql.push("i.customer_id AS customer_id, ");
    }
    let (amount, counted, close) = match pass {
        Pass::Invoices => (
            "i.total_minor",
            "(i.voided_on IS NULL OR i.voided_on > ",
            ")",
        ),
        Pass::Allocations => ("a.amount_minor", "a.received_on <= ", ""),
        Pass::Reversals => ("a.amount_minor", "a.reversed_on <= ", ""),
    };
    for (index, day) in days.iter().enumerate() {
        if index > 0 {
            sql.push(", ");
        }
        // Counted on `day`: issued by then, and not voided, received, or reversed by then.
        let condition = |sql: &mut Sql| {
            sql.push("i.issue_date <= ")
                .bind(*day)
                .push(" AND ")
                .push(counted)
                .bind(*day)
                .push(close);
        };
        sql.push("CAST(SUM(CASE WHEN ");
        condition(&mut sql);
        sql.push(&format!(
            " THEN {amount} ELSE 0 END) AS BIGINT) AS t{index}, CAST(SUM(CASE WHEN "
        ));
        condition(&mut sql);
        sql.push(" AND i.due_date >= ").bind(*day);
        sql.push(&format!(
            " THEN {amount} ELSE 0 END) AS BIGINT) AS c{index}, CAST(SUM(CASE WHEN "
        ));
        condition(&mut sql);
        sql.push(" AND i.due_date < ")
            .bind(*day)
            .push(&format!(" THEN {amount} * "));
        sql.push_days_since(*day, "i.due_date");
        sql.push(&format!(" ELSE 0 END) AS BIGINT) AS w{index}"));
    }
    if pass != Pass::Invoices {
        let last = if pass == Pass::Allocations {
            " AND a.received_on <= "
        } else {
            " AND a.reversed_on IS NOT NULL AND a.reversed_on <= "
        };
        sql.push(" FROM payment_allocations a JOIN invoices i ON i.id = a.invoice_id WHERE a.organization_id = ")
            .bind(org.0)
            .push(" AND i.currency = ")
            .bind_currency(currency)
            .push(last)
            .bind(days.last().copied().unwrap_or_default());
    } else {
        sql.push(" FROM invoices i WHERE i.organization_id = ")
            .bind(org.0)
            .push(" AND i.currency = ")
            .bind_currency(currency)
            .push(" AND i.issue_date <= ")
            .bind(days.last().copied().unwrap_or_default());
    }
    if per_customer {
        sql.push(" GROUP BY i.customer_id");
    }
    let rows = sql.all(conn).await?;
    rows.iter()
        .map(|row| {
            let customer = customer_of(row, per_customer)?;
            let mut columns = Vec::with_capacity(days.len() * 3);
            for index in 0..days.len() {
                for prefix in ["t", "c", "w"] {
                    let value: Option<i64> = get(row, &format!("{prefix}{index}"))?;
                    columns.push(i128::from(value.unwrap_or(0)));
                }
            }
            Ok((customer, columns))
        })
        .collect()
}

/// ` WHERE` the organization's rows in `currency` with `column` in `from..=to`.
fn push_range(
    sql: &mut Sql,
    org: OrganizationId,
    currency: Currency,
    column: &str,
    from: NaiveDate,
    to: NaiveDate,
) {
    sql.push(" WHERE organization_id = ")
        .bind(org.0)
        .push(" AND currency = ")
        .bind_currency(currency)
        .push(&format!(" AND {column} >= "))
        .bind(from)
        .push(&format!(" AND {column} <= "))
        .bind(to);
}

/// The row's customer, when rows are per customer.
fn customer_of(row: &sea_orm::QueryResult, per_customer: bool) -> AppResult<Option<Uuid>> {
    if per_customer {
        Ok(Some(get(row, "customer_id")?))
    } else {
        Ok(None)
    }
}

/// Invoice totals by customer (when asked), issue day and void day, issued in `from..=to`.
async fn sales(
    conn: &sea_orm::DatabaseConnection,
    org: OrganizationId,
    currency: Currency,
    from: NaiveDate,
    to: NaiveDate,
    per_customer: bool,
) -> AppResult<Vec<(Option<Uuid>, NaiveDate, Option<NaiveDate>, i128)>> {
    let customer = if per_customer { "customer_id, " } else { "" };
    let mut sql = Sql::new(conn);
    sql.push(&format!(
        "SELECT {customer}issue_date, voided_on, CAST(SUM(total_minor) AS BIGINT) AS total \
         FROM invoices"
    ));
    push_range(&mut sql, org, currency, "issue_date", from, to);
    sql.push(&format!(" GROUP BY {customer}issue_date, voided_on"));
    sql.all(conn)
        .await?
        .iter()
        .map(|row| {
            Ok((
                customer_of(row, per_customer)?,
                get(row, "issue_date")?,
                get(row, "voided_on")?,
                i128::from(get::<i64>(row, "total")?),
            ))
        })
        .collect()
}

/// Invoices fully paid in the period, by customer (when asked) and paid day: count, Σ days to
/// pay, Σ days late (early is 0), Σ amount, and the amount-weighted sums.
async fn paid(
    conn: &sea_orm::DatabaseConnection,
    org: OrganizationId,
    currency: Currency,
    from: NaiveDate,
    to: NaiveDate,
    per_customer: bool,
) -> AppResult<Vec<(Option<Uuid>, NaiveDate, [i128; 6])>> {
    let customer = if per_customer { "customer_id, " } else { "" };
    let mut sql = Sql::new(conn);
    let to_pay = sql.days_between("paid_on", "issue_date");
    let late = sql.greatest(&sql.days_between("paid_on", "due_date"), "0");
    sql.push(&format!(
        "SELECT {customer}paid_on, COUNT(*) AS invoices, CAST(SUM({to_pay}) AS BIGINT) AS to_pay, \
         CAST(SUM({late}) AS BIGINT) AS late, CAST(SUM(total_minor) AS BIGINT) AS amount, \
         CAST(SUM(total_minor * {to_pay}) AS BIGINT) AS weighted_to_pay, \
         CAST(SUM(total_minor * {late}) AS BIGINT) AS weighted_late \
         FROM invoices"
    ));
    push_range(&mut sql, org, currency, "paid_on", from, to);
    sql.push(&format!(" GROUP BY {customer}paid_on"));
    sql.all(conn)
        .await?
        .iter()
        .map(|row| {
            let customer = customer_of(row, per_customer)?;
            let mut values = [0_i128; 6];
            values[0] = i128::from(get::<i64>(row, "invoices")?);
            for (slot, column) in values[1..].iter_mut().zip([
                "to_pay",
                "late",
                "amount",
                "weighted_to_pay",
                "weighted_late",
            ]) {
                *slot = i128::from(get::<i64>(row, column)?);
            }
            Ok((customer, get(row, "paid_on")?, values))
        })
        .collect()
}

/// ` FROM payments WHERE` those received in `start..end` and not reversed by `end`.
fn push_payments(
    sql: &mut Sql,
    org: OrganizationId,
    currency: Currency,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) {
    sql.push(" FROM payments WHERE organization_id = ")
        .bind(org.0)
        .push(" AND currency = ")
        .bind_currency(currency)
        .push(" AND received_at >= ")
        .bind(start)
        .push(" AND received_at < ")
        .bind(end)
        .push(" AND (reversed_at IS NULL OR reversed_at >= ")
        .bind(end)
        .push(")");
}

/// Payments received in `start..end` and not reversed by `end`, summed per (UTC) day.
async fn cash_by_day(
    conn: &sea_orm::DatabaseConnection,
    org: OrganizationId,
    currency: Currency,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> AppResult<Vec<(NaiveDate, i128)>> {
    let mut sql = Sql::new(conn);
    let day = sql.utc_day("received_at");
    sql.push(&format!(
        "SELECT {day} AS received_day, CAST(SUM(amount_minor) AS BIGINT) AS amount"
    ));
    push_payments(&mut sql, org, currency, start, end);
    sql.push(" GROUP BY received_day");
    sql.all(conn)
        .await?
        .iter()
        .map(|row| {
            Ok((
                get(row, "received_day")?,
                i128::from(get::<i64>(row, "amount")?),
            ))
        })
        .collect()
}

/// Payments received in `start..end` and not reversed by `end`: customer, time, amount.
async fn payments(
    conn: &sea_orm::DatabaseConnection,
    org: OrganizationId,
    currency: Currency,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> AppResult<Vec<(Uuid, DateTime<Utc>, i128)>> {
    let mut sql = Sql::new(conn);
    sql.push("SELECT customer_id, received_at, amount_minor");
    push_payments(&mut sql, org, currency, start, end);
    sql.all(conn)
        .await?
        .iter()
        .map(|row| {
            Ok((
                get(row, "customer_id")?,
                get(row, "received_at")?,
                i128::from(get::<i64>(row, "amount_minor")?),
            ))
        })
        .collect()
}

/// Promises due in the period that were settled: customer, promised day, kept or broken.
async fn promises(
    conn: &sea_orm::DatabaseConnection,
    org: OrganizationId,
    currency: Currency,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<Vec<(Uuid, NaiveDate, bool)>> {
    let mut sql = Sql::new(conn);
    sql.push("SELECT customer_id, promised_date, status FROM promises");
    push_range(&mut sql, org, currency, "promised_date", from, to);
    sql.push(" AND status IN ('KEPT', 'BROKEN')");
    sql.all(conn)
        .await?
        .iter()
        .map(|row| {
            Ok((
                get(row, "customer_id")?,
                get(row, "promised_date")?,
                get::<String>(row, "status")? == "KEPT",
            ))
        })
        .collect()
}

/// For each period's last day: each customer's overdue open balance on invoices in a dispute
/// open that day.
async fn disputed_balances(
    conn: &sea_orm::DatabaseConnection,
    org: OrganizationId,
    currency: Currency,
    disputes: &[dispute::Model],
    periods: &[(NaiveDate, NaiveDate)],
) -> AppResult<Vec<(usize, Uuid, i128)>> {
    let mut wanted: Vec<(usize, Uuid)> = Vec::new();
    for (period, (_, to)) in periods.iter().enumerate() {
        let end = end_of(*to);
        for row in disputes {
            let open_then = row.opened_at < end
                && (row.status == DisputeStatus::Open
                    || row.resolved_at.is_some_and(|at| at >= end));
            if open_then {
                wanted.push((period, row.invoice_id));
            }
        }
    }
    wanted.sort();
    wanted.dedup();
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = wanted.iter().map(|(_, id)| *id).collect();
    let invoices = crate::entities::invoice::Entity::in_org(org)
        .filter(crate::entities::invoice::Column::Id.is_in(ids.clone()))
        .filter(crate::entities::invoice::Column::Currency.eq(currency.code()))
        .all(conn)
        .await?;
    let allocations = crate::entities::payment_allocation::Entity::in_org(org)
        .filter(crate::entities::payment_allocation::Column::InvoiceId.is_in(ids))
        .all(conn)
        .await?;
    let invoices: HashMap<Uuid, _> = invoices.into_iter().map(|row| (row.id, row)).collect();
    let mut balances = Vec::new();
    for (period, invoice_id) in wanted {
        let Some(invoice) = invoices.get(&invoice_id) else {
            continue;
        };
        let day = periods[period].1;
        let counted =
            invoice.issue_date <= day && invoice.voided_on.is_none_or(|voided| voided > day);
        if !counted || invoice.due_date >= day {
            continue;
        }
        let paid: i64 = allocations
            .iter()
            .filter(|allocation| {
                allocation.invoice_id == invoice_id
                    && allocation.received_on <= day
                    && allocation.reversed_on.is_none_or(|reversed| reversed > day)
            })
            .map(|allocation| allocation.amount_minor)
            .sum();
        balances.push((
            period,
            invoice.customer_id,
            i128::from(invoice.total_minor - paid),
        ));
    }
    Ok(balances)
}

/// Activities logged by users in each period: user, period, kind, count.
async fn activity_counts(
    conn: &sea_orm::DatabaseConnection,
    org: OrganizationId,
    periods: &[(NaiveDate, NaiveDate)],
) -> AppResult<Vec<(Option<Uuid>, usize, String, i64)>> {
    let mut sql = Sql::new(conn);
    sql.push("SELECT actor_user_id, CASE");
    for (index, (_, to)) in periods.iter().enumerate() {
        sql.push(" WHEN occurred_at < ")
            .bind(end_of(*to))
            .push(&format!(" THEN {index}"));
    }
    sql.push(" END AS period, kind, COUNT(*) AS n FROM activities WHERE organization_id = ")
        .bind(org.0)
        .push(" AND actor_user_id IS NOT NULL AND occurred_at >= ")
        .bind(end_of(periods[0].0.pred_opt().unwrap_or(periods[0].0)))
        .push(" AND occurred_at < ")
        .bind(end_of(periods[periods.len() - 1].1))
        .push(" GROUP BY actor_user_id, period, kind");
    sql.all(conn)
        .await?
        .iter()
        .map(|row| {
            Ok((
                get(row, "actor_user_id")?,
                usize::try_from(get::<i32>(row, "period")?).unwrap_or(0),
                get(row, "kind")?,
                get(row, "n")?,
            ))
        })
        .collect()
}

/// Cash per collector: each payment goes to whoever last touched its customer (call, mail,
/// meeting, promise, sent link) within `window` before it arrived; later touches win, so no
/// payment counts twice.
async fn attribute(
    conn: &sea_orm::DatabaseConnection,
    org: OrganizationId,
    payments: &[(Uuid, DateTime<Utc>, i128)],
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    window: Duration,
) -> AppResult<HashMap<Uuid, i128>> {
    let mut sql = Sql::new(conn);
    sql.push(
        "SELECT customer_id, actor_user_id, occurred_at FROM activities WHERE organization_id = ",
    )
    .bind(org.0)
    .push(" AND actor_user_id IS NOT NULL AND occurred_at >= ")
    .bind(start)
    .push(" AND occurred_at < ")
    .bind(end)
    .push(" AND kind IN (");
    for (index, kind) in TOUCHES.iter().enumerate() {
        if index > 0 {
            sql.push(", ");
        }
        sql.bind(kind.to_value());
    }
    sql.push(")");
    let mut touches: HashMap<Uuid, Vec<(DateTime<Utc>, Uuid)>> = HashMap::new();
    for row in sql.all(conn).await? {
        touches
            .entry(get(&row, "customer_id")?)
            .or_default()
            .push((get(&row, "occurred_at")?, get(&row, "actor_user_id")?));
    }
    for list in touches.values_mut() {
        list.sort();
    }
    let mut attributed: HashMap<Uuid, i128> = HashMap::new();
    for (customer, received_at, amount) in payments {
        let Some(list) = touches.get(customer) else {
            continue;
        };
        let before = list.partition_point(|(at, _)| at <= received_at);
        if let Some((at, collector)) = before.checked_sub(1).map(|index| list[index])
            && *received_at - at <= window
        {
            *attributed.entry(collector).or_default() += amount;
        }
    }
    Ok(attributed)
}
