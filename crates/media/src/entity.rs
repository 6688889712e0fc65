//! SeaORM entities of the media slice.

/// Objects that may have to be deleted from the store: fresh uploads not yet referenced (due
/// after a grace period) and objects whose reference was dropped (due at once).
pub mod pending_object {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "media_pending_objects")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub key: String,
        /// Epoch ms after which the sweep deletes the object; 0 once the sweep has claimed it.
        pub due_at: i64,
        pub created_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
