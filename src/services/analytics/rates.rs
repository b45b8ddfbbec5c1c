//! Exchange rates: how many units of the organization's own currency one unit of another was
//! worth on a day, entered by hand or read from the Central Bank of Türkiye's daily bulletin
//! (`today.xml`, forex selling rate). Reports convert with the latest rate on or before their
//! date and name the rates they used; a missing rate is an error that says which one.

use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder,
};
use uuid::Uuid;

use crate::auth::Viewer;
use crate::domain::ids::OrganizationId;
use crate::domain::money::Currency;
use crate::domain::role::Role;
use crate::entities::{exchange_rate, organization};
use crate::error::{AppError, AppResult, FieldError, Validation};
use crate::services::customers::organization_currency;
use crate::services::rules;
use crate::services::scope::OrgScoped;
use crate::state::AppState;

/// The most rates one call may set.
pub const MAX_RATES: usize = 200;
/// The largest rate accepted, and the most decimals kept.
const MAX_RATE: i64 = 1_000_000_000;
const MAX_RATE_DECIMALS: u32 = 10;

/// One rate to set.
#[derive(Debug, Clone)]
pub struct RateInput {
    pub currency: String,
    pub rate: Decimal,
}

/// A rate as reports use it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rate {
    pub currency: Currency,
    /// Units of the organization's currency per unit of `currency`.
    pub rate: Decimal,
    pub date: NaiveDate,
}

/// MANAGER and up: sets (or replaces) the organization's rates for a day.
pub async fn set(
    app: &AppState,
    viewer: &Viewer,
    date: NaiveDate,
    rates: &[RateInput],
) -> AppResult<Vec<Rate>> {
    viewer.require(Role::Manager)?;
    let org = viewer.organization_id;
    let base = organization_currency(app.db.reader(), org).await?;
    let mut checks = Validation::new();
    checks.check(
        rates.is_empty() || rates.len() > MAX_RATES,
        &["rates"],
        "OUT_OF_RANGE",
        format!("give 1 to {MAX_RATES} rates"),
    );
    let mut valid = BTreeMap::new();
    for (index, input) in rates.iter().enumerate() {
        let position = index.to_string();
        let field = |name: &'static str| ["rates", position.as_str(), name];
        let Some(currency) = checks.take(rules::currency(&input.currency, &field("currency")))
        else {
            continue;
        };
        if currency == base {
            checks.add(FieldError::new(
                &field("currency"),
                "BASE_CURRENCY",
                format!("{base} is the organization's own currency: its rate is 1"),
            ));
        } else if input.rate <= Decimal::ZERO
            || input.rate > Decimal::from(MAX_RATE)
            || input.rate.scale() > MAX_RATE_DECIMALS
        {
            checks.add(FieldError::new(
                &field("rate"),
                "OUT_OF_RANGE",
                format!("a rate is positive, at most {MAX_RATE}, with at most {MAX_RATE_DECIMALS} decimals"),
            ));
        } else if valid.insert(currency, input.rate.normalize()).is_some() {
            checks.add(FieldError::new(
                &field("currency"),
                "DUPLICATE",
                format!("{currency} appears twice"),
            ));
        }
    }
    checks.finish()?;
    let txn = app.db.begin().await?;
    let saved = store(&txn, org, date, &valid, "MANUAL", app.clock.now()).await?;
    txn.commit().await?;
    Ok(saved)
}

