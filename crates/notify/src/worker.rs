//! The worker: claims due jobs one at a time, runs their handler while renewing the lease,
//! records the outcome, and inserts scheduled jobs once per period.

use cinema_kernel::time::Clock;
use std::{collections::HashMap, fmt, sync::Arc, time::Duration};

use sea_orm::DatabaseConnection;
use tokio::{sync::watch, time::Instant};

use crate::{
    Job, JobQueue, NewJob, Result, backoff,
    queue::{self, admin, millis},
};

/// How a worker paces itself.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Sleep between polls when the queue is empty.
    pub poll_interval: Duration,
    /// How long a claimed job is reserved; renewed every third of it while the job runs.
    pub lease: Duration,
    /// Tries before a job is parked as dead.
    pub max_attempts: u32,
    /// First retry delay; doubles per failed try.
    pub backoff_base: Duration,
    /// Longest retry delay.
    pub backoff_cap: Duration,
    /// How long finished jobs are kept before the hourly purge deletes them.
    pub done_retention: Duration,
    /// Where "now" comes from (leases, due times, schedules).
    pub clock: Clock,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            poll_interval: Duration::from_secs(1),
            lease: Duration::from_secs(60),
            max_attempts: 8,
            backoff_base: Duration::from_secs(10),
            backoff_cap: Duration::from_secs(3600),
            done_retention: Duration::from_secs(7 * 24 * 3600),
            clock: Clock::system(),
        }
    }
}

/// Why a job's run failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobError {
    /// Try again later (until the attempts run out).
    Retry(String),
    /// Retrying cannot help: park the job as dead now.
    Permanent(String),
}

impl fmt::Display for JobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JobError::Retry(m) | JobError::Permanent(m) => f.write_str(m),
        }
    }
}

/// Runs jobs of one kind.
#[async_trait::async_trait]
pub trait JobHandler: Send + Sync + fmt::Debug {
    /// Runs `job`; an error is retried with backoff, or parks the job (see [`JobError`]).
    async fn handle(&self, job: &Job) -> Result<(), JobError>;

    /// The payload to keep once the job is finished (done or dead), when what it holds must
    /// not stay at rest (a one-time link); `None` keeps it as it is.
    fn redact(&self, _payload: &str) -> Option<String> {
        None
    }
}

/// A job kind inserted once per `period` (aligned to the epoch), whatever the number of workers.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// The job kind to queue.
    pub kind: String,
    /// How often.
    pub period: Duration,
}

/// The job kind of the built-in purge of old finished jobs.
pub const PURGE_DONE_JOBS: &str = "purge_done_jobs";

/// How often schedules are checked; short enough for hourly jobs to start on time.
const SCHEDULE_TICK: Duration = Duration::from_secs(30);

/// One worker loop. Several may run against one database, in one process or many.
pub struct Worker {
    db: DatabaseConnection,
    id: String,
    config: WorkerConfig,
    handlers: HashMap<String, Arc<dyn JobHandler>>,
    schedules: Vec<Schedule>,
}

impl fmt::Debug for Worker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Worker")
            .field("id", &self.id)
            .field("config", &self.config)
            .field("kinds", &self.handlers.keys().collect::<Vec<_>>())
            .field("schedules", &self.schedules)
            .finish()
    }
}

impl Worker {
    /// A worker with the built-in hourly purge of finished jobs.
    pub fn new(db: DatabaseConnection, config: WorkerConfig) -> Self {
        let id = format!(
            "{}-{}",
            std::process::id(),
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        let purge = PurgeDoneJobs {
            db: db.clone(),
            retention: config.done_retention,
            clock: config.clock.clone(),
        };
        Self {
            db,
            id,
            config,
            handlers: HashMap::new(),
            schedules: Vec::new(),
        }
        .handle(PURGE_DONE_JOBS, purge)
        .every(PURGE_DONE_JOBS, Duration::from_secs(3600))
    }

    /// The id it claims jobs under (its process id and a random part).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Runs jobs of `kind` with `handler`.
    pub fn handle(mut self, kind: &str, handler: impl JobHandler + 'static) -> Self {
        self.handlers.insert(kind.to_owned(), Arc::new(handler));
        self
    }

    /// Inserts a `kind` job once per `period`.
    pub fn every(mut self, kind: &str, period: Duration) -> Self {
        self.schedules.push(Schedule {
            kind: kind.to_owned(),
            period,
        });
        self
    }

    /// How long until schedules are checked again: [`SCHEDULE_TICK`], or the shortest period
    /// if one is shorter, so no period is skipped.
    fn schedule_tick(&self) -> Duration {
        self.schedules
            .iter()
            .map(|s| s.period)
            .fold(SCHEDULE_TICK, Duration::min)
    }

    /// Works until `shutdown` turns true; a job in progress is finished first.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        tracing::info!(worker = %self.id, "worker started");
        let mut next_schedule = Instant::now();
        while !*shutdown.borrow() {
            if Instant::now() >= next_schedule {
                if let Err(e) = self.enqueue_scheduled().await {
                    tracing::warn!(worker = %self.id, error = %e, "cannot insert scheduled jobs");
                }
                next_schedule = Instant::now() + self.schedule_tick();
            }
            match self.run_once().await {
                Ok(true) => continue,
                Ok(false) => {}
                Err(e) => tracing::warn!(worker = %self.id, error = %e, "cannot claim a job"),
            }
            tokio::select! {
                () = tokio::time::sleep(self.config.poll_interval) => {}
                _ = shutdown.changed() => {}
            }
        }
        tracing::info!(worker = %self.id, "worker stopped");
    }

