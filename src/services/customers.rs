//! Customers and their contacts.

use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait,
    QueryFilter, QuerySelect, Select,
};
use serde_json::json;
use uuid::Uuid;

use super::activities::{self, Actor, Entry};
use super::listing::{Direction, Keyset, parse_text_key};
use super::rules;
use super::scope::{OrgScoped, customer_for_input};
use crate::auth::Viewer;
use crate::clock::Clock;
use crate::db::Db;
use crate::domain::activity::ActivityKind;
use crate::domain::ids::{ContactId, CustomerId, OrganizationId};
use crate::domain::role::Role;
use crate::entities::{contact, customer, customer_assignment, invoice, organization, user};
use crate::error::{AppError, AppResult, FieldError, Validation, is_unique_violation};

/// Payment terms when a customer is created without any.
pub const DEFAULT_PAYMENT_TERMS_DAYS: i32 = 30;

#[derive(Debug, Clone, Default)]
pub struct NewCustomer {
    pub external_ref: Option<String>,
    pub name: String,
    pub tax_id: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub payment_terms_days: Option<i32>,
    pub assigned_collector_id: Option<Uuid>,
    pub credit_limit: Option<Decimal>,
    /// `tr` or `en`; default the organization's.
    pub language: Option<String>,
}

/// A change to a customer: `None` leaves a field alone, `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct CustomerChanges {
    pub id: Uuid,
    pub external_ref: Option<Option<String>>,
    pub name: Option<String>,
    pub tax_id: Option<Option<String>>,
    pub email: Option<Option<String>>,
    pub phone: Option<Option<String>>,
    pub address: Option<Option<String>>,
    pub payment_terms_days: Option<i32>,
    pub assigned_collector_id: Option<Option<Uuid>>,
    pub credit_limit: Option<Option<Decimal>>,
    pub blocked: Option<bool>,
    pub language: Option<Option<String>>,
}

#[derive(Debug, Clone, Default)]
pub struct NewContact {
    pub customer_id: Uuid,
    pub name: String,
    pub role: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub is_primary: Option<bool>,
}

