use sea_orm::entity::prelude::*;

/// Work to do outside the database (mail, webhooks), written in the transaction that causes it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Option<Uuid>,
    pub kind: OutboxKind,
    pub payload: Json,
    pub status: OutboxStatus,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    pub last_error: Option<String>,
    /// For reminders: the customer, step and invoices, to log REMINDER_FAILED if it never goes.
    pub context: Option<Json>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// What an outbox row carries out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum OutboxKind {
    /// A mail, sent over SMTP or written as an .eml file.
    #[sea_orm(string_value = "email")]
    Email,
    /// An SMS, sent through the configured SMS provider (or written as a file).
    #[sea_orm(string_value = "sms")]
    Sms,
}

impl OutboxKind {
    /// The stored name, for metrics labels.
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxKind::Email => "email",
            OutboxKind::Sms => "sms",
        }
    }
}

/// Where an outbox row stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum OutboxStatus {
    /// Waiting for its next try.
    #[sea_orm(string_value = "pending")]
    Pending,
    /// Claimed by a worker under a lease; taken again when the lease runs out.
    #[sea_orm(string_value = "sending")]
    Sending,
    #[sea_orm(string_value = "sent")]
    Sent,
    /// Given up after too many tries (logged).
    #[sea_orm(string_value = "failed")]
    Failed,
    /// Dropped before sending: every invoice it was about was paid, voided or disputed meanwhile.
    #[sea_orm(string_value = "dropped")]
    Dropped,
}
