//! Engagement: reactions, ratings, favorites, comments with replies and likes, notifications.
//!
//! Aggregates live on the rows lists already read — like, dislike, comment and rating counts on
//! `movies`, like and reply counts on `comments` — and are changed in the transaction of the
//! change itself, so list pages cost the queries they cost before. Sorting by rating uses the
//! maintained average (tenths; null while unrated, sorted last). Everything a movie or a user
//! owns goes with it (`ON DELETE CASCADE`). SQLite's full-text index is refreshed only when a
//! searched column changes, not on every count update.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const COMMON: &[&str] = &[
    "ALTER TABLE movies ADD COLUMN like_count BIGINT NOT NULL DEFAULT 0",
    "ALTER TABLE movies ADD COLUMN dislike_count BIGINT NOT NULL DEFAULT 0",
    "ALTER TABLE movies ADD COLUMN comment_count BIGINT NOT NULL DEFAULT 0",
    "ALTER TABLE movies ADD COLUMN rating_count BIGINT NOT NULL DEFAULT 0",
    "ALTER TABLE movies ADD COLUMN rating_sum BIGINT NOT NULL DEFAULT 0",
    "ALTER TABLE movies ADD COLUMN rating_avg_tenths INTEGER",
    "CREATE TABLE movie_reactions (
         user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
         movie_id BIGINT NOT NULL REFERENCES movies (id) ON DELETE CASCADE,
         kind SMALLINT NOT NULL,
         created_at BIGINT NOT NULL,
         PRIMARY KEY (user_id, movie_id)
     )",
    "CREATE INDEX movie_reactions_movie ON movie_reactions (movie_id)",
    "CREATE TABLE movie_ratings (
         user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
         movie_id BIGINT NOT NULL REFERENCES movies (id) ON DELETE CASCADE,
         score SMALLINT NOT NULL,
         updated_at BIGINT NOT NULL,
         PRIMARY KEY (user_id, movie_id)
     )",
    "CREATE INDEX movie_ratings_movie ON movie_ratings (movie_id)",
    "CREATE TABLE favorites (
         user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
         movie_id BIGINT NOT NULL REFERENCES movies (id) ON DELETE CASCADE,
         created_at BIGINT NOT NULL,
         PRIMARY KEY (user_id, movie_id)
     )",
    "CREATE INDEX favorites_movie ON favorites (movie_id)",
    "CREATE TABLE comments (
         id {id},
         movie_id BIGINT NOT NULL REFERENCES movies (id) ON DELETE CASCADE,
         user_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
         parent_id BIGINT REFERENCES comments (id) ON DELETE CASCADE,
         body TEXT NOT NULL,
         deleted BOOLEAN NOT NULL DEFAULT FALSE,
         like_count BIGINT NOT NULL DEFAULT 0,
         reply_count BIGINT NOT NULL DEFAULT 0,
         created_at BIGINT NOT NULL
     )",
    "CREATE INDEX comments_movie ON comments (movie_id, created_at, id)",
    "CREATE INDEX comments_parent ON comments (parent_id, created_at, id)",
    "CREATE INDEX comments_user ON comments (user_id, created_at)",
    "CREATE TABLE comment_likes (
         user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
         comment_id BIGINT NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
         created_at BIGINT NOT NULL,
         PRIMARY KEY (user_id, comment_id)
     )",
    "CREATE INDEX comment_likes_comment ON comment_likes (comment_id)",
    "CREATE TABLE notifications (
         id {id},
         user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
         kind VARCHAR(32) NOT NULL,
         actor_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
         comment_id BIGINT REFERENCES comments (id) ON DELETE CASCADE,
         movie_id BIGINT REFERENCES movies (id) ON DELETE CASCADE,
         read_at BIGINT,
         created_at BIGINT NOT NULL
     )",
    "CREATE INDEX notifications_user ON notifications (user_id, created_at, id)",
    "CREATE INDEX notifications_unread ON notifications (user_id, read_at)",
    "CREATE INDEX notifications_dedupe ON notifications (comment_id, actor_id, kind, created_at)",
];

const POSTGRES: &[&str] = &[
    "CREATE INDEX ix_movies_rating_id ON movies (rating_avg_tenths ASC NULLS LAST, id ASC)",
    "CREATE INDEX ix_movies_rating_desc_id ON movies (rating_avg_tenths DESC NULLS LAST, id DESC)",
];

const SQLITE: &[&str] = &[
    "CREATE INDEX ix_movies_rating_id ON movies (rating_avg_tenths, id)",
    // One call, so both statements run on one pooled connection: another connection's cached
    // schema would still see the dropped trigger and refuse to create it again.
    "DROP TRIGGER movies_fts_update;
     CREATE TRIGGER movies_fts_update AFTER UPDATE OF name, actors, directors, description
     ON movies BEGIN
        INSERT INTO movies_fts(movies_fts, rowid, name, actors, directors, description)
        VALUES ('delete', old.id, old.name, old.actors, old.directors, old.description);
        INSERT INTO movies_fts(rowid, name, actors, directors, description)
        VALUES (new.id, new.name, new.actors, new.directors, new.description);
    END",
];

const DOWN_TABLES: &[&str] = &[
    "DROP TABLE notifications",
    "DROP TABLE comment_likes",
    "DROP TABLE comments",
    "DROP TABLE favorites",
    "DROP TABLE movie_ratings",
    "DROP TABLE movie_reactions",
    "DROP INDEX ix_movies_rating_id",
];

const DOWN_COLUMNS: &[&str] = &[
    "ALTER TABLE movies DROP COLUMN rating_avg_tenths",
    "ALTER TABLE movies DROP COLUMN rating_sum",
    "ALTER TABLE movies DROP COLUMN rating_count",
    "ALTER TABLE movies DROP COLUMN comment_count",
    "ALTER TABLE movies DROP COLUMN dislike_count",
    "ALTER TABLE movies DROP COLUMN like_count",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_with_ids(manager, COMMON).await?;
        crate::run_raw(manager, POSTGRES, SQLITE).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_raw(manager, DOWN_TABLES, DOWN_TABLES).await?;
        crate::run_raw(manager, &["DROP INDEX ix_movies_rating_desc_id"], &[]).await?;
        crate::run_raw(manager, DOWN_COLUMNS, DOWN_COLUMNS).await
    }
}
