//! Test harness for Cinema's black-box tests.
//!
//! [`TestApp::spawn`] boots the real application through the same `Application::build` and
//! worker that `cinema serve` uses, on `127.0.0.1:0`, with a database of its own (a temporary
//! SQLite file, or a new PostgreSQL database when `CINEMA_TEST_POSTGRES_URL` is set) and a
//! real SMTP server on loopback. Tests then talk to it over HTTP only; the few that need a
//! precondition no endpoint can create (an admin, an expired token) reach the database the
//! way an operator would.

mod accounts;
mod catalog;
mod commerce;
mod http;
mod media;
mod proxy;
mod stripe;

pub use accounts::{Tokens, query, strong_password};
pub use catalog::Catalog;
pub use cinema_testkit::{
    PgCluster, ReceivedMail, ReservedPort, S3Server, SmtpServer, TestDatabase,
};
pub use commerce::order_movie_ids;
pub use http::{Problem, TestResponse};
pub use media::{body_tail, jpeg, multipart, multipart_content_type, part_head, png, webp};
pub use proxy::TcpProxy;
pub use stripe::{Recorded, STRIPE_KEY, StripeFake};

use std::{collections::HashMap, time::Duration};

use cinema_server::{
    jobs,
    settings::Settings,
    startup::{Application, ServerHandle},
};
use sea_orm::DatabaseConnection;
use serde_json::Value;

/// The webhook signing secret of every test application.
pub const WEBHOOK_SECRET: &str = "whsec_test_harness_secret";

/// A client whose requests come from `ip` (any address of 127.0.0.0/8 is this machine), as a
/// different client would.
pub fn client_from(ip: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(ip.parse::<std::net::IpAddr>().expect("an IP address"))
        .build()
        .expect("a client")
}

/// How long tests wait for something asynchronous (an e-mail) before failing.
pub const WAIT: Duration = Duration::from_secs(15);

/// Where the application under test keeps avatars and posters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storage {
    /// A temporary directory, served through the API's signed links (the default).
    LocalDisk,
    /// A real S3 server on loopback (s3s-fs, checking signatures), with presigned links.
    S3,
}

/// The bucket of the test S3 server.
pub const S3_BUCKET: &str = "cinema-test-media";

/// An e-mail job as stored.
#[derive(Debug, Clone)]
pub struct EmailJob {
    pub id: i64,
    pub status: String,
    pub attempts: i32,
    pub payload: String,
}

/// A running application with its own database, SMTP server and media storage.
pub struct TestApp {
    pub address: String,
    /// The separate metrics listener's address, when `METRICS_ADDR` is an address.
    pub metrics_address: Option<String>,
    pub client: reqwest::Client,
    handle: ServerHandle,
    stop_worker: tokio::sync::watch::Sender<bool>,
    worker: Option<tokio::task::JoinHandle<()>>,
    db: DatabaseConnection,
    /// The application's clock: move it to expire tokens instead of sleeping.
    pub clock: cinema_kernel::time::Clock,
    smtp: Option<SmtpServer>,
    /// While SMTP is down: its port, bound and refusing connections.
    smtp_port: Option<ReservedPort>,
    media_dir: tempfile::TempDir,
    s3: Option<S3Server>,
    stripe: Option<StripeFake>,
    // Dropped last, so the database outlives the server.
    database: TestDatabase,
}

impl TestApp {
    /// Boots the application with test defaults.
    pub async fn spawn() -> Self {
        Self::spawn_with(&[]).await
    }

    /// Boots the application with extra environment-style settings.
    pub async fn spawn_with(overrides: &[(&str, &str)]) -> Self {
        Self::boot(overrides, true, Storage::LocalDisk, false).await
    }

    /// Boots the application with payments through Stripe's adapter, pointed at a
    /// [`StripeFake`] (see [`TestApp::stripe`]) that delivers its events to this app.
    pub async fn spawn_with_stripe(overrides: &[(&str, &str)]) -> Self {
        Self::boot(overrides, true, Storage::LocalDisk, true).await
    }

    /// Boots the application with its media on this storage.
    pub async fn spawn_with_storage(storage: Storage) -> Self {
        Self::boot(&[], true, storage, false).await
    }

    /// Boots the application with its media on this storage and extra settings.
    pub async fn spawn_with_storage_and(storage: Storage, overrides: &[(&str, &str)]) -> Self {
        Self::boot(overrides, true, storage, false).await
    }

    /// Boots the application while its SMTP server is down; [`TestApp::start_smtp`] brings it
    /// up on the configured address.
    pub async fn spawn_with_smtp_down(overrides: &[(&str, &str)]) -> Self {
        Self::boot(overrides, false, Storage::LocalDisk, false).await
    }

