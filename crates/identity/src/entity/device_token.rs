use sea_orm::entity::prelude::*;

/// A known device: the hash of the opaque token a successful sign-in handed it. Sign-ins that
/// send the token back are exempt from the account's slowdown; wrong passwords sent with it
/// count in `failures`, and past the limit it exempts no more.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "device_tokens")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub token_hash: String,
    pub failures: i32,
    pub created_at: i64,
    pub last_used_at: i64,
    pub expires_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
