//! Bulk upserts from the ERP: customers and invoices keyed by their external reference, payments
//! by theirs. A new
//! key inserts, a known key updates only what changed (logged only then), an identical row
//! changes nothing, so importing the same file twice is a no-op. Each row is checked by the same
//! rules as the single mutations and answered on its own; ALL_OR_NOTHING writes nothing when any
//! row is refused, VALID_ROWS writes the others.
//!
//! Rows are read and written in chunks (one lookup per chunk, multi-row inserts), all in one
//! transaction.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rust_decimal::Decimal;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

use super::activities::{self, Actor, Entry};
use super::link_pricing;
use super::rules;
use super::scope::{OrgScoped, insert_all};
use crate::auth::Viewer;
use crate::domain::activity::ActivityKind;
use crate::domain::ids::{CustomerId, InvoiceId, OrganizationId};
use crate::domain::invoice::InvoiceStatus;
use crate::domain::role::Role;
use crate::entities::{activity, customer, invoice};
use crate::error::{AppResult, FieldError, Validation};
use crate::state::AppState;

/// The most rows one import takes.
pub const MAX_ROWS: usize = 10_000;
/// Keys looked up per statement.
const CHUNK: usize = 500;

/// Who imports: a MANAGER through the API, or the command line (the activity log then names
/// `import`).
#[derive(Debug, Clone, Copy)]
pub struct Importer<'a> {
    pub org: OrganizationId,
    pub actor: Actor<'a>,
    /// The user recorded on payments; none from the command line.
    pub user_id: Option<Uuid>,
    /// Check and answer every row, then write nothing.
    pub dry_run: bool,
}

impl<'a> Importer<'a> {
    /// A person through the API: MANAGER and up.
    pub fn user(viewer: &'a Viewer) -> AppResult<Self> {
        viewer.require(Role::Manager)?;
        Ok(Importer {
            org: viewer.organization_id,
            actor: Actor::User(viewer),
            user_id: Some(viewer.user_id.0),
            dry_run: false,
        })
    }

    /// The command line, for an organization.
    pub fn command_line(org: OrganizationId, dry_run: bool) -> Self {
        Importer {
            org,
            actor: Actor::System("import"),
            user_id: None,
            dry_run,
        }
    }
}

/// What to do when some rows are refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Write nothing at all.
    AllOrNothing,
    /// Write the rows that pass.
    #[default]
    ValidRows,
}

/// What became of one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Updated,
    Unchanged,
    Rejected,
}

/// One row's answer.
#[derive(Debug, Clone)]
pub struct RowResult {
    /// 1 for the first row.
    pub row: usize,
    pub external_ref: Option<String>,
    pub outcome: Outcome,
    /// The customer or invoice (when one exists).
    pub id: Option<Uuid>,
    pub errors: Vec<FieldError>,
}

/// What an import did.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub rejected: usize,
    pub results: Vec<RowResult>,
}

impl Report {
    fn push(&mut self, result: RowResult) {
        match result.outcome {
            Outcome::Created => self.created += 1,
            Outcome::Updated => self.updated += 1,
            Outcome::Unchanged => self.unchanged += 1,
            Outcome::Rejected => self.rejected += 1,
        }
        self.results.push(result);
    }

    /// ALL_OR_NOTHING with a refused row: nothing was written, so no row was created or
    /// updated; the refused rows say why.
    fn nothing_written(self) -> Report {
        let mut report = Report::default();
        for mut result in self.results {
            if result.outcome == Outcome::Created {
                // Never written: it has no id.
                result.id = None;
            }
            if matches!(result.outcome, Outcome::Created | Outcome::Updated) {
                result.outcome = Outcome::Unchanged;
            }
            report.push(result);
        }
        report
    }
}

/// A row's refusal, or what it checked out as.
fn rejected(row: usize, external_ref: Option<String>, errors: Vec<FieldError>) -> RowResult {
    RowResult {
        row,
        external_ref,
        outcome: Outcome::Rejected,
        id: None,
        errors,
    }
}

