//! Watch: a movie's video and trailer (`movie_videos`: the object key, type and size of each,
//! one row per movie and kind) and where each owner left off (`watch_progress`).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &[&str] = &[
    "CREATE TABLE movie_videos (
         movie_id BIGINT NOT NULL REFERENCES movies (id) ON DELETE CASCADE,
         kind VARCHAR(16) NOT NULL,
         object_key VARCHAR(255) NOT NULL,
         content_type VARCHAR(32) NOT NULL,
         size_bytes BIGINT NOT NULL,
         duration_secs INTEGER,
         created_at BIGINT NOT NULL,
         PRIMARY KEY (movie_id, kind)
     )",
    "CREATE UNIQUE INDEX movie_videos_key ON movie_videos (object_key)",
    "CREATE TABLE watch_progress (
         user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
         movie_id BIGINT NOT NULL REFERENCES movies (id) ON DELETE CASCADE,
         position_secs INTEGER NOT NULL,
         updated_at BIGINT NOT NULL,
         PRIMARY KEY (user_id, movie_id)
     )",
    "CREATE INDEX watch_progress_recent ON watch_progress (user_id, updated_at)",
    "CREATE INDEX watch_progress_movie ON watch_progress (movie_id)",
];

const DOWN: &[&str] = &["DROP TABLE watch_progress", "DROP TABLE movie_videos"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_raw(manager, UP, UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_raw(manager, DOWN, DOWN).await
    }
}
