//! A webhook event that took effect: its id is the key that makes it take effect once.

use sea_orm::entity::prelude::*;

/// A webhook event applied: recorded with its effects, so it is applied once.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_events")]
pub struct Model {
    /// The event's id (`evt_…`).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Its type.
    #[sea_orm(column_name = "type")]
    pub event_type: String,
    /// When it was applied (epoch milliseconds).
    pub received_at: i64,
}

/// No relations (joins are written where they are needed).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
