//! Reminder policies: ordered steps (days from the due date, channel, template, pay link,
//! minimum overdue), one policy per organization the default.

use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, sea_query::Expr,
};
use uuid::Uuid;

use super::templates;
use crate::auth::Viewer;
use crate::domain::dunning::{Step, StepChannel, TemplateChannel};
use crate::domain::ids::OrganizationId;
use crate::domain::installments::MAX_INSTALLMENTS;
use crate::domain::money::{Currency, Money};
use crate::domain::role::Role;
use crate::entities::reminder_policy as row;
use crate::error::{AppError, AppResult, FieldError, Validation};
use crate::services::rules;
use crate::services::scope::OrgScoped;
use crate::state::AppState;

/// The most steps a policy may have.
pub const MAX_STEPS: usize = 20;
/// Steps reach at most this many days before or after the due date.
pub const MAX_OFFSET_DAYS: i32 = 365;

/// One step as asked for.
#[derive(Debug, Clone)]
pub struct StepInput {
    pub offset_days: i32,
    pub channel: StepChannel,
    pub template_id: Option<Uuid>,
    pub include_pay_link: bool,
    pub min_overdue_amount: Option<Decimal>,
}

/// What `createReminderPolicy` and `updateReminderPolicy` ask for.
#[derive(Debug, Clone)]
pub struct PolicyInput {
    pub name: String,
    pub is_default: bool,
    pub max_installments: i32,
    pub steps: Vec<StepInput>,
}

/// A stored policy's steps, ordered by offset.
pub fn steps(policy: &row::Model) -> Vec<Step> {
    let mut steps: Vec<Step> = serde_json::from_value(policy.steps.clone()).unwrap_or_default();
    steps.sort_by_key(|step| step.offset_days);
    steps
}

pub async fn list(conn: &impl ConnectionTrait, org: OrganizationId) -> AppResult<Vec<row::Model>> {
    Ok(row::Entity::in_org(org)
        .order_by_desc(row::Column::IsDefault)
        .order_by_asc(row::Column::Name)
        .all(conn)
        .await?)
}

pub async fn find(
    conn: &impl ConnectionTrait,
    org: OrganizationId,
    id: Uuid,
) -> AppResult<Option<row::Model>> {
    Ok(row::Entity::find_in_org(id, org).one(conn).await?)
}

/// Checks a policy; its steps as stored, or errors in `checks`.
async fn checked(
    conn: &impl ConnectionTrait,
    org: OrganizationId,
    input: &PolicyInput,
    checks: &mut Validation,
) -> AppResult<(String, Vec<Step>)> {
    let name = checks.value(rules::required_text(&input.name, 200, &["name"]));
    checks.check(
        !(1..=MAX_INSTALLMENTS as i32).contains(&input.max_installments),
        &["maxInstallments"],
        "OUT_OF_RANGE",
        format!("installments are 1 to {MAX_INSTALLMENTS}"),
    );
    checks.check(
        input.steps.is_empty() || input.steps.len() > MAX_STEPS,
        &["steps"],
        "OUT_OF_RANGE",
        format!("a policy has 1 to {MAX_STEPS} steps"),
    );
    let mut steps = Vec::new();
    for (index, step) in input.steps.iter().enumerate() {
        let position = index.to_string();
        let field = |name: &'static str| ["steps", position.as_str(), name];
        checks.check(
            !(-MAX_OFFSET_DAYS..=MAX_OFFSET_DAYS).contains(&step.offset_days),
            &field("offsetDays"),
            "OUT_OF_RANGE",
            format!("steps are at most {MAX_OFFSET_DAYS} days from the due date"),
        );
        checks.check(
            input.steps[..index]
                .iter()
                .any(|earlier| earlier.offset_days == step.offset_days),
            &field("offsetDays"),
            "DUPLICATE",
            "two steps on the same day",
        );
        let template = match step.template_id {
            Some(id) => templates::find(conn, org, id).await?,
            None => None,
        };
        let wanted = match step.channel {
            StepChannel::Email => Some(TemplateChannel::Email),
            StepChannel::Sms => Some(TemplateChannel::Sms),
            StepChannel::Task => None,
        };
        match (wanted, &template, step.template_id) {
            (Some(_), None, None) => checks.add(FieldError::new(
                &field("templateId"),
                "REQUIRED",
                "a mail or SMS step needs a template",
            )),
            (_, None, Some(_)) => checks.add(FieldError::new(
                &field("templateId"),
                "NOT_FOUND",
                "no such template",
            )),
            (Some(channel), Some(template), _) if template.channel != channel => {
                checks.add(FieldError::new(
                    &field("templateId"),
                    "CHANNEL_MISMATCH",
                    "the template is for another channel",
                ))
            }
            _ => {}
        }
        let bad_minimum = step.min_overdue_amount.is_some_and(|amount| {
            Money::from_decimal(amount, Currency::TRY).is_err() || amount.is_sign_negative()
        });
        checks.check(
            bad_minimum,
            &field("minOverdueAmount"),
            "INVALID_AMOUNT",
            "an amount of 0 or more with at most 2 decimals",
        );
        steps.push(Step {
            offset_days: step.offset_days,
            channel: step.channel,
            template_id: if wanted.is_some() {
                step.template_id
            } else {
                None
            },
            include_pay_link: step.include_pay_link && wanted.is_some(),
            min_overdue_amount: step.min_overdue_amount.map(|amount| amount.normalize()),
        });
    }
    steps.sort_by_key(|step| step.offset_days);
    Ok((name, steps))
}

