use sea_orm::entity::prelude::*;

use crate::domain::dispute::{DisputeOutcome, DisputeReason, DisputeStatus};

/// A customer's objection to an invoice.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "disputes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub invoice_id: Uuid,
    pub customer_id: Uuid,
    pub reason: DisputeReason,
    pub note: Option<String>,
    pub status: DisputeStatus,
    pub outcome: Option<DisputeOutcome>,
    pub resolution_note: Option<String>,
    /// The user who opened it; None when the customer did, from the pay page.
    pub opened_by: Option<Uuid>,
    /// Who opened it, as the activity log names them.
    pub opened_by_label: String,
    pub opened_at: DateTimeUtc,
    pub resolved_by: Option<Uuid>,
    pub resolved_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
