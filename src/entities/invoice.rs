use sea_orm::entity::prelude::*;

use crate::domain::invoice::InvoiceStatus;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invoices")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub customer_id: Uuid,
    pub number: String,
    pub external_ref: Option<String>,
    pub issue_date: Date,
    pub due_date: Date,
    pub currency: String,
    pub total_minor: i64,
    pub paid_minor: i64,
    pub status: InvoiceStatus,
    pub disputed: bool,
    pub description: Option<String>,
    pub void_reason: Option<String>,
    /// The (UTC) day it was voided; before then it counted as owed.
    pub voided_on: Option<Date>,
    /// The day its last allocation made it fully paid; None while anything is owed.
    pub paid_on: Option<Date>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
