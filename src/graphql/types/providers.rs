//! Payment providers in the API: installment tables per provider (`setInstallmentRates`,
//! `installmentTables`) and the audit trail of provider callbacks (`providerEvents`), with
//! `assignProviderEvent` for a verified payment that names no link of ours.

use async_graphql::{Enum, InputObject, SimpleObject};
use futures_util::future::BoxFuture;

use super::id;
use super::money::Money;
use super::payment::Payment;
use crate::domain::money::{Currency, Money as DomainMoney};
use crate::domain::role::Role;
use crate::entities::provider_event;
use crate::error::AppResult;
use crate::graphql::area::*;
use crate::graphql::loaders::Loaders;
use crate::graphql::scalars::{DateTime, Decimal};
use crate::services::installment_tables::{self, Payer, RateInput, Terms};
use crate::services::provider_events;

/// Who bears the installment interest.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum InstallmentPayer {
    /// The customer: `n` installments cost the amount plus the rate for `n`.
    Customer,
    /// The company: the customer pays the amount in any count; the rate is the provider's
    /// commission, recorded on the payment as `feeAmount`.
    Merchant,
}

impl From<InstallmentPayer> for Payer {
    fn from(payer: InstallmentPayer) -> Self {
        match payer {
            InstallmentPayer::Customer => Payer::Customer,
            InstallmentPayer::Merchant => Payer::Merchant,
        }
    }
}

impl From<Payer> for InstallmentPayer {
    fn from(payer: Payer) -> Self {
        match payer {
            Payer::Customer => InstallmentPayer::Customer,
            Payer::Merchant => InstallmentPayer::Merchant,
        }
    }
}

/// One installment count and its rate.
#[derive(SimpleObject)]
pub struct InstallmentRate {
    /// 1 (a single payment) to 12.
    pub count: i32,
    /// Percent of the amount: interest the customer pays, or the provider's commission the
    /// company bears.
    pub rate_percent: Decimal,
}

/// A count and its rate, as `setInstallmentRates` takes it.
#[derive(InputObject)]
pub struct InstallmentRateInput {
    /// 1 (a single payment) to 12, each count once; 1 must be on the table.
    pub count: i32,
    /// 0 to 100, at most two decimals.
    pub rate_percent: Decimal,
}

/// The organization's installment table at one provider.
#[derive(InputObject)]
pub struct SetInstallmentRatesInput {
    /// A provider enabled here: `paytr`, `iyzico`, `nestpay`, `sandbox`.
    pub provider: String,
    /// The counts on offer with their rates.
    pub rates: Vec<InstallmentRateInput>,
    /// Who bears the interest.
    pub payer: InstallmentPayer,
    /// Whether the pay page offers this provider beside a link's own (providers whose page is
    /// made per attempt: iyzico, NestPay). Default false.
    pub offer_on_pay_page: Option<bool>,
}

/// An organization's installment terms at one provider.
#[derive(SimpleObject)]
pub struct InstallmentTable {
    /// The provider's name.
    pub provider: String,
    /// The counts on offer, ascending, with their rates.
    pub rates: Vec<InstallmentRate>,
    pub payer: InstallmentPayer,
    /// Whether the organization set this table; false while `TAHSILAT_INSTALLMENT_RATES` applies.
    pub custom: bool,
    /// Whether the pay page offers this provider beside a link's own.
    pub offered_on_pay_page: bool,
}

impl InstallmentTable {
    fn new(provider: &str, terms: &Terms) -> Self {
        Self {
            provider: provider.to_owned(),
            rates: terms
                .rates
                .counts()
                .into_iter()
                .map(|count| InstallmentRate {
                    count: i32::try_from(count).unwrap_or(1),
                    rate_percent: Decimal(terms.rates.rate(count).unwrap_or_default()),
                })
                .collect(),
            payer: terms.payer.into(),
            custom: terms.custom,
            offered_on_pay_page: terms.offered,
        }
    }
}

/// The table as set.
#[derive(SimpleObject)]
pub struct SetInstallmentRatesPayload {
    pub installment_table: Option<InstallmentTable>,
    pub user_errors: Vec<UserError>,
}

