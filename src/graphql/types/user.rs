//! Users and API tokens: the types, and the users area's query and mutation roots (merged into
//! the schema's roots with `MergedObject`).

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};

use super::id;
use crate::auth::Viewer;
use crate::entities::api_token;
use crate::entities::user;
use crate::error::AppError;
use crate::graphql::context::{ContextExt, load};
use crate::graphql::errors::GqlResultExt;
use crate::graphql::payloads::{UserError, split};
use crate::graphql::scalars::DateTime;
use crate::graphql::types::input_id;
use crate::services::{api_tokens, users};

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
            // Read through the loader by `phone` itself: the viewer carries none.
            phone: None,
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

    /// A number customers may call, in E.164; shown in reminders as `collector_phone`.
    async fn phone(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        // Only the viewer's own row is built without its phone (see `from_viewer`).
        if self.0.created_at != chrono::DateTime::UNIX_EPOCH {
            return Ok(self.0.phone.clone());
        }
        let stored = load(ctx, |loaders| &loaders.user, self.0.id).await?;
        Ok(stored.and_then(|user| user.phone))
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn role(&self) -> Role {
        self.0.role.into()
    }

    /// False once an ADMIN deactivated the user: none of their tokens work any more.
    async fn active(&self) -> bool {
        self.0.deactivated_at.is_none()
    }

    /// When the user was deactivated, if they were.
    async fn deactivated_at(&self) -> Option<DateTime> {
        self.0.deactivated_at.map(DateTime)
    }

    /// The organization the user belongs to.
    async fn organization(&self, ctx: &Context<'_>) -> Result<Organization> {
        let organization = load(ctx, |loaders| &loaders.organization, self.0.organization_id)
            .await?
            .ok_or(AppError::NotFound)
            .gql()?;
        Ok(Organization {
            id: id(organization.id),
            name: organization.name,
            default_currency: organization.default_currency,
        })
    }
}

/// An API token, as its holder and the ADMINs see it; the token itself is shown only once, when
/// it is created.
pub struct ApiToken(pub api_token::Model);

#[Object]
impl ApiToken {
    async fn id(&self) -> ID {
        id(self.0.id)
    }

    /// What the holder calls it ("CI", "Excel add-in").
    async fn name(&self) -> Option<&str> {
        self.0.name.as_deref()
    }

    /// The token's first characters (`tsk_` and 8 more), to tell tokens apart and to revoke one
    /// with `tahsilat token revoke PREFIX`.
    async fn prefix(&self) -> &str {
        &self.0.prefix
    }

    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }

    /// When it was last used, to within five minutes; null if never.
    async fn last_used_at(&self) -> Option<DateTime> {
        self.0.last_used_at.map(DateTime)
    }

    /// When it was revoked; null while it works.
    async fn revoked_at(&self) -> Option<DateTime> {
        self.0.revoked_at.map(DateTime)
    }

    /// Whose token it is.
    async fn user(&self, ctx: &Context<'_>) -> Result<User> {
        load(ctx, |loaders| &loaders.user, self.0.user_id)
            .await?
            .map(User)
            .ok_or(AppError::NotFound)
            .gql()
    }
}

/// A name for a new token of your own.
#[derive(InputObject)]
pub struct CreateApiTokenInput {
    /// 1 to 100 characters, e.g. "CI" or "Excel add-in".
    pub name: String,
}

/// The new token, shown here once.
#[derive(SimpleObject)]
pub struct CreateApiTokenPayload {
    /// The token itself (`tsk_…`): shown only here, once; store it safely.
    pub token: Option<String>,
    pub api_token: Option<ApiToken>,
    pub user_errors: Vec<UserError>,
}

/// Which token to revoke.
#[derive(InputObject)]
pub struct RevokeApiTokenInput {
    /// Your own token's id, or (ADMIN) any of the organization's.
    pub id: ID,
}

/// The revoked token.
#[derive(SimpleObject)]
pub struct RevokeApiTokenPayload {
    pub api_token: Option<ApiToken>,
    pub user_errors: Vec<UserError>,
}

/// Which user to deactivate.
#[derive(InputObject)]
pub struct DeactivateUserInput {
    /// A user of your organization other than yourself.
    pub id: ID,
}

