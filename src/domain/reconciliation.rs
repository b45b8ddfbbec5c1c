//! What a verified success callback means for the books, decided without I/O.
//!
//! Money a signed callback reports as taken is always recorded; what varies is how much of it is
//! credited to the link's invoices, whether the link counts as paid, and why a person should look
//! at it. The rules:
//! - the charge must be the link's installment total for the reported count (when the provider
//!   signs the count), or one of the totals offered (when it does not); then the invoices are
//!   credited the link's amount and the rest is installment interest;
//! - any other charge is credited whole (no interest is assumed) and set aside for review;
//! - zero or negative charges, counts outside 1–12 or past the link's maximum, another currency,
//!   and a link that was not ACTIVE are set aside for review too;
//! - the link counts as paid only when its amount was actually received.

use std::fmt;

use super::installments::{InstallmentOption, MAX_INSTALLMENTS};
use super::money::{Currency, Money};
use super::payment_link::PaymentLinkStatus;

/// The link as it stood when the callback arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkTerms {
    pub amount: Money,
    pub max_installments: u32,
    pub status: PaymentLinkStatus,
}

/// What the provider reported, already read as money in a known currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub charged: Money,
    pub installment_count: Option<u32>,
    /// Whether the count is covered by the provider's signature.
    pub count_signed: bool,
}

/// Why a recorded payment needs a person to look at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReviewReason {
    LinkNotActive(PaymentLinkStatus),
    OtherCurrency {
        paid: Currency,
        link: Currency,
    },
    NotPositive(Money),
    CountOutOfRange(u32),
    CountOverLinkMaximum {
        count: u32,
        maximum: u32,
    },
    CountNotOffered(u32),
    ChargeIsNotTheTotal {
        charged: Money,
        count: u32,
        total: Money,
    },
    ChargeNotOffered(Money),
    Short {
        charged: Money,
        asked: Money,
    },
    Unapplied(Money),
}

impl fmt::Display for ReviewReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReviewReason::LinkNotActive(PaymentLinkStatus::Paid) => {
                f.write_str("the link had been paid already")
            }
            ReviewReason::LinkNotActive(PaymentLinkStatus::Expired) => {
                f.write_str("the link had expired")
            }
            ReviewReason::LinkNotActive(_) => f.write_str("the link had been cancelled"),
            ReviewReason::OtherCurrency { paid, link } => {
                write!(f, "paid in {paid}, the link is in {link}")
            }
            ReviewReason::NotPositive(charged) => {
                write!(
                    f,
                    "the provider reported a charge of {}",
                    charged.to_decimal()
                )
            }
            ReviewReason::CountOutOfRange(count) => write!(
                f,
                "the provider reported {count} installments; there are 1 to {MAX_INSTALLMENTS}"
            ),
            ReviewReason::CountOverLinkMaximum { count, maximum } => write!(
                f,
                "the provider reported {count} installments; the link offers at most {maximum}"
            ),
            ReviewReason::CountNotOffered(count) => {
                write!(f, "{count} installments are not on offer")
            }
            ReviewReason::ChargeIsNotTheTotal {
                charged,
                count,
                total,
            } => write!(
                f,
                "charged {} but {count} installments cost {}",
                charged.to_decimal(),
                total.to_decimal()
            ),
            ReviewReason::ChargeNotOffered(charged) => write!(
                f,
                "charged {}, which is none of the totals offered",
                charged.to_decimal()
            ),
            ReviewReason::Short { charged, asked } => write!(
                f,
                "charged {} but the link asks {}",
                charged.to_decimal(),
                asked.to_decimal()
            ),
            ReviewReason::Unapplied(left) => write!(
                f,
                "{} was left unapplied: the invoices owed less",
                left.to_decimal()
            ),
        }
    }
}

/// How a callback is booked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Booking {
    /// What is credited to the receivable (before allocation to the invoices).
    pub amount: Money,
    pub charged: Money,
    /// The installment count to store: the reported one when valid, else the count whose total
    /// matched, else 0 for "not a valid count" (the reason says what was reported).
    pub installment_count: i32,
    /// Whether the amount may be applied to the link's invoices (same currency, positive).
    pub applies_to_invoices: bool,
    /// Whether the link's amount was received, so the link is now PAID.
    pub pays_link: bool,
    pub reasons: Vec<ReviewReason>,
}

