//! Check ownership and place an order, as another Rust service would with `cinema-commerce`: a
//! fresh SQLite database (migrated with `cinema-migration` first), a movie from the catalog, an
//! account, then the cart → order flow. Ownership comes only with a verified payment
//! (`cinema-billing`), so the buyer does not own the movie yet.
//!
//! Run: `cargo run -p cinema-commerce --example order`

#![expect(clippy::print_stdout, reason = "an example shows what it did")]

use std::{error::Error, sync::Arc};

use cinema_catalog::{Catalog, Taxonomy, movies::MovieInput};
use cinema_commerce::{Commerce, CommerceConfig, library};
use cinema_identity::{Email, Password, Role, users};
use cinema_kernel::{
    MovieId, UserId,
    db::{DatabaseConfig, connect},
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
    let media = Media::new(Arc::new(store), MediaConfig::default(), clock.clone());
    let catalog = Catalog::new(db.clone(), media, clock.clone());
    let pg = catalog.create_name(Taxonomy::Certifications, "PG").await?;
    let movie = catalog
        .create_movie(MovieInput {
            name: "Paddington 2".into(),
            year: 2017,
            time: 103,
            imdb_tenths: 78,
            votes: 90_000,
            meta_score: Some(88),
            gross: None,
            description: "A bear looks for the perfect present.".into(),
            price: "4.99".parse()?,
            certification_id: pg.id,
            genre_ids: vec![],
            director_ids: vec![],
            star_ids: vec![],
        })
        .await?;
    let movie = MovieId(movie.summary.movie.id);
    let buyer = users::create(
        &db,
        &clock,
        &Email::parse("ann@example.com")?,
        &Password::parse("Secret#123", "password")?,
        Role::User,
        true,
        4,
    )
    .await?;
    let buyer: UserId = buyer.user_id();

    let commerce = Commerce::new(CommerceConfig::default(), clock);
    println!("owns before: {}", library::owns(&db, buyer, movie).await?);
    commerce.add_to_cart(&db, buyer, movie).await?;
    let placed = commerce.place_order(&db, buyer).await?;
    println!(
        "order {} for {} item(s): {} ({:?})",
        placed.order.order.id,
        placed.order.items.len(),
        placed.order.total(),
        placed.order.status()
    );
    // Paid through billing's webhook, the order grants the movie; until then it does not.
    println!(
        "owns while unpaid: {}",
        library::owns(&db, buyer, movie).await?
    );
    Ok(())
}
