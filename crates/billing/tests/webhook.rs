//! Webhooks through the library, as the HTTP endpoint will call them: signed Stripe-shaped
//! events that pay, decline and refund orders exactly once, whatever the duplicates, the
//! order of delivery or the forgeries.

#![expect(clippy::unwrap_used, reason = "test code")]

use cinema_kernel::{MovieId, OrderId, UserId};
use std::sync::Arc;

use cinema_billing::{
    Billing, BillingConfig, Error, Outcome, entity::checkout_session, signature,
    test_gateway::TestGateway,
};
use cinema_catalog::{Taxonomy, movies::MovieInput};
use cinema_commerce::{Commerce, CommerceConfig, OrderStatus, Viewer, library};
use cinema_kernel::{Money, time::Clock};
use cinema_notify::{JobOutbox, Templates};
use cinema_testkit::TestDatabase;
use sea_orm::{ActiveValue::Set, ConnectionTrait, DatabaseConnection, EntityTrait, Statement};
use serde_json::json;

const SECRET: &str = "whsec_test_secret";

struct Shop {
    db: DatabaseConnection,
    clock: Clock,
    commerce: Commerce,
    billing: Billing,
    movies: Vec<i64>,
    _database: TestDatabase,
}

impl Shop {
    async fn open() -> Self {
        let database = TestDatabase::create().await;
        let db = database.connect().await;
        let clock = Clock::system();
        let media = cinema_testkit::LocalMedia::new(&clock);
        let catalog = cinema_catalog::Catalog::new(db.clone(), media.media.clone(), clock.clone());
        let certification = catalog
            .create_name(Taxonomy::Certifications, "PG")
            .await
            .unwrap();
        let mut ids = Vec::new();
        for (n, price) in ["19.99", "5.00"].iter().enumerate() {
            let input = MovieInput {
                name: format!("Movie {n}"),
                year: 2001,
                time: 90,
                imdb_tenths: 70,
                votes: 1,
                meta_score: None,
                gross: None,
                description: "A movie.".into(),
                price: price.parse::<Money>().unwrap(),
                certification_id: certification.id,
                genre_ids: vec![],
                director_ids: vec![],
                star_ids: vec![],
            };
            ids.push(catalog.create_movie(input).await.unwrap().summary.movie.id);
        }
        let commerce = Commerce::new(CommerceConfig::default(), clock.clone());
        let outbox = Arc::new(JobOutbox::new(
            Templates::new("Cinema").unwrap(),
            clock.clone(),
        ));
        let config = BillingConfig {
            currency: "usd".into(),
            webhook_secret: SECRET.to_owned().into(),
            tolerance: signature::DEFAULT_TOLERANCE,
            refund_window: std::time::Duration::from_secs(14 * 86_400),
        };
        let gateway = Arc::new(TestGateway::new("http://localhost:8010"));
        Self {
            billing: Billing::new(config, clock.clone(), commerce.clone(), outbox, gateway),
            commerce,
            db,
            clock,
            movies: ids,
            _database: database,
        }
    }

    /// A user with a pending order for the first movie (19.99): (user, order).
    async fn pending_order(&self, name: &str) -> (i64, i64) {
        let user = cinema_testkit::active_user(&self.db, &self.clock, name)
            .await
            .get();
        self.commerce
            .add_to_cart(&self.db, UserId(user), MovieId(self.movies[0]))
            .await
            .unwrap();
        let order = self
            .commerce
            .place_order(&self.db, UserId(user))
            .await
            .unwrap();
        (user, order.order.order.id)
    }

    async fn deliver(&self, body: &serde_json::Value) -> cinema_billing::Result<Outcome> {
        let payload = serde_json::to_vec(body).unwrap();
        let header = signature::sign(&payload, SECRET.as_bytes(), self.clock.now_ms() / 1000);
        self.billing
            .receive_webhook(&self.db, &payload, Some(&header))
            .await
    }

    async fn status(&self, order: i64) -> OrderStatus {
        self.commerce
            .order(&self.db, Viewer::Staff, OrderId(order))
            .await
            .unwrap()
            .status()
    }

