//! `OUTAGES=1`: the rig brings its own PostgreSQL cluster (`initdb`/`pg_ctl` on another port,
//! so it can stop and start it) and S3 server, and during the load takes away, one after the
//! other, the database (`pg_ctl stop -m immediate`, a crash), the SMTP server and S3, each for
//! `OUTAGE_SECS`, then brings it back. What must hold:
//!
//! - database away: readiness turns red on every instance within a probe or two, requests get
//!   `503` with `Retry-After` at once (not after the pool's acquire timeout), every process
//!   recovers by itself once it is back, no job is lost (the invariants);
//! - SMTP away: nothing answers differently; every mail is delivered once it is back, exactly
//!   once (the mail invariants);
//! - S3 away: avatar uploads answer `503` with `Retry-After`, nothing else does, and no profile
//!   names an avatar that was not stored.

use std::{
    sync::{Arc, atomic::Ordering},
    time::{Duration, Instant},
};

use cinema_testkit::{PgCluster, S3Server, SmtpServer};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

use super::Front;

/// The bucket of the rig's S3 server.
const BUCKET: &str = "cinema-soak-media";

/// `Front::outage` bits: which dependency is away now, so which 503s are the expected ones.
pub const DATABASE_AWAY: u8 = 1;
pub const STORAGE_AWAY: u8 = 2;

/// The rig's own database cluster and storage.
pub struct Own {
    cluster: PgCluster,
    s3: S3Server,
}

impl Own {
    /// Starts a cluster, creates the database and seeds `movies` movies with `bin`; starts S3.
    pub async fn start(bin: &str, movies: &str) -> Self {
        let cluster = PgCluster::init().expect("PostgreSQL's server programs (initdb, pg_ctl)");
        cluster.start();
        let status = std::process::Command::new("psql")
            .args([
                &cluster.url("postgres"),
                "-qc",
                "CREATE DATABASE cinema_soak",
            ])
            .status()
            .expect("psql");
        assert!(status.success(), "CREATE DATABASE");
        eprintln!(
            "own PostgreSQL on port {}; seeding {movies} movies",
            cluster.port()
        );
        let status = std::process::Command::new(bin)
            .args(["seed", "--movies", movies])
            .env("DATABASE_URL", cluster.url("cinema_soak"))
            .stdout(std::process::Stdio::null())
            .status()
            .expect("cinema seed");
        assert!(status.success(), "cinema seed");
        let status = std::process::Command::new("psql")
            .args([&cluster.url("cinema_soak"), "-qc", "VACUUM (ANALYZE)"])
            .status()
            .expect("psql");
        assert!(status.success(), "VACUUM");
        Self {
            cluster,
            s3: S3Server::start().await,
        }
    }

    pub fn database_url(&self) -> String {
        self.cluster.url("cinema_soak")
    }

    /// The settings that put media on the rig's S3 server.
    pub fn media_env(&self) -> Vec<(String, String)> {
        [
            ("MEDIA_STORAGE", "s3"),
            ("S3_ENDPOINT", &self.s3.endpoint()),
            ("S3_BUCKET", BUCKET),
            ("S3_REGION", S3Server::REGION),
            ("S3_ACCESS_KEY", S3Server::ACCESS_KEY),
            ("S3_SECRET_KEY", S3Server::SECRET_KEY),
            ("S3_TIMEOUT_SECS", "2"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
    }

    /// Profiles naming an avatar that storage does not hold (must be none).
    pub async fn avatars_missing(&self, db: &DatabaseConnection) -> i64 {
        let rows = db
            .query_all_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT avatar FROM user_profiles WHERE avatar IS NOT NULL",
            ))
            .await
            .unwrap();
        rows.iter()
            .filter(|row| {
                let key: String = row.try_get_by_index(0).unwrap();
                !self.s3.has_object(BUCKET, &key)
            })
            .count() as i64
    }

    /// Avatars stored, for the report.
    pub fn avatars_stored(&self) -> usize {
        self.s3.keys(BUCKET, "avatars").len()
    }
}

/// What the outages showed.
#[derive(Default)]
pub struct Report {
    pub lines: Vec<String>,
    /// The database's outage, from the stop until every instance was ready again.
    pub database_window: Option<(Instant, Instant)>,
    /// Failures of the outage's own promises (reported, and failing the run).
    pub broken: Vec<String>,
}

