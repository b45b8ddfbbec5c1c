//! The cheque and promissory-note portfolio (çek/senet portföyü).
//!
//! Receiving an instrument books a payment at once (method CHEQUE or PROMISSORY_NOTE), allocated
//! like any payment, so the invoices read as the company's books say; the instrument itself stays
//! in the portfolio, visible as risk, until it clears. It may be endorsed on (ciro), deposited at
//! a bank, cleared, bounced (karşılıksız: its payment is reversed, the invoices are owed again and
//! a call goes on the collector's worklist), and returned. Every move has its day and its
//! activity-log row.

use std::collections::HashMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Select,
};
use serde_json::json;
use uuid::Uuid;

use super::activities::{self, Actor, Entry};
use super::listing::{Direction, FilterIf, Keyset, parse_date_key};
use super::payments::{self, RecordPayment, ReversePayment};
use super::rules;
use super::scope::OrgScoped;
use super::tasks::{self, Planned};
use crate::auth::Viewer;
use crate::domain::activity::ActivityKind;
use crate::domain::ids::OrganizationId;
use crate::domain::instrument::{InstrumentKind, InstrumentStatus};
use crate::domain::money::{Money, MoneySum};
use crate::domain::payment::PaymentMethod;
use crate::domain::role::Role;
use crate::domain::task::{TaskKind, TaskSource};
use crate::entities::{customer, instrument, instrument_event, payment_allocation};
use crate::error::{AppError, AppResult, FieldError, Validation};
use crate::state::AppState;

/// A cheque or note to take in payment.
#[derive(Debug, Clone)]
pub struct ReceiveInstrument {
    pub customer_id: Uuid,
    pub kind: InstrumentKind,
    pub number: String,
    pub bank: Option<String>,
    pub branch: Option<String>,
    pub account_no: Option<String>,
    pub drawer: String,
    pub issue_date: NaiveDate,
    pub maturity_date: NaiveDate,
    pub amount: Decimal,
    pub currency: String,
    /// As for `recordPayment`: without them, oldest due first.
    pub allocations: Option<Vec<(Uuid, Decimal)>>,
}

/// COLLECTOR and up: puts an instrument in the portfolio and books its payment.
pub async fn receive(
    app: &AppState,
    viewer: &Viewer,
    input: ReceiveInstrument,
) -> AppResult<instrument::Model> {
    viewer.require(Role::Collector)?;
    let org = viewer.organization_id;
    let now = app.clock.now();
    let mut checks = Validation::new();
    let number = checks.value(rules::required_text(&input.number, 64, &["number"]));
    let bank = checks.value(rules::optional_text(input.bank.as_deref(), 200, &["bank"]));
    let branch = checks.value(rules::optional_text(
        input.branch.as_deref(),
        200,
        &["branch"],
    ));
    let account_no = checks.value(rules::optional_text(
        input.account_no.as_deref(),
        64,
        &["accountNo"],
    ));
    let drawer = checks.value(rules::required_text(&input.drawer, 200, &["drawer"]));
    checks.check(
        input.kind == InstrumentKind::Cheque && bank.is_none(),
        &["bank"],
        "REQUIRED",
        "a cheque names its bank",
    );
    checks.check(
        input.maturity_date < input.issue_date,
        &["maturityDate"],
        "MATURITY_BEFORE_ISSUE",
        "the maturity date cannot be before the issue date",
    );
    checks.finish()?;

    let txn = app.db.begin().await?;
    let method = match input.kind {
        InstrumentKind::Cheque => PaymentMethod::Cheque,
        InstrumentKind::PromissoryNote => PaymentMethod::PromissoryNote,
    };
    let (recorded, withdrawals) = payments::record_in(
        &txn,
        viewer,
        RecordPayment {
            customer_id: input.customer_id,
            amount: input.amount,
            currency: input.currency,
            method,
            received_at: None,
            reference: Some(format!("{} {number}", label(input.kind))),
            allocations: input.allocations,
        },
        now,
    )
    .await?;
    let payment = recorded.payment;
    let created = instrument::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(org.0),
        customer_id: Set(input.customer_id),
        payment_id: Set(payment.id),
        kind: Set(input.kind),
        number: Set(number.clone()),
        bank: Set(bank),
        branch: Set(branch),
        account_no: Set(account_no),
        drawer: Set(drawer),
        issue_date: Set(input.issue_date),
        maturity_date: Set(input.maturity_date),
        amount_minor: Set(payment.amount_minor),
        currency: Set(payment.currency.clone()),
        status: Set(InstrumentStatus::InPortfolio),
        holder: Set(None),
        followed_up_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let today = now.date_naive();
    log_move(&txn, org, viewer, &created, today, None, now).await?;
    txn.commit().await?;
    super::link_pricing::withdraw_at_providers(app, withdrawals).await;
    Ok(created)
}