/// What became of a callback, as the audit trail keeps it.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::entities::provider_event::EventOutcome")]
pub enum ProviderEventOutcome {
    /// Being recorded right now.
    Processing,
    /// A payment was recorded (or, for an assigned event, assigned by hand).
    Recorded,
    /// A payment was recorded and set aside for a person to look at.
    RecordedForReview,
    /// The provider reported a declined payment.
    Failed,
    /// Verified, but for no link of ours: `assignProviderEvent` can record it.
    UnknownLink,
    /// The signature did not verify; only metadata is kept.
    Rejected,
    /// Signed but not readable as a payment report; only metadata is kept.
    Malformed,
}

/// One callback a provider sent, as received.
pub struct ProviderEvent(pub provider_event::Model);

#[Object]
impl ProviderEvent {
    async fn id(&self) -> ID {
        id(self.0.id)
    }

    /// The provider's name: `paytr`, `iyzico`, `nestpay`, `sandbox`.
    async fn provider(&self) -> &str {
        &self.0.provider
    }

    async fn received_at(&self) -> DateTime {
        DateTime(self.0.received_at)
    }

    async fn outcome(&self) -> ProviderEventOutcome {
        self.0.outcome.into()
    }

    /// Whether its signature verified.
    async fn signature_ok(&self) -> bool {
        self.0.signature_ok
    }

    /// Why it was refused or set aside.
    async fn reason(&self) -> Option<&str> {
        self.0.reason.as_deref()
    }

    /// The sender's address as the connection showed it.
    async fn source_address(&self) -> Option<&str> {
        self.0.source_address.as_deref()
    }

    /// Hex SHA-256 of the body as received (kept for refused ones too).
    async fn body_sha256(&self) -> Option<&str> {
        self.0.body_sha256.as_deref()
    }

    async fn body_size(&self) -> Option<i64> {
        self.0.body_size
    }

    /// The body of a verified callback; null for a refused one (never kept).
    async fn body(&self) -> Option<&str> {
        (!self.0.raw_body.is_empty()).then_some(self.0.raw_body.as_str())
    }

    /// What a verified payment report says the card was charged.
    async fn charged(&self) -> Option<Money> {
        let currency = Currency::from_code(self.0.currency.as_deref()?).ok()?;
        Some(DomainMoney::from_minor(self.0.charged_minor?, currency).into())
    }

    /// The provider's transaction id in a verified payment report.
    async fn transaction_id(&self) -> Option<&str> {
        self.0.transaction_id.as_deref()
    }

    async fn installment_count(&self) -> Option<i32> {
        self.0.installment_count
    }

    /// The payment it recorded.
    async fn payment(&self, ctx: &Context<'_>) -> Result<Option<Payment>> {
        let Some(payment_id) = self.0.payment_id else {
            return Ok(None);
        };
        Ok(load(ctx, |loaders| &loaders.payment, payment_id)
            .await?
            .map(Payment))
    }

    /// When an ADMIN assigned it to a customer by hand.
    async fn assigned_at(&self) -> Option<DateTime> {
        self.0.assigned_at.map(DateTime)
    }
}

/// Which provider events to list.
#[derive(InputObject, Default)]
pub struct ProviderEventFilter {
    /// Only this provider's.
    pub provider: Option<String>,
    pub outcome: Option<ProviderEventOutcome>,
    /// Received at or after.
    pub from: Option<DateTime>,
    /// Received before.
    pub to: Option<DateTime>,
}

/// A page of events: their payments, when asked for, in one batch.
fn event_relations<'a>(
    loaders: &'a Loaders,
    node: async_graphql::Lookahead<'a>,
    rows: Vec<provider_event::Model>,
) -> BoxFuture<'a, AppResult<()>> {
    Box::pin(async move {
        if node.field("payment").exists() {
            let ids: Vec<uuid::Uuid> = rows.iter().filter_map(|row| row.payment_id).collect();
            loaders.payment.load_many(ids).await?;
        }
        Ok(())
    })
}

/// A verified payment for a link we do not know, recorded for a customer by hand.
#[derive(InputObject)]
pub struct AssignProviderEventInput {
    /// An event whose outcome is UNKNOWN_LINK.
    pub event_id: ID,
    /// The customer who paid.
    pub customer_id: ID,
    /// The customer's invoices it pays, oldest due first; what they do not take stays
    /// unapplied on the payment.
    pub invoice_ids: Vec<ID>,
}

/// The event, now RECORDED, and its payment.
#[derive(SimpleObject)]
pub struct AssignProviderEventPayload {
    pub event: Option<ProviderEvent>,
    pub payment: Option<Payment>,
    pub user_errors: Vec<UserError>,
}

