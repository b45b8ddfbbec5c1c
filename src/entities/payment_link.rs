use sea_orm::entity::prelude::*;

use crate::domain::payment_link::PaymentLinkStatus;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payment_links")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    /// The secret in the customer's URL (`/pay/{token}`).
    pub token: String,
    pub customer_id: Uuid,
    pub amount_minor: i64,
    pub currency: String,
    pub provider: String,
    pub provider_link_id: Option<String>,
    pub provider_url: Option<String>,
    pub max_installments: i32,
    pub status: PaymentLinkStatus,
    pub expires_at: DateTimeUtc,
    pub paid_at: Option<DateTimeUtc>,
    pub payment_id: Option<Uuid>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