/// Where an instrument goes next.
#[derive(Debug, Clone)]
pub enum Move {
    /// Ciro, to whom.
    Endorse {
        endorsee: String,
    },
    /// To a bank, for collection or as collateral.
    Deposit {
        bank: String,
    },
    Clear,
    /// Karşılıksız (a note: protested), and why.
    Bounce {
        reason: String,
    },
    /// Back to the customer.
    Return,
}

impl Move {
    fn status(&self) -> InstrumentStatus {
        match self {
            Move::Endorse { .. } => InstrumentStatus::Endorsed,
            Move::Deposit { .. } => InstrumentStatus::Deposited,
            Move::Clear => InstrumentStatus::Cleared,
            Move::Bounce { .. } => InstrumentStatus::Bounced,
            Move::Return => InstrumentStatus::Returned,
        }
    }
}

/// One move of one instrument.
#[derive(Debug, Clone)]
pub struct MoveInstrument {
    pub id: Uuid,
    /// Default today.
    pub date: Option<NaiveDate>,
    pub note: Option<String>,
    pub to: Move,
}

/// MANAGER and up: moves an instrument on. A move its status does not allow (clearing a
/// returned cheque, endorsing a bounced one) is a user error and changes nothing.
pub async fn move_instrument(
    app: &AppState,
    viewer: &Viewer,
    input: MoveInstrument,
) -> AppResult<instrument::Model> {
    viewer.require(Role::Manager)?;
    let org = viewer.organization_id;
    let now = app.clock.now();
    let today = now.date_naive();
    let date = input.date.unwrap_or(today);
    let mut checks = Validation::new();
    let mut note = checks.value(rules::optional_note(
        input.note.as_deref(),
        1_000,
        &["note"],
    ));
    let holder = match &input.to {
        Move::Endorse { endorsee } => {
            checks.take(rules::required_text(endorsee, 200, &["endorsee"]))
        }
        Move::Deposit { bank } => checks.take(rules::required_text(bank, 200, &["bank"])),
        _ => None,
    };
    if let Move::Bounce { reason } = &input.to {
        note = checks.take(rules::required_note(reason, 1_000, &["reason"]));
    }
    checks.check(
        date > today,
        &["date"],
        "IN_FUTURE",
        "a move cannot be dated in the future",
    );
    let txn = app.db.begin().await?;
    let found = instrument::Entity::find_in_org(input.id, org)
        .lock_exclusive()
        .one(&txn)
        .await?;
    let Some(current) = found else {
        checks.add(FieldError::new(&["id"], "NOT_FOUND", "no such instrument"));
        checks.finish()?;
        return Err(AppError::NotFound);
    };
    let next = input.to.status();
    checks.check(
        !current.status.can_move_to(next),
        &["id"],
        "INVALID_MOVE",
        format!(
            "a {} {} cannot become {}",
            current.status.as_str(),
            label(current.kind),
            next.as_str()
        ),
    );
    let last = instrument_event::Entity::in_org(org)
        .filter(instrument_event::Column::InstrumentId.eq(current.id))
        .order_by_desc(instrument_event::Column::OnDate)
        .one(&txn)
        .await?;
    checks.check(
        last.as_ref().is_some_and(|last| date < last.on_date),
        &["date"],
        "BEFORE_LAST_MOVE",
        "a move cannot be dated before the instrument's last move",
    );
    checks.finish()?;

    if let Move::Bounce { reason } = &input.to {
        bounce(&txn, viewer, &current, date, reason, now).await?;
    }
    let mut row: instrument::ActiveModel = current.clone().into();
    row.status = Set(next);
    if holder.is_some() {
        row.holder = Set(holder);
    }
    row.updated_at = Set(now);
    let moved = row.update(&txn).await?;
    log_move(&txn, org, viewer, &moved, date, note, now).await?;
    txn.commit().await?;
    Ok(moved)
}

