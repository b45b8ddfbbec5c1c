//! Keeping ACTIVE payment links in step with what their invoices still owe, so a customer is never
//! charged more than is owed.
//!
//! Whenever money reaches an invoice by another path, or an invoice is voided or changed, the
//! change's own transaction calls [`reconcile_links`]: a link whose invoices owe nothing more is
//! CANCELLED, and one whose invoices owe less than it asks is REPRICED to what is owed, its page at
//! the provider withdrawn. After commit, [`withdraw_at_providers`] takes the old pages down; the
//! pay page makes a correctly priced page at the provider when the customer next chooses to pay
//! ([`ensure_provider_page`]).

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
};
use serde_json::json;
use uuid::Uuid;

use super::activities::{self, Actor, Entry};
use super::rules::stored_currency;
use super::scope::{OrgScoped, invoices_by_id};
use crate::domain::activity::ActivityKind;
use crate::domain::ids::OrganizationId;
use crate::domain::invoice::InvoiceStatus;
use crate::domain::money::Money;
use crate::domain::payment_link::PaymentLinkStatus;
use crate::entities::{
    customer, invoice, payment_link, payment_link_installment, payment_link_invoice,
};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// A provider page to take down once the transaction that withdrew it has committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Withdrawal {
    pub provider: String,
    pub provider_link_id: String,
}

/// The invoices a link covers (ids), in one place for every caller.
pub async fn invoice_ids_of_link(
    conn: &impl ConnectionTrait,
    org: OrganizationId,
    link_id: Uuid,
) -> AppResult<Vec<Uuid>> {
    Ok(payment_link_invoice::Entity::in_org(org)
        .filter(payment_link_invoice::Column::LinkId.eq(link_id))
        .all(conn)
        .await?
        .into_iter()
        .map(|row| row.invoice_id)
        .collect())
}

/// Cancels or reprices the ACTIVE links covering any of `invoice_ids` whose invoices now owe less
/// than the link asks. Runs inside the transaction that changed the invoices, after the change.
pub async fn reconcile_links(
    conn: &impl ConnectionTrait,
    org: OrganizationId,
    invoice_ids: &[Uuid],
    actor: Actor<'_>,
    now: DateTime<Utc>,
) -> AppResult<Vec<Withdrawal>> {
    if invoice_ids.is_empty() {
        return Ok(Vec::new());
    }
    let link_ids: Vec<Uuid> = payment_link_invoice::Entity::in_org(org)
        .filter(payment_link_invoice::Column::InvoiceId.is_in(invoice_ids.iter().copied()))
        .all(conn)
        .await?
        .into_iter()
        .map(|row| row.link_id)
        .collect();
    if link_ids.is_empty() {
        return Ok(Vec::new());
    }
    let links = payment_link::Entity::in_org(org)
        .filter(payment_link::Column::Id.is_in(link_ids))
        .filter(payment_link::Column::Status.eq(PaymentLinkStatus::Active))
        .all(conn)
        .await?;
    if links.is_empty() {
        return Ok(Vec::new());
    }
    let covered: Vec<(Uuid, Uuid)> = payment_link_invoice::Entity::in_org(org)
        .filter(payment_link_invoice::Column::LinkId.is_in(links.iter().map(|link| link.id)))
        .all(conn)
        .await?
        .into_iter()
        .map(|row| (row.link_id, row.invoice_id))
        .collect();
    let invoices = invoices_by_id(conn, org, covered.iter().map(|(_, invoice)| *invoice)).await?;
    // Links for plan installments, found in one statement: only those need their plan's sums.
    let plan_links: std::collections::HashSet<Uuid> = payment_link_installment::Entity::in_org(org)
        .filter(payment_link_installment::Column::LinkId.is_in(links.iter().map(|link| link.id)))
        .all(conn)
        .await?
        .into_iter()
        .map(|join| join.link_id)
        .collect();

    let mut withdrawals = Vec::new();
    for link in links {
        let owed: i128 = covered
            .iter()
            .filter(|(link_id, _)| *link_id == link.id)
            .filter_map(|(_, invoice_id)| invoices.get(invoice_id))
            .filter(|invoice| invoice.status != InvoiceStatus::Void)
            .map(|invoice| i128::from(invoice.total_minor - invoice.paid_minor).max(0))
            .sum();
        let mut owed = i64::try_from(owed).unwrap_or(i64::MAX);
        // A link for plan installments asks what is left on them (interest included).
        if plan_links.contains(&link.id)
            && let Some(on_installments) = super::plans::owed_on_link(conn, org, link.id).await?
        {
            owed = on_installments;
        }
        if owed >= link.amount_minor {
            continue;
        }
        let currency = stored_currency(&link.currency)?;
        if let Some(provider_link_id) = &link.provider_link_id {
            withdrawals.push(Withdrawal {
                provider: link.provider.clone(),
                provider_link_id: provider_link_id.clone(),
            });
        }
        let mut row: payment_link::ActiveModel = link.clone().into();
        row.updated_at = Set(now);
        let (kind, data) = if owed <= 0 {
            row.status = Set(PaymentLinkStatus::Cancelled);
            (
                ActivityKind::PaymentLinkCancelled,
                json!({"paymentLinkId": link.id, "reason": "nothing is left to pay on its invoices"}),
            )
        } else {
            row.amount_minor = Set(owed);
            row.provider_link_id = Set(None);
            row.provider_url = Set(None);
            (
                ActivityKind::PaymentLinkRepriced,
                json!({
                    "paymentLinkId": link.id,
                    "oldAmount": Money::from_minor(link.amount_minor, currency).to_decimal().to_string(),
                    "newAmount": Money::from_minor(owed, currency).to_decimal().to_string(),
                    "currency": currency.code(),
                }),
            )
        };
        row.update(conn).await?;
        let entry = Entry {
            customer_id: link.customer_id,
            invoice_id: None,
            kind,
            note: None,
            data,
        };
        activities::append(conn, org, actor, entry, now).await?;
    }
    Ok(withdrawals)
}