/// Waits until every instance's readiness (as the front's probe sees it) is `green`.
async fn all_ready(front: &Front, green: bool, limit: Duration) -> Option<Duration> {
    let asked = Instant::now();
    while asked.elapsed() < limit {
        if front
            .ready
            .iter()
            .all(|r| r.load(Ordering::Relaxed) == green)
        {
            return Some(asked.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

async fn sleep_until(at: Instant) {
    tokio::time::sleep_until(at.into()).await;
}

/// The schedule: the database at a fifth of the run, SMTP at two fifths, S3 at three fifths.
pub async fn run(
    own: Arc<Own>,
    front: Arc<Front>,
    smtp: Arc<SmtpServer>,
    started: Instant,
    secs: u64,
    away: Duration,
) -> Report {
    let mut report = Report::default();
    let at = |fifths: u64| started + Duration::from_secs(secs) * fifths as u32 / 5;
    let since = |t: Instant| t.duration_since(started).as_secs_f64();

    sleep_until(at(1)).await;
    front.outage.fetch_or(DATABASE_AWAY, Ordering::SeqCst);
    let stopped = Instant::now();
    let cluster = own.clone();
    tokio::task::spawn_blocking(move || cluster.cluster.stop("immediate"))
        .await
        .unwrap();
    report.lines.push(format!(
        "{:.1} s: PostgreSQL stopped (immediate: a crash) for {away:?}",
        since(stopped)
    ));
    match all_ready(&front, false, away).await {
        Some(_) => report.lines.push(format!(
            "every instance's readiness red {:.2} s after the stop (probes every 0.5 s)",
            stopped.elapsed().as_secs_f64()
        )),
        None => report
            .broken
            .push(format!("readiness still green {away:?} into the outage")),
    }
    sleep_until(stopped + away).await;
    let cluster = own.clone();
    tokio::task::spawn_blocking(move || cluster.cluster.start())
        .await
        .unwrap();
    let back = Instant::now();
    match all_ready(&front, true, Duration::from_secs(30)).await {
        Some(after) => report.lines.push(format!(
            "{:.1} s: PostgreSQL back; every instance ready again {:.2} s later, without a restart",
            since(back),
            after.as_secs_f64()
        )),
        None => report
            .broken
            .push("an instance never became ready after the database came back".into()),
    }
    // Answers already on their way when readiness turned green may still be the outage's.
    tokio::time::sleep(Duration::from_secs(1)).await;
    front.outage.fetch_and(!DATABASE_AWAY, Ordering::SeqCst);
    report.database_window = Some((stopped, Instant::now()));

    sleep_until(at(2)).await;
    smtp.stop();
    report.lines.push(format!(
        "{:.1} s: SMTP server refusing connections for {:?}",
        since(Instant::now()),
        away * 2
    ));
    tokio::time::sleep(away * 2).await;
    smtp.restart().await;
    report
        .lines
        .push(format!("{:.1} s: SMTP server back", since(Instant::now())));

    sleep_until(at(3)).await;
    let refused_uploads = || {
        let stats = front.stats.lock().unwrap();
        stats
            .groups
            .get("avatar")
            .map_or((0, 0), |g| (g.unavailable, g.latencies.len() as u64))
    };
    let before = refused_uploads();
    front.outage.fetch_or(STORAGE_AWAY, Ordering::SeqCst);
    own.s3.stop();
    report.lines.push(format!(
        "{:.1} s: S3 down for {away:?}",
        since(Instant::now())
    ));
    tokio::time::sleep(away).await;
    own.s3.restart().await;
    report
        .lines
        .push(format!("{:.1} s: S3 back", since(Instant::now())));
    tokio::time::sleep(Duration::from_secs(1)).await;
    front.outage.fetch_and(!STORAGE_AWAY, Ordering::SeqCst);
    let after = refused_uploads();
    report.lines.push(format!(
        "avatar uploads while S3 was away: {} answered, {} of them 503 with Retry-After",
        after.1 - before.1,
        after.0 - before.0
    ));
    if after.0 == before.0 {
        report
            .broken
            .push("no avatar upload was refused while S3 was away".into());
    }
    report
}
