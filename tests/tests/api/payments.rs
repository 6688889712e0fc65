//! Payments over HTTP: the built-in test gateway's page end to end, checkout sessions, the
//! webhook's signature and exactly-once processing, and the payment status.

use cinema_tests::{TestApp, WEBHOOK_SECRET};
use futures_util::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};

async fn checkout(app: &TestApp, token: &str, order_id: i64) -> cinema_tests::TestResponse {
    app.checkout(token, order_id).await
}

#[tokio::test]
async fn a_person_buys_a_movie_with_zero_configuration_through_the_test_gateway_page() {
    let app = TestApp::spawn().await;
    let catalog = app.catalog().await;
    let tokens = app.sign_up("buyer@example.com").await;
    let token = tokens.access_token;
    let movie = catalog.movies["Inception"];
    app.fill_cart(&token, &[movie]).await;
    let order = app.order_ok(&token).await["id"].as_i64().unwrap();

    let res = checkout(&app, &token, order).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let body: Value = res.json();
    let url = body["checkout_url"].as_str().unwrap().to_owned();
    assert!(url.starts_with(&app.address), "{url}");
    assert_eq!(body["order_id"], order);
    let page = app.send(app.client.get(&url)).await;
    assert_eq!(page.status, 200);
    assert!(
        page.header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    let html = page.text();
    assert!(
        html.contains("Inception") && html.contains("9.99"),
        "{html}"
    );

    let res = app.press(&token, order, "pay").await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert!(res.text().contains("Paid"));
    let library: Value = app.get_as(&token, "/api/v1/library").await.json();
    assert_eq!(library["items"][0]["id"], movie);
    let status: Value = app
        .get_as(&token, &format!("/api/v1/orders/{order}/payment-status"))
        .await
        .json();
    assert_eq!(status["order_status"], "paid");
    assert_eq!(status["payment_status"], "successful");
    let subjects = app.subjects_to("buyer@example.com", 3).await;
    assert!(
        subjects
            .iter()
            .any(|s| s.contains(&format!("Order {order} is paid"))),
        "{subjects:?}"
    );
    // The session is spent: pressing again is refused, and the order cannot be checked out.
    let problem = checkout(&app, &token, order).await.problem(409);
    assert!(problem.detail.contains("paid"), "{}", problem.detail);
}

#[tokio::test]
async fn a_decline_leaves_the_order_payable_and_e_mails_advice() {
    let app = TestApp::spawn().await;
    let catalog = app.catalog().await;
    let tokens = app.sign_up("decline@example.com").await;
    let token = tokens.access_token;
    app.fill_cart(&token, &[catalog.movies["Interstellar"]])
        .await;
    let order = app.order_ok(&token).await["id"].as_i64().unwrap();
    let res = app.press(&token, order, "decline").await;
    assert_eq!(res.status, 200, "{}", res.text());
    let order_now: Value = app
        .get_as(&token, &format!("/api/v1/orders/{order}"))
        .await
        .json();
    assert_eq!(order_now["status"], "pending");
    let subjects = app.subjects_to("decline@example.com", 3).await;
    assert!(
        subjects.iter().any(|s| s.contains("did not go through")),
        "{subjects:?}"
    );
    let res = app.press(&token, order, "pay").await;
    assert_eq!(res.status, 200, "{}", res.text());
    let order_now: Value = app
        .get_as(&token, &format!("/api/v1/orders/{order}"))
        .await
        .json();
    assert_eq!(order_now["status"], "paid");
}

#[tokio::test]
async fn concurrent_checkouts_share_one_session_and_only_the_owner_may_open_one() {
    let app = TestApp::spawn().await;
    let catalog = app.catalog().await;
    let (token, other) = (app.buyer().await, app.buyer().await);
    app.fill_cart(&token, &[catalog.movies["Inception"]]).await;
    let order = app.order_ok(&token).await["id"].as_i64().unwrap();
    let answers = join_all((0..8).map(|_| checkout(&app, &token, order))).await;
    let sessions: std::collections::BTreeSet<String> = answers
        .iter()
        .map(|r| {
            assert_eq!(r.status, 200, "{}", r.text());
            r.json::<Value>()["session_id"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(sessions.len(), 1, "{sessions:?}");
    assert_eq!(checkout(&app, &other, order).await.problem(404).status, 404);
    let res = app
        .get_as(&other, &format!("/api/v1/orders/{order}/payment-status"))
        .await;
    assert_eq!(res.problem(404).status, 404);
    let res = app.cancel_order(&token, order).await;
    assert_eq!(res.status, 200);
    assert_eq!(checkout(&app, &token, order).await.problem(409).status, 409);
}

#[tokio::test]
async fn a_changed_price_is_reported_before_paying_and_the_next_checkout_charges_it() {
    let app = TestApp::spawn().await;
    let catalog = app.catalog().await;
    let token = app.buyer().await;
    let movie = catalog.movies["Inception"];
    app.fill_cart(&token, &[movie]).await;
    let order = app.order_ok(&token).await["id"].as_i64().unwrap();
    let res = app
        .json(
            Method::PATCH,
            &format!("/api/v1/movies/{movie}"),
            Some(&catalog.moderator),
            json!({"price": "11.00"}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let problem = checkout(&app, &token, order).await.problem(409);
    assert!(
        problem.detail.contains("11.00") && problem.detail.contains("9.99"),
        "{}",
        problem.detail
    );
    let res = checkout(&app, &token, order).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let order_now: Value = app
        .get_as(&token, &format!("/api/v1/orders/{order}"))
        .await
        .json();
    assert_eq!(order_now["total_amount"], "11.00");
}

#[tokio::test]
async fn forged_and_stale_webhooks_are_refused_and_change_nothing() {
    let app = TestApp::spawn().await;
    let catalog = app.catalog().await;
    let token = app.buyer().await;
    app.fill_cart(&token, &[catalog.movies["Inception"]]).await;
    let order = app.order_ok(&token).await["id"].as_i64().unwrap();
    let event = json!({"id": "evt_forged", "type": "checkout.session.completed",
        "data": {"object": {"id": "cs_x", "object": "checkout.session", "payment_status": "paid",
                            "amount_total": 999, "currency": "usd", "payment_intent": "pi_x",
                            "metadata": {"order_id": order.to_string()}}}});
    let payload = serde_json::to_vec(&event).unwrap();
    let now = app.clock.now_secs() as i64;
    let forged = cinema_billing::signature::sign(&payload, b"whsec_wrong", now);
    let stale = cinema_billing::signature::sign(&payload, WEBHOOK_SECRET.as_bytes(), now - 400);
    for header in [Some(forged), Some(stale), None] {
        let mut request = app
            .client
            .post(app.url("/api/v1/webhooks/stripe"))
            .header("content-type", "application/json")
            .body(payload.clone());
        if let Some(header) = header {
            request = request.header("stripe-signature", header);
        }
        assert_eq!(app.send(request).await.problem(400).status, 400);
    }
    let order_now: Value = app
        .get_as(&token, &format!("/api/v1/orders/{order}"))
        .await
        .json();
    assert_eq!(order_now["status"], "pending");
    // Unknown events are acknowledged.
    let res = app
        .deliver_webhook(&json!({"id": "evt_u", "type": "customer.created", "data": {"object": {"id": "cus_1"}}}))
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json::<Value>(), json!({"received": true}));
}

#[tokio::test]
async fn the_same_webhook_ten_times_at_once_pays_once() {
    let app = TestApp::spawn().await;
    let catalog = app.catalog().await;
    let tokens = app.sign_up("storm@example.com").await;
    let token = tokens.access_token;
    app.fill_cart(&token, &[catalog.movies["Inception"]]).await;
    let order = app.order_ok(&token).await["id"].as_i64().unwrap();
    let session = app.session_opened(order, 999, "checkout").await;
    let event = json!({"id": "evt_storm", "type": "checkout.session.completed",
        "data": {"object": {"id": session, "object": "checkout.session", "payment_status": "paid",
                            "amount_total": 999, "currency": "usd", "payment_intent": "pi_storm",
                            "metadata": {"order_id": order.to_string()}}}});
    let answers = join_all((0..10).map(|_| app.deliver_webhook(&event))).await;
    assert!(
        answers.iter().all(|r| r.status == 200),
        "{:?}",
        answers.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    let status: Value = app
        .get_as(&token, &format!("/api/v1/orders/{order}/payment-status"))
        .await
        .json();
    assert_eq!(status["order_status"], "paid");
    let library: Value = app.get_as(&token, "/api/v1/library").await.json();
    assert_eq!(library["total"], 1);
    assert_eq!(
        app.email_job_rows("storm@example.com")
            .await
            .iter()
            .filter(|j| j.payload.contains("is paid"))
            .count(),
        1
    );
}

#[tokio::test]
async fn the_test_gateway_form_refuses_foreign_tokens_and_bad_actions() {
    let app = TestApp::spawn().await;
    let catalog = app.catalog().await;
    let token = app.buyer().await;
    app.fill_cart(&token, &[catalog.movies["Inception"]]).await;
    let order = app.order_ok(&token).await["id"].as_i64().unwrap();
    let url = checkout(&app, &token, order).await.json::<Value>()["checkout_url"]
        .as_str()
        .unwrap()
        .to_owned();
    let post = |body: &'static str| {
        app.send(
            app.client
                .post(&url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body),
        )
    };
    assert_eq!(post("action=pay&token=00").await.problem(409).status, 409);
    assert_eq!(post("action=steal&token=00").await.problem(422).status, 422);
    assert_eq!(post("").await.problem(422).errors.len(), 2);
    let res = app
        .send(
            app.client
                .get(app.url("/api/v1/payments/test-gateway/cs_test_nope")),
        )
        .await;
    assert_eq!(res.problem(404).status, 404);
    let order_now: Value = app
        .get_as(&token, &format!("/api/v1/orders/{order}"))
        .await
        .json();
    assert_eq!(order_now["status"], "pending");
}

#[tokio::test]
async fn a_mobile_intent_is_paid_on_the_test_page_then_refunded_and_bought_again() {
    let app = TestApp::spawn().await;
    let catalog = app.catalog().await;
    let (email, tokens) = app.user_with_role(cinema_identity::Role::User).await;
    let token = tokens.access_token;
    let movie = catalog.movies["Inception"];
    app.fill_cart(&token, &[movie]).await;
    let order = app.order_ok(&token).await["id"].as_i64().unwrap();
    let path = format!("/api/v1/payments/{order}");
    let res = app.json(Method::POST, &path, Some(&token), json!({})).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let intent: Value = res.json();
    let intent_id = intent["payment_intent_id"].as_str().unwrap().to_owned();
    assert!(intent_id.starts_with("pi_test_"), "{intent}");
    let page = app.url(&format!("/api/v1/payments/test-gateway/{intent_id}"));
    let res = app.press_on_page(&page, "pay").await;
    assert_eq!(res.status, 200, "{}", res.text());
    let library: Value = app.get_as(&token, "/api/v1/library").await.json();
    assert_eq!(library["items"][0]["id"], movie);

    let mine: Value = app.get_as(&token, "/api/v1/payments").await.json();
    assert_eq!(mine["total"], 1);
    let payment = &mine["items"][0];
    assert_eq!(payment["amount"], "9.99");
    assert_eq!(payment["currency"], "usd");
    assert_eq!(payment["gateway"], "test");
    assert_eq!(payment["items"][0]["title"], "Inception");
    let payment_id = payment["id"].as_i64().unwrap();

    let refund = format!("/api/v1/payments/{payment_id}/refund");
    let res = app
        .json(Method::POST, &refund, Some(&token), json!({}))
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json::<Value>()["status"], "refunded");
    let library: Value = app.get_as(&token, "/api/v1/library").await.json();
    assert_eq!(library["total"], 0);
    let problem = app
        .json(Method::POST, &refund, Some(&token), json!({}))
        .await
        .problem(409);
    assert!(
        problem.detail.contains("already refunded"),
        "{}",
        problem.detail
    );
    let subjects = app.subjects_to(&email, 2).await;
    assert!(
        subjects.iter().any(|s| s.contains("was refunded")),
        "{subjects:?}"
    );
    let refunded: Value = app
        .get_as(&token, "/api/v1/payments?status=refunded")
        .await
        .json();
    assert_eq!(refunded["total"], 1);
    let successful: Value = app
        .get_as(&token, "/api/v1/payments?status=successful")
        .await
        .json();
    assert_eq!(successful["total"], 0);

    // The movie can be bought again.
    let again = app.buy(&token, &[movie]).await;
    assert!(again > order);
    let library: Value = app.get_as(&token, "/api/v1/library").await.json();
    assert_eq!(library["total"], 1);
}

#[tokio::test]
async fn payment_history_is_private_and_the_admin_list_needs_an_admin() {
    let app = TestApp::spawn().await;
    let catalog = app.catalog().await;
    let (buyer, other) = (app.buyer().await, app.buyer().await);
    app.buy(&buyer, &[catalog.movies["Inception"]]).await;
    let theirs: Value = app.get_as(&other, "/api/v1/payments").await.json();
    assert_eq!(theirs["total"], 0);
    let mine: Value = app.get_as(&buyer, "/api/v1/payments").await.json();
    let payment = mine["items"][0]["id"].as_i64().unwrap();
    let path = format!("/api/v1/payments/{payment}/refund");
    app.json(Method::POST, &path, Some(&other), json!({}))
        .await
        .problem(404);
    app.get_as(&buyer, "/api/v1/payments/admin")
        .await
        .problem(403);
    app.get("/api/v1/payments").await.problem(401);
    app.json(
        Method::POST,
        "/api/v1/payments/999999/refund",
        Some(&buyer),
        json!({}),
    )
    .await
    .problem(404);
    app.get_as(&buyer, "/api/v1/payments?limit=0")
        .await
        .problem(422);
}

/// The test gateway's page of a fresh checkout for `token`'s new order of `movie`.
async fn open_page(app: &TestApp, token: &str, movie: i64) -> (i64, String) {
    app.fill_cart(token, &[movie]).await;
    let order = app.order_ok(token).await["id"].as_i64().unwrap();
    let url = checkout(app, token, order).await.json::<Value>()["checkout_url"]
        .as_str()
        .unwrap()
        .to_owned();
    (order, url)
}

/// Presses `action` on a page whose form was loaded before the order changed.
async fn press_stale(
    app: &TestApp,
    url: &str,
    form: &str,
    action: &str,
) -> cinema_tests::TestResponse {
    let token = form
        .split("name=\"token\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap();
    app.send(
        app.client
            .post(url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("action={action}&token={token}")),
    )
    .await
}

#[tokio::test]
async fn a_test_gateway_page_whose_order_changed_refuses_to_pay_and_says_why() {
    let app = TestApp::spawn().await;
    let catalog = app.catalog().await;
    let token = app.buyer().await;
    // Canceled after the page was loaded.
    let (order, url) = open_page(&app, &token, catalog.movies["Inception"]).await;
    let form = app.send(app.client.get(&url)).await.text();
    assert_eq!(app.cancel_order(&token, order).await.status, 200);
    let problem = press_stale(&app, &url, &form, "pay").await.problem(409);
    assert!(problem.detail.contains("canceled"), "{}", problem.detail);
    let page = app.send(app.client.get(&url)).await.text();
    assert!(
        page.contains("canceled") && !page.contains("<form"),
        "{page}"
    );
    // Re-priced after the page was loaded.
    let (order, url) = open_page(&app, &token, catalog.movies["Interstellar"]).await;
    let form = app.send(app.client.get(&url)).await.text();
    let res = app
        .json(
            Method::PATCH,
            &format!("/api/v1/movies/{}", catalog.movies["Interstellar"]),
            Some(&catalog.moderator),
            json!({"price": "15.00"}),
        )
        .await;
    assert_eq!(res.status, 200);
    // Checking the order out again re-prices it (and says so); the old page's total is stale.
    assert_eq!(checkout(&app, &token, order).await.status, 409);
    let problem = press_stale(&app, &url, &form, "pay").await.problem(409);
    assert!(problem.detail.contains("15.00"), "{}", problem.detail);
    // Expired.
    let (_, url) = open_page(&app, &token, catalog.movies["Little Women"]).await;
    let form = app.send(app.client.get(&url)).await.text();
    app.clock.advance(std::time::Duration::from_secs(31 * 60));
    let problem = press_stale(&app, &url, &form, "pay").await.problem(409);
    assert!(problem.detail.contains("expired"), "{}", problem.detail);
    // Nothing was paid, nothing granted, no money recorded.
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM ownerships").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM payments").await, 0);
}

#[tokio::test]
async fn declining_again_and_again_on_one_page_e_mails_the_owner_once() {
    let app = TestApp::spawn().await;
    let catalog = app.catalog().await;
    let tokens = app.sign_up("declined@example.com").await;
    let (_, url) = open_page(&app, &tokens.access_token, catalog.movies["Inception"]).await;
    for _ in 0..5 {
        let res = app.press_on_page(&url, "decline").await;
        assert_eq!(res.status, 200, "{}", res.text());
    }
    let declines = app
        .emails_with("declined@example.com", "did not go through")
        .await;
    assert_eq!(declines, 1);
}

#[tokio::test]
async fn concurrent_refunds_of_one_payment_answer_200_once_and_409_to_the_others() {
    let app = TestApp::spawn().await;
    let catalog = app.catalog().await;
    let (_, admin) = app.user_with_role(cinema_identity::Role::Admin).await;
    let token = app.sign_up("twice@example.com").await.access_token;
    app.fill_cart(&token, &[catalog.movies["Inception"]]).await;
    let order = app.order_ok(&token).await["id"].as_i64().unwrap();
    assert_eq!(app.press(&token, order, "pay").await.status, 200);
    let mine: Value = app.get_as(&token, "/api/v1/payments").await.json();
    let payment = mine["items"][0]["id"].as_i64().unwrap();
    let path = format!("/api/v1/payments/{payment}/refund");
    let answers = join_all((0..4).map(|i| {
        let who = if i % 2 == 0 {
            &admin.access_token
        } else {
            &token
        };
        app.json(Method::POST, &path, Some(who), json!({}))
    }))
    .await;
    let mut statuses: Vec<u16> = answers.iter().map(|r| r.status.as_u16()).collect();
    statuses.sort();
    assert_eq!(
        statuses,
        [200, 409, 409, 409],
        "{:?}",
        answers.iter().map(|r| r.text()).collect::<Vec<_>>()
    );
    for res in answers.iter().filter(|r| r.status == 409) {
        assert!(res.text().contains("already refunded"), "{}", res.text());
    }
    assert_eq!(
        app.emails_with("twice@example.com", "was refunded").await,
        1
    );
}
