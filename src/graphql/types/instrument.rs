//! The cheque and promissory-note portfolio in the API: receiving an instrument (with its
//! payment), its moves, the maturity calendar, and a customer's real exposure.

use async_graphql::{Enum, InputObject, SimpleObject};

use super::customer::Customer;
use super::id;
use super::money::Money;
use super::payment::Payment;
use crate::entities::{instrument, instrument_event};
use crate::graphql::area::*;
use crate::graphql::scalars::{Date, DateTime, Decimal};
use crate::services::instruments::{self, Move, MoveInstrument};
use crate::services::rules::stored_currency;

/// What kind of paper an instrument is.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::domain::instrument::InstrumentKind")]
pub enum InstrumentKind {
    /// Çek: drawn on a bank account, payable at its maturity (vade).
    Cheque,
    /// Senet: the customer's own written promise to pay at its maturity.
    PromissoryNote,
}

/// Where an instrument is.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::domain::instrument::InstrumentStatus")]
pub enum InstrumentStatus {
    /// In the company's portfolio (portföyde), waiting for its maturity.
    InPortfolio,
    /// Endorsed on to someone else (ciro); if it bounces, it comes back.
    Endorsed,
    /// Given to a bank for collection or as collateral.
    Deposited,
    /// Paid: the money is in.
    Cleared,
    /// Not paid (karşılıksız; a note protested): its payment was reversed.
    Bounced,
    /// Handed back to the customer.
    Returned,
}

/// A cheque or promissory note taken in payment.
pub struct Instrument(pub instrument::Model);

/// A cheque (çek) or promissory note (senet) taken in payment: booked as a payment when received,
/// followed as risk until it clears.
#[Object]
impl Instrument {
    async fn id(&self) -> ID {
        id(self.0.id)
    }

    async fn kind(&self) -> InstrumentKind {
        self.0.kind.into()
    }

    /// The cheque's or note's number.
    async fn number(&self) -> &str {
        &self.0.number
    }

    /// The bank it is drawn on (cheques).
    async fn bank(&self) -> Option<&str> {
        self.0.bank.as_deref()
    }

    async fn branch(&self) -> Option<&str> {
        self.0.branch.as_deref()
    }

    async fn account_no(&self) -> Option<&str> {
        self.0.account_no.as_deref()
    }

    /// Keşideci: who signed it.
    async fn drawer(&self) -> &str {
        &self.0.drawer
    }

    async fn issue_date(&self) -> Date {
        Date(self.0.issue_date)
    }

    /// Vade: when it can be cashed.
    async fn maturity_date(&self) -> Date {
        Date(self.0.maturity_date)
    }

    async fn amount(&self) -> Result<Money> {
        let currency = stored_currency(&self.0.currency).gql()?;
        Ok(crate::domain::money::Money::from_minor(self.0.amount_minor, currency).into())
    }

    async fn status(&self) -> InstrumentStatus {
        self.0.status.into()
    }

    /// Who holds it outside the portfolio: the endorsee, or the bank it was deposited at.
    async fn holder(&self) -> Option<&str> {
        self.0.holder.as_deref()
    }

    async fn customer(&self, ctx: &Context<'_>) -> Result<Customer> {
        customer_of(ctx, self.0.customer_id).await
    }

    /// The payment it was booked as (reversed if it bounced).
    async fn payment(&self, ctx: &Context<'_>) -> Result<Option<Payment>> {
        Ok(load(ctx, |loaders| &loaders.payment, self.0.payment_id)
            .await?
            .map(Payment))
    }

    /// Every move, oldest first.
    async fn history(&self, ctx: &Context<'_>) -> Result<Vec<InstrumentEvent>> {
        let events = load(ctx, |loaders| &loaders.history_of_instrument, self.0.id).await?;
        Ok(events
            .unwrap_or_default()
            .into_iter()
            .map(InstrumentEvent::from)
            .collect())
    }

    async fn created_at(&self) -> DateTime {
        self.0.created_at.into()
    }
}

/// One move of an instrument.
#[derive(SimpleObject)]
pub struct InstrumentEvent {
    /// The status it reached.
    pub status: InstrumentStatus,
    /// The day of the move.
    pub at: Date,
    pub note: Option<String>,
    /// Who recorded it.
    pub actor_label: String,
}

