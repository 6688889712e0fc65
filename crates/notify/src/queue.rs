//! The job table's operations: enqueue (inside the caller's transaction), claim with a lease,
//! renew, finish, fail, and the admin view of dead jobs.

use cinema_kernel::JobId;
use std::{fmt, str::FromStr, time::Duration};

use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Statement,
    sea_query::{Expr, OnConflict},
};
use serde::Serialize;

use crate::{
    Error, Result,
    entity::job::{self, Column},
};

/// A job as stored.
pub type Job = job::Model;

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobStatus {
    /// Waiting for its time.
    Pending,
    /// Claimed by a worker (until its lease ends).
    Running,
    /// Finished.
    Done,
    /// Given up on after its attempts.
    Dead,
}

impl JobStatus {
    /// Its name in the `status` column.
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Pending => "pending",
            JobStatus::Running => "running",
            JobStatus::Done => "done",
            JobStatus::Dead => "dead",
        }
    }
}

impl fmt::Display for JobStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for JobStatus {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "pending" => Ok(JobStatus::Pending),
            "running" => Ok(JobStatus::Running),
            "done" => Ok(JobStatus::Done),
            "dead" => Ok(JobStatus::Dead),
            other => Err(format!(
                "unknown job status `{other}` (pending, running, done, dead)"
            )),
        }
    }
}

/// A job to add to the queue.
#[derive(Debug, Clone)]
pub struct NewJob {
    kind: String,
    payload: String,
    delay: Duration,
    unique_key: Option<String>,
}

impl NewJob {
    /// A job of `kind` carrying `payload` as JSON.
    pub fn new(kind: impl Into<String>, payload: &impl Serialize) -> Result<Self> {
        Ok(Self {
            kind: kind.into(),
            payload: serde_json::to_string(payload)?,
            delay: Duration::ZERO,
            unique_key: None,
        })
    }

    /// At most one job with this key ever exists; enqueueing a second is a no-op.
    pub fn unique(mut self, key: impl Into<String>) -> Self {
        self.unique_key = Some(key.into());
        self
    }

