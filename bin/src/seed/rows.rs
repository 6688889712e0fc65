//! Writing seed rows: names, movies with their links (a transaction per thousand, or one bulk
//! transaction with secondary indexes rebuilt at the end for a first PostgreSQL load), and the
//! `VACUUM (ANALYZE)` that readies them for reads.

use cinema_catalog::movies::search_terms;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, FromQueryResult,
    Statement,
    sea_query::{Alias, Expr, OnConflict, Query, SimpleExpr},
};

use super::Result;

/// Inserts names that do not exist yet; returns how many were new.
pub(super) async fn insert_names<C: ConnectionTrait>(
    db: &C,
    table: &str,
    names: &[String],
) -> Result<u64> {
    let mut inserted = 0;
    for chunk in names.chunks(2000) {
        let mut insert = Query::insert();
        insert
            .into_table(Alias::new(table))
            .columns([Alias::new("name"), Alias::new("name_key")])
            .on_conflict(
                OnConflict::column(Alias::new("name_key"))
                    .do_nothing()
                    .to_owned(),
            );
        for name in chunk {
            insert.values_panic([name.clone().into(), name.to_lowercase().into()]);
        }
        inserted += db
            .execute_raw(db.get_database_backend().build(&insert))
            .await?
            .rows_affected();
    }
    Ok(inserted)
}

#[derive(Debug, FromQueryResult)]
struct IdName {
    id: i64,
    name_key: String,
}

/// Ids of the names, in the order given.
pub(super) async fn ids_of<C: ConnectionTrait>(
    db: &C,
    table: &str,
    names: &[String],
) -> Result<Vec<i64>> {
    let backend = db.get_database_backend();
    let rows = IdName::find_by_statement(Statement::from_string(
        backend,
        format!("SELECT id, name_key FROM {table}"),
    ))
    .all(db)
    .await?;
    let by_key: std::collections::HashMap<String, i64> =
        rows.into_iter().map(|r| (r.name_key, r.id)).collect();
    Ok(names
        .iter()
        .filter_map(|n| by_key.get(&n.to_lowercase()).copied())
        .collect())
}

/// One movie row to insert, with its links by id.
#[derive(Debug, Clone)]
pub(super) struct NewMovie {
    pub(super) uuid: String,
    pub(super) name: String,
    pub(super) year: i32,
    pub(super) time: i32,
    pub(super) imdb_tenths: i32,
    pub(super) votes: i64,
    pub(super) meta_score: Option<i32>,
    pub(super) gross_cents: Option<i64>,
    pub(super) description: String,
    pub(super) price_cents: i64,
    pub(super) certification_id: i64,
    pub(super) genre_ids: Vec<i64>,
    pub(super) director_ids: Vec<i64>,
    pub(super) star_ids: Vec<i64>,
    pub(super) directors: String,
    pub(super) actors: String,
}

/// Inserts movies whose identity is new, with their links, a transaction per thousand.
/// Returns how many.
pub(super) async fn insert_movies(
    db: &DatabaseConnection,
    now: i64,
    movies: &[NewMovie],
) -> Result<u64> {
    let mut inserted = 0;
    for chunk in movies.chunks(1000) {
        let txn = cinema_kernel::db::begin_write(db).await?;
        inserted += insert_chunk(&txn, now, chunk).await?;
        txn.commit().await?;
    }
    Ok(inserted)
}

/// Inserts these movies (whose identity is new) and their links in one statement per table.
async fn insert_chunk<C: ConnectionTrait>(txn: &C, now: i64, chunk: &[NewMovie]) -> Result<u64> {
    let backend = txn.get_database_backend();
    let mut insert = Query::insert();
    // PostgreSQL's search index is written with the row (see `movies::search`).
    let postgres = backend == DbBackend::Postgres;
    let mut columns = vec![
        "uuid",
        "name",
        "year",
        "time",
        "imdb_tenths",
        "votes",
        "meta_score",
        "gross_cents",
        "description",
        "price_cents",
        "certification_id",
        "directors",
        "actors",
        "created_at",
        "updated_at",
    ];
    if postgres {
        columns.push("search_terms");
    }
    insert
        .into_table(Alias::new("movies"))
        .columns(columns.into_iter().map(Alias::new))
        // Any clash (identity or uuid) means the movie is there already.
        .on_conflict(OnConflict::new().do_nothing().to_owned())
        .returning(Query::returning().columns(["id", "uuid"].map(Alias::new)));
    for m in chunk {
        let mut values: Vec<SimpleExpr> = vec![
            m.uuid.clone().into(),
            m.name.clone().into(),
            m.year.into(),
            m.time.into(),
            m.imdb_tenths.into(),
            m.votes.into(),
            m.meta_score.into(),
            m.gross_cents.into(),
            m.description.clone().into(),
            m.price_cents.into(),
            m.certification_id.into(),
            m.directors.clone().into(),
            m.actors.clone().into(),
            now.into(),
            now.into(),
        ];
        if postgres {
            let terms = search_terms(&m.name, &m.actors, &m.directors, &m.description);
            values.push(Expr::cust_with_values("$1::tsvector", [terms]));
        }
        insert.values_panic(values);
    }
    #[derive(Debug, FromQueryResult)]
    struct Created {
        id: i64,
        uuid: String,
    }
    let created = Created::find_by_statement(backend.build(&insert))
        .all(txn)
        .await?;
    let ids: std::collections::HashMap<String, i64> =
        created.into_iter().map(|c| (c.uuid, c.id)).collect();
    for (table, column, pick) in [
        ("movie_genres", "genre_id", 0usize),
        ("movie_directors", "director_id", 1),
        ("movie_stars", "star_id", 2),
    ] {
        let mut links = Query::insert();
        links
            .into_table(Alias::new(table))
            .columns([Alias::new("movie_id"), Alias::new(column)]);
        let mut any = false;
        for m in chunk {
            let Some(&movie_id) = ids.get(&m.uuid) else {
                continue;
            };
            let others = match pick {
                0 => &m.genre_ids,
                1 => &m.director_ids,
                _ => &m.star_ids,
            };
            for &other in others {
                links.values_panic([movie_id.into(), other.into()]);
                any = true;
            }
        }
        if any {
            txn.execute_raw(backend.build(&links)).await?;
        }
    }
    Ok(ids.len() as u64)
}

