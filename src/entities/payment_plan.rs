use sea_orm::entity::prelude::*;

use crate::domain::plan::PlanStatus;

/// A payment plan: what some invoices owed when it was agreed, plus its interest, paid in
/// installments.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payment_plans")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub customer_id: Uuid,
    pub currency: String,
    /// What the covered invoices owed when the plan was made.
    pub principal_minor: i64,
    /// The plan's own charge (vade farkı), paid after the principal.
    pub interest_minor: i64,
    pub interest_basis_points: i32,
    pub status: PlanStatus,
    pub note: Option<String>,
    pub created_by: Option<Uuid>,
    pub created_by_label: String,
    pub created_at: DateTimeUtc,
    /// When it was completed, broken or cancelled.
    pub ended_at: Option<DateTimeUtc>,
    pub end_reason: Option<String>,
    /// What had been paid on it when it ended (its installments then stay as they were).
    pub ended_paid_minor: Option<i64>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
