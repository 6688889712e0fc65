//! Public catalog reads on PostgreSQL streaming replicas, for a deployment whose one database
//! is outgrown (`DATABASE_REPLICA_URLS`).
//!
//! Only the public catalog answers (lists, search, detail, taxonomy, statistics) go to a
//! replica; everything personal and every write stays on the primary. A replica is used for a
//! read only while all three hold:
//!
//! - **It answers.** A monitor asks every replica every quarter of the lag bound; one that
//!   errs, times out or is not a standby is skipped until it answers again. A read that fails
//!   on a replica anyway (it went down between two polls) is marked down and run again on the
//!   primary, so the client sees no error.
//! - **Its lag is within `REPLICA_MAX_LAG_MS`.** Each poll reads the primary's WAL position
//!   first and keeps the recent ones with their times; a replica whose replayed position has
//!   passed a sample had everything committed by the sample's time. Its lag is the age of the
//!   newest such sample, so an idle primary does not look lagged and a paused or cut-off
//!   replica does, within one poll.
//! - **It has replayed the newest catalog version this process knows**
//!   ([`CatalogCache::newest_applied`]): this process's own writes and, with the cache on, the
//!   changes it heard of. So a client reads its own writes (from the primary until the
//!   replica has them), and the read cache never stores an answer older than a change it has
//!   applied, which would otherwise outlive the change until its time to live (the cache's
//!   freshness rule, [`crate::cache`]).
//!
//! With no replica usable, reads go to the primary, as without replicas.

use std::{
    collections::VecDeque,
    future::Future,
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, Statement};

use cinema_kernel::metrics::CATALOG_READS;

use crate::cache::CatalogCache;

/// Where a public read runs.
#[derive(Debug, Clone)]
pub struct Reader {
    /// Its pool.
    pub db: DatabaseConnection,
}

/// The replicas public reads may use (none by default; cheap to clone).
#[derive(Debug, Clone, Default)]
pub struct Replicas {
    inner: Option<Arc<Inner>>,
}

#[derive(Debug)]
struct Inner {
    replicas: Vec<Replica>,
    max_lag: Duration,
    /// Round robin over the usable replicas.
    next: AtomicUsize,
    /// Times below are milliseconds since this instant.
    started: Instant,
}

#[derive(Debug)]
struct Replica {
    /// Its URL without a password, for logs.
    name: String,
    reader: Reader,
    up: AtomicBool,
    /// Whether it was said that it is not a standby (said once).
    not_standby_said: AtomicBool,
    /// The catalog version it had replayed at the last poll.
    version: AtomicI64,
    /// When it last had everything the primary had committed (see the module's doc); 0 never.
    caught_up_at: AtomicU64,
}

/// One replica to open: its name for logs and its pools.
#[derive(Debug)]
pub struct ReplicaPools {
    /// Its URL without a password.
    pub name: String,
    /// Its pools.
    pub reader: Reader,
}

impl Replicas {
    /// Public reads may go to these replicas while they lag at most `max_lag` (start
    /// [`Replicas::spawn_monitor`] beside them: until it has polled, none is used).
    pub fn new(replicas: Vec<ReplicaPools>, max_lag: Duration) -> Self {
        if replicas.is_empty() {
            return Self::default();
        }
        let replicas = replicas
            .into_iter()
            .map(|r| Replica {
                name: r.name,
                reader: r.reader,
                up: AtomicBool::new(false),
                not_standby_said: AtomicBool::new(false),
                version: AtomicI64::new(-1),
                caught_up_at: AtomicU64::new(0),
            })
            .collect();
        Self {
            inner: Some(Arc::new(Inner {
                replicas,
                max_lag,
                next: AtomicUsize::new(0),
                started: Instant::now(),
            })),
        }
    }

    /// How many replicas are configured.
    pub fn len(&self) -> usize {
        self.inner.as_ref().map_or(0, |inner| inner.replicas.len())
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many replicas a read could use now, having replayed `floor`.
    pub fn usable(&self, floor: i64) -> usize {
        self.inner.as_ref().map_or(0, |inner| {
            inner
                .replicas
                .iter()
                .filter(|r| inner.usable(r, floor))
                .count()
        })
    }

    /// Runs `read` on a usable replica, or on `primary` when none is, or when it failed on the
    /// replica in a way `retry` accepts (the replica is then skipped until its next poll).
    pub async fn read<T, E, F, Fut>(
        &self,
        primary: &Reader,
        cache: &CatalogCache,
        retry: impl Fn(&E) -> bool,
        read: F,
    ) -> Result<T, E>
    where
        F: Fn(Reader) -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        if let Some(inner) = &self.inner
            && let Some(replica) = inner.pick(cache.newest_applied())
        {
            match read(replica.reader.clone()).await {
                Ok(found) => {
                    cinema_kernel::metrics::count(CATALOG_READS, "database", "replica");
                    return Ok(found);
                }
                Err(e) if retry(&e) => {
                    replica.up.store(false, Ordering::SeqCst);
                    tracing::warn!(replica = %replica.name, "a catalog read failed on a replica; reading from the primary");
                    cinema_kernel::metrics::count(CATALOG_READS, "database", "fallback");
                }
                Err(e) => return Err(e),
            }
        }
        if self.inner.is_some() {
            cinema_kernel::metrics::count(CATALOG_READS, "database", "primary");
        }
        read(primary.clone()).await
    }