    /// Boots the application on a database someone else created and will drop (a test's own
    /// [`PgCluster`]).
    pub async fn spawn_on(url: &str, overrides: &[(&str, &str)]) -> Self {
        Self::boot_on(
            TestDatabase::external(url),
            overrides,
            true,
            Storage::LocalDisk,
            false,
        )
        .await
    }

    /// Boots a second instance of the application on this one's database (and its own SMTP
    /// server and media directory), as a deployment runs several behind a load balancer.
    pub async fn spawn_sibling(&self, overrides: &[(&str, &str)]) -> Self {
        Self::boot_on(
            self.database.share(),
            overrides,
            true,
            Storage::LocalDisk,
            false,
        )
        .await
    }

    async fn boot(
        overrides: &[(&str, &str)],
        smtp_up: bool,
        storage: Storage,
        stripe: bool,
    ) -> Self {
        let database = TestDatabase::create().await;
        Self::boot_on(database, overrides, smtp_up, storage, stripe).await
    }

    async fn boot_on(
        database: TestDatabase,
        overrides: &[(&str, &str)],
        smtp_up: bool,
        storage: Storage,
        stripe: bool,
    ) -> Self {
        let media_dir = tempfile::tempdir().expect("a media directory");
        let s3 = match storage {
            Storage::LocalDisk => None,
            Storage::S3 => Some(S3Server::start().await),
        };
        let port = ReservedPort::new();
        let smtp_addr = port.addr();
        let (smtp, smtp_port) = if smtp_up {
            (Some(SmtpServer::start_on(port)), None)
        } else {
            (None, Some(port))
        };
        let mut env: HashMap<String, String> = HashMap::from([
            ("DATABASE_URL".into(), database.url().to_owned()),
            ("HTTP_ADDR".into(), "127.0.0.1:0".into()),
            ("HTTP_WORKERS".into(), "1".into()),
            ("SHUTDOWN_TIMEOUT_SECS".into(), "1".into()),
            ("SMTP_URL".into(), format!("smtp://{smtp_addr}")),
            ("SMTP_TIMEOUT_SECS".into(), "2".into()),
            ("JOB_POLL_INTERVAL_MS".into(), "20".into()),
            ("JOB_BACKOFF_BASE_MS".into(), "50".into()),
            ("JOB_BACKOFF_MAX_SECS".into(), "1".into()),
            ("BCRYPT_COST".into(), "4".into()),
            // Abuse limits and the answer floor have tests of their own that set them.
            ("MAIL_LIMIT_PER_RECIPIENT".into(), "1000".into()),
            ("MAIL_LIMIT_PER_CLIENT".into(), "1000".into()),
            ("REGISTRATION_LIMIT_PER_CLIENT".into(), "1000".into()),
            ("MAIL_REQUEST_MIN_ANSWER_MS".into(), "0".into()),
            (
                "JWT_SECRET".into(),
                "test-secret-test-secret-test-secret!".into(),
            ),
            ("FRONTEND_URL".into(), "https://app.example.com".into()),
            ("STRIPE_WEBHOOK_SECRET".into(), WEBHOOK_SECRET.into()),
            (
                "MEDIA_DIR".into(),
                media_dir.path().to_string_lossy().into_owned(),
            ),
        ]);
        if let Some(s3) = &s3 {
            env.extend([
                ("MEDIA_STORAGE".into(), "s3".into()),
                ("S3_ENDPOINT".into(), s3.endpoint()),
                ("S3_BUCKET".into(), S3_BUCKET.into()),
                ("S3_REGION".into(), S3Server::REGION.into()),
                ("S3_ACCESS_KEY".into(), S3Server::ACCESS_KEY.into()),
                ("S3_SECRET_KEY".into(), S3Server::SECRET_KEY.into()),
                ("S3_TIMEOUT_SECS".into(), "5".into()),
            ]);
        }
        let stripe = match stripe {
            true => Some(StripeFake::start(WEBHOOK_SECRET).await),
            false => None,
        };
        if let Some(fake) = &stripe {
            env.extend([
                ("STRIPE_SECRET_KEY".into(), STRIPE_KEY.into()),
                ("STRIPE_API_BASE".into(), fake.url().to_owned()),
                ("STRIPE_TIMEOUT_SECS".into(), "5".into()),
            ]);
        }
        // CI runs the catalog's tests a second time with `CATALOG_CACHE=off`.
        if let Ok(cache) = std::env::var("CATALOG_CACHE") {
            env.insert("CATALOG_CACHE".into(), cache);
        }
        for (k, v) in overrides {
            env.insert((*k).into(), (*v).into());
        }
        let settings = Settings::from_source(&env).expect("test settings are valid");
        // `TEST_LOG=1` logs at the default level; any other value is a `tracing` filter.
        if let Ok(filter) = std::env::var("TEST_LOG") {
            let mut settings = settings.clone();
            if filter != "1" {
                settings.log.filter = filter;
            }
            cinema_server::telemetry::init(&settings.log);
        }
        let app = Application::build(&settings)
            .await
            .expect("the application starts");
        let address = format!("http://127.0.0.1:{}", app.port());
        let metrics_address = app
            .metrics_port()
            .map(|port| format!("http://127.0.0.1:{port}"));
        if let Some(fake) = &stripe {
            fake.forward_to(
                format!("{address}/api/v1/webhooks/stripe"),
                settings.clock.clone(),
            );
        }
        let handle = app.handle();
        let db = app.db().clone();
        let (stop_worker, shutdown) = tokio::sync::watch::channel(false);
        let worker =
            jobs::worker(db.clone(), &settings, app.media().clone()).expect("the worker starts");
        let worker = tokio::spawn(worker.run(shutdown));
        tokio::spawn(app.run_until_stopped());
        Self {
            address,
            metrics_address,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("an HTTP client"),
            handle,
            stop_worker,
            worker: Some(worker),
            db,
            clock: settings.clock.clone(),
            smtp,
            smtp_port,
            media_dir,
            s3,
            stripe,
            database,
        }
    }

