//! Collection figures as credit professionals define them: aging buckets, DSO (period-end and
//! countback), best possible DSO, ADD, CEI, and the payment-behaviour risk score.
//!
//! Inputs are exact sums in minor units (`i128`); figures come out as `Decimal` rounded to two
//! places. A figure whose denominator is zero is `None`: undefined, never 0 or infinity.

use chrono::{Datelike, NaiveDate};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};

/// The default overdue bucket ends, in days past due: 1–30, 31–60, 61–90, 91–120, 121+.
pub const DEFAULT_BUCKET_ENDS: [i64; 4] = [30, 60, 90, 120];
/// The most overdue buckets a report may ask for.
pub const MAX_BUCKETS: usize = 12;
/// The longest bucket end accepted (ten years).
pub const MAX_BUCKET_END: i64 = 3_650;

/// Aging buckets: "Current" (not yet past due), then overdue ranges ending at each bound, then
/// one open-ended range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Buckets {
    ends: Vec<i64>,
}

/// One bucket's range in days past due; `None` is unbounded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketRange {
    pub label: String,
    pub from_days: Option<i64>,
    pub to_days: Option<i64>,
}

/// Why custom bucket ends are refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BucketError {
    #[error("give at least one bucket end")]
    Empty,
    #[error("at most {MAX_BUCKETS} bucket ends")]
    TooMany,
    #[error("bucket ends are days past due from 1 to {MAX_BUCKET_END}")]
    OutOfRange,
    #[error("bucket ends must ascend without repeats (buckets cannot overlap)")]
    NotAscending,
}

impl Default for Buckets {
    fn default() -> Self {
        Self {
            ends: DEFAULT_BUCKET_ENDS.to_vec(),
        }
    }
}

impl Buckets {
    /// Custom overdue bucket ends, e.g. `[30, 60, 90]` → Current, 1–30, 31–60, 61–90, 91+.
    pub fn new(ends: &[i64]) -> Result<Self, BucketError> {
        if ends.is_empty() {
            return Err(BucketError::Empty);
        }
        if ends.len() > MAX_BUCKETS {
            return Err(BucketError::TooMany);
        }
        if ends.iter().any(|end| !(1..=MAX_BUCKET_END).contains(end)) {
            return Err(BucketError::OutOfRange);
        }
        if ends.windows(2).any(|pair| pair[0] >= pair[1]) {
            return Err(BucketError::NotAscending);
        }
        Ok(Self {
            ends: ends.to_vec(),
        })
    }

    /// The overdue bucket ends.
    pub fn ends(&self) -> &[i64] {
        &self.ends
    }

    /// How many buckets there are, Current included.
    pub fn len(&self) -> usize {
        self.ends.len() + 2
    }

    pub fn is_empty(&self) -> bool {
        false
    }

    /// The bucket (0 = Current) a number of days past due falls in.
    pub fn index_of(&self, days_past_due: i64) -> usize {
        if days_past_due <= 0 {
            return 0;
        }
        1 + self
            .ends
            .iter()
            .position(|end| days_past_due <= *end)
            .unwrap_or(self.ends.len())
    }

    /// Every bucket's label and range, Current first.
    pub fn ranges(&self) -> Vec<BucketRange> {
        let mut ranges = vec![BucketRange {
            label: "Current".to_owned(),
            from_days: None,
            to_days: Some(0),
        }];
        let mut from = 1;
        for end in &self.ends {
            ranges.push(BucketRange {
                label: format!("{from}–{end}"),
                from_days: Some(from),
                to_days: Some(*end),
            });
            from = end + 1;
        }
        ranges.push(BucketRange {
            label: format!("{from}+"),
            from_days: Some(from),
            to_days: None,
        });
        ranges
    }
}

