//! Marks ACTIVE payment links past their time EXPIRED, and withdraws them at their provider
//! (PayTR sends no callback for an unpaid link, so expiry is our own timer's job).

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

use std::collections::BTreeMap;

use serde_json::json;
use uuid::Uuid;

use crate::domain::ids::OrganizationId;
use crate::domain::money::Money;
use crate::domain::payment_link::PaymentLinkStatus;
use crate::entities::payment_link;
use crate::error::AppResult;
use crate::services::webhooks::events::{self, Event};
use crate::state::AppState;

/// How many links one pass handles.
const BATCH: u64 = 500;

/// Expires what is due; returns how many links it expired.
pub async fn expire_links(state: &AppState) -> AppResult<usize> {
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let due = payment_link::Entity::find()
        .filter(payment_link::Column::Status.eq(PaymentLinkStatus::Active))
        .filter(payment_link::Column::ExpiresAt.lte(now))
        .limit(BATCH)
        .lock_exclusive()
        .all(&txn)
        .await?;
    if due.is_empty() {
        return Ok(0);
    }
    let ids: Vec<uuid::Uuid> = due.iter().map(|link| link.id).collect();
    // Only links still ACTIVE: a payment that arrived meanwhile wins.
    payment_link::Entity::update_many()
        .col_expr(
            payment_link::Column::Status,
            Expr::value(PaymentLinkStatus::Expired),
        )
        .col_expr(payment_link::Column::UpdatedAt, Expr::value(now))
        .filter(payment_link::Column::Id.is_in(ids))
        .filter(payment_link::Column::Status.eq(PaymentLinkStatus::Active))
        .exec(&txn)
        .await?;
    let mut by_organization: BTreeMap<Uuid, Vec<Event>> = BTreeMap::new();
    for link in &due {
        let data = json!({
            "paymentLinkId": link.id,
            "customerId": link.customer_id,
            "amount": events::money(Money::from_minor(
                link.amount_minor,
                crate::services::rules::stored_currency(&link.currency)?,
            )),
            "expiresAt": link.expires_at,
        });
        by_organization
            .entry(link.organization_id)
            .or_default()
            .push(Event::new("payment_link.expired", data));
    }
    for (org, expired) in by_organization {
        events::publish(&txn, OrganizationId(org), expired, now).await?;
    }
    txn.commit().await?;
    for link in &due {
        if let (Some(provider), Some(provider_link_id)) =
            (state.providers.get(&link.provider), &link.provider_link_id)
            && let Err(error) = provider.cancel_link(provider_link_id).await
        {
            // The provider's page may stay up; a payment through it is still recorded, for review.
            tracing::warn!(%error, provider = provider.name(), "could not withdraw an expired link");
        }
    }
    Ok(due.len())
}
