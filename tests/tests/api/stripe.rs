//! Payments through the Stripe adapter, against a fake that speaks Stripe's protocol (see
//! `cinema_tests::StripeFake`): the same purchase as through the test gateway, PaymentIntents,
//! idempotency keys, refunds (ours and the gateway's `charge.refunded`), events in any order,
//! money for a canceled order given back, and the gateway being down.

use std::time::Duration;

use cinema_identity::Role;
use cinema_tests::TestApp;
use futures_util::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};

/// A buyer with a pending order for Inception (9.99) and Interstellar (12.50).
async fn pending_order(app: &TestApp) -> (String, i64, [i64; 2]) {
    let (_, token, order, movies) = buyer_with_order(app).await;
    (token, order, movies)
}

/// The same, with the buyer's e-mail: (email, token, order, movies).
async fn buyer_with_order(app: &TestApp) -> (String, String, i64, [i64; 2]) {
    let catalog = app.catalog().await;
    let (email, tokens) = app.user_with_role(Role::User).await;
    let token = tokens.access_token;
    let movies = [catalog.movies["Inception"], catalog.movies["Interstellar"]];
    app.fill_cart(&token, &movies).await;
    let order = app.order_ok(&token).await["id"].as_i64().unwrap();
    (email, token, order, movies)
}

async fn session_of(app: &TestApp, token: &str, order: i64) -> Value {
    let res = app.checkout(token, order).await;
    assert_eq!(res.status, 200, "{}", res.text());
    res.json()
}

/// Pays the order through its Stripe session (events delivered in order); the payment's id.
async fn pay_through_stripe(app: &TestApp, token: &str, order: i64) -> i64 {
    let session = session_of(app, token, order).await;
    let statuses = app
        .stripe()
        .complete_session(session["session_id"].as_str().unwrap())
        .await;
    assert_eq!(statuses, [200, 200]);
    payments(app, token, "/api/v1/payments").await[0]["id"]
        .as_i64()
        .unwrap()
}

async fn library_ids(app: &TestApp, token: &str) -> Vec<i64> {
    let library: Value = app.get_as(token, "/api/v1/library").await.json();
    library["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_i64().unwrap())
        .collect()
}

async fn payments(app: &TestApp, token: &str, path: &str) -> Vec<Value> {
    let res = app.get_as(token, path).await;
    assert_eq!(res.status, 200, "{}", res.text());
    res.json::<Value>()["items"].as_array().unwrap().clone()
}

async fn refund(app: &TestApp, token: &str, payment: i64) -> cinema_tests::TestResponse {
    let path = format!("/api/v1/payments/{payment}/refund");
    app.json(Method::POST, &path, Some(token), json!({})).await
}

/// Polls until `check` holds (events the fake sends on its own arrive asynchronously), for
/// at most [`cinema_tests::WAIT`].
async fn eventually<F, Fut>(mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + cinema_tests::WAIT;
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the condition never held"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_purchase_through_stripe_sends_exact_cents_and_pays_once_the_events_arrive() {
    let app = TestApp::spawn_with_stripe(&[]).await;
    let email = "stripe-buyer@example.com";
    let token = app.sign_up(email).await.access_token;
    let catalog = app.catalog().await;
    let movies = [catalog.movies["Inception"], catalog.movies["Interstellar"]];
    app.fill_cart(&token, &movies).await;
    let order = app.order_ok(&token).await["id"].as_i64().unwrap();

    let session = session_of(&app, &token, order).await;
    let session_id = session["session_id"].as_str().unwrap();
    assert!(session_id.starts_with("cs_test_"), "{session}");
    assert!(
        session["checkout_url"]
            .as_str()
            .unwrap()
            .starts_with("https://checkout.stripe.com/")
    );
    let sent = app.stripe().requests("/v1/checkout/sessions");
    assert_eq!(sent.len(), 1);
    let sent = &sent[0];
    // 9.99 + 12.50 in exact cents, the configured currency, the order in metadata.
    let amounts = [
        sent.field("line_items[0][price_data][unit_amount]"),
        sent.field("line_items[1][price_data][unit_amount]"),
    ];
    assert_eq!(amounts, [Some("999"), Some("1250")]);
    assert_eq!(
        sent.field("line_items[0][price_data][currency]"),
        Some("usd")
    );
    assert_eq!(
        sent.field("line_items[0][price_data][product_data][name]"),
        Some("Inception")
    );
    assert_eq!(
        sent.field("metadata[order_id]"),
        Some(order.to_string().as_str())
    );
    assert_eq!(
        sent.field("payment_intent_data[metadata][order_id]"),
        Some(order.to_string().as_str())
    );
    assert_eq!(sent.field("customer_email"), Some(email));
    let key = sent.idempotency_key.clone().unwrap();
    assert!(
        key.contains(&format!("order-{order}-")) && key.contains("2249"),
        "{key}"
    );

    // Reused while open: no second session at Stripe.
    let again = session_of(&app, &token, order).await;
    assert_eq!(again["session_id"], session["session_id"]);
    assert_eq!(app.stripe().requests("/v1/checkout/sessions").len(), 1);

    assert_eq!(app.stripe().complete_session(session_id).await, [200, 200]);
    let mut owned = library_ids(&app, &token).await;
    owned.sort_unstable();
    let mut expected = movies.to_vec();
    expected.sort_unstable();
    assert_eq!(owned, expected);
    // Activation, welcome, receipt.
    let subjects = app.subjects_to(email, 3).await;
    assert!(
        subjects.iter().any(|s| s.contains("is paid")),
        "{subjects:?}"
    );
    let mine = payments(&app, &token, "/api/v1/payments").await;
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["amount"], "22.49");
    assert_eq!(mine[0]["status"], "successful");
    assert_eq!(mine[0]["gateway"], "stripe");
    assert_eq!(mine[0]["items"].as_array().unwrap().len(), 2);
    let status: Value = app
        .get_as(&token, &format!("/api/v1/orders/{order}/payment-status"))
        .await
        .json();
    assert_eq!(status["order_status"], "paid");
}

