//! Attempts at paying a link at a provider whose page is made per attempt (iyzico, NestPay), and
//! the reconciliation job that asks providers about attempts nobody told us about.
//!
//! An attempt is written before the provider hears of it, so whatever the provider reports later
//! finds its link. Each attempt has its own reference (iyzico's `conversationId`, NestPay's
//! `oid`), so a customer may try again after a decline.

use std::net::IpAddr;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use integrations::{AttemptQuery, AttemptRequest, Checkout, Language, PosProvider};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use uuid::Uuid;

use super::callbacks::{self, Delivery, Outcome};
use super::installment_tables;
use super::link_pricing::invoice_ids_of_link;
use super::payment_links::payer_email;
use super::rules::stored_currency;
use super::scope::OrgScoped;
use crate::domain::ids::OrganizationId;
use crate::domain::money::Money;
use crate::entities::payment_attempt::{self, AttemptStatus};
use crate::entities::{customer, invoice, payment_link};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// An attempt the provider has said nothing of is asked about after this long.
pub const QUIET_AFTER: Duration = Duration::minutes(15);
/// An attempt still undecided after this long is given up: iyzico's checkout form lives 30
/// minutes and a bank's 3-D page far less, so nothing can still be paid on it.
pub const ABANDON_AFTER: Duration = Duration::hours(24);
/// Attempts asked about in one pass.
const PASS_SIZE: u64 = 100;

/// Begins an attempt at paying `link` in `installments` (already checked to be on offer) and
/// says where to send the payer.
pub async fn start(
    app: &AppState,
    provider: Arc<dyn PosProvider>,
    link: &payment_link::Model,
    installments: u32,
    payer_ip: Option<IpAddr>,
    language: Language,
) -> AppResult<Checkout> {
    let org = OrganizationId(link.organization_id);
    let reader = app.db.reader();
    let terms = installment_tables::terms(reader, app, org, provider.name()).await?;
    let amount = Money::from_minor(link.amount_minor, stored_currency(&link.currency)?);
    let chosen = terms
        .options(amount, u32::try_from(link.max_installments).unwrap_or(1))
        .map_err(|_| AppError::Internal("installment overflow".into()))?
        .into_iter()
        .find(|option| option.count == installments)
        .ok_or_else(|| AppError::BadRequest("that installment count is not offered".into()))?;
    let customer = customer::Entity::find_in_org(link.customer_id, org)
        .one(reader)
        .await?
        .ok_or_else(|| AppError::Internal("a link without its customer".into()))?;
    let email = payer_email(reader, org, &customer)
        .await?
        .unwrap_or_default();
    let numbers: Vec<String> = invoice::Entity::in_org(org)
        .filter(invoice::Column::Id.is_in(invoice_ids_of_link(reader, org, link.id).await?))
        .all(reader)
        .await?
        .into_iter()
        .map(|invoice| invoice.number)
        .collect();

    let id = Uuid::now_v7();
    let now = app.clock.now();
    payment_attempt::ActiveModel {
        id: Set(id),
        organization_id: Set(org.0),
        link_id: Set(link.id),
        provider: Set(provider.name().to_owned()),
        provider_ref: Set(None),
        installment_count: Set(i32::try_from(installments).unwrap_or(1)),
        amount_minor: Set(amount.minor),
        charged_minor: Set(chosen.total.minor),
        currency: Set(link.currency.clone()),
        status: Set(AttemptStatus::Open),
        created_at: Set(now),
        checked_at: Set(None),
        settled_at: Set(None),
    }
    .insert(app.db.writer())
    .await?;
    let request = AttemptRequest {
        reference: id.simple().to_string(),
        link_reference: link.id.simple().to_string(),
        name: format!("Fatura {}", numbers.join(", "))
            .chars()
            .take(200)
            .collect(),
        amount_minor: amount.minor,
        charged_minor: chosen.total.minor,
        currency: link.currency.clone(),
        installments,
        payer_name: customer.name.clone(),
        payer_email: email,
        payer_ip: payer_ip.map(|ip| ip.to_string()),
        language,
        callback_base: format!("{}/callbacks/{}", app.config.public_url, provider.name()),
    };
    match provider.start_attempt(&request).await {
        Ok(checkout) => {
            if let Checkout::Redirect {
                provider_ref: Some(provider_ref),
                ..
            } = &checkout
            {
                payment_attempt::Entity::update_many()
                    .col_expr(
                        payment_attempt::Column::ProviderRef,
                        sea_orm::sea_query::Expr::value(provider_ref.clone()),
                    )
                    .filter(payment_attempt::Column::Id.eq(id))
                    .exec(app.db.writer())
                    .await?;
            }
            Ok(checkout)
        }
        Err(error) => {
            tracing::warn!(%error, provider = provider.name(), "the provider did not begin the attempt");
            set_status(app, id, AttemptStatus::Abandoned, now).await?;
            Err(AppError::Internal(format!(
                "{} did not begin the attempt",
                provider.name()
            )))
        }
    }
}

