use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payment_allocations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub payment_id: Uuid,
    pub invoice_id: Uuid,
    pub amount_minor: i64,
    /// The (UTC) day the payment was received: the allocation counts from then on.
    pub received_on: Date,
    /// The day its payment was reversed: it counts from `received_on` until the day before.
    pub reversed_on: Option<Date>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
