//! The catalog used as another Rust service would: no HTTP, only the crates. Deleting a movie
//! through the library takes its poster with it, in the store and in the media ledger.

#![expect(clippy::unwrap_used, reason = "test code")]

use std::sync::Arc;

use cinema_catalog::{
    Taxonomy,
    movies::{self, MovieInput},
    taxonomy,
};
use cinema_kernel::{
    Money,
    db::{DatabaseConfig, connect},
    time::Clock,
};
use cinema_media::{ImageReader, LocalStore, Media, MediaConfig};
use cinema_migration::{Migrator, MigratorTrait};
use cinema_testkit::TestDatabase;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

async fn database() -> (TestDatabase, DatabaseConnection) {
    let database = TestDatabase::create().await;
    let db = connect(&DatabaseConfig::new(database.url().parse().unwrap()))
        .await
        .unwrap();
    Migrator::up(&db, None).await.unwrap();
    (database, db)
}

fn png() -> cinema_media::Image {
    let mut reader = ImageReader::new(1024);
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    bytes.resize(200, 7);
    reader.push(&bytes).unwrap();
    reader.finish().unwrap()
}

fn local_media(clock: &Clock) -> (tempfile::TempDir, Media) {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(LocalStore::new(dir.path(), "http://localhost", b"key").unwrap());
    let media = Media::new(store, MediaConfig::default(), clock.clone());
    (dir, media)
}

fn movie(name: &str, certification_id: i64) -> MovieInput {
    MovieInput {
        name: name.into(),
        year: 2001,
        time: 90,
        imdb_tenths: 70,
        votes: 1,
        meta_score: None,
        gross: None,
        description: "A movie with a poster.".into(),
        price: "4.99".parse::<Money>().unwrap(),
        certification_id,
        genre_ids: vec![],
        director_ids: vec![],
        star_ids: vec![],
    }
}

async fn ledger_rows(db: &DatabaseConnection) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM media_pending_objects",
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get("", "n").unwrap()
}

#[tokio::test]
async fn deleting_a_movie_through_the_library_deletes_its_poster() {
    let (_database, db) = database().await;
    let clock = Clock::system();
    let (dir, media) = local_media(&clock);

    let certification = taxonomy::create(&db, Taxonomy::Certifications, "PG")
        .await
        .unwrap();
    let movie = movies::create(&db, &clock, movie("Library", certification.id))
        .await
        .unwrap();
    let key = movies::upload_poster(&db, &media, &clock, movie.summary.movie.id, png())
        .await
        .unwrap();
    assert!(dir.path().join(&key).exists(), "the poster is stored");
    assert_eq!(ledger_rows(&db).await, 0, "a referenced poster is settled");

    let deleted = movies::delete(
        &db,
        &media,
        movie.summary.movie.id,
        false,
        &cinema_catalog::NoReferences,
    )
    .await
    .unwrap();
    assert_eq!(deleted.poster.as_deref(), Some(key.as_str()));
    assert!(
        !dir.path().join(&key).exists(),
        "the poster went with the movie"
    );
    assert_eq!(ledger_rows(&db).await, 0, "nothing is left for the sweep");
    assert!(matches!(
        movies::detail(&db, movie.summary.movie.id).await,
        Err(cinema_catalog::Error::NotFound(_))
    ));
}