impl From<instrument_event::Model> for InstrumentEvent {
    fn from(event: instrument_event::Model) -> Self {
        Self {
            status: event.status.into(),
            at: Date(event.on_date),
            note: event.note,
            actor_label: event.actor_label,
        }
    }
}

/// A customer's real risk in one currency: what is open on their invoices plus what they paid
/// with instruments that have not cleared yet.
#[derive(SimpleObject)]
pub struct Exposure {
    pub currency: String,
    /// Unpaid invoices.
    pub open_balance: Decimal,
    /// Cheques and notes in the portfolio, endorsed or deposited, not yet cleared.
    pub uncleared_instruments: Decimal,
    /// Open balance plus uncleared instruments.
    pub total: Decimal,
    /// The customer's credit limit, when it is in this currency.
    pub credit_limit: Option<Decimal>,
    /// Whether the total is above the credit limit.
    pub over_limit: bool,
}

/// Which instruments to list.
#[derive(InputObject, Default)]
pub struct InstrumentFilter {
    /// Any of these statuses.
    pub status: Option<Vec<InstrumentStatus>>,
    pub kind: Option<InstrumentKind>,
    /// Maturing on or after this day.
    pub maturity_from: Option<Date>,
    /// Maturing on or before this day.
    pub maturity_to: Option<Date>,
    pub customer_id: Option<ID>,
}

/// A cheque or note to take in payment; its payment is booked like `recordPayment`.
#[derive(InputObject)]
pub struct ReceiveInstrumentInput {
    pub customer_id: ID,
    pub kind: InstrumentKind,
    /// Up to 64 characters.
    pub number: String,
    /// Required for a cheque.
    pub bank: Option<String>,
    pub branch: Option<String>,
    pub account_no: Option<String>,
    /// Keşideci: who signed it.
    pub drawer: String,
    pub issue_date: Date,
    /// Vade; not before the issue date.
    pub maturity_date: Date,
    pub amount: Decimal,
    pub currency: String,
    /// Without them the customer's unpaid invoices in this currency, oldest due first.
    pub allocations: Option<Vec<AllocationInput>>,
}

/// Ciro: to whom.
#[derive(InputObject)]
pub struct EndorseInstrumentInput {
    pub id: ID,
    /// Who it was endorsed to (a supplier).
    pub endorsee: String,
    /// Default today; not before its last move.
    pub date: Option<Date>,
    pub note: Option<String>,
}

/// To a bank, for collection or as collateral.
#[derive(InputObject)]
pub struct DepositInstrumentInput {
    pub id: ID,
    pub bank: String,
    /// Default today; not before its last move.
    pub date: Option<Date>,
    pub note: Option<String>,
}

/// The money is in.
#[derive(InputObject)]
pub struct ClearInstrumentInput {
    pub id: ID,
    /// Default today; not before its last move.
    pub date: Option<Date>,
}

/// Karşılıksız (a note: protested): its payment is reversed on that day, the invoices are owed
/// again, and a call goes on the collector's worklist.
#[derive(InputObject)]
pub struct BounceInstrumentInput {
    pub id: ID,
    /// Default today; not before its last move.
    pub date: Option<Date>,
    /// Why, for the record (up to 1,000 characters).
    pub reason: String,
}

/// Back to the customer.
#[derive(InputObject)]
pub struct ReturnInstrumentInput {
    pub id: ID,
    /// Default today; not before its last move.
    pub date: Option<Date>,
    pub note: Option<String>,
}

/// The instrument as it is now, or why nothing changed.
#[derive(SimpleObject)]
pub struct InstrumentPayload {
    pub instrument: Option<Instrument>,
    pub user_errors: Vec<UserError>,
}

impl InstrumentPayload {
    fn from_result(result: crate::error::AppResult<instrument::Model>) -> Result<Self> {
        let (instrument, user_errors) = split(result)?;
        Ok(Self {
            instrument: instrument.map(Instrument),
            user_errors,
        })
    }
}

#[derive(Default)]
pub struct InstrumentsQuery;

