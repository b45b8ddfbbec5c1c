use sea_orm::entity::prelude::*;

use crate::domain::dunning::TemplateChannel;

/// A reminder text in one channel and language; templates of one name are one text's languages.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "message_templates")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub name: String,
    pub channel: TemplateChannel,
    /// `tr` or `en`.
    pub language: String,
    /// Mail only.
    pub subject: Option<String>,
    pub body: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