    async fn count(&self, sql: &str) -> i64 {
        let row = self
            .db
            .query_one_raw(Statement::from_string(self.db.get_database_backend(), sql))
            .await
            .unwrap()
            .unwrap();
        row.try_get("", "n").unwrap()
    }

    async fn emails(&self, subject_part: &str) -> usize {
        let rows = self
            .db
            .query_all_raw(Statement::from_string(
                self.db.get_database_backend(),
                "SELECT payload FROM jobs WHERE kind = 'email'",
            ))
            .await
            .unwrap();
        rows.iter()
            .filter(|r| {
                r.try_get::<String>("", "payload")
                    .unwrap()
                    .contains(subject_part)
            })
            .count()
    }
}

impl Shop {
    /// Records a Checkout Session or PaymentIntent opened for the order, as `checkout` does:
    /// events are trusted only for sessions and intents we opened.
    async fn opened(&self, id: &str, order: i64, kind: &str) {
        let attempt = self
            .count(&format!(
                "SELECT COUNT(*) AS n FROM checkout_sessions WHERE order_id = {order} AND kind = '{kind}'"
            ))
            .await;
        checkout_session::Entity::insert(checkout_session::ActiveModel {
            id: Set(id.to_owned()),
            order_id: Set(order),
            gateway: Set("test".into()),
            kind: Set(kind.into()),
            amount_cents: Set(1999),
            currency: Set("usd".into()),
            url: Set(None),
            client_secret: Set(None),
            status: Set("open".into()),
            expires_at: Set(self.clock.now_ms() + 3_600_000),
            created_at: Set(self.clock.now_ms()),
            attempt: Set(i32::try_from(attempt).unwrap()),
            declined_at: Set(None),
        })
        .exec_without_returning(&self.db)
        .await
        .unwrap();
    }

    /// A paid `checkout.session.completed` for a session opened for `order`.
    async fn completed(
        &self,
        event: &str,
        order: i64,
        cents: i64,
        currency: &str,
    ) -> serde_json::Value {
        self.opened(&format!("cs_{event}"), order, "checkout").await;
        completed(event, order, cents, currency)
    }
}

/// A paid `checkout.session.completed` event (`cs_{event}`, `pi_{event}`), whether or not
/// the session is ours.
fn completed(event: &str, order: i64, cents: i64, currency: &str) -> serde_json::Value {
    json!({
        "id": event, "object": "event", "type": "checkout.session.completed",
        "data": {"object": {
            "id": format!("cs_{event}"), "object": "checkout.session", "payment_status": "paid",
            "amount_total": cents, "currency": currency, "payment_intent": format!("pi_{event}"),
            "metadata": {"order_id": order.to_string()}
        }}
    })
}

#[tokio::test]
async fn a_paid_session_pays_the_order_grants_records_and_sends_a_receipt_once() {
    let shop = Shop::open().await;
    let (user, order) = shop.pending_order("ann").await;
    let event = shop.completed("evt_1", order, 1999, "usd").await;
    assert_eq!(shop.deliver(&event).await.unwrap(), Outcome::Applied);
    assert_eq!(shop.status(order).await, OrderStatus::Paid);
    assert!(
        library::owns(&shop.db, UserId(user), MovieId(shop.movies[0]))
            .await
            .unwrap()
    );
    assert_eq!(
        shop.count(
            "SELECT COUNT(*) AS n FROM payments WHERE status = 'successful' AND amount_cents = 1999"
        )
        .await,
        1
    );
    assert_eq!(
        shop.count("SELECT COUNT(*) AS n FROM payment_items WHERE price_cents = 1999")
            .await,
        1
    );
    assert_eq!(shop.emails("is paid").await, 1);

    // Again, and the same money under the intent's own event: nothing more (a Checkout
    // Session's PaymentIntent is not ours to settle by; its session's event did).
    assert_eq!(
        shop.deliver(&event).await.unwrap(),
        Outcome::AlreadyProcessed
    );
    let intent = json!({
        "id": "evt_2", "type": "payment_intent.succeeded",
        "data": {"object": {"id": "pi_evt_1", "object": "payment_intent", "amount_received": 1999,
                            "currency": "usd", "metadata": {"order_id": order}}}
    });
    assert_eq!(shop.deliver(&intent).await.unwrap(), Outcome::Ignored);
    // An expiry arriving late changes nothing.
    let expired = json!({"id": "evt_3", "type": "checkout.session.expired",
        "data": {"object": {"id": "cs_evt_1", "object": "checkout.session", "metadata": {"order_id": order.to_string()}}}});
    assert_eq!(shop.deliver(&expired).await.unwrap(), Outcome::Applied);
    assert_eq!(shop.status(order).await, OrderStatus::Paid);
    assert_eq!(shop.count("SELECT COUNT(*) AS n FROM payments").await, 1);
    assert_eq!(shop.emails("is paid").await, 1);
}

