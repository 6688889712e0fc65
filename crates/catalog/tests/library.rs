//! The catalog used as another Rust service would: no HTTP, only the crates. Deleting a movie
//! through the library takes its poster with it, in the store and in the media ledger; a write
//! through the library is read back fresh from the writer's cache at once, and from another
//! process's cache within the staleness bound.

#![expect(clippy::unwrap_used, reason = "test code")]

use cinema_kernel::MovieId;
use std::time::{Duration, Instant};

use cinema_catalog::{
    Catalog, Taxonomy,
    cache::{CacheConfig, CatalogCache},
    movies::{self, MovieFilter, MovieInput},
};
use cinema_kernel::{
    DomainError, Money,
    db::{DatabaseConfig, connect},
    page::PageRequest,
    time::Clock,
};
use cinema_media::ImageReader;
use cinema_migration::{Migrator, MigratorTrait};
use cinema_testkit::{LocalMedia, TestDatabase};
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

/// The catalog on `db`, with media in a temporary directory (kept in the answer).
fn catalog(db: &DatabaseConnection, clock: &Clock) -> (LocalMedia, Catalog) {
    let local = LocalMedia::new(clock);
    let catalog = Catalog::new(db.clone(), local.media.clone(), clock.clone());
    (local, catalog)
}

fn cache(max_staleness: Duration) -> CatalogCache {
    CatalogCache::new(&CacheConfig {
        max_entries: 1000,
        max_bytes: 1 << 24,
        ttl: Duration::from_secs(300),
        max_staleness,
    })
}

/// The names on the first page of the whole catalog, by id.
async fn listed(catalog: &Catalog) -> Vec<String> {
    let page = PageRequest::new(None, Some(100), 100).unwrap();
    let found = catalog
        .list(&MovieFilter::default(), None, page)
        .await
        .unwrap();
    found.items.into_iter().map(|m| m.movie.name).collect()
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
    let (local, catalog) = catalog(&db, &clock);
    let dir = &local.dir;

    let certification = catalog
        .create_name(Taxonomy::Certifications, "PG")
        .await
        .unwrap();
    let movie = catalog
        .create_movie(movie("Library", certification.id))
        .await
        .unwrap();
    let key = catalog
        .upload_poster(MovieId(movie.summary.movie.id), png())
        .await
        .unwrap();
    assert!(dir.path().join(&key).exists(), "the poster is stored");
    assert_eq!(ledger_rows(&db).await, 0, "a referenced poster is settled");

    let deleted = catalog
        .delete_movie(MovieId(movie.summary.movie.id), false)
        .await
        .unwrap();
    assert_eq!(deleted.poster.as_deref(), Some(key.as_str()));
    assert!(
        !dir.path().join(&key).exists(),
        "the poster went with the movie"
    );
    assert_eq!(ledger_rows(&db).await, 0, "nothing is left for the sweep");
    let gone = movies::detail(&db, MovieId(movie.summary.movie.id))
        .await
        .err()
        .unwrap();
    assert_eq!(gone.kind(), cinema_kernel::ErrorKind::NotFound);
}