    /// Not to run before `delay` has passed.
    pub fn delayed(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

/// Enqueueing on any SeaORM connection or transaction.
///
/// Called on a transaction, the job is part of it: it exists after a commit and never existed
/// after a rollback, which is what makes "the e-mail is sent if and only if the change
/// happened" hold.
#[async_trait::async_trait]
pub trait JobQueue {
    /// Adds the job, due at `now` (epoch ms, from the caller's clock) plus its delay; `None`
    /// when a job with the same unique key already exists.
    async fn enqueue(&self, now: i64, job: NewJob) -> Result<Option<i64>>;
}

#[async_trait::async_trait]
impl<C: ConnectionTrait + Sync> JobQueue for C {
    async fn enqueue(&self, now: i64, job: NewJob) -> Result<Option<i64>> {
        let row = job::ActiveModel {
            kind: Set(job.kind),
            payload: Set(job.payload),
            status: Set(JobStatus::Pending.as_str().to_owned()),
            attempts: Set(0),
            run_at: Set(now + millis(job.delay)),
            unique_key: Set(job.unique_key),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        };
        let inserted = job::Entity::insert(row)
            .on_conflict(
                OnConflict::column(Column::UniqueKey)
                    .do_nothing()
                    .to_owned(),
            )
            .exec(self)
            .await;
        match inserted {
            Ok(res) => Ok(Some(res.last_insert_id)),
            Err(DbErr::RecordNotInserted) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}

pub(crate) use cinema_kernel::time::millis;

// Takes the next due job — pending and due, or running with an expired lease — and leases it
// to one worker in a single statement. PostgreSQL skips rows other workers are claiming right
// now; SQLite runs the whole statement under its single write lock.
const CLAIM_POSTGRES: &str = "\
UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_by = $1, locked_until = $2,
                updated_at = $3
WHERE id = (
    SELECT id FROM jobs
    WHERE (status = 'pending' AND run_at <= $3) OR (status = 'running' AND locked_until < $3)
    ORDER BY run_at, id
    LIMIT 1
    FOR UPDATE SKIP LOCKED)
RETURNING *";

const CLAIM_SQLITE: &str = "\
UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_by = ?1, locked_until = ?2,
                updated_at = ?3
WHERE id = (
    SELECT id FROM jobs
    WHERE (status = 'pending' AND run_at <= ?3) OR (status = 'running' AND locked_until < ?3)
    ORDER BY run_at, id
    LIMIT 1)
RETURNING *";

/// Leases the next due job to `worker` for `lease`.
pub(crate) async fn claim<C: ConnectionTrait>(
    db: &C,
    now: i64,
    worker: &str,
    lease: Duration,
) -> Result<Option<Job>> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => CLAIM_POSTGRES,
        _ => CLAIM_SQLITE,
    };
    let stmt = Statement::from_sql_and_values(
        backend,
        sql,
        [worker.into(), (now + millis(lease)).into(), now.into()],
    );
    Ok(job::Entity::find().from_raw_sql(stmt).one(db).await?)
}

/// Filter for "this job, still leased by this worker": a worker whose lease ran out (and
/// whose job another worker took) must not overwrite the newer state.
fn held_by(id: i64, worker: &str) -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(Column::Id.eq(id))
        .add(Column::Status.eq(JobStatus::Running.as_str()))
        .add(Column::LockedBy.eq(worker))
}

/// Extends the lease of a job still held; `false` when the lease was lost.
pub(crate) async fn renew<C: ConnectionTrait>(
    db: &C,
    now: i64,
    id: i64,
    worker: &str,
    lease: Duration,
) -> Result<bool> {
    let res = job::Entity::update_many()
        .col_expr(Column::LockedUntil, Expr::value(now + millis(lease)))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(held_by(id, worker))
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Marks a held job done; `false` when the lease had been lost.
pub(crate) async fn complete<C: ConnectionTrait>(
    db: &C,
    now: i64,
    id: i64,
    worker: &str,
    payload: Option<String>,
) -> Result<bool> {
    let mut update = job::Entity::update_many();
    if let Some(payload) = payload {
        update = update.col_expr(Column::Payload, Expr::value(payload));
    }
    let res = update
        .col_expr(Column::Status, Expr::value(JobStatus::Done.as_str()))
        .col_expr(Column::LockedBy, Expr::value(Option::<String>::None))
        .col_expr(Column::LockedUntil, Expr::value(Option::<i64>::None))
        .col_expr(Column::FinishedAt, Expr::value(now))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(held_by(id, worker))
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Records a failed try: back to `pending` at `retry_at`, or `dead` when `retry_at` is `None`.
pub(crate) async fn fail<C: ConnectionTrait>(
    db: &C,
    now: i64,
    id: i64,
    worker: &str,
    error: &str,
    retry_in: Option<Duration>,
    dead_payload: Option<String>,
) -> Result<bool> {
    let mut update = job::Entity::update_many();
    if let Some(payload) = dead_payload {
        update = update.col_expr(Column::Payload, Expr::value(payload));
    }
    update = update
        .col_expr(Column::LockedBy, Expr::value(Option::<String>::None))
        .col_expr(Column::LockedUntil, Expr::value(Option::<i64>::None))
        .col_expr(Column::LastError, Expr::value(truncate(error, 2000)))
        .col_expr(Column::UpdatedAt, Expr::value(now));
    update = match retry_in {
        Some(delay) => update
            .col_expr(Column::Status, Expr::value(JobStatus::Pending.as_str()))
            .col_expr(Column::RunAt, Expr::value(now + millis(delay))),
        None => update
            .col_expr(Column::Status, Expr::value(JobStatus::Dead.as_str()))
            .col_expr(Column::FinishedAt, Expr::value(now)),
    };
    let res = update.filter(held_by(id, worker)).exec(db).await?;
    Ok(res.rows_affected == 1)
}

fn truncate(s: &str, max_chars: usize) -> String {
    s.chars().take(max_chars).collect()
}

/// What operators do with jobs: look at them, retry dead ones, purge finished ones.
pub mod admin {
    use cinema_kernel::page::{Page, PageRequest};

    use super::*;

    /// Jobs, newest first, optionally of one status.
    pub async fn list<C: ConnectionTrait>(
        db: &C,
        status: Option<JobStatus>,
        page: PageRequest,
    ) -> Result<Page<Job>> {
        let mut query = job::Entity::find();
        if let Some(status) = status {
            query = query.filter(Column::Status.eq(status.as_str()));
        }
        let total = query.clone().count(db).await?;
        let items = query
            .order_by_desc(Column::UpdatedAt)
            .order_by_desc(Column::Id)
            .offset(page.skip())
            .limit(page.limit())
            .all(db)
            .await?;
        Ok(Page::new(items, total, page))
    }

    /// One job.
    pub async fn get<C: ConnectionTrait>(db: &C, id: JobId) -> Result<Job> {
        let id = id.get();
        job::Entity::find_by_id(id)
            .one(db)
            .await?
            .ok_or(Error::JobNotFound(id))
    }

    /// Puts a dead job back in the queue, due now, with a fresh set of attempts, and returns
    /// it as queued. The update and the read share a transaction, so a worker cannot claim
    /// the job in between and make the answer say `running`.
    pub async fn retry(
        db: &sea_orm::DatabaseConnection,
        clock: &cinema_kernel::time::Clock,
        actor: &cinema_kernel::audit::Actor,
        id: JobId,
    ) -> Result<Job> {
        let id = id.get();
        let txn = cinema_kernel::db::begin_write(db).await?;
        let now = clock.now_ms();
        if is_redacted(&get(&txn, JobId(id)).await?) {
            return Err(Error::Redacted(id));
        }
        let res = job::Entity::update_many()
            .col_expr(Column::Status, Expr::value(JobStatus::Pending.as_str()))
            .col_expr(Column::Attempts, Expr::value(0))
            .col_expr(Column::RunAt, Expr::value(now))
            .col_expr(Column::FinishedAt, Expr::value(Option::<i64>::None))
            .col_expr(Column::UpdatedAt, Expr::value(now))
            .filter(Column::Id.eq(id))
            .filter(Column::Status.eq(JobStatus::Dead.as_str()))
            .exec(&txn)
            .await?;
        let job = get(&txn, JobId(id)).await?;
        if res.rows_affected == 0 {
            return Err(Error::NotDead {
                id,
                status: job.status,
            });
        }
        let summary = format!("{} job: status: dead → pending, attempts reset", job.kind);
        let entry = cinema_kernel::audit::Entry::new("job.retry", "job", id, summary);
        cinema_kernel::audit::record_in(&txn, Some(actor), now, entry).await?;
        txn.commit().await?;
        Ok(job)
    }

    /// Whether a job's payload was redacted (see `JobHandler::redact`): nothing is left to run.
    fn is_redacted(job: &Job) -> bool {
        serde_json::from_str::<serde_json::Value>(&job.payload)
            .is_ok_and(|v| v.get("redacted") == Some(&serde_json::Value::Bool(true)))
    }

    /// Deletes jobs that succeeded before `before_ms`. Dead jobs stay until an operator acts.
    pub async fn purge_done<C: ConnectionTrait>(db: &C, before_ms: i64) -> Result<u64> {
        let res = job::Entity::delete_many()
            .filter(Column::Status.eq(JobStatus::Done.as_str()))
            .filter(Column::FinishedAt.lt(before_ms))
            .exec(db)
            .await?;
        Ok(res.rows_affected)
    }
}
