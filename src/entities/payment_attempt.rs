use sea_orm::entity::prelude::*;

/// One try at paying a link at a provider whose page is made per attempt (iyzico's checkout
/// form, a bank's NestPay form): begun when the payer chooses an installment count.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payment_attempts")]
pub struct Model {
    /// Also the reference the provider echoes (iyzico's `conversationId`, NestPay's `oid`).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub link_id: Uuid,
    pub provider: String,
    /// The provider's handle on the attempt (iyzico's token), for asking about it later.
    pub provider_ref: Option<String>,
    pub installment_count: i32,
    /// What the invoices are credited.
    pub amount_minor: i64,
    /// What the card is charged, the customer's installment interest included.
    pub charged_minor: i64,
    pub currency: String,
    pub status: AttemptStatus,
    pub created_at: DateTimeUtc,
    /// When the reconciliation job last asked the provider about it.
    pub checked_at: Option<DateTimeUtc>,
    pub settled_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// Where an attempt stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum AttemptStatus {
    /// Sent to the provider; no outcome known yet.
    #[sea_orm(string_value = "open")]
    Open,
    #[sea_orm(string_value = "paid")]
    Paid,
    #[sea_orm(string_value = "failed")]
    Failed,
    /// Never finished at the provider, and too old to finish now.
    #[sea_orm(string_value = "abandoned")]
    Abandoned,
}
