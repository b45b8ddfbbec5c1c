//! Dunning: the organization's settings, its message templates and reminder policies, pausing a
//! customer's reminders, and the scheduler that sends them (see [`scheduler`]).

pub mod defaults;
pub mod installments;
pub mod policies;
pub mod scheduler;
pub mod sending;
pub mod templates;

use chrono::NaiveDate;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, EntityTrait};
use serde_json::json;
use uuid::Uuid;

use super::activities::{self, Actor, Entry};
use super::rules;
use super::scope::customer_for_input;
use crate::auth::Viewer;
use crate::domain::activity::ActivityKind;
use crate::domain::dunning::{DunningSettings, WEEKDAYS, parse_clock};
use crate::domain::ids::OrganizationId;
use crate::domain::role::Role;
use crate::entities::{customer, organization};
use crate::error::{AppError, AppResult, FieldError, Validation};
use crate::state::AppState;

/// The most grace days a promise may get.
pub const MAX_GRACE_DAYS: u32 = 30;
/// The most missed installments a plan may be allowed before it breaks.
pub const MAX_MISSES_TO_BREAK: u32 = 12;

/// The organization's dunning settings (defaults where it has none).
pub async fn settings(
    conn: &impl ConnectionTrait,
    org: OrganizationId,
) -> AppResult<DunningSettings> {
    let stored = organization::Entity::find_by_id(org.0)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::Internal("the viewer's organization is missing".into()))?
        .settings;
    Ok(from_stored(&stored))
}

/// Reads `settings.dunning`; anything unreadable falls back to the defaults.
pub fn from_stored(stored: &serde_json::Value) -> DunningSettings {
    stored
        .get("dunning")
        .cloned()
        .and_then(|value| serde_json::from_value(value).ok())
        .unwrap_or_default()
}

/// ADMIN: replaces the dunning settings, each value checked.
#[tracing::instrument(skip_all)]
pub async fn update_settings(
    app: &AppState,
    viewer: &Viewer,
    input: DunningSettings,
) -> AppResult<DunningSettings> {
    viewer.require(Role::Admin)?;
    let mut checks = Validation::new();
    checks.check(
        input.timezone.parse::<chrono_tz::Tz>().is_err(),
        &["timezone"],
        "INVALID_TIMEZONE",
        "an IANA time zone such as Europe/Istanbul",
    );
    let start = parse_clock(&input.window_start);
    let end = parse_clock(&input.window_end);
    checks.check(
        start.is_none(),
        &["windowStart"],
        "INVALID_TIME",
        "a time such as 09:00",
    );
    checks.check(
        end.is_none(),
        &["windowEnd"],
        "INVALID_TIME",
        "a time such as 18:00",
    );
    checks.check(
        matches!((start, end), (Some(start), Some(end)) if start >= end),
        &["windowEnd"],
        "INVALID_WINDOW",
        "the window ends after it starts",
    );
    checks.check(
        input.weekdays.is_empty(),
        &["weekdays"],
        "REQUIRED",
        "reminders need at least one weekday",
    );
    checks.check(
        input.promise_grace_days > MAX_GRACE_DAYS,
        &["promiseGraceDays"],
        "OUT_OF_RANGE",
        format!("grace is 0 to {MAX_GRACE_DAYS} days"),
    );
    checks.check(
        input.plan_grace_days > MAX_GRACE_DAYS,
        &["planGraceDays"],
        "OUT_OF_RANGE",
        format!("grace is 0 to {MAX_GRACE_DAYS} days"),
    );
    checks.check(
        !(1..=MAX_MISSES_TO_BREAK).contains(&input.plan_misses_to_break),
        &["planMissesToBreak"],
        "OUT_OF_RANGE",
        format!("a plan breaks after 1 to {MAX_MISSES_TO_BREAK} missed installments"),
    );
    checks.finish()?;
    let mut weekdays = input.weekdays.clone();
    weekdays.sort_by_key(|day| WEEKDAYS.iter().position(|known| known == day));
    weekdays.dedup();
    let saved = DunningSettings { weekdays, ..input };
    let txn = app.db.begin().await?;
    let found = organization::Entity::find_by_id(viewer.organization_id.0)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::Internal("the viewer's organization is missing".into()))?;
    let mut stored = found.settings.clone();
    if !stored.is_object() {
        stored = json!({});
    }
    stored["dunning"] =
        serde_json::to_value(&saved).map_err(|error| AppError::Internal(error.to_string()))?;
    let mut row: organization::ActiveModel = found.into();
    row.settings = Set(stored);
    row.updated_at = Set(app.clock.now());
    row.update(&txn).await?;
    txn.commit().await?;
    Ok(saved)
}

