//! SeaORM entities of the catalog. Times are epoch milliseconds, money integer cents, the IMDb
//! score integer tenths.

/// Movies.
pub mod movie;
/// Movies' videos and trailers.
pub mod movie_video;

/// The four taxonomy tables share one shape: `id`, `name`, and `name_key` (the lower-cased
/// name that makes names unique case-insensitively).
macro_rules! named_entity {
    ($module:ident, $table:literal) => {
        #[doc = concat!("The `", $table, "` table.")]
        pub mod $module {
            use sea_orm::entity::prelude::*;

            /// One entry.
            #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
            #[sea_orm(table_name = $table)]
            pub struct Model {
                /// Its id.
                #[sea_orm(primary_key)]
                pub id: i64,
                /// Its name, as written.
                pub name: String,
                /// The name lower-cased: unique.
                #[sea_orm(unique)]
                pub name_key: String,
            }

            /// No relations (joins are written where they are needed).
            #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
            pub enum Relation {}

            impl ActiveModelBehavior for ActiveModel {}
        }
    };
}

/// The link tables between movies and the taxonomy.
macro_rules! link_entity {
    ($module:ident, $table:literal, $other:ident) => {
        #[doc = concat!("The `", $table, "` table.")]
        pub mod $module {
            use sea_orm::entity::prelude::*;

            /// One link.
            #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
            #[sea_orm(table_name = $table)]
            pub struct Model {
                /// The movie.
                #[sea_orm(primary_key, auto_increment = false)]
                pub movie_id: i64,
                /// What it is linked to.
                #[sea_orm(primary_key, auto_increment = false)]
                pub $other: i64,
            }

            /// No relations (joins are written where they are needed).
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