/// Rounds a figure to two decimals, half away from zero.
pub fn round2(value: Decimal) -> Decimal {
    value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// `numerator / denominator`, or None when the denominator is zero.
pub fn ratio(numerator: i128, denominator: i128) -> Option<Decimal> {
    if denominator == 0 {
        return None;
    }
    Some(decimal(numerator)? / decimal(denominator)?)
}

fn decimal(value: i128) -> Option<Decimal> {
    Decimal::try_from_i128_with_scale(value, 0).ok()
}

/// `part / whole × 100`, rounded; None when the whole is zero.
pub fn percent(part: i128, whole: i128) -> Option<Decimal> {
    ratio(part, whole).map(|share| round2(share * Decimal::ONE_HUNDRED))
}

/// Period-end DSO: `AR_end / credit sales × days`.
pub fn dso(ar_end: i128, sales: i128, days: i64) -> Option<Decimal> {
    ratio(ar_end, sales).map(|share| round2(share * Decimal::from(days)))
}

/// Countback DSO: walks back from the newest month, taking each month's whole sales (and its
/// days) out of `AR_end` until what is left is smaller than a month's sales, which adds its
/// fraction of that month's days. `months` are (credit sales, days), newest first. None when
/// there is nothing to count back or the months run out before the AR is used up.
pub fn dso_countback(ar_end: i128, months: &[(i128, i64)]) -> Option<Decimal> {
    if ar_end <= 0 {
        return (!months.is_empty()).then_some(Decimal::ZERO);
    }
    let mut left = ar_end;
    let mut days = Decimal::ZERO;
    for (sales, month_days) in months {
        if *sales <= 0 {
            days += Decimal::from(*month_days);
            continue;
        }
        if left > *sales {
            left -= sales;
            days += Decimal::from(*month_days);
        } else {
            return Some(round2(
                days + ratio(left, *sales)? * Decimal::from(*month_days),
            ));
        }
    }
    None
}

/// Average days delinquent: DSO − best possible DSO.
pub fn add(dso: Option<Decimal>, best_possible: Option<Decimal>) -> Option<Decimal> {
    Some(round2(dso? - best_possible?))
}

/// Collection effectiveness index (Credit Research Foundation):
/// `(AR_begin + sales/N − AR_end) / (AR_begin + sales/N − AR_end_current) × 100`, N the period's
/// length in months.
pub fn cei(
    ar_begin: i128,
    sales: i128,
    months: Decimal,
    ar_end: i128,
    ar_end_current: i128,
) -> Option<Decimal> {
    if months <= Decimal::ZERO {
        return None;
    }
    let monthly_sales = decimal(sales)? / months;
    let collectible = decimal(ar_begin)? + monthly_sales;
    let denominator = collectible - decimal(ar_end_current)?;
    if denominator.is_zero() {
        return None;
    }
    Some(round2(
        (collectible - decimal(ar_end)?) / denominator * Decimal::ONE_HUNDRED,
    ))
}

/// The days of each calendar month within `from..=to`, oldest first: (first day of the month,
/// days of it inside the period, days the month has).
pub fn months_between(from: NaiveDate, to: NaiveDate) -> Vec<(NaiveDate, i64, i64)> {
    let mut months = Vec::new();
    let mut start = first_of_month(from);
    while start <= to {
        let next = next_month(start);
        let last = next.pred_opt().unwrap_or(next);
        let inside = (last.min(to) - start.max(from)).num_days() + 1;
        months.push((start, inside, (next - start).num_days()));
        start = next;
    }
    months
}

/// The period's length in months: whole calendar months count 1, partial ones their share of
/// days (1–30 November is 1; 1–15 November is 0.5).
pub fn months_in(from: NaiveDate, to: NaiveDate) -> Decimal {
    months_between(from, to)
        .iter()
        .map(|(_, inside, days)| Decimal::from(*inside) / Decimal::from(*days))
        .sum()
}

pub fn first_of_month(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

pub fn next_month(first: NaiveDate) -> NaiveDate {
    let (year, month) = if first.month() == 12 {
        (first.year() + 1, 1)
    } else {
        (first.year(), first.month() + 1)
    };
    NaiveDate::from_ymd_opt(year, month, 1).unwrap_or(first)
}

/// The median of whole days; for an even count, the lower middle value. None when empty.
pub fn median(mut days: Vec<i64>) -> Option<i64> {
    if days.is_empty() {
        return None;
    }
    days.sort_unstable();
    Some(days[(days.len() - 1) / 2])
}

/// What a customer's payment record says about the risk of not being paid.
#[derive(Debug, Clone, Default)]
pub struct RiskInputs {
    /// Days late on average over the recent paid invoices (early counts as 0).
    pub average_days_late: Option<Decimal>,
    /// Days later (positive) or earlier than in the 90 days before.
    pub trend_days: Option<Decimal>,
    /// Kept ÷ (kept + broken) promises.
    pub promise_kept_ratio: Option<Decimal>,
    pub open_disputes: u64,
    /// Overdue ÷ open balance, the highest over the customer's currencies.
    pub overdue_share: Option<Decimal>,
    /// Cheques and notes of theirs that bounced in the last year.
    pub bounced_instruments: u64,
}

/// A 0–100 risk score and the reasons that drove it (each with its points).
///
/// Points: lateness up to 35 (days late ÷ 60, capped at 1); overdue share up to 30; broken
/// promises up to 15 (1 − kept ratio); open disputes 5 each up to 10; a worsening trend up to 10
/// (extra days late ÷ 30, capped at 1); bounced cheques or notes in the last year 10 each up to
/// 20. Missing inputs add nothing; the score is capped at 100.
pub fn risk_score(inputs: &RiskInputs) -> (i32, Vec<String>) {
    let capped = |value: Decimal| value.max(Decimal::ZERO).min(Decimal::ONE);
    let mut points = Decimal::ZERO;
    let mut reasons = Vec::new();
    let mut add_part = |part: Decimal, reason: String| {
        let part = part.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero);
        if part > Decimal::ZERO {
            points += part;
            reasons.push(format!("{reason} (+{part})"));
        }
    };
    if let Some(late) = inputs.average_days_late {
        let part = capped(late / Decimal::from(60)) * Decimal::from(35);
        add_part(part, format!("pays {} days late on average", round2(late)));
    }
    if let Some(share) = inputs.overdue_share {
        let part = capped(share) * Decimal::from(30);
        let shown = round2(share * Decimal::ONE_HUNDRED);
        add_part(part, format!("{shown}% of the open balance is overdue"));
    }
    if let Some(kept) = inputs.promise_kept_ratio {
        let part = capped(Decimal::ONE - kept) * Decimal::from(15);
        let shown = round2(kept * Decimal::ONE_HUNDRED);
        add_part(part, format!("keeps {shown}% of promises to pay"));
    }
    if inputs.open_disputes > 0 {
        let part = Decimal::from(inputs.open_disputes.min(2) * 5);
        let count = inputs.open_disputes;
        add_part(part, format!("{count} open dispute(s)"));
    }
    if let Some(trend) = inputs.trend_days
        && trend > Decimal::ZERO
    {
        let part = capped(trend / Decimal::from(30)) * Decimal::from(10);
        let shown = round2(trend);
        add_part(
            part,
            format!("pays {shown} days later than in the 90 days before"),
        );
    }
    if inputs.bounced_instruments > 0 {
        let part = Decimal::from(inputs.bounced_instruments.min(2) * 10);
        let count = inputs.bounced_instruments;
        add_part(
            part,
            format!("{count} bounced cheque(s) or note(s) in the last year"),
        );
    }
    let score = points.min(Decimal::ONE_HUNDRED).to_i32().unwrap_or(100);
    (score, reasons)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn dec(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
    }

    fn day(text: &str) -> NaiveDate {
        NaiveDate::from_str(text).unwrap()
    }

    #[test]
    fn default_buckets_are_current_then_thirty_day_ranges() {
        let buckets = Buckets::default();
        let labels: Vec<_> = buckets.ranges().into_iter().map(|r| r.label).collect();
        assert_eq!(
            labels,
            ["Current", "1–30", "31–60", "61–90", "91–120", "121+"]
        );
        let cases = [(-5, 0), (0, 0), (1, 1), (30, 1), (31, 2), (90, 3), (120, 4)];
        for (days, bucket) in cases {
            assert_eq!(buckets.index_of(days), bucket, "{days} days");
        }
        assert_eq!(buckets.index_of(121), 5);
        assert_eq!(buckets.index_of(10_000), 5);
    }

    #[test]
    fn custom_buckets_must_ascend_and_stay_in_range() {
        assert_eq!(Buckets::new(&[]), Err(BucketError::Empty));
        assert_eq!(Buckets::new(&[30, 30]), Err(BucketError::NotAscending));
        assert_eq!(Buckets::new(&[60, 30]), Err(BucketError::NotAscending));
        assert_eq!(Buckets::new(&[0, 30]), Err(BucketError::OutOfRange));
        assert_eq!(Buckets::new(&[5_000]), Err(BucketError::OutOfRange));
        assert_eq!(Buckets::new(&[1; 13]), Err(BucketError::TooMany));
        let buckets = Buckets::new(&[15, 45]).unwrap();
        let ranges = buckets.ranges();
        assert_eq!(ranges[1].from_days, Some(1));
        assert_eq!(ranges[2].label, "16–45");
        assert_eq!(ranges[3].from_days, Some(46));
        assert_eq!(ranges[3].to_days, None);
    }

    #[test]
    fn worked_examples_of_dso_bpdso_and_add() {
        assert_eq!(dso(15_000, 10_000, 30), Some(dec("45")));
        assert_eq!(dso(4_000, 10_000, 30), Some(dec("12")));
        assert_eq!(add(Some(dec("45")), Some(dec("12"))), Some(dec("33")));
        assert_eq!(dso(15_000, 0, 30), None);
    }

    #[test]
    fn countback_walks_back_whole_months_then_a_fraction() {
        let months = [(100_000, 30), (80_000, 30), (70_000, 30)];
        assert_eq!(dso_countback(212_000, &months), Some(dec("73.71")));
        // Less than the newest month's sales: a fraction of it.
        assert_eq!(dso_countback(50_000, &months), Some(dec("15")));
        // More AR than all the months' sales: undefined.
        assert_eq!(dso_countback(300_000, &months), None);
        assert_eq!(dso_countback(1, &[]), None);
    }

    #[test]
    fn worked_example_of_cei() {
        let cei = cei(6_200, 10_890, dec("3"), 6_340, 3_590).unwrap();
        assert_eq!(cei, dec("55.93"));
        assert_eq!(round2(cei).round_dp(1), dec("55.9"));
        // Nothing collectible: undefined.
        assert_eq!(super::cei(0, 0, dec("1"), 0, 0), None);
    }

    #[test]
    fn months_count_calendar_months_and_their_parts() {
        assert_eq!(months_in(day("2026-09-01"), day("2026-11-30")), dec("3"));
        assert_eq!(months_in(day("2026-11-01"), day("2026-11-15")), dec("0.5"));
        let months = months_between(day("2026-01-20"), day("2026-03-05"));
        assert_eq!(
            months,
            vec![
                (day("2026-01-01"), 12, 31),
                (day("2026-02-01"), 28, 28),
                (day("2026-03-01"), 5, 31)
            ]
        );
    }

    #[test]
    fn percent_and_ratio_are_undefined_on_zero() {
        assert_eq!(percent(1, 3), Some(dec("33.33")));
        assert_eq!(percent(5, 0), None);
        assert_eq!(median(vec![9, 1, 5, 3]), Some(3));
        assert_eq!(median(vec![]), None);
    }

    #[test]
    fn risk_score_explains_itself() {
        let (score, reasons) = risk_score(&RiskInputs::default());
        assert_eq!((score, reasons.len()), (0, 0));
        let inputs = RiskInputs {
            average_days_late: Some(dec("30")),
            trend_days: Some(dec("15")),
            promise_kept_ratio: Some(dec("0.5")),
            open_disputes: 1,
            overdue_share: Some(dec("0.5")),
            bounced_instruments: 0,
        };
        let (score, reasons) = risk_score(&inputs);
        // 17.5→18 + 15 + 7.5→8 + 5 + 5 = 51
        assert_eq!(score, 51);
        assert_eq!(reasons.len(), 5);
        assert!(reasons[0].starts_with("pays 30 days late"), "{reasons:?}");
        let worst = RiskInputs {
            average_days_late: Some(dec("400")),
            trend_days: Some(dec("400")),
            promise_kept_ratio: Some(dec("0")),
            open_disputes: 9,
            overdue_share: Some(dec("1")),
            bounced_instruments: 5,
        };
        let (score, reasons) = risk_score(&worst);
        assert_eq!(score, 100);
        assert!(reasons[5].starts_with("5 bounced"), "{reasons:?}");
    }
}