    /// Starts polling the replicas and `primary`; the task ends when its handle is aborted.
    /// `None` without replicas.
    pub fn spawn_monitor(
        &self,
        primary: DatabaseConnection,
    ) -> Option<tokio::task::JoinHandle<()>> {
        let inner = self.inner.clone()?;
        Some(tokio::spawn(async move { inner.monitor(primary).await }))
    }
}

/// At most this many primary positions are remembered (a poll adds one).
const SAMPLES: usize = 64;

impl Inner {
    fn now_ms(&self) -> u64 {
        // Never 0, which means "never caught up".
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX) + 1
    }

    fn usable(&self, replica: &Replica, floor: i64) -> bool {
        let lag = self
            .now_ms()
            .saturating_sub(replica.caught_up_at.load(Ordering::SeqCst));
        replica.up.load(Ordering::SeqCst)
            && replica.caught_up_at.load(Ordering::SeqCst) > 0
            && u128::from(lag) <= self.max_lag.as_millis()
            && replica.version.load(Ordering::SeqCst) >= floor
    }

    fn pick(&self, floor: i64) -> Option<&Replica> {
        let n = self.replicas.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        (0..n)
            .map(|i| &self.replicas[(start + i) % n])
            .find(|r| self.usable(r, floor))
    }

    fn interval(&self) -> Duration {
        (self.max_lag / 4).clamp(Duration::from_millis(20), Duration::from_secs(1))
    }

    async fn monitor(&self, primary: DatabaseConnection) {
        let interval = self.interval();
        // A poll gives up after this: a replica that does not answer by then is skipped.
        let patience = (interval * 2).max(Duration::from_millis(500));
        let samples = Mutex::new(VecDeque::<(i64, u64)>::with_capacity(SAMPLES));
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            // The primary's position first: whatever a replica has replayed after this, it
            // had everything committed before it.
            match tokio::time::timeout(patience, wal_position(&primary)).await {
                Ok(Ok(lsn)) => {
                    let mut samples = samples.lock().unwrap_or_else(PoisonError::into_inner);
                    if samples.len() == SAMPLES {
                        samples.pop_front();
                    }
                    samples.push_back((lsn, self.now_ms()));
                }
                // Without the primary no lag can be measured: the replicas age out.
                Ok(Err(e)) => tracing::debug!(error = %e, "cannot read the primary's WAL position"),
                Err(_) => tracing::debug!("the primary's WAL position timed out"),
            }
            let polls = self.replicas.iter().map(|replica| async {
                let state = tokio::time::timeout(patience, replay_state(&replica.reader.db)).await;
                self.update(replica, state, &samples);
            });
            futures_util::future::join_all(polls).await;
        }
    }

    fn update(
        &self,
        replica: &Replica,
        state: Result<Result<ReplayState, DbErr>, tokio::time::error::Elapsed>,
        samples: &Mutex<VecDeque<(i64, u64)>>,
    ) {
        let was_up = replica.up.load(Ordering::SeqCst);
        let state = match state {
            Ok(Ok(state)) if state.standby => {
                replica.not_standby_said.store(false, Ordering::SeqCst);
                state
            }
            Ok(Ok(_)) => {
                if !replica.not_standby_said.swap(true, Ordering::SeqCst) {
                    tracing::warn!(replica = %replica.name, "is not a standby; not used for reads");
                }
                replica.caught_up_at.store(0, Ordering::SeqCst);
                replica.up.store(false, Ordering::SeqCst);
                return;
            }
            Ok(Err(e)) => {
                if was_up {
                    tracing::warn!(replica = %replica.name, error = %e, "replica unreachable; reading from the primary");
                }
                replica.up.store(false, Ordering::SeqCst);
                return;
            }
            Err(_) => {
                if was_up {
                    tracing::warn!(replica = %replica.name, "replica did not answer in time; reading from the primary");
                }
                replica.up.store(false, Ordering::SeqCst);
                return;
            }
        };
        replica.version.fetch_max(state.version, Ordering::SeqCst);
        let passed = {
            let samples = samples.lock().unwrap_or_else(PoisonError::into_inner);
            samples
                .iter()
                .rev()
                .find(|(lsn, _)| *lsn <= state.replayed)
                .map(|(_, at)| *at)
        };
        if let Some(at) = passed {
            replica.caught_up_at.fetch_max(at, Ordering::SeqCst);
        }
        if !was_up {
            tracing::info!(replica = %replica.name, "replica answers; used for catalog reads while it keeps up");
        }
        replica.up.store(true, Ordering::SeqCst);
    }
}

/// The primary's current WAL position, in bytes.
async fn wal_position(primary: &DatabaseConnection) -> Result<i64, DbErr> {
    let row = primary
        .query_one_raw(Statement::from_string(
            primary.get_database_backend(),
            "SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint",
        ))
        .await?
        .ok_or_else(|| DbErr::Custom("no WAL position".into()))?;
    row.try_get_by_index(0)
}

struct ReplayState {
    standby: bool,
    replayed: i64,
    version: i64,
}

async fn replay_state(replica: &DatabaseConnection) -> Result<ReplayState, DbErr> {
    let row = replica
        .query_one_raw(Statement::from_string(
            replica.get_database_backend(),
            "SELECT pg_is_in_recovery(), \
             COALESCE((pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint, -1), \
             COALESCE((SELECT version FROM catalog_version WHERE id = 1), 0)",
        ))
        .await?
        .ok_or_else(|| DbErr::Custom("no replay state".into()))?;
    Ok(ReplayState {
        standby: row.try_get_by_index(0)?,
        replayed: row.try_get_by_index(1)?,
        version: row.try_get_by_index(2)?,
    })
}
