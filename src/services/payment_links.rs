//! Payment links: a hosted card page for one or more of a customer's open invoices, with
//! installments (taksit) up to the link's maximum.
//!
//! The provider is asked for its link outside any database transaction (a slow bank must not hold
//! the writer), and the link is stored afterwards with the invoices checked again, so an invoice
//! paid in the meantime cannot end up on a new link.

use std::collections::HashSet;

use chrono::Duration;
use integrations::CheckoutKind;
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder,
};
use serde_json::json;
use uuid::Uuid;

use super::activities::{self, Actor, Entry};
use super::link_pricing;
use super::listing::{FilterIf, Keyset, time_key};
use super::rules;
use super::scope::{OrgScoped, invoices_by_id};
use crate::auth::Viewer;
use crate::domain::activity::ActivityKind;
use crate::domain::ids::{OrganizationId, PaymentLinkId};
use crate::domain::installments::MAX_INSTALLMENTS;
use crate::domain::invoice::InvoiceStatus;
use crate::domain::money::{Currency, MAX_MINOR, Money};
use crate::domain::payment_link::{PaymentLinkStatus, new_token};
use crate::domain::role::Role;
use crate::entities::{contact, customer, invoice, payment_link, payment_link_invoice};
use crate::error::{AppError, AppResult, FieldError, Validation};
use crate::state::AppState;

/// How long a link lives when the request says nothing.
pub const DEFAULT_EXPIRES_IN_HOURS: i32 = 168;
/// The longest a link may live: 30 days.
pub const MAX_EXPIRES_IN_HOURS: i32 = 720;

#[derive(Debug, Clone, Default)]
pub struct NewPaymentLink {
    pub invoice_ids: Vec<Uuid>,
    /// Instead of invoices: installments of one active payment plan (the link asks what is left
    /// on them).
    pub plan_installment_ids: Vec<Uuid>,
    /// Default: the invoices' balance together; may be less (a partial payment), never more.
    pub amount: Option<Decimal>,
    /// Default 1 (a single payment).
    pub max_installments: Option<i32>,
    /// Default: `TAHSILAT_DEFAULT_PROVIDER`.
    pub provider: Option<String>,
    pub expires_in_hours: Option<i32>,
}

/// What the checks found: the invoices, their customer and currency, and the amount.
struct Plan {
    invoices: Vec<invoice::Model>,
    customer: customer::Model,
    amount: Money,
}

/// The organization's link with this id, or a NOT_FOUND on `id`.
async fn link_for_input(
    conn: &impl ConnectionTrait,
    org: OrganizationId,
    id: Uuid,
) -> AppResult<payment_link::Model> {
    payment_link::Entity::find_in_org(id, org)
        .one(conn)
        .await?
        .ok_or_else(|| FieldError::new(&["id"], "NOT_FOUND", "no such payment link").into_error())
}

/// A link asking more than it may: `limit` is the most it could ask.
fn too_much(field: &str, code: &'static str, limit: Money) -> FieldError {
    FieldError::new(
        &[field],
        code,
        format!(
            "a link for these invoices asks at most {}",
            limit.to_decimal()
        ),
    )
}

