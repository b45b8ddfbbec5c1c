//! Who is calling: API tokens and the [`Viewer`] they stand for.
//!
//! Tokens are 256 random bits with a `tsk_` prefix, shown once and stored only as their SHA-256,
//! so they are looked up by hash and never compared in application code. A short cache keeps a
//! busy frontend from costing a statement per request; revoking a token or deactivating a user
//! empties the cache of those tokens at once on the instance that did it, and other instances
//! notice within [`TokenCache::TTL`].

use chrono::Duration;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use sha2::{Digest, Sha256};

use crate::clock::Clock;
use crate::db::Db;
use crate::domain::ids::{OrganizationId, UserId};
use crate::domain::role::Role;
use crate::entities::{api_token, user};
use crate::error::{AppError, AppResult};

/// Every token starts with this, so a leaked one is easy to recognise in a scan.
pub const TOKEN_PREFIX: &str = "tsk_";
/// `tsk_` + 43 characters of unpadded base64url for 32 random bytes (256 bits).
const TOKEN_LENGTH: usize = 4 + 43;
/// `last_used_at` is written at most this often per token, so reads do not become writes.
const LAST_USED_GRANULARITY: Duration = Duration::minutes(5);

/// The authenticated caller of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Viewer {
    pub user_id: UserId,
    pub organization_id: OrganizationId,
    pub email: String,
    pub name: String,
    pub role: Role,
}

impl Viewer {
    /// Refuses unless the viewer's role includes `required`.
    pub fn require(&self, required: Role) -> AppResult<()> {
        if self.role.allows(required) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }
}

/// A fresh token: `tsk_` and 256 random bits as unpadded base64url.
pub fn new_token() -> String {
    use base64::Engine as _;
    let random: [u8; 32] = rand::random();
    format!(
        "{TOKEN_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random)
    )
}

/// The part of a token kept in the clear, so a person can tell tokens apart: `tsk_` and 8 more.
pub fn token_prefix(token: &str) -> String {
    token.chars().take(12).collect()
}

/// Hex SHA-256 of a token: the only form in which tokens are stored.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The viewer a bearer token stands for. Tokens are looked up by hash, so no comparison of
/// secrets happens in application code.
pub async fn authenticate(db: &Db, clock: &dyn Clock, token: &str) -> AppResult<Viewer> {
    if !token.starts_with(TOKEN_PREFIX) || token.len() != TOKEN_LENGTH {
        return Err(AppError::Unauthenticated);
    }
    let found = api_token::Entity::find()
        .find_also_related(user::Entity)
        .filter(api_token::Column::TokenHash.eq(hash_token(token)))
        .filter(api_token::Column::RevokedAt.is_null())
        .one(db.reader())
        .await?;
    let Some((token_row, Some(user))) = found else {
        return Err(AppError::Unauthenticated);
    };
    if user.deactivated_at.is_some() {
        return Err(AppError::Unauthenticated);
    }
    let now = clock.now();
    if token_row
        .last_used_at
        .is_none_or(|last| now - last >= LAST_USED_GRANULARITY)
    {
        // Bookkeeping only: a failure here must not fail the request.
        let update = api_token::Entity::update_many()
            .col_expr(
                api_token::Column::LastUsedAt,
                sea_orm::sea_query::Expr::value(now),
            )
            .filter(api_token::Column::Id.eq(token_row.id))
            .exec(db.writer())
            .await;
        if let Err(error) = update {
            tracing::warn!(%error, "could not record the token's last use");
        }
    }
    Ok(Viewer {
        user_id: UserId(user.id),
        organization_id: OrganizationId(user.organization_id),
        email: user.email,
        name: user.name,
        role: user.role,
    })
}

/// Recently authenticated tokens, so a busy frontend does not cost a statement per request.
///
/// Entries live [`TokenCache::TTL`]; a revoked token or a changed role therefore takes effect
/// within that time on every instance. Keys are token hashes, never tokens.
#[derive(Debug, Default)]
pub struct TokenCache {
    entries: std::sync::Mutex<std::collections::HashMap<String, (Viewer, std::time::Instant)>>,
}

impl TokenCache {
    pub const TTL: std::time::Duration = std::time::Duration::from_secs(30);
    /// Past this many entries the cache starts afresh; it only ever saves work.
    const CAPACITY: usize = 10_000;

    /// Drops these token hashes, so a revocation takes effect on this instance at once.
    pub fn forget<'a>(&self, hashes: impl IntoIterator<Item = &'a str>) {
        if let Ok(mut entries) = self.entries.lock() {
            for hash in hashes {
                entries.remove(hash);
            }
        }
    }

    pub async fn authenticate(&self, db: &Db, clock: &dyn Clock, token: &str) -> AppResult<Viewer> {
        let key = hash_token(token);
        let now = std::time::Instant::now();
        if let Ok(entries) = self.entries.lock()
            && let Some((viewer, at)) = entries.get(&key)
            && now.duration_since(*at) < Self::TTL
        {
            return Ok(viewer.clone());
        }
        let viewer = authenticate(db, clock, token).await?;
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= Self::CAPACITY {
                entries.clear();
            }
            entries.insert(key, (viewer.clone(), now));
        }
        Ok(viewer)
    }
}