    fn now(&self) -> i64 {
        self.config.clock.now_ms()
    }

    /// Claims one due job and runs it. `Ok(false)` when nothing was due.
    pub async fn run_once(&self) -> Result<bool> {
        let Some(job) = queue::claim(&self.db, self.now(), &self.id, self.config.lease).await?
        else {
            return Ok(false);
        };
        let span =
            tracing::info_span!("job", id = job.id, kind = %job.kind, attempt = job.attempts);
        let outcome = tracing::Instrument::instrument(self.execute(&job), span.clone()).await;
        let still_held = match &outcome {
            Ok(()) => {
                queue::complete(&self.db, self.now(), job.id, &self.id, self.redacted(&job)).await?
            }
            Err(error) => {
                let attempts = u32::try_from(job.attempts).unwrap_or(u32::MAX);
                let retry_in = match error {
                    JobError::Retry(_) if attempts < self.config.max_attempts => Some(
                        backoff::delay(attempts, self.config.backoff_base, self.config.backoff_cap),
                    ),
                    _ => None,
                };
                span.in_scope(|| match retry_in {
                    Some(delay) => tracing::warn!(%error, retry_in_ms = millis(delay), "job failed; will retry"),
                    None => tracing::error!(%error, "job failed; parked as dead"),
                });
                queue::fail(
                    &self.db,
                    self.now(),
                    job.id,
                    &self.id,
                    &error.to_string(),
                    retry_in,
                    retry_in.is_none().then(|| self.redacted(&job)).flatten(),
                )
                .await?
            }
        };
        // Kinds come from this worker's handlers; anything else is one label, not one per row.
        let kind = if self.handlers.contains_key(&job.kind) {
            job.kind.as_str()
        } else {
            "unknown"
        };
        let ended = match &outcome {
            Ok(()) => "done",
            Err(JobError::Retry(_))
                if u32::try_from(job.attempts).unwrap_or(u32::MAX) < self.config.max_attempts =>
            {
                "retry"
            }
            Err(_) => "dead",
        };
        cinema_kernel::metrics::job(kind, ended);
        if !still_held {
            span.in_scope(|| {
                tracing::warn!("lease lost while running; another worker owns the job now")
            });
        } else if outcome.is_ok() {
            span.in_scope(|| tracing::info!("job done"));
        }
        Ok(true)
    }

    /// What the finished job's payload becomes, if its handler redacts it.
    fn redacted(&self, job: &Job) -> Option<String> {
        self.handlers
            .get(&job.kind)
            .and_then(|handler| handler.redact(&job.payload))
    }

    /// Runs the handler while a heartbeat keeps the lease alive.
    async fn execute(&self, job: &Job) -> Result<(), JobError> {
        let Some(handler) = self.handlers.get(&job.kind) else {
            return Err(JobError::Retry(format!(
                "no handler for job kind `{}`",
                job.kind
            )));
        };
        let heartbeat = async {
            loop {
                tokio::time::sleep(self.config.lease / 3).await;
                match queue::renew(&self.db, self.now(), job.id, &self.id, self.config.lease).await
                {
                    Ok(true) => {}
                    Ok(false) => tracing::warn!("lease lost; finishing anyway"),
                    Err(e) => tracing::warn!(error = %e, "cannot renew the lease"),
                }
            }
        };
        tokio::select! {
            result = handler.handle(job) => result,
            () = heartbeat => Ok(()),
        }
    }

    /// Inserts this period's job for every schedule; the unique key makes it once per period
    /// across all workers.
    pub async fn enqueue_scheduled(&self) -> Result<()> {
        let now = self.now();
        for schedule in &self.schedules {
            let period = millis(schedule.period).max(1);
            let start = now - now.rem_euclid(period);
            let job = NewJob::new(
                &schedule.kind,
                &serde_json::json!({ "period_start_ms": start }),
            )?
            .unique(format!("schedule:{}:{start}", schedule.kind));
            if let Some(id) = self.db.enqueue(now, job).await? {
                tracing::debug!(kind = %schedule.kind, id, "scheduled job inserted");
            }
        }
        Ok(())
    }
}

/// Deletes finished jobs older than the retention.
#[derive(Debug)]
struct PurgeDoneJobs {
    db: DatabaseConnection,
    retention: Duration,
    clock: Clock,
}

#[async_trait::async_trait]
impl JobHandler for PurgeDoneJobs {
    async fn handle(&self, _job: &Job) -> Result<(), JobError> {
        let before = self.clock.now_ms() - millis(self.retention);
        let purged = admin::purge_done(&self.db, before)
            .await
            .map_err(|e| JobError::Retry(e.to_string()))?;
        tracing::info!(purged, "old finished jobs purged");
        Ok(())
    }
}