/// Writes a day's rates, replacing that day's earlier ones.
async fn store(
    conn: &impl ConnectionTrait,
    org: OrganizationId,
    date: NaiveDate,
    rates: &BTreeMap<Currency, Decimal>,
    source: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<Vec<Rate>> {
    let mut saved = Vec::with_capacity(rates.len());
    for (currency, rate) in rates {
        let existing = exchange_rate::Entity::in_org(org)
            .filter(exchange_rate::Column::Currency.eq(currency.code()))
            .filter(exchange_rate::Column::RateDate.eq(date))
            .one(conn)
            .await?;
        match existing {
            Some(row) => {
                let mut row: exchange_rate::ActiveModel = row.into();
                row.rate = Set(rate.to_string());
                row.source = Set(source.to_owned());
                row.updated_at = Set(now);
                row.update(conn).await?;
            }
            None => {
                exchange_rate::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    organization_id: Set(org.0),
                    currency: Set(currency.code().to_owned()),
                    rate_date: Set(date),
                    rate: Set(rate.to_string()),
                    source: Set(source.to_owned()),
                    created_at: Set(now),
                    updated_at: Set(now),
                }
                .insert(conn)
                .await?;
            }
        }
        saved.push(Rate {
            currency: *currency,
            rate: *rate,
            date,
        });
    }
    Ok(saved)
}

/// Each currency's latest rate on or before `date`.
pub async fn on(
    conn: &impl ConnectionTrait,
    org: OrganizationId,
    date: NaiveDate,
) -> AppResult<Vec<Rate>> {
    let rows = exchange_rate::Entity::in_org(org)
        .filter(exchange_rate::Column::RateDate.lte(date))
        .order_by_desc(exchange_rate::Column::RateDate)
        .all(conn)
        .await?;
    let mut latest: BTreeMap<String, Rate> = BTreeMap::new();
    for row in rows {
        if latest.contains_key(&row.currency) {
            continue;
        }
        latest.insert(row.currency.clone(), stored(&row)?);
    }
    Ok(latest.into_values().collect())
}

fn stored(row: &exchange_rate::Model) -> AppResult<Rate> {
    let invalid = || AppError::Internal(format!("stored rate {} is not a number", row.id));
    Ok(Rate {
        currency: rules::stored_currency(&row.currency)?,
        rate: Decimal::from_str(&row.rate).map_err(|_| invalid())?,
        date: row.rate_date,
    })
}

/// Converts sums into one currency at the rates of a day.
#[derive(Debug, Clone)]
pub struct Converter {
    target: Currency,
    base: Currency,
    rates: HashMap<Currency, Rate>,
}

impl Converter {
    /// Everything needed to convert `currencies` into `target` as of `date`; an error names the
    /// first rate that is missing.
    pub async fn load(
        conn: &impl ConnectionTrait,
        org: OrganizationId,
        date: NaiveDate,
        target: Currency,
        currencies: impl IntoIterator<Item = Currency>,
    ) -> AppResult<Self> {
        let base = organization_currency(conn, org).await?;
        let known: HashMap<Currency, Rate> = on(conn, org, date)
            .await?
            .into_iter()
            .map(|rate| (rate.currency, rate))
            .collect();
        let mut rates = HashMap::new();
        for currency in currencies.into_iter().chain([target]) {
            if currency == base || rates.contains_key(&currency) {
                continue;
            }
            let rate = known.get(&currency).ok_or_else(|| {
                AppError::BadRequest(format!(
                    "no {currency} exchange rate on or before {date}: set one with setExchangeRates \
                     or `tahsilat rates import`"
                ))
            })?;
            rates.insert(currency, rate.clone());
        }
        Ok(Self {
            target,
            base,
            rates,
        })
    }

    pub fn target(&self) -> Currency {
        self.target
    }

    /// The rates used, by currency.
    pub fn used(&self) -> Vec<Rate> {
        let mut used: Vec<Rate> = self.rates.values().cloned().collect();
        used.sort_by_key(|rate| rate.currency.code());
        used
    }

    fn rate(&self, currency: Currency) -> Decimal {
        if currency == self.base {
            Decimal::ONE
        } else {
            self.rates
                .get(&currency)
                .map_or(Decimal::ONE, |rate| rate.rate)
        }
    }

