//! The activity log: appended by every use case inside its own transaction, logged by hand by
//! collectors, and read newest first. Rows are never updated or deleted.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    Select,
};
use serde_json::json;
use uuid::Uuid;

use super::listing::{FilterIf, Keyset, time_key};
use super::rules;
use super::scope::{OrgScoped, customer_for_input};
use super::webhooks::events;
use crate::auth::Viewer;
use crate::clock::Clock;
use crate::db::Db;
use crate::domain::activity::ActivityKind;
use crate::domain::ids::{ActivityId, OrganizationId};
use crate::domain::money::Money;
use crate::domain::role::Role;
use crate::entities::{activity, invoice, organization};
use crate::error::{AppResult, FieldError, Validation};

/// Who did it: a person, or a system such as a payment provider.
#[derive(Debug, Clone, Copy)]
pub enum Actor<'a> {
    User(&'a Viewer),
    System(&'a str),
}

/// An entry to append.
#[derive(Debug, Clone)]
pub struct Entry {
    pub customer_id: Uuid,
    pub invoice_id: Option<Uuid>,
    pub kind: ActivityKind,
    pub note: Option<String>,
    pub data: serde_json::Value,
}

impl Entry {
    /// An entry about one invoice (and so about its customer).
    pub fn for_invoice(
        invoice: &invoice::Model,
        kind: ActivityKind,
        note: Option<String>,
        data: serde_json::Value,
    ) -> Self {
        Self {
            customer_id: invoice.customer_id,
            invoice_id: Some(invoice.id),
            kind,
            note,
            data,
        }
    }
}

/// Appends an entry; call it inside the transaction of the change it records.
pub async fn append(
    conn: &impl ConnectionTrait,
    organization: OrganizationId,
    actor: Actor<'_>,
    entry: Entry,
    at: DateTime<Utc>,
) -> AppResult<activity::Model> {
    append_with(conn, organization, actor, entry, at, Vec::new()).await
}

/// Appends an entry, publishing `more` events of the same change with its own (so the change
/// looks up the organization's webhook endpoints once).
pub async fn append_with(
    conn: &impl ConnectionTrait,
    organization: OrganizationId,
    actor: Actor<'_>,
    entry: Entry,
    at: DateTime<Utc>,
    more: Vec<events::Event>,
) -> AppResult<activity::Model> {
    let written = row(organization, actor, entry, at).insert(conn).await?;
    let rows = std::slice::from_ref(&written);
    events::activities_written_with(conn, organization, rows, more, at).await?;
    Ok(written)
}

/// Appends many rows of one organization (made by [`row`]) in few statements, with their
/// webhook events and live notices; call it inside the transaction of the change.
pub async fn append_rows(
    conn: &impl ConnectionTrait,
    organization: OrganizationId,
    rows: Vec<activity::ActiveModel>,
    at: DateTime<Utc>,
) -> AppResult<()> {
    use sea_orm::TryIntoModel as _;
    let mut written = Vec::with_capacity(rows.len());
    for row in &rows {
        written.push(row.clone().try_into_model()?);
    }
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        super::scope::insert_all(conn, chunk.to_vec()).await?;
    }
    events::activities_written(conn, organization, &written, at).await
}

/// Activity rows per INSERT (9 columns each, under SQLite's limit on bound parameters).
const ROWS_PER_INSERT: usize = 1_000;

/// The row of an entry, for callers that write many at once.
pub fn row(
    organization: OrganizationId,
    actor: Actor<'_>,
    entry: Entry,
    at: DateTime<Utc>,
) -> activity::ActiveModel {
    let (actor_user_id, actor_label) = match actor {
        Actor::User(viewer) => (Some(viewer.user_id.0), viewer.email.clone()),
        Actor::System(label) => (None, label.to_owned()),
    };
    activity::ActiveModel {
        id: Set(ActivityId::new().0),
        organization_id: Set(organization.0),
        customer_id: Set(entry.customer_id),
        invoice_id: Set(entry.invoice_id),
        actor_user_id: Set(actor_user_id),
        actor_label: Set(actor_label),
        kind: Set(entry.kind),
        note: Set(entry.note),
        data: Set(entry.data),
        occurred_at: Set(at),
    }
}

