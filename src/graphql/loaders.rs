//! DataLoaders for every relation, made per request and scoped to the viewer's organization:
//! however many rows a response shows, each relation costs one batched statement.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use chrono::NaiveDate;
use sea_orm::sea_query::{Expr, Order};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use crate::db::Db;
use crate::domain::ids::OrganizationId;
use crate::entities::{
    activity, contact, customer, dispute, installment_rate_table, instrument, instrument_event,
    invoice, organization, payment, payment_allocation, payment_link, payment_link_installment,
    payment_link_invoice, payment_plan, payment_plan_invoice, plan_installment, promise,
    promise_invoice, reminder_policy, task_invoice, user, webhook_endpoint, webhook_event,
};
use crate::error::AppError;
use crate::services::activities;
use crate::services::analytics::behaviour;
use crate::services::invoices::{self, Balances};
use crate::services::listing::{Keyset, Page, PageRequest, fetch_child_pages};
use crate::services::scope::OrgScoped;

pub type LoadError = Arc<AppError>;

impl From<LoadError> for AppError {
    fn from(error: LoadError) -> Self {
        Arc::try_unwrap(error).unwrap_or_else(|shared| AppError::Internal(format!("{shared:?}")))
    }
}

fn shared(error: impl Into<AppError>) -> LoadError {
    Arc::new(error.into())
}

/// Rows by id.
pub struct ById<E> {
    db: Db,
    org: OrganizationId,
    _entity: std::marker::PhantomData<fn() -> E>,
}

impl<E> Loader<Uuid> for ById<E>
where
    E: OrgScoped + Send + Sync + 'static,
    E::Model: Send + Sync + Clone + 'static,
{
    type Value = E::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, E::Model>, LoadError> {
        let rows = E::in_org(self.org)
            .filter(E::id_column().is_in(keys.iter().copied()))
            .all(self.db.reader())
            .await
            .map_err(shared)?;
        Ok(rows.into_iter().map(|row| (E::id_of(&row), row)).collect())
    }
}

/// All children of each parent (contacts of a customer, allocations of an invoice…).
pub struct Children<E: EntityTrait> {
    db: Db,
    org: OrganizationId,
    parent: E::Column,
    parent_of: fn(&E::Model) -> Uuid,
    order: E::Column,
}

impl<E> Loader<Uuid> for Children<E>
where
    E: OrgScoped + Send + Sync + 'static,
    E::Model: Send + Sync + Clone + 'static,
    E::Column: Send + Sync,
{
    type Value = Vec<E::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Vec<E::Model>>, LoadError> {
        let rows = E::in_org(self.org)
            .filter(self.parent.is_in(keys.iter().copied()))
            .order_by(self.order, Order::Asc)
            .order_by(E::id_column(), Order::Asc)
            .all(self.db.reader())
            .await
            .map_err(shared)?;
        // Every key gets an answer, empty ones too, so the cache remembers "none".
        let mut grouped: HashMap<Uuid, Vec<E::Model>> =
            keys.iter().map(|key| (*key, Vec::new())).collect();
        for row in rows {
            grouped.entry((self.parent_of)(&row)).or_default().push(row);
        }
        Ok(grouped)
    }
}

/// A page of children for each parent (a customer's invoices, an invoice's latest activities).
pub struct ChildPages<E: EntityTrait> {
    db: Db,
    org: OrganizationId,
    parent: E::Column,
    parent_of: fn(&E::Model) -> Option<Uuid>,
    order: &'static Keyset<E>,
}

impl<E> Loader<(Uuid, PageRequest)> for ChildPages<E>
where
    E: OrgScoped + Default + Send + Sync + 'static,
    E::Model: Send + Sync + Clone + 'static,
    E::Column: Send + Sync,
{
    type Value = Page<E::Model>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[(Uuid, PageRequest)],
    ) -> Result<HashMap<(Uuid, PageRequest), Page<E::Model>>, LoadError> {
        // Parents asking for the same page shape share one statement.
        let mut by_request: HashMap<&PageRequest, Vec<Uuid>> = HashMap::new();
        for (parent, request) in keys {
            by_request.entry(request).or_default().push(*parent);
        }
        let mut pages = HashMap::new();
        for (request, parents) in by_request {
            let rows = fetch_child_pages::<E, _>(
                self.db.reader(),
                self.org,
                self.parent,
                &parents,
                (self.order.key, self.order.id),
                self.order.direction,
                request,
                self.order.parse_key,
            )
            .await
            .map_err(shared)?;
            let mut grouped: HashMap<Uuid, Vec<E::Model>> = HashMap::new();
            for row in rows {
                if let Some(parent) = (self.parent_of)(&row) {
                    grouped.entry(parent).or_default().push(row);
                }
            }
            for parent in parents {
                let rows = grouped.remove(&parent).unwrap_or_default();
                pages.insert(
                    (parent, request.clone()),
                    Page::from_rows(rows, request.first, |row| self.order.cursor_of(row)),
                );
            }
        }
        Ok(pages)
    }
}

