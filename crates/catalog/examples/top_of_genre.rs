//! List the top-rated movies of a genre, as another Rust service would with `cinema-catalog`:
//! a fresh SQLite database (migrated with `cinema-migration` first), a few movies written
//! through [`Catalog`], then one page of the genre sorted by IMDb score.
//!
//! Run: `cargo run -p cinema-catalog --example top_of_genre`

#![expect(clippy::print_stdout, reason = "an example shows what it did")]

use std::error::Error;

use cinema_catalog::{
    Catalog, Taxonomy,
    cache::{CacheConfig, CatalogCache},
    movies::{MovieFilter, MovieFilterInput, MovieInput, Sort, SortKey},
};
use cinema_kernel::{
    Money,
    db::{DatabaseConfig, connect},
    page::PageRequest,
    time::Clock,
};
use cinema_media::{LocalStore, Media, MediaConfig};
use cinema_migration::{Migrator, MigratorTrait};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}", dir.path().join("cinema.db").display());
    let db = connect(&DatabaseConfig::new(url.parse()?)).await?;
    Migrator::up(&db, None).await?;

    let clock = Clock::system();
    let store = LocalStore::new(
        dir.path().join("media"),
        "http://localhost:8010",
        b"link-key",
    )?;
    let media = Media::new(
        std::sync::Arc::new(store),
        MediaConfig::default(),
        clock.clone(),
    );
    // With a read cache: the catalog's own writes drop what they change before they return.
    let cache = CatalogCache::new(&CacheConfig {
        max_entries: 1_000,
        max_bytes: 8 << 20,
        ttl: std::time::Duration::from_secs(300),
        max_staleness: std::time::Duration::from_secs(1),
    });
    let catalog = Catalog::new(db, media, clock).with_cache(cache);

    let drama = catalog.create_name(Taxonomy::Genres, "Drama").await?;
    let crime = catalog.create_name(Taxonomy::Genres, "Crime").await?;
    let rated_r = catalog.create_name(Taxonomy::Certifications, "R").await?;
    for (name, year, imdb_tenths, genres) in [
        ("The Shawshank Redemption", 1994, 93, vec![drama.id]),
        ("The Godfather", 1972, 92, vec![crime.id, drama.id]),
        ("Heat", 1995, 83, vec![crime.id]),
        ("Fight Club", 1999, 88, vec![drama.id]),
    ] {
        catalog
            .create_movie(MovieInput {
                name: name.into(),
                year,
                time: 120,
                imdb_tenths,
                votes: 1_000,
                meta_score: None,
                gross: None,
                description: format!("{name}, released in {year}."),
                price: "9.99".parse::<Money>()?,
                certification_id: rated_r.id,
                genre_ids: genres,
                director_ids: vec![],
                star_ids: vec![],
            })
            .await?;
    }

    // The filter checks its rules when it is built (a reversed range is refused, named).
    let dramas = MovieFilter::new(MovieFilterInput {
        genre_ids: vec![drama.id],
        ..MovieFilterInput::default()
    })?;
    let by_imdb = Sort {
        key: SortKey::Imdb,
        descending: true,
    };
    let page = PageRequest::new(None, Some(10), 100).map_err(|e| format!("{e:?}"))?;
    let top = catalog.list(&dramas, Some(by_imdb), page).await?;
    println!("Top {} of {} dramas:", top.items.len(), top.total);
    for movie in &top.items {
        println!(
            "  {:.1}  {} ({})",
            f64::from(movie.movie.imdb_tenths) / 10.0,
            movie.movie.name,
            movie.movie.year
        );
    }
    assert_eq!(top.items[0].movie.name, "The Shawshank Redemption");
    Ok(())
}
