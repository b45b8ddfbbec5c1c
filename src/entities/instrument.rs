use sea_orm::entity::prelude::*;

use crate::domain::instrument::{InstrumentKind, InstrumentStatus};

/// A cheque or promissory note taken in payment, in the portfolio or on its way.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "instruments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub customer_id: Uuid,
    /// The payment it was booked as.
    pub payment_id: Uuid,
    pub kind: InstrumentKind,
    pub number: String,
    pub bank: Option<String>,
    pub branch: Option<String>,
    pub account_no: Option<String>,
    /// Keşideci: who signed it.
    pub drawer: String,
    pub issue_date: Date,
    /// Vade.
    pub maturity_date: Date,
    pub amount_minor: i64,
    pub currency: String,
    pub status: InstrumentStatus,
    /// Who holds it when not in the portfolio: the endorsee, or the bank it was deposited at.
    pub holder: Option<String>,
    /// When a follow-up task was raised for it sitting in the portfolio past its maturity.
    pub followed_up_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
