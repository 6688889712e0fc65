//! PostgreSQL's search index holds what the application computes, whoever wrote the row: the
//! `search_terms` migration filling movies that existed before it, or the application. (On
//! SQLite, FTS5 indexes the rows by triggers and these tests have nothing to compare.)

#![expect(clippy::unwrap_used, reason = "test code")]

use cinema_kernel::db::{DatabaseConfig, connect};
use cinema_migration::{Migrator, MigratorTrait};
use cinema_testkit::TestDatabase;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, Value};

const NAME: &str = "Le Fabuleux Destin d'Amélie Poulain: 100% ÜBER-Boot";
const ACTORS: &str = "Audrey Tautou Mathieu Kassovitz";
const DIRECTORS: &str = "Jean-Pierre Jeunet";

fn description() -> String {
    // A word too long to index ends a phrase, in the migration as in the application.
    format!(
        "A shy waitress... in Montmartre! {} she decides.",
        "x".repeat(201)
    )
}

async fn postgres() -> Option<(TestDatabase, DatabaseConnection)> {
    let database = TestDatabase::create_unmigrated().await;
    if !database.is_postgres() {
        eprintln!("search_terms exists on PostgreSQL only; set CINEMA_TEST_POSTGRES_URL");
        return None;
    }
    let config = DatabaseConfig::new(database.url().parse().unwrap());
    let db = connect(&config).await.unwrap();
    Some((database, db))
}

/// The stored terms and the application's, both as PostgreSQL prints a `tsvector`.
async fn stored_and_computed(db: &DatabaseConnection) -> (String, String) {
    let terms = cinema_catalog::movies::search_terms(NAME, ACTORS, DIRECTORS, &description());
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT search_terms::text AS stored, $1::tsvector::text AS computed \
             FROM movies WHERE name = $2",
            [Value::from(terms), Value::from(NAME)],
        ))
        .await
        .unwrap()
        .unwrap();
    (
        row.try_get("", "stored").unwrap(),
        row.try_get("", "computed").unwrap(),
    )
}

#[tokio::test]
async fn the_migration_indexes_existing_movies_as_the_application_does() {
    let Some((database, db)) = postgres().await else {
        return;
    };
    Migrator::up(&db, Some(5)).await.unwrap();
    db.execute_unprepared("INSERT INTO certifications (name, name_key) VALUES ('R', 'r')")
        .await
        .unwrap();
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "INSERT INTO movies (uuid, name, year, time, imdb_tenths, votes, description,
           price_cents, certification_id, directors, actors, created_at, updated_at)
         SELECT 'u-1', $1, 2001, 122, 83, 1, $2, 300, id, $3, $4, 0, 0 FROM certifications",
        [
            Value::from(NAME),
            Value::from(description()),
            Value::from(DIRECTORS),
            Value::from(ACTORS),
        ],
    ))
    .await
    .unwrap();
    Migrator::up(&db, None).await.unwrap();
    let (stored, computed) = stored_and_computed(&db).await;
    assert!(computed.contains("'p:montmartre_'"), "{computed}");
    assert!(computed.contains("'t:amélie_poulain'"), "{computed}");
    assert_eq!(stored, computed);
    db.close().await.unwrap();
    database.drop_now().await;
}

/// The number a counting statement answers.
async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index(0).unwrap()
}

/// Rows of `movie_phrases` that differ from what the movies' `search_terms` imply (each pair
/// term with its movies' ids, in any order, each once), either way.
async fn phrase_rows_out_of_step(db: &DatabaseConnection) -> i64 {
    let implied = "SELECT t, array_agg(m.id ORDER BY m.id) FROM movies AS m, \
                   unnest(tsvector_to_array(m.search_terms)) AS t \
                   WHERE right(t, 1) <> '_' GROUP BY t";
    let stored = "SELECT term, ARRAY(SELECT unnest(movie_ids) ORDER BY 1) FROM movie_phrases";
    let sql = format!(
        "SELECT COUNT(*) FROM (({stored} EXCEPT {implied}) \
         UNION ALL ({implied} EXCEPT {stored})) AS d"
    );
    count(db, &sql).await
}

async fn phrase_rows(db: &DatabaseConnection) -> i64 {
    count(db, "SELECT COUNT(*) FROM movie_phrases").await
}

/// `movie_phrases` holds each phrase term's movies whoever wrote them: `cinema seed`'s first
/// load and its later batches, the migration for the movies that existed before it, the
/// library's edits and plain SQL, each inside its own transaction.
#[tokio::test]
async fn phrase_rows_follow_every_writer_of_movies() {
    use cinema_catalog::movies::{self, MoviePatch};
    use cinema_kernel::time::Clock;

    let Some((database, db)) = postgres().await else {
        return;
    };
    let clock = Clock::system();
    Migrator::up(&db, None).await.unwrap();
    // A first load into an empty catalog adds its movies' rows once, at its end.
    cinema_catalog::seed::synthetic(&db, &clock, 60)
        .await
        .unwrap();
    let backfilled = phrase_rows(&db).await;
    assert!(backfilled > 60, "{backfilled} rows");
    assert_eq!(phrase_rows_out_of_step(&db).await, 0, "after a first load");
    Migrator::down(&db, Some(1)).await.unwrap();
    Migrator::up(&db, None).await.unwrap();
    assert_eq!(phrase_rows(&db).await, backfilled);
    assert_eq!(phrase_rows_out_of_step(&db).await, 0, "after the migration");

    // The same 60 movies again (kept), then 40 new ones.
    cinema_catalog::seed::synthetic(&db, &clock, 100)
        .await
        .unwrap();
    assert!(phrase_rows(&db).await > backfilled);
    assert_eq!(phrase_rows_out_of_step(&db).await, 0, "after a seed");

    let ids: Vec<i64> = db
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT id FROM movies ORDER BY id LIMIT 3",
        ))
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get_by_index(0).unwrap())
        .collect();
    let patch = MoviePatch {
        name: Some("Zebra Crossing Nights".to_owned()),
        description: Some("A haunted lighthouse keeper counts zebras.".to_owned()),
        ..MoviePatch::default()
    };
    movies::update(&db, &clock, ids[0], patch).await.unwrap();
    let votes_only = MoviePatch {
        votes: Some(7),
        ..MoviePatch::default()
    };
    movies::update(&db, &clock, ids[1], votes_only)
        .await
        .unwrap();
    assert_eq!(phrase_rows_out_of_step(&db).await, 0, "after edits");

    for sql in [
        format!("DELETE FROM movies WHERE id = {}", ids[2]),
        format!("UPDATE movies SET search_terms = '' WHERE id = {}", ids[1]),
    ] {
        db.execute_unprepared(&sql).await.unwrap();
        assert_eq!(phrase_rows_out_of_step(&db).await, 0, "after {sql}");
    }
    let empty = "SELECT COUNT(*) FROM movie_phrases WHERE cardinality(movie_ids) = 0";
    assert_eq!(count(&db, empty).await, 0, "no empty rows are kept");
    db.close().await.unwrap();
    database.drop_now().await;
}
