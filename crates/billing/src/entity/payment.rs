//! Money a gateway took for an order, and what became of it ([`crate::PaymentStatus`]).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub order_id: i64,
    /// The wire name of a [`crate::PaymentStatus`].
    pub status: String,
    pub amount_cents: i64,
    /// ISO 4217, lower case (`usd`).
    pub currency: String,
    /// `stripe` or `test`.
    pub gateway: String,
    pub session_id: Option<String>,
    #[sea_orm(unique)]
    pub payment_intent_id: Option<String>,
    pub refund_id: Option<String>,
    /// When a refund request took this payment on (epoch ms): concurrent requests see it and
    /// answer 409; a claim older than a few minutes (a crashed request) may be taken again.
    pub refund_claimed_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
