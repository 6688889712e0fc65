//! A Checkout Session opened at the gateway for an order, reused while open.

use sea_orm::entity::prelude::*;

/// A checkout session or PaymentIntent opened at the gateway for an order.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "checkout_sessions")]
pub struct Model {
    /// The gateway's id (`cs_…`).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// The order.
    pub order_id: i64,
    /// Which gateway (`stripe` or `test`).
    pub gateway: String,
    /// `checkout` (web) or `intent` (mobile).
    pub kind: String,
    /// The amount in the currency's minor unit.
    pub amount_cents: i64,
    /// ISO 4217, lower case.
    pub currency: String,
    /// The hosted page (sessions).
    pub url: Option<String>,
    /// What the client SDK confirms with (intents).
    pub client_secret: Option<String>,
    /// `open`, `complete` or `expired`.
    pub status: String,
    /// When it stops being payable (epoch milliseconds).
    pub expires_at: i64,
    /// When it was created (epoch milliseconds).
    pub created_at: i64,
    /// The order's n-th session of this kind (from 0): one row per attempt.
    pub attempt: i32,
    /// When the payer was first told of a decline in this session (it is e-mailed once).
    pub declined_at: Option<i64>,
}

/// No relations (joins are written where they are needed).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
