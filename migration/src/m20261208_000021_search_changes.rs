//! The search index's change log: triggers record every movie whose searchable text changed
//! (title, people, description, votes, year, genres — a genre's rename records its movies),
//! and the catalog version's bump stamps the rows of its transaction with the version it
//! commits (`cinema_catalog::cache::version::bump`), so an index at version `v` reads exactly
//! the movies changed after it (`cinema_catalog::search`). Versions commit in order (the bump
//! locks the version row until the commit), so no change is stamped below one already read.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES: &[&str] = &[
    "CREATE TABLE search_changes (movie_id BIGINT NOT NULL, version BIGINT)",
    "CREATE INDEX search_changes_version ON search_changes (version)",
    "CREATE INDEX search_changes_unstamped ON search_changes (movie_id) WHERE version IS NULL",
    "INSERT INTO catalog_counts (name, value) VALUES ('search_changes_pruned', 0)",
    "CREATE FUNCTION cinema_search_movie_changed() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       INSERT INTO search_changes (movie_id)
       VALUES (CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END);
       RETURN NULL;
     END $$",
    "CREATE TRIGGER movies_search_written AFTER INSERT OR DELETE ON movies
     FOR EACH ROW EXECUTE FUNCTION cinema_search_movie_changed()",
    "CREATE TRIGGER movies_search_updated AFTER UPDATE ON movies FOR EACH ROW
     WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.description IS DISTINCT FROM NEW.description
       OR OLD.actors IS DISTINCT FROM NEW.actors OR OLD.directors IS DISTINCT FROM NEW.directors
       OR OLD.votes IS DISTINCT FROM NEW.votes OR OLD.year IS DISTINCT FROM NEW.year)
     EXECUTE FUNCTION cinema_search_movie_changed()",
    "CREATE FUNCTION cinema_search_genre_linked() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       INSERT INTO search_changes (movie_id)
       VALUES (CASE WHEN TG_OP = 'DELETE' THEN OLD.movie_id ELSE NEW.movie_id END);
       RETURN NULL;
     END $$",
    "CREATE TRIGGER movie_genres_search_changed AFTER INSERT OR DELETE ON movie_genres
     FOR EACH ROW EXECUTE FUNCTION cinema_search_genre_linked()",
    "CREATE FUNCTION cinema_search_genre_renamed() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       INSERT INTO search_changes (movie_id) SELECT movie_id FROM movie_genres WHERE genre_id = NEW.id;
       RETURN NULL;
     END $$",
    "CREATE TRIGGER genres_search_renamed AFTER UPDATE ON genres FOR EACH ROW
     WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION cinema_search_genre_renamed()",
];

const SQLITE: &[&str] = &[
    "CREATE TABLE search_changes (movie_id INTEGER NOT NULL, version INTEGER)",
    "CREATE INDEX search_changes_version ON search_changes (version)",
    "CREATE INDEX search_changes_unstamped ON search_changes (movie_id) WHERE version IS NULL",
    "INSERT INTO catalog_counts (name, value) VALUES ('search_changes_pruned', 0)",
    "CREATE TRIGGER movies_search_inserted AFTER INSERT ON movies
     BEGIN INSERT INTO search_changes (movie_id) VALUES (NEW.id); END",
    "CREATE TRIGGER movies_search_deleted AFTER DELETE ON movies
     BEGIN INSERT INTO search_changes (movie_id) VALUES (OLD.id); END",
    "CREATE TRIGGER movies_search_updated AFTER UPDATE ON movies
     WHEN OLD.name IS NOT NEW.name OR OLD.description IS NOT NEW.description
       OR OLD.actors IS NOT NEW.actors OR OLD.directors IS NOT NEW.directors
       OR OLD.votes IS NOT NEW.votes OR OLD.year IS NOT NEW.year
     BEGIN INSERT INTO search_changes (movie_id) VALUES (NEW.id); END",
    "CREATE TRIGGER movie_genres_search_inserted AFTER INSERT ON movie_genres
     BEGIN INSERT INTO search_changes (movie_id) VALUES (NEW.movie_id); END",
    "CREATE TRIGGER movie_genres_search_deleted AFTER DELETE ON movie_genres
     BEGIN INSERT INTO search_changes (movie_id) VALUES (OLD.movie_id); END",
    "CREATE TRIGGER genres_search_renamed AFTER UPDATE ON genres WHEN OLD.name IS NOT NEW.name
     BEGIN
       INSERT INTO search_changes (movie_id) SELECT movie_id FROM movie_genres WHERE genre_id = NEW.id;
     END",
];

const DOWN_POSTGRES: &[&str] = &[
    "DROP TRIGGER IF EXISTS genres_search_renamed ON genres",
    "DROP TRIGGER IF EXISTS movie_genres_search_changed ON movie_genres",
    "DROP TRIGGER IF EXISTS movies_search_updated ON movies",
    "DROP TRIGGER IF EXISTS movies_search_written ON movies",
    "DROP FUNCTION IF EXISTS cinema_search_genre_renamed()",
    "DROP FUNCTION IF EXISTS cinema_search_genre_linked()",
    "DROP FUNCTION IF EXISTS cinema_search_movie_changed()",
    "DELETE FROM catalog_counts WHERE name = 'search_changes_pruned'",
    "DROP TABLE IF EXISTS search_changes",
];

const DOWN_SQLITE: &[&str] = &[
    "DROP TRIGGER IF EXISTS genres_search_renamed",
    "DROP TRIGGER IF EXISTS movie_genres_search_deleted",
    "DROP TRIGGER IF EXISTS movie_genres_search_inserted",
    "DROP TRIGGER IF EXISTS movies_search_updated",
    "DROP TRIGGER IF EXISTS movies_search_deleted",
    "DROP TRIGGER IF EXISTS movies_search_inserted",
    "DELETE FROM catalog_counts WHERE name = 'search_changes_pruned'",
    "DROP TABLE IF EXISTS search_changes",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_raw(manager, POSTGRES, SQLITE).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_raw(manager, DOWN_POSTGRES, DOWN_SQLITE).await
    }
}