/// How many children each parent has, for nested `totalCount`.
pub struct ChildCounts<E: EntityTrait> {
    db: Db,
    org: OrganizationId,
    parent: E::Column,
}

impl<E> Loader<Uuid> for ChildCounts<E>
where
    E: OrgScoped + Send + Sync + 'static,
    E::Column: Send + Sync,
{
    type Value = u64;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, u64>, LoadError> {
        let rows: Vec<(Uuid, i64)> = E::in_org(self.org)
            .select_only()
            .column(self.parent)
            .column_as(Expr::cust("COUNT(*)"), "n")
            .filter(self.parent.is_in(keys.iter().copied()))
            .group_by(self.parent)
            .into_tuple()
            .all(self.db.reader())
            .await
            .map_err(shared)?;
        let mut counts: HashMap<Uuid, u64> = keys.iter().map(|key| (*key, 0)).collect();
        for (parent, count) in rows {
            counts.insert(parent, u64::try_from(count).unwrap_or(0));
        }
        Ok(counts)
    }
}

/// Open and overdue balances per customer.
pub struct BalancesLoader {
    db: Db,
    org: OrganizationId,
    today: NaiveDate,
}

impl Loader<Uuid> for BalancesLoader {
    type Value = Balances;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Balances>, LoadError> {
        let mut found = invoices::balances(self.db.reader(), self.org, keys, self.today)
            .await
            .map_err(shared)?;
        Ok(keys
            .iter()
            .map(|key| (*key, found.remove(key).unwrap_or_default()))
            .collect())
    }
}

/// The viewer's organization (the only one a request can see).
pub struct OrganizationLoader {
    db: Db,
    org: OrganizationId,
}

impl Loader<Uuid> for OrganizationLoader {
    type Value = organization::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, organization::Model>, LoadError> {
        if !keys.contains(&self.org.0) {
            return Ok(HashMap::new());
        }
        let found = organization::Entity::find_by_id(self.org.0)
            .one(self.db.reader())
            .await
            .map_err(shared)?;
        Ok(found.into_iter().map(|org| (org.id, org)).collect())
    }
}

/// The organization's default reminder policy, keyed by the organization's id.
pub struct DefaultPolicyLoader {
    db: Db,
    org: OrganizationId,
}

impl Loader<Uuid> for DefaultPolicyLoader {
    type Value = reminder_policy::Model;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[Uuid],
    ) -> Result<HashMap<Uuid, reminder_policy::Model>, LoadError> {
        if !keys.contains(&self.org.0) {
            return Ok(HashMap::new());
        }
        let found = reminder_policy::Entity::in_org(self.org)
            .filter(reminder_policy::Column::IsDefault.eq(true))
            .one(self.db.reader())
            .await
            .map_err(shared)?;
        Ok(found
            .into_iter()
            .map(|policy| (self.org.0, policy))
            .collect())
    }
}

/// Each customer's instruments not yet cleared, per currency.
pub struct UnclearedLoader {
    db: Db,
    org: OrganizationId,
}

impl Loader<Uuid> for UnclearedLoader {
    type Value = Vec<crate::domain::money::MoneySum>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[Uuid],
    ) -> Result<HashMap<Uuid, Vec<crate::domain::money::MoneySum>>, LoadError> {
        let mut found = crate::services::instruments::uncleared(self.db.reader(), self.org, keys)
            .await
            .map_err(shared)?;
        Ok(keys
            .iter()
            .map(|key| (*key, found.remove(key).unwrap_or_default()))
            .collect())
    }
}

/// What has been paid on each payment plan, keyed by plan id.
pub struct PlanPaidLoader {
    db: Db,
    org: OrganizationId,
}

impl Loader<Uuid> for PlanPaidLoader {
    type Value = i64;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, i64>, LoadError> {
        let conn = self.db.reader();
        let plans = payment_plan::Entity::in_org(self.org)
            .filter(payment_plan::Column::Id.is_in(keys.iter().copied()))
            .all(conn)
            .await
            .map_err(shared)?;
        let plans: Vec<&payment_plan::Model> = plans.iter().collect();
        crate::services::plans::paid_by_plan(conn, self.org, &plans)
            .await
            .map_err(shared)
    }
}