/// Refuses more than [`MAX_ROWS`] rows, or none.
fn check_size(rows: usize) -> AppResult<()> {
    let mut checks = Validation::new();
    checks.check(
        rows == 0,
        &["rows"],
        "REQUIRED",
        "an import has at least one row",
    );
    checks.check(
        rows > MAX_ROWS,
        &["rows"],
        "TOO_MANY_ROWS",
        format!("an import takes at most {MAX_ROWS} rows; split the file"),
    );
    checks.finish()
}

/// A required external reference, checked like the single mutations'.
fn required_ref(value: &str, field: &'static str, checks: &mut Validation) -> String {
    match checks.take(rules::external_ref(Some(value), &[field])) {
        Some(Some(reference)) => reference,
        Some(None) => {
            checks.add(FieldError::new(
                &[field],
                "REQUIRED",
                "a reference is required",
            ));
            String::new()
        }
        None => String::new(),
    }
}

/// The field changes of one row, as `{field: {from, to}}`.
#[derive(Default)]
struct Changes(serde_json::Map<String, Value>);

impl Changes {
    /// Notes a change when `new` differs from `old`; answers whether it did.
    fn note<T: PartialEq + serde::Serialize>(&mut self, name: &str, old: &T, new: &T) -> bool {
        if old == new {
            return false;
        }
        self.0
            .insert(name.to_owned(), json!({"from": old, "to": new}));
        true
    }
}

/// One customer row from the ERP.
#[derive(Debug, Clone, Default)]
pub struct CustomerRow {
    pub external_ref: String,
    pub name: String,
    pub tax_id: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    /// Default 30 for a new customer; an existing one keeps its own.
    pub payment_terms_days: Option<i32>,
}

/// A customer row that passed its checks.
struct CheckedCustomer {
    external_ref: String,
    name: String,
    tax_id: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    address: Option<String>,
    terms: Option<i32>,
}

fn check_customer(row: &CustomerRow) -> Result<CheckedCustomer, Vec<FieldError>> {
    let mut checks = Validation::new();
    let external_ref = required_ref(&row.external_ref, "externalRef", &mut checks);
    let name = checks.value(rules::required_text(&row.name, 300, &["name"]));
    let tax_id = checks.value(rules::optional_tax_id(row.tax_id.as_deref(), &["taxId"]));
    let email = checks.value(rules::optional_email(row.email.as_deref(), &["email"]));
    let phone = checks.value(rules::optional_phone(row.phone.as_deref(), &["phone"]));
    let address = checks.value(rules::optional_note(
        row.address.as_deref(),
        1_000,
        &["address"],
    ));
    let terms = match row.payment_terms_days {
        Some(days) => checks.take(rules::payment_terms(days, &["paymentTermsDays"])),
        None => None,
    };
    checks.into_errors().map(|()| CheckedCustomer {
        external_ref,
        name,
        tax_id,
        email,
        phone,
        address,
        terms,
    })
}

