//! Provider callbacks: the only way money from a payment link enters the books.
//!
//! Handled in this order:
//! 1. verify the signature over the raw request. A bad one gets the provider's refusal and only
//!    metadata is kept (provider, time, source, size, SHA-256 of the body, the reason), never the
//!    body; past a per-source rate, refusals are not even written down. Signed but unreadable
//!    (a missing field, an amount that is not money in its currency) answers 400, kept likewise;
//! 2. de-duplicate on (provider, event key): a repeat gets the same success answer;
//! 3. in one transaction with the link row locked: record the payment as
//!    [`crate::domain::reconciliation::book`] decides, apply it to the link's invoices oldest due
//!    first, mark the link PAID only if its amount arrived, bring other links over the same
//!    invoices in step, log PAYMENT_RECEIVED. Money a valid callback reports as taken is never
//!    dropped: whatever does not fit is recorded for review with the reasons;
//! 4. a failure logs PAYMENT_FAILED and leaves the link ACTIVE;
//! 5. success is answered only after commit; a database error answers 5xx so the provider retries.

use std::net::IpAddr;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use integrations::{Answer, CallbackError, CallbackEvent, LinkRef, PosProvider, ReportedAmount};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction,
    EntityTrait, QueryFilter, QuerySelect,
};
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::activities::{self, Actor, Entry};
use super::link_pricing::{self, Withdrawal};
use super::payments::{apply, lock_invoices, receivables, touched};
use super::rules::stored_currency;
use super::webhooks::events::{self, Event};
use crate::domain::activity::ActivityKind;
use crate::domain::allocation;
use crate::domain::ids::{OrganizationId, PaymentId};
use crate::domain::invoice::InvoiceStatus;
use crate::domain::money::{Currency, Money};
use crate::domain::payment::PaymentMethod;
use crate::domain::payment_link::PaymentLinkStatus;
use crate::domain::reconciliation::{self, LinkTerms, Report, ReviewReason};
use crate::entities::payment_attempt::{self, AttemptStatus};
use crate::entities::provider_event::EventOutcome;
use crate::entities::{payment, payment_link, provider_event};
use crate::error::{AppError, AppResult, is_unique_violation};
use crate::state::AppState;

/// What became of a callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The signature did not verify.
    Rejected,
    /// Refused without a trace: this source sent too many bad callbacks lately.
    Throttled,
    /// Signed, but not readable as a payment report.
    Malformed,
    /// A trigger whose payment the provider has not decided (or could not be asked about) yet:
    /// nothing is recorded, and the sender is asked to try again.
    NotYet,
    Repeat,
    UnknownLink,
    Recorded {
        payment_id: Uuid,
        needs_review: bool,
    },
    Failed,
}

impl Outcome {
    /// A short stable name, for metrics and logs.
    pub fn as_str(&self) -> &'static str {
        match self {
            Outcome::Rejected => "rejected",
            Outcome::Throttled => "throttled",
            Outcome::Malformed => "malformed",
            Outcome::NotYet => "not_yet",
            Outcome::Repeat => "repeat",
            Outcome::UnknownLink => "unknown_link",
            Outcome::Recorded {
                needs_review: false,
                ..
            } => "recorded",
            Outcome::Recorded {
                needs_review: true, ..
            } => "recorded_for_review",
            Outcome::Failed => "failed",
        }
    }
}

/// A callback as it arrived.
#[derive(Debug, Clone, Copy)]
pub struct Delivery<'a> {
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
    /// The connection's peer, when known.
    pub source: Option<IpAddr>,
}

/// What [`process`] did, and for which link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Processed {
    pub outcome: Outcome,
    /// The pay-page token of the link the callback was for, when it was one of ours: a payer
    /// returning through the browser is sent back to that page.
    pub link_token: Option<String>,
    /// Whether the provider reported a decline (whether recorded now or before).
    pub declined: bool,
}

impl From<Outcome> for Processed {
    fn from(outcome: Outcome) -> Self {
        Self {
            outcome,
            link_token: None,
            declined: false,
        }
    }
}