/// Customers' payment behaviour, keyed by customer id.
pub struct BehaviourLoader {
    db: Db,
    org: OrganizationId,
    today: NaiveDate,
}

impl Loader<Uuid> for BehaviourLoader {
    type Value = behaviour::Behaviour;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, behaviour::Behaviour>, LoadError> {
        behaviour::of_customers(self.db.reader(), self.org, keys, self.today)
            .await
            .map_err(shared)
    }
}

/// Open invoices' expected payment dates.
pub struct ExpectedDateLoader {
    db: Db,
    org: OrganizationId,
    today: NaiveDate,
}

impl Loader<behaviour::OpenInvoice> for ExpectedDateLoader {
    type Value = NaiveDate;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[behaviour::OpenInvoice],
    ) -> Result<HashMap<behaviour::OpenInvoice, NaiveDate>, LoadError> {
        let dates = behaviour::expected_dates(self.db.reader(), self.org, keys, self.today)
            .await
            .map_err(shared)?;
        Ok(keys
            .iter()
            .filter_map(|key| dates.get(&key.id).map(|date| (*key, *date)))
            .collect())
    }
}

/// Loaders run at once, with every key of the call: lists load their relations for the whole
/// page in one call (see `prefetch.rs`), so there is nothing to wait for, and a single object's
/// relation is one key anyway. Waiting for siblings instead would cost every request a timer per
/// level, and still split a long list into several statements on a busy machine.
fn batched<K, L>(loader: L) -> DataLoader<L, HashMapCache>
where
    K: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
    L: Loader<K>,
{
    DataLoader::with_cache(loader, tokio::spawn, HashMapCache::default()).max_batch_size(1)
}

/// The organization's installment table at each provider, keyed by the provider's name; None for
/// a provider without one (the instance's default applies), so the miss is cached too.
pub struct InstallmentTableLoader {
    db: Db,
    org: OrganizationId,
}

impl Loader<String> for InstallmentTableLoader {
    type Value = Option<installment_rate_table::Model>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[String],
    ) -> Result<HashMap<String, Option<installment_rate_table::Model>>, LoadError> {
        let rows = installment_rate_table::Entity::in_org(self.org)
            .filter(installment_rate_table::Column::Provider.is_in(keys.iter().cloned()))
            .all(self.db.reader())
            .await
            .map_err(shared)?;
        let mut found: HashMap<String, Option<installment_rate_table::Model>> =
            keys.iter().map(|key| (key.clone(), None)).collect();
        for row in rows {
            found.insert(row.provider.clone(), Some(row));
        }
        Ok(found)
    }
}

