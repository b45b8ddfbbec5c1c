//! Money as integer minor units with an ISO 4217 currency.
//!
//! Amounts enter and leave as [`Decimal`] (exact decimal text at the API), and are stored and
//! summed as `i64` minor units. An amount with more decimals than its currency has is an error,
//! never silently rounded; sums never mix currencies.

use std::fmt;

use rust_decimal::{Decimal, RoundingStrategy};

/// A currency the service knows, with its ISO 4217 minor-unit exponent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency {
    code: &'static str,
    exponent: u32,
}

/// ISO 4217 codes with a minor-unit exponent other than 2.
const EXPONENT_0: &[&str] = &[
    "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND",
    "VUV", "XAF", "XOF", "XPF",
];
const EXPONENT_3: &[&str] = &["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"];
/// Active ISO 4217 codes with two decimals (the common case).
const EXPONENT_2: &[&str] = &[
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT",
    "BGN", "BMD", "BND", "BOB", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CHF",
    "CNY", "COP", "CRC", "CUP", "CVE", "CZK", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR",
    "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF",
    "IDR", "ILS", "INR", "IRR", "JMD", "KES", "KGS", "KHR", "KPW", "KYD", "KZT", "LAK", "LBP",
    "LKR", "LRD", "LSL", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR",
    "MWK", "MXN", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "PAB", "PEN", "PGK",
    "PHP", "PKR", "PLN", "QAR", "RON", "RSD", "RUB", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD",
    "SHP", "SLE", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TOP",
    "TRY", "TTD", "TWD", "TZS", "UAH", "USD", "UYU", "UZS", "VES", "WST", "XCD", "YER", "ZAR",
    "ZMW", "ZWL",
];

impl Currency {
    pub const TRY: Currency = Currency {
        code: "TRY",
        exponent: 2,
    };
    pub const USD: Currency = Currency {
        code: "USD",
        exponent: 2,
    };
    pub const EUR: Currency = Currency {
        code: "EUR",
        exponent: 2,
    };

    /// Looks up an ISO 4217 code (upper case, exactly three letters).
    pub fn from_code(code: &str) -> Result<Currency, MoneyError> {
        let find = |table: &[&'static str], exponent| {
            table
                .iter()
                .find(|known| **known == code)
                .map(|known| Currency {
                    code: known,
                    exponent,
                })
        };
        find(EXPONENT_2, 2)
            .or_else(|| find(EXPONENT_0, 0))
            .or_else(|| find(EXPONENT_3, 3))
            .ok_or_else(|| MoneyError::UnknownCurrency(code.chars().take(8).collect()))
    }

    pub fn code(&self) -> &'static str {
        self.code
    }

    /// Digits after the decimal point: TRY 2, JPY 0, KWD 3.
    pub fn exponent(&self) -> u32 {
        self.exponent
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code)
    }
}

/// The largest amount accepted anywhere, in minor units: 10^15 (ten trillion lira). Sums of
/// capped amounts, and installment totals on them (at most double), stay far inside `i64`.
pub const MAX_MINOR: i64 = 1_000_000_000_000_000;

/// Why an amount cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("unknown currency code {0:?}")]
    UnknownCurrency(String),
    #[error("{currency} amounts have at most {allowed} decimal places")]
    TooManyDecimals { currency: Currency, allowed: u32 },
    #[error("cannot combine {0} with {1}")]
    CurrencyMismatch(Currency, Currency),
    #[error("amount is out of range")]
    Overflow,
    #[error("amounts are at most {0} minor units")]
    OutOfRange(i64),
}

/// An amount in a currency's minor units (kuruş for TRY).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    pub minor: i64,
    pub currency: Currency,
}

impl Money {
    pub fn from_minor(minor: i64, currency: Currency) -> Self {
        Self { minor, currency }
    }

    pub fn zero(currency: Currency) -> Self {
        Self { minor: 0, currency }
    }

    /// Converts an exact decimal amount; more decimals than the currency allows is an error
    /// (trailing zeros are fine: "10.50" TRY and "10.5" TRY are the same amount).
    pub fn from_decimal(amount: Decimal, currency: Currency) -> Result<Self, MoneyError> {
        let normalized = amount.normalize();
        if normalized.scale() > currency.exponent {
            return Err(MoneyError::TooManyDecimals {
                currency,
                allowed: currency.exponent,
            });
        }
        let factor = Decimal::from(10_i64.pow(currency.exponent));
        let minor = normalized
            .checked_mul(factor)
            .ok_or(MoneyError::OutOfRange(MAX_MINOR))?;
        let minor = i64::try_from(minor).map_err(|_| MoneyError::OutOfRange(MAX_MINOR))?;
        if minor.unsigned_abs() > MAX_MINOR.unsigned_abs() {
            return Err(MoneyError::OutOfRange(MAX_MINOR));
        }
        Ok(Self { minor, currency })
    }

    /// The amount with exactly the currency's number of decimals ("1000.00", "5", "1.250").
    pub fn to_decimal(&self) -> Decimal {
        Decimal::new(self.minor, self.currency.exponent)
    }

    pub fn is_positive(&self) -> bool {
        self.minor > 0
    }

    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let minor = self
            .minor
            .checked_add(other.minor)
            .ok_or(MoneyError::Overflow)?;
        Ok(Money { minor, ..self })
    }

    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let minor = self
            .minor
            .checked_sub(other.minor)
            .ok_or(MoneyError::Overflow)?;
        Ok(Money { minor, ..self })
    }

    fn same_currency(&self, other: Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch(self.currency, other.currency))
        }
    }
}

