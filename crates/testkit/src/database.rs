//! One fresh database per test: a temporary SQLite file, or a new PostgreSQL database.

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

    async fn create_postgres(admin_url: String) -> Self {
        let name = format!("cinema_test_{}", uuid::Uuid::new_v4().simple());
        let admin = Database::connect(&admin_url)
            .await
            .unwrap_or_else(|e| panic!("cannot reach {POSTGRES_ENV}: {e}"));
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await
            .expect("CREATE DATABASE");
        admin.close().await.ok();
        let mut url = url::Url::parse(&admin_url).expect("a valid PostgreSQL URL");
        url.set_path(&format!("/{name}"));
        Self::Postgres {
            url: url.to_string(),
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
