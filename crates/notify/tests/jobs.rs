//! The job queue and worker against the real migrations, on SQLite or (with
//! `CINEMA_TEST_POSTGRES_URL`) PostgreSQL, delivering to a real SMTP server on loopback.

#![expect(clippy::unwrap_used, reason = "test code")]

use cinema_identity::emails::{AccountActivated, Activation};
use cinema_kernel::JobId;
use cinema_kernel::time::Clock;
use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use cinema_kernel::page::PageRequest;
use cinema_notify::{
    EMAIL_JOB, EmailHandler, Error, Job, JobError, JobHandler, JobQueue, JobStatus, MailConfig,
    MailTransport, NewJob, Templates, Worker, WorkerConfig, admin, enqueue_email, entity::job,
    mailer_from_config,
};
use cinema_testkit::{ReservedPort, SmtpServer, TestDatabase};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};

const WAIT: Duration = Duration::from_secs(10);

fn fast_config() -> WorkerConfig {
    WorkerConfig {
        poll_interval: Duration::from_millis(20),
        lease: Duration::from_secs(5),
        max_attempts: 5,
        backoff_base: Duration::from_millis(50),
        backoff_cap: Duration::from_millis(200),
        ..WorkerConfig::default()
    }
}

fn smtp_worker(db: &DatabaseConnection, smtp_url: &str, config: WorkerConfig) -> Worker {
    let mailer = mailer_from_config(&MailConfig {
        from: "Cinema <no-reply@cinema.test>".into(),
        transport: MailTransport::Smtp {
            url: smtp_url.to_owned().into(),
            timeout: Duration::from_secs(2),
        },
    })
    .unwrap();
    Worker::new(db.clone(), config).handle(EMAIL_JOB, EmailHandler::new(mailer, "cinema.test"))
}

fn templates() -> Templates {
    Templates::new("Cinema").unwrap()
}

fn activation(to: &str) -> Activation {
    Activation {
        email: to.to_owned(),
        link: format!("https://app.example.com/activate?token=tok-{to}"),
        valid_hours: 24,
    }
}

async fn job(db: &DatabaseConnection, id: JobId) -> Job {
    admin::get(db, id).await.unwrap()
}

/// Runs the worker until `job_id` leaves `pending`/`running`.
async fn drive_until_finished(worker: &Worker, db: &DatabaseConnection, job_id: JobId) -> Job {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        worker.run_once().await.unwrap();
        let j = job(db, job_id).await;
        if j.status == "done" || j.status == "dead" {
            return j;
        }
        assert!(tokio::time::Instant::now() < deadline, "job stuck: {j:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_committed_email_arrives_with_both_parts_and_escaped_values() {
    let database = TestDatabase::create().await;
    let db = database.connect().await;
    let smtp = SmtpServer::start().await;

    let txn = cinema_kernel::db::begin_write(&db).await.unwrap();
    let id = enqueue_email(
        &txn,
        &Clock::system(),
        &templates(),
        "ann@example.com",
        &AccountActivated {
            email: "<b onclick=x>ann</b>".into(),
            login_link: "https://app.example.com/login".into(),
        },
    )
    .await
    .unwrap();
    txn.commit().await.unwrap();

    let worker = smtp_worker(&db, &smtp.url(), fast_config());
    assert!(worker.run_once().await.unwrap());
    assert_eq!(job(&db, id).await.status, "done");

    let messages = smtp.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].to, vec!["ann@example.com".to_owned()]);
    let parsed = mail_parser::MessageParser::default()
        .parse(messages[0].data.as_bytes())
        .unwrap();
    assert_eq!(parsed.subject(), Some("Your account is active — Cinema"));
    assert_eq!(
        parsed.message_id(),
        Some(format!("job-{id}@cinema.test").as_str())
    );
    let html = parsed.body_html(0).unwrap();
    let text = parsed.body_text(0).unwrap();
    assert!(html.contains("&lt;b onclick=x&gt;ann&lt;/b&gt;"), "{html}");
    assert!(!html.contains("<b onclick"), "{html}");
    assert!(
        text.contains("<b onclick=x>ann</b>"),
        "plain text is not HTML-escaped: {text}"
    );
    assert!(text.contains("https://app.example.com/login"));
}

