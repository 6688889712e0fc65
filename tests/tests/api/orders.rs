//! Orders: placed from the whole cart, left-out movies reported, prices kept, read, listed,
//! canceled, expired, and the admin list.

use std::time::Duration;

use cinema_identity::Role;
use cinema_tests::{TestApp, WAIT};
use reqwest::Method;
use serde_json::{Value, json};

use cinema_tests::order_movie_ids as ids;

#[tokio::test]
async fn an_order_takes_the_whole_cart_at_current_prices_and_empties_it() {
    let app = TestApp::spawn().await;
    let catalog = app.catalog().await;
    let token = app.buyer().await;
    let (a, b) = (catalog.movies["Inception"], catalog.movies["Interstellar"]);
    app.fill_cart(&token, &[a, b]).await;
    let order = app.order_ok(&token).await;
    assert_eq!(order["status"], "pending");
    assert_eq!(order["total_amount"], "22.49");
    assert_eq!(ids(&order), [a, b]);
    assert_eq!(order["items"][0]["title"], "Inception");
    assert_eq!(order["items"][0]["price_at_order"], "9.99");
    assert_eq!(order["items"][1]["price_at_order"], "12.50");
    assert_eq!(order["skipped"], json!([]));
    assert!(app.cart_ids(&token).await.is_empty());

    // A later price change does not touch the order.
    let res = app
        .json(
            Method::PATCH,
            &format!("/api/v1/movies/{a}"),
            Some(&catalog.moderator),
            json!({"price": "19.99"}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let id = order["id"].as_i64().unwrap();
    let again: Value = app
        .get_as(&token, &format!("/api/v1/orders/{id}"))
        .await
        .json();
    assert_eq!(again["items"][0]["price_at_order"], "9.99");
    assert_eq!(again["total_amount"], "22.49");
}

#[tokio::test]
async fn an_empty_cart_cannot_be_ordered() {
    let app = TestApp::spawn().await;
    let token = app.buyer().await;
    let problem = app.place_order(&token).await.problem(400);
    assert!(
        problem.detail.contains("cart is empty"),
        "{}",
        problem.detail
    );
}

#[tokio::test]
async fn a_movie_paid_late_after_going_back_into_the_cart_leaves_the_cart_for_the_library() {
    // Money taken in time is reported after the order's end, after its movie went back into
    // the cart, before the expiry job came round (here: never). The payment moves the movie's
    // one hold from the cart to the library: it is owned, no longer in the cart, and the next
    // order is made of the rest.
    let mut app = TestApp::spawn_with(&[("ORDER_PENDING_TTL_MINUTES", "1")]).await;
    app.stop_worker().await;
    let catalog = app.catalog().await;
    let token = app.buyer().await;
    let (owned, fresh) = (catalog.movies["Inception"], catalog.movies["Lady Bird"]);
    app.fill_cart(&token, &[owned]).await;
    let late = app.order_ok(&token).await["id"].as_i64().unwrap();
    let taken_at = app.clock.now_secs() as i64;
    // Past the order's minute, well within the access token's life.
    app.clock.advance(Duration::from_secs(61));
    app.fill_cart(&token, &[owned, fresh]).await;
    app.pay_taken_at(late, taken_at).await;

    assert_eq!(app.cart_ids(&token).await, [fresh]);
    let library: Value = app.get_as(&token, "/api/v1/library").await.json();
    assert_eq!(library["items"][0]["id"], owned, "{library}");
    let problem = app.add_to_cart(&token, owned).await.problem(400);
    assert!(
        problem.detail.contains("repeat purchases"),
        "{}",
        problem.detail
    );
    let order = app.order_ok(&token).await;
    assert_eq!(ids(&order), [fresh]);
    assert_eq!(order["skipped"], json!([]));
    let orders: Value = app.get_as(&token, "/api/v1/orders").await.json();
    assert_eq!(orders["total"], 2);
}

#[tokio::test]
async fn orders_list_newest_first_with_a_status_filter_and_only_your_own() {
    let app = TestApp::spawn().await;
    let catalog = app.catalog().await;
    let (ann, bob) = (app.buyer().await, app.buyer().await);
    app.fill_cart(&ann, &[catalog.movies["Inception"]]).await;
    let first = app.order_ok(&ann).await["id"].as_i64().unwrap();
    app.fill_cart(&ann, &[catalog.movies["Interstellar"]]).await;
    let second = app.order_ok(&ann).await["id"].as_i64().unwrap();
    app.fill_cart(&bob, &[catalog.movies["Inception"]]).await;
    app.order_ok(&bob).await;
    let res = app.cancel_order(&ann, first).await;
    assert_eq!(res.status, 200, "{}", res.text());

    let page: Value = app.get_as(&ann, "/api/v1/orders/").await.json();
    assert_eq!(page["total"], 2);
    let listed: Vec<i64> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_i64().unwrap())
        .collect();
    assert_eq!(listed, [second, first]);
    let page: Value = app
        .get_as(&ann, "/api/v1/orders?status=canceled")
        .await
        .json();
    assert_eq!(page["total"], 1);
    assert_eq!(page["items"][0]["id"], first);
    let page: Value = app
        .get_as(&ann, "/api/v1/orders?limit=1&skip=1")
        .await
        .json();
    assert_eq!(
        (page["total"].as_u64(), page["items"][0]["id"].as_i64()),
        (Some(2), Some(first))
    );
    let res = app.get_as(&ann, "/api/v1/orders?status=lost").await;
    assert_eq!(res.problem(422).status, 422);
}

#[tokio::test]
async fn someone_elses_order_is_not_found_but_admins_see_it() {
    let app = TestApp::spawn().await;
    let catalog = app.catalog().await;
    let (ann, bob) = (app.buyer().await, app.buyer().await);
    app.fill_cart(&ann, &[catalog.movies["Inception"]]).await;
    let id = app.order_ok(&ann).await["id"].as_i64().unwrap();
    let path = format!("/api/v1/orders/{id}");
    assert_eq!(app.get_as(&bob, &path).await.problem(404).status, 404);
    let res = app.cancel_order(&bob, id).await;
    assert_eq!(res.problem(404).status, 404);
    let (_, moderator) = app.user_with_role(Role::Moderator).await;
    assert_eq!(app.get_as(&moderator.access_token, &path).await.status, 404);
    let (_, admin) = app.user_with_role(Role::Admin).await;
    let res = app.get_as(&admin.access_token, &path).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json::<Value>()["id"], id);
    assert_eq!(
        app.get_as(&ann, "/api/v1/orders/0")
            .await
            .problem(404)
            .status,
        404
    );
}