/// Checks that the invoices can go on one link for `amount`.
async fn check_invoices(
    conn: &impl ConnectionTrait,
    org: OrganizationId,
    invoice_ids: &[Uuid],
    amount: Option<Decimal>,
    checks: &mut Validation,
) -> AppResult<Option<Plan>> {
    if invoice_ids.is_empty() {
        checks.add(FieldError::new(
            &["invoiceIds"],
            "REQUIRED",
            "a link covers at least one invoice",
        ));
        return Ok(None);
    }
    let found = invoices_by_id(conn, org, invoice_ids.iter().copied()).await?;
    let mut invoices = Vec::new();
    for (index, id) in invoice_ids.iter().enumerate() {
        let position = index.to_string();
        let field = ["invoiceIds", position.as_str()];
        match found.get(id) {
            None => checks.add(FieldError::new(&field, "NOT_FOUND", "no such invoice")),
            Some(invoice) if invoice.status == InvoiceStatus::Void => {
                checks.add(FieldError::new(
                    &field,
                    "INVOICE_VOID",
                    format!("invoice {} is void", invoice.number),
                ));
            }
            Some(invoice) if invoice.status == InvoiceStatus::Paid => {
                checks.add(FieldError::new(
                    &field,
                    "INVOICE_PAID",
                    format!("invoice {} is paid", invoice.number),
                ));
            }
            Some(invoice)
                if invoices
                    .iter()
                    .any(|seen: &invoice::Model| seen.id == invoice.id) =>
            {
                checks.add(FieldError::new(
                    &field,
                    "DUPLICATE",
                    "the invoice appears twice",
                ));
            }
            Some(invoice) => invoices.push(invoice.clone()),
        }
    }
    let Some(first) = invoices.first() else {
        return Ok(None);
    };
    let customers: HashSet<Uuid> = invoices.iter().map(|invoice| invoice.customer_id).collect();
    let one_customer = "a link is for one customer's invoices";
    checks.check(
        customers.len() > 1,
        &["invoiceIds"],
        "INVOICES_OF_DIFFERENT_CUSTOMERS",
        one_customer,
    );
    let currencies: HashSet<&str> = invoices
        .iter()
        .map(|invoice| invoice.currency.as_str())
        .collect();
    let one_currency = "a link is in one currency";
    checks.check(
        currencies.len() > 1,
        &["invoiceIds"],
        "CURRENCY_MISMATCH",
        one_currency,
    );
    if !checks.is_empty() {
        return Ok(None);
    }
    let currency: Currency = rules::stored_currency(&first.currency)?;
    let balance: i128 = invoices
        .iter()
        .map(|invoice| i128::from(invoice.total_minor) - i128::from(invoice.paid_minor))
        .sum();
    let Some(balance) = i64::try_from(balance)
        .ok()
        .filter(|balance| *balance <= MAX_MINOR)
    else {
        let limit = Money::from_minor(MAX_MINOR, currency);
        checks.add(too_much("invoiceIds", "OUT_OF_RANGE", limit));
        return Ok(None);
    };
    let amount = match amount {
        None => Money::from_minor(balance, currency),
        Some(amount) => match checks.take(rules::positive_amount(amount, currency, &["amount"])) {
            Some(money) if money.minor > balance => {
                let left = Money::from_minor(balance, currency);
                checks.add(too_much("amount", "AMOUNT_EXCEEDS_BALANCE", left));
                return Ok(None);
            }
            Some(money) => money,
            None => return Ok(None),
        },
    };
    let Some(customer) = customer::Entity::find_in_org(first.customer_id, org)
        .one(conn)
        .await?
    else {
        return Err(AppError::Internal("invoice without its customer".into()));
    };
    invoices.sort_by_key(|invoice| (invoice.due_date, invoice.id));
    Ok(Some(Plan {
        invoices,
        customer,
        amount,
    }))
}

/// The link a plan's installments make: the plan's invoices that still owe, its customer, and
/// what is left on the installments; with the installments chosen.
async fn installment_plan(
    conn: &impl ConnectionTrait,
    org: OrganizationId,
    installment_ids: &[Uuid],
    checks: &mut Validation,
) -> AppResult<Option<(Plan, Vec<super::plans::InstallmentView>)>> {
    let Some((found, chosen, invoices)) =
        super::plans::installments_for_link(conn, org, installment_ids, checks).await?
    else {
        return Ok(None);
    };
    let currency = super::plans::currency_of(&found)?;
    let owed: i64 = chosen
        .iter()
        .map(|view| view.installment.amount_minor - view.paid_minor)
        .sum();
    let customer = customer::Entity::find_in_org(found.customer_id, org)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::Internal("plan without its customer".into()))?;
    Ok(Some((
        Plan {
            invoices,
            customer,
            amount: Money::from_minor(owed, currency),
        },
        chosen,
    )))
}

/// Where a link's mail and provider page go: the primary contact's address, else the customer's.
pub async fn payer_email(
    conn: &impl ConnectionTrait,
    org: OrganizationId,
    customer: &customer::Model,
) -> AppResult<Option<String>> {
    let primary = contact::Entity::in_org(org)
        .filter(contact::Column::CustomerId.eq(customer.id))
        .filter(contact::Column::IsPrimary.eq(true))
        .one(conn)
        .await?;
    Ok(primary
        .and_then(|contact| contact.email)
        .or_else(|| customer.email.clone()))
}

