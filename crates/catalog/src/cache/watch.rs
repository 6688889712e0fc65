//! Keeping one instance's cache in step with writes made by other instances (PostgreSQL).
//!
//! Two paths, both always running:
//! - **Listener**: a connection of its own `LISTEN`s on [`version::CHANNEL`] and applies each
//!   change it hears. When the connection drops (a restart, `pg_terminate_backend`, a network
//!   cut) it reconnects with backoff and then drops every answer, since notifications sent
//!   in between are lost.
//! - **Poll**: every third of the staleness bound it reads the committed version. While the
//!   listener is down, any version it has not applied drops everything at once. While it is
//!   up, a version seen by one poll and still not heard by the next means a notification was
//!   lost without the connection noticing (a silent network cut): everything is dropped too.
//!
//! So a write on another instance is seen here within the staleness bound; a write on this
//! instance is applied by the writer itself before it answers. SQLite runs one process and
//! needs neither: [`spawn`] returns `None` there.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicI64, Ordering},
    },
    time::Duration,
};

use sea_orm::{
    DatabaseConnection, DbBackend,
    sqlx::postgres::{PgListener, PgPoolOptions},
};

use super::{CatalogCache, Change, version};

/// The `application_name` of listening connections, so operators (and tests) can find them.
pub const LISTENER_NAME: &str = "cinema-catalog-listener";

#[derive(Debug, Default)]
struct State {
    /// The highest version whose change this instance has applied.
    applied: AtomicI64,
    listening: AtomicBool,
}

impl State {
    fn applied(&self, version: i64) {
        self.applied.fetch_max(version, Ordering::SeqCst);
    }
}

/// Starts watching when the database is PostgreSQL and the cache is on; the task ends when
/// the returned handle is aborted (or dropped by the runtime).
pub fn spawn(cache: &CatalogCache, db: &DatabaseConnection) -> Option<tokio::task::JoinHandle<()>> {
    let max_staleness = cache.max_staleness()?;
    if db.get_database_backend() != DbBackend::Postgres {
        return None;
    }
    let (cache, db) = (cache.clone(), db.clone());
    Some(tokio::spawn(async move {
        let state = Arc::new(State::default());
        let interval = (max_staleness / 3).max(Duration::from_millis(10));
        let listen = listen(cache.clone(), db.clone(), state.clone());
        let poll = poll(cache, db, state, interval);
        tokio::join!(listen, poll);
    }))
}

async fn listen(cache: CatalogCache, db: DatabaseConnection, state: Arc<State>) {
    let options = (*db.get_postgres_connection_pool().connect_options())
        .clone()
        .application_name(LISTENER_NAME);
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .min_connections(0)
        .idle_timeout(None)
        .max_lifetime(None)
        .connect_lazy_with(options);
    let mut backoff = Duration::from_millis(50);
    loop {
        let mut listener = match PgListener::connect_with(&pool).await {
            Ok(listener) => listener,
            Err(e) => {
                tracing::warn!(error = %e, "catalog listener cannot connect; retrying");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
                continue;
            }
        };
        listener.ignore_pool_close_event(true);
        if let Err(e) = listener.listen(version::CHANNEL).await {
            tracing::warn!(error = %e, "catalog listener cannot LISTEN; retrying");
            tokio::time::sleep(backoff).await;
            continue;
        }
        // Whatever was sent while nobody listened is lost: start from nothing, at the version
        // committed now (later changes will be heard).
        let committed = version::current(&db).await;
        cache.changed(Change::Catalog);
        if let Ok(version) = committed {
            state.applied(version);
        }
        state.listening.store(true, Ordering::SeqCst);
        backoff = Duration::from_millis(50);
        loop {
            match listener.try_recv().await {
                Ok(Some(notification)) => match Change::parse(notification.payload()) {
                    Some((version, change)) => {
                        cache.changed(change);
                        state.applied(version);
                    }
                    None => {
                        tracing::warn!(payload = notification.payload(), "unknown catalog change");
                        cache.changed(Change::Catalog);
                    }
                },
                // The connection dropped (and was re-established): changes may be lost.
                Ok(None) => cache.changed(Change::Catalog),
                Err(e) => {
                    tracing::warn!(error = %e, "catalog listener lost its connection; reconnecting");
                    break;
                }
            }
        }
        state.listening.store(false, Ordering::SeqCst);
        cache.changed(Change::Catalog);
        drop(listener);
        tokio::time::sleep(backoff).await;
    }
}

async fn poll(cache: CatalogCache, db: DatabaseConnection, state: Arc<State>, interval: Duration) {
    // The version the previous poll read.
    let mut previous: Option<i64> = None;
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let committed = match version::current(&db).await {
            Ok(version) => version,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the catalog version");
                continue;
            }
        };
        let applied = state.applied.load(Ordering::SeqCst);
        if !state.listening.load(Ordering::SeqCst) {
            if committed > applied {
                cache.changed(Change::Catalog);
                state.applied(committed);
            }
        } else if let Some(seen) = previous.filter(|seen| *seen > applied) {
            // Seen one interval ago and still not heard: the notification was lost.
            cache.changed(Change::Catalog);
            state.applied(seen);
        }
        previous = Some(committed);
    }
}
