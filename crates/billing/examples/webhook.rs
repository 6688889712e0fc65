//! Receive a signed payment webhook, as another Rust service would with `cinema-billing`: a
//! fresh SQLite database (migrated with `cinema-migration` first), a pending order, a checkout
//! session opened with the built-in test gateway, then the provider's
//! `checkout.session.completed` event, signed with the webhook secret the way Stripe signs it.
//! A valid event pays the order and grants the movie once; a forged one changes nothing.
//!
//! Run: `cargo run -p cinema-billing --example webhook`

#![expect(clippy::print_stdout, reason = "an example shows what it did")]

use std::{error::Error, sync::Arc, time::Duration};

use cinema_billing::{Billing, BillingConfig, Outcome, signature, test_gateway::TestGateway};
use cinema_catalog::{Catalog, Taxonomy, movies::MovieInput};
use cinema_commerce::{Commerce, CommerceConfig, library};
use cinema_identity::{Email, Password, Role, users};
use cinema_kernel::{
    MovieId,
    db::{DatabaseConfig, connect},
    time::Clock,
};
use cinema_media::{LocalStore, Media, MediaConfig};
use cinema_migration::{Migrator, MigratorTrait};
use cinema_notify::{JobOutbox, Templates};
use serde_json::json;

const SECRET: &str = "whsec_example";

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}", dir.path().join("cinema.db").display());
    let db = connect(&DatabaseConfig::new(url.parse()?)).await?;
    Migrator::up(&db, None).await?;
    let clock = Clock::system();

    // A movie and a buyer with a pending order for it.
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
            name: "Amélie".into(),
            year: 2001,
            time: 122,
            imdb_tenths: 83,
            votes: 780_000,
            meta_score: Some(69),
            gross: None,
            description: "A shy waitress decides to change the lives of those around her.".into(),
            price: "19.99".parse()?,
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
    .await?
    .user_id();
    let commerce = Commerce::new(CommerceConfig::default(), clock.clone());
    commerce.add_to_cart(&db, buyer, movie).await?;
    let order = commerce.place_order(&db, buyer).await?.order.order.id;

    let billing = Billing::new(
        BillingConfig {
            currency: "usd".into(),
            webhook_secret: SECRET.to_owned().into(),
            tolerance: signature::DEFAULT_TOLERANCE,
            refund_window: Duration::from_secs(14 * 86_400),
        },
        clock.clone(),
        commerce,
        // Receipts are queued as e-mail jobs in the same transaction as the payment.
        Arc::new(JobOutbox::new(Templates::new("Cinema")?, clock.clone())),
        Arc::new(TestGateway::new("http://localhost:8010")),
    );
    let session = billing.checkout(&db, buyer, order.into()).await?;
    println!("checkout session {} for order {order}", session.session_id);

    // What the provider posts when the buyer has paid.
    let event = json!({
        "id": "evt_example", "object": "event", "type": "checkout.session.completed",
        "data": {"object": {
            "id": session.session_id, "object": "checkout.session", "payment_status": "paid",
            "amount_total": 1999, "currency": "usd", "payment_intent": "pi_example",
            "metadata": {"order_id": order.to_string()}
        }}
    });
    let payload = serde_json::to_vec(&event)?;
    let forged = signature::sign(&payload, b"not-the-secret", clock.now_ms() / 1000);
    let Err(refused) = billing.receive_webhook(&db, &payload, Some(&forged)).await else {
        return Err("a signature made with another secret is refused".into());
    };
    println!("forged: {refused}");

    let header = signature::sign(&payload, SECRET.as_bytes(), clock.now_ms() / 1000);
    let first = billing
        .receive_webhook(&db, &payload, Some(&header))
        .await?;
    let again = billing
        .receive_webhook(&db, &payload, Some(&header))
        .await?;
    println!("delivered: {first:?}; delivered again: {again:?}");
    assert_eq!(
        (first, again),
        (Outcome::Applied, Outcome::AlreadyProcessed)
    );
    println!("owns now: {}", library::owns(&db, buyer, movie).await?);
    Ok(())
}
