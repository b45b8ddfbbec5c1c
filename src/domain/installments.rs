//! Installment (taksit) options: a table of count → interest percent, and the arithmetic that
//! turns an amount into a total and its installments.

use std::collections::BTreeMap;
use std::str::FromStr;

use rust_decimal::Decimal;

use super::money::{Money, MoneyError, round_to_minor};

/// The installment counts on offer and the interest percent each adds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallmentRates(BTreeMap<u32, Decimal>);

/// The most installments any provider here offers.
pub const MAX_INSTALLMENTS: u32 = 12;

/// One row of the table a customer chooses from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallmentOption {
    pub count: u32,
    pub rate_percent: Decimal,
    /// What the card is charged in all.
    pub total: Money,
    /// Each installment after the first.
    pub per_installment: Money,
    /// The first installment, which carries any remainder of the division.
    pub first_installment: Money,
}

impl InstallmentRates {
    /// Parses `1:0,2:3,3:4,…`: counts 1–12, each once, count 1 present; rates 0–100 percent.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut rates = BTreeMap::new();
        for entry in text
            .split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
        {
            let (count, rate) = entry
                .split_once(':')
                .ok_or_else(|| format!("{entry:?} is not count:percent (e.g. 3:4)"))?;
            let count: u32 = count
                .trim()
                .parse()
                .ok()
                .filter(|count| (1..=MAX_INSTALLMENTS).contains(count))
                .ok_or_else(|| {
                    format!(
                        "{entry:?}: the count must be a whole number from 1 to {MAX_INSTALLMENTS}"
                    )
                })?;
            let rate = Decimal::from_str(rate.trim())
                .ok()
                .filter(|rate| *rate >= Decimal::ZERO && *rate <= Decimal::ONE_HUNDRED)
                .ok_or_else(|| format!("{entry:?}: the rate must be a percent from 0 to 100"))?;
            if rates.insert(count, rate).is_some() {
                return Err(format!("count {count} appears twice"));
            }
        }
        if !rates.contains_key(&1) {
            return Err("must offer a single payment (1:…)".to_owned());
        }
        Ok(Self(rates))
    }

    /// The counts on offer, ascending.
    pub fn counts(&self) -> Vec<u32> {
        self.0.keys().copied().collect()
    }

    pub fn rate(&self, count: u32) -> Option<Decimal> {
        self.0.get(&count).copied()
    }

    /// The options for `amount`, up to `max_installments`, the customer bearing the interest.
    pub fn options(
        &self,
        amount: Money,
        max_installments: u32,
    ) -> Result<Vec<InstallmentOption>, MoneyError> {
        self.0
            .iter()
            .filter(|(count, _)| **count <= max_installments)
            .map(|(count, rate)| option(amount, *count, *rate))
            .collect()
    }
}

