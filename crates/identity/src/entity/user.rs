use cinema_kernel::UserId;
use sea_orm::entity::prelude::*;

/// An account: one row of `users`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    /// Its id.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Lower-cased; unique.
    #[sea_orm(unique)]
    pub email: String,
    /// bcrypt hash of the password.
    pub hashed_password: String,
    /// Activated (and not disabled).
    pub is_active: bool,
    /// 1 = USER, 2 = MODERATOR, 3 = ADMIN (see [`crate::Role`]).
    pub group_id: i32,
    /// When it was created (epoch milliseconds).
    pub created_at: i64,
    /// When it last changed (epoch milliseconds).
    pub updated_at: i64,
    /// When an admin disabled the account; only an admin enables it again.
    pub disabled_at: Option<i64>,
}

/// No relations (joins are written where they are needed).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    /// The account's id, typed.
    pub fn user_id(&self) -> UserId {
        UserId(self.id)
    }
}
