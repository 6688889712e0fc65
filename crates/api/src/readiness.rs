//! Whether this process should take traffic, known without waiting on the database.
//!
//! When PostgreSQL goes away, every statement waits the pool's whole acquire timeout (5 s)
//! before it fails: a balancer probing `/health/ready` with a 1–2 s timeout would see a hang,
//! not a red light, and every client would wait 5 s for its 503. So a probe on a connection of
//! its own (never queued behind the pool's busy ones) asks the database every
//! [`PROBE_EVERY`], giving up after [`PROBE_TIMEOUT`]. While it fails, readiness is red and
//! [`gate`] answers every request that needs the database at once with `503` and
//! `Retry-After`; the first probe that succeeds lets traffic through again, without a restart.
//! A process that was told to stop ([`Readiness::drain`]) is red too, so a balancer stops
//! sending before the server stops accepting.
//!
//! SQLite is a file, not a server: there is nothing to lose for a moment, so no probe runs and
//! readiness asks the database itself.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use actix_web::{
    Error,
    body::{EitherBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    middleware::Next,
    web,
};
use sea_orm::DatabaseConnection;

use cinema_kernel::ErrorKind;

use crate::error::ApiError;

/// How long a request already waiting on the database may go on once the probe finds it gone,
/// before it is answered 503: one that was about to finish does; one queued for a connection
/// (the pool retries a refused connection until its acquire timeout) does not wait 5 s.
pub const IN_FLIGHT_GRACE: Duration = Duration::from_millis(250);

/// How often the probe asks the database.
pub const PROBE_EVERY: Duration = Duration::from_millis(500);
/// How long one probe may take before the database counts as unreachable.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(1);
/// The `Retry-After` of a 503 answered because a dependency is away, in seconds.
pub const RETRY_AFTER_SECS: u64 = 2;

/// The process's readiness: the probe's last word on the database, and whether it is
/// draining. Cheap to clone; every clone sees the same state.
#[derive(Debug, Clone, Default)]
pub struct Readiness {
    inner: Arc<State>,
}

#[derive(Debug, Default)]
struct State {
    /// A probe pool (PostgreSQL); `None`: readiness asks the main pool (SQLite).
    probe: Option<DatabaseConnection>,
    /// Whether the last probe found the database unreachable; requests already waiting on it
    /// watch it, to stop when it goes.
    database_down: tokio::sync::watch::Sender<bool>,
    draining: AtomicBool,
}

/// Why the process is not ready.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotReady {
    /// The database did not answer the last probe.
    DatabaseDown,
    /// The process was told to stop.
    Draining,
}

impl Readiness {
    /// Readiness without a probe: the database is asked when readiness is (SQLite).
    pub fn unprobed() -> Self {
        Self::default()
    }

    /// Readiness kept by a probe on `probe` (a one-connection pool, see
    /// `cinema_kernel::db::connect_probe`), asking every [`PROBE_EVERY`]. The task ends when
    /// every clone of the returned value is dropped.
    pub fn probed(probe: DatabaseConnection) -> Self {
        let readiness = Self {
            inner: Arc::new(State {
                probe: Some(probe),
                ..State::default()
            }),
        };
        let weak = Arc::downgrade(&readiness.inner);
        tokio::spawn(async move {
            let mut every = tokio::time::interval(PROBE_EVERY);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                every.tick().await;
                let Some(state) = weak.upgrade() else { return };
                state.probe_once().await;
            }
        });
        readiness
    }

    /// Whether the last probe found the database unreachable.
    pub fn database_down(&self) -> bool {
        *self.inner.database_down.borrow()
    }

    /// Turns readiness red for good: the process is about to stop.
    pub fn drain(&self) {
        self.inner.draining.store(true, Ordering::Relaxed);
    }

    /// Whether [`Readiness::drain`] was called.
    pub fn draining(&self) -> bool {
        self.inner.draining.load(Ordering::Relaxed)
    }

    /// Asks now (readiness is being probed by a balancer): red at once when draining or when
    /// the database does not answer within [`PROBE_TIMEOUT`].
    pub async fn check(&self, db: &DatabaseConnection) -> Result<(), NotReady> {
        if self.inner.draining.load(Ordering::Relaxed) {
            return Err(NotReady::Draining);
        }
        let up = match &self.inner.probe {
            Some(_) => self.inner.probe_once().await,
            None => ping(db).await,
        };
        if up {
            Ok(())
        } else {
            Err(NotReady::DatabaseDown)
        }
    }
}

