use sea_orm::entity::prelude::*;

use crate::domain::dunning::{SendOutcome, StepChannel};

/// What became of one reminder step for one plan installment; unique per (installment, policy,
/// offset), so it goes once.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "plan_reminder_sends")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub installment_id: Uuid,
    pub customer_id: Uuid,
    pub policy_id: Uuid,
    pub offset_days: i32,
    pub outcome: SendOutcome,
    /// How it went out (after any fallback).
    pub channel: StepChannel,
    /// The organization's day it was planned for.
    pub planned_on: Date,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
