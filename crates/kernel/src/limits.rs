//! Abuse limits counted in the database, so that every instance of the service shares them:
//! fixed windows per bucket (`mail:ann@example.com`, `login-address:203.0.113.7`), one
//! atomic upsert per hit. The hourly purge drops windows that have ended.

use std::time::Duration;

use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement, Value};

use crate::time::millis;

/// One bucket's current window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Hits counted in this window, the current one included.
    pub hits: u32,
    /// When the latest hit was counted (epoch ms).
    pub last_hit_at: i64,
    /// When the window ends and the count starts again (epoch ms).
    pub ends_at: i64,
}

impl Window {
    /// Whole seconds until the window ends (at least 1), for `Retry-After`.
    pub fn retry_after_secs(&self, now: i64) -> u64 {
        u64::try_from((self.ends_at - now + 999) / 1000)
            .unwrap_or(1)
            .max(1)
    }
}

fn bounds(window: Duration, now: i64) -> (i64, i64) {
    let length = millis(window).max(1);
    let start = now - now.rem_euclid(length);
    (start, start + length)
}

fn statement(db: &impl ConnectionTrait, postgres: &str, values: Vec<Value>) -> Statement {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => postgres.to_owned(),
        _ => {
            // `$1, $2, …` → `?, ?, …` (each placeholder is used once, in order).
            let mut sql = String::with_capacity(postgres.len());
            let mut chars = postgres.chars().peekable();
            while let Some(c) = chars.next() {
                if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
                    while chars.peek().is_some_and(char::is_ascii_digit) {
                        chars.next();
                    }
                    sql.push('?');
                } else {
                    sql.push(c);
                }
            }
            sql
        }
    };
    Statement::from_sql_and_values(backend, sql, values)
}

/// Counts one hit on `bucket` in the window of `window` that holds `now`.
pub async fn hit<C: ConnectionTrait>(
    db: &C,
    bucket: &str,
    window: Duration,
    now: i64,
) -> Result<Window, DbErr> {
    let (start, end) = bounds(window, now);
    let stmt = statement(
        db,
        "INSERT INTO rate_limits (bucket, window_start, hits, last_hit_at, expires_at) \
         VALUES ($1, $2, 1, $3, $4) \
         ON CONFLICT (bucket, window_start) DO UPDATE \
         SET hits = rate_limits.hits + 1, last_hit_at = excluded.last_hit_at \
         RETURNING hits, last_hit_at",
        vec![bucket.into(), start.into(), now.into(), end.into()],
    );
    let row = db
        .query_one_raw(stmt)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("the counted window".to_owned()))?;
    Ok(Window {
        hits: u32::try_from(row.try_get::<i32>("", "hits")?).unwrap_or(u32::MAX),
        last_hit_at: row.try_get("", "last_hit_at")?,
        ends_at: end,
    })
}

/// The window holding `now`, without counting; `None` when nothing was counted in it.
pub async fn peek<C: ConnectionTrait>(
    db: &C,
    bucket: &str,
    window: Duration,
    now: i64,
) -> Result<Option<Window>, DbErr> {
    let (start, end) = bounds(window, now);
    let stmt = statement(
        db,
        "SELECT hits, last_hit_at FROM rate_limits WHERE bucket = $1 AND window_start = $2",
        vec![bucket.into(), start.into()],
    );
    let Some(row) = db.query_one_raw(stmt).await? else {
        return Ok(None);
    };
    Ok(Some(Window {
        hits: u32::try_from(row.try_get::<i32>("", "hits")?).unwrap_or(u32::MAX),
        last_hit_at: row.try_get("", "last_hit_at")?,
        ends_at: end,
    }))
}

/// Forgets every window of `bucket` (a success that proves the caller, say).
pub async fn clear<C: ConnectionTrait>(db: &C, bucket: &str) -> Result<(), DbErr> {
    let stmt = statement(
        db,
        "DELETE FROM rate_limits WHERE bucket = $1",
        vec![bucket.into()],
    );
    db.execute_raw(stmt).await?;
    Ok(())
}

/// Drops the windows that ended by `now`.
pub async fn purge<C: ConnectionTrait>(db: &C, now: i64) -> Result<u64, DbErr> {
    let stmt = statement(
        db,
        "DELETE FROM rate_limits WHERE expires_at <= $1",
        vec![now.into()],
    );
    Ok(db.execute_raw(stmt).await?.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_aligned_and_retry_after_rounds_up() {
        let (start, end) = bounds(Duration::from_secs(60), 125_500);
        assert_eq!((start, end), (120_000, 180_000));
        let w = Window {
            hits: 3,
            last_hit_at: 125_500,
            ends_at: end,
        };
        assert_eq!(w.retry_after_secs(125_500), 55);
        assert_eq!(w.retry_after_secs(179_999), 1);
    }
}
