//! Collection analytics in the API: aging as of any day, period figures (DSO, CEI and the rest)
//! overall, per month or per collector, the cash forecast, and exchange rates.

use async_graphql::{Enum, InputObject, SimpleObject};
use rust_decimal::prelude::ToPrimitive;

use super::customer::Customer;
use super::enums::ActivityKind;
use super::user::User;
use crate::domain::analytics::Buckets;
use crate::domain::money::Currency;
use crate::graphql::area::*;
use crate::graphql::scalars::{Date, Decimal};
use crate::services::analytics::aging::{self, AgingRequest, Figures, GroupKey};
use crate::services::analytics::metrics::{self, MetricsRequest};
use crate::services::analytics::{behaviour, rates};
use crate::services::listing::{Page, PageRequest};

/// How the aging report's groups are formed.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum AgingGroupBy {
    /// No groups: the organization's totals only.
    None,
    /// One group per customer, largest overdue amount first.
    Customer,
    /// One group per collector (by the customers assigned to them on the report's day), and one
    /// for customers with no collector.
    Collector,
}

/// How collection metrics are broken down.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum MetricsGroupBy {
    /// One row for the whole period.
    None,
    /// One row per collector, over the customers assigned to them at the time, plus one for
    /// customers with no collector.
    Collector,
    /// One row per calendar month of the period (the first and last may be partial).
    Month,
}

/// An amount of minor units in `currency`, as exact decimal text.
fn amount(minor: i128, currency: Currency) -> Decimal {
    Decimal(
        rust_decimal::Decimal::try_from_i128_with_scale(minor, currency.exponent())
            .unwrap_or(rust_decimal::Decimal::MAX),
    )
}

fn float(value: Option<rust_decimal::Decimal>) -> Option<f64> {
    value.and_then(|value| value.to_f64())
}

fn currency_argument(code: &str) -> Result<Currency> {
    crate::services::rules::currency(code, &["currency"])
        .map_err(|error| crate::error::AppError::BadRequest(error.message))
        .gql()
}

fn buckets_argument(ends: Option<Vec<i32>>) -> Result<Buckets> {
    match ends {
        None => Ok(Buckets::default()),
        Some(ends) => {
            let ends: Vec<i64> = ends.into_iter().map(i64::from).collect();
            Buckets::new(&ends)
                .map_err(|error| crate::error::AppError::BadRequest(format!("buckets: {error}")))
                .gql()
        }
    }
}

/// One aging bucket.
#[derive(SimpleObject)]
pub struct AgingBucket {
    /// "Current", "1–30", … "121+".
    pub label: String,
    /// The fewest days past due in the bucket; null for Current (not yet due).
    pub from_days: Option<i32>,
    /// The most days past due in the bucket (0 for Current); null for the open-ended last one.
    pub to_days: Option<i32>,
    /// The open balance in the bucket.
    pub amount: Decimal,
    /// How many invoices have an open balance in the bucket.
    pub count: i32,
}

fn buckets_of(buckets: &Buckets, figures: &Figures, currency: Currency) -> Vec<AgingBucket> {
    buckets
        .ranges()
        .into_iter()
        .zip(&figures.buckets)
        .map(|(range, (minor, count))| AgingBucket {
            label: range.label,
            from_days: range.from_days.and_then(|days| i32::try_from(days).ok()),
            to_days: range.to_days.and_then(|days| i32::try_from(days).ok()),
            amount: amount(*minor, currency),
            count: i32::try_from(*count).unwrap_or(i32::MAX),
        })
        .collect()
}

/// The exchange rate of a currency on a day.
#[derive(SimpleObject, Clone)]
pub struct ExchangeRate {
    /// ISO 4217 code.
    pub currency: String,
    /// Units of the organization's own currency per one unit of `currency`.
    pub rate: Decimal,
    /// The day the rate is for (the latest on or before the day asked about).
    pub date: Date,
}