#[tracing::instrument(skip_all)]
pub async fn create(
    app: &AppState,
    viewer: &Viewer,
    input: NewPaymentLink,
) -> AppResult<payment_link::Model> {
    viewer.require(Role::Collector)?;
    create_as(app, viewer.organization_id, Actor::User(viewer), input).await
}

/// Creates a link for a person or for the system (a reminder that needs one).
pub async fn create_as(
    app: &AppState,
    org: OrganizationId,
    actor: Actor<'_>,
    input: NewPaymentLink,
) -> AppResult<payment_link::Model> {
    let created_by = match &actor {
        Actor::User(viewer) => Some(viewer.user_id.0),
        Actor::System(_) => None,
    };
    let mut checks = Validation::new();
    let max_installments = input.max_installments.unwrap_or(1);
    let offered = u32::try_from(max_installments)
        .ok()
        .filter(|n| (1..=MAX_INSTALLMENTS).contains(n));
    checks.check(
        offered.is_none(),
        &["maxInstallments"],
        "OUT_OF_RANGE",
        format!("installments are 1 to {MAX_INSTALLMENTS}"),
    );
    let hours = input.expires_in_hours.unwrap_or(DEFAULT_EXPIRES_IN_HOURS);
    checks.check(
        !(1..=MAX_EXPIRES_IN_HOURS).contains(&hours),
        &["expiresInHours"],
        "OUT_OF_RANGE",
        format!("a link lives 1 to {MAX_EXPIRES_IN_HOURS} hours"),
    );
    let provider_name = input
        .provider
        .clone()
        .or_else(|| app.providers.default_name().map(str::to_owned));
    let provider = provider_name
        .as_deref()
        .and_then(|name| app.providers.get(name));
    if provider.is_none() {
        checks.add(FieldError::new(
            &["provider"],
            "PROVIDER_UNAVAILABLE",
            match &provider_name {
                Some(name) => format!("{name:?} is not enabled here"),
                None => "no payment provider is configured here".to_owned(),
            },
        ));
    }

    let by_installments = !input.plan_installment_ids.is_empty();
    let (plan, installments) = if by_installments {
        checks.check(
            !input.invoice_ids.is_empty(),
            &["planInstallmentIds"],
            "AMBIGUOUS",
            "a link pays invoices or plan installments, not both",
        );
        checks.check(
            input.amount.is_some(),
            &["amount"],
            "SET_BY_INSTALLMENTS",
            "a link for installments asks what is left on them",
        );
        match installment_plan(
            app.db.reader(),
            org,
            &input.plan_installment_ids,
            &mut checks,
        )
        .await?
        {
            Some((plan, installments)) => (Some(plan), installments),
            None => (None, Vec::new()),
        }
    } else {
        let plan = check_invoices(
            app.db.reader(),
            org,
            &input.invoice_ids,
            input.amount,
            &mut checks,
        )
        .await?;
        (plan, Vec::new())
    };
    let plan = checks.require(plan)?;
    let email = payer_email(app.db.reader(), org, &plan.customer).await?;
    if let Some(provider) = &provider
        && provider.requires_payer_email()
        && email.is_none()
    {
        checks.add(FieldError::new(
            &["invoiceIds"],
            "PAYER_EMAIL_REQUIRED",
            format!(
                "{} needs the payer's email: give the customer or a primary contact one",
                provider.name()
            ),
        ));
    }
    let provider = checks.require(provider)?;
    let max_installments = checks.require(offered)?;
    checks.finish()?;

    let id = PaymentLinkId::new().0;
    let now = app.clock.now();
    let expires_at = now + Duration::hours(i64::from(hours));
    let numbers: Vec<&str> = plan
        .invoices
        .iter()
        .map(|invoice| invoice.number.as_str())
        .collect();
    let name = if installments.is_empty() {
        format!("Fatura {}", numbers.join(", "))
    } else {
        let positions: Vec<String> = installments
            .iter()
            .map(|view| view.installment.position.to_string())
            .collect();
        format!("Taksit {}", positions.join(", "))
    };
    let name: String = name.chars().take(200).collect();
    let request = integrations::LinkRequest {
        reference: id.simple().to_string(),
        name,
        amount_minor: plan.amount.minor,
        currency: plan.amount.currency.code().to_owned(),
        max_installments,
        payer_email: email.unwrap_or_default(),
        language: integrations::Language::Turkish,
        callback_url: format!("{}/callbacks/{}", app.config.public_url, provider.name()),
        expires_at,
    };
    // A provider whose page is made per attempt gets nothing now: the payer's choice on the pay
    // page begins each attempt.
    let created = match provider.checkout_kind() {
        CheckoutKind::PerAttempt => None,
        CheckoutKind::StandingLink => {
            Some(provider.create_link(&request).await.map_err(|error| {
                tracing::warn!(%error, provider = provider.name(), "the provider did not create the link");
                FieldError::new(
                    &["provider"],
                    "PROVIDER_ERROR",
                    format!("{} could not create the link; try again", provider.name()),
                )
                .into_error()
            })?)
        }
    };

    let txn = app.db.begin().await?;
    // The invoices again, inside the writer: one paid meanwhile must not go on a new link.
    let mut recheck = Validation::new();
    let ids: Vec<Uuid> = plan.invoices.iter().map(|invoice| invoice.id).collect();
    let unchanged = if by_installments {
        installment_plan(&txn, org, &input.plan_installment_ids, &mut recheck)
            .await?
            .is_some_and(|(fresh, _)| fresh.amount == plan.amount)
    } else {
        check_invoices(
            &txn,
            org,
            &ids,
            Some(plan.amount.to_decimal()),
            &mut recheck,
        )
        .await?
        .is_some()
    };
    if !unchanged || !recheck.is_empty() {
        drop(txn);
        if let Some(created) = &created
            && let Err(error) = provider.cancel_link(&created.provider_link_id).await
        {
            tracing::warn!(%error, "could not withdraw the provider's link after a race");
        }
        recheck.finish()?;
        return Err(FieldError::new(
            &["invoiceIds"],
            "CHANGED",
            "the invoices changed meanwhile; try again",
        )
        .into_error());
    }
    let link = payment_link::ActiveModel {
        id: Set(id),
        organization_id: Set(org.0),
        token: Set(new_token()),
        customer_id: Set(plan.customer.id),
        amount_minor: Set(plan.amount.minor),
        currency: Set(plan.amount.currency.code().to_owned()),
        provider: Set(provider.name().to_owned()),
        provider_link_id: Set(created
            .as_ref()
            .map(|created| created.provider_link_id.clone())),
        provider_url: Set(created.map(|created| created.url)),
        max_installments: Set(max_installments as i32),
        status: Set(PaymentLinkStatus::Active),
        expires_at: Set(expires_at),
        paid_at: Set(None),
        payment_id: Set(None),
        created_by: Set(created_by),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let join = |invoice: &invoice::Model| payment_link_invoice::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(org.0),
        link_id: Set(link.id),
        invoice_id: Set(invoice.id),
    };
    super::scope::insert_all(&txn, plan.invoices.iter().map(join)).await?;
    let paid_installment = |view: &super::plans::InstallmentView| {
        crate::entities::payment_link_installment::ActiveModel {
            id: Set(Uuid::now_v7()),
            organization_id: Set(org.0),
            link_id: Set(link.id),
            installment_id: Set(view.installment.id),
            plan_id: Set(view.installment.plan_id),
        }
    };
    super::scope::insert_all(&txn, installments.iter().map(paid_installment)).await?;
    let entry = Entry {
        customer_id: plan.customer.id,
        invoice_id: (plan.invoices.len() == 1).then(|| plan.invoices[0].id),
        kind: ActivityKind::PaymentLinkCreated,
        note: None,
        data: json!({
            "paymentLinkId": link.id,
            "amount": plan.amount.to_decimal().to_string(),
            "currency": plan.amount.currency.code(),
            "invoices": numbers,
            "maxInstallments": max_installments,
            "provider": link.provider,
            "planInstallments": installments.iter().map(|view| view.installment.position).collect::<Vec<_>>(),
        }),
    };
    activities::append(&txn, org, actor, entry, now).await?;
    txn.commit().await?;
    Ok(link)
}