/// Statistics for the planner, and the visibility map that lets counts and link joins run as
/// index-only scans (without it every filtered count reads the movies' heap), once a load is
/// done. One statement per call: VACUUM refuses to run inside the implicit transaction of a
/// multi-statement query. Autovacuum would get there too, but may be off or slow.
pub(super) async fn vacuum(db: &DatabaseConnection) -> Result<()> {
    if db.get_database_backend() == DbBackend::Postgres {
        for table in MOVIE_TABLES
            .iter()
            .chain(&["movie_phrases", "search_changes"])
        {
            db.execute_unprepared(&format!("VACUUM (ANALYZE) {table}"))
                .await?;
        }
    }
    Ok(())
}

const MOVIE_TABLES: [&str; 4] = ["movies", "movie_genres", "movie_directors", "movie_stars"];

/// The setting that tells the `movie_phrases` insert trigger its transaction adds the new
/// movies' phrase terms itself, before it commits (see the `movie_phrases` migration).
const PHRASES_LATER: &str = "cinema.phrases_later";

/// Where synthetic movies go: a transaction per thousand, or — for a first load into empty
/// movie tables on PostgreSQL — one transaction with the tables' secondary indexes dropped
/// and rebuilt at the end. Building an index once costs a fraction of maintaining it row by
/// row (100k movies: 10 s of 70 here), and a failed load takes the drops back with it.
pub(super) enum Loader {
    Chunked,
    Bulk {
        txn: DatabaseTransaction,
        indexes: Vec<String>,
    },
}

impl Loader {
    pub(super) async fn start(db: &DatabaseConnection) -> Result<Self> {
        if db.get_database_backend() != DbBackend::Postgres {
            return Ok(Self::Chunked);
        }
        let txn = cinema_kernel::db::begin_write(db).await?;
        // Dropping an index locks its table; take the lock first so that emptiness holds.
        txn.execute_unprepared("LOCK TABLE movies IN SHARE ROW EXCLUSIVE MODE")
            .await?;
        let sql = |s: &str| Statement::from_string(DbBackend::Postgres, s.to_owned());
        let empty = txn
            .query_one_raw(sql("SELECT NOT EXISTS (SELECT 1 FROM movies) AS empty"))
            .await?
            .map(|r| r.try_get::<bool>("", "empty"))
            .transpose()?
            .unwrap_or(false);
        if !empty {
            txn.rollback().await?;
            return Ok(Self::Chunked);
        }
        let tables = MOVIE_TABLES.map(|t| format!("'{t}'")).join(", ");
        let rows = txn
            .query_all_raw(sql(&format!(
                "SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS def \
                 FROM pg_index i WHERE i.indrelid = ANY (ARRAY[{tables}]::regclass[]) \
                 AND NOT i.indisunique AND NOT i.indisprimary"
            )))
            .await?;
        let mut indexes = Vec::new();
        for row in rows {
            let name: String = row.try_get("", "name")?;
            txn.execute_unprepared(&format!("DROP INDEX {name}"))
                .await?;
            indexes.push(row.try_get("", "def")?);
        }
        // `movie_phrases` too is built once, at the end, rather than grown by every statement
        // (each would rewrite the arrays of most phrase terms: 175 s instead of 45 for 100k).
        txn.execute_unprepared(&format!("SET LOCAL {PHRASES_LATER} = 'on'"))
            .await?;
        Ok(Self::Bulk { txn, indexes })
    }

    pub(super) async fn load(
        &self,
        db: &DatabaseConnection,
        now: i64,
        movies: &[NewMovie],
    ) -> Result<u64> {
        match self {
            Self::Chunked => insert_movies(db, now, movies).await,
            Self::Bulk { txn, .. } => {
                let mut inserted = 0;
                for chunk in movies.chunks(1000) {
                    inserted += insert_chunk(txn, now, chunk).await?;
                }
                Ok(inserted)
            }
        }
    }

    pub(super) async fn finish(self) -> Result<()> {
        if let Self::Bulk { txn, indexes } = self {
            txn.execute_unprepared("SET LOCAL maintenance_work_mem = '256MB'")
                .await?;
            // Every movie is this load's: the table was empty and is locked.
            txn.execute_unprepared("SELECT cinema_phrases_add_every_movie()")
                .await?;
            for definition in indexes {
                txn.execute_unprepared(&definition).await?;
            }
            txn.commit().await?;
        }
        Ok(())
    }
}