/// Handles one callback: the answer the provider expects, and what was done.
#[tracing::instrument(skip_all, fields(provider = provider.name()))]
pub async fn handle(
    app: &AppState,
    provider: &dyn PosProvider,
    delivery: Delivery<'_>,
) -> (Answer, Option<Processed>) {
    let processed = process(app, provider, delivery).await;
    let answer = match processed.as_ref().map(|processed| &processed.outcome) {
        Ok(Outcome::Rejected) => (provider.rejected(), "rejected"),
        Ok(Outcome::Throttled) => (
            Answer {
                status: 429,
                content_type: "text/plain; charset=utf-8",
                body: "too many refused callbacks from this address".to_owned(),
            },
            "throttled",
        ),
        Ok(Outcome::Malformed) => (provider.malformed(), "malformed"),
        Ok(Outcome::NotYet) => (provider.retry_later(), "not_yet"),
        Ok(outcome) => {
            tracing::info!(?outcome, "callback handled");
            (provider.accepted(), outcome.as_str())
        }
        Err(error) => {
            // Logged once here; the provider will send it again.
            tracing::error!(error = ?error, "callback not recorded; asking the provider to retry");
            (provider.retry_later(), "error")
        }
    };
    crate::metrics::callback(provider.name(), answer.1);
    (answer.0, processed.ok())
}

pub async fn process(
    app: &AppState,
    provider: &dyn PosProvider,
    delivery: Delivery<'_>,
) -> AppResult<Processed> {
    let now = app.clock.now();
    let verified = match provider.verify_callback(delivery.headers, delivery.body, now) {
        Ok(event) => provider.confirm(event).await,
        Err(error) => Err(error),
    };
    let event = match verified {
        Ok(event) => event,
        Err(CallbackError::Unconfirmed(reason)) => {
            tracing::info!(%reason, "a notification the provider has not confirmed yet");
            return Ok(Outcome::NotYet.into());
        }
        Err(error) => {
            let (outcome, kept) = match &error {
                CallbackError::Malformed(_) => (Outcome::Malformed, EventOutcome::Malformed),
                _ => (Outcome::Rejected, EventOutcome::Rejected),
            };
            if !app.callback_refusals.allows(delivery.source) {
                return Ok(Outcome::Throttled.into());
            }
            tracing::warn!(reason = %error, "callback refused");
            record_refusal(
                app,
                provider.name(),
                &delivery,
                now,
                kept,
                &error.to_string(),
            )
            .await?;
            warn_claimed_organization(app, provider, &delivery, &error, now).await?;
            return Ok(outcome.into());
        }
    };
    record_event(app, provider, event, delivery).await
}

