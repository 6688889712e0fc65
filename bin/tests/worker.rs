//! Worker processes against one database, delivering to a real SMTP server on loopback.
//! Runs on SQLite, or on PostgreSQL with `CINEMA_TEST_POSTGRES_URL`.

#![expect(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

use std::{
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use cinema_identity::emails::Activation;
use cinema_kernel::time::Clock;
use cinema_notify::{Templates, enqueue_email};
use cinema_testkit::{SmtpServer, TestDatabase};

const BIN: &str = env!("CARGO_BIN_EXE_cinema");

/// Runs `cinema` with these arguments to completion; its standard output.
fn run_cinema(database: &TestDatabase, dir: &std::path::Path, args: &[&str]) -> String {
    let out = Command::new(BIN)
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("DATABASE_URL", database.url())
        .env("BCRYPT_COST", "4")
        .env("LOG_LEVEL", "warn")
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The number a query selects as `n`.
async fn number(db: &sea_orm::DatabaseConnection, sql: &str) -> i64 {
    use sea_orm::{ConnectionTrait, Statement};
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

fn spawn(
    args: &[&str],
    database: &TestDatabase,
    smtp: &SmtpServer,
    dir: &tempfile::TempDir,
) -> Child {
    spawn_with(args, database, smtp, dir, &[])
}

fn spawn_with(
    args: &[&str],
    database: &TestDatabase,
    smtp: &SmtpServer,
    dir: &tempfile::TempDir,
    extra: &[(&str, &str)],
) -> Child {
    Command::new(BIN)
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("DATABASE_URL", database.url())
        .env("SMTP_URL", smtp.url())
        .env("HTTP_ADDR", "127.0.0.1:0")
        .env("JOB_POLL_INTERVAL_MS", "50")
        .env("LOG_LEVEL", "warn")
        .envs(extra.iter().copied())
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("cinema starts")
}

fn terminate(mut child: Child) -> Option<i32> {
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        if started.elapsed() > Duration::from_secs(20) {
            child.kill().ok();
            panic!("no exit after SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

async fn enqueue(database: &TestDatabase, ids: std::ops::Range<usize>) {
    let db = database.connect().await;
    let templates = Templates::new("Cinema").unwrap();
    for i in ids {
        let to = format!("viewer{i}@example.com");
        let email = Activation {
            email: to.clone(),
            link: format!("https://app.example.com/activate?token={i}"),
            valid_hours: 24,
        };
        enqueue_email(&db, &Clock::system(), &templates, &to, &email)
            .await
            .unwrap();
    }
    db.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_worker_processes_send_each_message_exactly_once() {
    let database = TestDatabase::create().await;
    let dir = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start().await;
    enqueue(&database, 0..1).await; // creates the schema before both workers start
    let a = spawn(&["worker"], &database, &smtp, &dir);
    let b = spawn(&["worker"], &database, &smtp, &dir);
    enqueue(&database, 1..30).await;

    smtp.wait_for(30, Duration::from_secs(30)).await;
    // Once every job is recorded done, no worker can send anything again.
    let db = database.connect().await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while email_jobs_not_done(&db).await > 0 {
        assert!(Instant::now() < deadline, "e-mail jobs still open");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(terminate(a), Some(0));
    assert_eq!(terminate(b), Some(0));

    let messages = smtp.messages();
    let mut recipients: Vec<_> = messages.iter().map(|m| m.to.join(",")).collect();
    recipients.sort();
    recipients.dedup();
    assert_eq!(messages.len(), 30, "no message was sent twice");
    assert_eq!(recipients.len(), 30);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_runs_an_embedded_worker_unless_told_not_to() {
    let database = TestDatabase::create().await;
    let dir = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start().await;
    enqueue(&database, 0..0).await;

    let api_only = spawn(&["serve", "--no-worker"], &database, &smtp, &dir);
    enqueue(&database, 0..1).await;
    // Absence can only be shown over time: thirty poll intervals (50 ms each) in which a worker
    // would have claimed the job; the job is still untouched afterwards.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let db = database.connect().await;
    assert_eq!(
        job_status(&db).await,
        "pending",
        "--no-worker claims nothing"
    );
    assert!(smtp.messages().is_empty(), "--no-worker sends nothing");
    assert_eq!(terminate(api_only), Some(0));

    let serve = spawn(&["serve"], &database, &smtp, &dir);
    smtp.wait_for(1, Duration::from_secs(20)).await;
    assert_eq!(terminate(serve), Some(0));
    assert_eq!(smtp.messages().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_process_killed_mid_job_does_not_lose_the_job() {
    let database = TestDatabase::create().await;
    let dir = tempfile::tempdir().unwrap();
    enqueue(&database, 0..1).await;
    let lease = [("JOB_LEASE_SECS", "1"), ("SMTP_TIMEOUT_SECS", "60")];

    // The first worker takes the job and hangs inside the SMTP conversation...
    let stalled = SmtpServer::start_stalled().await;
    let mut doomed = spawn_with(&["worker"], &database, &stalled, &dir, &lease);
    let db = database.connect().await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while job_status(&db).await != "running" {
        assert!(
            Instant::now() < deadline,
            "the first worker never took the job"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // ...and is killed there, with no chance to clean up.
    doomed.kill().unwrap();
    doomed.wait().unwrap();

    let smtp = SmtpServer::start().await;
    let rescuer = spawn_with(&["worker"], &database, &smtp, &dir, &lease);
    smtp.wait_for(1, Duration::from_secs(20)).await;
    assert_eq!(terminate(rescuer), Some(0));
    assert_eq!(smtp.messages().len(), 1);
    assert_eq!(job_status(&db).await, "done");
}

async fn email_jobs_not_done(db: &sea_orm::DatabaseConnection) -> u64 {
    use cinema_notify::entity::job::{Column, Entity};
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    Entity::find()
        .filter(Column::Kind.eq(cinema_notify::EMAIL_JOB))
        .filter(Column::Status.ne("done"))
        .count(db)
        .await
        .unwrap()
}

async fn job_status(db: &sea_orm::DatabaseConnection) -> String {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    cinema_notify::entity::job::Entity::find()
        .filter(cinema_notify::entity::job::Column::Kind.eq(cinema_notify::EMAIL_JOB))
        .one(db)
        .await
        .unwrap()
        .map(|j| j.status)
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_loads_the_demo_catalog_once_and_synthetic_movies_on_request() {
    let database = TestDatabase::create().await;
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| run_cinema(&database, dir.path(), args);
    let first = run(&["seed"]);
    assert!(
        first.contains("10 movies") && first.contains("shown once"),
        "{first}"
    );
    let second = run(&["seed"]);
    assert!(
        second.contains("0 movies") && second.contains("password unchanged"),
        "{second}"
    );
    let synthetic = run(&["seed", "--movies", "300"]);
    assert!(synthetic.contains("300 movies"), "{synthetic}");

    let db = database.connect().await;
    let count = |sql: &'static str| number(&db, sql);
    assert_eq!(count("SELECT COUNT(*) AS n FROM movies").await, 310);
    assert_eq!(count("SELECT COUNT(*) AS n FROM genres").await, 22);
    assert_eq!(count("SELECT COUNT(*) AS n FROM users").await, 3);
    let per_movie = count("SELECT COUNT(*) AS n FROM movie_genres").await;
    assert!(
        (310..=930).contains(&per_movie),
        "1 to 3 genres each: {per_movie}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_synthetic_load_keeps_every_index_and_count_and_runs_again_safely() {
    let database = TestDatabase::create().await;
    let dir = tempfile::tempdir().unwrap();
    let db = database.connect().await;
    let number = |sql: &'static str| number(&db, sql);
    // On PostgreSQL an empty catalog is loaded with its indexes dropped and rebuilt.
    let indexes = if database.is_postgres() {
        "SELECT COUNT(*) AS n FROM pg_indexes WHERE tablename IN \
         ('movies', 'movie_genres', 'movie_directors', 'movie_stars')"
    } else {
        "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'index'"
    };
    let before = number(indexes).await;
    let seed = |n: &str| run_cinema(&database, dir.path(), &["seed", "--movies", n]);
    assert!(seed("250").contains("250 movies"));
    assert_eq!(number(indexes).await, before, "every index is back");
    assert_eq!(number("SELECT COUNT(*) AS n FROM movies").await, 250);
    assert_eq!(
        number("SELECT value AS n FROM catalog_counts WHERE name = 'movies'").await,
        250
    );
    assert!(
        seed("250").contains(" 0 movies"),
        "a second run adds nothing"
    );
    assert_eq!(number("SELECT COUNT(*) AS n FROM movies").await, 250);
    if database.is_postgres() {
        // The search index was written with the rows.
        let found = number(
            "SELECT COUNT(*) AS n FROM movies \
             WHERE search_terms @@ $$'t:the_':* | 'p:the_':*$$::tsquery",
        )
        .await;
        assert!(found > 0, "{found}");
        assert_eq!(
            number("SELECT COUNT(*) AS n FROM movies WHERE search_terms = ''::tsvector").await,
            0
        );
    }
}
