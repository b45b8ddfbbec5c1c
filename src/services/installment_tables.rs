//! Installment tables per organization and provider (`setInstallmentRates`), and who bears the
//! interest. Without a table of its own an organization uses `TAHSILAT_INSTALLMENT_RATES`, the
//! customer paying the interest.
//!
//! - CUSTOMER: the total of `n` installments is the amount plus the rate for `n`; the card is
//!   charged that total, the invoices credited the amount.
//! - MERCHANT: the customer pays the amount in any count on the table; the rate is what the
//!   provider keeps, recorded on the payment as its fee and never charged to the customer.

use std::collections::HashMap;

use rust_decimal::Decimal;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, QueryFilter};
use uuid::Uuid;

use super::scope::OrgScoped;
use crate::auth::Viewer;
use crate::domain::ids::OrganizationId;
use crate::domain::installments::{InstallmentOption, InstallmentRates, MAX_INSTALLMENTS, option};
use crate::domain::money::{Money, MoneyError, round_to_minor};
use crate::domain::role::Role;
use crate::entities::installment_rate_table;
use crate::error::{AppError, AppResult, FieldError, Validation};
use crate::state::AppState;

/// Who bears the installment interest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Payer {
    Customer,
    Merchant,
}

impl Payer {
    pub fn as_str(self) -> &'static str {
        match self {
            Payer::Customer => "CUSTOMER",
            Payer::Merchant => "MERCHANT",
        }
    }

    fn parse(text: &str) -> Self {
        if text == "MERCHANT" {
            Payer::Merchant
        } else {
            Payer::Customer
        }
    }
}

/// An organization's installment terms at one provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terms {
    pub rates: InstallmentRates,
    pub payer: Payer,
    /// Whether the organization set these (false: the instance's default).
    pub custom: bool,
    /// Whether the pay page offers this provider beside the link's own.
    pub offered: bool,
}

impl Terms {
    /// The instance's default: `TAHSILAT_INSTALLMENT_RATES`, the customer paying.
    pub fn default_for(app: &AppState) -> Self {
        Self {
            rates: app.config.installment_rates.clone(),
            payer: Payer::Customer,
            custom: false,
            offered: false,
        }
    }

    /// The terms a stored table gives.
    pub fn from_row(row: &installment_rate_table::Model) -> AppResult<Self> {
        let rates = InstallmentRates::parse(&row.rates).map_err(|error| {
            AppError::Internal(format!(
                "a stored installment table does not parse: {error}"
            ))
        })?;
        Ok(Self {
            rates,
            payer: Payer::parse(&row.payer),
            custom: true,
            offered: row.offered,
        })
    }

    /// What the customer chooses from for `amount`, up to `max_installments`.
    pub fn options(
        &self,
        amount: Money,
        max_installments: u32,
    ) -> Result<Vec<InstallmentOption>, MoneyError> {
        match self.payer {
            Payer::Customer => self.rates.options(amount, max_installments),
            Payer::Merchant => self
                .rates
                .counts()
                .into_iter()
                .filter(|count| *count <= max_installments)
                .map(|count| option(amount, count, Decimal::ZERO))
                .collect(),
        }
    }

    /// The provider's commission the merchant bears on `amount` paid in `count` installments;
    /// None when the customer bears the interest (or the count is not on the table).
    pub fn fee(&self, amount: Money, count: u32) -> Option<Money> {
        if self.payer != Payer::Merchant {
            return None;
        }
        let rate = self.rates.rate(count)?;
        let minor = Decimal::from(amount.minor)
            .checked_mul(rate)?
            .checked_div(Decimal::ONE_HUNDRED)
            .and_then(round_to_minor)?;
        Some(Money::from_minor(minor, amount.currency))
    }
}

/// The terms of `org` at `provider`.
pub async fn terms(
    conn: &impl ConnectionTrait,
    app: &AppState,
    org: OrganizationId,
    provider: &str,
) -> AppResult<Terms> {
    Ok(terms_of(conn, app, org, &[provider.to_owned()])
        .await?
        .remove(provider)
        .unwrap_or_else(|| Terms::default_for(app)))
}

/// The terms of `org` at each of `providers`, in one statement.
pub async fn terms_of(
    conn: &impl ConnectionTrait,
    app: &AppState,
    org: OrganizationId,
    providers: &[String],
) -> AppResult<HashMap<String, Terms>> {
    let rows = installment_rate_table::Entity::in_org(org)
        .filter(installment_rate_table::Column::Provider.is_in(providers.iter().cloned()))
        .all(conn)
        .await?;
    let mut found = HashMap::new();
    for row in rows {
        found.insert(row.provider.clone(), Terms::from_row(&row)?);
    }
    for provider in providers {
        found
            .entry(provider.clone())
            .or_insert_with(|| Terms::default_for(app));
    }
    Ok(found)
}

/// One row of a new table.
#[derive(Debug, Clone)]
pub struct RateInput {
    pub count: i32,
    pub rate_percent: Decimal,
}

