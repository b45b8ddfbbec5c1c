//! Organizations, users and their API tokens: provisioning from the CLI, and authenticating a
//! request's bearer token.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
};

use crate::auth::Viewer;
use crate::auth::{hash_token, new_token, token_prefix};
use crate::clock::Clock;
use crate::db::Db;
use crate::domain::ids::{ApiTokenId, OrganizationId, UserId};
use crate::domain::role::Role;
use crate::entities::{api_token, organization, user};
use crate::error::{AppError, AppResult};
use crate::services::scope::OrgScoped;

/// What `tahsilat user add` asks for.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub organization_name: String,
    pub email: String,
    pub name: Option<String>,
    pub role: Role,
}

/// A provisioned user and a fresh token for them, shown once.
#[derive(Debug)]
pub struct ProvisionedUser {
    pub user: user::Model,
    pub organization: organization::Model,
    pub organization_created: bool,
    pub user_created: bool,
    pub token: String,
}

/// Finds or creates the organization and the user, and issues the user a new token.
/// An existing user keeps their role; asking for a different one is refused, so a typo cannot
/// silently hand out a token with other powers than intended.
#[tracing::instrument(skip_all, fields(organization = %new_user.organization_name, role = new_user.role.as_str()))]
pub async fn provision_user(
    db: &Db,
    clock: &dyn Clock,
    new_user: NewUser,
) -> AppResult<ProvisionedUser> {
    let email = normalize_email(&new_user.email)?;
    let organization_name = new_user.organization_name.trim().to_owned();
    if organization_name.is_empty() || organization_name.chars().count() > 200 {
        return Err(AppError::BadRequest(
            "the organization name must have 1 to 200 characters".into(),
        ));
    }
    let now = clock.now();
    let txn = db.begin().await?;
    let (organization, organization_created) =
        find_or_create_organization(&txn, &organization_name, now).await?;
    let organization_id = OrganizationId(organization.id);

    let existing = user::Entity::in_org(organization_id)
        .filter(user::Column::Email.eq(&email))
        .one(&txn)
        .await?;
    let (user, user_created) = match existing {
        Some(user) if user.role != new_user.role => {
            return Err(AppError::BadRequest(format!(
                "{email} already exists in {organization_name} with role {}",
                user.role.as_str()
            )));
        }
        Some(user) => (user, false),
        None => {
            let name = new_user
                .name
                .map(|name| name.trim().to_owned())
                .filter(|name| !name.is_empty())
                .unwrap_or_else(|| email.split('@').next().unwrap_or(&email).to_owned());
            let user = user::ActiveModel {
                id: Set(UserId::new().0),
                organization_id: Set(organization.id),
                email: Set(email.clone()),
                name: Set(name),
                role: Set(new_user.role),
                phone: Set(None),
                deactivated_at: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(&txn)
            .await?;
            (user, true)
        }
    };
    let token = issue_token(&txn, &user, Some("command line".to_owned()), now).await?;
    txn.commit().await?;
    Ok(ProvisionedUser {
        user,
        organization,
        organization_created,
        user_created,
        token,
    })
}

/// The organization with this name, if there is one.
pub async fn organization_by_name(db: &Db, name: &str) -> AppResult<Option<OrganizationId>> {
    let found = organization::Entity::find()
        .filter(organization::Column::Name.eq(name))
        .one(db.reader())
        .await?;
    Ok(found.map(|organization| OrganizationId(organization.id)))
}

/// The organization with this name, created (with TRY as its currency) when missing.
pub async fn find_or_create_organization(
    conn: &impl ConnectionTrait,
    name: &str,
    now: DateTime<Utc>,
) -> AppResult<(organization::Model, bool)> {
    if let Some(existing) = organization::Entity::find()
        .filter(organization::Column::Name.eq(name))
        .one(conn)
        .await?
    {
        return Ok((existing, false));
    }
    let created = organization::ActiveModel {
        id: Set(OrganizationId::new().0),
        name: Set(name.to_owned()),
        default_currency: Set("TRY".to_owned()),
        settings: Set(serde_json::json!({})),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(conn)
    .await?;
    super::dunning::defaults::seed(conn, OrganizationId(created.id), now).await?;
    Ok((created, true))
}

/// Makes a new 256-bit token for the user and stores only its SHA-256.
pub async fn issue_token(
    conn: &impl ConnectionTrait,
    user: &user::Model,
    name: Option<String>,
    now: DateTime<Utc>,
) -> AppResult<String> {
    let token = new_token();
    api_token::ActiveModel {
        id: Set(ApiTokenId::new().0),
        organization_id: Set(user.organization_id),
        user_id: Set(user.id),
        token_hash: Set(hash_token(&token)),
        prefix: Set(token_prefix(&token)),
        name: Set(name),
        last_used_at: Set(None),
        revoked_at: Set(None),
        created_at: Set(now),
    }
    .insert(conn)
    .await?;
    Ok(token)
}

/// An ADMIN adds a user to their organization; the new token is returned once.
#[tracing::instrument(skip_all, fields(role = role.as_str()))]
pub async fn create_user(
    db: &Db,
    clock: &dyn Clock,
    viewer: &Viewer,
    email: &str,
    name: &str,
    role: Role,
    phone: Option<&str>,
) -> AppResult<(user::Model, String)> {
    viewer.require(Role::Admin)?;
    let org = viewer.organization_id;
    let mut checks = crate::error::Validation::new();
    let email = checks.value(normalize_email(email).map_err(|_| {
        crate::error::FieldError::new(
            &["email"],
            "INVALID_EMAIL",
            format!("{email:?} is not an email address"),
        )
    }));
    let name = checks.value(crate::services::rules::required_text(name, 200, &["name"]));
    let phone = checks.value(crate::services::rules::optional_phone(phone, &["phone"]));
    let txn = db.begin().await?;
    let taken = user::Entity::in_org(org)
        .filter(user::Column::Email.eq(email.as_str()))
        .one(&txn)
        .await?
        .is_some();
    checks.check(
        taken,
        &["email"],
        "DUPLICATE",
        format!("{email} is a user already"),
    );
    checks.finish()?;
    let now = clock.now();
    let user = user::ActiveModel {
        id: Set(UserId::new().0),
        organization_id: Set(org.0),
        email: Set(email),
        name: Set(name),
        role: Set(role),
        phone: Set(phone),
        deactivated_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await
    .map_err(|error| {
        if crate::error::is_unique_violation(&error) {
            crate::error::FieldError::new(&["email"], "DUPLICATE", "this email is a user already")
                .into_error()
        } else {
            error.into()
        }
    })?;
    let token = issue_token(&txn, &user, Some("first token".to_owned()), now).await?;
    txn.commit().await?;
    Ok((user, token))
}

/// Trims and lower-cases an address, and checks its rough shape.
pub fn normalize_email(email: &str) -> AppResult<String> {
    let email = email.trim().to_lowercase();
    let valid = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
        })
        && !email.contains(char::is_whitespace)
        && !email.contains(char::is_control);
    if valid {
        Ok(email)
    } else {
        Err(AppError::BadRequest(format!(
            "{email:?} is not an email address"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_hash_is_hex_sha256() {
        // FIPS 180-2's "abc" vector.
        assert_eq!(
            hash_token("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn emails_are_normalized_or_refused() {
        assert_eq!(
            normalize_email("  Ayse@Example.COM ").unwrap(),
            "ayse@example.com"
        );
        for bad in [
            "",
            "ayse",
            "@example.com",
            "ayse@localhost",
            "a b@example.com",
        ] {
            assert!(normalize_email(bad).is_err(), "{bad:?}");
        }
    }
}