async fn set_status(
    app: &AppState,
    id: Uuid,
    status: AttemptStatus,
    now: DateTime<Utc>,
) -> AppResult<()> {
    payment_attempt::Entity::update_many()
        .col_expr(
            payment_attempt::Column::Status,
            sea_orm::sea_query::Expr::value(sea_orm::ActiveEnum::to_value(&status)),
        )
        .col_expr(
            payment_attempt::Column::SettledAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(payment_attempt::Column::Id.eq(id))
        .filter(payment_attempt::Column::Status.eq(AttemptStatus::Open))
        .exec(app.db.writer())
        .await?;
    Ok(())
}

/// What one reconciliation pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reconciled {
    /// Attempts asked about.
    pub asked: usize,
    /// Payments recorded that no notification had brought.
    pub recorded: usize,
    /// Declines recorded that no notification had brought.
    pub failed: usize,
    /// Attempts given up (undecided for a day).
    pub abandoned: usize,
    /// Providers that could not be asked (tried again next pass).
    pub errors: usize,
}

/// One pass: every open attempt quiet for [`QUIET_AFTER`] at a provider that can be asked is
/// asked about, and an outcome the provider reports is recorded through the callback path (once,
/// whichever of the notification and this pass comes first).
pub async fn reconcile(app: &AppState) -> AppResult<Reconciled> {
    let now = app.clock.now();
    let askable: Vec<String> = app
        .providers
        .all()
        .iter()
        .filter(|provider| provider.queries_status())
        .map(|provider| provider.name().to_owned())
        .collect();
    let mut report = Reconciled::default();
    if askable.is_empty() {
        return Ok(report);
    }
    // Attempts asked about within the last interval wait their turn behind the others.
    let due = payment_attempt::Entity::find()
        .filter(payment_attempt::Column::Status.eq(AttemptStatus::Open))
        .filter(payment_attempt::Column::CreatedAt.lte(now - QUIET_AFTER))
        .filter(payment_attempt::Column::Provider.is_in(askable))
        .filter(
            sea_orm::Condition::any()
                .add(payment_attempt::Column::CheckedAt.is_null())
                .add(payment_attempt::Column::CheckedAt.lte(now - Duration::minutes(5))),
        )
        .order_by_asc(payment_attempt::Column::CreatedAt)
        .limit(PASS_SIZE)
        .all(app.db.reader())
        .await?;
    for attempt in due {
        let Some(provider) = app.providers.get(&attempt.provider) else {
            continue;
        };
        report.asked += 1;
        let query = AttemptQuery {
            reference: attempt.id.simple().to_string(),
            provider_ref: attempt.provider_ref.clone(),
            language: Language::Turkish,
            installments: u32::try_from(attempt.installment_count).unwrap_or(1),
        };
        match provider.attempt_status(&query).await {
            Ok(Some(event)) => {
                let body = format!(
                    "reconciliation: {} reported attempt {} when asked",
                    provider.name(),
                    attempt.id
                );
                let delivery = Delivery {
                    headers: &[],
                    body: body.as_bytes(),
                    source: None,
                };
                let processed =
                    callbacks::record_event(app, provider.as_ref(), event, delivery).await?;
                match processed.outcome {
                    Outcome::Recorded { .. } => {
                        tracing::warn!(attempt = %attempt.id, provider = provider.name(), "a payment no notification brought was found and recorded");
                        report.recorded += 1;
                    }
                    Outcome::Failed => report.failed += 1,
                    _ => {}
                }
                // Settled by the recording; anything else (a repeat whose notification settled
                // it, a report that could not be read) is not asked about again.
                set_status(app, attempt.id, AttemptStatus::Abandoned, now).await?;
            }
            Ok(None) if attempt.created_at <= now - ABANDON_AFTER => {
                set_status(app, attempt.id, AttemptStatus::Abandoned, now).await?;
                report.abandoned += 1;
            }
            Ok(None) => checked(app, attempt.id, now).await?,
            Err(error) => {
                tracing::warn!(%error, attempt = %attempt.id, provider = provider.name(), "could not ask the provider about an attempt");
                checked(app, attempt.id, now).await?;
                report.errors += 1;
            }
        }
    }
    Ok(report)
}

async fn checked(app: &AppState, id: Uuid, now: DateTime<Utc>) -> AppResult<()> {
    payment_attempt::Entity::update_many()
        .col_expr(
            payment_attempt::Column::CheckedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(payment_attempt::Column::Id.eq(id))
        .exec(app.db.writer())
        .await?;
    Ok(())
}