/// The providers area's queries.
#[derive(Default)]
pub struct ProvidersQuery;

#[Object]
impl ProvidersQuery {
    /// MANAGER and up: the organization's installment terms at every provider enabled here.
    async fn installment_tables(&self, ctx: &Context<'_>) -> Result<Vec<InstallmentTable>> {
        let (app, viewer) = (ctx.app().gql()?, ctx.viewer().gql()?);
        viewer.require(Role::Manager).gql()?;
        let names: Vec<String> = app
            .providers
            .all()
            .iter()
            .map(|provider| provider.name().to_owned())
            .collect();
        let terms =
            installment_tables::terms_of(app.db.reader(), app, viewer.organization_id, &names)
                .await
                .gql()?;
        Ok(names
            .iter()
            .filter_map(|name| Some(InstallmentTable::new(name, terms.get(name)?)))
            .collect())
    }

    /// ADMIN: the callbacks providers sent, newest first: the organization's, and the ones no
    /// organization could be told from (refused, or for a link we do not know).
    #[graphql(complexity = "first.unwrap_or(20).max(1) as usize * child_complexity")]
    async fn provider_events(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many, 1 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the page before.")] after: Option<String>,
        filter: Option<ProviderEventFilter>,
    ) -> Result<ProviderEventConnection> {
        let viewer = ctx.viewer().gql()?;
        viewer.require(Role::Admin).gql()?;
        let filter = filter.unwrap_or_default();
        let provider = filter
            .provider
            .as_deref()
            .map(|text| rules::filter_text(text, 32, "provider"))
            .transpose()
            .gql()?;
        let filter = provider_events::EventFilter {
            provider,
            outcome: filter.outcome.map(Into::into),
            from: filter.from.map(|at| at.0),
            to: filter.to.map(|at| at.0),
        };
        let select = provider_events::events(viewer.organization_id, &filter);
        Ok(list(
            ctx,
            first,
            after,
            select,
            &provider_events::ORDER,
            event_relations,
            ProviderEvent,
        )
        .await?
        .into())
    }
}

/// The providers area's mutations.
#[derive(Default)]
pub struct ProvidersMutation;

#[Object]
impl ProvidersMutation {
    /// ADMIN: the organization's installment table at one provider, used by
    /// `installmentOptions`, new links and the pay page. Without one, `TAHSILAT_INSTALLMENT_RATES`
    /// applies with the customer paying the interest.
    async fn set_installment_rates(
        &self,
        ctx: &Context<'_>,
        input: SetInstallmentRatesInput,
    ) -> Result<SetInstallmentRatesPayload> {
        let (app, viewer) = (ctx.app().gql()?, ctx.viewer().gql()?);
        let rates: Vec<RateInput> = input
            .rates
            .iter()
            .map(|rate| RateInput {
                count: rate.count,
                rate_percent: rate.rate_percent.0,
            })
            .collect();
        let provider: String = input.provider.chars().take(64).collect();
        let result = installment_tables::set(
            app,
            viewer,
            &provider,
            &rates,
            input.payer.into(),
            input.offer_on_pay_page.unwrap_or(false),
        )
        .await;
        let (terms, user_errors) = split(result)?;
        Ok(SetInstallmentRatesPayload {
            installment_table: terms.map(|terms| InstallmentTable::new(&provider, &terms)),
            user_errors,
        })
    }

    /// ADMIN: records a verified payment for a link we do not know (outcome UNKNOWN_LINK) for a
    /// customer and their invoices. The payment needs no review; the event becomes RECORDED.
    async fn assign_provider_event(
        &self,
        ctx: &Context<'_>,
        input: AssignProviderEventInput,
    ) -> Result<AssignProviderEventPayload> {
        let (app, viewer) = (ctx.app().gql()?, ctx.viewer().gql()?);
        let assignment = provider_events::Assignment {
            event_id: input_id(&input.event_id),
            customer_id: input_id(&input.customer_id),
            invoice_ids: input.invoice_ids.iter().map(input_id).collect(),
        };
        let (found, user_errors) = split(provider_events::assign(app, viewer, assignment).await)?;
        let (event, payment) = match found {
            Some((event, recorded)) => {
                (Some(ProviderEvent(event)), Some(Payment(recorded.payment)))
            }
            None => (None, None),
        };
        Ok(AssignProviderEventPayload {
            event,
            payment,
            user_errors,
        })
    }
}