/// MANAGER and up: customers upserted by external reference.
#[tracing::instrument(skip_all, fields(rows = rows.len()))]
pub async fn customers(
    app: &AppState,
    importer: Importer<'_>,
    mode: Mode,
    rows: Vec<CustomerRow>,
) -> AppResult<Report> {
    check_size(rows.len())?;
    let org = importer.org;
    let now = app.clock.now();
    let mut report = Report::default();
    let mut checked = Vec::with_capacity(rows.len());
    let mut seen = HashSet::new();
    for (index, row) in rows.iter().enumerate() {
        match check_customer(row) {
            Ok(valid) if !seen.insert(valid.external_ref.clone()) => {
                let error = FieldError::new(
                    &["externalRef"],
                    "DUPLICATE",
                    "the reference appears earlier in this import",
                );
                report.push(rejected(index + 1, Some(valid.external_ref), vec![error]));
            }
            Ok(valid) => checked.push((index + 1, valid)),
            Err(errors) => report.push(rejected(index + 1, Some(row.external_ref.clone()), errors)),
        }
    }
    let txn = begin(app, rows.len()).await?;
    let refs: Vec<String> = checked
        .iter()
        .map(|(_, row)| row.external_ref.clone())
        .collect();
    let existing = customers_by_ref(&txn, org, &refs).await?;
    let mut inserts = Vec::new();
    let mut logs = Vec::new();
    let actor = importer.actor;
    for (row_number, row) in checked {
        let result = match existing.get(&row.external_ref) {
            None => {
                let id = CustomerId::new().0;
                let terms = row
                    .terms
                    .unwrap_or(super::customers::DEFAULT_PAYMENT_TERMS_DAYS);
                inserts.push(customer::ActiveModel {
                    id: Set(id),
                    organization_id: Set(org.0),
                    external_ref: Set(Some(row.external_ref.clone())),
                    name: Set(row.name.clone()),
                    tax_id: Set(row.tax_id),
                    email: Set(row.email),
                    phone: Set(row.phone),
                    address: Set(row.address),
                    payment_terms_days: Set(terms),
                    assigned_collector_id: Set(None),
                    credit_limit_minor: Set(None),
                    credit_limit_currency: Set(None),
                    blocked: Set(false),
                    language: Set(None),
                    reminder_policy_id: Set(None),
                    reminders_off: Set(None),
                    dunning_paused_until: Set(None),
                    dunning_pause_reason: Set(None),
                    created_at: Set(now),
                    updated_at: Set(now),
                });
                let entry = Entry {
                    customer_id: id,
                    invoice_id: None,
                    kind: ActivityKind::CustomerCreated,
                    note: None,
                    data: json!({"name": row.name, "externalRef": row.external_ref, "import": true}),
                };
                logs.push(activities::row(org, actor, entry, now));
                RowResult {
                    row: row_number,
                    external_ref: Some(row.external_ref),
                    outcome: Outcome::Created,
                    id: Some(id),
                    errors: Vec::new(),
                }
            }
            Some(found) => {
                let mut changes = Changes::default();
                let mut update: customer::ActiveModel = found.clone().into();
                if changes.note("name", &found.name, &row.name) {
                    update.name = Set(row.name.clone());
                }
                if changes.note("taxId", &found.tax_id, &row.tax_id) {
                    update.tax_id = Set(row.tax_id.clone());
                }
                if changes.note("email", &found.email, &row.email) {
                    update.email = Set(row.email.clone());
                }
                if changes.note("phone", &found.phone, &row.phone) {
                    update.phone = Set(row.phone.clone());
                }
                if changes.note("address", &found.address, &row.address) {
                    update.address = Set(row.address.clone());
                }
                if let Some(terms) = row.terms
                    && changes.note("paymentTermsDays", &found.payment_terms_days, &terms)
                {
                    update.payment_terms_days = Set(terms);
                }
                let outcome = if changes.0.is_empty() {
                    Outcome::Unchanged
                } else {
                    update.updated_at = Set(now);
                    update.update(&txn).await?;
                    let entry = Entry {
                        customer_id: found.id,
                        invoice_id: None,
                        kind: ActivityKind::CustomerUpdated,
                        note: None,
                        data: json!({"changed": changes.0, "import": true}),
                    };
                    logs.push(activities::row(org, actor, entry, now));
                    Outcome::Updated
                };
                RowResult {
                    row: row_number,
                    external_ref: Some(row.external_ref),
                    outcome,
                    id: Some(found.id),
                    errors: Vec::new(),
                }
            }
        };
        report.push(result);
    }
    finish(
        txn,
        mode,
        importer.dry_run,
        report,
        inserts,
        (org, logs, now),
    )
    .await
}

/// Writes the new rows and the log, and commits — unless ALL_OR_NOTHING met a refused row, or
/// it is a dry run.
async fn finish<A>(
    txn: sea_orm::DatabaseTransaction,
    mode: Mode,
    dry_run: bool,
    mut report: Report,
    inserts: Vec<A>,
    (org, logs, now): (OrganizationId, Vec<activity::ActiveModel>, DateTime<Utc>),
) -> AppResult<Report>
where
    A: sea_orm::ActiveModelTrait + Send + Clone,
{
    report.results.sort_by_key(|result| result.row);
    if mode == Mode::AllOrNothing && report.rejected > 0 {
        drop(txn);
        return Ok(report.nothing_written());
    }
    if dry_run {
        // Every row answered as it would be; the transaction goes unwritten.
        drop(txn);
        return Ok(report);
    }
    for chunk in inserts.chunks(CHUNK) {
        insert_all(&txn, chunk.to_vec()).await?;
    }
    activities::append_rows(&txn, org, logs, now).await?;
    txn.commit().await?;
    Ok(report)
}

