//! A Checkout Session opened at the gateway for an order, reused while open.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "checkout_sessions")]
pub struct Model {
    /// The gateway's id (`cs_…`).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub order_id: i64,
    pub gateway: String,
    /// `checkout` (web) or `intent` (mobile).
    pub kind: String,
    pub amount_cents: i64,
    pub currency: String,
    pub url: Option<String>,
    pub client_secret: Option<String>,
    /// `open`, `complete` or `expired`.
    pub status: String,
    pub expires_at: i64,
    pub created_at: i64,
    /// The order's n-th session of this kind (from 0): one row per attempt.
    pub attempt: i32,
    /// When the payer was first told of a decline in this session (it is e-mailed once).
    pub declined_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
