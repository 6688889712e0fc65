//! The cart: reading, adding, removing, totals, a moderator's view, and guest carts merged at
//! sign-up and sign-in.

use cinema_identity::Role;
use cinema_tests::{TestApp, query, strong_password};
use reqwest::Method;
use serde_json::{Value, json};

async fn cart_rows(app: &TestApp) -> i64 {
    use sea_orm::{ConnectionTrait, Statement};
    let db = app.db();
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM holds",
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get("", "n").unwrap()
}

#[tokio::test]
async fn an_empty_cart_reads_as_empty_and_reading_creates_nothing() {
    let app = TestApp::spawn().await;
    let token = app.buyer().await;
    let res = app.get_as(&token, "/api/v1/cart/").await;
    assert_eq!(res.status, 200, "{}", res.text());
    let cart: Value = res.json();
    assert_eq!(cart["items"], json!([]));
    assert_eq!(cart["total_items"], 0);
    assert_eq!(cart["total_price"], "0.00");
    let res = app.get_as(&token, "/api/v1/cart/total").await;
    assert_eq!(
        res.json::<Value>(),
        json!({"total_items": 0, "total_price": "0.00"})
    );
    assert_eq!(cart_rows(&app).await, 0);
}

#[tokio::test]
async fn added_movies_show_with_title_price_genres_year_and_an_exact_total() {
    let app = TestApp::spawn().await;
    let catalog = app.catalog().await;
    let token = app.buyer().await;
    let res = app.add_to_cart(&token, catalog.movies["Inception"]).await;
    assert_eq!(res.status, 201, "{}", res.text());
    let item: Value = res.json();
    assert_eq!(item["title"], "Inception");
    assert_eq!(item["price"], "9.99");
    assert_eq!(item["year"], 2010);
    let genres: Vec<&str> = item["genres"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert_eq!(genres, ["Drama", "Sci-Fi"]);
    assert!(item["added_at"].as_str().unwrap().ends_with('Z'));
    app.fill_cart(
        &token,
        &[catalog.movies["Interstellar"], catalog.movies["Lady Bird"]],
    )
    .await;

    let cart: Value = app.get_as(&token, "/api/v1/cart").await.json();
    let titles: Vec<&str> = cart["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Inception", "Interstellar", "Lady Bird"]);
    assert_eq!(cart["total_price"], "22.49");
    let total: Value = app.get_as(&token, "/api/v1/cart/total/").await.json();
    assert_eq!(total, json!({"total_items": 3, "total_price": "22.49"}));
}

#[tokio::test]
async fn adding_refuses_unknown_duplicate_and_malformed_movies() {
    let app = TestApp::spawn().await;
    let catalog = app.catalog().await;
    let token = app.buyer().await;
    let res = app.add_to_cart(&token, 999_999).await;
    assert_eq!(res.problem(404).status, 404);
    let inception = catalog.movies["Inception"];
    app.fill_cart(&token, &[inception]).await;
    let problem = app.add_to_cart(&token, inception).await.problem(409);
    assert!(
        problem.detail.contains("already in the cart"),
        "{}",
        problem.detail
    );
    let res = app
        .json(
            Method::POST,
            "/api/v1/cart/items",
            Some(&token),
            json!({"movie_id": "x"}),
        )
        .await;
    assert_eq!(res.problem(422).errors[0].field, "movie_id");
    let res = app
        .json(Method::POST, "/api/v1/cart/items", Some(&token), json!({}))
        .await;
    assert_eq!(res.status, 422, "{}", res.text());
    assert_eq!(app.cart_ids(&token).await, [inception]);
}

#[tokio::test]
async fn a_bought_movie_cannot_be_added_again() {
    let app = TestApp::spawn().await;
    let catalog = app.catalog().await;
    let token = app.buyer().await;
    let inception = catalog.movies["Inception"];
    app.buy(&token, &[inception]).await;
    let problem = app.add_to_cart(&token, inception).await.problem(400);
    assert!(
        problem.detail.contains("repeat purchases are not allowed"),
        "{}",
        problem.detail
    );
}

#[tokio::test]
async fn a_movie_in_a_pending_order_cannot_be_added_again() {
    let app = TestApp::spawn().await;
    let catalog = app.catalog().await;
    let token = app.buyer().await;
    let inception = catalog.movies["Inception"];
    app.fill_cart(&token, &[inception]).await;
    let order = app.order_ok(&token).await;
    let problem = app.add_to_cart(&token, inception).await.problem(409);
    assert!(
        problem
            .detail
            .contains(&format!("pending order {}", order["id"])),
        "{}",
        problem.detail
    );
}

#[tokio::test]
async fn removing_and_clearing_the_cart() {
    let app = TestApp::spawn().await;
    let catalog = app.catalog().await;
    let token = app.buyer().await;
    let (a, b) = (catalog.movies["Inception"], catalog.movies["Interstellar"]);
    app.fill_cart(&token, &[a, b]).await;
    let res = app
        .delete_as(&token, &format!("/api/v1/cart/items/{a}"))
        .await;
    assert_eq!(res.status, 204, "{}", res.text());
    assert_eq!(app.cart_ids(&token).await, [b]);
    let res = app
        .delete_as(&token, &format!("/api/v1/cart/items/{a}/"))
        .await;
    assert_eq!(res.problem(404).status, 404);
    let res = app.delete_as(&token, "/api/v1/cart/").await;
    assert_eq!(res.status, 204, "{}", res.text());
    assert!(app.cart_ids(&token).await.is_empty());
    // Clearing an empty cart is fine too.
    assert_eq!(app.delete_as(&token, "/api/v1/cart").await.status, 204);
}