/// The import's transaction. On PostgreSQL each statement is planned for its own keys (a plan
/// cached for "any 500 references" filters every row through a 500-parameter array: 360 ms
/// against 2 ms per lookup on 10,000 customers), on fresh statistics (tables that grew by a
/// whole earlier batch would otherwise be read in full for each lookup instead of through the
/// reference's index). Statistics are refreshed only for a bulk batch: a few rows from the API
/// need not pay for sampling the tables.
async fn begin(app: &AppState, rows: usize) -> AppResult<sea_orm::DatabaseTransaction> {
    let txn = app.db.begin().await?;
    if app.db.kind() == crate::config::DatabaseKind::Postgres {
        txn.execute_unprepared("SET LOCAL plan_cache_mode = force_custom_plan")
            .await?;
        if rows >= ANALYZE_FROM_ROWS {
            txn.execute_unprepared("ANALYZE customers, invoices")
                .await?;
        }
    }
    Ok(txn)
}

/// The batch size from which an import refreshes the tables' statistics first.
const ANALYZE_FROM_ROWS: usize = 1_000;

/// The organization's customers with these external references, by reference.
async fn customers_by_ref(
    conn: &impl ConnectionTrait,
    org: OrganizationId,
    refs: &[String],
) -> AppResult<HashMap<String, customer::Model>> {
    let mut found = HashMap::with_capacity(refs.len());
    for chunk in refs.chunks(CHUNK) {
        for row in customer::Entity::in_org(org)
            .filter(customer::Column::ExternalRef.is_in(chunk.iter().cloned()))
            .all(conn)
            .await?
        {
            if let Some(reference) = row.external_ref.clone() {
                found.insert(reference, row);
            }
        }
    }
    Ok(found)
}

/// One invoice row from the ERP.
#[derive(Debug, Clone)]
pub struct InvoiceRow {
    pub external_ref: String,
    pub customer_external_ref: String,
    pub number: String,
    pub issue_date: NaiveDate,
    /// Default for a new invoice: the issue date plus the customer's terms; an existing one
    /// keeps its own.
    pub due_date: Option<NaiveDate>,
    pub currency: String,
    pub total: Decimal,
    pub description: Option<String>,
}

/// An invoice row that passed the checks needing no database.
struct CheckedInvoice {
    external_ref: String,
    customer_ref: String,
    number: String,
    issue_date: NaiveDate,
    due_date: Option<NaiveDate>,
    total: crate::domain::money::Money,
    description: Option<String>,
}

fn check_invoice(row: &InvoiceRow) -> Result<CheckedInvoice, Vec<FieldError>> {
    let mut checks = Validation::new();
    let external_ref = required_ref(&row.external_ref, "externalRef", &mut checks);
    let customer_ref = required_ref(
        &row.customer_external_ref,
        "customerExternalRef",
        &mut checks,
    );
    let number = checks.value(rules::required_text(&row.number, 64, &["number"]));
    let description = checks.value(rules::optional_note(
        row.description.as_deref(),
        2_000,
        &["description"],
    ));
    let total = rules::money_input(
        &mut checks,
        row.total,
        &["total"],
        &row.currency,
        &["currency"],
    );
    if let Some(due) = row.due_date {
        checks.check(
            due < row.issue_date,
            &["dueDate"],
            "DUE_BEFORE_ISSUE",
            "the due date cannot be before the issue date",
        );
        checks.check(
            due > crate::domain::invoice::MAX_DATE,
            &["dueDate"],
            "OUT_OF_RANGE",
            format!("dates are at most {}", crate::domain::invoice::MAX_DATE),
        );
    }
    checks.into_errors().map(|()| CheckedInvoice {
        external_ref,
        customer_ref,
        number,
        issue_date: row.issue_date,
        due_date: row.due_date,
        total,
        description,
    })
}

