use sea_orm::entity::prelude::*;

use crate::domain::promise::PromiseStatus;

/// An amount a customer promised to pay by a date.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "promises")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub customer_id: Uuid,
    pub amount_minor: i64,
    pub currency: String,
    pub promised_date: Date,
    pub note: Option<String>,
    pub status: PromiseStatus,
    /// The user who noted it; None when the customer made it on the pay page.
    pub created_by: Option<Uuid>,
    pub created_by_label: String,
    pub created_at: DateTimeUtc,
    pub settled_at: Option<DateTimeUtc>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