fn to_json(steps: &[Step]) -> AppResult<serde_json::Value> {
    serde_json::to_value(steps).map_err(|error| AppError::Internal(error.to_string()))
}

/// Makes `id` the only default of the organization.
async fn make_default(conn: &impl ConnectionTrait, org: OrganizationId, id: Uuid) -> AppResult<()> {
    row::Entity::update_many()
        .col_expr(row::Column::IsDefault, Expr::value(false))
        .filter(row::Column::OrganizationId.eq(org.0))
        .filter(row::Column::Id.ne(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// MANAGER and up: a new policy (the default if asked, or if it is the first).
#[tracing::instrument(skip_all)]
pub async fn create(app: &AppState, viewer: &Viewer, input: PolicyInput) -> AppResult<row::Model> {
    viewer.require(Role::Manager)?;
    let org = viewer.organization_id;
    let mut checks = Validation::new();
    let txn = app.db.begin().await?;
    let (name, steps) = checked(&txn, org, &input, &mut checks).await?;
    checks.finish()?;
    let first = list(&txn, org).await?.is_empty();
    let made = insert(
        &txn,
        org,
        &name,
        input.is_default || first,
        input.max_installments,
        &steps,
        app.clock.now(),
    )
    .await?;
    txn.commit().await?;
    Ok(made)
}

/// Writes a checked policy.
pub(crate) async fn insert(
    conn: &impl ConnectionTrait,
    org: OrganizationId,
    name: &str,
    is_default: bool,
    max_installments: i32,
    steps: &[Step],
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<row::Model> {
    let id = Uuid::now_v7();
    let made = row::ActiveModel {
        id: Set(id),
        organization_id: Set(org.0),
        name: Set(name.to_owned()),
        is_default: Set(is_default),
        max_installments: Set(max_installments),
        steps: Set(to_json(steps)?),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(conn)
    .await?;
    if is_default {
        make_default(conn, org, id).await?;
    }
    Ok(made)
}

/// MANAGER and up: replaces a policy. Steps already sent stay sent: an (invoice, day) pair goes
/// once whatever its template becomes.
#[tracing::instrument(skip_all)]
pub async fn update(
    app: &AppState,
    viewer: &Viewer,
    id: Uuid,
    input: PolicyInput,
) -> AppResult<row::Model> {
    viewer.require(Role::Manager)?;
    let org = viewer.organization_id;
    let mut checks = Validation::new();
    let txn = app.db.begin().await?;
    let found = find(&txn, org, id).await?;
    checks.check(
        found.is_none(),
        &["id"],
        "NOT_FOUND",
        "no such reminder policy",
    );
    let (name, steps) = checked(&txn, org, &input, &mut checks).await?;
    let found = checks.require(found)?;
    checks.check(
        found.is_default && !input.is_default,
        &["isDefault"],
        "DEFAULT_REQUIRED",
        "make another policy the default instead",
    );
    checks.finish()?;
    let mut changed: row::ActiveModel = found.into();
    changed.name = Set(name);
    changed.is_default = Set(input.is_default);
    changed.max_installments = Set(input.max_installments);
    changed.steps = Set(to_json(&steps)?);
    changed.updated_at = Set(app.clock.now());
    let saved = changed.update(&txn).await?;
    if saved.is_default {
        make_default(&txn, org, saved.id).await?;
    }
    txn.commit().await?;
    Ok(saved)
}