/// Withdraws an ACTIVE link; a paid, expired or cancelled one stays as it is.
#[tracing::instrument(skip_all)]
pub async fn cancel(app: &AppState, viewer: &Viewer, id: Uuid) -> AppResult<payment_link::Model> {
    viewer.require(Role::Collector)?;
    let org = viewer.organization_id;
    let txn = app.db.begin().await?;
    let link = link_for_input(&txn, org, id).await?;
    if link.status != PaymentLinkStatus::Active {
        return Err(FieldError::new(
            &["id"],
            "NOT_ACTIVE",
            format!("the link is {:?}", link.status).to_uppercase(),
        )
        .into_error());
    }
    let now = app.clock.now();
    let mut row: payment_link::ActiveModel = link.clone().into();
    row.status = Set(PaymentLinkStatus::Cancelled);
    row.updated_at = Set(now);
    let cancelled = row.update(&txn).await?;
    let entry = Entry {
        customer_id: link.customer_id,
        invoice_id: None,
        kind: ActivityKind::PaymentLinkCancelled,
        note: None,
        data: json!({"paymentLinkId": link.id}),
    };
    activities::append(&txn, org, Actor::User(viewer), entry, now).await?;
    txn.commit().await?;
    // The provider's page goes too; a failure leaves a page whose payments still reach us and
    // are recorded for review.
    if let (Some(provider), Some(provider_link_id)) =
        (app.providers.get(&link.provider), &link.provider_link_id)
        && let Err(error) = provider.cancel_link(provider_link_id).await
    {
        tracing::warn!(%error, "the provider did not withdraw its link");
    }
    Ok(cancelled)
}