impl From<rates::Rate> for ExchangeRate {
    fn from(rate: rates::Rate) -> Self {
        Self {
            currency: rate.currency.code().to_owned(),
            rate: Decimal(rate.rate),
            date: Date(rate.date),
        }
    }
}

/// Open receivables by days past due as of a day. An invoice counts when issued on or before
/// the day and not voided by then; its open balance is its total less the payments received on
/// or before the day (so a later payment, or one reversed later, does not change a past
/// report). Unapplied cash is shown apart and never subtracted.
pub struct AgingReport(pub aging::AgingReport, pub bool);

/// Open receivables by days past due as of a day; unapplied cash apart, never netted.
#[Object]
impl AgingReport {
    /// The day the report is for (UTC).
    async fn as_of(&self) -> Date {
        Date(self.0.as_of)
    }

    /// The currency of every amount; with `convert`, others were converted into it.
    async fn currency(&self) -> &str {
        self.0.currency.code()
    }

    /// The whole open balance.
    async fn total(&self) -> Decimal {
        amount(self.0.figures.total, self.0.currency)
    }

    /// The open balance past its due date.
    async fn overdue(&self) -> Decimal {
        amount(self.0.figures.overdue(), self.0.currency)
    }

    /// Payments received by the day that no counted invoice took; reported, never netted.
    async fn unapplied(&self) -> Decimal {
        amount(self.0.figures.unapplied, self.0.currency)
    }

    /// How many invoices have an open balance.
    async fn invoice_count(&self) -> i32 {
        i32::try_from(self.0.figures.count()).unwrap_or(i32::MAX)
    }

    /// Current ÷ total × 100, 2 decimals; null when nothing is open.
    async fn percent_current(&self) -> Option<f64> {
        let figures = &self.0.figures;
        float(crate::domain::analytics::percent(
            figures.current(),
            figures.total,
        ))
    }

    /// More than 90 days past due ÷ total × 100, 2 decimals (whatever the buckets); null when
    /// nothing is open.
    async fn percent_over_90(&self) -> Option<f64> {
        let figures = &self.0.figures;
        float(crate::domain::analytics::percent(
            figures.over_90,
            figures.total,
        ))
    }

    /// The overdue book's average days past due, weighted by open amount: Σ(open × days past
    /// due) ÷ Σ open, over overdue invoices; null when nothing is overdue.
    async fn weighted_days_past_due(&self) -> Option<f64> {
        let figures = &self.0.figures;
        float(
            crate::domain::analytics::ratio(figures.weighted_days, figures.overdue())
                .map(crate::domain::analytics::round2),
        )
    }

    /// The buckets, Current first.
    async fn buckets(&self) -> Vec<AgingBucket> {
        buckets_of(&self.0.buckets, &self.0.figures, self.0.currency)
    }

    /// The exchange rates converted amounts used (empty without `convert`).
    async fn rates_used(&self) -> Vec<ExchangeRate> {
        self.0.rates.iter().cloned().map(Into::into).collect()
    }

    /// One page of groups (with `groupBy` CUSTOMER or COLLECTOR), largest overdue amount first.
    async fn groups(&self) -> Option<AgingGroupConnection> {
        let (page, count) = self.0.groups.as_ref()?;
        Some(AgingGroupConnection {
            page: page.clone(),
            count: *count,
            had_cursor: self.1,
            currency: self.0.currency,
            buckets: self.0.buckets.clone(),
        })
    }
}

/// A page of aging groups.
pub struct AgingGroupConnection {
    page: Page<aging::Group>,
    count: usize,
    had_cursor: bool,
    currency: Currency,
    buckets: Buckets,
}

/// A group and its cursor.
#[derive(SimpleObject)]
pub struct AgingGroupEdge {
    /// Pass as `after` to continue after this group.
    pub cursor: String,
    /// The group.
    pub node: AgingGroup,
}