#[tokio::test]
async fn ten_concurrent_deliveries_make_one_payment_one_ownership_one_email() {
    let shop = Shop::open().await;
    let (_, order) = shop.pending_order("ann").await;
    let event = shop.completed("evt_storm", order, 1999, "usd").await;
    let outcomes = futures_util::future::join_all((0..10).map(|_| shop.deliver(&event))).await;
    let applied = outcomes
        .iter()
        .filter(|o| matches!(o, Ok(Outcome::Applied)))
        .count();
    assert_eq!(applied, 1, "{outcomes:?}");
    assert!(
        outcomes
            .iter()
            .all(|o| matches!(o, Ok(Outcome::Applied | Outcome::AlreadyProcessed))),
        "{outcomes:?}"
    );
    assert_eq!(shop.count("SELECT COUNT(*) AS n FROM payments").await, 1);
    assert_eq!(shop.count("SELECT COUNT(*) AS n FROM ownerships").await, 1);
    assert_eq!(shop.emails("is paid").await, 1);
}

#[tokio::test]
async fn forged_stale_and_unsigned_deliveries_change_nothing() {
    let shop = Shop::open().await;
    let (_, order) = shop.pending_order("ann").await;
    let payload = serde_json::to_vec(&completed("evt_x", order, 1999, "usd")).unwrap();
    let now = shop.clock.now_ms() / 1000;
    let forged = signature::sign(&payload, b"not the secret", now);
    let stale = signature::sign(&payload, SECRET.as_bytes(), now - 301);
    for header in [
        Some(forged.as_str()),
        Some(stale.as_str()),
        None,
        Some("garbage"),
    ] {
        let res = shop
            .billing
            .receive_webhook(&shop.db, &payload, header)
            .await;
        assert!(matches!(res, Err(Error::BadSignature(_))), "{res:?}");
    }
    let header = signature::sign(b"not json", SECRET.as_bytes(), now);
    assert!(matches!(
        shop.billing
            .receive_webhook(&shop.db, b"not json", Some(&header))
            .await,
        Err(Error::MalformedEvent(_))
    ));
    assert_eq!(shop.status(order).await, OrderStatus::Pending);
    assert_eq!(
        shop.count("SELECT COUNT(*) AS n FROM webhook_events").await,
        0
    );
}

#[tokio::test]
async fn a_wrong_amount_or_currency_pays_nothing_and_is_given_back() {
    let shop = Shop::open().await;
    let (user, order) = shop.pending_order("ann").await;
    for (n, (cents, currency)) in [(1998, "usd"), (1999, "eur")].into_iter().enumerate() {
        let event = shop
            .completed(&format!("evt_bad{n}"), order, cents, currency)
            .await;
        assert_eq!(shop.deliver(&event).await.unwrap(), Outcome::Applied);
    }
    assert_eq!(shop.status(order).await, OrderStatus::Pending);
    assert!(
        !library::owns(&shop.db, UserId(user), MovieId(shop.movies[0]))
            .await
            .unwrap()
    );
    // Owed back, and given back through the gateway right after the event's commit.
    assert_eq!(
        shop.count(
            "SELECT COUNT(*) AS n FROM payments WHERE status = 'refunded' AND refund_id IS NOT NULL"
        )
        .await,
        2
    );
    assert_eq!(shop.emails("is paid").await, 0);
    assert_eq!(shop.emails("was refunded").await, 2);
}

