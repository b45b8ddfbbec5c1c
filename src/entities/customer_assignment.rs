use sea_orm::entity::prelude::*;

/// A stretch of time a collector was assigned to a customer: portfolios "at the time".
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "customer_assignments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub customer_id: Uuid,
    pub collector_id: Uuid,
    pub assigned_at: DateTimeUtc,
    /// None while the assignment lasts.
    pub unassigned_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
