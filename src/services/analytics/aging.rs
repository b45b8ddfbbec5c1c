//! The aging report as of any date: open balances by days past due, in total and per customer or
//! collector, with unapplied cash on its own line.
//!
//! An invoice's open balance on day `t` is `total − paid + (allocations received after t) −
//! (allocations reversed after t)`: only invoices open today, voided after `t`, or paid or
//! reversed after `t` can be open on `t`, so a report for a recent day reads the open book and
//! the few allocations since, never the whole ledger.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use uuid::Uuid;

use super::rates::{Converter, Rate};
use super::{Assignments, Sql, end_of, get};
use crate::auth::Viewer;
use crate::domain::analytics::Buckets;
use crate::domain::ids::OrganizationId;
use crate::domain::money::Currency;
use crate::error::AppResult;
use crate::services::listing::{Cursor, Page, PageRequest};
use crate::services::rules;
use crate::state::AppState;

/// How a report's groups are formed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    None,
    Customer,
    Collector,
}

/// What to report.
#[derive(Debug, Clone)]
pub struct AgingRequest {
    pub as_of: NaiveDate,
    pub currency: Currency,
    /// Converts every currency into `currency`; otherwise only `currency`'s invoices count.
    pub convert: bool,
    pub buckets: Buckets,
    pub group_by: GroupBy,
    pub page: PageRequest,
}

/// One set of aging figures, in minor units of the report's currency.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Figures {
    /// Per bucket (Current first): amount and number of invoices.
    pub buckets: Vec<(i128, i64)>,
    pub total: i128,
    pub over_90: i128,
    /// Σ open × days past due over the overdue invoices (for the weighted average).
    pub weighted_days: i128,
    pub unapplied: i128,
}

impl Figures {
    fn new(buckets: &Buckets) -> Self {
        Self {
            buckets: vec![(0, 0); buckets.len()],
            ..Self::default()
        }
    }

    pub fn current(&self) -> i128 {
        self.buckets.first().map_or(0, |bucket| bucket.0)
    }

    pub fn overdue(&self) -> i128 {
        self.total - self.current()
    }

    pub fn count(&self) -> i64 {
        self.buckets.iter().map(|bucket| bucket.1).sum()
    }
}

/// Who a group is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GroupKey {
    Customer(Uuid),
    /// None: customers with no collector.
    Collector(Option<Uuid>),
}

impl GroupKey {
    fn id(&self) -> Uuid {
        match self {
            GroupKey::Customer(id) | GroupKey::Collector(Some(id)) => *id,
            GroupKey::Collector(None) => Uuid::nil(),
        }
    }
}

/// A customer's or collector's figures.
#[derive(Debug, Clone)]
pub struct Group {
    pub key: GroupKey,
    /// The customer's collector on the report's day (for customer groups).
    pub collector: Option<Uuid>,
    pub figures: Figures,
}

/// The report.
#[derive(Debug, Clone)]
pub struct AgingReport {
    pub as_of: NaiveDate,
    pub currency: Currency,
    pub buckets: Buckets,
    pub figures: Figures,
    /// The rates converted figures used (empty without conversion).
    pub rates: Vec<Rate>,
    /// One page of groups, ordered by overdue amount (largest first), then id, and how many
    /// groups there are in all.
    pub groups: Option<(Page<Group>, usize)>,
}

