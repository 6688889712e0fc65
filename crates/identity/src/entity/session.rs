use sea_orm::entity::prelude::*;

/// A signed-in device. Access tokens name it (`sid`), so revoking it ends them at once.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    /// Its id.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The account.
    pub user_id: i64,
    /// The client's `User-Agent`.
    pub user_agent: Option<String>,
    /// The client's address.
    pub ip: Option<String>,
    /// When it was created (epoch milliseconds).
    pub created_at: i64,
    /// When it was last used (epoch milliseconds).
    pub last_used_at: i64,
    /// When it stops working (epoch milliseconds).
    pub expires_at: i64,
    /// When it was signed out.
    pub revoked_at: Option<i64>,
}

/// No relations (joins are written where they are needed).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
