use sea_orm::entity::prelude::*;

/// A user's profile.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "user_profiles")]
pub struct Model {
    /// Its id.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The account.
    #[sea_orm(unique)]
    pub user_id: i64,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// `MAN` or `WOMAN`.
    pub gender: Option<String>,
    /// Date of birth.
    pub date_of_birth: Option<chrono::NaiveDate>,
    /// About me.
    #[sea_orm(column_type = "Text", nullable)]
    pub info: Option<String>,
    /// Object key of the avatar in storage.
    pub avatar: Option<String>,
    /// When it was created (epoch milliseconds).
    pub created_at: i64,
    /// When it last changed (epoch milliseconds).
    pub updated_at: i64,
}

/// No relations (joins are written where they are needed).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