/// The organization's aging as of a day.
pub async fn report(
    app: &AppState,
    viewer: &Viewer,
    request: AgingRequest,
) -> AppResult<AgingReport> {
    let org = viewer.organization_id;
    let conn = app.db.reader();
    let t = request.as_of;
    let only = (!request.convert).then_some(request.currency);
    let totals = open_by_due_date(conn, org, t, only, None).await?;
    let unapplied = unapplied(conn, org, t, only, None).await?;
    let currencies = totals
        .iter()
        .map(|row| row.currency)
        .chain(unapplied.iter().map(|row| row.0))
        .collect::<Vec<_>>();
    let converter = if request.convert {
        Some(Converter::load(conn, org, t, request.currency, currencies).await?)
    } else {
        None
    };
    let convert = |minor: i128, currency: Currency| match &converter {
        Some(converter) => converter.convert(minor, currency),
        None => Ok(minor),
    };

    let mut figures = Figures::new(&request.buckets);
    for (currency, sums) in by_currency(&totals, &request.buckets, t) {
        add_converted(&mut figures, &sums, |minor| convert(minor, currency))?;
    }
    for (currency, _, amount) in &unapplied {
        figures.unapplied += convert(*amount, *currency)?;
    }

    let groups = match request.group_by {
        GroupBy::None => None,
        group_by => {
            let assignments = Assignments::load(conn, org).await?;
            let rows = open_by_customer_and_bucket(conn, org, t, only, &request.buckets).await?;
            let mut raw: BTreeMap<(GroupKey, Currency), Figures> = BTreeMap::new();
            let key_of = |customer_id: Uuid| match group_by {
                GroupBy::Collector => GroupKey::Collector(assignments.collector_on(customer_id, t)),
                _ => GroupKey::Customer(customer_id),
            };
            for row in rows {
                let entry = raw
                    .entry((key_of(row.customer_id), row.currency))
                    .or_insert_with(|| Figures::new(&request.buckets));
                let bucket = &mut entry.buckets[row.bucket];
                bucket.0 += row.open;
                bucket.1 += row.invoices;
                entry.total += row.open;
            }
            for (currency, customer_id, amount) in &unapplied {
                raw.entry((key_of(*customer_id), *currency))
                    .or_insert_with(|| Figures::new(&request.buckets))
                    .unapplied += amount;
            }
            let mut groups: HashMap<GroupKey, Figures> = HashMap::new();
            for ((key, currency), sums) in raw {
                let figures = groups
                    .entry(key)
                    .or_insert_with(|| Figures::new(&request.buckets));
                add_converted(figures, &sums, |minor| convert(minor, currency))?;
            }
            let mut groups: Vec<Group> = groups
                .into_iter()
                .map(|(key, figures)| Group {
                    key,
                    collector: match key {
                        GroupKey::Customer(customer_id) => assignments.collector_on(customer_id, t),
                        GroupKey::Collector(collector) => collector,
                    },
                    figures,
                })
                .collect();
            groups.sort_by(|a, b| {
                b.figures
                    .overdue()
                    .cmp(&a.figures.overdue())
                    .then(a.key.id().cmp(&b.key.id()))
            });
            let count = groups.len();
            Some((page_of(groups, &request.page), count))
        }
    };
    Ok(AgingReport {
        as_of: t,
        currency: request.currency,
        buckets: request.buckets,
        figures,
        rates: converter
            .map(|converter| converter.used())
            .unwrap_or_default(),
        groups,
    })
}

/// One customer's aging as of a day, one report per currency they have open or unapplied.
pub async fn of_customer(
    app: &AppState,
    org: OrganizationId,
    customer_id: Uuid,
    as_of: NaiveDate,
    buckets: &Buckets,
) -> AppResult<Vec<(Currency, Figures)>> {
    let conn = app.db.reader();
    let totals = open_by_due_date(conn, org, as_of, None, Some(customer_id)).await?;
    let unapplied = unapplied(conn, org, as_of, None, Some(customer_id)).await?;
    let mut reports: BTreeMap<Currency, Figures> = BTreeMap::new();
    for (currency, sums) in by_currency(&totals, buckets, as_of) {
        let figures = reports
            .entry(currency)
            .or_insert_with(|| Figures::new(buckets));
        add_converted(figures, &sums, Ok)?;
    }
    for (currency, _, amount) in unapplied {
        reports
            .entry(currency)
            .or_insert_with(|| Figures::new(buckets))
            .unapplied += amount;
    }
    Ok(reports.into_iter().collect())
}

/// Keyset paging over groups already in order: the cursor is (overdue amount, id).
fn page_of(groups: Vec<Group>, request: &PageRequest) -> Page<Group> {
    let cursor_of =
        |group: &Group| Cursor::new(group.figures.overdue().to_string(), group.key.id());
    let start = match &request.after {
        None => 0,
        Some(after) => {
            let after_amount: i128 = after.key.parse().unwrap_or(i128::MAX);
            groups
                .iter()
                .position(|group| {
                    let amount = group.figures.overdue();
                    amount < after_amount || (amount == after_amount && group.key.id() > after.id)
                })
                .unwrap_or(groups.len())
        }
    };
    let rows: Vec<Group> = groups.into_iter().skip(start).collect();
    Page::from_rows(rows, request.first, cursor_of)
}