#[tokio::test]
async fn concurrent_checkouts_open_one_session_at_stripe() {
    let app = TestApp::spawn_with_stripe(&[]).await;
    let (token, order, _) = pending_order(&app).await;
    let answers = join_all((0..8).map(|_| app.checkout(&token, order))).await;
    let mut ids: Vec<String> = answers
        .iter()
        .map(|r| {
            assert_eq!(r.status, 200, "{}", r.text());
            r.json::<Value>()["session_id"].as_str().unwrap().to_owned()
        })
        .collect();
    ids.dedup();
    assert_eq!(ids.len(), 1, "{ids:?}");
    // Every call that reached Stripe carried the same key, so Stripe made one session.
    let keys: std::collections::HashSet<_> = app
        .stripe()
        .requests("/v1/checkout/sessions")
        .into_iter()
        .map(|r| r.idempotency_key)
        .collect();
    assert_eq!(keys.len(), 1);
    assert_eq!(app.stripe().sessions().len(), 1);
}

#[tokio::test]
async fn stripe_down_answers_503_and_changes_nothing() {
    let app = TestApp::spawn_with_stripe(&[]).await;
    let (token, order, movies) = pending_order(&app).await;
    app.stripe().set_down(true);
    let res = app.checkout(&token, order).await;
    res.problem(503);
    assert_eq!(
        res.header("retry-after"),
        Some("2"),
        "a 503 says when to retry"
    );
    let path = format!("/api/v1/payments/{order}");
    app.json(Method::POST, &path, Some(&token), json!({}))
        .await
        .problem(503);
    app.stripe().set_down(false);
    let payment = pay_through_stripe(&app, &token, order).await;

    // A refund while Stripe is down: 503, the order stays paid and the movies owned.
    app.stripe().set_down(true);
    refund(&app, &token, payment).await.problem(503);
    assert_eq!(library_ids(&app, &token).await.len(), movies.len());
    let mine = payments(&app, &token, "/api/v1/payments").await;
    assert_eq!(mine[0]["status"], "successful");
    assert!(app.stripe().refunds().is_empty());
    app.stripe().set_down(false);
    let res = refund(&app, &token, payment).await;
    assert_eq!(res.status, 200, "{}", res.text());
}

#[tokio::test]
async fn a_request_stripe_refuses_is_a_502_naming_the_refusal_not_a_503() {
    let app = TestApp::spawn_with_stripe(&[]).await;
    let (token, order, movies) = pending_order(&app).await;
    app.stripe()
        .set_refusing(Some("Invalid currency: xyz is not supported."));
    for res in [
        app.checkout(&token, order).await,
        app.json(
            Method::POST,
            &format!("/api/v1/payments/{order}"),
            Some(&token),
            json!({}),
        )
        .await,
    ] {
        assert_eq!(res.header("retry-after"), None);
        let problem = res.problem(502);
        assert_eq!(
            problem.problem_type,
            "urn:cinema:problem:payment-provider-refused"
        );
        assert!(
            problem.detail.contains("Invalid currency"),
            "{}",
            problem.detail
        );
    }
    app.stripe().set_refusing(None);
    let payment = pay_through_stripe(&app, &token, order).await;
    app.stripe()
        .set_refusing(Some("This charge cannot be refunded."));
    let problem = refund(&app, &token, payment).await.problem(502);
    assert!(
        problem.detail.contains("cannot be refunded"),
        "{}",
        problem.detail
    );
    assert_eq!(library_ids(&app, &token).await.len(), movies.len());
}

