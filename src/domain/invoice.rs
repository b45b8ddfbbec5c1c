//! Invoice status follows from the amounts; "overdue" is derived, never stored.

use chrono::NaiveDate;
use sea_orm::entity::prelude::*;

/// The earliest date accepted anywhere.
pub const MIN_DATE: chrono::NaiveDate = match chrono::NaiveDate::from_ymd_opt(1900, 1, 1) {
    Some(date) => date,
    None => chrono::NaiveDate::MIN,
};
/// The latest date accepted anywhere; dates derived from input (a due date from payment terms)
/// are checked against it too, so every stored date sorts the same on both engines.
pub const MAX_DATE: chrono::NaiveDate = match chrono::NaiveDate::from_ymd_opt(9999, 12, 31) {
    Some(date) => date,
    None => chrono::NaiveDate::MAX,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum InvoiceStatus {
    #[sea_orm(string_value = "OPEN")]
    Open,
    #[sea_orm(string_value = "PARTIALLY_PAID")]
    PartiallyPaid,
    #[sea_orm(string_value = "PAID")]
    Paid,
    /// Set by a person; freezes the invoice.
    #[sea_orm(string_value = "VOID")]
    Void,
}

impl InvoiceStatus {
    /// The status an invoice's amounts imply: paid ≥ total → PAID; paid > 0 → PARTIALLY_PAID;
    /// else OPEN.
    pub fn from_amounts(total_minor: i64, paid_minor: i64) -> Self {
        if paid_minor >= total_minor {
            InvoiceStatus::Paid
        } else if paid_minor > 0 {
            InvoiceStatus::PartiallyPaid
        } else {
            InvoiceStatus::Open
        }
    }
}

/// Days past due for an invoice with something left to pay; 0 when not overdue.
pub fn days_overdue(due_date: NaiveDate, today: NaiveDate, balance_minor: i64) -> i64 {
    if balance_minor > 0 && due_date < today {
        (today - due_date).num_days()
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_follows_amounts() {
        assert_eq!(InvoiceStatus::from_amounts(100_000, 0), InvoiceStatus::Open);
        assert_eq!(
            InvoiceStatus::from_amounts(100_000, 40_000),
            InvoiceStatus::PartiallyPaid
        );
        assert_eq!(
            InvoiceStatus::from_amounts(100_000, 100_000),
            InvoiceStatus::Paid
        );
        assert_eq!(
            InvoiceStatus::from_amounts(100_000, 110_000),
            InvoiceStatus::Paid
        );
    }

    #[test]
    fn overdue_needs_a_past_due_date_and_a_balance() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let ten_days_ago = NaiveDate::from_ymd_opt(2026, 11, 13).unwrap();
        assert_eq!(days_overdue(ten_days_ago, today, 100), 10);
        assert_eq!(days_overdue(ten_days_ago, today, 0), 0);
        assert_eq!(days_overdue(today, today, 100), 0);
    }
}