/// MANAGER and up: invoices upserted by external reference, each naming its customer by the
/// customer's external reference. An existing invoice keeps its customer and currency; its
/// total may not fall below what was paid on it, nor change while a payment plan covers it.
#[tracing::instrument(skip_all, fields(rows = rows.len()))]
pub async fn invoices(
    app: &AppState,
    importer: Importer<'_>,
    mode: Mode,
    rows: Vec<InvoiceRow>,
) -> AppResult<Report> {
    check_size(rows.len())?;
    let org = importer.org;
    let now = app.clock.now();
    let mut report = Report::default();
    let mut checked = Vec::with_capacity(rows.len());
    let mut seen_refs = HashSet::new();
    let mut seen_numbers = HashSet::new();
    for (index, row) in rows.iter().enumerate() {
        match check_invoice(row) {
            Ok(valid) => {
                let mut errors = Vec::new();
                if !seen_refs.insert(valid.external_ref.clone()) {
                    errors.push(FieldError::new(
                        &["externalRef"],
                        "DUPLICATE",
                        "the reference appears earlier in this import",
                    ));
                } else if !seen_numbers.insert(valid.number.clone()) {
                    errors.push(FieldError::new(
                        &["number"],
                        "DUPLICATE",
                        "the number appears earlier in this import",
                    ));
                }
                if errors.is_empty() {
                    checked.push((index + 1, valid));
                } else {
                    report.push(rejected(index + 1, Some(valid.external_ref), errors));
                }
            }
            Err(errors) => report.push(rejected(index + 1, Some(row.external_ref.clone()), errors)),
        }
    }
    let txn = begin(app, rows.len()).await?;
    let customer_refs: Vec<String> = checked
        .iter()
        .map(|(_, row)| row.customer_ref.clone())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let customers = customers_by_ref(&txn, org, &customer_refs).await?;
    let refs: Vec<String> = checked
        .iter()
        .map(|(_, row)| row.external_ref.clone())
        .collect();
    let existing = invoices_by(&txn, org, invoice::Column::ExternalRef, &refs).await?;
    let numbers: Vec<String> = checked.iter().map(|(_, row)| row.number.clone()).collect();
    let by_number: HashMap<String, Uuid> =
        invoices_by(&txn, org, invoice::Column::Number, &numbers)
            .await?
            .into_values()
            .map(|found| (found.number, found.id))
            .collect();
    let in_plans = super::plans::covered_for_customers(
        &txn,
        org,
        &existing
            .values()
            .map(|found| found.customer_id)
            .collect::<Vec<_>>(),
    )
    .await?;
    let mut inserts = Vec::new();
    let mut logs = Vec::new();
    let mut lowered = Vec::new();
    let actor = importer.actor;
    for (row_number, row) in checked {
        let reference = Some(row.external_ref.clone());
        let Some(customer) = customers.get(&row.customer_ref) else {
            let error = FieldError::new(
                &["customerExternalRef"],
                "CUSTOMER_NOT_FOUND",
                format!("no customer has the reference {:?}", row.customer_ref),
            );
            report.push(rejected(row_number, reference, vec![error]));
            continue;
        };
        let found = existing.get(&row.external_ref);
        let number_owner = by_number.get(&row.number).copied();
        if number_owner.is_some_and(|owner| Some(owner) != found.map(|found| found.id)) {
            let error = FieldError::new(
                &["number"],
                "DUPLICATE",
                format!("invoice {} exists already", row.number),
            );
            report.push(rejected(row_number, reference, vec![error]));
            continue;
        }
        let result = match found {
            None => {
                let due_date = row.due_date.unwrap_or(
                    row.issue_date + Duration::days(i64::from(customer.payment_terms_days)),
                );
                if due_date > crate::domain::invoice::MAX_DATE {
                    let error =
                        FieldError::new(&["dueDate"], "OUT_OF_RANGE", "the due date is too far");
                    report.push(rejected(row_number, reference, vec![error]));
                    continue;
                }
                let id = InvoiceId::new().0;
                inserts.push(invoice::ActiveModel {
                    id: Set(id),
                    organization_id: Set(org.0),
                    customer_id: Set(customer.id),
                    number: Set(row.number.clone()),
                    external_ref: Set(Some(row.external_ref.clone())),
                    issue_date: Set(row.issue_date),
                    due_date: Set(due_date),
                    currency: Set(row.total.currency.code().to_owned()),
                    total_minor: Set(row.total.minor),
                    paid_minor: Set(0),
                    status: Set(InvoiceStatus::Open),
                    disputed: Set(false),
                    description: Set(row.description.clone()),
                    void_reason: Set(None),
                    voided_on: Set(None),
                    paid_on: Set(None),
                    created_at: Set(now),
                    updated_at: Set(now),
                });
                let entry = Entry {
                    customer_id: customer.id,
                    invoice_id: Some(id),
                    kind: ActivityKind::InvoiceCreated,
                    note: None,
                    data: json!({"number": row.number, "total": row.total.to_decimal().to_string(), "currency": row.total.currency.code(), "import": true}),
                };
                logs.push(activities::row(org, actor, entry, now));
                RowResult {
                    row: row_number,
                    external_ref: reference,
                    outcome: Outcome::Created,
                    id: Some(id),
                    errors: Vec::new(),
                }
            }
            Some(found) => {
                match update_invoice(found, &row, customer.id, in_plans.contains(&found.id), now) {
                    Err(errors) => {
                        report.push(rejected(row_number, reference, errors));
                        continue;
                    }
                    Ok(None) => RowResult {
                        row: row_number,
                        external_ref: reference,
                        outcome: Outcome::Unchanged,
                        id: Some(found.id),
                        errors: Vec::new(),
                    },
                    Ok(Some((update, changes))) => {
                        if row.total.minor < found.total_minor {
                            lowered.push(found.id);
                        }
                        update.update(&txn).await?;
                        let entry = Entry {
                            customer_id: found.customer_id,
                            invoice_id: Some(found.id),
                            kind: ActivityKind::InvoiceUpdated,
                            note: None,
                            data: json!({"number": row.number, "changed": changes.0, "import": true}),
                        };
                        logs.push(activities::row(org, actor, entry, now));
                        RowResult {
                            row: row_number,
                            external_ref: reference,
                            outcome: Outcome::Updated,
                            id: Some(found.id),
                            errors: Vec::new(),
                        }
                    }
                }
            }
        };
        report.push(result);
    }
    let writes_allowed = !importer.dry_run && (mode == Mode::ValidRows || report.rejected == 0);
    let withdrawals = if writes_allowed && !lowered.is_empty() {
        // Links over invoices that now owe less must not ask the old amount.
        link_pricing::reconcile_links(&txn, org, &lowered, actor, now).await?
    } else {
        Vec::new()
    };
    let report = finish(
        txn,
        mode,
        importer.dry_run,
        report,
        inserts,
        (org, logs, now),
    )
    .await?;
    link_pricing::withdraw_at_providers(app, withdrawals).await;
    Ok(report)
}

