//! Tenant scoping: every query for a tenant-owned table starts from [`OrgScoped::in_org`], so an
//! id from another organization finds nothing, exactly like an id that does not exist.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Select};
use uuid::Uuid;

use crate::domain::ids::OrganizationId;
use crate::entities::{
    activity, api_token, contact, customer, customer_assignment, dispute, exchange_rate,
    installment_rate_table, instrument, instrument_event, invoice, message_template, payment,
    payment_allocation, payment_attempt, payment_link, payment_link_installment,
    payment_link_invoice, payment_plan, payment_plan_charge, payment_plan_invoice,
    plan_installment, plan_reminder_send, promise, promise_invoice, reminder_policy, reminder_send,
    task, task_invoice, user, webhook_delivery, webhook_endpoint, webhook_event,
};
use crate::error::{AppResult, FieldError, Validation};

/// A table whose rows belong to one organization.
pub trait OrgScoped: EntityTrait {
    /// The table's `organization_id` column.
    fn organization_column() -> Self::Column;

    /// The table's `id` column.
    fn id_column() -> Self::Column;

    /// A row's id.
    fn id_of(model: &Self::Model) -> Uuid;

    /// All of the organization's rows, and no others.
    fn in_org(organization: OrganizationId) -> Select<Self> {
        Self::find().filter(Self::organization_column().eq(organization.0))
    }

    /// One row by id, only if it belongs to the organization.
    fn find_in_org(id: Uuid, organization: OrganizationId) -> Select<Self> {
        Self::in_org(organization).filter(Self::id_column().eq(id))
    }
}

/// The organization's customer with this id; when there is none, a NOT_FOUND on `customerId` is
/// added to `checks` (so the caller can report it with the input's other errors).
pub async fn customer_for_input(
    conn: &impl ConnectionTrait,
    organization: OrganizationId,
    id: Uuid,
    checks: &mut Validation,
) -> AppResult<Option<customer::Model>> {
    let found = customer::Entity::find_in_org(id, organization)
        .one(conn)
        .await?;
    checks.check(
        found.is_none(),
        &["customerId"],
        "NOT_FOUND",
        "no such customer",
    );
    Ok(found)
}

/// The organization's invoices with these ids, by id.
pub async fn invoices_by_id(
    conn: &impl ConnectionTrait,
    organization: OrganizationId,
    ids: impl IntoIterator<Item = Uuid>,
) -> AppResult<std::collections::HashMap<Uuid, invoice::Model>> {
    Ok(invoice::Entity::in_org(organization)
        .filter(invoice::Column::Id.is_in(ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|invoice| (invoice.id, invoice))
        .collect())
}

/// The customer's invoices named by `invoiceIds`, each checked: NOT_FOUND, another customer's
/// (INVOICE_OF_OTHER_CUSTOMER), or, when `currency` is given, in another (CURRENCY_MISMATCH).
pub async fn customer_invoices_for_input(
    conn: &impl ConnectionTrait,
    organization: OrganizationId,
    customer_id: Uuid,
    invoice_ids: &[Uuid],
    currency: Option<&str>,
    checks: &mut Validation,
) -> AppResult<std::collections::HashMap<Uuid, invoice::Model>> {
    let found = invoices_by_id(conn, organization, invoice_ids.iter().copied()).await?;
    for (index, id) in invoice_ids.iter().enumerate() {
        let position = index.to_string();
        let field = ["invoiceIds", position.as_str()];
        let problem = match found.get(id) {
            None => Some(("NOT_FOUND", "no such invoice".to_owned())),
            Some(invoice) if invoice.customer_id != customer_id => Some((
                "INVOICE_OF_OTHER_CUSTOMER",
                "the invoice is another customer's".to_owned(),
            )),
            Some(invoice) if currency.is_some_and(|code| code != invoice.currency) => Some((
                "CURRENCY_MISMATCH",
                format!("the invoice is in {}", invoice.currency),
            )),
            Some(_) => None,
        };
        if let Some((code, message)) = problem {
            checks.add(FieldError::new(&field, code, message));
        }
    }
    Ok(found)
}

/// Refuses (DUPLICATE on `externalRef`) an external reference that another row of the
/// organization has in `column`; `except` is the row being changed, `noun` names the kind.
pub async fn external_ref_free<E: OrgScoped>(
    conn: &impl ConnectionTrait,
    organization: OrganizationId,
    column: E::Column,
    external_ref: &str,
    except: Option<Uuid>,
    noun: &str,
    checks: &mut Validation,
) -> AppResult<()> {
    let mut taken = E::in_org(organization).filter(column.eq(external_ref));
    if let Some(id) = except {
        taken = taken.filter(E::id_column().ne(id));
    }
    if taken.one(conn).await?.is_some() {
        checks.add(FieldError::new(
            &["externalRef"],
            "DUPLICATE",
            format!("another {noun} has the reference {external_ref:?}"),
        ));
    }
    Ok(())
}

/// The organization's invoice with this id, locked for the rest of the transaction, or a
/// NOT_FOUND on `id`.
pub async fn invoice_for_update(
    conn: &impl ConnectionTrait,
    organization: OrganizationId,
    id: Uuid,
) -> AppResult<invoice::Model> {
    invoice::Entity::find_in_org(id, organization)
        .lock_exclusive()
        .one(conn)
        .await?
        .ok_or_else(|| FieldError::new(&["id"], "NOT_FOUND", "no such invoice").into_error())
}

macro_rules! org_scoped {
    ($($module:ident),*) => {$(
        impl OrgScoped for $module::Entity {
            fn organization_column() -> Self::Column {
                $module::Column::OrganizationId
            }
            fn id_column() -> Self::Column {
                $module::Column::Id
            }
            fn id_of(model: &Self::Model) -> Uuid {
                model.id
            }
        }
    )*};
}

org_scoped!(
    user,
    api_token,
    customer,
    contact,
    invoice,
    payment,
    payment_allocation,
    payment_link,
    payment_link_invoice,
    activity,
    dispute,
    task,
    task_invoice,
    promise,
    promise_invoice,
    message_template,
    reminder_policy,
    reminder_send,
    customer_assignment,
    exchange_rate,
    instrument,
    instrument_event,
    payment_plan,
    payment_plan_invoice,
    plan_installment,
    payment_plan_charge,
    payment_link_installment,
    plan_reminder_send,
    webhook_endpoint,
    webhook_event,
    webhook_delivery,
    payment_attempt,
    installment_rate_table
);

/// Inserts rows in one statement; nothing when there are none (an empty INSERT is an error).
pub async fn insert_all<A>(
    conn: &impl ConnectionTrait,
    rows: impl IntoIterator<Item = A>,
) -> AppResult<()>
where
    A: sea_orm::ActiveModelTrait + Send,
{
    let mut rows = rows.into_iter().peekable();
    if rows.peek().is_some() {
        A::Entity::insert_many(rows).exec(conn).await?;
    }
    Ok(())
}
