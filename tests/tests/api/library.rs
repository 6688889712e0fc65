//! The library (owned movies) and the catalog's delete rule, which consults ownership, carts
//! and pending orders.

use cinema_tests::TestApp;
use serde_json::Value;

#[tokio::test]
async fn the_library_lists_paid_movies_newest_first_with_their_catalog_summary() {
    let app = TestApp::spawn().await;
    let catalog = app.catalog().await;
    let token = app.buyer().await;
    let empty: Value = app.get_as(&token, "/api/v1/library").await.json();
    assert_eq!(
        (
            empty["total"].as_u64(),
            empty["items"].as_array().map(Vec::len)
        ),
        (Some(0), Some(0))
    );
    let (a, b) = (catalog.movies["Inception"], catalog.movies["Interstellar"]);
    let first = app.buy(&token, &[a]).await;
    // A pending order does not own anything yet.
    app.fill_cart(&token, &[b]).await;
    let pending = app.order_ok(&token).await["id"].as_i64().unwrap();
    let page: Value = app.get_as(&token, "/api/v1/library/").await.json();
    assert_eq!(page["total"], 1);
    let item = &page["items"][0];
    assert_eq!(
        (item["id"].as_i64(), item["name"].as_str()),
        (Some(a), Some("Inception"))
    );
    assert_eq!(item["order_id"], first);
    assert_eq!(item["certification"]["name"], "PG-13");
    assert_eq!(item["genres"].as_array().unwrap().len(), 2);
    assert!(item["acquired_at"].as_str().unwrap().ends_with('Z'));

    app.clock.advance(std::time::Duration::from_secs(1));
    app.pay(pending).await;
    let page: Value = app.get_as(&token, "/api/v1/library?limit=1").await.json();
    assert_eq!(
        (page["total"].as_u64(), page["items"][0]["id"].as_i64()),
        (Some(2), Some(b))
    );
    // Someone else's library is their own.
    let other = app.buyer().await;
    assert_eq!(
        app.get_as(&other, "/api/v1/library").await.json::<Value>()["total"],
        0
    );
    assert_eq!(app.get("/api/v1/library").await.problem(401).status, 401);
}

#[tokio::test]
async fn a_bought_movie_cannot_be_deleted_even_by_force() {
    let app = TestApp::spawn().await;
    let catalog = app.catalog().await;
    let token = app.buyer().await;
    let movie = catalog.movies["Inception"];
    app.buy(&token, &[movie]).await;
    for path in [
        format!("/api/v1/movies/{movie}"),
        format!("/api/v1/movies/{movie}?force=true"),
    ] {
        let problem = app.delete_as(&catalog.moderator, &path).await.problem(409);
        assert!(
            problem.detail.contains("bought by 1 user"),
            "{}",
            problem.detail
        );
    }
    assert_eq!(
        app.get(&format!("/api/v1/movies/{movie}")).await.status,
        200
    );
}

#[tokio::test]
async fn a_movie_in_carts_and_pending_orders_is_deleted_only_by_force_which_releases_it() {
    let app = TestApp::spawn().await;
    let catalog = app.catalog().await;
    let (ann, bob, cy) = (app.buyer().await, app.buyer().await, app.buyer().await);
    let (doomed, kept) = (catalog.movies["Inception"], catalog.movies["Interstellar"]);
    app.fill_cart(&ann, &[doomed]).await;
    app.fill_cart(&bob, &[doomed, kept]).await;
    let bobs = app.order_ok(&bob).await["id"].as_i64().unwrap();
    app.fill_cart(&cy, &[doomed]).await;
    let cys = app.order_ok(&cy).await["id"].as_i64().unwrap();

    let path = format!("/api/v1/movies/{doomed}");
    let problem = app.delete_as(&catalog.moderator, &path).await.problem(409);
    assert!(
        problem.detail.contains("1 cart and 2 pending orders"),
        "{}",
        problem.detail
    );
    let res = app
        .delete_as(&catalog.moderator, &format!("{path}?force=true"))
        .await;
    assert_eq!(res.status, 204, "{}", res.text());
    assert_eq!(app.get(&path).await.status, 404);
    assert!(app.cart_ids(&ann).await.is_empty());
    let order: Value = app
        .get_as(&bob, &format!("/api/v1/orders/{bobs}"))
        .await
        .json();
    assert_eq!(order["status"], "pending");
    assert_eq!(order["total_amount"], "12.50");
    assert_eq!(order["items"].as_array().unwrap().len(), 1);
    assert_eq!(order["items"][0]["movie_id"], kept);
    // An order left empty is canceled.
    let order: Value = app
        .get_as(&cy, &format!("/api/v1/orders/{cys}"))
        .await
        .json();
    assert_eq!(order["status"], "canceled");
    assert_eq!(order["items"], serde_json::json!([]));
}

#[tokio::test]
async fn a_movie_only_in_canceled_orders_is_deleted_and_the_orders_keep_its_title() {
    let app = TestApp::spawn().await;
    let catalog = app.catalog().await;
    let token = app.buyer().await;
    let movie = catalog.movies["Zero Dark"];
    app.fill_cart(&token, &[movie]).await;
    let id = app.order_ok(&token).await["id"].as_i64().unwrap();
    let res = app.cancel_order(&token, id).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let res = app
        .delete_as(&catalog.moderator, &format!("/api/v1/movies/{movie}"))
        .await;
    assert_eq!(res.status, 204, "{}", res.text());
    let order: Value = app
        .get_as(&token, &format!("/api/v1/orders/{id}"))
        .await
        .json();
    assert_eq!(order["items"][0]["movie_id"], Value::Null);
    assert_eq!(order["items"][0]["title"], "Zero Dark");
    assert_eq!(order["items"][0]["price_at_order"], "1.99");
}
