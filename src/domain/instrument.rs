//! Cheques (çek) and promissory notes (senet) taken in payment: what they are, where each can go
//! next, and which still carry risk.

use sea_orm::entity::prelude::*;

/// What kind of paper it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum InstrumentKind {
    /// Çek: drawn on a bank account, payable at its maturity (vade).
    #[sea_orm(string_value = "CHEQUE")]
    Cheque,
    /// Senet: the customer's own written promise to pay on its maturity.
    #[sea_orm(string_value = "PROMISSORY_NOTE")]
    PromissoryNote,
}

/// Where an instrument is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum InstrumentStatus {
    /// In the company's safe (portföyde), waiting for its maturity.
    #[sea_orm(string_value = "IN_PORTFOLIO")]
    InPortfolio,
    /// Passed on to a supplier (ciro); if it bounces, it comes back (recourse).
    #[sea_orm(string_value = "ENDORSED")]
    Endorsed,
    /// Given to a bank for collection or as collateral (tahsile / teminata verildi).
    #[sea_orm(string_value = "DEPOSITED")]
    Deposited,
    /// Paid: the money is in.
    #[sea_orm(string_value = "CLEARED")]
    Cleared,
    /// Not paid (karşılıksız; a note protested): its payment is reversed and the debt is back.
    #[sea_orm(string_value = "BOUNCED")]
    Bounced,
    /// Handed back to the customer.
    #[sea_orm(string_value = "RETURNED")]
    Returned,
}

impl InstrumentStatus {
    /// Whether the instrument can move from this status to `next`.
    pub fn can_move_to(self, next: InstrumentStatus) -> bool {
        use InstrumentStatus::*;
        matches!(
            (self, next),
            (
                InPortfolio,
                Endorsed | Deposited | Cleared | Bounced | Returned
            ) | (Endorsed | Deposited, Cleared | Bounced)
                | (Bounced, Returned)
        )
    }

    /// Still a risk: the money is not in yet (an endorsed one can still come back).
    pub fn uncleared(self) -> bool {
        matches!(
            self,
            InstrumentStatus::InPortfolio
                | InstrumentStatus::Endorsed
                | InstrumentStatus::Deposited
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            InstrumentStatus::InPortfolio => "IN_PORTFOLIO",
            InstrumentStatus::Endorsed => "ENDORSED",
            InstrumentStatus::Deposited => "DEPOSITED",
            InstrumentStatus::Cleared => "CLEARED",
            InstrumentStatus::Bounced => "BOUNCED",
            InstrumentStatus::Returned => "RETURNED",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::InstrumentStatus::*;

    #[test]
    fn the_lifecycle_allows_only_real_moves() {
        assert!(InPortfolio.can_move_to(Deposited));
        assert!(Deposited.can_move_to(Bounced));
        assert!(Endorsed.can_move_to(Bounced), "recourse");
        assert!(Bounced.can_move_to(Returned));
        assert!(
            !Returned.can_move_to(Cleared),
            "a returned cheque cannot clear"
        );
        assert!(
            !Bounced.can_move_to(Endorsed),
            "a bounced cheque cannot be endorsed"
        );
        assert!(!Cleared.can_move_to(Bounced));
        assert!(!Deposited.can_move_to(Endorsed));
        assert!(InPortfolio.uncleared() && Endorsed.uncleared() && !Cleared.uncleared());
    }
}