#[tokio::test]
async fn only_a_pending_order_can_be_canceled_and_only_to_canceled() {
    let app = TestApp::spawn().await;
    let catalog = app.catalog().await;
    let token = app.buyer().await;
    app.fill_cart(&token, &[catalog.movies["Inception"]]).await;
    let id = app.order_ok(&token).await["id"].as_i64().unwrap();
    let status = |s: &str| json!({"status": s});
    let path = format!("/api/v1/orders/{id}/status");
    for asked in ["paid", "refunded", "expired", "pending"] {
        let res = app
            .json(Method::PATCH, &path, Some(&token), status(asked))
            .await;
        assert_eq!(res.problem(400).status, 400, "{asked}");
    }
    let res = app
        .json(Method::PATCH, &path, Some(&token), status("shipped"))
        .await;
    assert_eq!(res.problem(422).status, 422);
    let res = app
        .json(Method::PATCH, &path, Some(&token), status("canceled"))
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json::<Value>()["status"], "canceled");
    let res = app.cancel_order(&token, id).await;
    assert!(res.problem(409).detail.contains("canceled"));

    // A canceled order frees its movie for a new order; a paid one cannot be canceled.
    app.fill_cart(&token, &[catalog.movies["Inception"]]).await;
    let paid = app.order_ok(&token).await["id"].as_i64().unwrap();
    app.pay(paid).await;
    let res = app.cancel_order(&token, paid).await;
    let problem = res.problem(409);
    assert!(problem.detail.contains("refund"), "{}", problem.detail);
    let order: Value = app
        .get_as(&token, &format!("/api/v1/orders/{paid}"))
        .await
        .json();
    assert_eq!(order["status"], "paid");
}

