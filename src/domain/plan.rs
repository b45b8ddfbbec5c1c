//! Payment plans (taksitli ödeme planı): the schedule of installments, the interest a plan
//! charges (vade farkı), and how the money paid so far spreads over the installments.

use chrono::{Days, Months, NaiveDate};
use rust_decimal::{Decimal, RoundingStrategy};
use sea_orm::entity::prelude::*;

/// The most installments a plan may have.
pub const MAX_INSTALLMENTS: usize = 60;
/// The furthest an installment may fall, in days from the day the plan is made.
pub const MAX_DAYS_AHEAD: u64 = 3 * 366;
/// The highest interest a plan may charge, in percent of what it covers.
pub const MAX_INTEREST_PERCENT: Decimal = Decimal::from_parts(100, 0, 0, false, 0);
/// The days after an installment's due date before an unpaid one counts as missed.
pub const DEFAULT_GRACE_DAYS: u32 = 2;
/// The installments missed (and still unpaid) that break a plan.
pub const DEFAULT_MISSES_TO_BREAK: u32 = 2;

/// Where a plan stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum PlanStatus {
    /// Being paid; its invoices are out of normal dunning.
    #[sea_orm(string_value = "ACTIVE")]
    Active,
    /// Every installment was paid.
    #[sea_orm(string_value = "COMPLETED")]
    Completed,
    /// Too many installments were missed; normal dunning resumed on what is left.
    #[sea_orm(string_value = "BROKEN")]
    Broken,
    /// Withdrawn by a person.
    #[sea_orm(string_value = "CANCELLED")]
    Cancelled,
}

/// Where an installment stands (worked out from what was paid, and whether it was missed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InstallmentStatus {
    Pending,
    PartiallyPaid,
    Paid,
    Missed,
}

/// How the installments' dates follow one another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interval {
    Weekly,
    Monthly,
}

/// The interest on `principal_minor` at `percent`, rounded half away from zero to the minor
/// unit; None when the percent is negative, above the maximum, or finer than 0.01.
pub fn interest(principal_minor: i64, percent: Decimal) -> Option<i64> {
    if percent.is_sign_negative()
        || percent > MAX_INTEREST_PERCENT
        || percent.normalize().scale() > 2
    {
        return None;
    }
    let exact = Decimal::from(principal_minor).checked_mul(percent)? / Decimal::ONE_HUNDRED;
    exact
        .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
        .try_into()
        .ok()
}

/// `percent` in basis points (5.25 % → 525), for storage.
pub fn basis_points(percent: Decimal) -> Option<i32> {
    (percent * Decimal::ONE_HUNDRED).normalize().try_into().ok()
}

/// `count` installments of `total_minor` from `first_due`, every week or month: equal parts,
/// the remainder on the first. A month after the 31st is the month's last day.
pub fn schedule(
    total_minor: i64,
    count: usize,
    first_due: NaiveDate,
    interval: Interval,
) -> Option<Vec<(NaiveDate, i64)>> {
    if count == 0 || count > MAX_INSTALLMENTS || total_minor < count as i64 {
        return None;
    }
    let part = total_minor / count as i64;
    let remainder = total_minor - part * count as i64;
    (0..count)
        .map(|index| {
            let due = match interval {
                Interval::Weekly => first_due.checked_add_days(Days::new(7 * index as u64)),
                Interval::Monthly => first_due.checked_add_months(Months::new(index as u32)),
            }?;
            let amount = if index == 0 { part + remainder } else { part };
            Some((due, amount))
        })
        .collect()
}

/// What `paid_minor` pays of each installment, oldest first.
pub fn fill(paid_minor: i64, amounts: &[i64]) -> Vec<i64> {
    let mut left = paid_minor.max(0);
    amounts
        .iter()
        .map(|amount| {
            let taken = left.min(*amount);
            left -= taken;
            taken
        })
        .collect()
}

