//! One fresh database per test: a temporary SQLite file, or a new PostgreSQL database cloned
//! from a migrated template (`CREATE DATABASE … TEMPLATE`), so each test skips the migrations.
//! The template is made once per set of migrations, by whichever test process gets there
//! first: built under a name of its own, then renamed into place, so no test ever clones a
//! half-migrated one.

use cinema_kernel::db::{DatabaseConfig, connect};
use cinema_migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};

/// Set to a PostgreSQL server URL (any existing database on it) to run on PostgreSQL.
pub const POSTGRES_ENV: &str = "CINEMA_TEST_POSTGRES_URL";

#[derive(Debug)]
pub enum TestDatabase {
    Sqlite {
        url: String,
        _dir: tempfile::TempDir,
    },
    Postgres {
        url: String,
        admin_url: String,
        name: String,
    },
    /// Another test's database, shared by a second instance of the application; the owner
    /// drops it.
    Shared { url: String, postgres: bool },
}

impl TestDatabase {
    pub async fn create() -> Self {
        match std::env::var(POSTGRES_ENV) {
            Ok(admin_url) if !admin_url.is_empty() => Self::create_postgres(admin_url).await,
            _ => {
                let dir = tempfile::tempdir().expect("a temporary directory");
                let url = format!("sqlite://{}", dir.path().join("cinema.db").display());
                Self::Sqlite { url, _dir: dir }
            }
        }
    }

    /// [`TestDatabase::create`] without the migrations (PostgreSQL starts empty), for tests of
    /// the migrations themselves.
    pub async fn create_unmigrated() -> Self {
        match std::env::var(POSTGRES_ENV) {
            Ok(admin_url) if !admin_url.is_empty() => {
                Self::create_postgres_from(admin_url, None).await
            }
            _ => Self::create().await,
        }
    }

    /// An empty PostgreSQL database, or `None` (after saying why on stderr) when the suite runs
    /// on SQLite: for tests of what exists on PostgreSQL only.
    pub async fn postgres_unmigrated(what: &str) -> Option<Self> {
        match std::env::var(POSTGRES_ENV) {
            Ok(admin_url) if !admin_url.is_empty() => {
                Some(Self::create_postgres_from(admin_url, None).await)
            }
            _ => {
                eprintln!("{what} exists on PostgreSQL only; set {POSTGRES_ENV}");
                None
            }
        }
    }

    async fn create_postgres(admin_url: String) -> Self {
        let template = TEMPLATE
            .get_or_init(|| migrated_template(admin_url.clone()))
            .await
            .clone();
        Self::create_postgres_from(admin_url, Some(&template)).await
    }

    async fn create_postgres_from(admin_url: String, template: Option<&str>) -> Self {
        let name = format!("cinema_test_{}", uuid::Uuid::new_v4().simple());
        let admin = Database::connect(&admin_url)
            .await
            .unwrap_or_else(|e| panic!("cannot reach {POSTGRES_ENV}: {e}"));
        let from = template.map_or_else(String::new, |t| format!(" TEMPLATE \"{t}\""));
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\"{from}"))
            .await
            .expect("CREATE DATABASE");
        admin.close().await.ok();
        Self::Postgres {
            url: database_url(&admin_url, &name),
            admin_url,
            name,
        }
    }

    /// Opens a pool on this database the way the application does: migrations first, through
    /// a pool of their own (see `cinema_server::database::connect_migrated` for why), then the
    /// pool that is returned.
    pub async fn connect(&self) -> DatabaseConnection {
        let config = DatabaseConfig::new(self.url().parse().expect("a valid database URL"));
        let migrator = connect(&config).await.expect("the test database opens");
        Migrator::up(&migrator, None)
            .await
            .expect("migrations apply");
        migrator.close().await.expect("close");
        connect(&config).await.expect("the test database opens")
    }

    pub fn url(&self) -> &str {
        match self {
            Self::Sqlite { url, .. } | Self::Postgres { url, .. } | Self::Shared { url, .. } => url,
        }
    }

    /// A database created elsewhere; dropping this drops nothing.
    pub fn external(url: &str) -> Self {
        Self::Shared {
            url: url.to_owned(),
            postgres: url.starts_with("postgres"),
        }
    }

    /// The same database, for a second application instance; dropping it drops nothing.
    pub fn share(&self) -> Self {
        Self::Shared {
            url: self.url().to_owned(),
            postgres: self.is_postgres(),
        }
    }

    /// Drops a PostgreSQL test database now, cutting the application off from it.
    pub async fn drop_now(&self) {
        if let Self::Postgres {
            admin_url, name, ..
        } = self
        {
            let admin = Database::connect(admin_url)
                .await
                .expect("admin connection");
            admin
                .execute_unprepared(&format!("DROP DATABASE \"{name}\" WITH (FORCE)"))
                .await
                .expect("DROP DATABASE");
            admin.close().await.ok();
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(
            self,
            Self::Postgres { .. } | Self::Shared { postgres: true, .. }
        )
    }
}

/// The migrated template of this process's tests, made (or found) once.
static TEMPLATE: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();

fn database_url(admin_url: &str, name: &str) -> String {
    let mut url = url::Url::parse(admin_url).expect("a valid PostgreSQL URL");
    url.set_path(&format!("/{name}"));
    url.to_string()
}

/// The name of a template database holding every migration, named after the migrations' source
/// text (`cinema_migration::DIGEST`) so a new one is made when any of them changes; built and
/// renamed into place if it is not there yet.
async fn migrated_template(admin_url: String) -> String {
    let name = format!("cinema_template_{}", cinema_migration::DIGEST);
    let admin = Database::connect(&admin_url)
        .await
        .unwrap_or_else(|e| panic!("cannot reach {POSTGRES_ENV}: {e}"));
    let exists = |db: &DatabaseConnection, name: &str| {
        let sql = format!("SELECT 1 AS one FROM pg_database WHERE datname = '{name}'");
        let db = db.clone();
        async move {
            db.query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DbBackend::Postgres,
                sql,
            ))
            .await
            .expect("pg_database")
            .is_some()
        }
    };
    if !exists(&admin, &name).await {
        let building = format!("{name}_b{}", uuid::Uuid::new_v4().simple());
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{building}\""))
            .await
            .expect("CREATE DATABASE (template)");
        let config = DatabaseConfig::new(
            database_url(&admin_url, &building)
                .parse()
                .expect("a valid database URL"),
        );
        let db = connect(&config).await.expect("the template opens");
        Migrator::up(&db, None).await.expect("migrations apply");
        db.close().await.expect("close");
        // Another process may have renamed its own into place meanwhile: then this one goes.
        let renamed = admin
            .execute_unprepared(&format!(
                "ALTER DATABASE \"{building}\" RENAME TO \"{name}\""
            ))
            .await;
        if renamed.is_err() {
            admin
                .execute_unprepared(&format!(
                    "DROP DATABASE IF EXISTS \"{building}\" WITH (FORCE)"
                ))
                .await
                .ok();
        }
    }
    admin.close().await.ok();
    name
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Self::Postgres {
            admin_url, name, ..
        } = self
        else {
            return;
        };
        let (admin_url, name) = (admin_url.clone(), name.clone());
        // Drop runs inside the test's runtime, which cannot be blocked on: use a thread.
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            rt.block_on(async {
                let admin = Database::connect(&admin_url).await?;
                admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .await?;
                admin.close().await
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("warning: could not drop test database");
        }
    }
}