/// A sum of many amounts in one currency (a customer's balance over all their invoices): `i128`,
/// so no number of capped amounts can overflow it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MoneySum {
    pub minor: i128,
    pub currency: Currency,
}

impl MoneySum {
    pub fn to_decimal(&self) -> Decimal {
        // Sums of i64 values up to 2^64 rows stay within Decimal's 96 bits.
        Decimal::try_from_i128_with_scale(self.minor, self.currency.exponent)
            .unwrap_or(Decimal::MAX)
    }

    pub fn is_positive(&self) -> bool {
        self.minor > 0
    }
}

impl From<Money> for MoneySum {
    fn from(money: Money) -> Self {
        Self {
            minor: i128::from(money.minor),
            currency: money.currency,
        }
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.to_decimal(), self.currency)
    }
}

/// Rounds to whole minor units, half away from zero (rust_decimal's default would be banker's).
pub fn round_to_minor(value: Decimal) -> Option<i64> {
    i64::try_from(value.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn dec(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
    }

    #[test]
    fn exponents_follow_iso_4217() {
        assert_eq!(Currency::from_code("TRY").unwrap().exponent(), 2);
        assert_eq!(Currency::from_code("JPY").unwrap().exponent(), 0);
        assert_eq!(Currency::from_code("KWD").unwrap().exponent(), 3);
        assert!(matches!(
            Currency::from_code("XXX"),
            Err(MoneyError::UnknownCurrency(_))
        ));
        assert!(Currency::from_code("try").is_err());
    }

    #[test]
    fn decimals_convert_exactly_or_not_at_all() {
        assert_eq!(
            Money::from_decimal(dec("1250.50"), Currency::TRY)
                .unwrap()
                .minor,
            125_050
        );
        assert_eq!(
            Money::from_decimal(dec("1250.5000"), Currency::TRY)
                .unwrap()
                .minor,
            125_050
        );
        assert!(matches!(
            Money::from_decimal(dec("10.005"), Currency::TRY),
            Err(MoneyError::TooManyDecimals { allowed: 2, .. })
        ));
        let jpy = Currency::from_code("JPY").unwrap();
        assert!(Money::from_decimal(dec("1.5"), jpy).is_err());
        let kwd = Currency::from_code("KWD").unwrap();
        assert_eq!(Money::from_decimal(dec("1.005"), kwd).unwrap().minor, 1005);
        assert!(Money::from_decimal(dec("99999999999999999999"), Currency::TRY).is_err());
        assert_eq!(
            Money::from_decimal(dec("10000000000000.00"), Currency::TRY)
                .unwrap()
                .minor,
            MAX_MINOR
        );
        for past_the_cap in [
            "10000000000000.01",
            "-10000000000000.01",
            "92233720368547758.07",
            "79228162514264337593543950335",
        ] {
            assert_eq!(
                Money::from_decimal(dec(past_the_cap), Currency::TRY),
                Err(MoneyError::OutOfRange(MAX_MINOR)),
                "{past_the_cap}"
            );
        }
    }

    #[test]
    fn output_has_exactly_the_currency_digits() {
        assert_eq!(
            Money::from_minor(100_000, Currency::TRY)
                .to_decimal()
                .to_string(),
            "1000.00"
        );
        assert_eq!(
            Money::from_minor(5, Currency::from_code("JPY").unwrap())
                .to_decimal()
                .to_string(),
            "5"
        );
        assert_eq!(
            Money::from_minor(1250, Currency::from_code("KWD").unwrap())
                .to_decimal()
                .to_string(),
            "1.250"
        );
        assert_eq!(
            Money::from_minor(-5, Currency::TRY)
                .to_decimal()
                .to_string(),
            "-0.05"
        );
    }

    #[test]
    fn sums_never_mix_currencies() {
        let lira = Money::from_minor(100, Currency::TRY);
        let dollar = Money::from_minor(100, Currency::USD);
        assert_eq!(lira.checked_add(lira).unwrap().minor, 200);
        assert!(matches!(
            lira.checked_add(dollar),
            Err(MoneyError::CurrencyMismatch(..))
        ));
        assert!(matches!(
            Money::from_minor(i64::MAX, Currency::TRY).checked_add(lira),
            Err(MoneyError::Overflow)
        ));
    }

    /// Property: any sum of capped amounts kept as a `MoneySum` reads back exactly, and every
    /// capped amount converts to and from its decimal form without loss.
    #[test]
    fn capped_amounts_and_their_sums_are_exact() {
        let mut next = crate::domain::xorshift(0x5A5A_u64);
        let mut sum: i128 = 0;
        for _ in 0..20_000 {
            let minor = (next() % (2 * MAX_MINOR as u64 + 1)) as i64 - MAX_MINOR;
            let money = Money::from_minor(minor, Currency::TRY);
            assert_eq!(
                Money::from_decimal(money.to_decimal(), Currency::TRY),
                Ok(money)
            );
            sum += i128::from(minor.abs());
        }
        // Far past i64 as well: 100,000 invoices at the cap.
        for total in [sum, i128::from(MAX_MINOR) * 100_000] {
            let kept = MoneySum {
                minor: total,
                currency: Currency::TRY,
            };
            let text = kept.to_decimal().to_string();
            let (whole, cents) = text.split_once('.').unwrap();
            assert_eq!(format!("{whole}{cents}").parse::<i128>().unwrap(), total);
        }
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(round_to_minor(dec("131302.5")), Some(131_303));
        assert_eq!(round_to_minor(dec("2.5")), Some(3));
        assert_eq!(round_to_minor(dec("-2.5")), Some(-3));
        assert_eq!(round_to_minor(dec("2.4999")), Some(2));
    }
}