/// A page of aging groups, largest overdue amount first.
#[Object]
impl AgingGroupConnection {
    /// The groups on this page, each with its cursor.
    async fn edges(&self) -> Vec<AgingGroupEdge> {
        self.page
            .items
            .iter()
            .map(|(cursor, group)| AgingGroupEdge {
                cursor: cursor.encode(),
                node: AgingGroup {
                    group: group.clone(),
                    currency: self.currency,
                    buckets: self.buckets.clone(),
                },
            })
            .collect()
    }

    /// Whether more groups follow, and the cursors of this page's ends.
    async fn page_info(&self) -> PageInfo {
        PageInfo {
            has_next_page: self.page.has_next,
            has_previous_page: self.had_cursor,
            start_cursor: self.page.items.first().map(|(cursor, _)| cursor.encode()),
            end_cursor: self.page.items.last().map(|(cursor, _)| cursor.encode()),
        }
    }

    /// How many groups there are across all pages.
    async fn total_count(&self) -> u64 {
        self.count as u64
    }
}

/// One customer's or collector's aging.
pub struct AgingGroup {
    group: aging::Group,
    currency: Currency,
    buckets: Buckets,
}

/// One customer's or collector's aging.
#[Object]
impl AgingGroup {
    /// The customer (customer groups); null for collector groups.
    async fn customer(&self, ctx: &Context<'_>) -> Result<Option<Customer>> {
        let GroupKey::Customer(customer) = self.group.key else {
            return Ok(None);
        };
        Ok(load(ctx, |loaders| &loaders.customer, customer)
            .await?
            .map(Customer))
    }

    /// The collector (of the customer, on the report's day); null when none was assigned.
    async fn collector(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let Some(collector) = self.group.collector else {
            return Ok(None);
        };
        Ok(load(ctx, |loaders| &loaders.user, collector)
            .await?
            .map(User))
    }

    /// The group's whole open balance.
    async fn total(&self) -> Decimal {
        amount(self.group.figures.total, self.currency)
    }

    /// The group's balance past due (what groups are ordered by).
    async fn overdue(&self) -> Decimal {
        amount(self.group.figures.overdue(), self.currency)
    }

    /// The group's unapplied cash.
    async fn unapplied(&self) -> Decimal {
        amount(self.group.figures.unapplied, self.currency)
    }

    /// The group's buckets, Current first.
    async fn buckets(&self) -> Vec<AgingBucket> {
        buckets_of(&self.buckets, &self.group.figures, self.currency)
    }
}

/// How many activities of a kind were logged.
#[derive(SimpleObject)]
pub struct ActivityCount {
    /// The kind of activity.
    pub kind: ActivityKind,
    /// How many were logged.
    pub count: i32,
}

/// Collection figures for a period (`from`–`to`, both included), in one currency. AR on a day is
/// the open balance as the aging report computes it; `arBegin` is as of the day before `from`.
/// Day and percent figures are rounded to 2 decimals and null where undefined (a zero
/// denominator).
pub struct CollectionMetrics(metrics::Metrics, Currency);

/// Collection figures for a period in one currency (see `collectionMetrics`).
#[Object]
impl CollectionMetrics {
    /// The collector (collector rows); null on other rows and on the row of customers with no
    /// collector.
    async fn collector(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let Some(collector) = self.0.collector else {
            return Ok(None);
        };
        Ok(load(ctx, |loaders| &loaders.user, collector)
            .await?
            .map(User))
    }

    /// The month, as `YYYY-MM` (month rows).
    async fn month(&self) -> Option<String> {
        self.0.month.map(|month| month.format("%Y-%m").to_string())
    }

    /// The row's first day.
    async fn from(&self) -> Date {
        Date(self.0.from)
    }

    /// The row's last day.
    async fn to(&self) -> Date {
        Date(self.0.to)
    }

