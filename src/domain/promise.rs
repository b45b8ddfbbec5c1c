//! Promises to pay: their states, and when one is kept or broken.

use chrono::{Days, NaiveDate};
use sea_orm::entity::prelude::*;

/// The days after the promised date before an unpaid promise counts as broken.
pub const DEFAULT_GRACE_DAYS: u32 = 2;

/// Where a promise stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum PromiseStatus {
    /// Waiting for the money; dunning holds off its invoices.
    #[sea_orm(string_value = "OPEN")]
    Open,
    /// The promised amount arrived in time.
    #[sea_orm(string_value = "KEPT")]
    Kept,
    /// The date and the grace days passed without it.
    #[sea_orm(string_value = "BROKEN")]
    Broken,
    /// Withdrawn by a person.
    #[sea_orm(string_value = "CANCELLED")]
    Cancelled,
}

/// How an OPEN promise stands on `today`: KEPT once `paid_minor` (applied to its invoices since
/// it was made) reaches its amount, BROKEN after the promised date plus the grace days, else
/// still open (None).
pub fn settle(
    amount_minor: i64,
    paid_minor: i64,
    promised_date: NaiveDate,
    grace_days: u32,
    today: NaiveDate,
) -> Option<PromiseStatus> {
    if paid_minor >= amount_minor {
        return Some(PromiseStatus::Kept);
    }
    let last_day = promised_date
        .checked_add_days(Days::new(u64::from(grace_days)))
        .unwrap_or(NaiveDate::MAX);
    (today > last_day).then_some(PromiseStatus::Broken)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, d).unwrap()
    }

    #[test]
    fn kept_when_paid_broken_after_the_grace_days() {
        assert_eq!(
            settle(100, 100, day(5), 2, day(1)),
            Some(PromiseStatus::Kept)
        );
        assert_eq!(
            settle(100, 150, day(5), 2, day(9)),
            Some(PromiseStatus::Kept)
        );
        assert_eq!(
            settle(100, 99, day(5), 2, day(7)),
            None,
            "the last grace day"
        );
        assert_eq!(
            settle(100, 99, day(5), 2, day(8)),
            Some(PromiseStatus::Broken)
        );
        assert_eq!(
            settle(100, 0, day(5), 0, day(6)),
            Some(PromiseStatus::Broken)
        );
        assert_eq!(settle(100, 0, NaiveDate::MAX, 2, day(6)), None);
    }
}