/// total = amount × (1 + rate/100), rounded half away from zero to minor units; each installment
/// is total / count, and the remainder goes to the first, so the installments sum to the total.
pub fn option(
    amount: Money,
    count: u32,
    rate_percent: Decimal,
) -> Result<InstallmentOption, MoneyError> {
    let total = Decimal::from(amount.minor)
        .checked_mul(Decimal::ONE_HUNDRED + rate_percent)
        .and_then(|scaled| scaled.checked_div(Decimal::ONE_HUNDRED))
        .and_then(round_to_minor)
        .ok_or(MoneyError::Overflow)?;
    let count_minor = i64::from(count.max(1));
    let per = total / count_minor;
    let first = per + total % count_minor;
    Ok(InstallmentOption {
        count,
        rate_percent,
        total: Money::from_minor(total, amount.currency),
        per_installment: Money::from_minor(per, amount.currency),
        first_installment: Money::from_minor(first, amount.currency),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::money::Currency;

    #[test]
    fn the_default_table_parses() {
        let rates = InstallmentRates::parse("1:0,2:3,3:4,6:7,9:10,12:13").unwrap();
        assert_eq!(rates.counts(), vec![1, 2, 3, 6, 9, 12]);
        assert_eq!(rates.rate(6), Some(Decimal::from(7)));
    }

    #[test]
    fn bad_tables_are_refused() {
        for text in [
            "",
            "2:3",
            "1:0,1:2",
            "1:0,13:5",
            "1:0,2:-1",
            "1:0,2:101",
            "1:0,2",
            "1:0,x:1",
        ] {
            assert!(
                InstallmentRates::parse(text).is_err(),
                "{text:?} was accepted"
            );
        }
    }

    #[test]
    fn six_installments_at_five_percent_on_1250_50() {
        // The PayTR example: 1250.50 TL in 6 installments at 5 % is charged 1313.03 TL.
        let amount = Money::from_minor(125_050, Currency::TRY);
        let option = option(amount, 6, Decimal::from(5)).unwrap();
        assert_eq!(option.total.minor, 131_303);
        assert_eq!(option.per_installment.minor, 21_883);
        assert_eq!(option.first_installment.minor, 21_888);
        assert_eq!(
            option.first_installment.minor + 5 * option.per_installment.minor,
            option.total.minor
        );
    }

    /// Property: for any amount, count and rate, the installments add up to the total exactly,
    /// the first carries the remainder (less than one kuruş per installment), and the total is
    /// the amount with interest rounded half away from zero.
    #[test]
    fn installments_always_sum_to_the_total() {
        let mut next = crate::domain::xorshift(0x5EED_u64);
        for _ in 0..20_000 {
            let amount = (next() % 10_000_000_000) as i64 + 1;
            let count = (next() % 12) as u32 + 1;
            let rate = Decimal::new((next() % 10_001) as i64, 2);
            let option = option(Money::from_minor(amount, Currency::TRY), count, rate).unwrap();
            let n = i64::from(count);
            assert_eq!(
                option.first_installment.minor + (n - 1) * option.per_installment.minor,
                option.total.minor
            );
            let remainder = option.first_installment.minor - option.per_installment.minor;
            assert!((0..n).contains(&remainder), "{option:?}");
            let exact =
                Decimal::from(amount) * (Decimal::ONE_HUNDRED + rate) / Decimal::ONE_HUNDRED;
            assert!(
                (Decimal::from(option.total.minor) - exact).abs() <= Decimal::new(5, 1),
                "{option:?}"
            );
        }
    }

    /// Property: every amount up to the cap, at every count and any rate the table may hold
    /// (0–100 %), has a total that fits, installments that sum to it, and nothing negative.
    #[test]
    fn amounts_up_to_the_cap_never_overflow() {
        use crate::domain::money::MAX_MINOR;
        let mut next = crate::domain::xorshift(0xCA9_u64);
        let edges = [1, 2, 99, MAX_MINOR - 1, MAX_MINOR];
        for round in 0..20_000 {
            let amount = match edges.get(round) {
                Some(edge) => *edge,
                None => (next() % MAX_MINOR as u64) as i64 + 1,
            };
            let count = (next() % 12) as u32 + 1;
            let rate = Decimal::new((next() % 10_001) as i64, 2);
            let option = option(Money::from_minor(amount, Currency::TRY), count, rate)
                .unwrap_or_else(|error| panic!("{amount} × {count} at {rate}: {error}"));
            assert!(option.total.minor >= amount && option.total.minor <= 2 * MAX_MINOR);
            assert!(option.per_installment.minor >= 0);
            assert_eq!(
                option.first_installment.minor
                    + i64::from(count - 1) * option.per_installment.minor,
                option.total.minor
            );
        }
    }

    #[test]
    fn options_stop_at_the_links_maximum() {
        let rates = InstallmentRates::parse("1:0,2:3,3:4,6:7").unwrap();
        let options = rates
            .options(Money::from_minor(100_000, Currency::TRY), 3)
            .unwrap();
        let counts: Vec<u32> = options.iter().map(|o| o.count).collect();
        assert_eq!(counts, vec![1, 2, 3]);
        assert_eq!(options[2].total.minor, 104_000);
    }
}
