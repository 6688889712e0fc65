use sea_orm::entity::prelude::*;

/// One refresh token of a session. Rotation marks it used and issues the next; presenting a
/// used one again is reuse, and revokes the whole session.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "refresh_tokens")]
pub struct Model {
    /// Its id.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The session it refreshes.
    pub session_id: i64,
    /// SHA-256 of the token (the token itself is never stored).
    #[sea_orm(unique)]
    pub token_hash: String,
    /// When it was created (epoch milliseconds).
    pub created_at: i64,
    /// When it stops working (epoch milliseconds).
    pub expires_at: i64,
    /// When it was exchanged (it works once).
    pub used_at: Option<i64>,
}

/// No relations (joins are written where they are needed).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
