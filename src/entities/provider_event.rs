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
    pub outcome: EventOutcome,
    pub payment_id: Option<Uuid>,
    /// The body of a verified callback; empty for one that failed verification (only its
    /// metadata below is kept, so forgeries cannot fill the disk).
    pub raw_body: String,
    /// Hex SHA-256 of the body as received.
    pub body_sha256: Option<String>,
    pub body_size: Option<i64>,
    /// The sender's address, as the connection showed it.
    pub source_address: Option<String>,
    /// Why the callback was refused or set aside.
    pub reason: Option<String>,
    /// What a verified success reported: the charge, its currency, the provider's transaction
    /// and the installment count (kept so an unknown-link payment can be assigned by hand).
    pub charged_minor: Option<i64>,
    pub currency: Option<String>,
    pub transaction_id: Option<String>,
    pub installment_count: Option<i32>,
    /// Who assigned an unknown-link payment to a customer, and when.
    pub assigned_by: Option<Uuid>,
    pub assigned_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// What became of a callback, as kept in `provider_events.outcome`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum EventOutcome {
    /// Claimed by a transaction that has not finished (never seen after a commit).
    #[sea_orm(string_value = "processing")]
    Processing,
    #[sea_orm(string_value = "recorded")]
    Recorded,
    #[sea_orm(string_value = "recorded for review")]
    RecordedForReview,
    /// The provider reported a declined payment.
    #[sea_orm(string_value = "failed")]
    Failed,
    /// Signed, but for no link of ours.
    #[sea_orm(string_value = "unknown link")]
    UnknownLink,
    /// The signature did not verify; only metadata is kept.
    #[sea_orm(string_value = "rejected")]
    Rejected,
    /// Signed (or not checkable) but not readable as a payment report; only metadata is kept.
    #[sea_orm(string_value = "malformed")]
    Malformed,
}