/// The bounce's consequences: the payment reversed on that day, and a call for the collector.
async fn bounce(
    txn: &sea_orm::DatabaseTransaction,
    viewer: &Viewer,
    current: &instrument::Model,
    date: NaiveDate,
    reason: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<()> {
    let org = viewer.organization_id;
    let reversed_at = if date == now.date_naive() {
        now
    } else {
        date.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
    };
    let why = format!(
        "{} {} bounced: {reason}",
        label(current.kind),
        current.number
    );
    payments::reverse_in(
        txn,
        viewer,
        ReversePayment {
            payment_id: current.payment_id,
            reason: why.clone(),
            reversed_at: Some(reversed_at),
        },
        now,
    )
    .await?;
    let reopened: Vec<Uuid> = payment_allocation::Entity::in_org(org)
        .filter(payment_allocation::Column::PaymentId.eq(current.payment_id))
        .all(txn)
        .await?
        .into_iter()
        .map(|allocation| allocation.invoice_id)
        .collect();
    let collector = customer::Entity::find_in_org(current.customer_id, org)
        .one(txn)
        .await?
        .and_then(|customer| customer.assigned_collector_id);
    tasks::record(
        txn,
        org,
        Actor::User(viewer),
        Planned {
            kind: TaskKind::Call,
            source: TaskSource::Instrument,
            customer_id: current.customer_id,
            invoice_ids: &reopened,
            due_date: now.date_naive(),
            assignee_id: collector,
            note: Some(why),
        },
        now,
    )
    .await?;
    Ok(())
}

/// The move's history row and its activity.
async fn log_move(
    conn: &impl ConnectionTrait,
    org: OrganizationId,
    viewer: &Viewer,
    instrument: &instrument::Model,
    date: NaiveDate,
    note: Option<String>,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<()> {
    instrument_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(org.0),
        instrument_id: Set(instrument.id),
        status: Set(instrument.status),
        on_date: Set(date),
        note: Set(note.clone()),
        actor_label: Set(viewer.email.clone()),
        created_at: Set(now),
    }
    .insert(conn)
    .await?;
    let kind = match instrument.status {
        InstrumentStatus::InPortfolio => ActivityKind::InstrumentReceived,
        InstrumentStatus::Endorsed => ActivityKind::InstrumentEndorsed,
        InstrumentStatus::Deposited => ActivityKind::InstrumentDeposited,
        InstrumentStatus::Cleared => ActivityKind::InstrumentCleared,
        InstrumentStatus::Bounced => ActivityKind::InstrumentBounced,
        InstrumentStatus::Returned => ActivityKind::InstrumentReturned,
    };
    let currency = rules::stored_currency(&instrument.currency)?;
    let entry = Entry {
        customer_id: instrument.customer_id,
        invoice_id: None,
        kind,
        note,
        data: json!({
            "instrumentId": instrument.id,
            "kind": label(instrument.kind),
            "number": instrument.number,
            "amount": Money::from_minor(instrument.amount_minor, currency).to_decimal().to_string(),
            "currency": currency.code(),
            "maturityDate": instrument.maturity_date,
            "date": date,
            "holder": instrument.holder,
        }),
    };
    activities::append(conn, org, Actor::User(viewer), entry, now).await?;
    Ok(())
}

/// Days past its maturity an instrument may sit in the portfolio before someone is asked to
/// deposit it or chase it.
pub const FOLLOW_UP_DAYS: i64 = 3;

/// One pass of the portfolio watch: every instrument still IN_PORTFOLIO more than
/// [`FOLLOW_UP_DAYS`] after its maturity gets one follow-up task for the customer's collector
/// ("deposit or follow up"), once. Returns how many were raised.
pub async fn follow_up_matured(app: &AppState) -> AppResult<usize> {
    let now = app.clock.now();
    let last_maturity = now.date_naive() - chrono::Duration::days(FOLLOW_UP_DAYS);
    let due = instrument::Entity::find()
        .filter(instrument::Column::Status.eq(InstrumentStatus::InPortfolio))
        .filter(instrument::Column::MaturityDate.lt(last_maturity))
        .filter(instrument::Column::FollowedUpAt.is_null())
        .all(app.db.reader())
        .await?;
    let mut raised = 0;
    for found in due {
        let org = OrganizationId(found.organization_id);
        let txn = app.db.begin().await?;
        // Another instance may have raised it meanwhile: only the one that marks it raises it.
        let marked = instrument::Entity::update_many()
            .col_expr(
                instrument::Column::FollowedUpAt,
                sea_orm::sea_query::Expr::value(now),
            )
            .filter(instrument::Column::Id.eq(found.id))
            .filter(instrument::Column::FollowedUpAt.is_null())
            .filter(instrument::Column::Status.eq(InstrumentStatus::InPortfolio))
            .exec(&txn)
            .await?;
        if marked.rows_affected == 0 {
            continue;
        }
        let collector = customer::Entity::find_in_org(found.customer_id, org)
            .one(&txn)
            .await?
            .and_then(|customer| customer.assigned_collector_id);
        let note = format!(
            "{} {} matured on {} and is still in the portfolio: deposit it or follow up",
            label(found.kind),
            found.number,
            found.maturity_date
        );
        tasks::record(
            &txn,
            org,
            Actor::System("portfolio"),
            Planned {
                kind: TaskKind::FollowUp,
                source: TaskSource::Instrument,
                customer_id: found.customer_id,
                invoice_ids: &[],
                due_date: now.date_naive(),
                assignee_id: collector,
                note: Some(note),
            },
            now,
        )
        .await?;
        txn.commit().await?;
        raised += 1;
    }
    Ok(raised)
}

fn label(kind: InstrumentKind) -> &'static str {
    match kind {
        InstrumentKind::Cheque => "cheque",
        InstrumentKind::PromissoryNote => "promissory note",
    }
}

