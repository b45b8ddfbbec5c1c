use async_graphql::{Context, Enum, ID, Object, Result, SimpleObject};

use super::id;
use crate::entities::user;
use crate::error::AppError;
use crate::graphql::context::ContextExt;
use crate::graphql::errors::GqlResultExt;
use crate::services::users::Viewer;

/// What a user may do; each role includes the ones below it.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::domain::role::Role")]
pub enum Role {
    /// Also manages users and settings.
    Admin,
    /// Also creates and changes customers and invoices.
    Manager,
    /// Also logs activities, records payments, creates and sends payment links.
    Collector,
    /// Reads everything in the organization.
    Viewer,
}

/// A person who uses Tahsilat.
pub struct User(pub user::Model);

impl User {
    pub fn from_viewer(viewer: &Viewer) -> Self {
        Self(user::Model {
            id: viewer.user_id.0,
            organization_id: viewer.organization_id.0,
            email: viewer.email.clone(),
            name: viewer.name.clone(),
            role: viewer.role,
            // A deactivated user has no viewer.
            deactivated_at: None,
            // Not exposed; the viewer carries no timestamps.
            created_at: chrono::DateTime::UNIX_EPOCH,
            updated_at: chrono::DateTime::UNIX_EPOCH,
        })
    }
}

/// A company using Tahsilat (a tenant).
#[derive(SimpleObject)]
pub struct Organization {
    pub id: ID,
    pub name: String,
    /// The currency amounts default to, e.g. TRY.
    pub default_currency: String,
}

#[Object]
impl User {
    async fn id(&self) -> ID {
        id(self.0.id)
    }

    async fn email(&self) -> &str {
        &self.0.email
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn role(&self) -> Role {
        self.0.role.into()
    }

    /// The organization the user belongs to.
    async fn organization(&self, ctx: &Context<'_>) -> Result<Organization> {
        let organization = ctx
            .loaders()
            .gql()?
            .organization
            .load_one(self.0.organization_id)
            .await
            .gql()?
            .ok_or(AppError::NotFound)
            .gql()?;
        Ok(Organization {
            id: id(organization.id),
            name: organization.name,
            default_currency: organization.default_currency,
        })
    }
}