    /// Days in the row's period: `to − from + 1`.
    async fn days(&self) -> i32 {
        i32::try_from(self.0.days()).unwrap_or(i32::MAX)
    }

    /// Credit sales: the totals of invoices issued in the period, not voided by its end.
    async fn credit_sales(&self) -> Decimal {
        amount(self.0.credit_sales, self.1)
    }

    /// AR_begin: the open balance as of the day before `from`.
    async fn ar_begin(&self) -> Decimal {
        amount(self.0.ar_begin, self.1)
    }

    /// AR_end: the open balance as of `to`.
    async fn ar_end(&self) -> Decimal {
        amount(self.0.ar_end, self.1)
    }

    /// The part of AR_end not yet due on `to` (days past due ≤ 0).
    async fn ar_end_current(&self) -> Decimal {
        amount(self.0.ar_end_current, self.1)
    }

    /// Payments received in the period (applied or not).
    async fn cash_collected(&self) -> Decimal {
        amount(self.0.cash_collected, self.1)
    }

    /// DSO, period-end method: AR_end ÷ credit sales × days.
    async fn dso(&self) -> Option<f64> {
        float(self.0.dso)
    }

    /// DSO, countback method: from `to` back month by month (the first month up to `to`),
    /// taking each month's credit sales out of AR_end and adding its days, until what is left
    /// is less than a month's sales, which adds that fraction of its days. Null when 24 months
    /// of sales do not use AR_end up.
    async fn dso_countback(&self) -> Option<f64> {
        float(self.0.dso_countback)
    }

    /// Best possible DSO: current AR_end ÷ credit sales × days.
    async fn best_possible_dso(&self) -> Option<f64> {
        float(self.0.best_possible_dso)
    }

    /// Average days delinquent: DSO − best possible DSO.
    async fn add(&self) -> Option<f64> {
        float(self.0.add)
    }

    /// Collection effectiveness index, %: (AR_begin + sales ÷ N − AR_end) ÷ (AR_begin + sales ÷
    /// N − current AR_end) × 100, N the period's months (partial months count their share of
    /// days).
    async fn cei(&self) -> Option<f64> {
        float(self.0.cei)
    }

    /// How many invoices were fully paid in the period.
    async fn invoices_paid(&self) -> i32 {
        i32::try_from(self.0.invoices_paid).unwrap_or(i32::MAX)
    }

    /// Average days from issue to full payment, over invoices fully paid in the period.
    async fn average_days_to_pay(&self) -> Option<f64> {
        float(self.0.average_days_to_pay)
    }

    /// The same, weighted by invoice total.
    async fn average_days_to_pay_weighted(&self) -> Option<f64> {
        float(self.0.average_days_to_pay_weighted)
    }

    /// Average days from due date to full payment (early counts as 0), over invoices fully paid
    /// in the period.
    async fn average_days_late(&self) -> Option<f64> {
        float(self.0.average_days_late)
    }

    /// The same, weighted by invoice total.
    async fn average_days_late_weighted(&self) -> Option<f64> {
        float(self.0.average_days_late_weighted)
    }

    /// The overdue book on `to`: Σ(open × days past due) ÷ Σ open.
    async fn weighted_days_past_due(&self) -> Option<f64> {
        float(self.0.weighted_days_past_due)
    }

    /// Promises due in the period that were kept, % of those kept or broken.
    async fn promise_kept_rate(&self) -> Option<f64> {
        float(self.0.promise_kept_rate)
    }

    /// The overdue balance on `to` in an open dispute, % of the overdue balance.
    async fn dispute_share(&self) -> Option<f64> {
        float(self.0.dispute_share)
    }

    /// Average days from opening to resolving, over disputes resolved in the period.
    async fn average_dispute_resolution_days(&self) -> Option<f64> {
        float(self.0.average_dispute_resolution_days)
    }