    /// `minor` units of `from` in the target's minor units, rounded half away from zero.
    pub fn convert(&self, minor: i128, from: Currency) -> AppResult<i128> {
        if from == self.target {
            return Ok(minor);
        }
        let overflow = || AppError::Internal("conversion out of range".into());
        let amount =
            Decimal::try_from_i128_with_scale(minor, from.exponent()).map_err(|_| overflow())?;
        let converted = amount
            .checked_mul(self.rate(from))
            .and_then(|value| value.checked_div(self.rate(self.target)))
            .ok_or_else(overflow)?
            .round_dp_with_strategy(
                self.target.exponent(),
                RoundingStrategy::MidpointAwayFromZero,
            );
        let unit = Decimal::from(10_i64.pow(self.target.exponent()));
        converted
            .checked_mul(unit)
            .and_then(|minor| minor.to_i128())
            .ok_or_else(overflow)
    }
}

/// One currency of a Central Bank bulletin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulletinRate {
    pub currency: Currency,
    /// Forex selling rate per one unit (the bulletin quotes some per 100).
    pub rate: Decimal,
}

/// A parsed `today.xml`: its date and forex selling rates (currencies without one are left out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bulletin {
    pub date: NaiveDate,
    pub rates: Vec<BulletinRate>,
}

/// Reads the Central Bank of Türkiye's daily bulletin (the `today.xml` format).
pub fn parse_tcmb(xml: &str) -> Result<Bulletin, String> {
    let header = element_start(xml, "Tarih_Date").ok_or("no <Tarih_Date> element")?;
    let date = attribute(header, "Date")
        .and_then(|text| NaiveDate::parse_from_str(&text, "%m/%d/%Y").ok())
        .or_else(|| {
            attribute(header, "Tarih")
                .and_then(|text| NaiveDate::parse_from_str(&text, "%d.%m.%Y").ok())
        })
        .ok_or("the bulletin's date is missing or unreadable")?;
    let mut rates = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find("<Currency ") {
        let block_and_after = &rest[start..];
        let end = block_and_after
            .find("</Currency>")
            .ok_or("a <Currency> element is not closed")?;
        let block = &block_and_after[..end];
        rest = &block_and_after[end..];
        let opening = element_start(block, "Currency").unwrap_or_default();
        let Some(code) = attribute(opening, "CurrencyCode").or_else(|| attribute(opening, "Kod"))
        else {
            continue;
        };
        let Ok(currency) = Currency::from_code(code.trim()) else {
            continue;
        };
        let selling = text_of(block, "ForexSelling").filter(|text| !text.trim().is_empty());
        let Some(selling) = selling else { continue };
        let selling = Decimal::from_str(selling.trim())
            .map_err(|_| format!("{currency}: ForexSelling {selling:?} is not a number"))?;
        let unit = text_of(block, "Unit")
            .and_then(|text| Decimal::from_str(text.trim()).ok())
            .filter(|unit| *unit > Decimal::ZERO)
            .unwrap_or(Decimal::ONE);
        if selling > Decimal::ZERO {
            rates.push(BulletinRate {
                currency,
                rate: (selling / unit).normalize(),
            });
        }
    }
    if rates.is_empty() {
        return Err("the bulletin holds no forex selling rates".into());
    }
    Ok(Bulletin { date, rates })
}

/// The text of `<name …>` up to its closing `>`.
fn element_start<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    let start = xml.find(&format!("<{name}"))?;
    let end = xml[start..].find('>')?;
    Some(&xml[start..start + end])
}

fn attribute(element: &str, name: &str) -> Option<String> {
    let marker = format!(" {name}=\"");
    let start = element.find(&marker)? + marker.len();
    let end = element[start..].find('"')?;
    Some(element[start..start + end].to_owned())
}

fn text_of<'a>(block: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let start = block.find(&open)? + open.len();
    let end = block[start..].find(&format!("</{name}>"))?;
    Some(&block[start..start + end])
}