/// Sets `org`'s table at `provider` (ADMIN). Counts 1–12, each once, a single payment among them;
/// rates 0–100 percent with at most two decimals.
pub async fn set(
    app: &AppState,
    viewer: &Viewer,
    provider: &str,
    rates: &[RateInput],
    payer: Payer,
    offered: bool,
) -> AppResult<Terms> {
    viewer.require(Role::Admin)?;
    let mut checks = Validation::new();
    checks.check(
        app.providers.get(provider).is_none(),
        &["provider"],
        "PROVIDER_UNAVAILABLE",
        format!(
            "{:?} is not enabled here",
            provider.chars().take(40).collect::<String>()
        ),
    );
    checks.check(
        rates.is_empty(),
        &["rates"],
        "REQUIRED",
        "a table has at least the single payment (count 1)",
    );
    let mut seen = std::collections::BTreeMap::new();
    for (index, rate) in rates.iter().enumerate() {
        let position = index.to_string();
        let count = u32::try_from(rate.count)
            .ok()
            .filter(|count| (1..=MAX_INSTALLMENTS).contains(count));
        let Some(count) = count else {
            checks.add(FieldError::new(
                &["rates", &position, "count"],
                "OUT_OF_RANGE",
                format!("installment counts are 1 to {MAX_INSTALLMENTS}"),
            ));
            continue;
        };
        let percent = rate.rate_percent;
        if percent < Decimal::ZERO || percent > Decimal::ONE_HUNDRED || percent.scale() > 2 {
            checks.add(FieldError::new(
                &["rates", &position, "ratePercent"],
                "OUT_OF_RANGE",
                "a rate is a percent from 0 to 100 with at most two decimals",
            ));
            continue;
        }
        if seen.insert(count, percent.normalize()).is_some() {
            checks.add(FieldError::new(
                &["rates", &position, "count"],
                "DUPLICATE",
                format!("count {count} appears twice"),
            ));
        }
    }
    if !rates.is_empty() && checks.is_empty() && !seen.contains_key(&1) {
        checks.add(FieldError::new(
            &["rates"],
            "SINGLE_PAYMENT_REQUIRED",
            "the table must offer a single payment (count 1)",
        ));
    }
    checks.finish()?;
    let text = seen
        .iter()
        .map(|(count, rate)| format!("{count}:{rate}"))
        .collect::<Vec<_>>()
        .join(",");
    let parsed = InstallmentRates::parse(&text).map_err(AppError::Internal)?;
    let org = viewer.organization_id;
    let now = app.clock.now();
    let txn = app.db.begin().await?;
    let existing = installment_rate_table::Entity::in_org(org)
        .filter(installment_rate_table::Column::Provider.eq(provider))
        .one(&txn)
        .await?;
    match existing {
        Some(row) => {
            let mut row: installment_rate_table::ActiveModel = row.into();
            row.rates = Set(text.clone());
            row.payer = Set(payer.as_str().to_owned());
            row.offered = Set(offered);
            row.updated_by = Set(Some(viewer.user_id.0));
            row.updated_at = Set(now);
            row.update(&txn).await?;
        }
        None => {
            installment_rate_table::ActiveModel {
                id: Set(Uuid::now_v7()),
                organization_id: Set(org.0),
                provider: Set(provider.to_owned()),
                payer: Set(payer.as_str().to_owned()),
                rates: Set(text.clone()),
                offered: Set(offered),
                updated_by: Set(Some(viewer.user_id.0)),
                updated_at: Set(now),
            }
            .insert(&txn)
            .await?;
        }
    }
    txn.commit().await?;
    tracing::info!(organization = %org.0, provider, rates = %text, payer = payer.as_str(), "installment table set");
    Ok(Terms {
        rates: parsed,
        payer,
        custom: true,
        offered,
    })
}

/// The providers the pay page of a link at `link_provider` offers: that one first, then those
/// the organization offers beside it whose page is made per attempt (a standing page exists only
/// at the link's own provider). Only providers enabled on this instance.
pub async fn offered_providers(
    conn: &impl ConnectionTrait,
    app: &AppState,
    org: OrganizationId,
    link_provider: &str,
) -> AppResult<Vec<(std::sync::Arc<dyn integrations::PosProvider>, Terms)>> {
    let names: Vec<String> = app
        .providers
        .all()
        .iter()
        .map(|provider| provider.name().to_owned())
        .collect();
    let mut terms = terms_of(conn, app, org, &names).await?;
    let mut offered = Vec::new();
    if let (Some(own), Some(own_terms)) = (
        app.providers.get(link_provider),
        terms.remove(link_provider),
    ) {
        offered.push((own, own_terms));
    }
    for provider in app.providers.all() {
        if provider.name() == link_provider
            || provider.checkout_kind() != integrations::CheckoutKind::PerAttempt
        {
            continue;
        }
        if let Some(provider_terms) = terms.remove(provider.name())
            && provider_terms.offered
        {
            offered.push((provider, provider_terms));
        }
    }
    Ok(offered)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::money::Currency;

    fn terms(payer: Payer) -> Terms {
        Terms {
            rates: InstallmentRates::parse("1:0,3:4.5,6:5").unwrap(),
            payer,
            custom: true,
            offered: false,
        }
    }

    #[test]
    fn the_customer_pays_the_interest_or_the_merchant_the_commission() {
        let amount = Money::from_minor(125_050, Currency::TRY);
        let customer = terms(Payer::Customer).options(amount, 6).unwrap();
        assert_eq!(
            customer.iter().map(|o| o.total.minor).collect::<Vec<_>>(),
            [125_050, 130_677, 131_303]
        );
        assert_eq!(terms(Payer::Customer).fee(amount, 6), None);

        let merchant = terms(Payer::Merchant).options(amount, 3).unwrap();
        assert_eq!(
            merchant
                .iter()
                .map(|o| (o.count, o.total.minor))
                .collect::<Vec<_>>(),
            [(1, 125_050), (3, 125_050)],
            "the customer pays the amount, and counts past the link's maximum are not offered"
        );
        // 1,250.50 × 5 % = 62.525, half away from zero: 62.53.
        assert_eq!(
            terms(Payer::Merchant).fee(amount, 6).map(|fee| fee.minor),
            Some(6_253)
        );
        assert_eq!(
            terms(Payer::Merchant).fee(amount, 1).map(|fee| fee.minor),
            Some(0)
        );
        assert_eq!(
            terms(Payer::Merchant).fee(amount, 2),
            None,
            "2 is not on the table"
        );
    }
}
