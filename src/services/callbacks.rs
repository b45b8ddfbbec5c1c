//! Provider callbacks: the only way money from a payment link enters the books.
//!
//! Handled in this order:
//! 1. verify the signature over the raw request (bad → the provider's refusal, and a rejected
//!    event kept for audit; nothing else changes);
//! 2. de-duplicate on (provider, event key): a repeat gets the same success answer;
//! 3. in one transaction with the link row locked: record the payment, apply it to the link's
//!    invoices oldest due first, mark the link PAID, log PAYMENT_RECEIVED. Money a valid callback
//!    reports as taken is never dropped: an expired, cancelled or already paid link, or an amount
//!    or currency that differs, still records the payment, marked for review with the reason;
//! 4. a failure logs PAYMENT_FAILED and leaves the link ACTIVE;
//! 5. success is answered only after commit; a database error answers 5xx so the provider retries.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use integrations::{Answer, CallbackEvent, LinkRef, PosProvider, ReportedAmount};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction,
    EntityTrait, QueryFilter, QuerySelect,
};
use serde_json::json;
use uuid::Uuid;

use super::activities::{self, Actor, Entry};
use super::payments::{apply, lock_invoices};
use super::rules::stored_currency;
use crate::domain::activity::ActivityKind;
use crate::domain::allocation::{self, Receivable};
use crate::domain::ids::{OrganizationId, PaymentId};
use crate::domain::invoice::InvoiceStatus;
use crate::domain::money::{Currency, Money};
use crate::domain::payment::PaymentMethod;
use crate::domain::payment_link::PaymentLinkStatus;
use crate::entities::{payment, payment_link, payment_link_invoice, provider_event};
use crate::error::{AppError, AppResult, is_unique_violation};
use crate::state::AppState;

/// Raw bodies are kept for audit up to this size.
const MAX_KEPT_BODY: usize = 64 * 1024;

/// What became of a callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Rejected,
    Repeat,
    UnknownLink,
    Recorded {
        payment_id: Uuid,
        needs_review: bool,
    },
    Failed,
}

/// Handles one callback and returns the answer the provider expects.
#[tracing::instrument(skip_all, fields(provider = provider.name()))]
pub async fn handle(
    app: &AppState,
    provider: &dyn PosProvider,
    headers: &[(String, String)],
    body: &[u8],
) -> Answer {
    match process(app, provider, headers, body).await {
        Ok(Outcome::Rejected) => provider.rejected(),
        Ok(outcome) => {
            tracing::info!(?outcome, "callback handled");
            provider.accepted()
        }
        Err(error) => {
            // Logged once here; the provider will send it again.
            tracing::error!(error = ?error, "callback not recorded; asking the provider to retry");
            provider.retry_later()
        }
    }
}

