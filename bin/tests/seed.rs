//! `cinema seed`'s loads keep PostgreSQL's phrase rows (`movie_phrases`) exact, as every other
//! writer of movies does. (SQLite has no such rows.)

#![expect(clippy::unwrap_used, reason = "test code")]

use cinema_kernel::MovieId;
use cinema_kernel::db::{DatabaseConfig, connect};
use cinema_migration::{Migrator, MigratorTrait};
use cinema_server::progress::Progress;
use cinema_testkit::TestDatabase;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

async fn postgres() -> Option<(TestDatabase, DatabaseConnection)> {
    let database = TestDatabase::postgres_unmigrated("movie_phrases").await?;
    let config = DatabaseConfig::new(database.url().parse().unwrap());
    let db = connect(&config).await.unwrap();
    Some((database, db))
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
    use cinema_catalog::movies::MoviePatch;
    use cinema_kernel::time::Clock;

    let Some((database, db)) = postgres().await else {
        return;
    };
    let clock = Clock::system();
    Migrator::up(&db, None).await.unwrap();
    // A first load into an empty catalog adds its movies' rows once, at its end.
    cinema_server::seed::synthetic(&db, &clock, 60, &mut Progress::new("movies", 60))
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
    cinema_server::seed::synthetic(&db, &clock, 100, &mut Progress::new("movies", 100))
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
    let (_media, catalog) = {
        let media = cinema_testkit::LocalMedia::new(&clock);
        let catalog = cinema_catalog::Catalog::new(db.clone(), media.media.clone(), clock.clone());
        (media, catalog)
    };
    catalog.update_movie(MovieId(ids[0]), patch).await.unwrap();
    let votes_only = MoviePatch {
        votes: Some(7),
        ..MoviePatch::default()
    };
    catalog
        .update_movie(MovieId(ids[1]), votes_only)
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