/// An installment's status: PAID once its amount is in; else MISSED once the job marked it so;
/// else PARTIALLY_PAID or PENDING.
pub fn installment_status(amount_minor: i64, paid_minor: i64, missed: bool) -> InstallmentStatus {
    if paid_minor >= amount_minor {
        InstallmentStatus::Paid
    } else if missed {
        InstallmentStatus::Missed
    } else if paid_minor > 0 {
        InstallmentStatus::PartiallyPaid
    } else {
        InstallmentStatus::Pending
    }
}

/// Whether an installment due on `due_date` and still short is missed on `today`: the due
/// date plus the grace days have passed.
pub fn is_overdue(due_date: NaiveDate, grace_days: u32, today: NaiveDate) -> bool {
    let last_day = due_date
        .checked_add_days(Days::new(u64::from(grace_days)))
        .unwrap_or(NaiveDate::MAX);
    today > last_day
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn equal_parts_with_the_remainder_on_the_first() {
        let plan = schedule(100_000, 3, day(2027, 1, 31), Interval::Monthly).unwrap();
        assert_eq!(
            plan,
            vec![
                (day(2027, 1, 31), 33_334),
                (day(2027, 2, 28), 33_333),
                (day(2027, 3, 31), 33_333),
            ]
        );
        let weekly = schedule(700, 2, day(2027, 1, 1), Interval::Weekly).unwrap();
        assert_eq!(weekly, vec![(day(2027, 1, 1), 350), (day(2027, 1, 8), 350)]);
        assert!(schedule(2, 3, day(2027, 1, 1), Interval::Weekly).is_none());
        assert!(schedule(100, 0, day(2027, 1, 1), Interval::Weekly).is_none());
        assert!(
            schedule(
                1_000,
                MAX_INSTALLMENTS + 1,
                day(2027, 1, 1),
                Interval::Weekly
            )
            .is_none()
        );
    }

    #[test]
    fn every_kurus_of_a_schedule_is_accounted_for() {
        let mut next = crate::domain::xorshift(77);
        for _ in 0..1_000 {
            let total = (next() % 10_000_000) as i64 + 60;
            let count = (next() % MAX_INSTALLMENTS as u64) as usize + 1;
            let plan = schedule(total, count, day(2027, 1, 15), Interval::Monthly).unwrap();
            assert_eq!(plan.iter().map(|(_, amount)| amount).sum::<i64>(), total);
            assert!(plan.windows(2).all(|pair| pair[0].0 < pair[1].0));
        }
    }

    #[test]
    fn interest_rounds_half_away_from_zero_to_the_kurus() {
        assert_eq!(interest(125_050, Decimal::new(5, 0)), Some(6_253));
        assert_eq!(interest(100_000, Decimal::new(1250, 2)), Some(12_500));
        assert_eq!(interest(100_000, Decimal::ZERO), Some(0));
        assert_eq!(interest(100_000, Decimal::new(-1, 0)), None);
        assert_eq!(interest(100_000, Decimal::new(1001, 1)), None);
        assert_eq!(interest(100_000, Decimal::new(1, 3)), None);
        assert_eq!(basis_points(Decimal::new(525, 2)), Some(525));
    }

    #[test]
    fn payments_fill_installments_oldest_first() {
        assert_eq!(fill(150, &[100, 100, 100]), vec![100, 50, 0]);
        assert_eq!(fill(500, &[100, 100]), vec![100, 100]);
        assert_eq!(fill(-5, &[100]), vec![0]);
        assert_eq!(installment_status(100, 100, true), InstallmentStatus::Paid);
        assert_eq!(installment_status(100, 50, true), InstallmentStatus::Missed);
        assert_eq!(
            installment_status(100, 50, false),
            InstallmentStatus::PartiallyPaid
        );
        assert_eq!(
            installment_status(100, 0, false),
            InstallmentStatus::Pending
        );
        assert!(!is_overdue(day(2027, 1, 1), 2, day(2027, 1, 3)));
        assert!(is_overdue(day(2027, 1, 1), 2, day(2027, 1, 4)));
    }
}