/// Records a verified, confirmed event: from a callback, or from the reconciliation job asking
/// the provider about an attempt nobody told us about. Both go through here, so the same payment
/// is recorded once whichever arrives first.
pub async fn record_event(
    app: &AppState,
    provider: &dyn PosProvider,
    event: CallbackEvent,
    delivery: Delivery<'_>,
) -> AppResult<Processed> {
    let now = app.clock.now();
    let (event_key, link_ref) = match &event {
        CallbackEvent::Succeeded {
            event_key, link, ..
        }
        | CallbackEvent::Failed {
            event_key, link, ..
        } => (event_key.clone(), link.clone()),
        CallbackEvent::Unconfirmed { .. } => {
            return Err(AppError::Internal(
                "an unconfirmed event reached the books".into(),
            ));
        }
    };
    let raw = provider.audit_copy(delivery.body);

    let txn = app.db.begin().await?;
    let Some(link) = find_link(&txn, provider.name(), &link_ref).await? else {
        // Signed, but for no link of ours: kept for a person to look at (and assign by hand),
        // acknowledged so the provider stops, and never attributed to a tenant by guesswork.
        tracing::error!(event_key, "a signed callback names no known link");
        let reported = reported_payment(&event);
        let inserted = insert_event(
            &txn,
            EventRow {
                id: Uuid::now_v7(),
                organization: None,
                provider: provider.name(),
                event_key: Some(&event_key),
                at: now,
                signature_ok: true,
                outcome: EventOutcome::UnknownLink,
                raw: &raw,
                delivery: &delivery,
                reason: Some("names no link of ours"),
                reported,
            },
        )
        .await;
        match inserted {
            Ok(()) => txn.commit().await?,
            Err(AppError::Database(error)) if is_unique_violation(&error) => {
                return Ok(Outcome::Repeat.into());
            }
            Err(error) => return Err(error),
        }
        return Ok(Outcome::UnknownLink.into());
    };
    let link_token = Some(link.token.clone());
    let declined = matches!(event, CallbackEvent::Failed { .. });
    let processed = |outcome: Outcome| Processed {
        outcome,
        link_token: link_token.clone(),
        declined,
    };
    let org = OrganizationId(link.organization_id);
    // The amount is read before anything is written: a signed report whose amount is not money
    // in its currency is malformed, kept as such, and answered 400.
    let report = match &event {
        CallbackEvent::Succeeded {
            charged,
            installment_count,
            ..
        } => match read_report(&link, charged.as_ref(), *installment_count, provider) {
            Ok(report) => Some(report),
            Err(reason) => {
                drop(txn);
                tracing::warn!(%reason, "signed callback with an unreadable amount");
                record_refusal(
                    app,
                    provider.name(),
                    &delivery,
                    now,
                    EventOutcome::Malformed,
                    &reason,
                )
                .await?;
                let refused = rejected_event(provider.name(), &delivery, "malformed", &reason)
                    .with_link(link.id);
                events::publish(app.db.writer(), org, vec![refused], now).await?;
                return Ok(processed(Outcome::Malformed));
            }
        },
        CallbackEvent::Failed { .. } | CallbackEvent::Unconfirmed { .. } => None,
    };

    // Step 2: the event row is the de-duplication. A concurrent twin waits on the unique index
    // and then finds the key taken.
    let event_id = Uuid::now_v7();
    let inserted = insert_event(
        &txn,
        EventRow {
            id: event_id,
            organization: Some(org),
            provider: provider.name(),
            event_key: Some(&event_key),
            at: now,
            signature_ok: true,
            outcome: EventOutcome::Processing,
            raw: &raw,
            delivery: &delivery,
            reason: None,
            reported: reported_payment(&event),
        },
    )
    .await;
    match inserted {
        Ok(_) => {}
        Err(AppError::Database(error)) if is_unique_violation(&error) => {
            return Ok(processed(Outcome::Repeat));
        }
        Err(error) => return Err(error),
    }
    // With the event claimed, the link is locked for the rest of the transaction.
    let link = payment_link::Entity::find_by_id(link.id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;

    let mut withdrawals = Vec::new();
    let outcome = match (event, report) {
        (CallbackEvent::Failed { reason, .. }, _) => {
            let reason: String = reason.chars().take(500).collect();
            let entry = Entry {
                customer_id: link.customer_id,
                invoice_id: None,
                kind: ActivityKind::PaymentFailed,
                note: Some(reason.clone()),
                data: json!({"paymentLinkId": link.id, "reason": reason, "provider": provider.name()}),
            };
            activities::append(&txn, org, Actor::System(provider.name()), entry, now).await?;
            set_event_outcome(&txn, event_id, EventOutcome::Failed, None).await?;
            settle_attempt(&txn, &link_ref, AttemptStatus::Failed, now).await?;
            Outcome::Failed
        }
        (CallbackEvent::Succeeded { transaction_id, .. }, Some(report)) => {
            let recorded = record_payment(
                app,
                &txn,
                provider,
                &link,
                &transaction_id,
                &report,
                now,
                &mut withdrawals,
            )
            .await?;
            match recorded {
                Some((payment_id, needs_review)) => {
                    let kept = if needs_review {
                        EventOutcome::RecordedForReview
                    } else {
                        EventOutcome::Recorded
                    };
                    set_event_outcome(&txn, event_id, kept, Some(payment_id)).await?;
                    settle_attempt(&txn, &link_ref, AttemptStatus::Paid, now).await?;
                    Outcome::Recorded {
                        payment_id,
                        needs_review,
                    }
                }
                // The same bank transaction under another event key.
                None => return Ok(processed(Outcome::Repeat)),
            }
        }
        (CallbackEvent::Succeeded { .. } | CallbackEvent::Unconfirmed { .. }, _) => {
            return Err(AppError::Internal("a success without its report".into()));
        }
    };
    txn.commit().await?;
    link_pricing::withdraw_at_providers(app, withdrawals).await;
    Ok(processed(outcome))
}

/// What a verified success reported, kept on its event row.
fn reported_payment(event: &CallbackEvent) -> Option<Reported> {
    let CallbackEvent::Succeeded {
        transaction_id,
        charged,
        installment_count,
        ..
    } = event
    else {
        return None;
    };
    let money = charged.as_ref().and_then(|charged| {
        let currency = Currency::from_code(charged.currency.as_deref()?).ok()?;
        Money::from_decimal(charged.value, currency).ok()
    });
    Some(Reported {
        charged: money,
        transaction_id: transaction_id.clone(),
        installment_count: installment_count.and_then(|count| i32::try_from(count).ok()),
    })
}

/// Marks the attempt a callback named as settled; a success settles it whatever it was before
/// (a decline may precede a success on the same attempt), a decline only an open one.
async fn settle_attempt(
    txn: &DatabaseTransaction,
    link: &LinkRef,
    status: AttemptStatus,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let LinkRef::Attempt(reference) = link else {
        return Ok(());
    };
    let Ok(id) = Uuid::from_str(reference) else {
        return Ok(());
    };
    let mut update = payment_attempt::Entity::update_many()
        .col_expr(
            payment_attempt::Column::Status,
            sea_orm::sea_query::Expr::value(sea_orm::ActiveEnum::to_value(&status)),
        )
        .col_expr(
            payment_attempt::Column::SettledAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(payment_attempt::Column::Id.eq(id));
    if status != AttemptStatus::Paid {
        update = update.filter(payment_attempt::Column::Status.eq(AttemptStatus::Open));
    }
    update.exec(txn).await?;
    Ok(())
}

/// The reported charge as money in a known currency, or why it is not.
fn read_report(
    link: &payment_link::Model,
    charged: Option<&ReportedAmount>,
    installment_count: Option<u32>,
    provider: &dyn PosProvider,
) -> Result<Report, String> {
    let link_currency = Currency::from_code(&link.currency)
        .map_err(|_| format!("the link has an unknown currency {:?}", link.currency))?;
    let charged = match charged {
        // A provider that reports no amount charged the link's amount.
        None => Money::from_minor(link.amount_minor, link_currency),
        Some(reported) => {
            let currency = match reported.currency.as_deref() {
                None => link_currency,
                Some(code) => Currency::from_code(code).map_err(|_| {
                    format!(
                        "unknown currency {:?}",
                        code.chars().take(8).collect::<String>()
                    )
                })?,
            };
            Money::from_decimal(reported.value, currency).map_err(|error| {
                format!(
                    "the amount {} is not money in {currency}: {error}",
                    reported.value
                )
            })?
        }
    };
    Ok(Report {
        charged,
        installment_count,
        count_signed: provider.signs_installment_count(),
    })
}

async fn find_link(
    conn: &impl ConnectionTrait,
    provider: &str,
    link: &LinkRef,
) -> AppResult<Option<payment_link::Model>> {
    let select = payment_link::Entity::find().filter(payment_link::Column::Provider.eq(provider));
    let found = match link {
        LinkRef::ProviderLinkId(id) => {
            select
                .filter(payment_link::Column::ProviderLinkId.eq(id.as_str()))
                .one(conn)
                .await?
        }
        LinkRef::Reference(reference) => match Uuid::from_str(reference) {
            Ok(id) => {
                select
                    .filter(payment_link::Column::Id.eq(id))
                    .one(conn)
                    .await?
            }
            Err(_) => None,
        },
        LinkRef::Attempt(reference) => {
            let Ok(id) = Uuid::from_str(reference) else {
                return Ok(None);
            };
            let Some(attempt) = payment_attempt::Entity::find_by_id(id)
                .filter(payment_attempt::Column::Provider.eq(provider))
                .one(conn)
                .await?
            else {
                return Ok(None);
            };
            payment_link::Entity::find_by_id(attempt.link_id)
                .one(conn)
                .await?
        }
    };
    Ok(found)
}

/// Records the money; None when this bank transaction was recorded before.
#[expect(clippy::too_many_arguments, reason = "the parts of one callback")]
async fn record_payment(
    app: &AppState,
    txn: &DatabaseTransaction,
    provider: &dyn PosProvider,
    link: &payment_link::Model,
    transaction_id: &str,
    report: &Report,
    now: DateTime<Utc>,
    withdrawals: &mut Vec<Withdrawal>,
) -> AppResult<Option<(Uuid, bool)>> {
    let org = OrganizationId(link.organization_id);
    let link_amount = Money::from_minor(link.amount_minor, stored_currency(&link.currency)?);
    let max_installments = u32::try_from(link.max_installments).unwrap_or(1);
    // The table of the provider that took the money (a pay page may offer several).
    let table = super::installment_tables::terms(txn, app, org, provider.name()).await?;
    let offered = table
        .options(link_amount, max_installments)
        .map_err(|error| AppError::Internal(format!("installment table: {error}")))?;
    let terms = LinkTerms {
        amount: link_amount,
        max_installments,
        status: link.status,
    };
    let booking = reconciliation::book(&terms, &offered, report);
    let mut reasons = booking.reasons.clone();

    // Apply to the link's invoices, oldest due first.
    let mut plan = Vec::new();
    let mut charge: Option<(Uuid, i64)> = None;
    let mut locked = std::collections::HashMap::new();
    let invoice_ids = link_pricing::invoice_ids_of_link(txn, org, link.id).await?;
    if booking.applies_to_invoices {
        locked = lock_invoices(txn, org, &invoice_ids).await?;
        let mut open: Vec<_> = locked
            .values()
            .filter(|invoice| invoice.status != InvoiceStatus::Void)
            .collect();
        open.sort_by_key(|invoice| (invoice.due_date, invoice.id));
        let (parts, mut left) =
            allocation::in_order(booking.amount.minor, &receivables(open.into_iter()));
        plan = parts;
        // A link for plan installments pays the plan's interest once its invoices are paid.
        if left > 0
            && let Some(active) = crate::services::plans::plan_of_link(txn, org, link.id).await?
        {
            let minor = left.min(active.interest_left);
            if minor > 0 {
                charge = Some((active.plan.id, minor));
                left -= minor;
            }
        }
        if left > 0 {
            reasons.push(ReviewReason::Unapplied(Money::from_minor(
                left,
                booking.amount.currency,
            )));
        }
    } else if booking.amount.is_positive() {
        reasons.push(ReviewReason::Unapplied(booking.amount));
    }
    let needs_review = !reasons.is_empty();
    let review_reason = needs_review.then(|| {
        reasons
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    });

    let payment_id = PaymentId::new().0;
    let inserted = payment::ActiveModel {
        id: Set(payment_id),
        organization_id: Set(org.0),
        customer_id: Set(link.customer_id),
        amount_minor: Set(booking.amount.minor),
        charged_minor: Set(booking.charged.minor),
        unapplied_minor: Set(booking.amount.minor
            - charge.map_or(0, |(_, minor)| minor)
            - plan.iter().map(|part| part.amount_minor).sum::<i64>()),
        currency: Set(booking.charged.currency.code().to_owned()),
        method: Set(PaymentMethod::Card),
        received_at: Set(now),
        reference: Set(Some(format!("{} {transaction_id}", provider.name()))),
        provider: Set(Some(provider.name().to_owned())),
        provider_transaction_id: Set(Some(transaction_id.to_owned())),
        installment_count: Set(booking.installment_count),
        needs_review: Set(needs_review),
        review_reason: Set(review_reason.clone()),
        recorded_by: Set(None),
        test: Set(provider.is_test()),
        reversed_at: Set(None),
        reversed_by: Set(None),
        reversal_reason: Set(None),
        fee_minor: Set(u32::try_from(booking.installment_count)
            .ok()
            .and_then(|count| table.fee(booking.amount, count))
            .map(|fee| fee.minor)),
        created_at: Set(now),
    }
    .insert(txn)
    .await;
    match inserted {
        Ok(_) => {}
        Err(error) if is_unique_violation(&error) => return Ok(None),
        Err(error) => return Err(error.into()),
    }
    let mut events = apply(txn, org, payment_id, &plan, &locked, now, now)
        .await?
        .paid_in_full;
    if let Some((plan_id, minor)) = charge {
        crate::services::plans::book_charge(txn, org, plan_id, payment_id, minor, now).await?;
    }

    if booking.pays_link {
        let mut row: payment_link::ActiveModel = link.clone().into();
        row.status = Set(PaymentLinkStatus::Paid);
        row.paid_at = Set(Some(now));
        row.payment_id = Set(Some(payment_id));
        row.updated_at = Set(now);
        row.update(txn).await?;
        let paid = Event::new(
            "payment_link.paid",
            json!({
                "paymentLinkId": link.id,
                "customerId": link.customer_id,
                "paymentId": payment_id,
                "amount": events::money(booking.amount),
                "charged": events::money(booking.charged),
                "installmentCount": booking.installment_count,
                "provider": provider.name(),
            }),
        );
        events.push(paid);
    }
    let actor = Actor::System(provider.name());
    // This link (if still ACTIVE after a short payment) and any other over the same invoices
    // now ask too much: repriced or withdrawn.
    withdrawals.extend(link_pricing::reconcile_links(txn, org, &invoice_ids, actor, now).await?);
    withdrawals
        .extend(crate::services::plans::reevaluate(txn, org, link.customer_id, actor, now).await?);
    let (numbers, single) = touched(&plan, &locked);
    let data = json!({
        "paymentId": payment_id,
        "paymentLinkId": link.id,
        "amount": booking.amount.to_decimal().to_string(),
        "charged": booking.charged.to_decimal().to_string(),
        "currency": booking.charged.currency.code(),
        "installmentCount": booking.installment_count,
        "invoices": numbers,
        "needsReview": needs_review,
        "test": provider.is_test(),
    });
    let entry = Entry {
        customer_id: link.customer_id,
        invoice_id: single,
        kind: ActivityKind::PaymentReceived,
        note: review_reason,
        data,
    };
    activities::append_with(txn, org, actor, entry, now, events).await?;
    Ok(Some((payment_id, needs_review)))
}

/// One provider_events row.
struct EventRow<'a> {
    id: Uuid,
    organization: Option<OrganizationId>,
    provider: &'a str,
    event_key: Option<&'a str>,
    at: DateTime<Utc>,
    signature_ok: bool,
    outcome: EventOutcome,
    /// The body, for verified callbacks only.
    raw: &'a str,
    delivery: &'a Delivery<'a>,
    reason: Option<&'a str>,
    /// What a verified success reported.
    reported: Option<Reported>,
}

/// A verified success's charge, transaction and count, as kept on its event row.
struct Reported {
    /// None when the provider did not sign the currency.
    charged: Option<Money>,
    transaction_id: String,
    installment_count: Option<i32>,
}

async fn insert_event(conn: &impl ConnectionTrait, row: EventRow<'_>) -> AppResult<()> {
    provider_event::ActiveModel {
        id: Set(row.id),
        organization_id: Set(row.organization.map(|org| org.0)),
        provider: Set(row.provider.to_owned()),
        event_key: Set(row.event_key.map(str::to_owned)),
        received_at: Set(row.at),
        signature_ok: Set(row.signature_ok),
        outcome: Set(row.outcome),
        payment_id: Set(None),
        raw_body: Set(row.raw.to_owned()),
        body_sha256: Set(Some(hex::encode(Sha256::digest(row.delivery.body)))),
        body_size: Set(Some(
            i64::try_from(row.delivery.body.len()).unwrap_or(i64::MAX),
        )),
        source_address: Set(row.delivery.source.map(|source| source.to_string())),
        reason: Set(row.reason.map(|reason| reason.chars().take(300).collect())),
        charged_minor: Set(row
            .reported
            .as_ref()
            .and_then(|reported| reported.charged.map(|money| money.minor))),
        currency: Set(row.reported.as_ref().and_then(|reported| {
            reported
                .charged
                .map(|money| money.currency.code().to_owned())
        })),
        transaction_id: Set(row
            .reported
            .as_ref()
            .map(|reported| reported.transaction_id.chars().take(200).collect())),
        installment_count: Set(row
            .reported
            .as_ref()
            .and_then(|reported| reported.installment_count)),
        assigned_by: Set(None),
        assigned_at: Set(None),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// `callback.rejected` for the organization whose link a refused callback names, if it names
/// one of ours: its security team learns that someone is sending forged or stale callbacks.
async fn warn_claimed_organization(
    app: &AppState,
    provider: &dyn PosProvider,
    delivery: &Delivery<'_>,
    error: &CallbackError,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let Some(claimed) = provider.claimed_link(delivery.body) else {
        return Ok(());
    };
    let Some(link) = find_link(app.db.reader(), provider.name(), &claimed).await? else {
        return Ok(());
    };
    let reason = match error {
        CallbackError::MissingSignature => "unsigned",
        CallbackError::BadSignature => "bad_signature",
        CallbackError::Stale => "stale",
        CallbackError::Malformed(_) => "malformed",
        CallbackError::Unconfirmed(_) => "unconfirmed",
    };
    let event =
        rejected_event(provider.name(), delivery, reason, &error.to_string()).with_link(link.id);
    let org = OrganizationId(link.organization_id);
    events::publish(app.db.writer(), org, vec![event], now).await
}

/// The `callback.rejected` event: who sent what, and why it was refused (never the body).
fn rejected_event(provider: &str, delivery: &Delivery<'_>, reason: &str, detail: &str) -> Event {
    Event::new(
        "callback.rejected",
        json!({
            "provider": provider,
            "reason": reason,
            "detail": detail.chars().take(500).collect::<String>(),
            "sourceAddress": delivery.source.map(|address| address.to_string()),
        }),
    )
}

/// Keeps the metadata of a callback that was refused, never its body.
async fn record_refusal(
    app: &AppState,
    provider: &str,
    delivery: &Delivery<'_>,
    now: DateTime<Utc>,
    outcome: EventOutcome,
    reason: &str,
) -> AppResult<()> {
    insert_event(
        app.db.writer(),
        EventRow {
            id: Uuid::now_v7(),
            organization: None,
            provider,
            event_key: None,
            at: now,
            signature_ok: outcome != EventOutcome::Rejected,
            outcome,
            raw: "",
            delivery,
            reason: Some(reason),
            reported: None,
        },
    )
    .await
}

async fn set_event_outcome(
    txn: &DatabaseTransaction,
    id: Uuid,
    outcome: EventOutcome,
    payment_id: Option<Uuid>,
) -> AppResult<()> {
    provider_event::Entity::update_many()
        .col_expr(
            provider_event::Column::Outcome,
            sea_orm::sea_query::Expr::value(sea_orm::ActiveEnum::to_value(&outcome)),
        )
        .col_expr(
            provider_event::Column::PaymentId,
            sea_orm::sea_query::Expr::value(payment_id),
        )
        .filter(provider_event::Column::Id.eq(id))
        .exec(txn)
        .await?;
    Ok(())
}