/// Decides how a success callback is booked against a link and the totals it offered.
pub fn book(terms: &LinkTerms, offered: &[InstallmentOption], report: &Report) -> Booking {
    let mut reasons = Vec::new();
    if terms.status != PaymentLinkStatus::Active {
        reasons.push(ReviewReason::LinkNotActive(terms.status));
    }
    let charged = report.charged;
    let valid_count = match report.installment_count {
        Some(count) if !(1..=MAX_INSTALLMENTS).contains(&count) => {
            reasons.push(ReviewReason::CountOutOfRange(count));
            None
        }
        Some(count) if count > terms.max_installments => {
            reasons.push(ReviewReason::CountOverLinkMaximum {
                count,
                maximum: terms.max_installments,
            });
            None
        }
        other => other,
    };
    let stored_count = |count: Option<u32>| {
        match (report.installment_count, count) {
            (_, Some(count)) => i32::try_from(count).unwrap_or(0),
            (None, None) => 1,
            // Reported but not valid: the reason carries what was reported.
            (Some(_), None) => 0,
        }
    };
    if charged.currency != terms.amount.currency {
        reasons.push(ReviewReason::OtherCurrency {
            paid: charged.currency,
            link: terms.amount.currency,
        });
        return Booking {
            amount: charged,
            charged,
            installment_count: stored_count(valid_count),
            applies_to_invoices: false,
            pays_link: false,
            reasons,
        };
    }
    if !charged.is_positive() {
        reasons.push(ReviewReason::NotPositive(charged));
        return Booking {
            amount: Money::zero(charged.currency),
            charged,
            installment_count: stored_count(valid_count),
            applies_to_invoices: false,
            pays_link: false,
            reasons,
        };
    }

    // The option the charge is the total of, when there is one.
    let matched: Option<&InstallmentOption> = if report.count_signed && valid_count.is_some() {
        let count = valid_count.unwrap_or(1);
        match offered.iter().find(|option| option.count == count) {
            None => {
                reasons.push(ReviewReason::CountNotOffered(count));
                None
            }
            Some(option) if option.total != charged => {
                reasons.push(ReviewReason::ChargeIsNotTheTotal {
                    charged,
                    count,
                    total: option.total,
                });
                None
            }
            Some(option) => Some(option),
        }
    } else if report.count_signed && report.installment_count.is_some() {
        // A signed count that is out of range: already a reason; nothing can match it.
        None
    } else {
        // Unsigned counts decide nothing: the charge must be one of the totals offered (the
        // smallest count when several cost the same).
        let found = offered.iter().find(|option| option.total == charged);
        if found.is_none() {
            reasons.push(ReviewReason::ChargeNotOffered(charged));
        }
        found
    };

    let amount = match matched {
        Some(_) => terms.amount,
        None => charged,
    };
    if amount.minor < terms.amount.minor {
        reasons.push(ReviewReason::Short {
            charged,
            asked: terms.amount,
        });
    }
    let installment_count = match (matched, valid_count) {
        (_, Some(count)) => stored_count(Some(count)),
        (Some(option), None) if report.installment_count.is_none() => {
            i32::try_from(option.count).unwrap_or(0)
        }
        _ => stored_count(None),
    };
    Booking {
        amount,
        charged,
        installment_count,
        applies_to_invoices: true,
        pays_link: terms.status == PaymentLinkStatus::Active && amount.minor >= terms.amount.minor,
        reasons,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::installments::InstallmentRates;

    fn lira(minor: i64) -> Money {
        Money::from_minor(minor, Currency::TRY)
    }

    fn terms(amount: i64, max: u32) -> LinkTerms {
        LinkTerms {
            amount: lira(amount),
            max_installments: max,
            status: PaymentLinkStatus::Active,
        }
    }

    fn offered(amount: i64, max: u32) -> Vec<InstallmentOption> {
        InstallmentRates::parse("1:0,2:3,3:4,6:7,9:10,12:13")
            .unwrap()
            .options(lira(amount), max)
            .unwrap()
    }

    fn signed(charged: i64, count: u32) -> Report {
        Report {
            charged: lira(charged),
            installment_count: Some(count),
            count_signed: true,
        }
    }

    #[test]
    fn the_exact_total_pays_the_link_and_credits_its_amount() {
        let booking = book(
            &terms(100_000, 6),
            &offered(100_000, 6),
            &signed(107_000, 6),
        );
        assert_eq!(booking.amount, lira(100_000));
        assert_eq!(booking.charged, lira(107_000));
        assert_eq!(booking.installment_count, 6);
        assert!(booking.pays_link);
        assert!(booking.reasons.is_empty(), "{:?}", booking.reasons);
    }

    #[test]
    fn a_charge_that_is_not_the_total_is_credited_whole_and_reviewed() {
        // 1,100.00 on a 1,000.00 single-payment link at 0 %.
        let booking = book(
            &terms(100_000, 1),
            &offered(100_000, 1),
            &signed(110_000, 1),
        );
        assert_eq!(booking.amount, lira(110_000));
        assert!(booking.pays_link);
        assert!(matches!(
            booking.reasons[..],
            [ReviewReason::ChargeIsNotTheTotal { .. }]
        ));
        // 1,030.00 for 6 installments where the table says 1,070.00.
        let booking = book(
            &terms(100_000, 6),
            &offered(100_000, 6),
            &signed(103_000, 6),
        );
        assert_eq!(booking.amount, lira(103_000));
        assert_eq!(booking.reasons.len(), 1);
        assert!(booking.reasons[0].to_string().contains("1070.00"));
    }

    #[test]
    fn zero_negative_and_short_charges_never_pay_the_link() {
        for charged in [0, -100_000] {
            let booking = book(
                &terms(100_000, 1),
                &offered(100_000, 1),
                &signed(charged, 1),
            );
            assert!(!booking.pays_link);
            assert!(!booking.applies_to_invoices);
            assert_eq!(booking.amount, lira(0));
            assert!(matches!(
                booking.reasons[..],
                [ReviewReason::NotPositive(_)]
            ));
        }
        let booking = book(&terms(100_000, 1), &offered(100_000, 1), &signed(40_000, 1));
        assert!(!booking.pays_link);
        assert_eq!(booking.amount, lira(40_000));
        assert!(
            booking
                .reasons
                .iter()
                .any(|reason| matches!(reason, ReviewReason::Short { .. }))
        );
    }

    #[test]
    fn counts_outside_the_range_or_the_links_maximum_are_reviewed() {
        for (count, max) in [(0, 12), (13, 12), (u32::MAX, 12), (6, 3)] {
            let booking = book(
                &terms(100_000, max),
                &offered(100_000, max),
                &signed(107_000, count),
            );
            assert!(!booking.reasons.is_empty(), "{count} of at most {max}");
            assert_eq!(booking.installment_count, 0, "{count}");
        }
        // 4 is within 1–12 and the link's maximum, but not in the table.
        let booking = book(
            &terms(100_000, 6),
            &offered(100_000, 6),
            &signed(104_000, 4),
        );
        assert!(matches!(
            booking.reasons[..],
            [ReviewReason::CountNotOffered(4)]
        ));
    }

    #[test]
    fn without_a_signed_count_the_charge_must_be_an_offered_total() {
        let unsigned = |charged| Report {
            charged: lira(charged),
            installment_count: None,
            count_signed: false,
        };
        let booking = book(&terms(100_000, 6), &offered(100_000, 6), &unsigned(104_000));
        assert!(booking.reasons.is_empty());
        assert_eq!(booking.installment_count, 3);
        assert_eq!(booking.amount, lira(100_000));
        let booking = book(&terms(100_000, 6), &offered(100_000, 6), &unsigned(105_000));
        assert!(matches!(
            booking.reasons[..],
            [ReviewReason::ChargeNotOffered(_)]
        ));
        assert_eq!(booking.amount, lira(105_000));
    }

    #[test]
    fn another_currency_is_kept_apart() {
        let report = Report {
            charged: Money::from_minor(100_000, Currency::USD),
            installment_count: Some(1),
            count_signed: true,
        };
        let booking = book(&terms(100_000, 1), &offered(100_000, 1), &report);
        assert!(!booking.applies_to_invoices);
        assert!(!booking.pays_link);
        assert_eq!(booking.amount.currency, Currency::USD);
    }

    #[test]
    fn a_link_that_was_not_active_is_never_paid_again() {
        let mut cancelled = terms(100_000, 1);
        cancelled.status = PaymentLinkStatus::Cancelled;
        let booking = book(&cancelled, &offered(100_000, 1), &signed(100_000, 1));
        assert!(!booking.pays_link);
        assert_eq!(
            booking.reasons,
            vec![ReviewReason::LinkNotActive(PaymentLinkStatus::Cancelled)]
        );
    }

    /// Property: whatever is reported, nothing is lost (the amount is the charge or the link's
    /// amount below it) and the link is paid only when its amount arrived.
    #[test]
    fn no_report_loses_money_or_pays_a_link_for_less() {
        let mut next = crate::domain::xorshift(0xC0FFEE_u64);
        for _ in 0..20_000 {
            let amount = (next() % 1_000_000_000_000_000) as i64 + 1;
            let max = (next() % 12) as u32 + 1;
            let options = offered(amount, max);
            let charged = match next() % 3 {
                0 => options[(next() as usize) % options.len()].total.minor,
                1 => (next() % 2_000_000_000_000_000) as i64 - 1_000,
                _ => amount,
            };
            let count = (next() % 14) as u32;
            let report = Report {
                charged: lira(charged),
                installment_count: Some(count),
                count_signed: next().is_multiple_of(2),
            };
            let booking = book(&terms(amount, max), &options, &report);
            assert!(booking.amount.minor <= booking.charged.minor.max(0));
            assert!(booking.amount.minor >= 0);
            if booking.pays_link {
                assert!(booking.amount.minor >= amount);
            }
            if booking.reasons.is_empty() {
                assert!(booking.pays_link);
                assert_eq!(booking.amount.minor, amount);
            }
        }
    }
}