/// Stores a bulletin's rates for every organization whose own currency is the lira (or the one
/// named); returns how many organizations took them.
pub async fn import_bulletin(
    app: &AppState,
    bulletin: &Bulletin,
    only: Option<OrganizationId>,
) -> AppResult<usize> {
    let organizations = organization::Entity::find()
        .filter(organization::Column::DefaultCurrency.eq(Currency::TRY.code()))
        .all(app.db.reader())
        .await?;
    let rates: BTreeMap<Currency, Decimal> = bulletin
        .rates
        .iter()
        .map(|rate| (rate.currency, rate.rate))
        .collect();
    let mut taken = 0;
    let now = app.clock.now();
    for organization in organizations {
        if only.is_some_and(|only| only.0 != organization.id) {
            continue;
        }
        let txn = app.db.begin().await?;
        let org = OrganizationId(organization.id);
        store(&txn, org, bulletin.date, &rates, "TCMB", now).await?;
        txn.commit().await?;
        taken += 1;
    }
    Ok(taken)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BULLETIN: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<?xml-stylesheet type="text/xsl" href="isokur.xsl"?>
<Tarih_Date Tarih="24.11.2026" Date="11/24/2026"  Bulten_No="2026/224" >
	<Currency CrossOrder="0" Kod="USD" CurrencyCode="USD">
			<Unit>1</Unit>
			<Isim>ABD DOLARI</Isim>
			<CurrencyName>US DOLLAR</CurrencyName>
			<ForexBuying>42.3118</ForexBuying>
			<ForexSelling>42.3881</ForexSelling>
			<BanknoteBuying>42.2822</BanknoteBuying>
			<BanknoteSelling>42.4517</BanknoteSelling>
			<CrossRateUSD/>
			<CrossRateOther/>
	</Currency>
	<Currency CrossOrder="11" Kod="JPY" CurrencyCode="JPY">
			<Unit>100</Unit>
			<Isim>JAPON YENİ</Isim>
			<CurrencyName>JAPENESE YEN</CurrencyName>
			<ForexBuying>27.0311</ForexBuying>
			<ForexSelling>27.2101</ForexSelling>
	</Currency>
	<Currency CrossOrder="18" Kod="XDR" CurrencyCode="XDR">
			<Unit>1</Unit>
			<Isim>ÖZEL ÇEKME HAKKI (SDR)                            </Isim>
			<CurrencyName>SPECIAL DRAWING RIGHT (SDR)                       </CurrencyName>
			<ForexBuying>57.6021</ForexBuying>
			<ForexSelling></ForexSelling>
	</Currency>
</Tarih_Date>"#;

    #[test]
    fn reads_forex_selling_per_unit() {
        let bulletin = parse_tcmb(BULLETIN).unwrap();
        assert_eq!(
            bulletin.date,
            NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()
        );
        assert_eq!(
            bulletin.rates,
            vec![
                BulletinRate {
                    currency: Currency::USD,
                    rate: Decimal::from_str("42.3881").unwrap()
                },
                BulletinRate {
                    currency: Currency::from_code("JPY").unwrap(),
                    rate: Decimal::from_str("0.272101").unwrap()
                },
            ]
        );
        assert!(parse_tcmb("<html>not a bulletin</html>").is_err());
    }

    #[test]
    fn converts_through_the_base_currency_and_rounds_half_away() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        let rate = |currency, text| Rate {
            currency,
            rate: Decimal::from_str(text).unwrap(),
            date: day,
        };
        let converter = Converter {
            target: Currency::TRY,
            base: Currency::TRY,
            rates: HashMap::from([(Currency::USD, rate(Currency::USD, "42.3881"))]),
        };
        // 10.00 USD → 423.881 TRY → 423.88
        assert_eq!(converter.convert(1_000, Currency::USD).unwrap(), 42_388);
        assert_eq!(converter.convert(5, Currency::TRY).unwrap(), 5);
        let to_usd = Converter {
            target: Currency::USD,
            ..converter
        };
        // 100.00 TRY → 2.3591… USD → 2.36
        assert_eq!(to_usd.convert(10_000, Currency::TRY).unwrap(), 236);
    }
}