    /// Collector rows: payments in the period that arrived within `attributionDays` after the
    /// collector's touch (call, e-mail, meeting, promise, sent link) — the last touch of the
    /// customer before the payment, whoever made it, so no payment counts twice.
    async fn attributed_cash(&self) -> Option<Decimal> {
        self.0.attributed_cash.map(|minor| amount(minor, self.1))
    }

    /// Collector rows: the customers assigned to them on `to`.
    async fn customers(&self) -> Option<i32> {
        self.0
            .customers
            .map(|count| i32::try_from(count).unwrap_or(i32::MAX))
    }

    /// Activities logged by people in the period, by kind (collector rows: by that collector).
    async fn activity_counts(&self) -> Vec<ActivityCount> {
        self.0
            .activity_counts
            .iter()
            .map(|(kind, count)| ActivityCount {
                kind: (*kind).into(),
                count: i32::try_from(*count).unwrap_or(i32::MAX),
            })
            .collect()
    }
}

/// Expected receipts in one week.
#[derive(SimpleObject)]
pub struct ForecastWeek {
    /// The week's Monday.
    pub week_start: Date,
    /// The open balance of the invoices expected to be paid that week.
    pub expected: Decimal,
    /// How many invoices that is.
    pub invoices: i32,
}

/// A customer's payment record and the risk it suggests.
pub struct PaymentBehaviour(pub behaviour::Behaviour);

/// A customer's payment record and the risk it suggests.
#[Object]
impl PaymentBehaviour {
    /// Average days late (early counts as 0) over the last 12 fully paid invoices.
    async fn average_days_late(&self) -> Option<f64> {
        float(self.0.average_days_late)
    }

    /// Median days late over the same invoices (0 without history): what expected payment
    /// dates add to due dates.
    async fn typical_days_late(&self) -> i32 {
        i32::try_from(self.0.typical_days_late).unwrap_or(i32::MAX)
    }

    /// Average days late of invoices paid in the last 90 days minus the 90 days before
    /// (positive: paying later); null unless both windows have payments.
    async fn trend_days(&self) -> Option<f64> {
        float(self.0.trend_days)
    }

    /// Kept ÷ (kept + broken) promises to pay, 0–1; null without settled promises.
    async fn promise_kept_ratio(&self) -> Option<f64> {
        float(self.0.promise_kept_ratio)
    }

    /// Disputes still open.
    async fn open_disputes(&self) -> i32 {
        i32::try_from(self.0.open_disputes).unwrap_or(i32::MAX)
    }

    /// Cheques and notes of theirs that bounced in the last 365 days.
    async fn bounced_instruments(&self) -> i32 {
        i32::try_from(self.0.bounced_instruments).unwrap_or(i32::MAX)
    }

    /// Overdue ÷ open balance today, 0–1 (the highest over the customer's currencies).
    async fn overdue_share(&self) -> Option<f64> {
        float(self.0.overdue_share)
    }

    /// 0 (no sign of risk) to 100: lateness up to 35 points (days late ÷ 60, capped),
    /// overdue share up to 30, broken promises up to 15 (1 − kept ratio), open disputes 5 each
    /// up to 10, a worsening trend up to 10 (extra days ÷ 30, capped), bounced cheques or notes
    /// in the last year 10 each up to 20; capped at 100.
    async fn risk_score(&self) -> i32 {
        self.0.risk_score
    }

    /// What drove the score, each with its points.
    async fn risk_reasons(&self) -> &[String] {
        &self.0.risk_reasons
    }
}

/// A rate to set.
#[derive(InputObject)]
pub struct ExchangeRateInput {
    /// ISO 4217 code, other than the organization's own currency.
    pub currency: String,
    /// Units of the organization's currency per one unit of `currency`, e.g. "42.3881".
    pub rate: Decimal,
}

/// A day's rates.
#[derive(InputObject)]
pub struct SetExchangeRatesInput {
    /// The day the rates are for; they apply from it until a later day's rates.
    pub date: Date,
    /// 1 to 200 rates; a currency already set for the day is replaced.
    pub rates: Vec<ExchangeRateInput>,
}

