//! Queue an e-mail and deliver it, as another Rust service would with `cinema-notify`: a fresh
//! SQLite database (migrated with `cinema-migration` first), an e-mail job queued (in real use,
//! inside the transaction of the change it reports), and a worker that claims and delivers it —
//! here to `.eml` files in a directory (the `MAIL_TRANSPORT=files` default); with SMTP the
//! worker is the same and only the transport changes.
//!
//! Run: `cargo run -p cinema-notify --example deliver`

#![expect(clippy::print_stdout, reason = "an example shows what it did")]

use std::{error::Error, time::Duration};

use cinema_identity::emails::Activation;
use cinema_kernel::{
    db::{DatabaseConfig, connect},
    time::Clock,
};
use cinema_migration::{Migrator, MigratorTrait};
use cinema_notify::{
    EMAIL_JOB, EmailHandler, MailConfig, MailTransport, Templates, Worker, WorkerConfig, admin,
    enqueue_email, mailer_from_config,
};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}", dir.path().join("cinema.db").display());
    let db = connect(&DatabaseConfig::new(url.parse()?)).await?;
    Migrator::up(&db, None).await?;
    let clock = Clock::system();

    let templates = Templates::new("Cinema")?;
    let activation = Activation {
        email: "ann@example.com".into(),
        link: "https://app.example.com/activate?token=example".into(),
        valid_hours: 24,
    };
    let job = enqueue_email(&db, &clock, &templates, "ann@example.com", &activation).await?;
    println!("queued job {job}");

    let outbox = dir.path().join("outbox");
    let mailer = mailer_from_config(&MailConfig {
        from: "Cinema <no-reply@cinema.example>".into(),
        transport: MailTransport::Files {
            dir: outbox.clone(),
        },
    })?;
    let worker = Worker::new(
        db.clone(),
        WorkerConfig {
            poll_interval: Duration::from_millis(50),
            ..WorkerConfig::default()
        },
    )
    .handle(EMAIL_JOB, EmailHandler::new(mailer, "cinema.example"));
    // `run` loops until shutdown; one step is enough here.
    assert!(worker.run_once().await?, "the job was claimed and run");

    let done = admin::get(&db, job).await?;
    println!("job {} is {}", done.id, done.status);
    for file in std::fs::read_dir(&outbox)? {
        let path = file?.path();
        let text = std::fs::read_to_string(&path)?;
        let subject = text
            .lines()
            .find(|l| l.starts_with("Subject:"))
            .unwrap_or("");
        println!("delivered {}: {subject}", path.display());
    }
    Ok(())
}
