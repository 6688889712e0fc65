use sea_orm::entity::prelude::*;

/// A one-time token (activation or password reset), stored only as its SHA-256 hash. A user
/// has at most one live token per purpose.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "account_tokens")]
pub struct Model {
    /// Its id.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The account.
    pub user_id: i64,
    /// See [`crate::entity::account_token::Purpose`].
    pub purpose: String,
    /// SHA-256 of the token (the token itself is never stored).
    #[sea_orm(unique)]
    pub token_hash: String,
    /// When it stops working (epoch milliseconds).
    pub expires_at: i64,
    /// When it was created (epoch milliseconds).
    pub created_at: i64,
}

/// No relations (joins are written where they are needed).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// What a one-time token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Activates an account.
    Activation,
    /// Resets a password.
    PasswordReset,
}

impl Purpose {
    /// Its name in the `purpose` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Activation => "activation",
            Purpose::PasswordReset => "password_reset",
        }
    }
}