/// Which instruments a list shows.
#[derive(Debug, Clone, Default)]
pub struct InstrumentFilter {
    pub status: Option<Vec<InstrumentStatus>>,
    pub kind: Option<InstrumentKind>,
    pub maturity_from: Option<NaiveDate>,
    pub maturity_to: Option<NaiveDate>,
    pub customer_id: Option<Uuid>,
}

pub fn filtered(org: OrganizationId, filter: &InstrumentFilter) -> Select<instrument::Entity> {
    let mut select = instrument::Entity::in_org(org)
        .in_if(instrument::Column::Status, filter.status.clone())
        .eq_if(instrument::Column::Kind, filter.kind)
        .eq_if(instrument::Column::CustomerId, filter.customer_id);
    if let Some(day) = filter.maturity_from {
        select = select.filter(instrument::Column::MaturityDate.gte(day));
    }
    if let Some(day) = filter.maturity_to {
        select = select.filter(instrument::Column::MaturityDate.lte(day));
    }
    select
}

/// The portfolio's maturity calendar: by maturity, then id.
pub const ORDER: Keyset<instrument::Entity> = Keyset {
    key: instrument::Column::MaturityDate,
    id: instrument::Column::Id,
    direction: Direction::Ascending,
    key_of: |model| model.maturity_date.to_string(),
    parse_key: parse_date_key,
};

/// Each customer's instruments not yet cleared (in the portfolio, endorsed or deposited), summed
/// per currency.
pub async fn uncleared(
    conn: &impl ConnectionTrait,
    org: OrganizationId,
    customers: &[Uuid],
) -> AppResult<HashMap<Uuid, Vec<MoneySum>>> {
    let rows: Vec<(Uuid, String, i64)> = instrument::Entity::in_org(org)
        .select_only()
        .column(instrument::Column::CustomerId)
        .column(instrument::Column::Currency)
        .column(instrument::Column::AmountMinor)
        .filter(instrument::Column::CustomerId.is_in(customers.iter().copied()))
        .filter(instrument::Column::Status.is_in([
            InstrumentStatus::InPortfolio,
            InstrumentStatus::Endorsed,
            InstrumentStatus::Deposited,
        ]))
        .into_tuple()
        .all(conn)
        .await?;
    let mut sums: HashMap<Uuid, Vec<MoneySum>> = HashMap::new();
    for (customer_id, currency, amount) in rows {
        let currency = rules::stored_currency(&currency)?;
        let list = sums.entry(customer_id).or_default();
        match list.iter_mut().find(|sum| sum.currency == currency) {
            Some(sum) => sum.minor += i128::from(amount),
            None => list.push(MoneySum {
                minor: i128::from(amount),
                currency,
            }),
        }
    }
    Ok(sums)
}
