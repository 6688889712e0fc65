//! What the index reads from the database: movies' searchable text in chunks of ids, and the
//! movies whose text changed since a catalog version (the `search_changes` log, filled by
//! triggers and stamped with the version by the bump that commits it; see the migration).

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};

use super::Doc;
use crate::Result;

/// Movies read per statement when the whole catalog is read.
pub(super) const CHUNK: usize = 2_000;

/// The catalog version now, the newest version whose changes the log no longer holds, and
/// the movies changed after `since` up to that version — in one statement, so one snapshot.
pub(super) async fn changes_since<C: ConnectionTrait>(
    db: &C,
    since: i64,
) -> Result<(i64, i64, Vec<i64>)> {
    let backend = db.get_database_backend();
    let p = |i: usize| placeholder(backend, i);
    let sql = format!(
        "SELECT v.version, \
         (SELECT value FROM catalog_counts WHERE name = 'search_changes_pruned') AS pruned, \
         c.movie_id FROM catalog_version v \
         LEFT JOIN search_changes c ON c.version > {} AND c.version <= v.version \
         WHERE v.id = 1",
        p(1)
    );
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [Value::from(since)],
        ))
        .await?;
    let mut version = 0;
    let mut pruned = 0;
    let mut ids = Vec::new();
    for row in rows {
        version = row.try_get_by_index(0)?;
        pruned = row.try_get_by_index::<Option<i64>>(1)?.unwrap_or(0);
        if let Some(id) = row.try_get_by_index::<Option<i64>>(2)? {
            ids.push(id);
        }
    }
    ids.sort_unstable();
    ids.dedup();
    Ok((version, pruned, ids))
}

/// Forgets the changes of versions up to `through` (an index behind it rebuilds whole).
pub(super) async fn prune<C: ConnectionTrait>(db: &C, through: i64) -> Result<()> {
    let backend = db.get_database_backend();
    let p = |i: usize| placeholder(backend, i);
    let statements: [(String, Vec<Value>); 2] = [
        (
            format!("DELETE FROM search_changes WHERE version <= {}", p(1)),
            vec![through.into()],
        ),
        (
            format!(
                "UPDATE catalog_counts SET value = {} WHERE name = 'search_changes_pruned' \
                 AND value < {}",
                p(1),
                p(2)
            ),
            vec![through.into(), through.into()],
        ),
    ];
    for (sql, values) in statements {
        db.execute_raw(Statement::from_sql_and_values(backend, sql, values))
            .await?;
    }
    Ok(())
}

/// The next movies after id `after`, at most [`CHUNK`], by id.
pub(super) async fn chunk_after<C: ConnectionTrait>(db: &C, after: i64) -> Result<Vec<Doc>> {
    let backend = db.get_database_backend();
    let limit = i64::try_from(CHUNK).unwrap_or(i64::MAX);
    read(
        db,
        &format!(
            "m.id > {} ORDER BY m.id LIMIT {}",
            placeholder(backend, 1),
            placeholder(backend, 2)
        ),
        vec![after.into(), limit.into()],
    )
    .await
}

/// These movies (those that still exist), by id.
pub(super) async fn these<C: ConnectionTrait>(db: &C, ids: &[i64]) -> Result<Vec<Doc>> {
    let mut docs = Vec::new();
    for ids in ids.chunks(CHUNK) {
        let backend = db.get_database_backend();
        let list: Vec<String> = (1..=ids.len()).map(|i| placeholder(backend, i)).collect();
        let values = ids.iter().map(|id| Value::from(*id)).collect();
        let condition = format!("m.id IN ({}) ORDER BY m.id", list.join(", "));
        docs.extend(read(db, &condition, values).await?);
    }
    Ok(docs)
}

/// The movies `condition` selects (over `movies m`) with their genres: two statements.
async fn read<C: ConnectionTrait>(db: &C, condition: &str, values: Vec<Value>) -> Result<Vec<Doc>> {
    let backend = db.get_database_backend();
    let movies = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT m.id, m.votes, m.year, m.name, m.actors, m.directors, m.description \
                 FROM movies m WHERE {condition}"
            ),
            values,
        ))
        .await?;
    let mut docs = movies
        .iter()
        .map(|r| {
            Ok(Doc {
                id: r.try_get_by_index(0)?,
                votes: r.try_get_by_index(1)?,
                year: r.try_get_by_index(2)?,
                name: r.try_get_by_index(3)?,
                actors: r.try_get_by_index(4)?,
                directors: r.try_get_by_index(5)?,
                description: r.try_get_by_index(6)?,
                genres: Vec::new(),
            })
        })
        .collect::<std::result::Result<Vec<Doc>, sea_orm::DbErr>>()?;
    let (Some(first), Some(last)) = (docs.first(), docs.last()) else {
        return Ok(docs);
    };
    let genres = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT mg.movie_id, g.name FROM movie_genres mg JOIN genres g ON g.id = mg.genre_id \
                 WHERE mg.movie_id BETWEEN {} AND {} ORDER BY mg.movie_id, g.name",
                placeholder(backend, 1),
                placeholder(backend, 2)
            ),
            [Value::from(first.id), Value::from(last.id)],
        ))
        .await?;
    let slots: HashMap<i64, usize> = docs.iter().enumerate().map(|(i, d)| (d.id, i)).collect();
    for row in genres {
        let movie: i64 = row.try_get_by_index(0)?;
        if let Some(&slot) = slots.get(&movie) {
            docs[slot].genres.push(row.try_get_by_index(1)?);
        }
    }
    Ok(docs)
}

fn placeholder(backend: DbBackend, i: usize) -> String {
    match backend {
        DbBackend::Postgres => format!("${i}"),
        _ => "?".to_owned(),
    }
}
