//! The command line: `cinema [serve] | migrate … | openapi`.

use std::{io::Write, process::ExitCode};

use cinema_identity::{Email, Password, Role, users};
use cinema_migration::{Migrator, MigratorTrait};
use clap::{Parser, Subcommand};

use crate::{database, jobs, media, settings::Settings, shutdown, startup::Application, telemetry};

#[derive(Debug, Parser)]
#[command(
    name = "cinema",
    version,
    about = "The Cinema backend: HTTP API, worker and operator tools."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// With no command: serve, after loading the demo catalog and demo accounts into an empty
    /// database (`cargo run -- --demo`). Refused with `APP_ENV=production`.
    #[arg(long)]
    pub demo: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the HTTP API with an embedded job worker (the default).
    Serve {
        /// Do not run the embedded worker (run `cinema worker` separately).
        #[arg(long)]
        no_worker: bool,
        /// Load the demo catalog and demo accounts first when the catalog is empty (their
        /// passwords are printed once). Refused with `APP_ENV=production`.
        #[arg(long)]
        demo: bool,
    },
    /// Run a job worker alone: e-mails and scheduled jobs, no HTTP.
    Worker,
    /// Manage the database schema.
    Migrate {
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// Print the OpenAPI document as JSON.
    Openapi,
    /// Load the demo catalog and demo accounts (safe to run again), or with `--movies N` a
    /// large synthetic catalog for benchmarks.
    Seed {
        /// Generate this many synthetic movies instead of the demo catalog.
        #[arg(long)]
        movies: Option<u64>,
        /// Then sell this many items of the catalog over the last year (orders, payments,
        /// some refunded): data for the sales analytics benchmark. Once per database.
        #[arg(long)]
        sales: Option<u64>,
    },
    /// Health check for containers: exit 0 when `GET /health/ready` on HTTP_ADDR answers 200
    /// (with `--database`: when the database answers), 1 otherwise, within 3 s.
    Probe {
        /// Check only the database (for `cinema worker`, which serves no HTTP).
        #[arg(long)]
        database: bool,
    },
    /// Manage accounts from the command line.
    User {
        #[command(subcommand)]
        action: UserAction,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserAction {
    /// Create an account (for example the first admin). Refuses an e-mail that exists.
    Create {
        #[arg(long)]
        email: String,
        /// The password; must meet the password policy.
        #[arg(long, env = "CINEMA_USER_PASSWORD", hide_env_values = true)]
        password: String,
        /// USER, MODERATOR or ADMIN.
        #[arg(long, default_value = "USER", value_parser = clap::builder::ValueParser::new(parse_role))]
        role: Role,
        /// Create the account active (no activation e-mail is sent either way).
        #[arg(long)]
        active: bool,
    },
}

fn parse_role(s: &str) -> Result<Role, String> {
    s.parse()
}

#[derive(Debug, Subcommand)]
pub enum MigrateAction {
    /// Apply every pending migration.
    Up,
    /// Roll back the most recent migrations.
    Down {
        /// How many migrations to roll back.
        #[arg(long, default_value_t = 1)]
        steps: u32,
    },
    /// List applied and pending migrations.
    Status,
    /// Drop every table and apply all migrations again. Destroys all data.
    Fresh,
}

/// Exit code for configuration errors, matching clap's usage errors.
const CONFIG_ERROR: u8 = 2;

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if cli.demo && cli.command.is_some() {
        eprintln!(
            "cinema: --demo goes alone (`cinema --demo`) or after serve (`cinema serve --demo`)"
        );
        return ExitCode::from(CONFIG_ERROR);
    }
    if let Err(e) = dotenvy::dotenv()
        && !e.not_found()
    {
        eprintln!("cinema: cannot read .env: {e}");
        return ExitCode::from(CONFIG_ERROR);
    }
    if let Some(Command::Openapi) = cli.command {
        return print_openapi();
    }
    let settings = match Settings::from_env() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cinema: {e}");
            return ExitCode::from(CONFIG_ERROR);
        }
    };
    telemetry::init(&settings.log);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cinema: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        let command = cli.command.unwrap_or(Command::Serve {
            no_worker: false,
            demo: cli.demo,
        });
        match command {
            Command::Serve { no_worker, demo } => serve(&settings, !no_worker, demo).await,
            Command::Worker => worker(&settings).await,
            Command::Migrate { action } => migrate(&settings, action).await,
            Command::Openapi => Ok(()),
            Command::Probe { database } => probe(&settings, database).await,
            Command::Seed { movies, sales } => seed(&settings, movies, sales).await,
            Command::User {
                action:
                    UserAction::Create {
                        email,
                        password,
                        role,
                        active,
                    },
            } => create_user(&settings, &email, &password, role, active).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if let Some(refused) = e.downcast_ref::<Refused>() {
                eprintln!("cinema: {refused}");
                return ExitCode::from(refused.code);
            }
            tracing::error!(error = %e, "cinema stopped");
            eprintln!("cinema: {e}");
            ExitCode::FAILURE
        }
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// An operator command that refused to act, with its exit code.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
struct Refused {
    code: u8,
    message: String,
}