#[tokio::test]
async fn a_refund_takes_the_movies_back_once_and_they_can_be_bought_again() {
    let app = TestApp::spawn_with_stripe(&[]).await;
    let (email, token, order, movies) = buyer_with_order(&app).await;
    let payment = pay_through_stripe(&app, &token, order).await;

    // Someone else's payment is not found; the owner's is refunded in full.
    let other = app.buyer().await;
    refund(&app, &other, payment).await.problem(404);
    let res = refund(&app, &token, payment).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json::<Value>()["status"], "refunded");
    let refunds = app.stripe().refunds();
    assert_eq!(refunds.len(), 1);
    assert_eq!(refunds[0]["amount"], 2249);
    let sent = &app.stripe().requests("/v1/refunds")[0];
    assert_eq!(
        sent.idempotency_key.as_deref(),
        Some(format!("cinema-refund-payment-{payment}").as_str())
    );
    assert!(library_ids(&app, &token).await.is_empty());
    let order_now: Value = app
        .get_as(&token, &format!("/api/v1/orders/{order}"))
        .await
        .json();
    assert_eq!(order_now["status"], "refunded");
    // Stripe's own `charge.refunded` follows: acknowledged, it changes nothing more.
    eventually(|| async { app.stripe().delivered("charge.refunded") == [200] }).await;
    refund(&app, &token, payment).await.problem(409);
    let subjects = app.subjects_to(&email, 2).await;
    let refunded = subjects
        .iter()
        .filter(|s| s.contains("was refunded"))
        .count();
    assert_eq!(refunded, 1, "{subjects:?}");

    // Bought again: a new order, a new session, paid.
    app.fill_cart(&token, &movies).await;
    let again = app.order_ok(&token).await["id"].as_i64().unwrap();
    pay_through_stripe(&app, &token, again).await;
    assert_eq!(library_ids(&app, &token).await.len(), 2);
}

#[tokio::test]
async fn money_for_a_canceled_order_is_refunded_at_stripe_automatically() {
    let app = TestApp::spawn_with_stripe(&[]).await;
    let (token, order, _) = pending_order(&app).await;
    let session = session_of(&app, &token, order).await;
    let res = app.cancel_order(&token, order).await;
    assert_eq!(res.status, 200, "{}", res.text());
    // The payer finishes paying the session anyway.
    let statuses = app
        .stripe()
        .complete_session(session["session_id"].as_str().unwrap())
        .await;
    assert_eq!(statuses, [200, 200]);
    assert!(library_ids(&app, &token).await.is_empty());
    let refunds = app.stripe().refunds();
    assert_eq!(refunds.len(), 1, "{refunds:?}");
    assert_eq!(refunds[0]["amount"], 2249);
    let mine = payments(&app, &token, "/api/v1/payments").await;
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["status"], "refunded");
    let order_now: Value = app
        .get_as(&token, &format!("/api/v1/orders/{order}"))
        .await
        .json();
    assert_eq!(order_now["status"], "canceled");
}

#[tokio::test]
async fn events_in_any_order_and_repeated_take_effect_once() {
    let app = TestApp::spawn_with_stripe(&[]).await;
    let (token, order, movies) = pending_order(&app).await;
    let session = session_of(&app, &token, order).await;
    let session_id = session["session_id"].as_str().unwrap();
    let mut events = app.stripe().pay_session(session_id);
    // `payment_intent.succeeded` first, then `completed` twice, then a late `expired`.
    events.reverse();
    events.push(events[1].clone());
    events.push(app.stripe().expire_session(session_id));
    for event in &events {
        assert_eq!(app.stripe().deliver(event).await, 200);
    }
    assert_eq!(library_ids(&app, &token).await.len(), movies.len());
    let mine = payments(&app, &token, "/api/v1/payments").await;
    assert_eq!(mine.len(), 1, "{mine:?}");
    assert_eq!(mine[0]["status"], "successful");
    let order_now: Value = app
        .get_as(&token, &format!("/api/v1/orders/{order}"))
        .await
        .json();
    assert_eq!(order_now["status"], "paid");
    assert!(app.stripe().refunds().is_empty());
}

