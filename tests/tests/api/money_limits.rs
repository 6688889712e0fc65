//! Money that cannot wrap: prices have an upper bound, every sum is checked, and no checkout is
//! opened for nothing or for more than one payment can take.

use cinema_tests::TestApp;
use reqwest::Method;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

#[tokio::test]
async fn a_price_above_max_price_is_refused_naming_the_limit() {
    let app = TestApp::spawn().await;
    let catalog = app.catalog().await;
    let movie = catalog.movies["Inception"];
    let body = |name: &str, price: Value| {
        json!({"name": name, "year": 2001, "time": 90, "imdb": 7.0, "votes": 1,
               "description": "A movie.", "price": price,
               "certification_id": catalog.certifications["R"]})
    };
    for price in [
        json!("92233720368547758.07"),
        json!("10000.01"),
        json!(10001),
    ] {
        let res = app
            .create_movie(&catalog.moderator, body("Too dear", price.clone()))
            .await;
        let problem = res.problem(422);
        assert_eq!(problem.errors[0].field, "price", "{price}");
        assert!(
            problem.errors[0].message.contains("10000.00"),
            "{}",
            problem.errors[0].message
        );
        let res = app
            .json(
                Method::PATCH,
                &format!("/api/v1/movies/{movie}"),
                Some(&catalog.moderator),
                json!({"price": price}),
            )
            .await;
        assert_eq!(res.problem(422).errors[0].field, "price");
    }
    let res = app
        .create_movie(&catalog.moderator, body("Dear enough", json!("10000.00")))
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    // The bound is configurable.
    let cheap = TestApp::spawn_with(&[("MAX_PRICE", "50.00")]).await;
    let catalog = cheap.catalog().await;
    let res = cheap
        .json(
            Method::PATCH,
            &format!("/api/v1/movies/{}", catalog.movies["Inception"]),
            Some(&catalog.moderator),
            json!({"price": "50.01"}),
        )
        .await;
    assert!(res.problem(422).errors[0].message.contains("50.00"));
}

#[tokio::test]
async fn sums_of_prices_that_would_overflow_are_refused_never_wrapped() {
    let app = TestApp::spawn().await;
    let catalog = app.catalog().await;
    let dear = [catalog.movies["Inception"], catalog.movies["Interstellar"]];
    let cheap = catalog.movies["Zero Dark"];
    // Prices stored before the bound existed: two at the largest amount, one at 0.03.
    app.db()
        .execute_unprepared(&format!(
            "UPDATE movies SET price_cents = 9223372036854775807 WHERE id IN ({}, {})",
            dear[0], dear[1]
        ))
        .await
        .unwrap();
    app.db()
        .execute_unprepared(&format!(
            "UPDATE movies SET price_cents = 3 WHERE id = {cheap}"
        ))
        .await
        .unwrap();
    let token = app.buyer().await;
    app.fill_cart(&token, &[dear[0], dear[1], cheap]).await;
    for path in ["/api/v1/cart/total", "/api/v1/cart"] {
        let problem = app.get_as(&token, path).await.problem(409);
        assert!(
            problem.detail.contains("999999.99"),
            "{path}: {}",
            problem.detail
        );
    }
    let problem = app.place_order(&token).await.problem(409);
    assert!(problem.detail.contains("999999.99"), "{}", problem.detail);
    let orders: Value = app.get_as(&token, "/api/v1/orders").await.json();
    assert_eq!(orders["total"], 0, "no order was made: {orders}");
    // Nothing was lost: the cart is as it was.
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM holds WHERE kind = 'cart'")
            .await,
        3
    );
}

#[tokio::test]
async fn an_order_above_the_largest_payment_is_refused_and_nothing_is_opened_for_nothing() {
    let app = TestApp::spawn_with(&[("MAX_PRICE", "999999.99")]).await;
    let catalog = app.catalog().await;
    let dear = [catalog.movies["Inception"], catalog.movies["Interstellar"]];
    for movie in dear {
        let res = app
            .json(
                Method::PATCH,
                &format!("/api/v1/movies/{movie}"),
                Some(&catalog.moderator),
                json!({"price": "600000.00"}),
            )
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
    }
    let token = app.buyer().await;
    app.fill_cart(&token, &dear).await;
    let problem = app.place_order(&token).await.problem(409);
    assert!(
        problem.detail.contains("the most one payment can take"),
        "{}",
        problem.detail
    );
    // A free order is never sent to the gateway: there is nothing to pay.
    let free = app.buyer().await;
    app.fill_cart(&free, &[catalog.movies["Lady Bird"]]).await;
    let order = app.order_ok(&free).await["id"].as_i64().unwrap();
    let problem = app.checkout(&free, order).await.problem(409);
    assert!(
        problem.detail.contains("nothing to pay"),
        "{}",
        problem.detail
    );
    let path = format!("/api/v1/payments/{order}");
    app.json(Method::POST, &path, Some(&free), json!({}))
        .await
        .problem(409);
}
