use sea_orm::entity::prelude::*;

/// How many units of the organization's currency one unit of `currency` was worth on a day.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "exchange_rates")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub currency: String,
    pub rate_date: Date,
    /// Exact decimal text, e.g. "34.1849".
    pub rate: String,
    /// `MANUAL` or `TCMB`.
    pub source: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