#[tokio::test]
async fn one_users_cart_is_not_anothers() {
    let app = TestApp::spawn().await;
    let catalog = app.catalog().await;
    let (ann, bob) = (app.buyer().await, app.buyer().await);
    app.fill_cart(&ann, &[catalog.movies["Inception"]]).await;
    assert!(app.cart_ids(&bob).await.is_empty());
    // Bob can add the same movie: carts are per user.
    app.fill_cart(&bob, &[catalog.movies["Inception"]]).await;
    let res = app
        .delete_as(
            &bob,
            &format!("/api/v1/cart/items/{}", catalog.movies["Inception"]),
        )
        .await;
    assert_eq!(res.status, 204);
    assert_eq!(app.cart_ids(&ann).await, [catalog.movies["Inception"]]);
}

#[tokio::test]
async fn moderators_read_a_users_cart_and_users_cannot() {
    let app = TestApp::spawn().await;
    let catalog = app.catalog().await;
    let (email, tokens) = app.user_with_role(Role::User).await;
    app.fill_cart(&tokens.access_token, &[catalog.movies["Lady Bird"]])
        .await;
    let me: Value = app
        .get_as(&tokens.access_token, "/api/v1/accounts/me/")
        .await
        .json();
    assert_eq!(me["email"], email);
    let user_id = me["id"].as_i64().unwrap();
    let path = format!("/api/v1/cart/users/{user_id}");
    let res = app.get_as(&catalog.moderator, &path).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json::<Value>()["items"][0]["title"], "Lady Bird");
    let (_, admin) = app.user_with_role(Role::Admin).await;
    assert_eq!(app.get_as(&admin.access_token, &path).await.status, 200);
    let other = app.buyer().await;
    assert_eq!(app.get_as(&other, &path).await.problem(403).status, 403);
    let res = app
        .get_as(&catalog.moderator, "/api/v1/cart/users/987654")
        .await;
    assert_eq!(res.problem(404).status, 404);
    assert_eq!(app.get("/api/v1/cart/").await.problem(401).status, 401);
}

#[tokio::test]
async fn a_guest_cart_merges_at_sign_in_without_duplicates_owned_or_unknown_movies() {
    let app = TestApp::spawn().await;
    let catalog = app.catalog().await;
    let (email, tokens) = app.user_with_role(Role::User).await;
    let token = tokens.access_token;
    let (owned, carted, fresh) = (
        catalog.movies["Inception"],
        catalog.movies["Interstellar"],
        catalog.movies["Lady Bird"],
    );
    app.buy(&token, &[owned]).await;
    app.fill_cart(&token, &[carted]).await;
    let res = app
        .post(
            "/api/v1/accounts/login/",
            json!({"email": email, "password": strong_password(),
                   "guest_cart_items": [owned, carted, fresh, fresh, 424242]}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let body: Value = res.json();
    assert!(body["access_token"].is_string());
    assert_eq!(body["guest_cart"]["added"], json!([fresh]));
    let skipped: Vec<(i64, &str)> = body["guest_cart"]["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["movie_id"].as_i64().unwrap(),
                s["reason"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        skipped,
        [
            (owned, "already_owned"),
            (carted, "already_in_cart"),
            (424242, "unavailable")
        ]
    );
    assert_eq!(app.cart_ids(&token).await, [carted, fresh]);
}

#[tokio::test]
async fn a_guest_cart_sent_at_registration_waits_in_the_new_accounts_cart() {
    let app = TestApp::spawn().await;
    let catalog = app.catalog().await;
    let movie = catalog.movies["Little Women"];
    let res = app
        .post(
            "/api/v1/accounts/register/",
            json!({"email": "guest@example.com", "password": strong_password(),
                   "guest_cart_items": [movie, 31337]}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let body: Value = res.json();
    assert_eq!(body["guest_cart"]["added"], json!([movie]));
    assert_eq!(body["guest_cart"]["skipped"][0]["reason"], "unavailable");
    let link = app.link_in_mail("guest@example.com", "Activate", 1).await;
    let res = app
        .post(
            "/api/v1/accounts/activate/",
            json!({"token": query(&link, "token")}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let tokens = app.login_ok("guest@example.com", strong_password()).await;
    assert_eq!(app.cart_ids(&tokens.access_token).await, [movie]);
}

#[tokio::test]
async fn a_failed_registration_keeps_no_guest_cart() {
    let app = TestApp::spawn().await;
    let catalog = app.catalog().await;
    let movie = catalog.movies["Little Women"];
    let body = json!({"email": "twice@example.com", "password": strong_password(),
                      "guest_cart_items": [movie]});
    assert_eq!(
        app.post("/api/v1/accounts/register/", body.clone())
            .await
            .status,
        201
    );
    assert_eq!(cart_rows(&app).await, 1);
    let res = app.post("/api/v1/accounts/register/", body).await;
    assert_eq!(res.problem(409).status, 409);
    assert_eq!(cart_rows(&app).await, 1);
}