    /// The Stripe fake of an app started with [`TestApp::spawn_with_stripe`].
    pub fn stripe(&self) -> &StripeFake {
        self.stripe
            .as_ref()
            .expect("started with spawn_with_stripe")
    }

    /// Stops the background worker and waits until it has: no job (e-mail, scheduled
    /// expiry) runs after this returns, whatever the clock does next.
    pub async fn stop_worker(&mut self) {
        let _ = self.stop_worker.send(true);
        if let Some(worker) = self.worker.take() {
            worker.await.expect("the worker stops cleanly");
        }
    }

    /// The directory of the local-disk store.
    pub fn media_dir(&self) -> &std::path::Path {
        self.media_dir.path()
    }

    pub fn has_s3(&self) -> bool {
        self.s3.is_some()
    }

    /// The S3 server (panics unless booted with [`Storage::S3`]).
    pub fn s3(&self) -> &S3Server {
        self.s3.as_ref().expect("booted with S3 storage")
    }

    /// Takes S3 down: new connections are refused and open ones closed.
    pub fn stop_s3(&mut self) {
        if let Some(s3) = &mut self.s3 {
            s3.stop();
        }
    }

    /// Brings S3 back on the same address with the same objects.
    pub async fn restart_s3(&mut self) {
        if let Some(s3) = &mut self.s3 {
            s3.restart().await;
        }
    }

    pub fn database(&self) -> &TestDatabase {
        &self.database
    }