/// The rates as saved.
#[derive(SimpleObject)]
pub struct SetExchangeRatesPayload {
    /// The rates saved; null when refused.
    pub rates: Option<Vec<ExchangeRate>>,
    /// Why the rates were refused; nothing was saved then.
    pub user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct AnalyticsQuery;

#[Object]
impl AnalyticsQuery {
    /// Aging as of a day (default today): open balances by days past due, with unapplied cash on
    /// its own line. Without `convert`, only invoices in `currency` count; with it, every
    /// currency is converted into `currency` at the organization's latest rates on or before
    /// `asOf` (a missing rate is an error naming it).
    #[allow(clippy::too_many_arguments, reason = "the contract's arguments")]
    async fn aging(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The day (UTC); default today.")] as_of: Option<Date>,
        #[graphql(desc = "ISO 4217 code of the report.")] currency: String,
        #[graphql(
            desc = "Convert every currency into `currency`.",
            default_with = "Some(false)"
        )]
        convert: Option<bool>,
        #[graphql(
            desc = "Overdue bucket ends in days past due, ascending (default 30, 60, 90, 120: \
                    Current, 1–30, 31–60, 61–90, 91–120, 121+)."
        )]
        buckets: Option<Vec<i32>>,
        #[graphql(
            desc = "Groups to page through.",
            default_with = "Some(AgingGroupBy::None)"
        )]
        group_by: Option<AgingGroupBy>,
        #[graphql(desc = "Groups per page (default 20, at most 100).")] first: Option<i32>,
        #[graphql(desc = "The cursor of the last group seen.")] after: Option<String>,
    ) -> Result<AgingReport> {
        let (app, viewer) = (ctx.app().gql()?, ctx.viewer().gql()?);
        let page = PageRequest::new(first, after.as_deref()).gql()?;
        let after_given = page.after.is_some();
        let request = AgingRequest {
            as_of: as_of.map_or_else(|| app.clock.today(), |day| day.0),
            currency: currency_argument(&currency)?,
            convert: convert.unwrap_or(false),
            buckets: buckets_argument(buckets)?,
            group_by: match group_by.unwrap_or(AgingGroupBy::None) {
                AgingGroupBy::None => aging::GroupBy::None,
                AgingGroupBy::Customer => aging::GroupBy::Customer,
                AgingGroupBy::Collector => aging::GroupBy::Collector,
            },
            page,
        };
        let report = aging::report(app, viewer, request).await.gql()?;
        Ok(AgingReport(report, after_given))
    }

    /// COLLECTOR and up: collection figures for `from`–`to` in `currency`. A manager sees
    /// everyone; a collector gets only their own row (as with `groupBy: COLLECTOR`).
    async fn collection_metrics(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The first day, included.")] from: Date,
        #[graphql(desc = "The last day, included.")] to: Date,
        #[graphql(desc = "ISO 4217 code; only invoices and payments in it count.")]
        currency: String,
        #[graphql(
            desc = "Rows to break the figures into.",
            default_with = "Some(MetricsGroupBy::None)"
        )]
        group_by: Option<MetricsGroupBy>,
        #[graphql(
            desc = "Days after a collector's touch within which a payment is credited to them.",
            default = 7
        )]
        attribution_days: i32,
    ) -> Result<Vec<CollectionMetrics>> {
        let (app, viewer) = (ctx.app().gql()?, ctx.viewer().gql()?);
        let currency = currency_argument(&currency)?;
        let request = MetricsRequest {
            from: from.0,
            to: to.0,
            currency,
            group_by: match group_by.unwrap_or(MetricsGroupBy::None) {
                MetricsGroupBy::None => metrics::MetricsGroupBy::None,
                MetricsGroupBy::Collector => metrics::MetricsGroupBy::Collector,
                MetricsGroupBy::Month => metrics::MetricsGroupBy::Month,
            },
            attribution_days: i64::from(attribution_days),
        };
        let rows = metrics::collection_metrics(app, viewer, request)
            .await
            .gql()?;
        Ok(rows
            .into_iter()
            .map(|row| CollectionMetrics(row, currency))
            .collect())
    }

    /// The open balance in `currency` by the week it is expected to be paid in (see
    /// `Invoice.expectedPaymentDate`), from this week on.
    async fn cash_forecast(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many weeks, 1 to 52.", default_with = "Some(12)")] weeks: Option<i32>,
        #[graphql(desc = "ISO 4217 code.")] currency: String,
    ) -> Result<Vec<ForecastWeek>> {
        let (app, viewer) = (ctx.app().gql()?, ctx.viewer().gql()?);
        let currency = currency_argument(&currency)?;
        let weeks = behaviour::cash_forecast(
            app.db.reader(),
            viewer.organization_id,
            currency,
            i64::from(weeks.unwrap_or(12)),
            app.clock.today(),
        )
        .await
        .gql()?;
        Ok(weeks
            .into_iter()
            .map(|week| ForecastWeek {
                week_start: Date(week.week_start),
                expected: amount(week.expected, currency),
                invoices: i32::try_from(week.invoices).unwrap_or(i32::MAX),
            })
            .collect())
    }

    /// Each currency's latest rate on or before a day (default today).
    async fn exchange_rates(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The day; default today.")] date: Option<Date>,
    ) -> Result<Vec<ExchangeRate>> {
        let (app, viewer) = (ctx.app().gql()?, ctx.viewer().gql()?);
        let date = date.map_or_else(|| app.clock.today(), |day| day.0);
        let found = rates::on(app.db.reader(), viewer.organization_id, date).await;
        Ok(found.gql()?.into_iter().map(Into::into).collect())
    }
}

