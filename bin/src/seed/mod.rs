//! Data for people and benchmarks, loaded by `cinema seed`: the demo catalog ([`demo`]), and a
//! large synthetic one ([`synthetic`]), and a year of sales over it ([`sales`]) with the distributions of `shared/docs/performance.md`,
//! generated deterministically and inserted in batches. Both are safe to run again: existing
//! rows are kept, never duplicated. The word lists and the demo movies are data files
//! (`seed/data/`).
//!
//! It lives in the binary, not in `cinema-catalog`: a service that depends on the catalog does
//! not compile the loader, its PostgreSQL bulk-load DDL or its data. It writes rows directly
//! (a bulk load cannot go through the one-movie-at-a-time API) and bumps the catalog version
//! once at the end, so running instances drop their cached answers within their staleness bound.

mod demo;
mod rows;
mod sales;
mod synthetic;

use cinema_catalog::cache::{Change, version};
use sea_orm::DatabaseConnection;

pub use demo::demo;
pub use sales::{SalesSeeded, sales};
pub use synthetic::synthetic;

/// What can stop a seeding run.
pub type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

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

/// Inserts the genres and certifications that are missing.
async fn taxonomy(db: &DatabaseConnection, seeded: &mut Seeded) -> Result<()> {
    let genres: Vec<String> = GENRES.iter().map(|s| (*s).to_owned()).collect();
    let certs: Vec<String> = CERTIFICATIONS.iter().map(|s| (*s).to_owned()).collect();
    seeded.genres += rows::insert_names(db, "genres", &genres).await?;
    seeded.certifications += rows::insert_names(db, "certifications", &certs).await?;
    Ok(())
}

/// Tells running instances, then readies the tables for reads.
async fn finish(db: &DatabaseConnection) -> Result<()> {
    // Instances already serving learn of the new movies (within their staleness bound); this
    // process caches nothing of its own.
    let pending = version::bump(db, Change::Catalog).await?;
    // Search indexes rebuild whole rather than read the load's log rows one by one.
    cinema_catalog::search::forget_changes_through(db, pending.version()).await?;
    pending.announced();
    rows::vacuum(db).await
}

/// The lines of a word list.
fn lines(text: &'static str) -> Vec<&'static str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect()
}
