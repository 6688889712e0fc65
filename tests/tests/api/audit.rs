//! The audit trail: a scripted moderator and admin session is recorded — who, what, which
//! object, before and after, the request id — and writes that were refused or rolled back
//! leave nothing. Admins read it with filters.

use cinema_identity::Role;
use cinema_tests::TestApp;
use reqwest::Method;
use serde_json::{Value, json};

/// Sends a JSON request as `token` with an `X-Request-Id` of our own.
async fn staff(
    app: &TestApp,
    token: &str,
    method: Method,
    path: &str,
    body: Value,
    request_id: &str,
) -> cinema_tests::TestResponse {
    app.send(
        app.client
            .request(method, app.url(path))
            .bearer_auth(token)
            .header("x-request-id", request_id)
            .json(&body),
    )
    .await
}

async fn trail(app: &TestApp, admin: &str, query: &str) -> Value {
    let res = app
        .get_as(admin, &format!("/api/v1/admin/audit?{query}"))
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    res.json()
}

/// (action, object_type, object_id, summary) of a page, oldest first.
fn entries(page: &Value) -> Vec<(String, String, String, String)> {
    let mut items: Vec<_> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["action"].as_str().unwrap().to_owned(),
                r["object_type"].as_str().unwrap().to_owned(),
                r["object_id"].as_str().unwrap().to_owned(),
                r["summary"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    items.reverse();
    items
}

#[tokio::test]
async fn a_moderator_session_is_recorded_with_who_what_and_the_request_id() {
    let app = TestApp::spawn().await;
    let c = app.catalog().await;
    let (moderator_email, moderator) = app.user_with_role(Role::Moderator).await;
    let (_, admin) = app.user_with_role(Role::Admin).await;
    let (mod_token, admin_token) = (moderator.access_token, admin.access_token);
    // The catalog fixture's own writes are in the trail already; this session starts after.
    let before = trail(&app, &admin_token, "limit=1").await["total"]
        .as_i64()
        .unwrap();

    let genre = staff(
        &app,
        &mod_token,
        Method::POST,
        "/api/v1/genres",
        json!({"name": "Noir"}),
        "req-1",
    )
    .await;
    assert_eq!(genre.status, 201);
    let genre_id = genre.json::<Value>()["id"].as_i64().unwrap();
    let movie = c.movies["Inception"];
    let path = format!("/api/v1/movies/{movie}");
    let res = staff(
        &app,
        &mod_token,
        Method::PATCH,
        &path,
        json!({"price": "12.50", "name": "Inception (4K)"}),
        "req-2",
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let res = staff(
        &app,
        &mod_token,
        Method::PATCH,
        &format!("/api/v1/genres/{genre_id}"),
        json!({"name": "Neo-Noir"}),
        "req-3",
    )
    .await;
    assert_eq!(res.status, 200);
    // In a cart, so only a forced delete removes it.
    let buyer = app.buyer().await;
    app.fill_cart(&buyer, &[c.movies["Zero Dark"]]).await;
    let res = app
        .send(
            app.client
                .delete(app.url(&format!(
                    "/api/v1/movies/{}?force=true",
                    c.movies["Zero Dark"]
                )))
                .bearer_auth(&mod_token)
                .header("x-request-id", "req-4"),
        )
        .await;
    assert_eq!(res.status, 204);

    // Refused writes change nothing and record nothing.
    let refused = [
        (
            Method::PATCH,
            path.clone(),
            json!({"genre_ids": [999_999]}),
            422,
        ),
        (
            Method::POST,
            "/api/v1/genres".to_owned(),
            json!({"name": "neo-noir"}),
            409,
        ),
        (
            Method::DELETE,
            format!("/api/v1/certifications/{}", c.certifications["PG-13"]),
            json!({}),
            409,
        ),
    ];
    for (method, path, body, status) in refused {
        let res = staff(&app, &mod_token, method, &path, body, "req-refused").await;
        assert_eq!(res.status, status, "{path}: {}", res.text());
    }

    let page = trail(&app, &admin_token, "limit=100").await;
    assert_eq!(page["total"].as_i64().unwrap(), before + 4, "{page}");
    let mine = trail(
        &app,
        &admin_token,
        &format!("actor_id={}&limit=100", page["items"][0]["actor_id"]),
    )
    .await;
    assert_eq!(
        entries(&mine),
        vec![
            (
                "genre.create".into(),
                "genre".into(),
                genre_id.to_string(),
                "created \"Noir\"".into()
            ),
            (
                "movie.update".into(),
                "movie".into(),
                movie.to_string(),
                "name: \"Inception\" → \"Inception (4K)\"; price: 9.99 → 12.50".into()
            ),
            (
                "genre.rename".into(),
                "genre".into(),
                genre_id.to_string(),
                "name: \"Noir\" → \"Neo-Noir\"".into()
            ),
            (
                "movie.force_delete".into(),
                "movie".into(),
                c.movies["Zero Dark"].to_string(),
                "deleted \"Zero Dark\" (2012)".into()
            ),
        ]
    );
    let newest = &mine["items"][0];
    assert_eq!(newest["actor_email"], moderator_email);
    assert_eq!(newest["request_id"], "req-4");
    assert!(newest["at"].as_str().unwrap().ends_with('Z'));
    assert!(
        !page["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["request_id"] == "req-refused")
    );

    // Filters: an action, every action on a kind, one object, a day range, paging.
    assert_eq!(
        trail(&app, &admin_token, "action=genre.rename").await["total"],
        1
    );
    let genres = trail(&app, &admin_token, "action=genre.&object_type=genre").await;
    assert!(genres["total"].as_i64().unwrap() >= 2, "{genres}");
    let one = trail(
        &app,
        &admin_token,
        &format!("object_type=movie&object_id={movie}"),
    )
    .await;
    assert_eq!(one["items"][0]["action"], "movie.update");
    let today = app.clock.today();
    let tomorrow = today.succ_opt().unwrap();
    assert_eq!(
        trail(&app, &admin_token, &format!("date_from={tomorrow}")).await["total"],
        0
    );
    assert_eq!(
        trail(
            &app,
            &admin_token,
            &format!("date_from={today}&date_to={today}")
        )
        .await["total"],
        page["total"]
    );
    let paged = trail(&app, &admin_token, "limit=2&skip=1").await;
    assert_eq!(paged["items"].as_array().unwrap().len(), 2);
    assert_eq!(paged["items"][0]["id"], page["items"][1]["id"]);

    // Admins only; an object id needs its kind.
    assert_eq!(
        app.get_as(&mod_token, "/api/v1/admin/audit").await.status,
        403
    );
    assert_eq!(app.get("/api/v1/admin/audit").await.status, 401);
    app.get_as(&admin_token, "/api/v1/admin/audit?object_id=7")
        .await
        .problem(422);
    // Filters longer than documented are refused, naming the filter.
    let long = "x".repeat(33);
    let problem = app
        .get_as(
            &admin_token,
            &format!("/api/v1/admin/audit?object_type={long}"),
        )
        .await
        .problem(422);
    assert_eq!(problem.errors[0].field, "object_type", "{problem:?}");
    assert!(problem.errors[0].message.contains("32"), "{problem:?}");
    let problem = app
        .get_as(
            &admin_token,
            &format!(
                "/api/v1/admin/audit?object_type=movie&object_id={}",
                "9".repeat(65)
            ),
        )
        .await
        .problem(422);
    assert_eq!(problem.errors[0].field, "object_id", "{problem:?}");
}

#[tokio::test]
async fn admins_changes_to_users_orders_refunds_and_comments_are_recorded() {
    let app = TestApp::spawn().await;
    let c = app.catalog().await;
    let (admin_email, admin) = app.user_with_role(Role::Admin).await;
    let (_, moderator) = app.user_with_role(Role::Moderator).await;
    let (user_email, user) = app.user_with_role(Role::User).await;
    let admin_token = admin.access_token;
    let user_id: i64 = app
        .get_as(&user.access_token, "/api/v1/accounts/me")
        .await
        .json::<Value>()["id"]
        .as_i64()
        .unwrap();

    // Roles and activation.
    let path = format!("/api/v1/users/{user_id}");
    let res = app
        .json(
            Method::PATCH,
            &path,
            Some(&admin_token),
            json!({"group": "MODERATOR"}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let res = app
        .json(
            Method::PATCH,
            &path,
            Some(&admin_token),
            json!({"is_active": false}),
        )
        .await;
    assert_eq!(res.status, 200);
    let res = app
        .json(
            Method::PATCH,
            &path,
            Some(&admin_token),
            json!({"is_active": true}),
        )
        .await;
    assert_eq!(res.status, 200);
    // Refused: an admin demoting themselves.
    let own: i64 = app
        .get_as(&admin_token, "/api/v1/accounts/me")
        .await
        .json::<Value>()["id"]
        .as_i64()
        .unwrap();
    let res = app
        .json(
            Method::PATCH,
            &format!("/api/v1/users/{own}"),
            Some(&admin_token),
            json!({"group": "USER"}),
        )
        .await;
    assert_eq!(res.status, 400);

    // An order canceled by an admin (the owner's own cancel is not a staff write); a refund.
    let buyer = app
        .login_ok(&user_email, cinema_tests::strong_password())
        .await
        .access_token;
    app.fill_cart(&buyer, &[c.movies["Interstellar"]]).await;
    let order = app.order_ok(&buyer).await["id"].as_i64().unwrap();
    assert_eq!(app.cancel_order(&admin_token, order).await.status, 200);
    app.buy(&buyer, &[c.movies["Inception"]]).await;
    let payments: Value = app
        .get_as(&admin_token, "/api/v1/payments/admin")
        .await
        .json();
    let payment = payments["items"][0]["id"].as_i64().unwrap();
    let res = app
        .json(
            Method::POST,
            &format!("/api/v1/payments/{payment}/refund"),
            Some(&admin_token),
            json!({}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());

    // A moderator removes the buyer's comment.
    let res = app
        .json(
            Method::POST,
            &format!("/api/v1/movies/{}/comments", c.movies["Inception"]),
            Some(&buyer),
            json!({"body": "Spam spam spam"}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let comment = res.json::<Value>()["id"].as_i64().unwrap();
    let res = app
        .delete_as(
            &moderator.access_token,
            &format!("/api/v1/comments/{comment}"),
        )
        .await;
    assert_eq!(res.status, 204);

    let page: Value = app
        .get_as(&admin_token, "/api/v1/admin/audit?limit=100")
        .await
        .json();
    let staff: Vec<_> = entries(&page)
        .into_iter()
        .filter(|(action, ..)| {
            !action.starts_with("genre.")
                && !action.starts_with("movie.")
                && !action.starts_with("director.")
                && !action.starts_with("star.")
                && !action.starts_with("certification.")
        })
        .collect();
    let user_object = user_id.to_string();
    assert_eq!(
        staff,
        vec![
            (
                "user.role_change".into(),
                "user".into(),
                user_object.clone(),
                format!("{user_email}: role: USER → MODERATOR")
            ),
            (
                "user.deactivate".into(),
                "user".into(),
                user_object.clone(),
                format!("{user_email}: active: true → false")
            ),
            (
                "user.activate".into(),
                "user".into(),
                user_object.clone(),
                format!("{user_email}: active: false → true")
            ),
            (
                "order.cancel".into(),
                "order".into(),
                order.to_string(),
                format!("status: pending → canceled (user {user_id}'s order of 1250 cents)")
            ),
            (
                "payment.refund".into(),
                "payment".into(),
                payment.to_string(),
                format!(
                    "status: successful → refunded; 9.99 usd of order {} (user {user_id}); its movies taken back",
                    order + 1
                )
            ),
            (
                "comment.remove".into(),
                "comment".into(),
                comment.to_string(),
                format!(
                    "removed a comment by user {user_id} on movie {}: \"Spam spam spam\"",
                    c.movies["Inception"]
                )
            ),
        ]
    );
    let by_admin = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["actor_email"] == admin_email)
        .count();
    assert_eq!(by_admin, 5);
}
