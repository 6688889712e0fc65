//! Commerce used as another Rust service would: no HTTP, only the crates. Statement counts
//! that do not grow with the cart or the page (no N+1), re-pricing before payment, payment and
//! refund inside the caller's transaction, and the ownership one-liner.

#![expect(clippy::unwrap_used, reason = "test code")]

use cinema_kernel::{MovieId, OrderId, UserId};

use cinema_catalog::{
    Taxonomy,
    movies::{MovieInput, MoviePatch},
};
use cinema_commerce::{
    Commerce, CommerceConfig, Error, OrderFilter, OrderStatus, VerifiedPayment, Viewer, library,
};
use cinema_kernel::{Money, db::begin_write, page::PageRequest, time::Clock};
use cinema_testkit::{StatementCount, TestDatabase};
use sea_orm::DatabaseConnection;

/// A migrated database whose connection counts the statements it runs.
async fn database() -> (TestDatabase, DatabaseConnection, StatementCount) {
    let database = TestDatabase::create().await;
    let mut db = database.connect().await;
    let statements = StatementCount::on(&mut db);
    (database, db, statements)
}

struct Shop {
    db: DatabaseConnection,
    clock: Clock,
    commerce: Commerce,
    catalog: cinema_catalog::Catalog,
    statements: StatementCount,
    movies: Vec<i64>,
    _database: TestDatabase,
}

impl Shop {
    /// Twenty movies at 1.01, 1.02, … with two genres each.
    async fn open() -> Self {
        let (database, db, statements) = database().await;
        let clock = Clock::system();
        let media = cinema_testkit::LocalMedia::new(&clock);
        let catalog = cinema_catalog::Catalog::new(db.clone(), media.media.clone(), clock.clone());
        let certification = catalog
            .create_name(Taxonomy::Certifications, "PG")
            .await
            .unwrap();
        let drama = catalog
            .create_name(Taxonomy::Genres, "Drama")
            .await
            .unwrap();
        let noir = catalog
            .create_name(Taxonomy::Genres, "Film-Noir")
            .await
            .unwrap();
        let mut ids = Vec::new();
        for n in 1..=20 {
            let input = MovieInput {
                name: format!("Movie {n}"),
                year: 2001,
                time: 90,
                imdb_tenths: 70,
                votes: 1,
                meta_score: None,
                gross: None,
                description: "A movie.".into(),
                price: Money::from_cents(100 + n).unwrap(),
                certification_id: certification.id,
                genre_ids: vec![drama.id, noir.id],
                director_ids: vec![],
                star_ids: vec![],
            };
            let movie = catalog.create_movie(input).await.unwrap();
            ids.push(movie.summary.movie.id);
        }
        Self {
            commerce: Commerce::new(CommerceConfig::default(), clock.clone()),
            catalog,
            db,
            clock,
            statements,
            movies: ids,
            _database: database,
        }
    }

    async fn user(&self, name: &str) -> i64 {
        cinema_testkit::active_user(&self.db, &self.clock, name)
            .await
            .get()
    }

    async fn fill(&self, user: i64, movies: &[i64]) {
        for &movie in movies {
            self.commerce
                .add_to_cart(&self.db, UserId(user), MovieId(movie))
                .await
                .unwrap();
        }
    }

    /// How many statements `f` ran.
    async fn count<T>(&self, f: impl std::future::Future<Output = T>) -> (usize, T) {
        self.statements.during(f).await
    }

    async fn pay(&self, order_id: i64, cents: i64) -> cinema_commerce::Result<()> {
        let txn = begin_write(&self.db).await.unwrap();
        let payment = VerifiedPayment {
            amount: Money::from_cents(cents).unwrap(),
        };
        self.commerce
            .pay_in(&txn, OrderId(order_id), &payment)
            .await?;
        txn.commit().await.unwrap();
        Ok(())
    }
}