/// Adds one currency's sums to `figures`, each converted.
fn add_converted(
    figures: &mut Figures,
    sums: &Figures,
    convert: impl Fn(i128) -> AppResult<i128>,
) -> AppResult<()> {
    let mut total = 0;
    for (target, source) in figures.buckets.iter_mut().zip(&sums.buckets) {
        let amount = convert(source.0)?;
        target.0 += amount;
        target.1 += source.1;
        total += amount;
    }
    figures.total += total;
    figures.over_90 += convert(sums.over_90)?;
    figures.weighted_days += convert(sums.weighted_days)?;
    figures.unapplied += convert(sums.unapplied)?;
    Ok(())
}

/// Open balance on one due date, in one currency.
struct DueRow {
    currency: Currency,
    due_date: NaiveDate,
    open: i128,
    invoices: i64,
}

/// Sums per currency from rows per due date.
fn by_currency(rows: &[DueRow], buckets: &Buckets, t: NaiveDate) -> BTreeMap<Currency, Figures> {
    let mut sums: BTreeMap<Currency, Figures> = BTreeMap::new();
    for row in rows {
        let figures = sums
            .entry(row.currency)
            .or_insert_with(|| Figures::new(buckets));
        let days = (t - row.due_date).num_days();
        let bucket = &mut figures.buckets[buckets.index_of(days)];
        bucket.0 += row.open;
        bucket.1 += row.invoices;
        figures.total += row.open;
        if days > 90 {
            figures.over_90 += row.open;
        }
        if days > 0 {
            figures.weighted_days += row.open * i128::from(days);
        }
    }
    sums
}

/// `FROM … WHERE …` of the invoices open on day `t`, each with its open balance as `open`.
fn push_open_invoices(
    sql: &mut Sql,
    org: OrganizationId,
    t: NaiveDate,
    currency: Option<Currency>,
    customer: Option<Uuid>,
) {
    // `l.amount`: what the invoice's paid amount today holds that day `t` did not (allocations
    // received after `t`), less what `t` held that today does not (reversed since). Two
    // selections, so each can use its index (an OR of the two would read every allocation).
    sql.push(
        " FROM invoices i LEFT JOIN (SELECT invoice_id, SUM(amount) AS amount FROM (\
         SELECT invoice_id, amount_minor AS amount FROM payment_allocations \
         WHERE organization_id = ",
    )
    .bind(org.0)
    .push(" AND received_on > ")
    .bind(t)
    .push(
        " AND reversed_on IS NULL UNION ALL SELECT invoice_id, -amount_minor AS amount \
         FROM payment_allocations WHERE organization_id = ",
    )
    .bind(org.0)
    .push(" AND reversed_on > ")
    .bind(t)
    .push(" AND received_on <= ")
    .bind(t)
    .push(") changes GROUP BY invoice_id) l ON l.invoice_id = i.id WHERE i.organization_id = ")
    .bind(org.0)
    .push(" AND i.issue_date <= ")
    .bind(t)
    .push(" AND (i.voided_on IS NULL OR i.voided_on > ")
    .bind(t)
    .push(") AND (i.status IN ('OPEN', 'PARTIALLY_PAID') OR l.invoice_id IS NOT NULL OR i.voided_on > ")
    .bind(t)
    .push(") AND i.total_minor - i.paid_minor + COALESCE(l.amount, 0) > 0");
    if let Some(currency) = currency {
        sql.push(" AND i.currency = ").bind_currency(currency);
    }
    if let Some(customer) = customer {
        sql.push(" AND i.customer_id = ").bind(customer);
    }
}

const OPEN: &str = "i.total_minor - i.paid_minor + COALESCE(l.amount, 0)";

async fn open_by_due_date(
    conn: &sea_orm::DatabaseConnection,
    org: OrganizationId,
    t: NaiveDate,
    currency: Option<Currency>,
    customer: Option<Uuid>,
) -> AppResult<Vec<DueRow>> {
    let mut sql = Sql::new(conn);
    sql.push(&format!(
        "SELECT i.currency AS currency, i.due_date AS due_date, CAST(SUM({OPEN}) AS BIGINT) AS open, \
         COUNT(*) AS invoices"
    ));
    push_open_invoices(&mut sql, org, t, currency, customer);
    sql.push(" GROUP BY i.currency, i.due_date");
    sql.all(conn)
        .await?
        .iter()
        .map(|row| {
            Ok(DueRow {
                currency: rules::stored_currency(&get::<String>(row, "currency")?)?,
                due_date: get(row, "due_date")?,
                open: i128::from(get::<i64>(row, "open")?),
                invoices: get(row, "invoices")?,
            })
        })
        .collect()
}