#[tracing::instrument(skip_all)]
pub async fn create(
    db: &Db,
    clock: &dyn Clock,
    viewer: &Viewer,
    input: NewCustomer,
) -> AppResult<customer::Model> {
    viewer.require(Role::Manager)?;
    let org = viewer.organization_id;
    let mut checks = Validation::new();
    let name = checks.value(rules::required_text(&input.name, 300, &["name"]));
    let external_ref = checks.value(rules::external_ref(
        input.external_ref.as_deref(),
        &["externalRef"],
    ));
    let tax_id = checks.value(rules::optional_tax_id(input.tax_id.as_deref(), &["taxId"]));
    let email = checks.value(rules::optional_email(input.email.as_deref(), &["email"]));
    let phone = checks.value(rules::optional_phone(input.phone.as_deref(), &["phone"]));
    let language = checks.value(rules::optional_language(
        input.language.as_deref(),
        &["language"],
    ));
    let address = checks.value(rules::optional_note(
        input.address.as_deref(),
        1_000,
        &["address"],
    ));
    let terms = checks.value(rules::payment_terms(
        input
            .payment_terms_days
            .unwrap_or(DEFAULT_PAYMENT_TERMS_DAYS),
        &["paymentTermsDays"],
    ));

    let txn = db.begin().await?;
    let currency = organization_currency(&txn, org).await?;
    let credit_limit = match input.credit_limit {
        None => None,
        Some(limit) => checks.take(rules::positive_amount(limit, currency, &["creditLimit"])),
    };
    if let Some(collector) = input.assigned_collector_id {
        check_collector(&txn, org, collector, &mut checks).await?;
    }
    if let Some(external_ref) = &external_ref {
        check_external_ref_free(&txn, org, external_ref, None, &mut checks).await?;
    }
    checks.finish()?;

    let now = clock.now();
    let created = customer::ActiveModel {
        id: Set(CustomerId::new().0),
        organization_id: Set(org.0),
        external_ref: Set(external_ref),
        name: Set(name.clone()),
        tax_id: Set(tax_id),
        email: Set(email),
        phone: Set(phone),
        address: Set(address),
        payment_terms_days: Set(terms),
        assigned_collector_id: Set(input.assigned_collector_id),
        credit_limit_minor: Set(credit_limit.map(|limit| limit.minor)),
        credit_limit_currency: Set(credit_limit.map(|limit| limit.currency.code().to_owned())),
        blocked: Set(false),
        language: Set(language),
        reminder_policy_id: Set(None),
        reminders_off: Set(None),
        dunning_paused_until: Set(None),
        dunning_pause_reason: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await
    .map_err(duplicate_external_ref)?;
    reassign(
        &txn,
        org,
        created.id,
        None,
        created.assigned_collector_id,
        now,
    )
    .await?;
    let entry = Entry {
        customer_id: created.id,
        invoice_id: None,
        kind: ActivityKind::CustomerCreated,
        note: None,
        data: json!({"name": name}),
    };
    activities::append(&txn, org, Actor::User(viewer), entry, now).await?;
    txn.commit().await?;
    Ok(created)
}

#[tracing::instrument(skip_all)]
pub async fn update(
    db: &Db,
    clock: &dyn Clock,
    viewer: &Viewer,
    changes: CustomerChanges,
) -> AppResult<customer::Model> {
    viewer.require(Role::Manager)?;
    let org = viewer.organization_id;
    let txn = db.begin().await?;
    let existing = customer::Entity::find_in_org(changes.id, org)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or_else(|| FieldError::new(&["id"], "NOT_FOUND", "no such customer").into_error())?;
    let mut checks = Validation::new();
    let mut row: customer::ActiveModel = existing.clone().into();
    let mut changed = Vec::new();
    if let Some(name) = &changes.name
        && let Some(name) = checks.take(rules::required_text(name, 300, &["name"]))
    {
        row.name = Set(name);
        changed.push("name");
    }
    if let Some(external_ref) = &changes.external_ref
        && let Some(external_ref) = checks.take(rules::external_ref(
            external_ref.as_deref(),
            &["externalRef"],
        ))
    {
        if let Some(reference) = &external_ref {
            check_external_ref_free(&txn, org, reference, Some(existing.id), &mut checks).await?;
        }
        row.external_ref = Set(external_ref);
        changed.push("externalRef");
    }
    if let Some(tax_id) = &changes.tax_id
        && let Some(tax_id) = checks.take(rules::optional_tax_id(tax_id.as_deref(), &["taxId"]))
    {
        row.tax_id = Set(tax_id);
        changed.push("taxId");
    }
    if let Some(email) = &changes.email
        && let Some(email) = checks.take(rules::optional_email(email.as_deref(), &["email"]))
    {
        row.email = Set(email);
        changed.push("email");
    }
    if let Some(phone) = &changes.phone
        && let Some(phone) = checks.take(rules::optional_phone(phone.as_deref(), &["phone"]))
    {
        row.phone = Set(phone);
        changed.push("phone");
    }
    if let Some(language) = &changes.language
        && let Some(language) =
            checks.take(rules::optional_language(language.as_deref(), &["language"]))
    {
        row.language = Set(language);
        changed.push("language");
    }
    if let Some(address) = &changes.address
        && let Some(address) = checks.take(rules::optional_note(
            address.as_deref(),
            1_000,
            &["address"],
        ))
    {
        row.address = Set(address);
        changed.push("address");
    }
    if let Some(terms) = changes.payment_terms_days
        && let Some(terms) = checks.take(rules::payment_terms(terms, &["paymentTermsDays"]))
    {
        row.payment_terms_days = Set(terms);
        changed.push("paymentTermsDays");
    }
    if let Some(collector) = changes.assigned_collector_id {
        if let Some(collector) = collector {
            check_collector(&txn, org, collector, &mut checks).await?;
        }
        row.assigned_collector_id = Set(collector);
        changed.push("assignedCollectorId");
    }
    if let Some(limit) = changes.credit_limit {
        let currency = organization_currency(&txn, org).await?;
        match limit {
            None => {
                row.credit_limit_minor = Set(None);
                row.credit_limit_currency = Set(None);
            }
            Some(limit) => {
                if let Some(limit) =
                    checks.take(rules::positive_amount(limit, currency, &["creditLimit"]))
                {
                    row.credit_limit_minor = Set(Some(limit.minor));
                    row.credit_limit_currency = Set(Some(currency.code().to_owned()));
                }
            }
        }
        changed.push("creditLimit");
    }
    if let Some(blocked) = changes.blocked {
        row.blocked = Set(blocked);
        changed.push("blocked");
    }
    checks.finish()?;
    if changed.is_empty() {
        return Ok(existing);
    }
    let now = clock.now();
    row.updated_at = Set(now);
    let updated = row.update(&txn).await.map_err(duplicate_external_ref)?;
    let (before, after) = (
        existing.assigned_collector_id,
        updated.assigned_collector_id,
    );
    reassign(&txn, org, updated.id, before, after, now).await?;
    let entry = Entry {
        customer_id: updated.id,
        invoice_id: None,
        kind: ActivityKind::CustomerUpdated,
        note: None,
        data: json!({"changed": changed}),
    };
    activities::append(&txn, org, Actor::User(viewer), entry, now).await?;
    txn.commit().await?;
    Ok(updated)
}

/// Adds a contact; the first contact, or one marked primary, becomes the primary contact.
#[tracing::instrument(skip_all)]
pub async fn add_contact(
    db: &Db,
    clock: &dyn Clock,
    viewer: &Viewer,
    input: NewContact,
) -> AppResult<contact::Model> {
    viewer.require(Role::Manager)?;
    let org = viewer.organization_id;
    let mut checks = Validation::new();
    let name = checks.value(rules::required_text(&input.name, 200, &["name"]));
    let role = checks.value(rules::optional_text(input.role.as_deref(), 100, &["role"]));
    let email = checks.value(rules::optional_email(input.email.as_deref(), &["email"]));
    let phone = checks.value(rules::optional_phone(input.phone.as_deref(), &["phone"]));
    let txn = db.begin().await?;
    customer_for_input(&txn, org, input.customer_id, &mut checks).await?;
    checks.finish()?;

    let has_primary = contact::Entity::in_org(org)
        .filter(contact::Column::CustomerId.eq(input.customer_id))
        .filter(contact::Column::IsPrimary.eq(true))
        .one(&txn)
        .await?
        .is_some();
    let is_primary = input.is_primary.unwrap_or(!has_primary);
    if is_primary && has_primary {
        contact::Entity::update_many()
            .col_expr(contact::Column::IsPrimary, Expr::value(false))
            .filter(contact::Column::OrganizationId.eq(org.0))
            .filter(contact::Column::CustomerId.eq(input.customer_id))
            .exec(&txn)
            .await?;
    }
    let now = clock.now();
    let added = contact::ActiveModel {
        id: Set(ContactId::new().0),
        organization_id: Set(org.0),
        customer_id: Set(input.customer_id),
        name: Set(name.clone()),
        role: Set(role),
        email: Set(email),
        phone: Set(phone),
        is_primary: Set(is_primary),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let entry = Entry {
        customer_id: input.customer_id,
        invoice_id: None,
        kind: ActivityKind::ContactAdded,
        note: None,
        data: json!({"contactId": added.id, "name": name, "isPrimary": is_primary}),
    };
    activities::append(&txn, org, Actor::User(viewer), entry, now).await?;
    txn.commit().await?;
    Ok(added)
}

/// What to list.
#[derive(Debug, Clone, Default)]
pub struct CustomerFilter {
    pub search: Option<String>,
    pub assigned_collector_id: Option<Uuid>,
    pub has_overdue: Option<bool>,
}

/// The organization's customers matching the filter (for the page and its total count).
pub fn filtered(
    organization: OrganizationId,
    filter: &CustomerFilter,
    today: chrono::NaiveDate,
) -> Select<customer::Entity> {
    let mut select = customer::Entity::in_org(organization);
    if let Some(search) = filter
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let pattern = format!("%{}%", escape_like(&search.to_lowercase()));
        let mut any = Condition::any();
        for column in [
            customer::Column::Name,
            customer::Column::Email,
            customer::Column::TaxId,
            customer::Column::ExternalRef,
        ] {
            any = any.add(
                Expr::expr(sea_orm::sea_query::Func::lower(Expr::col(column)))
                    .like(sea_orm::sea_query::LikeExpr::new(pattern.clone()).escape('\\')),
            );
        }
        select = select.filter(any);
    }
    if let Some(collector) = filter.assigned_collector_id {
        select = select.filter(customer::Column::AssignedCollectorId.eq(collector));
    }
    if let Some(has_overdue) = filter.has_overdue {
        let overdue = Query::select()
            .column(invoice::Column::CustomerId)
            .from(invoice::Entity)
            .and_where(invoice::Column::OrganizationId.eq(organization.0))
            .and_where(invoice::Column::DueDate.lt(today))
            .and_where(super::invoices::unpaid())
            .to_owned();
        select = if has_overdue {
            select.filter(customer::Column::Id.in_subquery(overdue))
        } else {
            select.filter(customer::Column::Id.not_in_subquery(overdue))
        };
    }
    select
}

/// Customers by name, then id.
pub const ORDER: Keyset<customer::Entity> = Keyset {
    key: customer::Column::Name,
    id: customer::Column::Id,
    direction: Direction::Ascending,
    key_of: |model| model.name.clone(),
    parse_key: parse_text_key,
};

fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

pub(crate) async fn organization_currency(
    conn: &impl sea_orm::ConnectionTrait,
    org: OrganizationId,
) -> AppResult<crate::domain::money::Currency> {
    let organization = organization::Entity::find_by_id(org.0)
        .one(conn)
        .await?
        .ok_or(AppError::NotFound)?;
    rules::stored_currency(&organization.default_currency)
}

async fn check_collector(
    conn: &impl sea_orm::ConnectionTrait,
    org: OrganizationId,
    collector: Uuid,
    checks: &mut Validation,
) -> AppResult<()> {
    let found = user::Entity::find_in_org(collector, org).one(conn).await?;
    match found {
        None => checks.add(FieldError::new(
            &["assignedCollectorId"],
            "NOT_FOUND",
            "no such user",
        )),
        Some(user) if !user.role.allows(Role::Collector) => checks.add(FieldError::new(
            &["assignedCollectorId"],
            "NOT_A_COLLECTOR",
            "a VIEWER cannot be assigned customers to collect from",
        )),
        Some(_) => {}
    }
    Ok(())
}

async fn check_external_ref_free(
    conn: &impl sea_orm::ConnectionTrait,
    org: OrganizationId,
    external_ref: &str,
    except: Option<Uuid>,
    checks: &mut Validation,
) -> AppResult<()> {
    let column = customer::Column::ExternalRef;
    super::scope::external_ref_free::<customer::Entity>(
        conn,
        org,
        column,
        external_ref,
        except,
        "customer",
        checks,
    )
    .await
}

/// A race past the pre-check still ends as DUPLICATE, not as a 500.
fn duplicate_external_ref(error: sea_orm::DbErr) -> AppError {
    if is_unique_violation(&error) {
        FieldError::new(
            &["externalRef"],
            "DUPLICATE",
            "another customer has this reference",
        )
        .into_error()
    } else {
        error.into()
    }
}

/// Keeps the assignment history that portfolios "at the time" are read from: the old
/// collector's stretch ends and the new one's starts, at the same instant.
pub(crate) async fn reassign(
    conn: &impl ConnectionTrait,
    org: OrganizationId,
    customer_id: Uuid,
    before: Option<Uuid>,
    after: Option<Uuid>,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<()> {
    if before == after {
        return Ok(());
    }
    if before.is_some() {
        customer_assignment::Entity::update_many()
            .col_expr(
                customer_assignment::Column::UnassignedAt,
                sea_orm::sea_query::Expr::value(now),
            )
            .filter(customer_assignment::Column::OrganizationId.eq(org.0))
            .filter(customer_assignment::Column::CustomerId.eq(customer_id))
            .filter(customer_assignment::Column::UnassignedAt.is_null())
            .exec(conn)
            .await?;
    }
    if let Some(collector_id) = after {
        customer_assignment::ActiveModel {
            id: Set(Uuid::now_v7()),
            organization_id: Set(org.0),
            customer_id: Set(customer_id),
            collector_id: Set(collector_id),
            assigned_at: Set(now),
            unassigned_at: Set(None),
        }
        .insert(conn)
        .await?;
    }
    Ok(())
}