#[tokio::test]
async fn reading_the_cart_ordering_and_listing_cost_the_same_for_one_movie_or_twenty() {
    let shop = Shop::open().await;
    let (one, many) = (shop.user("one").await, shop.user("many").await);
    shop.fill(one, &shop.movies[..1]).await;
    shop.fill(many, &shop.movies).await;

    let (small, cart) = shop.count(shop.commerce.cart(&shop.db, UserId(one))).await;
    assert_eq!(cart.unwrap().lines.len(), 1);
    let (large, cart) = shop.count(shop.commerce.cart(&shop.db, UserId(many))).await;
    assert_eq!(cart.unwrap().lines.len(), 20);
    assert_eq!(small, large, "reading a cart");
    assert!(small > 0, "the counter counts");

    let (small, placed) = shop
        .count(shop.commerce.place_order(&shop.db, UserId(one)))
        .await;
    assert_eq!(placed.unwrap().order.items.len(), 1);
    let (large, placed) = shop
        .count(shop.commerce.place_order(&shop.db, UserId(many)))
        .await;
    let placed = placed.unwrap();
    assert_eq!(placed.order.items.len(), 20);
    assert_eq!(small, large, "placing an order");
    assert!(large <= 12, "placing an order took {large} statements");

    // Nineteen more orders of one movie each for `one`: a page of one against a page of twenty.
    for &movie in &shop.movies[1..] {
        shop.fill(one, &[movie]).await;
        shop.commerce
            .place_order(&shop.db, UserId(one))
            .await
            .unwrap();
    }
    let filter = OrderFilter {
        user_id: Some(one),
        ..OrderFilter::default()
    };
    let page = |limit| PageRequest::new(None, Some(limit), 100).unwrap();
    let (small, list) = shop
        .count(shop.commerce.orders(&shop.db, &filter, page(1)))
        .await;
    assert_eq!(list.unwrap().total, 20);
    let (large, list) = shop
        .count(shop.commerce.orders(&shop.db, &filter, page(20)))
        .await;
    assert_eq!(list.unwrap().items.len(), 20);
    assert_eq!(small, large, "listing orders");

    shop.pay(placed.order.order.id, placed.order.order.total_cents)
        .await
        .unwrap();
    let (small, owned) = shop
        .count(library::list(&shop.db, UserId(many), page(1)))
        .await;
    assert_eq!(owned.unwrap().items.len(), 1);
    let (large, owned) = shop
        .count(library::list(&shop.db, UserId(many), page(20)))
        .await;
    assert_eq!(owned.unwrap().items.len(), 20);
    assert_eq!(small, large, "listing the library");
}

#[tokio::test]
async fn a_changed_price_is_reported_before_payment_and_the_order_follows_it() {
    let shop = Shop::open().await;
    let user = shop.user("ann").await;
    let (a, b) = (shop.movies[0], shop.movies[1]);
    shop.fill(user, &[a, b]).await;
    let order = shop
        .commerce
        .place_order(&shop.db, UserId(user))
        .await
        .unwrap()
        .order;
    assert_eq!(order.total().to_string(), "2.03");

    // Unchanged: nothing to report.
    let txn = begin_write(&shop.db).await.unwrap();
    let same = shop
        .commerce
        .reprice_in(&txn, Viewer::User(user), OrderId(order.order.id))
        .await
        .unwrap();
    txn.commit().await.unwrap();
    assert_eq!(same.unchanged().unwrap().total().to_string(), "2.03");

    let patch = MoviePatch {
        price: Some("5.00".parse().unwrap()),
        ..MoviePatch::default()
    };
    shop.catalog.update_movie(MovieId(a), patch).await.unwrap();
    let txn = begin_write(&shop.db).await.unwrap();
    let repriced = shop
        .commerce
        .reprice_in(&txn, Viewer::User(user), OrderId(order.order.id))
        .await
        .unwrap();
    txn.commit().await.unwrap();
    match repriced.unchanged() {
        Err(Error::TotalChanged { old, new, .. }) => {
            assert_eq!(
                (old.to_string(), new.to_string()),
                ("2.03".into(), "6.02".into())
            );
        }
        other => panic!("expected a changed total, got {other:?}"),
    }
    // The order now says what it costs; paying the old amount is refused.
    let stored = shop
        .commerce
        .order(&shop.db, Viewer::Staff, OrderId(order.order.id))
        .await
        .unwrap();
    assert_eq!(stored.total().to_string(), "6.02");
    assert_eq!(stored.items[0].price_cents, 500);
    assert!(matches!(
        shop.pay(order.order.id, 203).await,
        Err(Error::AmountMismatch { .. })
    ));
    // Someone else cannot re-price it.
    let other = shop.user("bob").await;
    let txn = begin_write(&shop.db).await.unwrap();
    let hidden = shop
        .commerce
        .reprice_in(&txn, Viewer::User(other), OrderId(order.order.id))
        .await
        .err()
        .unwrap();
    assert_eq!(
        cinema_kernel::DomainError::kind(&hidden),
        cinema_kernel::ErrorKind::NotFound
    );
}

