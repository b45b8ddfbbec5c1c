use sea_orm::entity::prelude::*;

use crate::domain::instrument::InstrumentStatus;

/// One move of an instrument: the status it reached, on which day, why.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "instrument_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub instrument_id: Uuid,
    pub status: InstrumentStatus,
    pub on_date: Date,
    pub note: Option<String>,
    pub actor_label: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
