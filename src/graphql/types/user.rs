use async_graphql::{Context, Enum, ID, Object, Result, SimpleObject};
use sea_orm::EntityTrait;

use crate::domain::ids::{OrganizationId, UserId};
use crate::entities::organization;
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
pub struct User {
    pub id: UserId,
    pub organization_id: OrganizationId,
    pub email: String,
    pub name: String,
    pub role: crate::domain::role::Role,
}

impl User {
    pub fn from_viewer(viewer: &Viewer) -> Self {
        Self {
            id: viewer.user_id,
            organization_id: viewer.organization_id,
            email: viewer.email.clone(),
            name: viewer.name.clone(),
            role: viewer.role,
        }
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
        ID(self.id.to_string())
    }

    async fn email(&self) -> &str {
        &self.email
    }

    async fn name(&self) -> &str {
        &self.name
    }

    async fn role(&self) -> Role {
        self.role.into()
    }

    /// The organization the user belongs to.
    async fn organization(&self, ctx: &Context<'_>) -> Result<Organization> {
        let app = ctx.app().gql()?;
        let organization = organization::Entity::find_by_id(self.organization_id.0)
            .one(app.db.reader())
            .await
            .map_err(AppError::from)
            .gql()?
            .ok_or(AppError::NotFound)
            .gql()?;
        Ok(Organization {
            id: ID(organization.id.to_string()),
            name: organization.name,
            default_currency: organization.default_currency,
        })
    }
}
