use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "customers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub external_ref: Option<String>,
    pub name: String,
    /// VKN (companies) or TCKN (people).
    pub tax_id: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub payment_terms_days: i32,
    pub assigned_collector_id: Option<Uuid>,
    pub credit_limit_minor: Option<i64>,
    pub credit_limit_currency: Option<String>,
    pub blocked: bool,
    /// `tr` or `en` for what the customer reads; None: the organization\'s (Turkish).
    pub language: Option<String>,
    /// None: the organization's default policy (unless `reminders_off`).
    pub reminder_policy_id: Option<Uuid>,
    /// Some(true): no reminders at all.
    pub reminders_off: Option<bool>,
    /// No reminders until this day (inclusive).
    pub dunning_paused_until: Option<Date>,
    pub dunning_pause_reason: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