pub async fn process(
    app: &AppState,
    provider: &dyn PosProvider,
    headers: &[(String, String)],
    body: &[u8],
) -> AppResult<Outcome> {
    let now = app.clock.now();
    let raw: String = String::from_utf8_lossy(&body[..body.len().min(MAX_KEPT_BODY)]).into_owned();
    let event = match provider.verify_callback(headers, body, now) {
        Ok(event) => event,
        Err(reason) => {
            tracing::warn!(%reason, "callback refused");
            record_event(
                app.db.writer(),
                None,
                provider.name(),
                None,
                now,
                false,
                &format!("rejected: {reason}"),
                None,
                &raw,
            )
            .await?;
            return Ok(Outcome::Rejected);
        }
    };
    let (event_key, link_ref) = match &event {
        CallbackEvent::Succeeded {
            event_key, link, ..
        }
        | CallbackEvent::Failed {
            event_key, link, ..
        } => (event_key.clone(), link.clone()),
    };

    let txn = app.db.begin().await?;
    let Some(link) = find_link(&txn, provider.name(), &link_ref).await? else {
        // Signed, but for no link of ours: kept for a person to look at, acknowledged so the
        // provider stops, and never attributed to a tenant by guesswork.
        tracing::error!(event_key, "a signed callback names no known link");
        record_event(
            &txn,
            None,
            provider.name(),
            Some(&event_key),
            now,
            true,
            "unknown link",
            None,
            &raw,
        )
        .await?;
        txn.commit().await?;
        return Ok(Outcome::UnknownLink);
    };
    let org = OrganizationId(link.organization_id);
    // Step 2: the event row is the de-duplication. A concurrent twin waits on the unique index
    // and then finds the key taken.
    let event_id = Uuid::now_v7();
    let inserted = provider_event::ActiveModel {
        id: Set(event_id),
        organization_id: Set(Some(org.0)),
        provider: Set(provider.name().to_owned()),
        event_key: Set(Some(event_key.clone())),
        received_at: Set(now),
        signature_ok: Set(true),
        outcome: Set("processing".to_owned()),
        payment_id: Set(None),
        raw_body: Set(raw),
    }
    .insert(&txn)
    .await;
    match inserted {
        Ok(_) => {}
        Err(error) if is_unique_violation(&error) => return Ok(Outcome::Repeat),
        Err(error) => return Err(error.into()),
    }
    // With the event claimed, the link is locked for the rest of the transaction.
    let link = payment_link::Entity::find_by_id(link.id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;

    let outcome = match event {
        CallbackEvent::Failed { reason, .. } => {
            let entry = Entry {
                customer_id: link.customer_id,
                invoice_id: None,
                kind: ActivityKind::PaymentFailed,
                note: Some(reason.clone()),
                data: json!({"paymentLinkId": link.id, "reason": reason}),
            };
            activities::append(&txn, org, Actor::System(provider.name()), entry, now).await?;
            set_event_outcome(&txn, event_id, "failed", None).await?;
            Outcome::Failed
        }
        CallbackEvent::Succeeded {
            transaction_id,
            charged,
            installment_count,
            ..
        } => {
            let recorded = record_payment(
                &txn,
                provider.name(),
                &link,
                &transaction_id,
                charged,
                installment_count,
                now,
            )
            .await?;
            match recorded {
                Some((payment_id, needs_review)) => {
                    set_event_outcome(
                        &txn,
                        event_id,
                        if needs_review {
                            "recorded for review"
                        } else {
                            "recorded"
                        },
                        Some(payment_id),
                    )
                    .await?;
                    Outcome::Recorded {
                        payment_id,
                        needs_review,
                    }
                }
                // The same bank transaction under another event key.
                None => return Ok(Outcome::Repeat),
            }
        }
    };
    txn.commit().await?;
    Ok(outcome)
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
    };
    Ok(found)
}