/// Every loader of one request.
pub struct Loaders {
    pub organization: DataLoader<OrganizationLoader, HashMapCache>,
    pub reminder_policy: DataLoader<ById<reminder_policy::Entity>, HashMapCache>,
    pub default_policy: DataLoader<DefaultPolicyLoader, HashMapCache>,
    pub customer: DataLoader<ById<customer::Entity>, HashMapCache>,
    pub invoice: DataLoader<ById<invoice::Entity>, HashMapCache>,
    pub payment: DataLoader<ById<payment::Entity>, HashMapCache>,
    pub user: DataLoader<ById<user::Entity>, HashMapCache>,
    pub payment_link: DataLoader<ById<payment_link::Entity>, HashMapCache>,
    pub invoices_of_link: DataLoader<Children<payment_link_invoice::Entity>, HashMapCache>,
    pub links_of_invoice: DataLoader<Children<payment_link_invoice::Entity>, HashMapCache>,
    pub contacts_of_customer: DataLoader<Children<contact::Entity>, HashMapCache>,
    pub links_of_customer: DataLoader<Children<payment_link::Entity>, HashMapCache>,
    pub disputes_of_invoice: DataLoader<Children<dispute::Entity>, HashMapCache>,
    pub invoices_of_task: DataLoader<Children<task_invoice::Entity>, HashMapCache>,
    pub invoices_of_promise: DataLoader<Children<promise_invoice::Entity>, HashMapCache>,
    pub promises_of_customer: DataLoader<Children<promise::Entity>, HashMapCache>,
    pub plan: DataLoader<ById<payment_plan::Entity>, HashMapCache>,
    pub plans_of_customer: DataLoader<Children<payment_plan::Entity>, HashMapCache>,
    pub installments_of_plan: DataLoader<Children<plan_installment::Entity>, HashMapCache>,
    pub invoices_of_plan: DataLoader<Children<payment_plan_invoice::Entity>, HashMapCache>,
    pub installments_of_link: DataLoader<Children<payment_link_installment::Entity>, HashMapCache>,
    pub plan_paid: DataLoader<PlanPaidLoader, HashMapCache>,
    pub allocations_of_invoice: DataLoader<Children<payment_allocation::Entity>, HashMapCache>,
    pub allocations_of_payment: DataLoader<Children<payment_allocation::Entity>, HashMapCache>,
    pub balances: DataLoader<BalancesLoader, HashMapCache>,
    pub behaviour: DataLoader<BehaviourLoader, HashMapCache>,
    pub uncleared: DataLoader<UnclearedLoader, HashMapCache>,
    pub instrument: DataLoader<ById<instrument::Entity>, HashMapCache>,
    pub history_of_instrument: DataLoader<Children<instrument_event::Entity>, HashMapCache>,
    pub expected_date: DataLoader<ExpectedDateLoader, HashMapCache>,
    pub invoices_of_customer: DataLoader<ChildPages<invoice::Entity>, HashMapCache>,
    pub activities_of_customer: DataLoader<ChildPages<activity::Entity>, HashMapCache>,
    pub activities_of_invoice: DataLoader<ChildPages<activity::Entity>, HashMapCache>,
    pub invoice_count_of_customer: DataLoader<ChildCounts<invoice::Entity>, HashMapCache>,
    pub activity_count_of_customer: DataLoader<ChildCounts<activity::Entity>, HashMapCache>,
    pub activity_count_of_invoice: DataLoader<ChildCounts<activity::Entity>, HashMapCache>,
    pub webhook_endpoint: DataLoader<ById<webhook_endpoint::Entity>, HashMapCache>,
    pub webhook_event: DataLoader<ById<webhook_event::Entity>, HashMapCache>,
    pub installment_table: DataLoader<InstallmentTableLoader, HashMapCache>,
}

