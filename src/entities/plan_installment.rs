use sea_orm::entity::prelude::*;

/// One installment of a payment plan. What is paid on it is worked out from the plan's money.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "plan_installments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub plan_id: Uuid,
    /// 1 for the first.
    pub position: i32,
    pub due_date: Date,
    pub amount_minor: i64,
    /// When the plan job found it unpaid past its due date plus grace.
    pub missed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