/// An existing invoice brought in line with its row: None when nothing differs, else the
/// update and what changed; refused when the row would move it to another customer or
/// currency, change a void invoice, bring its total below what was paid, or change the total
/// of an invoice a payment plan covers.
fn update_invoice(
    found: &invoice::Model,
    row: &CheckedInvoice,
    customer_id: Uuid,
    in_plan: bool,
    now: DateTime<Utc>,
) -> Result<Option<(invoice::ActiveModel, Changes)>, Vec<FieldError>> {
    let mut checks = Validation::new();
    checks.check(
        found.customer_id != customer_id,
        &["customerExternalRef"],
        "CUSTOMER_FIXED",
        "an invoice stays with its customer: void it and import a new one",
    );
    checks.check(
        found.currency != row.total.currency.code(),
        &["currency"],
        "CURRENCY_FIXED",
        format!("the invoice is in {}", found.currency),
    );
    let mut changes = Changes::default();
    let mut update: invoice::ActiveModel = found.clone().into();
    if changes.note("number", &found.number, &row.number) {
        update.number = Set(row.number.clone());
    }
    if changes.note("issueDate", &found.issue_date, &row.issue_date) {
        update.issue_date = Set(row.issue_date);
    }
    let due_date = row.due_date.unwrap_or(found.due_date);
    checks.check(
        due_date < row.issue_date,
        &["dueDate"],
        "DUE_BEFORE_ISSUE",
        "the due date cannot be before the issue date",
    );
    if changes.note("dueDate", &found.due_date, &due_date) {
        update.due_date = Set(due_date);
    }
    if changes.note("description", &found.description, &row.description) {
        update.description = Set(row.description.clone());
    }
    let old_total = crate::domain::money::Money::from_minor(found.total_minor, row.total.currency);
    if found.total_minor != row.total.minor {
        checks.check(
            row.total.minor < found.paid_minor,
            &["total"],
            "TOTAL_BELOW_PAID",
            "the total cannot fall below what was paid on the invoice",
        );
        checks.check(
            in_plan,
            &["total"],
            "IN_PAYMENT_PLAN",
            "an active payment plan covers the invoice: cancel the plan first",
        );
        changes.note(
            "total",
            &old_total.to_decimal().to_string(),
            &row.total.to_decimal().to_string(),
        );
        let status = InvoiceStatus::from_amounts(row.total.minor, found.paid_minor);
        update.total_minor = Set(row.total.minor);
        update.status = Set(status);
        if status == InvoiceStatus::Paid {
            update.paid_on = Set(Some(found.paid_on.unwrap_or(now.date_naive())));
        } else {
            update.paid_on = Set(None);
        }
    }
    checks.check(
        found.status == InvoiceStatus::Void && !changes.0.is_empty(),
        &["externalRef"],
        "INVOICE_VOID",
        "a void invoice is frozen",
    );
    checks.into_errors()?;
    if changes.0.is_empty() {
        return Ok(None);
    }
    update.updated_at = Set(now);
    Ok(Some((update, changes)))
}

