//! Disputes: why a customer objects to an invoice, and how the objection ended.

use sea_orm::entity::prelude::*;

/// What the customer objects to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum DisputeReason {
    #[sea_orm(string_value = "PRICE")]
    Price,
    #[sea_orm(string_value = "QUANTITY")]
    Quantity,
    #[sea_orm(string_value = "QUALITY")]
    Quality,
    #[sea_orm(string_value = "NOT_RECEIVED")]
    NotReceived,
    #[sea_orm(string_value = "ALREADY_PAID")]
    AlreadyPaid,
    #[sea_orm(string_value = "DUPLICATE")]
    Duplicate,
    #[sea_orm(string_value = "OTHER")]
    Other,
}

/// Whether a dispute still stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum DisputeStatus {
    #[sea_orm(string_value = "OPEN")]
    Open,
    #[sea_orm(string_value = "RESOLVED")]
    Resolved,
}

/// How a resolved dispute ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum DisputeOutcome {
    /// The customer was right (a credit note or correction follows outside Tahsilat).
    #[sea_orm(string_value = "UPHELD")]
    Upheld,
    /// The invoice stands as it is.
    #[sea_orm(string_value = "REJECTED")]
    Rejected,
}