/// What the customer's page shows: the link, its organization's name and its invoices.
#[derive(Debug, Clone)]
pub struct PublicLink {
    pub link: payment_link::Model,
    pub organization_name: String,
    pub invoices: Vec<invoice::Model>,
    /// For a link that pays plan installments: each one's position, the plan's count and the
    /// due date, first to last.
    pub installments: Vec<(i32, usize, chrono::NaiveDate)>,
    /// The status as the customer should see it: an ACTIVE link past its time is EXPIRED.
    pub status: PaymentLinkStatus,
}

/// A link by the token in its URL, with only what its page may show.
pub async fn by_token(app: &AppState, token: &str) -> AppResult<Option<PublicLink>> {
    if !crate::domain::payment_link::looks_like_token(token) {
        return Ok(None);
    }
    public_where(app, payment_link::Column::Token.eq(token)).await
}

/// The same view of a sandbox link, by the sandbox's id for it.
pub async fn by_provider_link(
    app: &AppState,
    provider: &str,
    provider_link_id: &str,
) -> AppResult<Option<PublicLink>> {
    let condition = sea_orm::Condition::all()
        .add(payment_link::Column::Provider.eq(provider))
        .add(payment_link::Column::ProviderLinkId.eq(provider_link_id));
    public_where(app, condition).await
}

/// The public view of the link matching `condition` (any organization's: the caller holds a
/// secret that names exactly one).
async fn public_where(
    app: &AppState,
    condition: impl sea_orm::sea_query::IntoCondition,
) -> AppResult<Option<PublicLink>> {
    let found = payment_link::Entity::find()
        .filter(condition)
        .one(app.db.reader())
        .await?;
    match found {
        Some(link) => public_view(app, link).await.map(Some),
        None => Ok(None),
    }
}

async fn public_view(app: &AppState, link: payment_link::Model) -> AppResult<PublicLink> {
    let org = OrganizationId(link.organization_id);
    let organization_name = crate::entities::organization::Entity::find_by_id(org.0)
        .one(app.db.reader())
        .await?
        .map(|organization| organization.name)
        .unwrap_or_default();
    let invoice_ids = link_pricing::invoice_ids_of_link(app.db.reader(), org, link.id).await?;
    let invoices = invoice::Entity::in_org(org)
        .filter(invoice::Column::Id.is_in(invoice_ids))
        .order_by_asc(invoice::Column::DueDate)
        .all(app.db.reader())
        .await?;
    let installments = super::plans::installments_of_link(app.db.reader(), org, link.id).await?;
    let status = if link.status == PaymentLinkStatus::Active && link.expires_at <= app.clock.now() {
        PaymentLinkStatus::Expired
    } else {
        link.status
    };
    Ok(PublicLink {
        link,
        organization_name,
        invoices,
        installments,
        status,
    })
}