/// The organization's invoices whose `column` is one of `keys`, by that key.
async fn invoices_by(
    conn: &impl ConnectionTrait,
    org: OrganizationId,
    column: invoice::Column,
    keys: &[String],
) -> AppResult<HashMap<String, invoice::Model>> {
    let mut found = HashMap::with_capacity(keys.len());
    for chunk in keys.chunks(CHUNK) {
        for row in invoice::Entity::in_org(org)
            .filter(column.is_in(chunk.iter().cloned()))
            .all(conn)
            .await?
        {
            let key = match column {
                invoice::Column::Number => Some(row.number.clone()),
                _ => row.external_ref.clone(),
            };
            if let Some(key) = key {
                found.insert(key, row);
            }
        }
    }
    Ok(found)
}

/// One payment row from the ERP.
#[derive(Debug, Clone)]
pub struct PaymentRow {
    /// The ERP's key for the payment (dekont / fiş no): a payment with it is never recorded twice.
    pub reference: String,
    pub customer_external_ref: String,
    pub amount: Decimal,
    pub currency: String,
    pub method: crate::domain::payment::PaymentMethod,
    /// Default: now.
    pub received_at: Option<DateTime<Utc>>,
    /// (invoice external reference, amount); none: the customer's unpaid invoices oldest due
    /// first.
    pub allocations: Option<Vec<(String, Decimal)>>,
}

