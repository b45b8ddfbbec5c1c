//! Disputes: the type, its enums, and the disputes area's query and mutation roots.

use async_graphql::{Enum, InputObject, SimpleObject};

use super::id;
use super::invoice::Invoice;
use super::user::User;
use crate::entities::dispute;
use crate::graphql::area::*;
use crate::graphql::context::load_required;
use crate::graphql::scalars::DateTime;
use crate::services::disputes;

/// What the customer objects to.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::domain::dispute::DisputeReason")]
pub enum DisputeReason {
    /// The price is not what was agreed.
    Price,
    /// Fewer (or more) goods than invoiced.
    Quantity,
    /// The goods or service were faulty.
    Quality,
    /// Nothing arrived.
    NotReceived,
    /// The customer says it is paid already.
    AlreadyPaid,
    /// Invoiced twice.
    Duplicate,
    /// Anything else; say what in the note.
    Other,
}

/// Whether a dispute still stands.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::domain::dispute::DisputeStatus")]
pub enum DisputeStatus {
    /// Standing: the invoice is marked disputed.
    Open,
    /// Decided; see `outcome`.
    Resolved,
}

/// How a resolved dispute ended.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::domain::dispute::DisputeOutcome")]
pub enum DisputeOutcome {
    /// The customer was right; a correction follows (a credit note in the ERP).
    Upheld,
    /// The invoice stands as it is.
    Rejected,
}

/// A customer's objection to an invoice.
pub struct Dispute(pub dispute::Model);

#[Object]
impl Dispute {
    async fn id(&self) -> ID {
        id(self.0.id)
    }

    async fn status(&self) -> DisputeStatus {
        self.0.status.into()
    }

    async fn reason(&self) -> DisputeReason {
        self.0.reason.into()
    }

    /// The customer's words, as the collector noted them.
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }

    /// Set once resolved.
    async fn outcome(&self) -> Option<DisputeOutcome> {
        self.0.outcome.map(Into::into)
    }

    /// Why it was decided so.
    async fn resolution_note(&self) -> Option<&str> {
        self.0.resolution_note.as_deref()
    }

    /// The disputed invoice.
    async fn invoice(&self, ctx: &Context<'_>) -> Result<Invoice> {
        load_required(
            ctx,
            |loaders| &loaders.invoice,
            self.0.invoice_id,
            "invoice",
        )
        .await
        .map(Invoice)
    }

    /// Who opened it: a user, or null when the customer did.
    async fn opened_by(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let Some(user_id) = self.0.opened_by else {
            return Ok(None);
        };
        Ok(load(ctx, |loaders| &loaders.user, user_id).await?.map(User))
    }

    async fn opened_at(&self) -> DateTime {
        DateTime(self.0.opened_at)
    }

    async fn resolved_at(&self) -> Option<DateTime> {
        self.0.resolved_at.map(DateTime)
    }
}

/// Which disputes to list.
#[derive(InputObject)]
pub struct DisputeFilter {
    /// Only this invoice's disputes.
    pub invoice_id: Option<ID>,
    /// Only this customer's disputes.
    pub customer_id: Option<ID>,
    /// Only open (or only resolved) ones.
    pub status: Option<DisputeStatus>,
}

/// An objection to an invoice.
#[derive(InputObject)]
pub struct OpenDisputeInput {
    /// An invoice of your organization that is not VOID and has no open dispute.
    pub invoice_id: ID,
    pub reason: DisputeReason,
    /// The customer's words; up to 2,000 characters, line breaks allowed.
    pub note: Option<String>,
}

/// How a dispute ended.
#[derive(InputObject)]
pub struct ResolveDisputeInput {
    /// An open dispute.
    pub id: ID,
    pub outcome: DisputeOutcome,
    /// Why; up to 2,000 characters, line breaks allowed.
    pub note: Option<String>,
}

/// The dispute as it is now.
#[derive(SimpleObject)]
pub struct DisputePayload {
    pub dispute: Option<Dispute>,
    pub user_errors: Vec<UserError>,
}

impl DisputePayload {
    fn from_result(result: crate::error::AppResult<dispute::Model>) -> Result<Self> {
        let (dispute, user_errors) = split(result)?;
        Ok(Self {
            dispute: dispute.map(Dispute),
            user_errors,
        })
    }
}

/// The disputes area's queries.
#[derive(Default)]
pub struct DisputesQuery;

#[Object]
impl DisputesQuery {
    /// Disputes, newest opened first.
    #[graphql(complexity = "first.unwrap_or(20).max(1) as usize * child_complexity")]
    async fn disputes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many, 1 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the page before.")] after: Option<String>,
        filter: Option<DisputeFilter>,
    ) -> Result<DisputeConnection> {
        let viewer = ctx.viewer().gql()?;
        let filter = filter.map_or_else(disputes::DisputeFilter::default, |filter| {
            disputes::DisputeFilter {
                invoice_id: filter.invoice_id.as_ref().map(input_id),
                customer_id: filter.customer_id.as_ref().map(input_id),
                status: filter.status.map(Into::into),
            }
        });
        let select = disputes::filtered(viewer.organization_id, &filter);
        Ok(list(
            ctx,
            first,
            after,
            select,
            &disputes::ORDER,
            prefetch::disputes,
            Dispute,
        )
        .await?
        .into())
    }
}

/// The disputes area's mutations.
#[derive(Default)]
pub struct DisputesMutation;

#[Object]
impl DisputesMutation {
    /// COLLECTOR and up: the invoice is marked disputed until the dispute is resolved.
    async fn open_dispute(
        &self,
        ctx: &Context<'_>,
        input: OpenDisputeInput,
    ) -> Result<DisputePayload> {
        let (app, viewer) = (ctx.app().gql()?, ctx.viewer().gql()?);
        let invoice_id = input_id(&input.invoice_id);
        let note = input.note.as_deref();
        let result = disputes::open(app, viewer, invoice_id, input.reason.into(), note).await;
        DisputePayload::from_result(result)
    }

    /// MANAGER and up: decides an open dispute; the invoice's mark clears with its last one.
    async fn resolve_dispute(
        &self,
        ctx: &Context<'_>,
        input: ResolveDisputeInput,
    ) -> Result<DisputePayload> {
        let (app, viewer) = (ctx.app().gql()?, ctx.viewer().gql()?);
        let id = input_id(&input.id);
        let note = input.note.as_deref();
        let result = disputes::resolve(app, viewer, id, input.outcome.into(), note).await;
        DisputePayload::from_result(result)
    }
}
