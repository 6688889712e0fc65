//! Keeping one process's cache in step with writes made by other processes (other instances,
//! the CLI, jobs, other services on the same database).
//!
//! - **Poll** (both databases): every third of the staleness bound it reads the committed
//!   version. A version already seen by the previous poll that this cache has still not applied
//!   was written elsewhere and not heard of: everything is dropped. (One interval of grace lets
//!   this process's own writes, and notifications on their way, arrive first.) On SQLite this
//!   is the only path: another process's write is seen within two intervals.
//! - **Listener** (PostgreSQL): a connection of its own `LISTEN`s on [`version::CHANNEL`] and
//!   applies each change it hears, so only what it touched is dropped, at once. When the
//!   connection drops (a restart, `pg_terminate_backend`, a network cut) it reconnects with
//!   backoff and then drops every answer, since notifications sent in between are lost.
//!
//! So a write made anywhere is seen here within the staleness bound; a write made by this
//! process is applied by the writer itself before its call returns.

use std::time::Duration;

use cinema_kernel::listen::{Listener, Notice};
use sea_orm::{DatabaseConnection, DbBackend};

use super::{CatalogCache, Change, Pending, version};

/// The `application_name` of listening connections, so operators (and tests) can find them.
pub const LISTENER_NAME: &str = "cinema-catalog-listener";

/// Starts watching when the cache is on; the task ends when the returned handle is aborted (or
/// dropped by the runtime).
pub fn spawn(cache: &CatalogCache, db: &DatabaseConnection) -> Option<tokio::task::JoinHandle<()>> {
    let max_staleness = cache.max_staleness()?;
    let (cache, db) = (cache.clone(), db.clone());
    Some(tokio::spawn(async move {
        let interval = (max_staleness / 3).max(Duration::from_millis(10));
        if db.get_database_backend() == DbBackend::Postgres {
            tokio::join!(listen(cache.clone(), db.clone()), poll(cache, db, interval));
        } else {
            poll(cache, db, interval).await;
        }
    }))
}

async fn listen(cache: CatalogCache, db: DatabaseConnection) {
    let mut listener = Listener::new(&db, LISTENER_NAME, version::CHANNEL);
    loop {
        match listener.next().await {
            // Whatever was sent while nobody listened is lost: start from nothing, at the
            // version committed now (later changes will be heard).
            Notice::Connected => {
                let committed = version::current(&db).await;
                cache.changed(Change::Catalog);
                if let Ok(version) = committed {
                    cache.applied_through(version);
                }
            }
            Notice::Message(payload) => match Change::parse(&payload) {
                Some((version, change)) => cache.apply(Pending { version, change }),
                None => {
                    tracing::warn!(payload, "unknown catalog change");
                    cache.changed(Change::Catalog);
                }
            },
            Notice::Lost => cache.changed(Change::Catalog),
        }
    }
}

async fn poll(cache: CatalogCache, db: DatabaseConnection, interval: Duration) {
    // The version the previous poll read; the first one only says where this cache starts.
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
        match previous {
            None => cache.applied_through(committed),
            // Seen one interval ago and still not applied: written elsewhere, not heard of.
            Some(seen) if cache.missed_up_to(seen) => {
                cache.changed(Change::Catalog);
                cache.applied_through(seen);
            }
            Some(_) => {}
        }
        previous = Some(committed);
    }
}
