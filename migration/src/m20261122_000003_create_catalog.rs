//! The catalog: taxonomy (certifications, genres, directors, stars), movies and their links,
//! every filter, sort and join column indexed, and full-text search.
//!
//! Names are unique case-insensitively through a lower-cased `name_key` column (portable,
//! unlike expression indexes). Money is integer cents, the IMDb score integer tenths.
//! Search: PostgreSQL keeps a generated, weighted `tsvector` (title A, actors B, directors C,
//! description D) under a GIN index; SQLite keeps an FTS5 index in step through triggers.
//! Both tokenise the same way (lower-cased words, no stemming, accents kept).

use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Certifications {
    Table,
}

#[derive(DeriveIden, Clone, Copy)]
enum Genres {
    Table,
}

#[derive(DeriveIden, Clone, Copy)]
enum Directors {
    Table,
}

#[derive(DeriveIden, Clone, Copy)]
enum Stars {
    Table,
}

#[derive(DeriveIden)]
enum Named {
    Id,
    Name,
    NameKey,
}

#[derive(DeriveIden)]
enum Movies {
    Table,
    Id,
    Uuid,
    Name,
    Year,
    Time,
    ImdbTenths,
    Votes,
    MetaScore,
    GrossCents,
    Description,
    PriceCents,
    CertificationId,
    Directors,
    Actors,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum MovieGenres {
    Table,
    GenreId,
}

#[derive(DeriveIden, Clone, Copy)]
enum MovieDirectors {
    Table,
    DirectorId,
}

#[derive(DeriveIden, Clone, Copy)]
enum MovieStars {
    Table,
    StarId,
}

#[derive(DeriveIden)]
enum Link {
    MovieId,
}

fn named(table: impl IntoTableRef + IntoIden + Clone, len: u32) -> TableCreateStatement {
    Table::create()
        .table(table)
        .col(
            ColumnDef::new(Named::Id)
                .big_integer()
                .not_null()
                .auto_increment()
                .primary_key(),
        )
        .col(ColumnDef::new(Named::Name).string_len(len).not_null())
        .col(
            ColumnDef::new(Named::NameKey)
                .string_len(len)
                .not_null()
                .unique_key(),
        )
        .to_owned()
}

/// A many-to-many link: primary key (movie, other), an index (other, movie) for filters and
/// counts; deleting a movie or the other side removes the link.
fn link(
    table: impl IntoTableRef + IntoIden + Clone,
    other_col: impl IntoIden + Clone,
    other_table: impl IntoIden + Clone,
) -> TableCreateStatement {
    Table::create()
        .table(table.clone())
        .col(ColumnDef::new(Link::MovieId).big_integer().not_null())
        .col(ColumnDef::new(other_col.clone()).big_integer().not_null())
        .primary_key(Index::create().col(Link::MovieId).col(other_col.clone()))
        .foreign_key(
            ForeignKey::create()
                .from(table.clone(), Link::MovieId)
                .to(Movies::Table, Movies::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .foreign_key(
            ForeignKey::create()
                .from(table, other_col)
                .to(other_table, Named::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned()
}

async fn index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden,
    cols: Vec<Movies>,
) -> Result<(), DbErr> {
    let mut stmt = Index::create().name(name).table(table).to_owned();
    for col in cols {
        stmt.col(col);
    }
    manager.create_index(stmt).await
}

pub(crate) const POSTGRES_SEARCH: &[&str] = &[
    "ALTER TABLE movies ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', coalesce(name, '')), 'A') ||
        setweight(to_tsvector('simple', coalesce(actors, '')), 'B') ||
        setweight(to_tsvector('simple', coalesce(directors, '')), 'C') ||
        setweight(to_tsvector('simple', coalesce(description, '')), 'D')) STORED",
    "CREATE INDEX ix_movies_search_vector ON movies USING GIN (search_vector)",
];

const SQLITE_SEARCH: &[&str] = &[
    "CREATE VIRTUAL TABLE movies_fts USING fts5(
        name, actors, directors, description,
        content='movies', content_rowid='id',
        tokenize = 'unicode61 remove_diacritics 0')",
    "CREATE TRIGGER movies_fts_insert AFTER INSERT ON movies BEGIN
        INSERT INTO movies_fts(rowid, name, actors, directors, description)
        VALUES (new.id, new.name, new.actors, new.directors, new.description);
    END",
    "CREATE TRIGGER movies_fts_delete AFTER DELETE ON movies BEGIN
        INSERT INTO movies_fts(movies_fts, rowid, name, actors, directors, description)
        VALUES ('delete', old.id, old.name, old.actors, old.directors, old.description);
    END",
    "CREATE TRIGGER movies_fts_update AFTER UPDATE ON movies BEGIN
        INSERT INTO movies_fts(movies_fts, rowid, name, actors, directors, description)
        VALUES ('delete', old.id, old.name, old.actors, old.directors, old.description);
        INSERT INTO movies_fts(rowid, name, actors, directors, description)
        VALUES (new.id, new.name, new.actors, new.directors, new.description);
    END",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(named(Certifications::Table, 50))
            .await?;
        manager.create_table(named(Genres::Table, 100)).await?;
        manager.create_table(named(Directors::Table, 200)).await?;
        manager.create_table(named(Stars::Table, 200)).await?;
        for (name, table) in [
            ("ix_certifications_name", Certifications::Table.into_iden()),
            ("ix_genres_name", Genres::Table.into_iden()),
            ("ix_directors_name", Directors::Table.into_iden()),
            ("ix_stars_name", Stars::Table.into_iden()),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(table)
                        .col(Named::Name)
                        .col(Named::Id)
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(Movies::Table)
                    .col(
                        ColumnDef::new(Movies::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(Movies::Uuid)
                            .string_len(36)
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(Movies::Name).string_len(500).not_null())
                    .col(ColumnDef::new(Movies::Year).integer().not_null())
                    .col(ColumnDef::new(Movies::Time).integer().not_null())
                    .col(ColumnDef::new(Movies::ImdbTenths).integer().not_null())
                    .col(ColumnDef::new(Movies::Votes).big_integer().not_null())
                    .col(ColumnDef::new(Movies::MetaScore).integer().null())
                    .col(ColumnDef::new(Movies::GrossCents).big_integer().null())
                    .col(ColumnDef::new(Movies::Description).text().not_null())
                    .col(ColumnDef::new(Movies::PriceCents).big_integer().not_null())
                    .col(
                        ColumnDef::new(Movies::CertificationId)
                            .big_integer()
                            .not_null(),
                    )
                    // Names of the movie's directors and stars, kept in step by the catalog
                    // service, so search needs no joins.
                    .col(
                        ColumnDef::new(Movies::Directors)
                            .text()
                            .not_null()
                            .default(""),
                    )
                    .col(ColumnDef::new(Movies::Actors).text().not_null().default(""))
                    .col(ColumnDef::new(Movies::CreatedAt).big_integer().not_null())
                    .col(ColumnDef::new(Movies::UpdatedAt).big_integer().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(Movies::Table, Movies::CertificationId)
                            .to(Certifications::Table, Named::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_movie_identity")
                    .table(Movies::Table)
                    .col(Movies::Name)
                    .col(Movies::Year)
                    .col(Movies::Time)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // Every sort key with the id tiebreak, every range filter, the certification join.
        for (name, col) in [
            ("ix_movies_year_id", Movies::Year),
            ("ix_movies_time_id", Movies::Time),
            ("ix_movies_imdb_id", Movies::ImdbTenths),
            ("ix_movies_votes_id", Movies::Votes),
            ("ix_movies_meta_score_id", Movies::MetaScore),
            ("ix_movies_gross_id", Movies::GrossCents),
            ("ix_movies_price_id", Movies::PriceCents),
            ("ix_movies_certification_id", Movies::CertificationId),
        ] {
            index(manager, name, Movies::Table, vec![col, Movies::Id]).await?;
        }

        manager
            .create_table(link(
                MovieGenres::Table,
                MovieGenres::GenreId,
                Genres::Table,
            ))
            .await?;
        manager
            .create_table(link(
                MovieDirectors::Table,
                MovieDirectors::DirectorId,
                Directors::Table,
            ))
            .await?;
        manager
            .create_table(link(MovieStars::Table, MovieStars::StarId, Stars::Table))
            .await?;
        for (name, table, col) in [
            (
                "ix_movie_genres_genre",
                MovieGenres::Table.into_iden(),
                MovieGenres::GenreId.into_iden(),
            ),
            (
                "ix_movie_directors_director",
                MovieDirectors::Table.into_iden(),
                MovieDirectors::DirectorId.into_iden(),
            ),
            (
                "ix_movie_stars_star",
                MovieStars::Table.into_iden(),
                MovieStars::StarId.into_iden(),
            ),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(table)
                        .col(col)
                        .col(Link::MovieId)
                        .to_owned(),
                )
                .await?;
        }

        let statements = match manager.get_database_backend() {
            DbBackend::Postgres => POSTGRES_SEARCH,
            _ => SQLITE_SEARCH,
        };
        let db = manager.get_connection();
        for sql in statements {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared("DROP TABLE IF EXISTS movies_fts")
                .await?;
        }
        for table in [
            MovieStars::Table.into_iden(),
            MovieDirectors::Table.into_iden(),
            MovieGenres::Table.into_iden(),
            Movies::Table.into_iden(),
            Stars::Table.into_iden(),
            Directors::Table.into_iden(),
            Genres::Table.into_iden(),
            Certifications::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