impl State {
    /// Asks the database once through the probe; records and returns whether it answered.
    async fn probe_once(&self) -> bool {
        let Some(probe) = &self.probe else {
            return true;
        };
        let up = ping(probe).await;
        let changed = self.database_down.send_if_modified(|down| {
            let changed = *down == up;
            *down = !up;
            changed
        });
        if changed {
            if up {
                tracing::warn!("the database answers again: taking traffic");
            } else {
                tracing::error!(
                    "the database does not answer: readiness is red and requests that need it get 503"
                );
            }
        }
        up
    }
}

/// Whether `db` answers within [`PROBE_TIMEOUT`]. A second try, within the same time, on a
/// fresh connection: one cut since the last probe (a server process restarted, a proxy's idle
/// timeout) fails its first statement, and is no outage.
async fn ping(db: &DatabaseConnection) -> bool {
    let answered = async { db.ping().await.is_ok() || db.ping().await.is_ok() };
    tokio::time::timeout(PROBE_TIMEOUT, answered)
        .await
        .unwrap_or(false)
}

/// `503` with `Retry-After`, without a cause: one log line per request during an outage would
/// bury the probe's one.
fn unavailable() -> actix_web::HttpResponse {
    actix_web::ResponseError::error_response(&ApiError::new(ErrorKind::Unavailable, ""))
}

/// Paths that never touch the database: liveness, readiness (which says so itself), metrics,
/// the documentation and files served from local disk by signed link.
fn needs_database(path: &str) -> bool {
    !(path == "/health"
        || path == "/health/ready"
        || path == "/metrics"
        || path == "/openapi.json"
        || path.starts_with("/docs")
        || path.starts_with("/media/"))
}

/// Answers `503` with `Retry-After` at once, instead of after the pool's acquire timeout,
/// while the probe finds the database unreachable. While draining, every answer closes its
/// connection (`Connection: close`): a client then sends its next request on a new connection,
/// to a process that stays, instead of on a kept-alive one that this process closes when the
/// drain ends — a request written just as that close arrives would be lost in flight.
pub async fn gate(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let readiness = req.app_data::<web::Data<Readiness>>();
    let down = readiness.is_some_and(|r| r.database_down());
    let draining = readiness.is_some_and(|r| r.draining());
    let needs_database = needs_database(req.path());
    if down && needs_database {
        return Ok(req.into_response(unavailable()).map_into_right_body());
    }
    // Probed (PostgreSQL): a request in flight when the database goes is answered once the
    // probe says so (plus a short grace), not when the pool gives up.
    let went_down = readiness
        .and_then(|r| {
            r.inner
                .probe
                .is_some()
                .then(|| r.inner.database_down.subscribe())
        })
        .filter(|_| needs_database);
    let mut response = match went_down {
        None => next.call(req).await?,
        Some(mut went_down) => {
            let call = next.call(req);
            tokio::pin!(call);
            tokio::select! {
                response = &mut call => response?,
                () = async {
                    if went_down.wait_for(|down| *down).await.is_err() {
                        std::future::pending::<()>().await;
                    }
                    tokio::time::sleep(IN_FLIGHT_GRACE).await;
                } => {
                    // Dropping the handler rolls back whatever it had begun. (The request
                    // went to the handler, so the error is the answer: actix renders it.)
                    return Err(ApiError::new(ErrorKind::Unavailable, "").into());
                }
            }
        }
    };
    if draining {
        response
            .response_mut()
            .head_mut()
            .set_connection_type(actix_web::http::ConnectionType::Close);
    }
    Ok(response.map_into_left_body())
}
