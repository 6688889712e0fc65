use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "user_profiles")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub user_id: i64,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// `MAN` or `WOMAN`.
    pub gender: Option<String>,
    pub date_of_birth: Option<chrono::NaiveDate>,
    #[sea_orm(column_type = "Text", nullable)]
    pub info: Option<String>,
    /// Object key of the avatar in storage.
    pub avatar: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
