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
    let database = TestDatabase::postgres_unmigrated("search_terms").await?;
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