#[tokio::test]
async fn stale_pending_orders_expire_through_the_scheduled_job() {
    let app = TestApp::spawn_with(&[
        ("ORDER_PENDING_TTL_MINUTES", "1"),
        ("ORDER_EXPIRY_INTERVAL_SECS", "1"),
    ])
    .await;
    let catalog = app.catalog().await;
    let token = app.buyer().await;
    let movie = catalog.movies["Inception"];
    app.fill_cart(&token, &[movie]).await;
    let order = app.order_ok(&token).await;
    let id = order["id"].as_i64().unwrap();
    // Past the order's minute, well within the access token's life.
    app.clock.advance(Duration::from_secs(61));
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let order: Value = app
            .get_as(&token, &format!("/api/v1/orders/{id}"))
            .await
            .json();
        if order["status"] == "expired" {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "still {}",
            order["status"]
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // An expired order holds nothing: the movie can be carted and ordered again.
    app.fill_cart(&token, &[movie]).await;
    let again = app.order_ok(&token).await;
    assert_eq!(ids(&again), [movie]);
    let res = app.cancel_order(&token, id).await;
    assert!(res.problem(409).detail.contains("expired"));
}

#[tokio::test]
async fn an_order_past_its_time_is_expired_when_touched_even_before_the_job() {
    let mut app = TestApp::spawn_with(&[("ORDER_PENDING_TTL_MINUTES", "1")]).await;
    // No expiry job at all: the request itself must see the order's time has run out.
    app.stop_worker().await;
    let catalog = app.catalog().await;
    let token = app.buyer().await;
    let movie = catalog.movies["Inception"];
    app.fill_cart(&token, &[movie]).await;
    let id = app.order_ok(&token).await["id"].as_i64().unwrap();
    // Past the order's minute, well within the access token's life.
    app.clock.advance(Duration::from_secs(61));
    // The stale order no longer holds the movie: it can go back into the cart.
    app.fill_cart(&token, &[movie]).await;
    let res = app.cancel_order(&token, id).await;
    assert!(res.problem(409).detail.contains("expired"));
    let order: Value = app
        .get_as(&token, &format!("/api/v1/orders/{id}"))
        .await
        .json();
    assert_eq!(order["status"], "expired");
}

#[tokio::test]
async fn admins_list_every_order_by_user_status_and_day() {
    let app = TestApp::spawn().await;
    let catalog = app.catalog().await;
    let (ann, bob) = (app.buyer().await, app.buyer().await);
    app.fill_cart(&ann, &[catalog.movies["Inception"]]).await;
    let anns = app.order_ok(&ann).await;
    app.fill_cart(&bob, &[catalog.movies["Inception"]]).await;
    let bobs = app.order_ok(&bob).await;
    app.pay(bobs["id"].as_i64().unwrap()).await;
    let (_, admin) = app.user_with_role(Role::Admin).await;
    let admin = admin.access_token;

    let page: Value = app.get_as(&admin, "/api/v1/orders/all").await.json();
    assert_eq!(page["total"], 2);
    let path = format!("/api/v1/orders/all?user_id={}", anns["user_id"]);
    let page: Value = app.get_as(&admin, &path).await.json();
    assert_eq!(
        (page["total"].as_u64(), &page["items"][0]["id"]),
        (Some(1), &anns["id"])
    );
    let page: Value = app
        .get_as(&admin, "/api/v1/orders/all?status=paid")
        .await
        .json();
    assert_eq!(
        (page["total"].as_u64(), &page["items"][0]["id"]),
        (Some(1), &bobs["id"])
    );
    let today = app.clock.today();
    let tomorrow = today.succ_opt().unwrap();
    let path = format!("/api/v1/orders/all?date_from={today}&date_to={today}");
    assert_eq!(app.get_as(&admin, &path).await.json::<Value>()["total"], 2);
    let path = format!("/api/v1/orders/all?date_from={tomorrow}");
    assert_eq!(app.get_as(&admin, &path).await.json::<Value>()["total"], 0);
    let path = format!("/api/v1/orders/all?date_from={tomorrow}&date_to={today}");
    assert_eq!(
        app.get_as(&admin, &path).await.problem(422).errors[0].field,
        "date_from"
    );
    let res = app
        .get_as(&admin, "/api/v1/orders/all?date_to=yesterday")
        .await;
    assert_eq!(res.problem(422).status, 422);
    assert_eq!(
        app.get_as(&ann, "/api/v1/orders/all")
            .await
            .problem(403)
            .status,
        403
    );
}
