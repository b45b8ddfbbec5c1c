//! API tokens and who may use them: listing, issuing and revoking tokens, and deactivating a
//! user (which revokes all of theirs).
//!
//! Everyone manages their own tokens; an ADMIN sees and revokes the organization's. A revocation
//! takes effect at once on this instance (its token cache forgets the token) and within
//! [`crate::auth::TokenCache::TTL`] on others.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use super::rules;
use super::scope::OrgScoped;
use super::users::issue_token;
use crate::auth::Viewer;
use crate::db::Db;
use crate::domain::role::Role;
use crate::entities::{api_token, user};
use crate::error::{AppError, AppResult, FieldError, Validation};
use crate::state::AppState;

/// The longest token name.
pub const MAX_NAME: usize = 100;

/// The viewer's own tokens, or for an ADMIN the organization's; newest first.
pub async fn list(app: &AppState, viewer: &Viewer) -> AppResult<Vec<api_token::Model>> {
    let mut select = api_token::Entity::in_org(viewer.organization_id);
    if !viewer.role.allows(Role::Admin) {
        select = select.filter(api_token::Column::UserId.eq(viewer.user_id.0));
    }
    Ok(select
        .order_by_desc(api_token::Column::CreatedAt)
        .order_by_desc(api_token::Column::Id)
        .all(app.db.reader())
        .await?)
}

/// A new token for the viewer, named; the token itself is returned once.
#[tracing::instrument(skip_all)]
pub async fn create(
    app: &AppState,
    viewer: &Viewer,
    name: &str,
) -> AppResult<(api_token::Model, String)> {
    let mut checks = Validation::new();
    let name = checks.take(rules::required_text(name, MAX_NAME, &["name"]));
    checks.finish()?;
    let txn = app.db.begin().await?;
    let owner = user::Entity::find_in_org(viewer.user_id.0, viewer.organization_id)
        .one(&txn)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    let token = issue_token(&txn, &owner, name, app.clock.now()).await?;
    let row = api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(crate::auth::hash_token(&token)))
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::Internal("the new token was not stored".into()))?;
    txn.commit().await?;
    Ok((row, token))
}

/// Revokes a token: the viewer's own, or any of the organization's for an ADMIN.
#[tracing::instrument(skip_all)]
pub async fn revoke(app: &AppState, viewer: &Viewer, id: Uuid) -> AppResult<api_token::Model> {
    let not_found = || FieldError::new(&["id"], "NOT_FOUND", "no such token").into_error();
    let token = api_token::Entity::find_in_org(id, viewer.organization_id)
        .one(app.db.reader())
        .await?
        .ok_or_else(not_found)?;
    if token.user_id != viewer.user_id.0 {
        viewer.require(Role::Admin)?;
    }
    if token.revoked_at.is_some() {
        return Err(
            FieldError::new(&["id"], "ALREADY_REVOKED", "the token was revoked already")
                .into_error(),
        );
    }
    let mut row: api_token::ActiveModel = token.clone().into();
    row.revoked_at = Set(Some(app.clock.now()));
    let revoked = row.update(app.db.writer()).await?;
    app.tokens.forget([token.token_hash.as_str()]);
    Ok(revoked)
}

/// ADMIN: deactivates a user of the organization and revokes all their tokens. A deactivated
/// user cannot sign in with any token, old or new.
#[tracing::instrument(skip_all)]
pub async fn deactivate_user(app: &AppState, viewer: &Viewer, id: Uuid) -> AppResult<user::Model> {
    viewer.require(Role::Admin)?;
    let txn = app.db.begin().await?;
    let target = user::Entity::find_in_org(id, viewer.organization_id)
        .one(&txn)
        .await?
        .ok_or_else(|| FieldError::new(&["id"], "NOT_FOUND", "no such user").into_error())?;
    let mut checks = Validation::new();
    checks.check(
        target.id == viewer.user_id.0,
        &["id"],
        "CANNOT_DEACTIVATE_SELF",
        "you cannot deactivate yourself; ask another ADMIN",
    );
    checks.check(
        target.deactivated_at.is_some(),
        &["id"],
        "ALREADY_DEACTIVATED",
        "the user is deactivated already",
    );
    checks.finish()?;
    let now = app.clock.now();
    let tokens = api_token::Entity::in_org(viewer.organization_id)
        .filter(api_token::Column::UserId.eq(target.id))
        .all(&txn)
        .await?;
    api_token::Entity::update_many()
        .col_expr(
            api_token::Column::RevokedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(api_token::Column::OrganizationId.eq(viewer.organization_id.0))
        .filter(api_token::Column::UserId.eq(target.id))
        .filter(api_token::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    let mut row: user::ActiveModel = target.into();
    row.deactivated_at = Set(Some(now));
    row.updated_at = Set(now);
    let deactivated = row.update(&txn).await?;
    txn.commit().await?;
    app.tokens
        .forget(tokens.iter().map(|token| token.token_hash.as_str()));
    Ok(deactivated)
}

/// ADMIN and MANAGER: the organization's users, by email.
pub async fn users(app: &AppState, viewer: &Viewer) -> AppResult<Vec<user::Model>> {
    viewer.require(Role::Manager)?;
    Ok(user::Entity::in_org(viewer.organization_id)
        .order_by_asc(user::Column::Email)
        .all(app.db.reader())
        .await?)
}

/// What `tahsilat token revoke PREFIX` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevokedByPrefix {
    pub prefix: String,
    pub email: String,
}

/// The command line's revocation: the one unrevoked token with this prefix, in any organization
/// (whoever runs the command runs the server). Refused when none or several match.
pub async fn revoke_by_prefix(
    db: &Db,
    now: chrono::DateTime<chrono::Utc>,
    prefix: &str,
) -> AppResult<RevokedByPrefix> {
    let prefix = prefix.trim();
    if prefix.len() < 8 || !prefix.is_ascii() {
        return Err(AppError::BadRequest(
            "give the token's prefix as `apiTokens` shows it, e.g. tsk_AbCdEfGh".into(),
        ));
    }
    let found = api_token::Entity::find()
        .find_also_related(user::Entity)
        .filter(api_token::Column::Prefix.eq(prefix))
        .filter(api_token::Column::RevokedAt.is_null())
        .all(db.reader())
        .await?;
    let (token, owner) = match found.as_slice() {
        [] => {
            return Err(AppError::BadRequest(format!(
                "no active token has the prefix {prefix}"
            )));
        }
        [(token, owner)] => (token.clone(), owner.clone()),
        _ => {
            return Err(AppError::BadRequest(format!(
                "{} active tokens share the prefix {prefix}; revoke them in GraphQL by id",
                found.len()
            )));
        }
    };
    let mut row: api_token::ActiveModel = token.into();
    row.revoked_at = Set(Some(now));
    row.update(db.writer()).await?;
    Ok(RevokedByPrefix {
        prefix: prefix.to_owned(),
        email: owner.map(|owner| owner.email).unwrap_or_default(),
    })
}