#[tokio::test]
async fn a_mobile_payment_intent_is_reused_and_pays_the_order() {
    let app = TestApp::spawn_with_stripe(&[]).await;
    let (token, order, movies) = pending_order(&app).await;
    let path = format!("/api/v1/payments/{order}");
    let res = app.json(Method::POST, &path, Some(&token), json!({})).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let intent: Value = res.json();
    let intent_id = intent["payment_intent_id"].as_str().unwrap().to_owned();
    assert!(
        intent["client_secret"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{intent_id}_secret_"))
    );
    let again: Value = app
        .json(Method::POST, &path, Some(&token), json!({}))
        .await
        .json();
    assert_eq!(again["payment_intent_id"], intent_id.as_str());
    let sent = app.stripe().requests("/v1/payment_intents");
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].field("amount"), Some("2249"));
    assert_eq!(sent[0].field("currency"), Some("usd"));
    assert_eq!(
        sent[0].field("metadata[order_id]"),
        Some(order.to_string().as_str())
    );
    assert!(sent[0].idempotency_key.is_some());
    // Someone else's order: 404.
    let other = app.buyer().await;
    app.json(Method::POST, &path, Some(&other), json!({}))
        .await
        .problem(404);

    let event = app.stripe().pay_intent(&intent_id);
    assert_eq!(app.stripe().deliver(&event).await, 200);
    assert_eq!(library_ids(&app, &token).await.len(), movies.len());
    // Paid: no new intent.
    app.json(Method::POST, &path, Some(&token), json!({}))
        .await
        .problem(409);
}

#[tokio::test]
async fn owners_refund_within_the_window_admins_any_time_and_admins_list_everything() {
    let app = TestApp::spawn_with_stripe(&[("REFUND_WINDOW_DAYS", "14")]).await;
    let (email, tokens) = app.user_with_role(Role::User).await;
    let token = tokens.access_token;
    let catalog = app.catalog().await;
    app.fill_cart(&token, &[catalog.movies["Inception"]]).await;
    let order = app.order_ok(&token).await["id"].as_i64().unwrap();
    let payment = pay_through_stripe(&app, &token, order).await;

    app.clock.advance(Duration::from_secs(15 * 86_400));
    let token = app
        .login_ok(&email, cinema_tests::strong_password())
        .await
        .access_token;
    let problem = refund(&app, &token, payment).await.problem(403);
    assert!(problem.detail.contains("14 days"), "{}", problem.detail);

    let (_, admin) = app.user_with_role(Role::Admin).await;
    let admin = admin.access_token;
    app.get_as(&token, "/api/v1/payments/admin")
        .await
        .problem(403);
    let all = payments(&app, &admin, "/api/v1/payments/admin?status=successful").await;
    assert_eq!(all.len(), 1);
    let user_id = all[0]["user_id"].as_i64().unwrap();
    let res = refund(&app, &admin, payment).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let filtered = format!("/api/v1/payments/admin?user_id={user_id}&status=refunded");
    assert_eq!(payments(&app, &admin, &filtered).await.len(), 1);
    let none = payments(&app, &admin, "/api/v1/payments/admin?status=successful").await;
    assert!(none.is_empty());
    let day = all[0]["created_at"].as_str().unwrap()[..10].to_owned();
    let on_day = format!("/api/v1/payments/admin?date_from={day}&date_to={day}");
    assert_eq!(payments(&app, &admin, &on_day).await.len(), 1);
    let before = "/api/v1/payments/admin?date_to=2020-01-01";
    assert!(payments(&app, &admin, before).await.is_empty());
    let from_after_to = format!("/api/v1/payments/admin?date_from={day}&date_to=2020-01-01");
    app.get_as(&admin, &from_after_to).await.problem(422);
}

#[tokio::test]
async fn money_owed_while_stripe_is_down_is_refunded_by_the_retry_job() {
    let app = TestApp::spawn_with_stripe(&[("REFUND_RETRY_INTERVAL_SECS", "1")]).await;
    let (token, order, _) = pending_order(&app).await;
    let session = session_of(&app, &token, order).await;
    let events = app
        .stripe()
        .pay_session(session["session_id"].as_str().unwrap());
    app.cancel_order(&token, order).await;
    // The payment arrives while refunds cannot be made: it is recorded as owed, acknowledged.
    app.stripe().set_down(true);
    for event in &events {
        assert_eq!(app.stripe().deliver(event).await, 200);
    }
    let mine = payments(&app, &token, "/api/v1/payments").await;
    assert_eq!(mine[0]["status"], "refund_due");
    assert!(app.stripe().refunds().is_empty());
    app.stripe().set_down(false);
    eventually(|| async {
        payments(&app, &token, "/api/v1/payments").await[0]["status"] == "refunded"
    })
    .await;
    assert_eq!(app.stripe().refunds().len(), 1);
    assert!(library_ids(&app, &token).await.is_empty());
}