/// Records the money; None when this bank transaction was recorded before.
async fn record_payment(
    txn: &DatabaseTransaction,
    provider: &str,
    link: &payment_link::Model,
    transaction_id: &str,
    charged: Option<ReportedAmount>,
    installment_count: Option<u32>,
    now: DateTime<Utc>,
) -> AppResult<Option<(Uuid, bool)>> {
    let org = OrganizationId(link.organization_id);
    let link_currency = stored_currency(&link.currency)?;
    let mut reasons: Vec<String> = Vec::new();
    match link.status {
        PaymentLinkStatus::Active => {}
        PaymentLinkStatus::Paid => reasons.push("the link had been paid already".into()),
        PaymentLinkStatus::Expired => reasons.push("the link had expired".into()),
        PaymentLinkStatus::Cancelled => reasons.push("the link had been cancelled".into()),
    }
    // What was taken, in which currency; a report that does not fit is kept, flagged.
    let currency = match charged
        .as_ref()
        .and_then(|amount| amount.currency.as_deref())
    {
        Some(code) => match Currency::from_code(code) {
            Ok(currency) => currency,
            Err(_) => {
                reasons.push(format!(
                    "the provider reported an unknown currency {code:?}"
                ));
                link_currency
            }
        },
        None => link_currency,
    };
    if currency != link_currency {
        reasons.push(format!(
            "paid in {currency}, the link is in {link_currency}"
        ));
    }
    let charged_minor = match &charged {
        None => link.amount_minor,
        Some(amount) => match Money::from_decimal(amount.value, currency) {
            Ok(money) => money.minor,
            Err(_) => {
                reasons.push(format!(
                    "the reported amount {} does not fit {currency}",
                    amount.value
                ));
                crate::domain::money::round_to_minor(
                    amount.value * rust_decimal::Decimal::from(10_i64.pow(currency.exponent())),
                )
                .unwrap_or(0)
            }
        },
    };
    if currency == link_currency && charged_minor < link.amount_minor {
        reasons.push(format!(
            "charged {} but the link asks {}",
            Money::from_minor(charged_minor, currency).to_decimal(),
            Money::from_minor(link.amount_minor, link_currency).to_decimal()
        ));
    }
    // The invoices are credited the link's base amount; interest is the payment's charged − amount.
    let amount_minor = if currency == link_currency {
        charged_minor.min(link.amount_minor)
    } else {
        charged_minor
    };
    let needs_review = !reasons.is_empty();

    let payment_id = PaymentId::new().0;
    let inserted = payment::ActiveModel {
        id: Set(payment_id),
        organization_id: Set(org.0),
        customer_id: Set(link.customer_id),
        amount_minor: Set(amount_minor),
        charged_minor: Set(charged_minor),
        currency: Set(currency.code().to_owned()),
        method: Set(PaymentMethod::Card),
        received_at: Set(now),
        reference: Set(Some(format!("{provider} {transaction_id}"))),
        provider: Set(Some(provider.to_owned())),
        provider_transaction_id: Set(Some(transaction_id.to_owned())),
        installment_count: Set(installment_count.map_or(1, |n| n as i32)),
        needs_review: Set(needs_review),
        review_reason: Set(needs_review.then(|| reasons.join("; "))),
        recorded_by: Set(None),
        created_at: Set(now),
    }
    .insert(txn)
    .await;
    match inserted {
        Ok(_) => {}
        Err(error) if is_unique_violation(&error) => return Ok(None),
        Err(error) => return Err(error.into()),
    }

    // Apply to the link's invoices, oldest due first, only in the link's currency.
    let mut plan = Vec::new();
    let mut locked = std::collections::HashMap::new();
    if currency == link_currency {
        let invoice_ids: Vec<Uuid> = payment_link_invoice::Entity::find()
            .filter(payment_link_invoice::Column::OrganizationId.eq(org.0))
            .filter(payment_link_invoice::Column::LinkId.eq(link.id))
            .all(txn)
            .await?
            .into_iter()
            .map(|row| row.invoice_id)
            .collect();
        locked = lock_invoices(txn, org, &invoice_ids).await?;
        let mut open: Vec<_> = locked
            .values()
            .filter(|invoice| invoice.status != InvoiceStatus::Void)
            .collect();
        open.sort_by_key(|invoice| (invoice.due_date, invoice.id));
        let receivables: Vec<Receivable> = open
            .iter()
            .map(|invoice| Receivable {
                invoice_id: invoice.id,
                balance_minor: invoice.total_minor - invoice.paid_minor,
            })
            .collect();
        plan = allocation::in_order(amount_minor, &receivables).0;
    }
    apply(txn, org, payment_id, &plan, &locked, now).await?;

    if link.status == PaymentLinkStatus::Active {
        let mut row: payment_link::ActiveModel = link.clone().into();
        row.status = Set(PaymentLinkStatus::Paid);
        row.paid_at = Set(Some(now));
        row.payment_id = Set(Some(payment_id));
        row.updated_at = Set(now);
        row.update(txn).await?;
    }
    let numbers: Vec<&str> = plan
        .iter()
        .filter_map(|part| locked.get(&part.invoice_id).map(|i| i.number.as_str()))
        .collect();
    let entry = Entry {
        customer_id: link.customer_id,
        invoice_id: (plan.len() == 1).then(|| plan[0].invoice_id),
        kind: ActivityKind::PaymentReceived,
        note: needs_review.then(|| reasons.join("; ")),
        data: json!({
            "paymentId": payment_id,
            "paymentLinkId": link.id,
            "amount": Money::from_minor(amount_minor, currency).to_decimal().to_string(),
            "charged": Money::from_minor(charged_minor, currency).to_decimal().to_string(),
            "currency": currency.code(),
            "installmentCount": installment_count.unwrap_or(1),
            "invoices": numbers,
            "needsReview": needs_review,
        }),
    };
    activities::append(txn, org, Actor::System(provider), entry, now).await?;
    Ok(Some((payment_id, needs_review)))
}

#[expect(clippy::too_many_arguments, reason = "one row's columns")]
async fn record_event(
    conn: &impl ConnectionTrait,
    organization: Option<OrganizationId>,
    provider: &str,
    event_key: Option<&str>,
    at: DateTime<Utc>,
    signature_ok: bool,
    outcome: &str,
    payment_id: Option<Uuid>,
    raw: &str,
) -> AppResult<()> {
    provider_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(organization.map(|org| org.0)),
        provider: Set(provider.to_owned()),
        event_key: Set(event_key.map(str::to_owned)),
        received_at: Set(at),
        signature_ok: Set(signature_ok),
        outcome: Set(outcome.chars().take(32).collect()),
        payment_id: Set(payment_id),
        raw_body: Set(raw.to_owned()),
    }
    .insert(conn)
    .await?;
    Ok(())
}

async fn set_event_outcome(
    txn: &DatabaseTransaction,
    id: Uuid,
    outcome: &str,
    payment_id: Option<Uuid>,
) -> AppResult<()> {
    provider_event::Entity::update_many()
        .col_expr(
            provider_event::Column::Outcome,
            sea_orm::sea_query::Expr::value(outcome),
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