#[Object]
impl InstrumentsQuery {
    /// The portfolio's maturity calendar: instruments by maturity date, soonest first.
    async fn instruments(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many, 1 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the page before.")] after: Option<String>,
        filter: Option<InstrumentFilter>,
    ) -> Result<InstrumentConnection> {
        let viewer = ctx.viewer().gql()?;
        let filter = filter.unwrap_or_default();
        let filter = instruments::InstrumentFilter {
            status: filter
                .status
                .map(|statuses| statuses.into_iter().map(Into::into).collect()),
            kind: filter.kind.map(Into::into),
            maturity_from: filter.maturity_from.map(|day| day.0),
            maturity_to: filter.maturity_to.map(|day| day.0),
            customer_id: filter.customer_id.as_ref().map(input_id),
        };
        let select = instruments::filtered(viewer.organization_id, &filter);
        Ok(list(
            ctx,
            first,
            after,
            select,
            &instruments::ORDER,
            prefetch::instruments,
            Instrument,
        )
        .await?
        .into())
    }

    /// One instrument.
    async fn instrument(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Instrument>> {
        let Some(id) = parse_id(&id) else {
            return Ok(None);
        };
        Ok(load(ctx, |loaders| &loaders.instrument, id)
            .await?
            .map(Instrument))
    }
}

#[derive(Default)]
pub struct InstrumentsMutation;

#[Object]
impl InstrumentsMutation {
    /// COLLECTOR and up: a cheque or note taken in payment goes into the portfolio, and its
    /// payment is booked at once (method CHEQUE or PROMISSORY_NOTE).
    async fn receive_instrument(
        &self,
        ctx: &Context<'_>,
        input: ReceiveInstrumentInput,
    ) -> Result<InstrumentPayload> {
        let (app, viewer) = (ctx.app().gql()?, ctx.viewer().gql()?);
        let result = instruments::receive(
            app,
            viewer,
            instruments::ReceiveInstrument {
                customer_id: input_id(&input.customer_id),
                kind: input.kind.into(),
                number: input.number,
                bank: input.bank,
                branch: input.branch,
                account_no: input.account_no,
                drawer: input.drawer,
                issue_date: input.issue_date.0,
                maturity_date: input.maturity_date.0,
                amount: input.amount.0,
                currency: input.currency,
                allocations: input.allocations.map(|allocations| {
                    allocations
                        .into_iter()
                        .map(|allocation| (input_id(&allocation.invoice_id), allocation.amount.0))
                        .collect()
                }),
            },
        )
        .await;
        InstrumentPayload::from_result(result)
    }

    /// MANAGER and up: endorsed on (ciro).
    async fn endorse_instrument(
        &self,
        ctx: &Context<'_>,
        input: EndorseInstrumentInput,
    ) -> Result<InstrumentPayload> {
        let to = Move::Endorse {
            endorsee: input.endorsee,
        };
        move_to(ctx, &input.id, input.date, input.note, to).await
    }

    /// MANAGER and up: deposited at a bank.
    async fn deposit_instrument(
        &self,
        ctx: &Context<'_>,
        input: DepositInstrumentInput,
    ) -> Result<InstrumentPayload> {
        let to = Move::Deposit { bank: input.bank };
        move_to(ctx, &input.id, input.date, input.note, to).await
    }

    /// MANAGER and up: cleared, the money is in.
    async fn clear_instrument(
        &self,
        ctx: &Context<'_>,
        input: ClearInstrumentInput,
    ) -> Result<InstrumentPayload> {
        move_to(ctx, &input.id, input.date, None, Move::Clear).await
    }

    /// MANAGER and up: bounced; its payment is reversed, its invoices are owed again, and a call
    /// goes on the collector's worklist.
    async fn bounce_instrument(
        &self,
        ctx: &Context<'_>,
        input: BounceInstrumentInput,
    ) -> Result<InstrumentPayload> {
        let to = Move::Bounce {
            reason: input.reason,
        };
        move_to(ctx, &input.id, input.date, None, to).await
    }

    /// MANAGER and up: handed back to the customer.
    async fn return_instrument(
        &self,
        ctx: &Context<'_>,
        input: ReturnInstrumentInput,
    ) -> Result<InstrumentPayload> {
        move_to(ctx, &input.id, input.date, input.note, Move::Return).await
    }
}

async fn move_to(
    ctx: &Context<'_>,
    id: &ID,
    date: Option<Date>,
    note: Option<String>,
    to: Move,
) -> Result<InstrumentPayload> {
    let (app, viewer) = (ctx.app().gql()?, ctx.viewer().gql()?);
    let input = MoveInstrument {
        id: input_id(id),
        date: date.map(|day| day.0),
        note,
        to,
    };
    InstrumentPayload::from_result(instruments::move_instrument(app, viewer, input).await)
}