/// Mails an ACTIVE link to the customer: to `email`, else the primary contact's address, else
/// the customer's. The mail is queued in the outbox in the same transaction as the
/// PAYMENT_LINK_SENT activity, so one is never without the other.
#[tracing::instrument(skip_all)]
pub async fn send(
    app: &AppState,
    viewer: &Viewer,
    id: Uuid,
    email: Option<String>,
) -> AppResult<payment_link::Model> {
    viewer.require(Role::Collector)?;
    let org = viewer.organization_id;
    let mut checks = Validation::new();
    let given = checks
        .take(rules::optional_email(email.as_deref(), &["email"]))
        .flatten();
    let txn = app.db.begin().await?;
    let link = link_for_input(&txn, org, id).await?;
    let now = app.clock.now();
    checks.check(
        link.status != PaymentLinkStatus::Active || link.expires_at <= now,
        &["id"],
        "NOT_ACTIVE",
        "only an active link can be sent",
    );
    let customer = customer::Entity::find_in_org(link.customer_id, org)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::Internal("link without its customer".into()))?;
    let to = match given {
        Some(email) => Some(email),
        None => payer_email(&txn, org, &customer).await?,
    };
    checks.check(
        to.is_none(),
        &["email"],
        "NO_EMAIL",
        "the customer has no email address; give one",
    );
    let to = checks.require(to)?;
    checks.finish()?;

    let company = crate::entities::organization::Entity::find_by_id(org.0)
        .one(&txn)
        .await?
        .map(|organization| organization.name)
        .unwrap_or_default();
    let invoice_ids = link_pricing::invoice_ids_of_link(&txn, org, link.id).await?;
    let invoices = invoice::Entity::in_org(org)
        .filter(invoice::Column::Id.is_in(invoice_ids))
        .order_by_asc(invoice::Column::DueDate)
        .all(&txn)
        .await?;
    let lines: Vec<crate::mail::templates::InvoiceLine> = invoices
        .iter()
        .map(|invoice| crate::mail::templates::InvoiceLine {
            number: invoice.number.clone(),
            due_date: invoice.due_date,
        })
        .collect();
    let amount = Money::from_minor(link.amount_minor, rules::stored_currency(&link.currency)?);
    let url = format!("{}/pay/{}", app.config.public_url, link.token);
    let outbox_id = Uuid::now_v7();
    let mail = crate::mail::templates::payment_link(
        &to,
        &company,
        &lines,
        amount,
        &url,
        link.expires_at,
        format!("<{outbox_id}@tahsilat>"),
    );
    super::outbox::enqueue_mail(&txn, org, &mail, now).await?;
    let entry = Entry {
        customer_id: link.customer_id,
        invoice_id: (invoices.len() == 1).then(|| invoices[0].id),
        kind: ActivityKind::PaymentLinkSent,
        note: None,
        data: json!({"paymentLinkId": link.id, "to": to}),
    };
    activities::append(&txn, org, Actor::User(viewer), entry, now).await?;
    txn.commit().await?;
    Ok(link)
}

/// Which links to list.
#[derive(Debug, Clone, Default)]
pub struct PaymentLinkFilter {
    pub customer_id: Option<Uuid>,
    pub statuses: Option<Vec<PaymentLinkStatus>>,
}

/// The filtered links of the organization (for the page and its total count).
pub fn filtered(
    organization: OrganizationId,
    filter: &PaymentLinkFilter,
) -> sea_orm::Select<payment_link::Entity> {
    payment_link::Entity::in_org(organization)
        .eq_if(payment_link::Column::CustomerId, filter.customer_id)
        .in_if(payment_link::Column::Status, filter.statuses.clone())
}

/// Links, newest first.
pub const ORDER: Keyset<payment_link::Entity> = Keyset::newest_first(
    payment_link::Column::CreatedAt,
    payment_link::Column::Id,
    |model: &payment_link::Model| time_key(&model.created_at),
);
