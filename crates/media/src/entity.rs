//! SeaORM entities of the media slice.

/// Objects that may have to be deleted from the store: fresh uploads not yet referenced (due
/// after a grace period) and objects whose reference was dropped (due at once).
pub mod pending_object {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "media_pending_objects")]
    /// An object that may need deleting: uploaded and not yet pointed at, or released by the row that pointed at it.
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        /// Its key in the store.
        pub key: String,
        /// Epoch ms after which the sweep deletes the object; 0 once the sweep has claimed it.
        pub due_at: i64,
        /// When it was listed (epoch milliseconds).
        pub created_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    /// No relations.
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