/// The deactivated user.
#[derive(SimpleObject)]
pub struct DeactivateUserPayload {
    pub user: Option<User>,
    pub user_errors: Vec<UserError>,
}

/// The users area's queries.
#[derive(Default)]
pub struct UsersQuery;

#[Object]
impl UsersQuery {
    /// The user the request's token belongs to.
    async fn viewer(&self, ctx: &Context<'_>) -> Result<User> {
        Ok(User::from_viewer(ctx.viewer().gql()?))
    }

    /// ADMIN and MANAGER: the organization's users, by email, deactivated ones too.
    async fn users(&self, ctx: &Context<'_>) -> Result<Vec<User>> {
        let (app, viewer) = (ctx.app().gql()?, ctx.viewer().gql()?);
        let found = api_tokens::users(app, viewer).await.gql()?;
        Ok(found.into_iter().map(User).collect())
    }

    /// Your API tokens, newest first; an ADMIN sees the organization's.
    async fn api_tokens(&self, ctx: &Context<'_>) -> Result<Vec<ApiToken>> {
        let (app, viewer) = (ctx.app().gql()?, ctx.viewer().gql()?);
        let found = api_tokens::list(app, viewer).await.gql()?;
        Ok(found.into_iter().map(ApiToken).collect())
    }
}

/// The users area's mutations.
#[derive(Default)]
pub struct UsersMutation;

#[Object]
impl UsersMutation {
    /// ADMIN only. The payload carries the new user's token, once.
    async fn create_user(
        &self,
        ctx: &Context<'_>,
        input: crate::graphql::inputs::CreateUserInput,
    ) -> Result<crate::graphql::payloads::CreateUserPayload> {
        let (app, viewer) = (ctx.app().gql()?, ctx.viewer().gql()?);
        let result = users::create_user(
            &app.db,
            app.clock.as_ref(),
            viewer,
            &input.email,
            &input.name,
            input.role.into(),
            input.phone.as_deref(),
        )
        .await;
        let (created, user_errors) = split(result)?;
        let (user, token) = match created {
            Some((user, token)) => (Some(User(user)), Some(token)),
            None => (None, None),
        };
        Ok(crate::graphql::payloads::CreateUserPayload {
            user,
            token,
            user_errors,
        })
    }

    /// Any role: a new token of your own, shown once in the payload.
    async fn create_api_token(
        &self,
        ctx: &Context<'_>,
        input: CreateApiTokenInput,
    ) -> Result<CreateApiTokenPayload> {
        let (app, viewer) = (ctx.app().gql()?, ctx.viewer().gql()?);
        let (created, user_errors) = split(api_tokens::create(app, viewer, &input.name).await)?;
        let (api_token, token) = match created {
            Some((row, token)) => (Some(ApiToken(row)), Some(token)),
            None => (None, None),
        };
        Ok(CreateApiTokenPayload {
            token,
            api_token,
            user_errors,
        })
    }

    /// Your own token, or (ADMIN) any of the organization's. It stops working at once on this
    /// server and within 30 seconds on others.
    async fn revoke_api_token(
        &self,
        ctx: &Context<'_>,
        input: RevokeApiTokenInput,
    ) -> Result<RevokeApiTokenPayload> {
        let (app, viewer) = (ctx.app().gql()?, ctx.viewer().gql()?);
        let result = api_tokens::revoke(app, viewer, input_id(&input.id)).await;
        let (api_token, user_errors) = split(result)?;
        Ok(RevokeApiTokenPayload {
            api_token: api_token.map(ApiToken),
            user_errors,
        })
    }

    /// ADMIN only: the user can no longer sign in, and all their tokens are revoked.
    async fn deactivate_user(
        &self,
        ctx: &Context<'_>,
        input: DeactivateUserInput,
    ) -> Result<DeactivateUserPayload> {
        let (app, viewer) = (ctx.app().gql()?, ctx.viewer().gql()?);
        let result = api_tokens::deactivate_user(app, viewer, input_id(&input.id)).await;
        let (user, user_errors) = split(result)?;
        Ok(DeactivateUserPayload {
            user: user.map(User),
            user_errors,
        })
    }
}