#[tokio::test]
async fn a_movie_deleted_inside_a_callers_transaction_leaves_its_poster_to_the_sweep() {
    let (_database, db) = database().await;
    let clock = Clock::system();
    let (dir, media) = local_media(&clock);
    let certification = taxonomy::create(&db, Taxonomy::Certifications, "R")
        .await
        .unwrap();
    let txn = cinema_kernel::db::begin_write(&db).await.unwrap();
    let id = movies::create_in(&txn, &clock, movie("Composed", certification.id))
        .await
        .unwrap();
    txn.commit().await.unwrap();
    let key = movies::upload_poster(&db, &media, &clock, id, png())
        .await
        .unwrap();

    let txn = cinema_kernel::db::begin_write(&db).await.unwrap();
    movies::delete_in(&txn, &media, id, false, &cinema_catalog::NoReferences)
        .await
        .unwrap();
    txn.commit().await.unwrap();
    assert_eq!(
        ledger_rows(&db).await,
        1,
        "the poster is listed for deletion"
    );
    let swept = media.sweep(&db, 10).await.unwrap();
    assert_eq!(swept.deleted, 1);
    assert!(!dir.path().join(&key).exists());
    assert_eq!(ledger_rows(&db).await, 0);
}

#[tokio::test]
async fn details_and_pages_are_one_round_trip_and_writes_bump_the_version() {
    let (_database, mut db) = database().await;
    let statements = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = statements.clone();
    db.set_metric_callback(move |_| {
        counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    });
    let clock = Clock::system();
    let version = cinema_catalog::cache::version::current(&db).await.unwrap();
    let certification = taxonomy::create(&db, Taxonomy::Certifications, "PG")
        .await
        .unwrap();
    let mut ids = Vec::new();
    for (kind, names) in [
        (Taxonomy::Genres, ["Drama", "Crime"]),
        (Taxonomy::Directors, ["Zoe Z", "Ann A"]),
        (Taxonomy::Stars, ["Bo B", "Al A"]),
    ] {
        let mut created = Vec::new();
        for name in names {
            created.push(taxonomy::create(&db, kind, name).await.unwrap().id);
        }
        ids.push(created);
    }
    let mut input = movie("Linked", certification.id);
    (input.genre_ids, input.director_ids, input.star_ids) =
        (ids[0].clone(), ids[1].clone(), ids[2].clone());
    let id = movies::create(&db, &clock, input)
        .await
        .unwrap()
        .summary
        .movie
        .id;
    // Seven taxonomy entries and a movie: eight writes, eight versions.
    let after = cinema_catalog::cache::version::current(&db).await.unwrap();
    assert_eq!(after, version + 8);

    let before = statements.load(std::sync::atomic::Ordering::SeqCst);
    let detail = movies::detail(&db, id).await.unwrap();
    assert_eq!(
        statements.load(std::sync::atomic::Ordering::SeqCst) - before,
        1
    );
    let names =
        |list: &[cinema_catalog::Named]| list.iter().map(|n| n.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&detail.summary.genres), ["Crime", "Drama"]);
    assert_eq!(names(&detail.directors), ["Ann A", "Zoe Z"]);
    assert_eq!(names(&detail.stars), ["Al A", "Bo B"]);
    assert_eq!(detail.summary.certification.name, "PG");

    // A movie linked to nothing still has its detail; a missing one is not found.
    let bare = movies::create(&db, &clock, movie("Bare", certification.id))
        .await
        .unwrap();
    assert!(bare.summary.genres.is_empty() && bare.directors.is_empty());

    // A page of known ids is one round trip too, in the order asked, missing ids left out.
    let before = statements.load(std::sync::atomic::Ordering::SeqCst);
    let page = movies::summaries_of(&db, &[bare.summary.movie.id, 999_999, id])
        .await
        .unwrap();
    assert_eq!(
        statements.load(std::sync::atomic::Ordering::SeqCst) - before,
        1
    );
    let page: Vec<(String, Vec<String>)> = page
        .iter()
        .map(|s| (s.movie.name.clone(), names(&s.genres)))
        .collect();
    assert_eq!(
        page,
        [
            ("Bare".to_owned(), vec![]),
            (
                "Linked".to_owned(),
                vec!["Crime".to_owned(), "Drama".to_owned()]
            )
        ]
    );
    assert!(matches!(
        movies::detail(&db, 999_999).await,
        Err(cinema_catalog::Error::NotFound(_))
    ));
}