#[tokio::test]
async fn a_movie_deleted_inside_a_callers_transaction_leaves_its_poster_to_the_sweep() {
    let (_database, db) = database().await;
    let clock = Clock::system();
    let (local, catalog) = catalog(&db, &clock);
    let (dir, media) = (&local.dir, &local.media);
    let certification = catalog
        .create_name(Taxonomy::Certifications, "R")
        .await
        .unwrap();
    let txn = cinema_kernel::db::begin_write(&db).await.unwrap();
    let (id, pending) = movies::create_in(&txn, &clock, movie("Composed", certification.id))
        .await
        .unwrap();
    txn.commit().await.unwrap();
    catalog.cache().apply(pending);
    let key = catalog.upload_poster(id, png()).await.unwrap();

    let txn = cinema_kernel::db::begin_write(&db).await.unwrap();
    let (_, pending) = movies::delete_in(&txn, media, id, false, &cinema_catalog::NoReferences)
        .await
        .unwrap();
    txn.commit().await.unwrap();
    catalog.cache().apply(pending);
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
    let statements = cinema_testkit::StatementCount::on(&mut db);
    let clock = Clock::system();
    let (_local, catalog) = catalog(&db, &clock);
    let version = cinema_catalog::cache::version::current(&db).await.unwrap();
    let certification = catalog
        .create_name(Taxonomy::Certifications, "PG")
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
            created.push(catalog.create_name(kind, name).await.unwrap().id);
        }
        ids.push(created);
    }
    let mut input = movie("Linked", certification.id);
    (input.genre_ids, input.director_ids, input.star_ids) =
        (ids[0].clone(), ids[1].clone(), ids[2].clone());
    let id = catalog.create_movie(input).await.unwrap().summary.movie.id;
    // Seven taxonomy entries and a movie: eight writes, eight versions.
    let after = cinema_catalog::cache::version::current(&db).await.unwrap();
    assert_eq!(after, version + 8);

    let before = statements.get();
    let detail = movies::detail(&db, MovieId(id)).await.unwrap();
    assert_eq!(statements.get() - before, 1);
    let names =
        |list: &[cinema_catalog::Named]| list.iter().map(|n| n.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&detail.summary.genres), ["Crime", "Drama"]);
    assert_eq!(names(&detail.directors), ["Ann A", "Zoe Z"]);
    assert_eq!(names(&detail.stars), ["Al A", "Bo B"]);
    assert_eq!(detail.summary.certification.name, "PG");

    // A movie linked to nothing still has its detail; a missing one is not found.
    let bare = catalog
        .create_movie(movie("Bare", certification.id))
        .await
        .unwrap();
    assert!(bare.summary.genres.is_empty() && bare.directors.is_empty());

    // A page of known ids is one round trip too, in the order asked, missing ids left out.
    let before = statements.get();
    let page = movies::summaries_of(&db, &[bare.summary.movie.id, 999_999, id])
        .await
        .unwrap();
    assert_eq!(statements.get() - before, 1);
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
    let missing = movies::detail(&db, MovieId(999_999)).await.err().unwrap();
    assert_eq!(missing.kind(), cinema_kernel::ErrorKind::NotFound);
}

#[tokio::test]
async fn a_write_through_the_library_is_read_fresh_by_the_writer_at_once() {
    let (_database, db) = database().await;
    let clock = Clock::system();
    let (local, catalog) = catalog(&db, &clock);
    // No watch runs: only the writer's own apply can make the second read fresh.
    let catalog = catalog.with_cache(cache(Duration::from_secs(3600)));
    let pg = catalog
        .create_name(Taxonomy::Certifications, "PG")
        .await
        .unwrap();
    let first = catalog
        .create_movie(movie("First", pg.id))
        .await
        .unwrap()
        .summary
        .movie
        .id;
    assert_eq!(listed(&catalog).await, ["First"]);
    assert_eq!(listed(&catalog).await, ["First"], "served from the cache");

    catalog.create_movie(movie("Second", pg.id)).await.unwrap();
    assert_eq!(listed(&catalog).await, ["First", "Second"]);
    let patch = movies::MoviePatch {
        name: Some("Renamed".into()),
        ..Default::default()
    };
    catalog.update_movie(MovieId(first), patch).await.unwrap();
    assert_eq!(listed(&catalog).await, ["Renamed", "Second"]);
    catalog.delete_movie(MovieId(first), false).await.unwrap();
    assert_eq!(listed(&catalog).await, ["Second"]);
    drop(local);
}

#[tokio::test]
async fn another_processs_write_is_seen_within_the_staleness_bound() {
    let (database, db) = database().await;
    let clock = Clock::system();
    let bound = Duration::from_millis(600);
    let (_local, reader) = catalog(&db, &clock);
    let reader = reader.with_cache(cache(bound));
    let watch = cinema_catalog::cache::watch::spawn(reader.cache(), &db).unwrap();
    // The writer: its own connection and cache, as another process would have.
    let writer_db = database.connect().await;
    let (_local2, writer) = catalog(&writer_db, &clock);
    let writer = writer.with_cache(cache(bound));

    let pg = writer
        .create_name(Taxonomy::Certifications, "PG")
        .await
        .unwrap();
    writer.create_movie(movie("Before", pg.id)).await.unwrap();
    let deadline = Instant::now() + bound * 2;
    while listed(&reader).await != ["Before"] {
        assert!(Instant::now() < deadline, "the first movie was never seen");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(listed(&reader).await, ["Before"], "cached now");

    let written = Instant::now();
    writer.create_movie(movie("After", pg.id)).await.unwrap();
    loop {
        if listed(&reader).await == ["Before", "After"] {
            break;
        }
        assert!(
            written.elapsed() < bound,
            "not seen within {bound:?} (on {})",
            if database.is_postgres() {
                "PostgreSQL"
            } else {
                "SQLite"
            }
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    watch.abort();
}
