//! Money a gateway took for an order, and what became of it ([`crate::PaymentStatus`]).

use sea_orm::entity::prelude::*;

/// Money received for an order: one row of `payments`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payments")]
pub struct Model {
    /// Its id.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The account.
    pub user_id: i64,
    /// The order.
    pub order_id: i64,
    /// The wire name of a [`crate::PaymentStatus`].
    pub status: String,
    /// The amount in the currency's minor unit.
    pub amount_cents: i64,
    /// ISO 4217, lower case (`usd`).
    pub currency: String,
    /// `stripe` or `test`.
    pub gateway: String,
    /// The checkout session it came through.
    pub session_id: Option<String>,
    /// The gateway's PaymentIntent.
    #[sea_orm(unique)]
    pub payment_intent_id: Option<String>,
    /// The gateway's refund, once refunded.
    pub refund_id: Option<String>,
    /// When a refund request took this payment on (epoch ms): concurrent requests see it and
    /// answer 409; a claim older than a few minutes (a crashed request) may be taken again.
    pub refund_claimed_at: Option<i64>,
    /// When it was created (epoch milliseconds).
    pub created_at: i64,
    /// When it last changed (epoch milliseconds).
    pub updated_at: i64,
}

/// No relations (joins are written where they are needed).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