#[tokio::test]
async fn payment_grants_refund_revokes_and_neither_happens_twice() {
    let shop = Shop::open().await;
    let user = shop.user("ann").await;
    let movie = shop.movies[3];
    shop.fill(user, &[movie]).await;
    let order = shop
        .commerce
        .place_order(&shop.db, UserId(user))
        .await
        .unwrap()
        .order;
    let id = order.order.id;
    assert!(
        !library::owns(&shop.db, UserId(user), MovieId(movie))
            .await
            .unwrap()
    );

    shop.pay(id, order.order.total_cents).await.unwrap();
    assert!(
        library::owns(&shop.db, UserId(user), MovieId(movie))
            .await
            .unwrap()
    );
    assert!(matches!(
        shop.pay(id, order.order.total_cents).await,
        Err(Error::Transition(_))
    ));

    let txn = begin_write(&shop.db).await.unwrap();
    let refunded = shop.commerce.refund_in(&txn, OrderId(id)).await.unwrap();
    txn.commit().await.unwrap();
    assert_eq!(refunded.status(), OrderStatus::Refunded);
    assert!(
        !library::owns(&shop.db, UserId(user), MovieId(movie))
            .await
            .unwrap()
    );
    let txn = begin_write(&shop.db).await.unwrap();
    assert!(matches!(
        shop.commerce.refund_in(&txn, OrderId(id)).await,
        Err(Error::Transition(_))
    ));
    drop(txn);
    // Refunded, it can be bought again.
    shop.fill(user, &[movie]).await;
}

#[tokio::test]
async fn expiry_from_many_workers_at_once_expires_each_order_once() {
    let shop = Shop::open().await;
    let mut orders = Vec::new();
    for (n, &movie) in shop.movies.iter().take(5).enumerate() {
        let user = shop.user(&format!("u{n}")).await;
        shop.fill(user, &[movie]).await;
        orders.push(
            shop.commerce
                .place_order(&shop.db, UserId(user))
                .await
                .unwrap(),
        );
    }
    shop.clock.advance(std::time::Duration::from_secs(31 * 60));
    let (a, b, c, d) = tokio::join!(
        shop.commerce.expire_stale(&shop.db),
        shop.commerce.expire_stale(&shop.db),
        shop.commerce.expire_stale(&shop.db),
        shop.commerce.expire_stale(&shop.db),
    );
    let runs = [a.unwrap(), b.unwrap(), c.unwrap(), d.unwrap()];
    assert_eq!(runs.iter().sum::<u64>(), 5, "{runs:?}");
    for placed in orders {
        let order = shop
            .commerce
            .order(&shop.db, Viewer::Staff, OrderId(placed.order.order.id))
            .await
            .unwrap();
        assert_eq!(order.status(), OrderStatus::Expired);
    }
}