#[tokio::test]
async fn a_job_whose_transaction_rolls_back_never_exists_and_is_never_sent() {
    let database = TestDatabase::create().await;
    let db = database.connect().await;
    let smtp = SmtpServer::start().await;

    let txn = cinema_kernel::db::begin_write(&db).await.unwrap();
    enqueue_email(
        &txn,
        &Clock::system(),
        &templates(),
        "bob@example.com",
        &activation("bob@example.com"),
    )
    .await
    .unwrap();
    txn.rollback().await.unwrap();

    let worker = smtp_worker(&db, &smtp.url(), fast_config());
    assert!(!worker.run_once().await.unwrap(), "nothing to claim");
    assert_eq!(job::Entity::find().count(&db).await.unwrap(), 0);
    // No job exists, so no worker can ever send it: nothing to wait for.
    assert!(smtp.messages().is_empty());
}

#[tokio::test]
async fn with_the_smtp_server_down_the_job_is_retried_and_delivered_once_it_is_back() {
    let database = TestDatabase::create().await;
    let db = database.connect().await;
    let port = ReservedPort::new();
    let worker = smtp_worker(&db, &format!("smtp://{}", port.addr()), fast_config());

    let id = enqueue_email(
        &db,
        &Clock::system(),
        &templates(),
        "cy@example.com",
        &activation("cy@example.com"),
    )
    .await
    .unwrap();
    assert!(worker.run_once().await.unwrap());
    let failed = job(&db, id).await;
    assert_eq!(failed.status, "pending", "{failed:?}");
    assert_eq!(failed.attempts, 1);
    assert!(failed.last_error.is_some());
    assert!(
        failed.run_at > failed.updated_at - 1,
        "retry is scheduled in the future"
    );

    let smtp = SmtpServer::start_on(port);
    let done = drive_until_finished(&worker, &db, id).await;
    assert_eq!(done.status, "done");
    assert_eq!(smtp.messages().len(), 1);
    assert_eq!(smtp.messages()[0].to, vec!["cy@example.com".to_owned()]);
}

#[tokio::test]
async fn a_job_that_keeps_failing_is_parked_dead_and_an_admin_can_retry_it() {
    let database = TestDatabase::create().await;
    let db = database.connect().await;
    let port = ReservedPort::new();
    let config = WorkerConfig {
        max_attempts: 2,
        ..fast_config()
    };
    let worker = smtp_worker(&db, &format!("smtp://{}", port.addr()), config);
    // A notice without a secret: a dead one keeps its text and can be sent again.
    let id = enqueue_email(
        &db,
        &Clock::system(),
        &templates(),
        "di@example.com",
        &AccountActivated {
            email: "di@example.com".into(),
            login_link: "https://app.example.com/login".into(),
        },
    )
    .await
    .unwrap();

    let dead = drive_until_finished(&worker, &db, id).await;
    assert_eq!(dead.status, "dead");
    assert_eq!(dead.attempts, 2);
    let listed = admin::list(&db, Some(JobStatus::Dead), PageRequest::default())
        .await
        .unwrap();
    assert_eq!(listed.total, 1);
    assert_eq!(JobId(listed.items[0].id), id);

    let retried = admin::retry(&db, &Clock::system(), &Default::default(), id)
        .await
        .unwrap();
    assert_eq!((retried.status.as_str(), retried.attempts), ("pending", 0));
    let again = admin::retry(&db, &Clock::system(), &Default::default(), id)
        .await
        .unwrap_err();
    assert!(matches!(again, Error::NotDead { .. }), "{again}");
    assert!(matches!(
        admin::retry(&db, &Clock::system(), &Default::default(), JobId(999_999)).await,
        Err(Error::JobNotFound(_))
    ));

    let smtp = SmtpServer::start_on(port);
    assert_eq!(drive_until_finished(&worker, &db, id).await.status, "done");
    assert_eq!(smtp.messages().len(), 1);
}

