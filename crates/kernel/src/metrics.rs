//! Cinema's metrics: their names and labels in one place, recorded through the [`metrics`]
//! facade by the code that changes what they count — after its commit, so a rolled-back change
//! counts nothing. With no recorder installed (a library user who exports nothing) each call
//! is a no-op. The server installs a Prometheus recorder and serves `/metrics`.
//!
//! Label values are always from a small fixed set (an outcome, a route template, a job kind),
//! never from user input, so no series can be created from outside.

/// HTTP requests, by `route` (the template, e.g. `/api/v1/movies/{id}`), `method` and `status`.
pub const HTTP_REQUESTS: &str = "cinema_http_requests_total";
/// HTTP request latency in seconds, by `route` and `method` (a histogram).
pub const HTTP_DURATION: &str = "cinema_http_request_duration_seconds";
/// Orders, by `outcome`: `placed`, `canceled`, `expired`.
pub const ORDERS: &str = "cinema_orders_total";
/// Payments received, by `outcome`: `succeeded` (the order paid), `owed_back` (money that
/// could not pay its order, to be refunded), `failed` (declined at the gateway).
pub const PAYMENTS: &str = "cinema_payments_total";
/// Refunds, by `outcome`: `refunded`, `failed` (the gateway refused or was unreachable).
pub const REFUNDS: &str = "cinema_refunds_total";
/// Payment-provider webhook deliveries, by `outcome`: `applied`, `duplicate`, `ignored`,
/// `rejected` (bad signature or body).
pub const WEBHOOK_EVENTS: &str = "cinema_webhook_events_total";
/// E-mail deliveries, by `outcome`: `delivered`, `failed` (to be retried), `rejected`
/// (permanently refused).
pub const EMAILS: &str = "cinema_emails_total";
/// Jobs run, by `kind` and `outcome`: `done`, `retry`, `dead`.
pub const JOBS: &str = "cinema_jobs_total";
/// Catalog read-cache lookups, by `result`: `hit`, `miss`.
pub const CATALOG_CACHE: &str = "cinema_catalog_cache_requests_total";
/// Access-token lookups with the session cache on, by `result`: `hit` (no database read),
/// `miss` (read, and remembered while the cache listens).
pub const SESSION_CACHE: &str = "cinema_session_cache_requests_total";
/// Public catalog reads computed with read replicas configured, by `database`: `primary`,
/// `replica`, `fallback` (the primary, after the replica failed the read).
pub const CATALOG_READS: &str = "cinema_catalog_reads_total";

/// Adds one to `name` with one label.
pub fn count(name: &'static str, label: &'static str, value: &'static str) {
    metrics::counter!(name, label => value).increment(1);
}

/// Adds `n` to `name` with one label (nothing when `n` is zero).
pub fn count_n(name: &'static str, label: &'static str, value: &'static str, n: u64) {
    if n > 0 {
        metrics::counter!(name, label => value).increment(n);
    }
}

/// Adds one to [`JOBS`] for a job of `kind` that ended with `outcome`.
pub fn job(kind: &str, outcome: &'static str) {
    metrics::counter!(JOBS, "kind" => kind.to_owned(), "outcome" => outcome).increment(1);
}