async fn seed(
    settings: &Settings,
    movies: Option<u64>,
    sales: Option<u64>,
) -> Result<(), BoxError> {
    let db = database::connect_migrated(&settings.database).await?;
    let mut out = match (movies, sales) {
        (Some(n), _) => {
            let started = std::time::Instant::now();
            let mut progress = crate::progress::Progress::new("movies", n);
            let seeded = crate::seed::synthetic(&db, &settings.clock, n, &mut progress).await?;
            progress.finish();
            seeded_line(&seeded, started)
        }
        // Sales alone go into the catalog that is there.
        (None, Some(_)) => String::new(),
        (None, None) => seed_demo(settings, &db).await?,
    };
    if let Some(n) = sales {
        let started = std::time::Instant::now();
        let mut progress = crate::progress::Progress::new("items sold", n);
        let sold = crate::seed::sales(&db, &settings.clock, n, &mut progress)
            .await
            .map_err(|e| -> BoxError {
                Box::new(Refused {
                    code: 1,
                    message: e.to_string(),
                })
            })?;
        progress.finish();
        out.push_str(&format!(
            "sold {} items in {} orders ({} refunded) to {} new buyers in {:.1}s\n",
            sold.items,
            sold.orders,
            sold.refunded,
            sold.buyers,
            started.elapsed().as_secs_f64()
        ));
    }
    std::io::stdout().write_all(out.as_bytes())?;
    Ok(())
}

fn seeded_line(seeded: &crate::seed::Seeded, started: std::time::Instant) -> String {
    format!(
        "seeded {} genres, {} certifications, {} directors, {} stars, {} movies in {:.1}s (existing rows kept)\n",
        seeded.genres,
        seeded.certifications,
        seeded.directors,
        seeded.stars,
        seeded.movies,
        started.elapsed().as_secs_f64()
    )
}

