//! Data for people and benchmarks: the demo catalog, and a large synthetic one with the
//! distributions of `shared/docs/performance.md`, generated deterministically and inserted
//! in batches. Both are safe to run again: existing rows are kept, never duplicated.

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, FromQueryResult,
    Statement,
    sea_query::{Alias, Expr, OnConflict, Query, SimpleExpr},
};

use crate::{Result, movies::search};

/// The 22 genres, in id order on a new database (id 3 is Animation).
pub const GENRES: [&str; 22] = [
    "Action",
    "Adventure",
    "Animation",
    "Biography",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Family",
    "Fantasy",
    "Film-Noir",
    "History",
    "Horror",
    "Music",
    "Musical",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Sport",
    "Thriller",
    "War",
    "Western",
];

/// The 9 certifications, in id order on a new database.
pub const CERTIFICATIONS: [&str; 9] = [
    "G",
    "PG",
    "PG-13",
    "R",
    "NC-17",
    "U",
    "UA",
    "A",
    "Not Rated",
];

/// What a seeding run inserted (rows that already existed are not counted).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Seeded {
    pub genres: u64,
    pub certifications: u64,
    pub directors: u64,
    pub stars: u64,
    pub movies: u64,
}

use cinema_kernel::time::Clock;

/// Inserts names that do not exist yet; returns how many were new.
async fn insert_names<C: ConnectionTrait>(db: &C, table: &str, names: &[String]) -> Result<u64> {
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
async fn ids_of<C: ConnectionTrait>(db: &C, table: &str, names: &[String]) -> Result<Vec<i64>> {
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
struct NewMovie {
    uuid: String,
    name: String,
    year: i32,
    time: i32,
    imdb_tenths: i32,
    votes: i64,
    meta_score: Option<i32>,
    gross_cents: Option<i64>,
    description: String,
    price_cents: i64,
    certification_id: i64,
    genre_ids: Vec<i64>,
    director_ids: Vec<i64>,
    star_ids: Vec<i64>,
    directors: String,
    actors: String,
}

/// Inserts movies whose identity is new, with their links, a transaction per thousand.
/// Returns how many.
async fn insert_movies(db: &DatabaseConnection, now: i64, movies: &[NewMovie]) -> Result<u64> {
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
            let terms = search::terms(&m.name, &m.actors, &m.directors, &m.description);
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
async fn vacuum(db: &DatabaseConnection) -> Result<()> {
    if db.get_database_backend() == DbBackend::Postgres {
        for table in MOVIE_TABLES.iter().chain(&["movie_phrases"]) {
            db.execute_unprepared(&format!("VACUUM (ANALYZE) {table}"))
                .await?;
        }
    }
    Ok(())
}

const MOVIE_TABLES: [&str; 4] = ["movies", "movie_genres", "movie_directors", "movie_stars"];

async fn taxonomy(db: &DatabaseConnection, seeded: &mut Seeded) -> Result<()> {
    let genres: Vec<String> = GENRES.iter().map(|s| (*s).to_owned()).collect();
    let certs: Vec<String> = CERTIFICATIONS.iter().map(|s| (*s).to_owned()).collect();
    seeded.genres += insert_names(db, "genres", &genres).await?;
    seeded.certifications += insert_names(db, "certifications", &certs).await?;
    Ok(())
}

/// The demo catalog: the genres, the certifications and ten well-known movies.
pub async fn demo(db: &DatabaseConnection, clock: &Clock) -> Result<Seeded> {
    let mut seeded = Seeded::default();
    taxonomy(db, &mut seeded).await?;
    let mut movies = Vec::new();
    for (i, d) in super::seed_demo::MOVIES.iter().enumerate() {
        let directors: Vec<String> = d.directors.iter().map(|s| (*s).to_owned()).collect();
        let stars: Vec<String> = d.stars.iter().map(|s| (*s).to_owned()).collect();
        seeded.directors += insert_names(db, "directors", &directors).await?;
        seeded.stars += insert_names(db, "stars", &stars).await?;
        let genre_names: Vec<String> = d.genres.iter().map(|s| (*s).to_owned()).collect();
        let cert = ids_of(db, "certifications", &[d.certification.to_owned()]).await?;
        movies.push(NewMovie {
            // Fixed per demo movie, so a second run recognises the first run's rows.
            uuid: uuid::Uuid::from_u64_pair(0x00de_0000_0000_0000, i as u64 + 1).to_string(),
            name: d.name.to_owned(),
            year: d.year,
            time: d.time,
            imdb_tenths: d.imdb_tenths,
            votes: d.votes,
            meta_score: d.meta_score,
            gross_cents: d.gross_cents,
            description: d.description.to_owned(),
            price_cents: d.price_cents,
            certification_id: cert.first().copied().unwrap_or(1),
            genre_ids: ids_of(db, "genres", &genre_names).await?,
            director_ids: ids_of(db, "directors", &directors).await?,
            star_ids: ids_of(db, "stars", &stars).await?,
            directors: directors.join(" "),
            actors: stars.join(" "),
        });
    }
    seeded.movies += insert_movies(db, clock.now_ms(), &movies).await?;
    // Instances already serving learn of the new movies (within their staleness bound).
    crate::cache::version::bump(db, crate::cache::Change::Catalog).await?;
    vacuum(db).await?;
    Ok(seeded)
}

/// A deterministic generator: SplitMix64 over (salt, key), uniform in [0, 1).
fn u(salt: u64, key: u64) -> f64 {
    let mut z = salt.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ key.wrapping_add(0xD1B5_4A32_D192_ED03);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

fn ri(salt: u64, key: u64, lo: i64, hi: i64) -> i64 {
    lo + (u(salt, key) * (hi - lo + 1) as f64).floor() as i64
}

/// The `k` of `0..n` with the smallest `u(salt, key * 32 + i)`.
fn pick(salt: u64, key: u64, n: usize, k: usize) -> Vec<usize> {
    let mut scored: Vec<(f64, usize)> = (0..n).map(|i| (u(salt, key * 32 + i as u64), i)).collect();
    scored.sort_by(|a, b| a.0.total_cmp(&b.0));
    scored.into_iter().take(k).map(|(_, i)| i).collect()
}

/// `count` distinct "First Last" names out of the 30,000 combinations, chosen by `salt`.
fn people(salt: u64, count: usize) -> Vec<String> {
    use super::seed_demo::{FIRST_NAMES, SURNAMES};
    let total = FIRST_NAMES.len() * SURNAMES.len();
    let mut scored: Vec<(f64, usize)> = (0..total).map(|c| (u(salt, c as u64), c)).collect();
    scored.sort_by(|a, b| a.0.total_cmp(&b.0));
    scored
        .into_iter()
        .take(count)
        .map(|(_, c)| {
            format!(
                "{} {}",
                FIRST_NAMES[c / SURNAMES.len()],
                SURNAMES[c % SURNAMES.len()]
            )
        })
        .collect()
}

/// `n` synthetic movies (5,000 directors, 20,000 stars) shaped like the benchmark catalog.
pub async fn synthetic(db: &DatabaseConnection, clock: &Clock, n: u64) -> Result<Seeded> {
    use super::seed_demo::{ADJECTIVES, NOUNS, VOCABULARY};
    let mut seeded = Seeded::default();
    taxonomy(db, &mut seeded).await?;
    let directors = people(1, 5_000);
    let stars = people(2, 20_000);
    seeded.directors += insert_names(db, "directors", &directors).await?;
    seeded.stars += insert_names(db, "stars", &stars).await?;
    let director_ids = ids_of(db, "directors", &directors).await?;
    let star_ids = ids_of(db, "stars", &stars).await?;
    let genre_ids = ids_of(db, "genres", &GENRES.map(str::to_owned)).await?;
    let cert_ids = ids_of(db, "certifications", &CERTIFICATIONS.map(str::to_owned)).await?;

    let director_names: std::collections::HashMap<i64, &String> =
        director_ids.iter().copied().zip(directors.iter()).collect();
    let star_names: std::collections::HashMap<i64, &String> =
        star_ids.iter().copied().zip(stars.iter()).collect();
    let mut seen = std::collections::HashMap::new();
    let mut batch = Vec::with_capacity(1000);
    let loader = Loader::start(db).await?;
    for id in 1..=n {
        let adj = ADJECTIVES[ri(10, id, 0, ADJECTIVES.len() as i64 - 1) as usize];
        let noun = NOUNS[ri(11, id, 0, NOUNS.len() as i64 - 1) as usize];
        let mut noun2 = NOUNS[ri(12, id, 0, NOUNS.len() as i64 - 2) as usize];
        if noun2 == noun {
            noun2 = NOUNS[NOUNS.len() - 1];
        }
        let mut name = match ri(13, id, 0, 5) {
            0 => format!("The {adj} {noun}"),
            1 => format!("{noun} of the {noun2}"),
            2 => format!("{adj} {noun}"),
            3 => format!("The {noun} and the {noun2}"),
            4 => format!("{adj} {noun}: {noun2}"),
            _ => format!("Return of the {adj} {noun}"),
        };
        let year = ri(14, id, 1950, 2025) as i32;
        let time = ri(15, id, 80, 180) as i32;
        let copies = seen.entry((name.clone(), year, time)).or_insert(0u32);
        *copies += 1;
        if *copies > 1 {
            name = format!("{name} ({copies})");
        }
        let words = ri(16, id, 25, 35) as u64;
        let mut description: Vec<&str> = (0..words)
            .map(|w| VOCABULARY[ri(17, id * 64 + w, 0, VOCABULARY.len() as i64 - 1) as usize])
            .collect();
        let first = description.remove(0);
        let mut text = first[..1].to_uppercase() + &first[1..];
        for w in description {
            text.push(' ');
            text.push_str(w);
        }
        text.push('.');
        let g = pick(18, id, genre_ids.len(), ri(19, id, 1, 3) as usize);
        let mut d: Vec<i64> = (0..ri(20, id, 1, 2) as u64)
            .map(|j| director_ids[ri(21, id * 8 + j, 0, director_ids.len() as i64 - 1) as usize])
            .collect();
        d.sort_unstable();
        d.dedup();
        let mut s: Vec<i64> = (0..ri(22, id, 2, 4) as u64)
            .map(|j| star_ids[ri(23, id * 8 + j, 0, star_ids.len() as i64 - 1) as usize])
            .collect();
        s.sort_unstable();
        s.dedup();
        let name_of = |ids: &[i64], names: &std::collections::HashMap<i64, &String>| {
            ids.iter()
                .filter_map(|i| names.get(i).map(|n| n.as_str()))
                .collect::<Vec<_>>()
                .join(" ")
        };
        batch.push(NewMovie {
            uuid: uuid::Uuid::from_u64_pair(id, (u(24, id) * u64::MAX as f64) as u64).to_string(),
            name,
            year,
            time,
            imdb_tenths: ri(25, id, 10, 99) as i32,
            votes: (100.0 * 30000f64.powf(u(26, id))).floor() as i64,
            meta_score: (u(27, id) >= 0.2).then(|| ri(28, id, 20, 100) as i32),
            gross_cents: (u(29, id) >= 0.3)
                .then(|| (10_000.0 * 90_000f64.powf(u(30, id)) * 100.0).round() as i64),
            description: text,
            price_cents: 199 + 100 * ri(31, id, 0, 18),
            certification_id: cert_ids[ri(32, id, 0, cert_ids.len() as i64 - 1) as usize],
            genre_ids: g.iter().map(|&i| genre_ids[i]).collect(),
            directors: name_of(&d, &director_names),
            actors: name_of(&s, &star_names),
            director_ids: d,
            star_ids: s,
        });
        if batch.len() == 10_000 {
            seeded.movies += loader.load(db, clock.now_ms(), &batch).await?;
            batch.clear();
        }
    }
    seeded.movies += loader.load(db, clock.now_ms(), &batch).await?;
    loader.finish().await?;
    // Instances already serving learn of the new movies (within their staleness bound).
    crate::cache::version::bump(db, crate::cache::Change::Catalog).await?;
    vacuum(db).await?;
    Ok(seeded)
}

/// The setting that tells the `movie_phrases` insert trigger its transaction adds the new
/// movies' phrase terms itself, before it commits (see the `movie_phrases` migration).
const PHRASES_LATER: &str = "cinema.phrases_later";

/// Where synthetic movies go: a transaction per thousand, or — for a first load into empty
/// movie tables on PostgreSQL — one transaction with the tables' secondary indexes dropped
/// and rebuilt at the end. Building an index once costs a fraction of maintaining it row by
/// row (100k movies: 10 s of 70 here), and a failed load takes the drops back with it.
enum Loader {
    Chunked,
    Bulk {
        txn: DatabaseTransaction,
        indexes: Vec<String>,
    },
}

impl Loader {
    async fn start(db: &DatabaseConnection) -> Result<Self> {
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

    async fn load(&self, db: &DatabaseConnection, now: i64, movies: &[NewMovie]) -> Result<u64> {
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

    async fn finish(self) -> Result<()> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generator_is_deterministic_and_uniform_enough() {
        assert_eq!(u(7, 42), u(7, 42));
        assert_ne!(u(7, 42), u(8, 42));
        let mean: f64 = (0..10_000).map(|k| u(3, k)).sum::<f64>() / 10_000.0;
        assert!((mean - 0.5).abs() < 0.02, "{mean}");
        assert!((0..1000).all(|k| (1950..=2025).contains(&ri(14, k, 1950, 2025))));
        assert_eq!(people(1, 50).len(), 50);
        let mut p = people(1, 5000);
        p.sort();
        p.dedup();
        assert_eq!(p.len(), 5000);
    }
}
