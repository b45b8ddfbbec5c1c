use async_graphql::SimpleObject;

use crate::domain::money::{Money as DomainMoney, MoneySum};
use crate::graphql::scalars::Decimal;

/// An amount in a currency, with exactly the currency's decimals ("1250.50" TRY, "5" JPY).
#[derive(SimpleObject, Clone, Debug)]
pub struct Money {
    pub amount: Decimal,
    /// ISO 4217 code, e.g. TRY.
    pub currency: String,
}

impl From<DomainMoney> for Money {
    fn from(money: DomainMoney) -> Self {
        Self {
            amount: Decimal(money.to_decimal()),
            currency: money.currency.code().to_owned(),
        }
    }
}

impl From<MoneySum> for Money {
    fn from(sum: MoneySum) -> Self {
        Self {
            amount: Decimal(sum.to_decimal()),
            currency: sum.currency.code().to_owned(),
        }
    }
}
