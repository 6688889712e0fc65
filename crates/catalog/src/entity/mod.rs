//! SeaORM entities of the catalog. Times are epoch milliseconds, money integer cents, the IMDb
//! score integer tenths.

pub mod movie;
pub mod movie_video;

/// The four taxonomy tables share one shape: `id`, `name`, and `name_key` (the lower-cased
/// name that makes names unique case-insensitively).
macro_rules! named_entity {
    ($module:ident, $table:literal) => {
        pub mod $module {
            use sea_orm::entity::prelude::*;

            #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
            #[sea_orm(table_name = $table)]
            pub struct Model {
                #[sea_orm(primary_key)]
                pub id: i64,
                pub name: String,
                #[sea_orm(unique)]
                pub name_key: String,
            }

            #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
            pub enum Relation {}

            impl ActiveModelBehavior for ActiveModel {}
        }
    };
}

/// The link tables between movies and the taxonomy.
macro_rules! link_entity {
    ($module:ident, $table:literal, $other:ident) => {
        pub mod $module {
            use sea_orm::entity::prelude::*;

            #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
            #[sea_orm(table_name = $table)]
            pub struct Model {
                #[sea_orm(primary_key, auto_increment = false)]
                pub movie_id: i64,
                #[sea_orm(primary_key, auto_increment = false)]
                pub $other: i64,
            }

            #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
            pub enum Relation {}

            impl ActiveModelBehavior for ActiveModel {}
        }
    };
}

named_entity!(certification, "certifications");
named_entity!(genre, "genres");
named_entity!(director, "directors");
named_entity!(star, "stars");
link_entity!(movie_genre, "movie_genres", genre_id);
link_entity!(movie_director, "movie_directors", director_id);
link_entity!(movie_star, "movie_stars", star_id);