/// Takes withdrawn pages down at their providers, after the commit that withdrew them. A failure
/// is logged: a payment on such a page still reaches us and is recorded for review.
pub async fn withdraw_at_providers(app: &AppState, withdrawals: Vec<Withdrawal>) {
    for withdrawal in withdrawals {
        let Some(provider) = app.providers.get(&withdrawal.provider) else {
            continue;
        };
        if let Err(error) = provider.cancel_link(&withdrawal.provider_link_id).await {
            tracing::warn!(%error, provider = %withdrawal.provider, "the provider did not withdraw its page");
        }
    }
}

/// The provider page of an ACTIVE link, made now when the link was repriced and has none.
pub async fn ensure_provider_page(
    app: &AppState,
    link: &payment_link::Model,
) -> AppResult<Option<String>> {
    if let Some(url) = &link.provider_url {
        return Ok(Some(url.clone()));
    }
    let Some(provider) = app.providers.get(&link.provider) else {
        return Ok(None);
    };
    let org = OrganizationId(link.organization_id);
    let payer_email = match customer::Entity::find_in_org(link.customer_id, org)
        .one(app.db.reader())
        .await?
    {
        Some(customer) => {
            super::payment_links::payer_email(app.db.reader(), org, &customer).await?
        }
        None => None,
    };
    let numbers: Vec<String> = invoice::Entity::in_org(org)
        .filter(
            invoice::Column::Id.is_in(invoice_ids_of_link(app.db.reader(), org, link.id).await?),
        )
        .all(app.db.reader())
        .await?
        .into_iter()
        .map(|invoice| invoice.number)
        .collect();
    let request = integrations::LinkRequest {
        reference: link.id.simple().to_string(),
        name: format!("Fatura {}", numbers.join(", "))
            .chars()
            .take(200)
            .collect(),
        amount_minor: link.amount_minor,
        currency: link.currency.clone(),
        max_installments: u32::try_from(link.max_installments).unwrap_or(1),
        payer_email: payer_email.unwrap_or_default(),
        language: integrations::Language::Turkish,
        callback_url: format!("{}/callbacks/{}", app.config.public_url, provider.name()),
        expires_at: link.expires_at,
    };
    let created = provider.create_link(&request).await.map_err(|error| {
        tracing::warn!(%error, provider = provider.name(), "could not replace the provider's page");
        AppError::Internal("the provider could not make the page".into())
    })?;
    // Only if nobody replaced it meanwhile and it is still ACTIVE at the same amount.
    let updated = payment_link::Entity::update_many()
        .col_expr(
            payment_link::Column::ProviderLinkId,
            sea_orm::sea_query::Expr::value(created.provider_link_id.clone()),
        )
        .col_expr(
            payment_link::Column::ProviderUrl,
            sea_orm::sea_query::Expr::value(created.url.clone()),
        )
        .col_expr(
            payment_link::Column::UpdatedAt,
            sea_orm::sea_query::Expr::value(app.clock.now()),
        )
        .filter(payment_link::Column::Id.eq(link.id))
        .filter(payment_link::Column::Status.eq(PaymentLinkStatus::Active))
        .filter(payment_link::Column::AmountMinor.eq(link.amount_minor))
        .filter(payment_link::Column::ProviderUrl.is_null())
        .exec(app.db.writer())
        .await?;
    if updated.rows_affected == 1 {
        Ok(Some(created.url))
    } else {
        if let Err(error) = provider.cancel_link(&created.provider_link_id).await {
            tracing::warn!(%error, "could not withdraw a page that lost a race");
        }
        Ok(None)
    }
}
