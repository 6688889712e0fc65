//! The audit trail: every staff write records who did what to which object, with a short
//! before/after summary and the request id, **in the write's own transaction** — a change that
//! rolls back leaves no record, and no change commits without one.
//!
//! Services carry an optional [`Actor`] (`Catalog::acting`, `Identity::acting`, …): the HTTP
//! layer sets it from the signed-in staff member and the request id; a write made without one
//! (a job, another Rust service) is still recorded, as unattributed.

use sea_orm::{ConnectionTrait, DbErr, Statement, Value};
use serde::Serialize;

use crate::{
    UserId,
    page::{Page, PageRequest},
};

/// Who is acting: a signed-in user, and the request they sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Actor {
    /// The user, if any.
    pub user_id: Option<UserId>,
    /// Their e-mail at the time (kept as it was, whatever becomes of the account).
    pub email: Option<String>,
    /// The request's id (`X-Request-Id`), to find its log lines.
    pub request_id: Option<String>,
}

/// One write to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// What was done, `object.verb`: `movie.update`, `user.deactivate`, `payment.refund`.
    pub action: &'static str,
    /// The kind of object: `movie`, `genre`, `user`, `order`, `payment`, `job`, `comment`.
    pub object_type: &'static str,
    /// Its id.
    pub object_id: String,
    /// What changed, briefly (`price: 9.99 → 12.50; name: "A" → "B"`).
    pub summary: String,
}

impl Entry {
    /// An entry for `object_type` `object_id`.
    pub fn new(
        action: &'static str,
        object_type: &'static str,
        object_id: impl ToString,
        summary: impl Into<String>,
    ) -> Self {
        Self {
            action,
            object_type,
            object_id: object_id.to_string(),
            summary: summary.into(),
        }
    }
}

/// The longest summary kept, in characters.
pub const SUMMARY_MAX: usize = 1000;

/// Records `entry` by `actor` at `at` (epoch ms) in `db` — the write's transaction.
pub async fn record_in<C: ConnectionTrait>(
    db: &C,
    actor: Option<&Actor>,
    at: i64,
    entry: Entry,
) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let p = |n: usize| crate::db::placeholder(backend, n);
    let sql = format!(
        "INSERT INTO audit_log (at, actor_id, actor_email, action, object_type, object_id, \
         summary, request_id) VALUES ({}, {}, {}, {}, {}, {}, {}, {})",
        p(1),
        p(2),
        p(3),
        p(4),
        p(5),
        p(6),
        p(7),
        p(8)
    );
    let summary: String = entry.summary.chars().take(SUMMARY_MAX).collect();
    let object_id: String = entry.object_id.chars().take(64).collect();
    let values: [Value; 8] = [
        at.into(),
        actor.and_then(|a| a.user_id).map(UserId::get).into(),
        actor.and_then(|a| a.email.clone()).into(),
        entry.action.into(),
        entry.object_type.into(),
        object_id.into(),
        summary.into(),
        actor
            .and_then(|a| a.request_id.clone())
            .map(|id| id.chars().take(128).collect::<String>())
            .into(),
    ];
    db.execute_raw(Statement::from_sql_and_values(backend, &sql, values))
        .await?;
    Ok(())
}

/// `field: before → after`, each side as given; for a summary's parts.
pub fn change(
    field: &str,
    before: impl std::fmt::Display,
    after: impl std::fmt::Display,
) -> String {
    format!("{field}: {before} → {after}")
}

/// One recorded write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Record {
    /// Its id (increasing).
    pub id: i64,
    /// When (epoch milliseconds).
    pub at: i64,
    /// Who, if known.
    pub actor_id: Option<i64>,
    /// Their e-mail at the time.
    pub actor_email: Option<String>,
    /// What was done.
    pub action: String,
    /// The kind of object.
    pub object_type: String,
    /// Its id.
    pub object_id: String,
    /// What changed.
    pub summary: String,
    /// The request it came with.
    pub request_id: Option<String>,
}

/// Which records to list; every part optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only this user's writes.
    pub actor_id: Option<i64>,
    /// Only this action (`movie.update`), or every action on a kind of object (`movie.`).
    pub action: Option<String>,
    /// Only writes to this kind of object.
    pub object_type: Option<String>,
    /// Only writes to this object (with `object_type`).
    pub object_id: Option<String>,
    /// Only records at or after this time (epoch ms).
    pub from: Option<i64>,
    /// Only records before this time (epoch ms).
    pub before: Option<i64>,
}

/// Records, newest first, with the exact total.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    filter: &Filter,
    page: PageRequest,
) -> Result<Page<Record>, DbErr> {
    let backend = db.get_database_backend();
    let mut conditions = Vec::new();
    let mut values: Vec<Value> = Vec::new();
    let mut bind = |condition: &str, value: Value| {
        values.push(value);
        conditions.push(condition.replace('?', &crate::db::placeholder(backend, values.len())));
    };
    if let Some(actor) = filter.actor_id {
        bind("actor_id = ?", actor.into());
    }
    match filter.action.as_deref() {
        Some(prefix) if prefix.ends_with('.') => {
            bind(
                "action LIKE ?",
                format!("{}%", prefix.replace(['%', '_'], "")).into(),
            );
        }
        Some(action) => bind("action = ?", action.to_owned().into()),
        None => {}
    }
    if let Some(kind) = &filter.object_type {
        bind("object_type = ?", kind.clone().into());
    }
    if let Some(id) = &filter.object_id {
        bind("object_id = ?", id.clone().into());
    }
    if let Some(from) = filter.from {
        bind("at >= ?", from.into());
    }
    if let Some(before) = filter.before {
        bind("at < ?", before.into());
    }
    let condition = if conditions.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conditions.join(" AND "))
    };
    let total_sql = format!("SELECT COUNT(*) AS n FROM audit_log {condition}");
    let total: i64 = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            &total_sql,
            values.clone(),
        ))
        .await?
        .map(|row| row.try_get("", "n"))
        .transpose()?
        .unwrap_or(0);
    let sql = format!(
        "SELECT id, at, actor_id, actor_email, action, object_type, object_id, summary, \
         request_id FROM audit_log {condition} ORDER BY at DESC, id DESC LIMIT {} OFFSET {}",
        page.limit(),
        page.skip()
    );
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(backend, &sql, values))
        .await?;
    let mut records = Vec::with_capacity(rows.len());
    for row in rows {
        records.push(Record {
            id: row.try_get("", "id")?,
            at: row.try_get("", "at")?,
            actor_id: row.try_get("", "actor_id")?,
            actor_email: row.try_get("", "actor_email")?,
            action: row.try_get("", "action")?,
            object_type: row.try_get("", "object_type")?,
            object_id: row.try_get("", "object_id")?,
            summary: row.try_get("", "summary")?,
            request_id: row.try_get("", "request_id")?,
        });
    }
    Ok(Page::new(records, u64::try_from(total).unwrap_or(0), page))
}
