use sea_orm::entity::prelude::*;

/// A URL an organization wants its events sent to, with the secret that signs them.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_endpoints")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub url: String,
    pub description: Option<String>,
    /// The event type names it receives (`invoice.paid`, …), as a JSON array.
    pub event_types: Json,
    pub enabled: bool,
    /// `whsec_` and the base64 key; kept so that it can sign.
    pub secret: String,
    /// The secret before the last rotation, still signing beside the new one until the time below.
    pub previous_secret: Option<String>,
    pub previous_secret_until: Option<DateTimeUtc>,
    /// When its deliveries started failing without a success since; cleared by any success.
    pub failing_since: Option<DateTimeUtc>,
    pub disabled_at: Option<DateTimeUtc>,
    pub disabled_reason: Option<String>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
