use sea_orm::entity::prelude::*;

/// A callback as received, kept for audit (never card data: hosted pages only).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "provider_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// None when the callback could not be trusted to name its tenant.
    pub organization_id: Option<Uuid>,
    pub provider: String,
    /// None for rejected callbacks, so a forgery never shadows the genuine event.
    pub event_key: Option<String>,
    pub received_at: DateTimeUtc,
    pub signature_ok: bool,
    pub outcome: String,
    pub payment_id: Option<Uuid>,
    pub raw_body: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
