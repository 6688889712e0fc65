//! `/metrics` in Prometheus' text format: the counters the code records as it changes things
//! (`cinema_kernel::metrics`), HTTP requests by route template, and gauges read when scraped —
//! the database pool (from the pool itself, no query) and the job queue by kind and status (one
//! grouped count, at most once a second however often it is scraped).
//!
//! Served by configuration (`METRICS_ADDR`): not at all, with the API, or on a listen address
//! of its own so it need not be exposed with the API.

use std::{
    collections::{BTreeMap, BTreeSet},
    net::SocketAddr,
    sync::{Arc, Mutex, OnceLock, PoisonError},
    time::{Duration, Instant},
};

use actix_web::{HttpResponse, web};
use cinema_kernel::metrics::{HTTP_DURATION, HTTP_REQUESTS};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

/// Where the metrics are served.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum MetricsExposure {
    /// Not recorded, not served.
    #[default]
    Off,
    /// At `/metrics` on the API's own address.
    Public,
    /// At `/metrics` on this address only.
    Separate(SocketAddr),
}

/// The job statuses (`cinema_notify::JobStatus`).
const STATUSES: [&str; 4] = ["pending", "running", "done", "dead"];

/// How stale the job-queue gauges may be.
const QUEUE_EVERY: Duration = Duration::from_secs(1);

/// Latency buckets, in seconds: 1 ms to 10 s.
const LATENCY_BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 7.5, 10.0,
];

/// How often histogram samples are folded into their buckets between scrapes.
const UPKEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// The process's recorder: installed once, shared by every server in the process (tests run
/// many). `None` when another recorder was installed first.
fn recorder() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let installed = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full(HTTP_DURATION.to_owned()), &LATENCY_BUCKETS)
                .and_then(PrometheusBuilder::install_recorder);
            match installed {
                Ok(handle) => {
                    // `install_recorder` leaves upkeep to its caller, and histogram samples
                    // pile up until it runs: without a scrape, one f64 per request, forever
                    // (a catalog benchmark's server grew by ~90 MiB). Drain them regularly.
                    let upkeep = handle.clone();
                    let spawned = std::thread::Builder::new()
                        .name("metrics-upkeep".to_owned())
                        .spawn(move || {
                            loop {
                                std::thread::sleep(UPKEEP_EVERY);
                                upkeep.run_upkeep();
                            }
                        });
                    if let Err(e) = spawned {
                        tracing::warn!(error = %e, "metrics: no upkeep thread; histograms drain only when scraped");
                    }
                    Some(handle)
                }
                Err(e) => {
                    tracing::warn!(error = %e, "metrics are off: cannot install the recorder");
                    None
                }
            }
        })
        .as_ref()
}

/// What `/metrics` renders: the recorder and the database its gauges read.
#[derive(Clone)]
pub struct Metrics {
    handle: &'static PrometheusHandle,
    db: DatabaseConnection,
    max_connections: u32,
    queue_read: Arc<Mutex<Option<Instant>>>,
    kinds: Arc<Mutex<BTreeSet<String>>>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    /// Installs the process's recorder (once) and reads gauges from `db`; `None` if it cannot.
    pub fn new(db: DatabaseConnection, max_connections: u32) -> Option<Self> {
        Some(Self {
            handle: recorder()?,
            db,
            max_connections,
            queue_read: Arc::default(),
            kinds: Arc::default(),
        })
    }

    /// The exposition text, gauges read now.
    pub async fn render(&self) -> String {
        self.pool_gauges();
        self.queue_gauges().await;
        self.handle.run_upkeep();
        self.handle.render()
    }

    fn pool_gauges(&self) {
        let (size, idle) = match self.db.get_database_backend() {
            DbBackend::Postgres => {
                let pool = self.db.get_postgres_connection_pool();
                (pool.size(), pool.num_idle())
            }
            _ => {
                let pool = self.db.get_sqlite_connection_pool();
                (pool.size(), pool.num_idle())
            }
        };
        let idle = u32::try_from(idle).unwrap_or(u32::MAX);
        let in_use = size.saturating_sub(idle);
        metrics::gauge!("cinema_db_connections", "state" => "in_use").set(f64::from(in_use));
        metrics::gauge!("cinema_db_connections", "state" => "idle").set(f64::from(idle));
        metrics::gauge!("cinema_db_connections_max").set(f64::from(self.max_connections));
        // sqlx counts no waiters; every connection in use means the next request waits.
        let saturated = in_use >= self.max_connections;
        metrics::gauge!("cinema_db_pool_saturated").set(if saturated { 1.0 } else { 0.0 });
    }

    async fn queue_gauges(&self) {
        {
            let mut read = self
                .queue_read
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if read.is_some_and(|at| at.elapsed() < QUEUE_EVERY) {
                return;
            }
            *read = Some(Instant::now());
        }
        let backend = self.db.get_database_backend();
        let sql = "SELECT kind, status, COUNT(*) AS n FROM jobs GROUP BY kind, status";
        let rows = match self
            .db
            .query_all_raw(Statement::from_string(backend, sql))
            .await
        {
            Ok(rows) => rows,
            Err(e) => {
                tracing::warn!(error = %e, "metrics: cannot count the job queue");
                return;
            }
        };
        let mut counts: BTreeMap<(String, &'static str), f64> = BTreeMap::new();
        let mut kinds = self.kinds.lock().unwrap_or_else(PoisonError::into_inner);
        for row in &rows {
            let (Ok(kind), Ok(status), Ok(n)) = (
                row.try_get::<String>("", "kind"),
                row.try_get::<String>("", "status"),
                row.try_get::<i64>("", "n"),
            ) else {
                continue;
            };
            let Some(status) = STATUSES.into_iter().find(|s| *s == status) else {
                continue;
            };
            kinds.insert(kind.clone());
            counts.insert((kind, status), n as f64);
        }
        // Every status of every kind ever seen, so a drained queue reads 0, not its last count.
        for kind in kinds.iter() {
            for status in STATUSES {
                let n = counts.get(&(kind.clone(), status)).copied().unwrap_or(0.0);
                metrics::gauge!("cinema_jobs_queued", "kind" => kind.clone(), "status" => status)
                    .set(n);
            }
        }
    }
}

/// The whole app of a separate metrics listener: `/metrics`, nothing else.
pub fn app(
    metrics: Metrics,
) -> actix_web::App<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    actix_web::App::new()
        .app_data(web::Data::new(metrics))
        .route("/metrics", web::get().to(scrape))
}

/// `GET /metrics`.
pub async fn scrape(metrics: web::Data<Metrics>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(metrics.render().await)
}

/// Counts one HTTP request. `route` is the matched template, never the raw path.
pub(crate) fn request(
    route: Option<&str>,
    method: &actix_web::http::Method,
    status: u16,
    elapsed: Duration,
) {
    let route = route.unwrap_or("unmatched").to_owned();
    let method: &'static str = match method.as_str() {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "OPTIONS" => "OPTIONS",
        _ => "other",
    };
    metrics::counter!(HTTP_REQUESTS, "route" => route.clone(), "method" => method, "status" => status.to_string())
        .increment(1);
    metrics::histogram!(HTTP_DURATION, "route" => route, "method" => method)
        .record(elapsed.as_secs_f64());
}