#[tokio::test]
async fn money_for_a_canceled_order_grants_nothing_and_is_given_back() {
    let shop = Shop::open().await;
    let (user, order) = shop.pending_order("ann").await;
    shop.commerce
        .cancel_order(&shop.db, Viewer::User(user), OrderId(order))
        .await
        .unwrap();
    let event = shop.completed("evt_late", order, 1999, "usd").await;
    assert_eq!(shop.deliver(&event).await.unwrap(), Outcome::Applied);
    assert_eq!(shop.status(order).await, OrderStatus::Canceled);
    assert!(
        !library::owns(&shop.db, UserId(user), MovieId(shop.movies[0]))
            .await
            .unwrap()
    );
    assert_eq!(
        shop.count("SELECT COUNT(*) AS n FROM payments WHERE status = 'refunded'")
            .await,
        1
    );
    assert_eq!(shop.emails("was refunded").await, 1);
}

#[tokio::test]
async fn a_decline_leaves_the_order_payable_and_says_so() {
    let shop = Shop::open().await;
    let (_, order) = shop.pending_order("ann").await;
    shop.opened("pi_f", order, "intent").await;
    let failed = json!({"id": "evt_f", "type": "payment_intent.payment_failed",
        "data": {"object": {"id": "pi_f", "object": "payment_intent", "amount": 1999, "currency": "usd",
                            "metadata": {"order_id": order.to_string()}}}});
    assert_eq!(shop.deliver(&failed).await.unwrap(), Outcome::Applied);
    assert_eq!(shop.status(order).await, OrderStatus::Pending);
    assert_eq!(shop.emails("did not go through").await, 1);
    // Declined again in the same session: the payer was told once.
    let mut again = failed.clone();
    again["id"] = json!("evt_f2");
    assert_eq!(shop.deliver(&again).await.unwrap(), Outcome::Applied);
    assert_eq!(shop.emails("did not go through").await, 1);
    // It can still be paid.
    assert_eq!(
        shop.deliver(&shop.completed("evt_ok", order, 1999, "usd").await)
            .await
            .unwrap(),
        Outcome::Applied
    );
    assert_eq!(shop.status(order).await, OrderStatus::Paid);
}

#[tokio::test]
async fn a_refund_takes_ownership_back_once_and_lets_the_movie_be_bought_again() {
    let shop = Shop::open().await;
    let (user, order) = shop.pending_order("ann").await;
    shop.deliver(&shop.completed("evt_pay", order, 1999, "usd").await)
        .await
        .unwrap();
    let refunded = json!({"id": "evt_r", "type": "charge.refunded",
        "data": {"object": {"id": "ch_1", "object": "charge", "payment_intent": "pi_evt_pay",
                            "amount_refunded": 1999, "currency": "usd"}}});
    assert_eq!(shop.deliver(&refunded).await.unwrap(), Outcome::Applied);
    assert_eq!(shop.status(order).await, OrderStatus::Refunded);
    assert!(
        !library::owns(&shop.db, UserId(user), MovieId(shop.movies[0]))
            .await
            .unwrap()
    );
    assert_eq!(
        shop.count("SELECT COUNT(*) AS n FROM payments WHERE status = 'refunded'")
            .await,
        1
    );
    assert_eq!(shop.emails("was refunded").await, 1);
    let again = json!({"id": "evt_r2", "type": "charge.refunded",
        "data": {"object": {"id": "ch_1", "object": "charge", "payment_intent": "pi_evt_pay"}}});
    assert_eq!(
        shop.deliver(&again).await.unwrap(),
        Outcome::AlreadyProcessed
    );
    assert_eq!(shop.emails("was refunded").await, 1);
    shop.commerce
        .add_to_cart(&shop.db, UserId(user), MovieId(shop.movies[0]))
        .await
        .unwrap();
}

