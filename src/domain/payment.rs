//! How a payment was made.

use sea_orm::entity::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(20))")]
pub enum PaymentMethod {
    #[sea_orm(string_value = "CASH")]
    Cash,
    #[sea_orm(string_value = "BANK_TRANSFER")]
    BankTransfer,
    /// Çek.
    #[sea_orm(string_value = "CHEQUE")]
    Cheque,
    /// Senet.
    #[sea_orm(string_value = "PROMISSORY_NOTE")]
    PromissoryNote,
    #[sea_orm(string_value = "CARD")]
    Card,
    #[sea_orm(string_value = "OTHER")]
    Other,
}