/// The demo catalog and one account per role; answers what to print (new passwords included,
/// shown this once).
async fn seed_demo(
    settings: &Settings,
    db: &sea_orm::DatabaseConnection,
) -> Result<String, BoxError> {
    let started = std::time::Instant::now();
    let seeded = crate::seed::demo(db, &settings.clock).await?;
    let mut out = seeded_line(&seeded, started);
    for role in [Role::Admin, Role::Moderator, Role::User] {
        let email = format!("{}@cinema.localhost", role.as_str().to_lowercase());
        let password = demo_password()?;
        let parsed = Email::parse(&email)?;
        let strong = Password::parse(&password, "password")?;
        match users::create(
            db,
            &settings.clock,
            &parsed,
            &strong,
            role,
            true,
            settings.identity.bcrypt_cost,
        )
        .await
        {
            Ok(_) => out.push_str(&format!(
                "{role:<9} {email}  password: {password}  (shown once)\n"
            )),
            Err(cinema_identity::Error::EmailTaken) => {
                out.push_str(&format!("{role:<9} {email}  exists; password unchanged\n"));
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(out)
}

/// A random password that meets the policy.
fn demo_password() -> Result<String, BoxError> {
    let mut bytes = [0u8; 12];
    getrandom::fill(&mut bytes).map_err(|e| e.to_string())?;
    let body: String = bytes
        .iter()
        .map(|b| {
            char::from(
                b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"[usize::from(*b) % 57],
            )
        })
        .collect();
    Ok(format!("Cx{body}7#"))
}

async fn create_user(
    settings: &Settings,
    email: &str,
    password: &str,
    role: Role,
    active: bool,
) -> Result<(), BoxError> {
    let invalid = |e: cinema_identity::Error| -> BoxError {
        use cinema_kernel::DomainError;
        let details: Vec<String> = e.field_errors().iter().map(ToString::to_string).collect();
        Box::new(Refused {
            code: CONFIG_ERROR,
            message: details.join("; "),
        })
    };
    let email = Email::parse(email).map_err(invalid)?;
    let password = Password::parse(password, "password").map_err(invalid)?;
    let db = database::connect_migrated(&settings.database).await?;
    match users::create(
        &db,
        &settings.clock,
        &email,
        &password,
        role,
        active,
        settings.identity.bcrypt_cost,
    )
    .await
    {
        Ok(user) => {
            let state = if user.is_active { "active" } else { "inactive" };
            let line = format!(
                "created user {} <{}> as {role}, {state}\n",
                user.id, user.email
            );
            std::io::stdout().write_all(line.as_bytes())?;
            Ok(())
        }
        Err(cinema_identity::Error::EmailTaken) => Err(Box::new(Refused {
            code: 1,
            message: format!("a user with the e-mail {email} already exists; nothing was changed"),
        })),
        Err(e) => Err(e.into()),
    }
}

async fn serve(settings: &Settings, with_worker: bool, demo: bool) -> Result<(), BoxError> {
    if demo {
        load_demo(settings).await?;
    }
    let app = Application::build(settings).await?;
    crate::first_run::log_hints(app.db()).await;
    let (stop_worker, worker_shutdown) = tokio::sync::watch::channel(false);
    let worker = if with_worker {
        let worker = jobs::worker(app.db().clone(), settings, app.media().clone())?;
        Some(tokio::spawn(worker.run(worker_shutdown)))
    } else {
        None
    };
    let handle = app.handle();
    let readiness = app.readiness().clone();
    let drain = settings.http.drain;
    tokio::spawn(async move {
        shutdown::signal().await;
        // Readiness first, so a balancer stops sending while requests are still served; then
        // the listener closes and in-flight requests and the current job finish.
        readiness.drain();
        tracing::info!(
            drain_ms = drain.as_millis(),
            "shutdown requested: readiness is red; still serving for the drain"
        );
        tokio::time::sleep(drain).await;
        tracing::info!("shutting down: finishing in-flight requests and the current job");
        let _ = stop_worker.send(true);
        handle.stop(true).await;
    });
    app.run_until_stopped().await?;
    if let Some(worker) = worker {
        worker.await?;
    }
    tracing::info!("stopped");
    Ok(())
}

async fn probe(settings: &Settings, database: bool) -> Result<(), BoxError> {
    let checked = if database {
        crate::probe::database(settings).await
    } else {
        crate::probe::http(settings)
    };
    checked.map_err(|message| -> BoxError { Box::new(Refused { code: 1, message }) })
}

/// `--demo`: the demo data, into an empty catalog only, never in production.
async fn load_demo(settings: &Settings) -> Result<(), BoxError> {
    if settings.production {
        return Err(Box::new(Refused {
            code: CONFIG_ERROR,
            message: "--demo creates accounts whose passwords are printed; APP_ENV=production \
                      refuses it (use `cinema user create` for real accounts)"
                .to_owned(),
        }));
    }
    let db = database::connect_migrated(&settings.database).await?;
    if crate::first_run::catalog_is_empty(&db).await? {
        let out = seed_demo(settings, &db).await?;
        std::io::stdout().write_all(out.as_bytes())?;
    } else {
        tracing::info!("--demo: the catalog already has movies, so nothing was loaded");
    }
    db.close().await?;
    Ok(())
}

async fn worker(settings: &Settings) -> Result<(), BoxError> {
    let db = database::connect_migrated(&settings.database).await?;
    let (stop, shutdown_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown::signal().await;
        tracing::info!("shutdown requested: finishing the current job");
        let _ = stop.send(true);
    });
    let media = media::media(settings, &media::listen_url(settings.http.addr)).await?;
    // A worker serves no API: its metrics (jobs, e-mails) only on an address of their own.
    let metrics = match settings.api.metrics {
        cinema_api::metrics::MetricsExposure::Separate(addr) => {
            match cinema_api::metrics::Metrics::new(db.clone(), settings.database.max_connections) {
                Some(metrics) => Some(crate::startup::MetricsServer::start(metrics, addr)?),
                None => None,
            }
        }
        _ => None,
    };
    jobs::worker(db, settings, media.media)?
        .run(shutdown_rx)
        .await;
    if let Some(metrics) = metrics {
        metrics.stop().await;
    }
    Ok(())
}

async fn migrate(settings: &Settings, action: MigrateAction) -> Result<(), BoxError> {
    // One connection, so a connection-level setting (below) applies to every statement.
    let db = cinema_kernel::db::connect(&cinema_kernel::db::DatabaseConfig {
        max_connections: 1,
        ..settings.database.clone()
    })
    .await?;
    match action {
        MigrateAction::Up => {
            // The advisory lock needs a second connection (see `database::migrate_up`).
            let pool = cinema_kernel::db::connect(&settings.database).await?;
            database::migrate_up(&pool).await?;
        }
        MigrateAction::Down { steps } => Migrator::down(&db, Some(steps)).await?,
        MigrateAction::Fresh => database::fresh(&db).await?,
        MigrateAction::Status => {
            let mut out = String::new();
            for m in Migrator::get_applied_migrations(&db).await? {
                out.push_str(&format!("applied  {}\n", m.name()));
            }
            for m in Migrator::get_pending_migrations(&db).await? {
                out.push_str(&format!("pending  {}\n", m.name()));
            }
            if out.is_empty() {
                out.push_str("no migrations\n");
            }
            std::io::stdout().write_all(out.as_bytes())?;
        }
    }
    Ok(())
}

fn print_openapi() -> ExitCode {
    let doc = cinema_api::openapi();
    let written = doc
        .to_pretty_json()
        .map_err(|e| e.to_string())
        .and_then(|json| {
            let mut out = std::io::stdout().lock();
            writeln!(out, "{json}").map_err(|e| e.to_string())
        });
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cinema: cannot print the OpenAPI document: {e}");
            ExitCode::FAILURE
        }
    }
}