#[tokio::test]
async fn unknown_events_and_unknown_orders_are_acknowledged_and_ignored() {
    let shop = Shop::open().await;
    let other =
        json!({"id": "evt_o", "type": "customer.created", "data": {"object": {"id": "cus_1"}}});
    assert_eq!(shop.deliver(&other).await.unwrap(), Outcome::Ignored);
    assert_eq!(
        shop.deliver(&completed("evt_n", 999_999, 1999, "usd"))
            .await
            .unwrap(),
        Outcome::Ignored
    );
    assert_eq!(shop.count("SELECT COUNT(*) AS n FROM payments").await, 0);
}

#[tokio::test]
async fn money_taken_in_time_pays_however_late_it_is_reported_and_late_money_goes_back() {
    let shop = Shop::open().await;
    let (user, order) = shop.pending_order("ann").await;
    let (late_user, late_order) = shop.pending_order("bob").await;
    let taken_in_time = shop.clock.now_ms() / 1000 + 60;
    // 31 minutes later: both orders are past their 30 minutes, the expiry job has not run.
    shop.clock.advance(std::time::Duration::from_secs(31 * 60));
    let mut event = shop.completed("evt_delayed", order, 1999, "usd").await;
    event["created"] = json!(taken_in_time);
    assert_eq!(shop.deliver(&event).await.unwrap(), Outcome::Applied);
    assert_eq!(shop.status(order).await, OrderStatus::Paid);
    assert!(
        library::owns(&shop.db, UserId(user), MovieId(shop.movies[0]))
            .await
            .unwrap()
    );

    let mut event = shop.completed("evt_late", late_order, 1999, "usd").await;
    event["created"] = json!(shop.clock.now_ms() / 1000);
    assert_eq!(shop.deliver(&event).await.unwrap(), Outcome::Applied);
    assert_ne!(shop.status(late_order).await, OrderStatus::Paid);
    assert!(
        !library::owns(&shop.db, UserId(late_user), MovieId(shop.movies[0]))
            .await
            .unwrap()
    );
    assert_eq!(
        shop.count("SELECT COUNT(*) AS n FROM payments WHERE status = 'refunded'")
            .await,
        1
    );
}

#[tokio::test]
async fn an_event_naming_another_order_than_its_session_pays_nothing_and_the_genuine_one_still_pays()
 {
    let shop = Shop::open().await;
    let (ann, order) = shop.pending_order("ann").await;
    let (bob, other) = shop.pending_order("bob").await;
    shop.opened("cs_ann", order, "checkout").await;
    let event = |id: &str, named: i64, intent: &str| {
        json!({"id": id, "object": "event", "type": "checkout.session.completed",
            "data": {"object": {"id": "cs_ann", "object": "checkout.session", "payment_status": "paid",
                "amount_total": 1999, "currency": "usd", "payment_intent": intent,
                "metadata": {"order_id": named.to_string()}}}})
    };
    // Ann's session, with metadata naming Bob's order: neither order is paid, the money goes back.
    let mismatched = event("evt_mismatch", other, "pi_mismatch");
    assert_eq!(shop.deliver(&mismatched).await.unwrap(), Outcome::Applied);
    assert_eq!(shop.status(other).await, OrderStatus::Pending);
    assert_eq!(shop.status(order).await, OrderStatus::Pending);
    assert!(
        !library::owns(&shop.db, UserId(bob), MovieId(shop.movies[0]))
            .await
            .unwrap()
    );
    assert_eq!(
        shop.count("SELECT COUNT(*) AS n FROM payments WHERE status = 'refunded' AND payment_intent_id = 'pi_mismatch'")
            .await,
        1
    );
    // The session's genuine event is still honoured.
    let genuine = event("evt_genuine", order, "pi_genuine");
    assert_eq!(shop.deliver(&genuine).await.unwrap(), Outcome::Applied);
    assert_eq!(shop.status(order).await, OrderStatus::Paid);
    assert!(
        library::owns(&shop.db, UserId(ann), MovieId(shop.movies[0]))
            .await
            .unwrap()
    );
    assert_eq!(shop.emails("is paid").await, 1);
}
