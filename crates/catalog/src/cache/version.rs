//! The catalog version: one counter, bumped in the transaction of every write that changes a
//! public catalog answer, and announced to every instance when that transaction commits.
//!
//! On PostgreSQL the bump and a `pg_notify` on [`CHANNEL`] are one statement: the row lock
//! orders versions by commit, and PostgreSQL delivers a notification only if (and when) its
//! transaction commits, in commit order. The payload names what changed ([`Change`]), so the
//! instances that hear it drop exactly the answers it touched. SQLite only bumps the counter;
//! other processes on the same file see it move (see [`super::watch`]).
//!
//! The bump answers the version it made, as a [`Pending`] change: the writing process applies
//! it to its own cache once the transaction has committed.

use sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::Result;

/// The `LISTEN`/`NOTIFY` channel of catalog changes.
pub const CHANNEL: &str = "cinema_catalog";

/// What a write changed, as far as cached answers are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Movies, their links, posters or the taxonomy: any answer may differ.
    Catalog,
    /// One movie's reactions or comments: only its detail shows them.
    Movie(i64),
    /// One movie's ratings: its detail and every list (lists show ratings, and sort by them).
    Rating(i64),
}

impl Change {
    fn payload(self) -> String {
        match self {
            Self::Catalog => "catalog".to_owned(),
            Self::Movie(id) => format!("movie {id}"),
            Self::Rating(id) => format!("rating {id}"),
        }
    }

    /// Reads a notification payload (`"{version} {change}"`); `None` for anything else.
    pub fn parse(payload: &str) -> Option<(i64, Self)> {
        let mut words = payload.split(' ');
        let version = words.next()?.parse().ok()?;
        let change = match (words.next()?, words.next()) {
            ("catalog", None) => Self::Catalog,
            ("movie", Some(id)) => Self::Movie(id.parse().ok()?),
            ("rating", Some(id)) => Self::Rating(id.parse().ok()?),
            _ => return None,
        };
        Some((version, change))
    }
}

/// A change this process is committing: apply it to this process's cache after the commit
/// ([`super::CatalogCache::apply`]), or say that this process caches nothing
/// ([`Pending::announced`]). Applying a change whose transaction rolled back costs only a miss.
#[must_use = "apply it after the commit (CatalogCache::apply), or Pending::announced when this process caches nothing"]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pending {
    pub(super) version: i64,
    pub(super) change: Change,
}

impl Pending {
    #[cfg(test)]
    pub(super) fn new(version: i64, change: Change) -> Self {
        Self { version, change }
    }

    /// What changed.
    pub fn change(&self) -> Change {
        self.change
    }

    /// The catalog version the change commits.
    pub fn version(&self) -> i64 {
        self.version
    }

    /// For a process without a cache of its own (the CLI, a batch job): other processes learn
    /// of the change from the database.
    pub fn announced(self) {}
}

/// Bumps the catalog version inside the caller's transaction (and, on PostgreSQL, queues the
/// notification its commit sends). Call it last before the commit: the version row is locked
/// from here to the commit, so every write that bumps is ordered by it.
pub async fn bump<C: ConnectionTrait>(txn: &C, change: Change) -> Result<Pending> {
    let backend = txn.get_database_backend();
    // The same statement stamps this transaction's entries of the search change log with the
    // version (see `cinema_catalog::search`).
    let statement = match backend {
        DbBackend::Postgres => Statement::from_sql_and_values(
            backend,
            "WITH v AS (UPDATE catalog_version SET version = version + 1 WHERE id = 1 RETURNING version), \
             s AS (UPDATE search_changes SET version = (SELECT version FROM v) WHERE version IS NULL) \
             SELECT v.version, pg_notify($1, v.version::text || ' ' || $2) FROM v",
            [CHANNEL.into(), change.payload().into()],
        ),
        _ => Statement::from_string(
            backend,
            "UPDATE catalog_version SET version = version + 1 WHERE id = 1 RETURNING version",
        ),
    };
    let row = txn.query_one_raw(statement).await?;
    let version = match row {
        Some(row) => row.try_get_by_index(0)?,
        None => 0,
    };
    if backend != DbBackend::Postgres {
        txn.execute_raw(Statement::from_sql_and_values(
            backend,
            "UPDATE search_changes SET version = ? WHERE version IS NULL",
            [version.into()],
        ))
        .await?;
    }
    Ok(Pending { version, change })
}

/// The committed catalog version.
pub async fn current<C: ConnectionTrait>(db: &C) -> Result<i64> {
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT version FROM catalog_version WHERE id = 1",
        ))
        .await?;
    Ok(match row {
        Some(row) => row.try_get_by_index(0)?,
        None => 0,
    })
}

#[cfg(test)]
mod tests {
    use super::Change;

    #[test]
    fn payloads_read_back() {
        for change in [Change::Catalog, Change::Movie(7), Change::Rating(42)] {
            let payload = format!("12 {}", change.payload());
            assert_eq!(Change::parse(&payload), Some((12, change)));
        }
        for bad in [
            "",
            "x catalog",
            "3",
            "3 movie",
            "3 movie x",
            "3 catalog 1",
            "3 other 1",
        ] {
            assert_eq!(Change::parse(bad), None, "{bad}");
        }
    }
}