impl Loaders {
    pub fn new(db: &Db, org: OrganizationId, today: NaiveDate) -> Self {
        fn by_id<E>(db: &Db, org: OrganizationId) -> DataLoader<ById<E>, HashMapCache>
        where
            E: OrgScoped + Send + Sync + 'static,
            E::Model: Send + Sync + Clone + 'static,
        {
            let loader = ById {
                db: db.clone(),
                org,
                _entity: std::marker::PhantomData,
            };
            batched(loader)
        }
        let db = db.clone();
        let children = |parent, parent_of, order| Children {
            db: db.clone(),
            org,
            parent,
            parent_of,
            order,
        };
        let activity_pages =
            |parent: activity::Column, parent_of: fn(&activity::Model) -> Option<Uuid>| {
                ChildPages {
                    db: db.clone(),
                    org,
                    parent,
                    parent_of,
                    order: &activities::ORDER,
                }
            };
        Self {
            webhook_endpoint: by_id(&db, org),
            webhook_event: by_id(&db, org),
            installment_table: batched(InstallmentTableLoader {
                db: db.clone(),
                org,
            }),
            reminder_policy: by_id(&db, org),
            uncleared: batched(UnclearedLoader {
                db: db.clone(),
                org,
            }),
            instrument: by_id(&db, org),
            history_of_instrument: batched(Children::<instrument_event::Entity> {
                db: db.clone(),
                org,
                parent: instrument_event::Column::InstrumentId,
                parent_of: |row| row.instrument_id,
                order: instrument_event::Column::CreatedAt,
            }),
            behaviour: batched(BehaviourLoader {
                db: db.clone(),
                org,
                today,
            }),
            expected_date: batched(ExpectedDateLoader {
                db: db.clone(),
                org,
                today,
            }),
            default_policy: batched(DefaultPolicyLoader {
                db: db.clone(),
                org,
            }),
            organization: batched(OrganizationLoader {
                db: db.clone(),
                org,
            }),
            customer: by_id(&db, org),
            invoice: by_id(&db, org),
            payment: by_id(&db, org),
            user: by_id(&db, org),
            payment_link: by_id(&db, org),
            invoices_of_link: batched(Children::<payment_link_invoice::Entity> {
                db: db.clone(),
                org,
                parent: payment_link_invoice::Column::LinkId,
                parent_of: |row| row.link_id,
                order: payment_link_invoice::Column::Id,
            }),
            links_of_invoice: batched(Children::<payment_link_invoice::Entity> {
                db: db.clone(),
                org,
                parent: payment_link_invoice::Column::InvoiceId,
                parent_of: |row| row.invoice_id,
                order: payment_link_invoice::Column::Id,
            }),
            links_of_customer: batched(Children::<payment_link::Entity> {
                db: db.clone(),
                org,
                parent: payment_link::Column::CustomerId,
                parent_of: |row| row.customer_id,
                order: payment_link::Column::CreatedAt,
            }),
            invoices_of_promise: batched(Children::<promise_invoice::Entity> {
                db: db.clone(),
                org,
                parent: promise_invoice::Column::PromiseId,
                parent_of: |row| row.promise_id,
                order: promise_invoice::Column::Id,
            }),
            promises_of_customer: batched(Children::<promise::Entity> {
                db: db.clone(),
                org,
                parent: promise::Column::CustomerId,
                parent_of: |row| row.customer_id,
                order: promise::Column::CreatedAt,
            }),
            plan: by_id(&db, org),
            plans_of_customer: batched(Children::<payment_plan::Entity> {
                db: db.clone(),
                org,
                parent: payment_plan::Column::CustomerId,
                parent_of: |row| row.customer_id,
                order: payment_plan::Column::CreatedAt,
            }),
            installments_of_plan: batched(Children::<plan_installment::Entity> {
                db: db.clone(),
                org,
                parent: plan_installment::Column::PlanId,
                parent_of: |row| row.plan_id,
                order: plan_installment::Column::Position,
            }),
            invoices_of_plan: batched(Children::<payment_plan_invoice::Entity> {
                db: db.clone(),
                org,
                parent: payment_plan_invoice::Column::PlanId,
                parent_of: |row| row.plan_id,
                order: payment_plan_invoice::Column::Id,
            }),
            installments_of_link: batched(Children::<payment_link_installment::Entity> {
                db: db.clone(),
                org,
                parent: payment_link_installment::Column::LinkId,
                parent_of: |row| row.link_id,
                order: payment_link_installment::Column::Id,
            }),
            plan_paid: batched(PlanPaidLoader {
                db: db.clone(),
                org,
            }),
            invoices_of_task: batched(Children::<task_invoice::Entity> {
                db: db.clone(),
                org,
                parent: task_invoice::Column::TaskId,
                parent_of: |row| row.task_id,
                order: task_invoice::Column::Id,
            }),
            disputes_of_invoice: batched(Children::<dispute::Entity> {
                db: db.clone(),
                org,
                parent: dispute::Column::InvoiceId,
                parent_of: |row| row.invoice_id,
                order: dispute::Column::OpenedAt,
            }),
            contacts_of_customer: batched(Children::<contact::Entity> {
                db: db.clone(),
                org,
                parent: contact::Column::CustomerId,
                parent_of: |row| row.customer_id,
                order: contact::Column::CreatedAt,
            }),
            allocations_of_invoice: batched(children(
                payment_allocation::Column::InvoiceId,
                |row: &payment_allocation::Model| row.invoice_id,
                payment_allocation::Column::CreatedAt,
            )),
            allocations_of_payment: batched(children(
                payment_allocation::Column::PaymentId,
                |row: &payment_allocation::Model| row.payment_id,
                payment_allocation::Column::CreatedAt,
            )),
            balances: batched(BalancesLoader {
                db: db.clone(),
                org,
                today,
            }),
            invoices_of_customer: batched(ChildPages::<invoice::Entity> {
                db: db.clone(),
                org,
                parent: invoice::Column::CustomerId,
                parent_of: |row| Some(row.customer_id),
                order: &invoices::ORDER,
            }),
            activities_of_customer: batched(activity_pages(activity::Column::CustomerId, |row| {
                Some(row.customer_id)
            })),
            activities_of_invoice: batched(activity_pages(activity::Column::InvoiceId, |row| {
                row.invoice_id
            })),
            invoice_count_of_customer: batched(ChildCounts::<invoice::Entity> {
                db: db.clone(),
                org,
                parent: invoice::Column::CustomerId,
            }),
            activity_count_of_customer: batched(ChildCounts::<activity::Entity> {
                db: db.clone(),
                org,
                parent: activity::Column::CustomerId,
            }),
            activity_count_of_invoice: batched(ChildCounts::<activity::Entity> {
                db: db.clone(),
                org,
                parent: activity::Column::InvoiceId,
            }),
        }
    }
}