#[derive(Default)]
pub struct AnalyticsMutation;

#[Object]
impl AnalyticsMutation {
    /// MANAGER and up: sets a day's exchange rates (replacing that day's earlier ones).
    async fn set_exchange_rates(
        &self,
        ctx: &Context<'_>,
        input: SetExchangeRatesInput,
    ) -> Result<SetExchangeRatesPayload> {
        let (app, viewer) = (ctx.app().gql()?, ctx.viewer().gql()?);
        let rates: Vec<rates::RateInput> = input
            .rates
            .into_iter()
            .map(|rate| rates::RateInput {
                currency: rate.currency,
                rate: rate.rate.0,
            })
            .collect();
        let (saved, user_errors) = split(rates::set(app, viewer, input.date.0, &rates).await)?;
        Ok(SetExchangeRatesPayload {
            rates: saved.map(|rates| rates.into_iter().map(Into::into).collect()),
            user_errors,
        })
    }
}

/// A customer's aging in each currency they owe or hold unapplied cash in.
pub async fn customer_aging(
    ctx: &Context<'_>,
    customer: &crate::entities::customer::Model,
    as_of: Option<Date>,
    buckets: Option<Vec<i32>>,
) -> Result<Vec<AgingReport>> {
    let app = ctx.app().gql()?;
    let buckets = buckets_argument(buckets)?;
    let as_of = as_of.map_or_else(|| app.clock.today(), |day| day.0);
    let org = crate::domain::ids::OrganizationId(customer.organization_id);
    let reports = aging::of_customer(app, org, customer.id, as_of, &buckets)
        .await
        .gql()?;
    Ok(reports
        .into_iter()
        .map(|(currency, figures)| {
            AgingReport(
                aging::AgingReport {
                    as_of,
                    currency,
                    buckets: buckets.clone(),
                    figures,
                    rates: Vec::new(),
                    groups: None,
                },
                false,
            )
        })
        .collect())
}