/// What a collector logs by hand.
#[derive(Debug, Clone)]
pub struct LogActivity {
    pub kind: ActivityKind,
    pub customer_id: Uuid,
    pub invoice_id: Option<Uuid>,
    pub note: Option<String>,
    pub promised_amount: Option<Decimal>,
    pub promised_date: Option<NaiveDate>,
    /// For a promise without an invoice; default the organization's currency.
    pub currency: Option<String>,
}

/// Logs a NOTE, CALL, EMAIL, MEETING, PROMISE_TO_PAY (amount and date in `data`) or DISPUTE
/// (which marks the invoice disputed).
#[tracing::instrument(skip_all, fields(kind = ?input.kind))]
pub async fn log(
    db: &Db,
    clock: &dyn Clock,
    viewer: &Viewer,
    input: LogActivity,
) -> AppResult<activity::Model> {
    viewer.require(Role::Collector)?;
    let org = viewer.organization_id;
    let mut checks = Validation::new();
    checks.check(
        !input.kind.is_manual(),
        &["kind"],
        "NOT_LOGGABLE",
        "this kind is recorded by the system; log NOTE, CALL, EMAIL, MEETING, PROMISE_TO_PAY or DISPUTE",
    );
    let note = checks
        .take(rules::optional_note(
            input.note.as_deref(),
            10_000,
            &["note"],
        ))
        .flatten();
    checks.check(
        input.kind == ActivityKind::Note && note.is_none(),
        &["note"],
        "REQUIRED",
        "a note needs its text",
    );

    let txn = db.begin().await?;
    let _customer = customer_for_input(&txn, org, input.customer_id, &mut checks).await?;
    let invoice = match input.invoice_id {
        None => None,
        Some(id) => {
            let found = invoice::Entity::find_in_org(id, org).one(&txn).await?;
            match &found {
                None => checks.add(FieldError::new(
                    &["invoiceId"],
                    "NOT_FOUND",
                    "no such invoice",
                )),
                Some(invoice) if invoice.customer_id != input.customer_id => {
                    checks.add(FieldError::new(
                        &["invoiceId"],
                        "INVOICE_OF_OTHER_CUSTOMER",
                        "the invoice belongs to another customer",
                    ))
                }
                Some(_) => {}
            }
            found
        }
    };

    let mut data = json!({});
    // What a PROMISE_TO_PAY promises, for the promise it becomes.
    let mut promised: Option<(Money, NaiveDate)> = None;
    match input.kind {
        ActivityKind::PromiseToPay => {
            let currency_code = match (&invoice, &input.currency) {
                (Some(invoice), _) => Some(invoice.currency.clone()),
                (None, Some(code)) => Some(code.clone()),
                (None, None) => organization::Entity::find_by_id(org.0)
                    .one(&txn)
                    .await?
                    .map(|o| o.default_currency),
            };
            let currency = currency_code
                .and_then(|code: String| checks.take(rules::currency(&code, &["currency"])));
            if let (Some(invoice), Some(code)) = (&invoice, &input.currency) {
                checks.check(
                    code.trim() != invoice.currency,
                    &["currency"],
                    "CURRENCY_MISMATCH",
                    format!("the invoice is in {}", invoice.currency),
                );
            }
            match (input.promised_amount, currency) {
                (None, _) => checks.add(FieldError::new(
                    &["promisedAmount"],
                    "REQUIRED",
                    "a promise needs an amount",
                )),
                (Some(amount), Some(currency)) => {
                    if let Some(money) = checks.take(rules::positive_amount(
                        amount,
                        currency,
                        &["promisedAmount"],
                    )) {
                        data["promisedAmount"] = json!(money.to_decimal().to_string());
                        data["currency"] = json!(currency.code());
                        promised = input.promised_date.map(|date| (money, date));
                    }
                }
                (Some(_), None) => {}
            }
            match input.promised_date {
                None => checks.add(FieldError::new(
                    &["promisedDate"],
                    "REQUIRED",
                    "a promise needs a date",
                )),
                Some(date) if date < clock.today() => checks.add(FieldError::new(
                    &["promisedDate"],
                    "DATE_IN_PAST",
                    "a promise to pay is for today or later",
                )),
                Some(date) => data["promisedDate"] = json!(date.to_string()),
            }
        }
        ActivityKind::Dispute => {
            checks.check(
                input.invoice_id.is_none(),
                &["invoiceId"],
                "REQUIRED",
                "a dispute is about an invoice",
            );
        }
        _ => {
            checks.check(
                input.promised_amount.is_some() || input.promised_date.is_some(),
                &["promisedAmount"],
                "NOT_A_PROMISE",
                "only PROMISE_TO_PAY takes a promised amount and date",
            );
        }
    }
    checks.finish()?;

    let now = clock.now();
    if let (ActivityKind::Dispute, Some(invoice)) = (input.kind, &invoice) {
        invoice::Entity::update_many()
            .col_expr(
                invoice::Column::Disputed,
                sea_orm::sea_query::Expr::value(true),
            )
            .col_expr(
                invoice::Column::UpdatedAt,
                sea_orm::sea_query::Expr::value(now),
            )
            .filter(invoice::Column::Id.eq(invoice.id))
            .exec(&txn)
            .await?;
        data["number"] = json!(invoice.number);
    }
    let entry = Entry {
        customer_id: input.customer_id,
        invoice_id: input.invoice_id,
        kind: input.kind,
        note,
        data,
    };
    let logged = append(&txn, org, Actor::User(viewer), entry, now).await?;
    if let Some((amount, date)) = promised {
        // The promise covers the named invoice, else the customer's unpaid ones in its currency;
        // with nothing to cover, the note stays a note.
        let covered: Vec<Uuid> = match &invoice {
            Some(invoice) => vec![invoice.id],
            None => invoice::Entity::in_org(org)
                .filter(invoice::Column::CustomerId.eq(input.customer_id))
                .filter(invoice::Column::Currency.eq(amount.currency.code()))
                .filter(super::invoices::unpaid())
                .all(&txn)
                .await?
                .into_iter()
                .map(|invoice| invoice.id)
                .collect(),
        };
        if !covered.is_empty() {
            let promise = super::promises::Promised {
                customer_id: input.customer_id,
                invoice_ids: &covered,
                amount,
                promised_date: date,
                note: logged.note.clone(),
                log_made: false,
            };
            super::promises::record(&txn, org, Actor::User(viewer), promise, now).await?;
        }
    }
    txn.commit().await?;
    Ok(logged)
}

/// What to list.
#[derive(Debug, Clone, Default)]
pub struct ActivityFilter {
    pub customer_id: Option<Uuid>,
    pub invoice_id: Option<Uuid>,
    pub actor_id: Option<Uuid>,
    pub kinds: Option<Vec<ActivityKind>>,
}

/// The filtered rows of the organization (for the page and its total count).
pub fn filtered(organization: OrganizationId, filter: &ActivityFilter) -> Select<activity::Entity> {
    activity::Entity::in_org(organization)
        .eq_if(activity::Column::CustomerId, filter.customer_id)
        .eq_if(activity::Column::InvoiceId, filter.invoice_id)
        .eq_if(activity::Column::ActorUserId, filter.actor_id)
        .in_if(activity::Column::Kind, filter.kinds.clone())
}

/// The log, newest first.
pub const ORDER: Keyset<activity::Entity> = Keyset::newest_first(
    activity::Column::OccurredAt,
    activity::Column::Id,
    |model: &activity::Model| time_key(&model.occurred_at),
);
