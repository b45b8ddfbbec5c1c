use sea_orm::entity::prelude::*;

use crate::domain::payment::PaymentMethod;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub customer_id: Uuid,
    /// Applied to the receivable.
    pub amount_minor: i64,
    /// What the card was charged, installment interest included.
    pub charged_minor: i64,
    /// What no invoice took: reported as unapplied cash, never netted against receivables.
    pub unapplied_minor: i64,
    pub currency: String,
    pub method: PaymentMethod,
    pub received_at: DateTimeUtc,
    pub reference: Option<String>,
    pub provider: Option<String>,
    pub provider_transaction_id: Option<String>,
    pub installment_count: i32,
    pub needs_review: bool,
    pub review_reason: Option<String>,
    pub recorded_by: Option<Uuid>,
    /// Taken by a test provider (the sandbox): no money moved.
    pub test: bool,
    /// When it was reversed (a bounced cheque, a chargeback, a mistaken entry); None while it stands.
    pub reversed_at: Option<DateTimeUtc>,
    pub reversed_by: Option<Uuid>,
    pub reversal_reason: Option<String>,
    pub created_at: DateTimeUtc,
    /// The provider's commission on an installment payment whose interest the merchant bears;
    /// not charged to the customer.
    pub fee_minor: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
