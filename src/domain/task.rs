//! Tasks on the worklist: what to do, why it is there, and where it stands.

use sea_orm::entity::prelude::*;

/// What to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum TaskKind {
    #[sea_orm(string_value = "CALL")]
    Call,
    #[sea_orm(string_value = "EMAIL")]
    Email,
    #[sea_orm(string_value = "FOLLOW_UP")]
    FollowUp,
    #[sea_orm(string_value = "REVIEW")]
    Review,
}

/// Why the task exists; the worklist puts the urgent sources first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum TaskSource {
    #[sea_orm(string_value = "MANUAL")]
    Manual,
    #[sea_orm(string_value = "DUNNING")]
    Dunning,
    #[sea_orm(string_value = "BROKEN_PROMISE")]
    BrokenPromise,
    #[sea_orm(string_value = "CUSTOMER_REPLY")]
    CustomerReply,
    /// A cheque or note of the customer's bounced, or sits past its maturity.
    #[sea_orm(string_value = "INSTRUMENT")]
    Instrument,
    /// An installment of the customer's payment plan was missed, or the plan broke.
    #[sea_orm(string_value = "PAYMENT_PLAN")]
    PaymentPlan,
}

impl TaskSource {
    /// The worklist's order: broken promises, then customer replies, then dunning, then the rest.
    pub fn priority(self) -> u8 {
        match self {
            TaskSource::BrokenPromise | TaskSource::Instrument | TaskSource::PaymentPlan => 0,
            TaskSource::CustomerReply => 1,
            TaskSource::Dunning => 2,
            TaskSource::Manual => 3,
        }
    }
}

/// Where a task stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum TaskStatus {
    #[sea_orm(string_value = "OPEN")]
    Open,
    #[sea_orm(string_value = "DONE")]
    Done,
    #[sea_orm(string_value = "CANCELLED")]
    Cancelled,
}
