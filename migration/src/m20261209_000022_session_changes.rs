//! Announces every change that can end a session's access, so processes that remember who an
//! access token belongs to (`cinema_identity::session_cache`) forget it within milliseconds,
//! whoever made the change: an instance, the CLI, a job, another service, hand-written SQL.
//!
//! PostgreSQL only: triggers `pg_notify` on `cinema_sessions` with `user {id}` when a session is
//! revoked, shortened or deleted while open, and when an account's role, state or e-mail changes
//! or the account goes. Notifications are delivered at commit, and not at all on a rollback.
//! SQLite has no notifications: a process on SQLite checks the session on every request.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES: &[&str] = &[
    "CREATE FUNCTION cinema_session_changed() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       PERFORM pg_notify('cinema_sessions', 'user ' ||
         CASE WHEN TG_OP = 'DELETE' THEN OLD.user_id ELSE NEW.user_id END);
       IF TG_OP = 'UPDATE' AND OLD.user_id <> NEW.user_id THEN
         PERFORM pg_notify('cinema_sessions', 'user ' || OLD.user_id);
       END IF;
       RETURN NULL;
     END $$",
    "CREATE TRIGGER sessions_access_ended AFTER UPDATE ON sessions FOR EACH ROW
     WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at OR NEW.expires_at < OLD.expires_at
       OR OLD.user_id <> NEW.user_id)
     EXECUTE FUNCTION cinema_session_changed()",
    // Only open sessions: the hourly purge deletes expired ones by the thousand, which no
    // process accepts anyway (an entry ends with its session's expiry).
    "CREATE TRIGGER sessions_deleted_open AFTER DELETE ON sessions FOR EACH ROW
     WHEN (OLD.revoked_at IS NULL AND OLD.expires_at > (EXTRACT(EPOCH FROM now()) * 1000)::bigint)
     EXECUTE FUNCTION cinema_session_changed()",
    "CREATE FUNCTION cinema_account_changed() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       PERFORM pg_notify('cinema_sessions', 'user ' || OLD.id);
       RETURN NULL;
     END $$",
    "CREATE TRIGGER users_access_changed AFTER UPDATE ON users FOR EACH ROW
     WHEN (OLD.group_id IS DISTINCT FROM NEW.group_id OR OLD.is_active IS DISTINCT FROM NEW.is_active
       OR OLD.email IS DISTINCT FROM NEW.email OR OLD.id <> NEW.id)
     EXECUTE FUNCTION cinema_account_changed()",
    "CREATE TRIGGER users_deleted AFTER DELETE ON users FOR EACH ROW
     EXECUTE FUNCTION cinema_account_changed()",
];

const DOWN_POSTGRES: &[&str] = &[
    "DROP TRIGGER IF EXISTS users_deleted ON users",
    "DROP TRIGGER IF EXISTS users_access_changed ON users",
    "DROP TRIGGER IF EXISTS sessions_deleted_open ON sessions",
    "DROP TRIGGER IF EXISTS sessions_access_ended ON sessions",
    "DROP FUNCTION IF EXISTS cinema_account_changed()",
    "DROP FUNCTION IF EXISTS cinema_session_changed()",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_raw(manager, POSTGRES, &[]).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_raw(manager, DOWN_POSTGRES, &[]).await
    }
}
