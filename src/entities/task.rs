use sea_orm::entity::prelude::*;

use crate::domain::task::{TaskKind, TaskSource, TaskStatus};

/// Something a person should do about a customer, by a date.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tasks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub customer_id: Uuid,
    pub kind: TaskKind,
    pub source: TaskSource,
    pub status: TaskStatus,
    pub due_date: Date,
    /// None: the managers' to pick up (the customer has no collector).
    pub assignee_id: Option<Uuid>,
    pub note: Option<String>,
    pub outcome_note: Option<String>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub completed_by: Option<Uuid>,
    pub completed_at: Option<DateTimeUtc>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
