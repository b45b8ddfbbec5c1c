use sea_orm::entity::prelude::*;

use crate::domain::activity::ActivityKind;

/// One entry of the append-only activity log.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "activities")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub customer_id: Uuid,
    pub invoice_id: Option<Uuid>,
    pub actor_user_id: Option<Uuid>,
    /// The acting user's email, or the provider's name for what a bank reported.
    pub actor_label: String,
    pub kind: ActivityKind,
    pub note: Option<String>,
    pub data: Json,
    pub occurred_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