/// The longest a pause reason may be.
pub const MAX_REASON: usize = 2_000;
/// The furthest a pause may reach.
pub const MAX_PAUSE_DAYS: i64 = 365;

/// COLLECTOR and up: no reminders to the customer until `until` (inclusive).
#[tracing::instrument(skip_all)]
pub async fn pause(
    app: &AppState,
    viewer: &Viewer,
    customer_id: Uuid,
    until: NaiveDate,
    reason: Option<String>,
) -> AppResult<customer::Model> {
    viewer.require(Role::Collector)?;
    let today = app.clock.today();
    let mut checks = Validation::new();
    let reason = checks.value(rules::optional_note(
        reason.as_deref(),
        MAX_REASON,
        &["reason"],
    ));
    checks.check(
        until < today,
        &["until"],
        "DATE_IN_PAST",
        "a pause lasts until today or later",
    );
    checks.check(
        until > today + chrono::Duration::days(MAX_PAUSE_DAYS),
        &["until"],
        "OUT_OF_RANGE",
        "a pause reaches at most a year ahead",
    );
    let data = json!({"until": until.to_string(), "reason": reason});
    set_pause(
        app,
        viewer,
        customer_id,
        Some((until, reason)),
        checks,
        data,
    )
    .await
}

/// COLLECTOR and up: reminders to the customer go on as the policy says.
#[tracing::instrument(skip_all)]
pub async fn resume(
    app: &AppState,
    viewer: &Viewer,
    customer_id: Uuid,
) -> AppResult<customer::Model> {
    viewer.require(Role::Collector)?;
    set_pause(app, viewer, customer_id, None, Validation::new(), json!({})).await
}

async fn set_pause(
    app: &AppState,
    viewer: &Viewer,
    customer_id: Uuid,
    pause: Option<(NaiveDate, Option<String>)>,
    mut checks: Validation,
    data: serde_json::Value,
) -> AppResult<customer::Model> {
    let org = viewer.organization_id;
    let txn = app.db.begin().await?;
    let found = customer_for_input(&txn, org, customer_id, &mut checks).await?;
    let found = checks.require(found)?;
    checks.finish()?;
    let now = app.clock.now();
    let kind = if pause.is_some() {
        ActivityKind::DunningPaused
    } else {
        ActivityKind::DunningResumed
    };
    let (until, reason) = pause.unzip();
    let mut row: customer::ActiveModel = found.into();
    row.dunning_paused_until = Set(until);
    row.dunning_pause_reason = Set(reason.flatten());
    row.updated_at = Set(now);
    let saved = row.update(&txn).await?;
    let entry = Entry {
        customer_id,
        invoice_id: None,
        kind,
        note: saved.dunning_pause_reason.clone(),
        data,
    };
    activities::append(&txn, org, Actor::User(viewer), entry, now).await?;
    txn.commit().await?;
    Ok(saved)
}

/// MANAGER and up: the customer's policy: another than the default, or (None) no reminders.
#[tracing::instrument(skip_all)]
pub async fn set_customer_policy(
    app: &AppState,
    viewer: &Viewer,
    customer_id: Uuid,
    policy_id: Option<Uuid>,
) -> AppResult<customer::Model> {
    viewer.require(Role::Manager)?;
    let org = viewer.organization_id;
    let mut checks = Validation::new();
    let txn = app.db.begin().await?;
    let found = customer_for_input(&txn, org, customer_id, &mut checks).await?;
    if let Some(policy_id) = policy_id {
        let policy = policies::find(&txn, org, policy_id).await?;
        checks.check(
            policy.is_none(),
            &["policyId"],
            "NOT_FOUND",
            "no such reminder policy",
        );
    }
    let found = checks.require(found)?;
    checks.finish()?;
    let mut row: customer::ActiveModel = found.into();
    row.reminder_policy_id = Set(policy_id);
    row.reminders_off = Set(Some(policy_id.is_none()));
    row.updated_at = Set(app.clock.now());
    let saved = row.update(&txn).await?;
    txn.commit().await?;
    Ok(saved)
}

/// Field errors for a template that does not parse.
pub(crate) fn template_error(
    field: &str,
    error: crate::domain::template::TemplateError,
) -> FieldError {
    FieldError::new(&[field], "INVALID_TEMPLATE", error.to_string())
}
