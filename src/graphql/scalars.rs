//! Custom scalars: `Decimal` (exact text, never a float), `Date` and `DateTime` (UTC).

use std::str::FromStr;

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{NaiveDate, SecondsFormat, Utc};

/// An exact decimal amount, written as a JSON string: `"1250.50"`. Outputs carry exactly the
/// currency's digits. Inputs are read from their text; JSON numbers with a fraction are refused,
/// because they would pass through a float on the way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decimal(pub rust_decimal::Decimal);

#[Scalar(name = "Decimal")]
impl ScalarType for Decimal {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => parse_decimal(text).map(Decimal).ok_or_else(|| {
                InputValueError::custom(format!(
                    "{text:?} is not a decimal amount such as \"1250.50\""
                ))
            }),
            Value::Number(number) => number
                .as_i64()
                .map(|whole| Decimal(whole.into()))
                .ok_or_else(|| {
                    InputValueError::custom(
                        "send amounts with decimals as strings, e.g. \"1250.50\"",
                    )
                }),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_string())
    }
}

/// Plain decimal notation only: optional minus, digits, optional fraction.
fn parse_decimal(text: &str) -> Option<rust_decimal::Decimal> {
    integrations::parse_plain_decimal(text)
}

use crate::domain::invoice::{MAX_DATE, MIN_DATE};

/// A calendar date, `YYYY-MM-DD`, from 1900-01-01 to 9999-12-31.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Date(pub NaiveDate);

#[Scalar(name = "Date")]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => {
                let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
                    InputValueError::custom(format!(
                        "{text:?} is not a date such as \"2026-11-23\" ({MIN_DATE} to {MAX_DATE})"
                    ))
                })?;
                if (MIN_DATE..=MAX_DATE).contains(&date) && text.len() == 10 {
                    Ok(Date(date))
                } else {
                    Err(InputValueError::custom(format!(
                        "dates are {MIN_DATE} to {MAX_DATE}"
                    )))
                }
            }
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.format("%Y-%m-%d").to_string())
    }
}

/// An instant, RFC 3339; outputs are UTC (`2026-11-23T09:30:00Z`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateTime(pub chrono::DateTime<Utc>);

#[Scalar(name = "DateTime")]
impl ScalarType for DateTime {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => chrono::DateTime::parse_from_rfc3339(text)
                .map(|at| DateTime(at.with_timezone(&Utc)))
                .map_err(|_| InputValueError::custom(format!("{text:?} is not an RFC 3339 time"))),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_rfc3339_opts(SecondsFormat::AutoSi, true))
    }
}

impl From<chrono::DateTime<Utc>> for DateTime {
    fn from(at: chrono::DateTime<Utc>) -> Self {
        DateTime(at)
    }
}

impl FromStr for Decimal {
    type Err = ();
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        parse_decimal(text).map(Decimal).ok_or(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_read_exactly_from_text() {
        assert_eq!(parse_decimal("1250.50").unwrap().to_string(), "1250.50");
        assert_eq!(parse_decimal("10.005").unwrap().to_string(), "10.005");
        assert_eq!(parse_decimal("-5").unwrap().to_string(), "-5");
        for bad in [
            "", "1e3", "1.", ".5", "1,5", " 1", "+1", "abc", "1.2.3", "--1",
        ] {
            assert!(parse_decimal(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn json_floats_are_refused() {
        let float = Value::Number(async_graphql::Number::from_f64(10.005).unwrap());
        assert!(<Decimal as ScalarType>::parse(float).is_err());
        assert_eq!(
            <Decimal as ScalarType>::parse(Value::Number(5.into()))
                .unwrap()
                .0,
            5.into()
        );
    }
}