/// Open balance of one customer in one bucket and currency.
struct BucketRow {
    customer_id: Uuid,
    currency: Currency,
    bucket: usize,
    open: i128,
    invoices: i64,
}

async fn open_by_customer_and_bucket(
    conn: &sea_orm::DatabaseConnection,
    org: OrganizationId,
    t: NaiveDate,
    currency: Option<Currency>,
    buckets: &Buckets,
) -> AppResult<Vec<BucketRow>> {
    let mut sql = Sql::new(conn);
    // Bucket k holds days past due up to its end: due dates on or after t − end.
    sql.push(
        "SELECT i.customer_id AS customer_id, i.currency AS currency, CASE WHEN i.due_date >= ",
    )
    .bind(t)
    .push(" THEN 0");
    for (index, end) in buckets.ends().iter().enumerate() {
        sql.push(" WHEN i.due_date >= ")
            .bind(t - chrono::Duration::days(*end))
            .push(&format!(" THEN {}", index + 1));
    }
    sql.push(&format!(
        " ELSE {} END AS bucket, CAST(SUM({OPEN}) AS BIGINT) AS open, COUNT(*) AS invoices",
        buckets.len() - 1
    ));
    push_open_invoices(&mut sql, org, t, currency, None);
    sql.push(" GROUP BY i.customer_id, i.currency, bucket");
    sql.all(conn)
        .await?
        .iter()
        .map(|row| {
            Ok(BucketRow {
                customer_id: get(row, "customer_id")?,
                currency: rules::stored_currency(&get::<String>(row, "currency")?)?,
                bucket: usize::try_from(get::<i32>(row, "bucket")?).unwrap_or(0),
                open: i128::from(get::<i64>(row, "open")?),
                invoices: get(row, "invoices")?,
            })
        })
        .collect()
}

/// Cash received by day `t` that no invoice counted on `t` took, per currency and customer:
/// payments' unapplied rest, and what went to invoices issued only later.
async fn unapplied(
    conn: &sea_orm::DatabaseConnection,
    org: OrganizationId,
    t: NaiveDate,
    currency: Option<Currency>,
    customer: Option<Uuid>,
) -> AppResult<Vec<(Currency, Uuid, i128)>> {
    let mut sql = Sql::new(conn);
    sql.push(
        "SELECT currency, customer_id, CAST(SUM(unapplied_minor) AS BIGINT) AS amount \
         FROM payments WHERE organization_id = ",
    )
    .bind(org.0)
    .push(" AND unapplied_minor <> 0 AND received_at < ")
    .bind(end_of(t))
    .push(" AND (reversed_at IS NULL OR reversed_at >= ")
    .bind(end_of(t))
    .push(")");
    if let Some(currency) = currency {
        sql.push(" AND currency = ").bind_currency(currency);
    }
    if let Some(customer) = customer {
        sql.push(" AND customer_id = ").bind(customer);
    }
    sql.push(
        " GROUP BY currency, customer_id UNION ALL \
         SELECT i.currency, i.customer_id, CAST(SUM(a.amount_minor) AS BIGINT) \
         FROM invoices i JOIN payment_allocations a ON a.invoice_id = i.id \
         WHERE i.organization_id = ",
    )
    .bind(org.0)
    .push(" AND i.issue_date > ")
    .bind(t)
    .push(" AND a.received_on <= ")
    .bind(t)
    .push(" AND (a.reversed_on IS NULL OR a.reversed_on > ")
    .bind(t)
    .push(")");
    if let Some(currency) = currency {
        sql.push(" AND i.currency = ").bind_currency(currency);
    }
    if let Some(customer) = customer {
        sql.push(" AND i.customer_id = ").bind(customer);
    }
    sql.push(" GROUP BY i.currency, i.customer_id");
    sql.all(conn)
        .await?
        .iter()
        .map(|row| {
            Ok((
                rules::stored_currency(&get::<String>(row, "currency")?)?,
                get(row, "customer_id")?,
                i128::from(get::<i64>(row, "amount")?),
            ))
        })
        .collect()
}
