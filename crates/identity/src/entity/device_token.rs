use sea_orm::entity::prelude::*;

/// A known device: the hash of the opaque token a successful sign-in handed it. Sign-ins that
/// send the token back are exempt from the account's slowdown; wrong passwords sent with it
/// count in `failures`, and past the limit it exempts no more.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "device_tokens")]
pub struct Model {
    /// Its id.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The account.
    pub user_id: i64,
    /// SHA-256 of the token (the token itself is never stored).
    pub token_hash: String,
    /// Wrong passwords sent with it since its last success.
    pub failures: i32,
    /// When it was created (epoch milliseconds).
    pub created_at: i64,
    /// When it last signed in (epoch milliseconds).
    pub last_used_at: i64,
    /// When it stops working (epoch milliseconds).
    pub expires_at: i64,
}

/// No relations (joins are written where they are needed).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