    /// How many connections named `application_name` have run `LISTEN` on this test's
    /// PostgreSQL database (every instance on it counts).
    pub async fn listening(&self, application_name: &str) -> i64 {
        use sea_orm::ConnectionTrait;
        let row = self
            .db()
            .query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DbBackend::Postgres,
                format!(
                    "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() \
                     AND application_name = '{application_name}' AND query LIKE 'LISTEN%'"
                ),
            ))
            .await
            .expect("pg_stat_activity")
            .expect("a count");
        row.try_get_by_index(0).expect("a count")
    }

    /// Waits until `n` connections named `application_name` on this test's database have run
    /// `LISTEN`: until then an instance hears no change, and a test that warms its cache
    /// would prove nothing.
    pub async fn wait_listening(&self, application_name: &str, n: i64) {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let listeners = self.listening(application_name).await;
            if listeners >= n {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{listeners} of {n} `{application_name}` connections listen"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// The application's own pool, for preconditions no endpoint can create.
    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// The SMTP server (panics while it is down).
    pub fn smtp(&self) -> &SmtpServer {
        self.smtp.as_ref().expect("the SMTP server is up")
    }

    /// Starts the SMTP server on the address the application was configured with.
    pub async fn start_smtp(&mut self) {
        if let Some(port) = self.smtp_port.take() {
            self.smtp = Some(SmtpServer::start_on(port));
        }
    }

    /// Waits until `n` messages to `to` arrived, and returns them.
    pub async fn mails_to(&self, to: &str, n: usize) -> Vec<ReceivedMail> {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let mails: Vec<_> = self
                .smtp()
                .messages()
                .into_iter()
                .filter(|m| m.to.iter().any(|t| t == to))
                .collect();
            if mails.len() >= n {
                return mails;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "expected {n} e-mail(s) to {to}, got {}",
                mails.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The e-mail jobs to `to`, oldest first, read from the jobs table: an e-mail is queued in
    /// the transaction of its cause, so right after a response this is final — no need to wait
    /// and see whether one arrives.
    pub async fn email_job_rows(&self, to: &str) -> Vec<EmailJob> {
        use sea_orm::ConnectionTrait as _;
        let backend = self.db.get_database_backend();
        let needle = serde_json::to_string(&serde_json::json!({ "to": to }))
            .expect("json")
            .trim_matches(|c| c == '{' || c == '}')
            .to_owned();
        let sql = match backend {
            sea_orm::DbBackend::Postgres => {
                "SELECT id, status, attempts, payload FROM jobs WHERE kind = 'email' AND strpos(payload, $1) > 0 ORDER BY id"
            }
            _ => {
                "SELECT id, status, attempts, payload FROM jobs WHERE kind = 'email' AND instr(payload, ?) > 0 ORDER BY id"
            }
        };
        let rows = self
            .db
            .query_all_raw(sea_orm::Statement::from_sql_and_values(
                backend,
                sql,
                [needle.into()],
            ))
            .await
            .expect("jobs readable");
        rows.iter()
            .map(|r| EmailJob {
                id: r.try_get("", "id").expect("id"),
                status: r.try_get("", "status").expect("status"),
                attempts: r.try_get("", "attempts").expect("attempts"),
                payload: r.try_get("", "payload").expect("payload"),
            })
            .collect()
    }

    /// The e-mail jobs to `to` as (status, attempts) (see [`TestApp::email_job_rows`]).
    pub async fn email_jobs_to(&self, to: &str) -> Vec<(String, i32)> {
        self.email_job_rows(to)
            .await
            .into_iter()
            .map(|j| (j.status, j.attempts))
            .collect()
    }

    /// How many e-mails to `to` (queued or sent) contain `text`.
    pub async fn emails_with(&self, to: &str, text: &str) -> usize {
        self.email_job_rows(to)
            .await
            .iter()
            .filter(|j| j.payload.contains(text))
            .count()
    }

    /// The single number a counting statement (`SELECT COUNT(*) AS n …`) answers.
    pub async fn count(&self, sql: &str) -> i64 {
        use sea_orm::ConnectionTrait;
        self.db()
            .query_one_raw(sea_orm::Statement::from_string(
                self.db().get_database_backend(),
                sql,
            ))
            .await
            .expect("the count runs")
            .expect("a row")
            .try_get::<i64>("", "n")
            .expect("a column n")
    }

    /// How many e-mails are queued or sent to `to` (see [`TestApp::email_jobs_to`]).
    pub async fn emails_queued_to(&self, to: &str) -> usize {
        self.email_jobs_to(to).await.len()
    }

    /// Waits (at most [`WAIT`]) until the e-mail jobs to `to` satisfy `done`.
    pub async fn wait_for_email_jobs(
        &self,
        to: &str,
        what: &str,
        done: impl Fn(&[(String, i32)]) -> bool,
    ) {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let jobs = self.email_jobs_to(to).await;
            if done(&jobs) {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "e-mail jobs to {to} never {what}: {jobs:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Sends a request and reads the whole response.
    pub async fn send(&self, request: reqwest::RequestBuilder) -> TestResponse {
        let res = request
            .send()
            .await
            .expect("the request reaches the server");
        TestResponse::read(res).await
    }

    pub async fn get(&self, path: &str) -> TestResponse {
        self.send(self.client.get(self.url(path))).await
    }

    pub async fn request(&self, method: reqwest::Method, path: &str) -> TestResponse {
        self.send(self.client.request(method, self.url(path))).await
    }

    /// GET with a Bearer token.
    pub async fn get_as(&self, token: &str, path: &str) -> TestResponse {
        self.send(self.client.get(self.url(path)).bearer_auth(token))
            .await
    }

    pub async fn delete_as(&self, token: &str, path: &str) -> TestResponse {
        self.send(self.client.delete(self.url(path)).bearer_auth(token))
            .await
    }

    /// A JSON request, optionally with a Bearer token.
    pub async fn json(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Value,
    ) -> TestResponse {
        let mut request = self.client.request(method, self.url(path)).json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        self.send(request).await
    }

    /// POST JSON without a token.
    pub async fn post(&self, path: &str, body: Value) -> TestResponse {
        self.json(reqwest::Method::POST, path, None, body).await
    }

    /// Sends a raw body with the given content type.
    pub async fn send_raw(
        &self,
        method: reqwest::Method,
        path: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> TestResponse {
        self.send(
            self.client
                .request(method, self.url(path))
                .header("content-type", content_type)
                .body(body),
        )
        .await
    }
}

impl std::fmt::Debug for TestApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestApp")
            .field("address", &self.address)
            .field("database", &self.database)
            .finish_non_exhaustive()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = self.stop_worker.send(true);
        // `stop` sends its command at once; the returned future only waits for completion,
        // which would need this (ending) runtime. The workers exit on their own.
        drop(self.handle.stop(false));
    }
}