/// MANAGER and up: payments from the ERP, keyed by `reference`. A new reference is recorded like
/// `recordPayment` (allocated as the row says, or oldest due first); a known one is UNCHANGED when
/// it names the same customer, amount and currency, and refused otherwise — a recorded payment is
/// changed only by reversing it.
#[tracing::instrument(skip_all, fields(rows = rows.len()))]
pub async fn payments(
    app: &AppState,
    importer: Importer<'_>,
    mode: Mode,
    rows: Vec<PaymentRow>,
) -> AppResult<Report> {
    check_size(rows.len())?;
    let org = importer.org;
    let now = app.clock.now();
    let mut report = Report::default();
    let txn = begin(app, rows.len()).await?;
    let customer_refs: Vec<String> = rows
        .iter()
        .map(|row| row.customer_external_ref.clone())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let customers = customers_by_ref(&txn, org, &customer_refs).await?;
    let invoice_refs: Vec<String> = rows
        .iter()
        .flat_map(|row| row.allocations.iter().flatten().map(|(r, _)| r.clone()))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let invoices = invoices_by(&txn, org, invoice::Column::ExternalRef, &invoice_refs).await?;
    let mut seen = HashSet::new();
    let mut withdrawals = Vec::new();
    for (index, row) in rows.into_iter().enumerate() {
        let number = index + 1;
        let mut checks = Validation::new();
        let reference = required_ref(&row.reference, "reference", &mut checks);
        let reference_given = Some(row.reference.clone());
        checks.check(
            !reference.is_empty() && !seen.insert(reference.clone()),
            &["reference"],
            "DUPLICATE",
            "the reference appears earlier in this import",
        );
        let customer = customers.get(&row.customer_external_ref);
        checks.check(
            customer.is_none(),
            &["customerExternalRef"],
            "CUSTOMER_NOT_FOUND",
            format!(
                "no customer has the reference {:?}",
                row.customer_external_ref
            ),
        );
        let mut allocations = None;
        if let Some(listed) = &row.allocations {
            let mut mapped = Vec::with_capacity(listed.len());
            for (position, (invoice_ref, amount)) in listed.iter().enumerate() {
                let position = position.to_string();
                match invoices.get(invoice_ref) {
                    Some(found) => mapped.push((found.id, *amount)),
                    None => checks.add(FieldError::new(
                        &["allocations", position.as_str(), "invoiceExternalRef"],
                        "NOT_FOUND",
                        format!("no invoice has the reference {invoice_ref:?}"),
                    )),
                }
            }
            allocations = Some(mapped);
        }
        // A missing customer is among the errors already.
        let errors = checks.into_errors().err();
        let Some(customer) = customer.filter(|_| errors.is_none()) else {
            report.push(rejected(
                number,
                reference_given,
                errors.unwrap_or_default(),
            ));
            continue;
        };
        let existing = crate::entities::payment::Entity::in_org(org)
            .filter(crate::entities::payment::Column::Reference.eq(reference.as_str()))
            .one(&txn)
            .await?;
        if let Some(found) = existing {
            let same = found.customer_id == customer.id
                && found.currency == row.currency
                && rules::stored_currency(&found.currency)
                    .map(|currency| {
                        crate::domain::money::Money::from_minor(found.amount_minor, currency)
                            .to_decimal()
                            == row.amount
                    })
                    .unwrap_or(false);
            if same {
                report.push(RowResult {
                    row: number,
                    external_ref: reference_given,
                    outcome: Outcome::Unchanged,
                    id: Some(found.id),
                    errors: Vec::new(),
                });
            } else {
                let error = FieldError::new(
                    &["reference"],
                    "PAYMENT_EXISTS",
                    "a different payment has this reference: reverse it to change it",
                );
                report.push(rejected(number, reference_given, vec![error]));
            }
            continue;
        }
        let input = super::payments::RecordPayment {
            customer_id: customer.id,
            amount: row.amount,
            currency: row.currency.clone(),
            method: row.method,
            received_at: row.received_at,
            reference: Some(reference.clone()),
            allocations,
        };
        let recorder = super::payments::Recorder {
            org,
            actor: importer.actor,
            user_id: importer.user_id,
        };
        match super::payments::record_as(&txn, recorder, input, now).await {
            Ok((recorded, links)) => {
                withdrawals.extend(links);
                report.push(RowResult {
                    row: number,
                    external_ref: reference_given,
                    outcome: Outcome::Created,
                    id: Some(recorded.payment.id),
                    errors: Vec::new(),
                });
            }
            Err(crate::error::AppError::Invalid(errors)) => {
                report.push(rejected(number, reference_given, errors));
            }
            Err(error) => return Err(error),
        }
    }
    let written = !importer.dry_run && (mode == Mode::ValidRows || report.rejected == 0);
    let report = finish(
        txn,
        mode,
        importer.dry_run,
        report,
        Vec::<customer::ActiveModel>::new(),
        (org, Vec::new(), now),
    )
    .await?;
    if written {
        link_pricing::withdraw_at_providers(app, withdrawals).await;
    }
    Ok(report)
}
