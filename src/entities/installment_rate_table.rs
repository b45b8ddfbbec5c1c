use sea_orm::entity::prelude::*;

/// An organization's installment table at one provider (`setInstallmentRates`); without one,
/// `TAHSILAT_INSTALLMENT_RATES` applies with the customer bearing the interest.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "installment_rate_tables")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub provider: String,
    /// `CUSTOMER` (the total grows by the rate) or `MERCHANT` (the customer pays the amount; the
    /// rate is the provider's commission, recorded on the payment).
    pub payer: String,
    /// `count:percent,…`, as `TAHSILAT_INSTALLMENT_RATES` writes it.
    pub rates: String,
    /// Whether the pay page offers this provider beside the link's own.
    pub offered: bool,
    pub updated_by: Option<Uuid>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
