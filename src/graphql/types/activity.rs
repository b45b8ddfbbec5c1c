use async_graphql::{Context, ID, Json, Object, Result};

use super::customer::Customer;
use super::enums::ActivityKind;
use super::id;
use super::invoice::Invoice;
use super::user::User;
use crate::entities::activity;
use crate::error::AppError;
use crate::graphql::context::ContextExt;
use crate::graphql::errors::GqlResultExt;
use crate::graphql::scalars::DateTime;

/// One entry of the activity log: who did what, for which customer, when.
pub struct Activity(pub activity::Model);

#[Object]
impl Activity {
    async fn id(&self) -> ID {
        id(self.0.id)
    }

    async fn kind(&self) -> ActivityKind {
        self.0.kind.into()
    }

    async fn customer(&self, ctx: &Context<'_>) -> Result<Customer> {
        ctx.loaders()
            .gql()?
            .customer
            .load_one(self.0.customer_id)
            .await
            .gql()?
            .map(Customer)
            .ok_or_else(|| AppError::Internal("activity without its customer".into()))
            .gql()
    }

    async fn invoice(&self, ctx: &Context<'_>) -> Result<Option<Invoice>> {
        let Some(invoice_id) = self.0.invoice_id else {
            return Ok(None);
        };
        Ok(ctx
            .loaders()
            .gql()?
            .invoice
            .load_one(invoice_id)
            .await
            .gql()?
            .map(Invoice))
    }

    /// The user who acted; empty for what a provider or the system did.
    async fn actor(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let Some(user_id) = self.0.actor_user_id else {
            return Ok(None);
        };
        Ok(ctx
            .loaders()
            .gql()?
            .user
            .load_one(user_id)
            .await
            .gql()?
            .map(User))
    }

    /// The acting user's email, or the provider's name.
    async fn actor_label(&self) -> &str {
        &self.0.actor_label
    }

    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }

    /// Details by kind, e.g. a promise's promisedAmount, currency and promisedDate.
    async fn data(&self) -> Json<serde_json::Value> {
        Json(self.0.data.clone())
    }

    async fn occurred_at(&self) -> DateTime {
        self.0.occurred_at.into()
    }
}
