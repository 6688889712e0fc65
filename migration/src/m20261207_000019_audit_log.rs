//! The audit trail: one row per staff write, inserted in the write's own transaction — who
//! (their id and e-mail as they were), what, which object, a short before/after summary and the
//! request id. No foreign keys: the record outlives the account and the object.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// With `{id}` standing for each backend's auto-incrementing key.
const UP: &[&str] = &[
    "CREATE TABLE audit_log (
         id {id},
         at BIGINT NOT NULL,
         actor_id BIGINT,
         actor_email VARCHAR(320),
         action VARCHAR(64) NOT NULL,
         object_type VARCHAR(32) NOT NULL,
         object_id VARCHAR(64) NOT NULL,
         summary TEXT NOT NULL,
         request_id VARCHAR(128)
     )",
    "CREATE INDEX audit_log_at ON audit_log (at, id)",
    "CREATE INDEX audit_log_actor ON audit_log (actor_id, at, id)",
    "CREATE INDEX audit_log_action ON audit_log (action, at, id)",
    "CREATE INDEX audit_log_object ON audit_log (object_type, object_id, at, id)",
];

const DOWN: &[&str] = &["DROP TABLE audit_log"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_with_ids(manager, UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_raw(manager, DOWN, DOWN).await
    }
}
