//! The release year of each movie, copied onto its genre links, with an index over
//! `(genre_id, year, movie_id)`: a filter by genre and year range is then counted, and its
//! movies found, from that index alone, without visiting every movie of the genre. Triggers keep
//! the copy right for every writer (the API, `cinema seed`, SQL), inside the writing
//! transaction: a new link takes its movie's year, a movie's new year reaches its links.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES_UP: &[&str] = &[
    "ALTER TABLE movie_genres ADD COLUMN year INTEGER NOT NULL DEFAULT 0",
    "UPDATE movie_genres g SET year = m.year FROM movies m WHERE m.id = g.movie_id",
    "CREATE INDEX movie_genres_genre_year ON movie_genres (genre_id, year, movie_id)",
    "CREATE OR REPLACE FUNCTION movie_genres_take_year() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       NEW.year := (SELECT year FROM movies WHERE id = NEW.movie_id);
       RETURN NEW;
     END $$",
    "CREATE TRIGGER movie_genres_take_year BEFORE INSERT OR UPDATE OF movie_id ON movie_genres
     FOR EACH ROW EXECUTE FUNCTION movie_genres_take_year()",
    "CREATE OR REPLACE FUNCTION movies_year_to_genres() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       UPDATE movie_genres SET year = NEW.year WHERE movie_id = NEW.id;
       RETURN NULL;
     END $$",
    "CREATE TRIGGER movies_year_to_genres AFTER UPDATE OF year ON movies
     FOR EACH ROW WHEN (OLD.year IS DISTINCT FROM NEW.year)
     EXECUTE FUNCTION movies_year_to_genres()",
];

const POSTGRES_DOWN: &[&str] = &[
    "DROP TRIGGER IF EXISTS movies_year_to_genres ON movies",
    "DROP TRIGGER IF EXISTS movie_genres_take_year ON movie_genres",
    "DROP FUNCTION IF EXISTS movies_year_to_genres()",
    "DROP FUNCTION IF EXISTS movie_genres_take_year()",
    "DROP INDEX IF EXISTS movie_genres_genre_year",
    "ALTER TABLE movie_genres DROP COLUMN year",
];

const SQLITE_UP: &[&str] = &[
    "ALTER TABLE movie_genres ADD COLUMN year INTEGER NOT NULL DEFAULT 0",
    "UPDATE movie_genres SET year = (SELECT year FROM movies WHERE movies.id = movie_genres.movie_id)",
    "CREATE INDEX movie_genres_genre_year ON movie_genres (genre_id, year, movie_id)",
    "CREATE TRIGGER movie_genres_take_year AFTER INSERT ON movie_genres BEGIN
       UPDATE movie_genres SET year = (SELECT year FROM movies WHERE id = NEW.movie_id)
       WHERE movie_id = NEW.movie_id AND genre_id = NEW.genre_id;
     END",
    "CREATE TRIGGER movies_year_to_genres AFTER UPDATE OF year ON movies
     WHEN OLD.year <> NEW.year BEGIN
       UPDATE movie_genres SET year = NEW.year WHERE movie_id = NEW.id;
     END",
];

const SQLITE_DOWN: &[&str] = &[
    "DROP TRIGGER IF EXISTS movies_year_to_genres",
    "DROP TRIGGER IF EXISTS movie_genres_take_year",
    "DROP INDEX IF EXISTS movie_genres_genre_year",
    "ALTER TABLE movie_genres DROP COLUMN year",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_raw(manager, POSTGRES_UP, SQLITE_UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_raw(manager, POSTGRES_DOWN, SQLITE_DOWN).await
    }
}