#[tokio::test]
async fn a_permanent_failure_parks_the_job_at_once() {
    let database = TestDatabase::create().await;
    let db = database.connect().await;
    let smtp = SmtpServer::start().await;
    let worker = smtp_worker(&db, &smtp.url(), fast_config());
    let id = enqueue_email(
        &db,
        &Clock::system(),
        &templates(),
        "not an address",
        &activation("x"),
    )
    .await
    .unwrap();
    let dead = drive_until_finished(&worker, &db, id).await;
    assert_eq!((dead.status.as_str(), dead.attempts), ("dead", 1));
    assert!(dead.last_error.unwrap().contains("recipient"));
    assert!(smtp.messages().is_empty());
}

#[tokio::test]
async fn two_workers_deliver_each_job_exactly_once() {
    let database = TestDatabase::create().await;
    // Two pools, as two processes would have.
    let (db_a, db_b) = (database.connect().await, database.connect().await);
    let smtp = SmtpServer::start().await;
    const N: usize = 40;
    for i in 0..N {
        let to = format!("user{i}@example.com");
        enqueue_email(&db_a, &Clock::system(), &templates(), &to, &activation(&to))
            .await
            .unwrap();
    }
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let a = tokio::spawn(smtp_worker(&db_a, &smtp.url(), fast_config()).run(shutdown.clone()));
    let b = tokio::spawn(smtp_worker(&db_b, &smtp.url(), fast_config()).run(shutdown));
    smtp.wait_for(N, WAIT).await;
    // Once every job is recorded done, no worker can send anything again.
    let deadline = tokio::time::Instant::now() + WAIT;
    while job::Entity::find()
        .filter(job::Column::Status.ne("done"))
        .count(&db_a)
        .await
        .unwrap()
        > 0
    {
        assert!(tokio::time::Instant::now() < deadline, "jobs still open");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.send(true).unwrap();
    a.await.unwrap();
    b.await.unwrap();

    let messages = smtp.messages();
    assert_eq!(messages.len(), N, "no duplicates");
    let mut recipients: Vec<_> = messages.iter().map(|m| m.to[0].clone()).collect();
    recipients.sort();
    recipients.dedup();
    assert_eq!(recipients.len(), N);
    let emails_done = job::Entity::find()
        .filter(job::Column::Kind.eq(EMAIL_JOB))
        .filter(job::Column::Status.eq("done"))
        .count(&db_a)
        .await
        .unwrap();
    assert_eq!(emails_done as usize, N);
    let scheduled = job::Entity::find()
        .filter(job::Column::Kind.eq("purge_done_jobs"))
        .count(&db_a)
        .await
        .unwrap();
    assert_eq!(scheduled, 1, "both workers inserted this hour's purge once");
}

/// Counts runs; optionally never finishes (a worker stuck or killed mid-job).
#[derive(Debug, Clone, Default)]
struct Probe {
    runs: Arc<AtomicUsize>,
    hang: bool,
    takes: Duration,
}

#[async_trait::async_trait]
impl JobHandler for Probe {
    async fn handle(&self, _job: &Job) -> Result<(), JobError> {
        self.runs.fetch_add(1, Ordering::SeqCst);
        if self.hang {
            std::future::pending::<()>().await;
        }
        tokio::time::sleep(self.takes).await;
        Ok(())
    }
}

#[tokio::test]
async fn a_job_held_by_a_worker_killed_mid_job_is_taken_again_after_its_lease() {
    let database = TestDatabase::create().await;
    let db = database.connect().await;
    let config = WorkerConfig {
        lease: Duration::from_millis(600),
        ..fast_config()
    };
    let stuck = Probe {
        hang: true,
        ..Probe::default()
    };
    let healthy = Probe::default();
    let id = db
        .enqueue(Clock::system().now_ms(), NewJob::new("probe", &()).unwrap())
        .await
        .unwrap()
        .unwrap();

    let doomed = Worker::new(db.clone(), config.clone()).handle("probe", stuck.clone());
    let killed = tokio::spawn(async move { doomed.run_once().await });
    let deadline = tokio::time::Instant::now() + WAIT;
    while stuck.runs.load(Ordering::SeqCst) == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the job never started"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    killed.abort(); // the worker dies mid-job: no bookkeeping, no more heartbeats
    assert_eq!(job(&db, JobId(id)).await.status, "running");

    let rescuer = Worker::new(db.clone(), config).handle("probe", healthy.clone());
    assert!(
        !rescuer.run_once().await.unwrap(),
        "the lease still protects the job"
    );
    let done = drive_until_finished(&rescuer, &db, JobId(id)).await;
    assert_eq!(done.status, "done");
    assert_eq!(done.attempts, 2);
    assert_eq!(healthy.runs.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_long_job_keeps_its_lease_while_it_runs() {
    let database = TestDatabase::create().await;
    let db = database.connect().await;
    let config = WorkerConfig {
        lease: Duration::from_millis(300),
        ..fast_config()
    };
    let slow = Probe {
        takes: Duration::from_millis(1200),
        ..Probe::default()
    };
    let id = db
        .enqueue(Clock::system().now_ms(), NewJob::new("probe", &()).unwrap())
        .await
        .unwrap()
        .unwrap();
    let first = Worker::new(db.clone(), config.clone()).handle("probe", slow.clone());
    let second = Worker::new(db.clone(), config).handle("probe", slow.clone());
    let running = tokio::spawn(async move { first.run_once().await });
    // While the first runs (four leases long), the second keeps finding nothing to take.
    for _ in 0..8 {
        tokio::time::sleep(Duration::from_millis(120)).await;
        assert!(!second.run_once().await.unwrap());
    }
    assert!(running.await.unwrap().unwrap());
    assert_eq!(job(&db, JobId(id)).await.status, "done");
    assert_eq!(slow.runs.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn scheduled_jobs_are_inserted_once_per_period_however_many_workers_run() {
    let database = TestDatabase::create().await;
    let db = database.connect().await;
    let workers: Vec<_> = (0..3)
        .map(|_| {
            Worker::new(db.clone(), fast_config())
                .handle("tick", Probe::default())
                .every("tick", Duration::from_secs(3600))
        })
        .collect();
    for _ in 0..2 {
        let runs = workers.iter().map(|w| w.enqueue_scheduled());
        for result in futures_join(runs).await {
            result.unwrap();
        }
    }
    let ticks = job::Entity::find()
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .filter(|j| j.kind == "tick")
        .count();
    assert_eq!(ticks, 1);
}

async fn futures_join<F: std::future::Future>(futures: impl Iterator<Item = F>) -> Vec<F::Output> {
    let handles: Vec<_> = futures.collect();
    let mut out = Vec::new();
    for f in handles {
        out.push(f.await);
    }
    out
}

#[tokio::test]
async fn without_smtp_each_message_is_written_as_an_eml_file() {
    let database = TestDatabase::create().await;
    let db = database.connect().await;
    let dir = tempfile::tempdir().unwrap();
    let mailer = mailer_from_config(&MailConfig {
        from: "Cinema <no-reply@cinema.test>".into(),
        transport: MailTransport::Files {
            dir: dir.path().join("mail"),
        },
    })
    .unwrap();
    let worker = Worker::new(db.clone(), fast_config())
        .handle(EMAIL_JOB, EmailHandler::new(mailer, "cinema.test"));
    let id = enqueue_email(
        &db,
        &Clock::system(),
        &templates(),
        "eve@example.com",
        &activation("eve@example.com"),
    )
    .await
    .unwrap();
    assert!(worker.run_once().await.unwrap());
    let path = dir
        .path()
        .join("mail")
        .join(format!("job-{id}@cinema.test.eml"));
    let eml = std::fs::read(&path).unwrap();
    let parsed = mail_parser::MessageParser::default().parse(&eml).unwrap();
    assert_eq!(parsed.subject(), Some("Activate your account — Cinema"));
    assert!(parsed.body_text(0).unwrap().contains("tok-eve@example.com"));
}
