//! Engagement over HTTP: reactions, ratings (and sorting by them), favorites through the
//! catalog's filters, comments with replies, likes and deletion, notifications in the app and
//! by e-mail, the comment rate limit, and what a movie's deletion takes with it.

use cinema_identity::Role;
use cinema_tests::TestApp;
use reqwest::Method;
use serde_json::{Value, json};

async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Value,
) -> cinema_tests::TestResponse {
    app.json(method, path, Some(token), body).await
}

async fn ok(app: &TestApp, method: Method, path: &str, token: &str, body: Value) -> Value {
    let res = call(app, method, path, token, body).await;
    assert!(
        res.status.is_success(),
        "{path}: {} {}",
        res.status,
        res.text()
    );
    if res.status == 204 {
        Value::Null
    } else {
        res.json()
    }
}

/// The ids of a page's items, in order.
fn ids(page: &Value) -> Vec<i64> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_i64().unwrap())
        .collect()
}

/// The names of a page's movies, in order.
fn names(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap().to_owned())
        .collect()
}

async fn user(app: &TestApp) -> (String, String) {
    let (email, tokens) = app.user_with_role(Role::User).await;
    (email, tokens.access_token)
}

#[tokio::test]
async fn reactions_switch_and_show_on_the_detail_for_their_author_only() {
    let app = TestApp::spawn().await;
    let catalog = app.catalog().await;
    let movie = catalog.movies["Inception"];
    let (_, ann) = user(&app).await;
    let (_, bob) = user(&app).await;
    let like = format!("/api/v1/movies/{movie}/like");
    let body = ok(&app, Method::POST, &like, &ann, json!({})).await;
    assert_eq!(
        (body["like_count"].as_i64(), body["dislike_count"].as_i64()),
        (Some(1), Some(0))
    );
    assert_eq!(body["my_reaction"], "like");
    ok(&app, Method::POST, &like, &ann, json!({})).await;
    ok(&app, Method::POST, &like, &bob, json!({})).await;
    let body = ok(
        &app,
        Method::POST,
        &format!("/api/v1/movies/{movie}/dislike"),
        &ann,
        json!({}),
    )
    .await;
    assert_eq!(
        (body["like_count"].as_i64(), body["dislike_count"].as_i64()),
        (Some(1), Some(1))
    );
    assert_eq!(body["my_reaction"], "dislike");

    let detail: Value = app
        .get_as(&ann, &format!("/api/v1/movies/{movie}"))
        .await
        .json();
    assert_eq!(detail["like_count"], 1);
    assert_eq!(detail["dislike_count"], 1);
    assert_eq!(detail["my_reaction"], "dislike");
    let by_uuid: Value = app
        .get_as(
            &ann,
            &format!("/api/v1/movies/uuid/{}", detail["uuid"].as_str().unwrap()),
        )
        .await
        .json();
    assert_eq!(by_uuid["my_reaction"], "dislike");
    let anonymous: Value = app.get(&format!("/api/v1/movies/{movie}")).await.json();
    assert_eq!(anonymous["my_reaction"], Value::Null);
    assert_eq!(anonymous["like_count"], 1);
    app.get_as("not-a-token", &format!("/api/v1/movies/{movie}"))
        .await
        .problem(401);

    let body = ok(
        &app,
        Method::DELETE,
        &format!("/api/v1/movies/{movie}/reaction"),
        &ann,
        json!({}),
    )
    .await;
    assert_eq!(
        (body["like_count"].as_i64(), body["dislike_count"].as_i64()),
        (Some(1), Some(0))
    );
    assert_eq!(body["my_reaction"], Value::Null);
    call(
        &app,
        Method::POST,
        "/api/v1/movies/999999/like",
        &ann,
        json!({}),
    )
    .await
    .problem(404);
    app.request(Method::POST, &like).await.problem(401);
}

#[tokio::test]
async fn ratings_average_to_one_decimal_and_sort_unrated_last() {
    let app = TestApp::spawn().await;
    let catalog = app.catalog().await;
    let (inception, heat) = (catalog.movies["Inception"], catalog.movies["Interstellar"]);
    let rate = |m: i64| format!("/api/v1/movies/{m}/rating");
    let mut last = Value::Null;
    for score in [8, 9, 9] {
        let (_, token) = user(&app).await;
        last = ok(
            &app,
            Method::PUT,
            &rate(inception),
            &token,
            json!({"score": score}),
        )
        .await;
    }
    assert_eq!(last["rating_average"], 8.7);
    // `rating` is read as `score` too.
    let (_, other) = user(&app).await;
    let aliased = ok(&app, Method::PUT, &rate(heat), &other, json!({"rating": 4})).await;
    assert_eq!(aliased["my_rating"], 4);
    ok(&app, Method::DELETE, &rate(heat), &other, json!({})).await;
    assert_eq!(last["rating_count"], 3);
    assert_eq!(last["my_rating"], 9);
    let (_, token) = user(&app).await;
    ok(&app, Method::PUT, &rate(heat), &token, json!({"score": 5})).await;
    let changed = ok(&app, Method::PUT, &rate(heat), &token, json!({"score": 6})).await;
    assert_eq!(
        (
            changed["rating_average"].as_f64(),
            changed["rating_count"].as_i64()
        ),
        (Some(6.0), Some(1))
    );
    for bad in [
        json!({"score": 0}),
        json!({"score": 11}),
        json!({"score": "7"}),
        json!({}),
    ] {
        call(&app, Method::PUT, &rate(heat), &token, bad)
            .await
            .problem(422);
    }

    let list: Value = app
        .get("/api/v1/movies?sort_by=rating&order=desc&limit=100")
        .await
        .json();
    assert_eq!(&ids(&list)[..2], [inception, heat]);
    assert_eq!(list["items"][0]["rating_average"], 8.7);
    assert_eq!(list["items"][2]["rating_average"], Value::Null);
    let list: Value = app
        .get("/api/v1/movies?sort_by=rating&order=asc&limit=100")
        .await
        .json();
    assert_eq!(&ids(&list)[..2], [heat, inception]);

    let removed = ok(&app, Method::DELETE, &rate(heat), &token, json!({})).await;
    assert_eq!(removed["rating_average"], Value::Null);
    assert_eq!(removed["rating_count"], 0);
    let detail: Value = app.get(&format!("/api/v1/movies/{inception}")).await.json();
    assert_eq!(detail["rating_average"], 8.7);
}

#[tokio::test]
async fn favorites_are_listed_with_every_catalog_filter_and_sort() {
    let app = TestApp::spawn().await;
    let catalog = app.catalog().await;
    let (_, token) = user(&app).await;
    let (_, other) = user(&app).await;
    let favs = ["Inception", "Interstellar", "Lady Bird"];
    for name in favs {
        let res = call(
            &app,
            Method::POST,
            &format!("/api/v1/movies/{}/favorite", catalog.movies[name]),
            &token,
            json!({}),
        )
        .await;
        assert_eq!(res.status, 201, "{}", res.text());
    }
    let again = call(
        &app,
        Method::POST,
        &format!("/api/v1/movies/{}/favorite", catalog.movies["Inception"]),
        &token,
        json!({}),
    )
    .await;
    assert_eq!(again.status, 200);
    call(
        &app,
        Method::POST,
        "/api/v1/movies/999999/favorite",
        &token,
        json!({}),
    )
    .await
    .problem(404);

    let all: Value = app
        .get_as(&token, "/api/v1/favorites?sort_by=name")
        .await
        .json();
    assert_eq!(all["total"], 3);
    assert_eq!(names(&all), ["Inception", "Interstellar", "Lady Bird"]);
    let sci_fi = catalog.genres["Sci-Fi"];
    let filtered: Value = app
        .get_as(
            &token,
            &format!("/api/v1/favorites?genre_ids={sci_fi}&sort_by=year&order=desc"),
        )
        .await
        .json();
    assert_eq!(names(&filtered), ["Interstellar", "Inception"]);
    let searched: Value = app
        .get_as(&token, "/api/v1/favorites?q=wormhole")
        .await
        .json();
    assert_eq!(searched["total"], 1);
    app.get_as(&token, "/api/v1/favorites?year_from=2020&year_to=2000")
        .await
        .problem(422);
    let none: Value = app.get_as(&other, "/api/v1/favorites").await.json();
    assert_eq!(none["total"], 0);
    let detail: Value = app
        .get_as(
            &token,
            &format!("/api/v1/movies/{}", catalog.movies["Inception"]),
        )
        .await
        .json();
    assert_eq!(detail["is_favorite"], true);

    let res = call(
        &app,
        Method::DELETE,
        &format!("/api/v1/movies/{}/favorite", catalog.movies["Inception"]),
        &token,
        json!({}),
    )
    .await;
    assert_eq!(res.status, 204);
    let all: Value = app.get_as(&token, "/api/v1/favorites").await.json();
    assert_eq!(all["total"], 2);
    app.get("/api/v1/favorites").await.problem(401);
}

#[tokio::test]
async fn threads_keep_their_shape_when_comments_are_deleted() {
    let app = TestApp::spawn().await;
    let catalog = app.catalog().await;
    let movie = catalog.movies["Inception"];
    let (_, ann) = user(&app).await;
    let (_, bob) = user(&app).await;
    let comments = format!("/api/v1/movies/{movie}/comments");
    let first = ok(
        &app,
        Method::POST,
        &comments,
        &ann,
        json!({"body": "  First!  "}),
    )
    .await;
    assert_eq!(first["body"], "First!");
    assert!(
        first["author"].as_str().is_some_and(|a| !a.contains('@')),
        "{first}"
    );
    let second = ok(
        &app,
        Method::POST,
        &comments,
        &bob,
        json!({"body": "Second"}),
    )
    .await;
    for bad in [
        json!({"body": ""}),
        json!({"body": "   "}),
        json!({"body": "x".repeat(2001)}),
        json!({}),
    ] {
        call(&app, Method::POST, &comments, &ann, bad)
            .await
            .problem(422);
    }
    ok(
        &app,
        Method::POST,
        &comments,
        &ann,
        json!({"body": "é".repeat(2000)}),
    )
    .await;
    let first_id = first["id"].as_i64().unwrap();
    let reply = ok(
        &app,
        Method::POST,
        &format!("/api/v1/comments/{first_id}/replies"),
        &bob,
        json!({"body": "A reply"}),
    )
    .await;
    assert_eq!(reply["parent_id"], first_id);

    let page: Value = app.get(&comments).await.json();
    assert_eq!(page["total"], 3);
    assert_eq!(page["items"][1]["id"], second["id"]);
    assert_eq!(page["items"][2]["reply_count"], 1);
    let replies: Value = app
        .get(&format!("/api/v1/comments/{first_id}/replies"))
        .await
        .json();
    assert_eq!(replies["items"][0]["body"], "A reply");
    let detail: Value = app.get(&format!("/api/v1/movies/{movie}")).await.json();
    assert_eq!(detail["comment_count"], 4);

    // Someone else's comment: 403; its author deletes it, and the thread keeps its place.
    call(
        &app,
        Method::DELETE,
        &format!("/api/v1/comments/{first_id}"),
        &bob,
        json!({}),
    )
    .await
    .problem(403);
    let res = call(
        &app,
        Method::DELETE,
        &format!("/api/v1/comments/{first_id}"),
        &ann,
        json!({}),
    )
    .await;
    assert_eq!(res.status, 204);
    let page: Value = app.get(&comments).await.json();
    let kept = &page["items"][2];
    assert_eq!(
        (kept["deleted"].as_bool(), kept["body"].as_str()),
        (Some(true), Some(""))
    );
    assert_eq!(kept["author"], Value::Null);
    call(
        &app,
        Method::POST,
        &format!("/api/v1/comments/{first_id}/replies"),
        &bob,
        json!({"body": "late"}),
    )
    .await
    .problem(409);
    // A moderator deletes the reply; a comment without replies is gone.
    let res = call(
        &app,
        Method::DELETE,
        &format!("/api/v1/comments/{}", reply["id"]),
        &catalog.moderator,
        json!({}),
    )
    .await;
    assert_eq!(res.status, 204);
    let replies: Value = app
        .get(&format!("/api/v1/comments/{first_id}/replies"))
        .await
        .json();
    assert_eq!(replies["total"], 0);
    let detail: Value = app.get(&format!("/api/v1/movies/{movie}")).await.json();
    assert_eq!(detail["comment_count"], 2);
    call(
        &app,
        Method::DELETE,
        &format!("/api/v1/comments/{}", reply["id"]),
        &bob,
        json!({}),
    )
    .await
    .problem(404);
    app.get("/api/v1/movies/999999/comments").await.problem(404);
    app.get("/api/v1/comments/999999/replies")
        .await
        .problem(404);
}

#[tokio::test]
async fn replies_and_likes_notify_the_author_once_in_the_app_and_by_e_mail() {
    let app = TestApp::spawn().await;
    let catalog = app.catalog().await;
    let movie = catalog.movies["Inception"];
    let (ann_email, ann) = user(&app).await;
    let (_, bob) = user(&app).await;
    let comment = ok(
        &app,
        Method::POST,
        &format!("/api/v1/movies/{movie}/comments"),
        &ann,
        json!({"body": "Dreams within dreams"}),
    )
    .await;
    let id = comment["id"].as_i64().unwrap();
    let like = format!("/api/v1/comments/{id}/like");
    // Own actions notify nobody.
    ok(&app, Method::POST, &like, &ann, json!({})).await;
    ok(
        &app,
        Method::POST,
        &format!("/api/v1/comments/{id}/replies"),
        &ann,
        json!({"body": "me again"}),
    )
    .await;
    let body = ok(&app, Method::POST, &like, &bob, json!({})).await;
    assert_eq!(body["like_count"], 2);
    ok(&app, Method::DELETE, &like, &bob, json!({})).await;
    let body = ok(&app, Method::POST, &like, &bob, json!({})).await;
    assert_eq!(body["like_count"], 2);
    ok(
        &app,
        Method::POST,
        &format!("/api/v1/comments/{id}/replies"),
        &bob,
        json!({"body": "Agreed"}),
    )
    .await;

    let notes: Value = app.get_as(&ann, "/api/v1/notifications").await.json();
    assert_eq!(notes["total"], 2, "{notes}");
    assert_eq!(notes["unread_count"], 2);
    let kinds: Vec<&str> = notes["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["comment_replied", "comment_liked"]);
    assert_eq!(notes["items"][0]["comment_id"], id);
    let mails = app.mails_to(&ann_email, 2).await;
    assert_eq!(mails.len(), 2);
    assert!(
        mails
            .iter()
            .any(|m| m.data.contains("replied to your comment")),
        "{:?}",
        mails[0].data
    );

    let first = notes["items"][0]["id"].as_i64().unwrap();
    call(
        &app,
        Method::POST,
        &format!("/api/v1/notifications/{first}/read"),
        &bob,
        json!({}),
    )
    .await
    .problem(404);
    let read = ok(
        &app,
        Method::POST,
        &format!("/api/v1/notifications/{first}/read"),
        &ann,
        json!({}),
    )
    .await;
    assert_eq!(read["read"], true);
    let notes: Value = app.get_as(&ann, "/api/v1/notifications").await.json();
    assert_eq!(notes["unread_count"], 1);
    let all = ok(
        &app,
        Method::POST,
        "/api/v1/notifications/read-all",
        &ann,
        json!({}),
    )
    .await;
    assert_eq!(all["marked_read"], 1);
    let notes: Value = app.get_as(&ann, "/api/v1/notifications").await.json();
    assert_eq!(notes["unread_count"], 0);
    let bobs: Value = app.get_as(&bob, "/api/v1/notifications").await.json();
    assert_eq!(bobs["total"], 0);
}

#[tokio::test]
async fn posting_comments_too_fast_is_a_429_with_retry_after() {
    let app = TestApp::spawn_with(&[
        ("COMMENT_RATE_LIMIT", "2"),
        ("COMMENT_RATE_WINDOW_SECS", "60"),
    ])
    .await;
    let catalog = app.catalog().await;
    let movie = catalog.movies["Inception"];
    let (_, token) = user(&app).await;
    let path = format!("/api/v1/movies/{movie}/comments");
    ok(&app, Method::POST, &path, &token, json!({"body": "one"})).await;
    ok(&app, Method::POST, &path, &token, json!({"body": "two"})).await;
    let res = call(&app, Method::POST, &path, &token, json!({"body": "three"})).await;
    let retry: u64 = res.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    res.problem(429);
    // Someone else is not slowed down; after the window the author may post again.
    let (_, other) = user(&app).await;
    ok(&app, Method::POST, &path, &other, json!({"body": "mine"})).await;
    app.clock.advance(std::time::Duration::from_secs(61));
    ok(&app, Method::POST, &path, &token, json!({"body": "four"})).await;
}

#[tokio::test]
async fn deleting_a_movie_takes_its_engagement_with_it() {
    let app = TestApp::spawn().await;
    let catalog = app.catalog().await;
    let movie = catalog.movies["Lady Bird"];
    let (_, ann) = user(&app).await;
    let (_, bob) = user(&app).await;
    ok(
        &app,
        Method::POST,
        &format!("/api/v1/movies/{movie}/like"),
        &ann,
        json!({}),
    )
    .await;
    ok(
        &app,
        Method::PUT,
        &format!("/api/v1/movies/{movie}/rating"),
        &ann,
        json!({"score": 7}),
    )
    .await;
    ok(
        &app,
        Method::POST,
        &format!("/api/v1/movies/{movie}/favorite"),
        &ann,
        json!({}),
    )
    .await;
    let comment = ok(
        &app,
        Method::POST,
        &format!("/api/v1/movies/{movie}/comments"),
        &ann,
        json!({"body": "Sacramento"}),
    )
    .await;
    ok(
        &app,
        Method::POST,
        &format!("/api/v1/comments/{}/like", comment["id"]),
        &bob,
        json!({}),
    )
    .await;
    let res = app
        .delete_as(&catalog.moderator, &format!("/api/v1/movies/{movie}"))
        .await;
    assert_eq!(res.status, 204, "{}", res.text());
    let favorites: Value = app.get_as(&ann, "/api/v1/favorites").await.json();
    assert_eq!(favorites["total"], 0);
    app.get(&format!("/api/v1/comments/{}/replies", comment["id"]))
        .await
        .problem(404);
    let notes: Value = app.get_as(&ann, "/api/v1/notifications").await.json();
    assert_eq!(notes["total"], 0);
}

/// Sends the requests at once; each must answer 200.
async fn at_once(app: &TestApp, requests: Vec<(Method, String, &str, Value)>) {
    let answers = futures_util::future::join_all(requests.into_iter().map(
        |(method, path, token, body)| async move { call(app, method, &path, token, body).await },
    ))
    .await;
    let statuses: Vec<u16> = answers.iter().map(|r| r.status.as_u16()).collect();
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
}

async fn users(app: &TestApp, n: usize) -> Vec<String> {
    futures_util::future::join_all((0..n).map(|_| user(app)))
        .await
        .into_iter()
        .map(|(_, token)| token)
        .collect()
}

#[tokio::test]
async fn fifty_users_liking_one_movie_at_once_make_fifty_likes() {
    let app = TestApp::spawn().await;
    let catalog = app.catalog().await;
    let movie = catalog.movies["Inception"];
    let tokens = users(&app, 50).await;
    let path = format!("/api/v1/movies/{movie}/like");
    at_once(
        &app,
        tokens
            .iter()
            .map(|t| (Method::POST, path.clone(), t.as_str(), json!({})))
            .collect(),
    )
    .await;
    let detail: Value = app.get(&format!("/api/v1/movies/{movie}")).await.json();
    assert_eq!(detail["like_count"], 50);
    assert_eq!(detail["dislike_count"], 0);
}

#[tokio::test]
async fn one_user_switching_twenty_times_at_once_leaves_one_consistent_reaction() {
    let app = TestApp::spawn().await;
    let catalog = app.catalog().await;
    let movie = catalog.movies["Inception"];
    let (_, token) = user(&app).await;
    let switches = (0..20)
        .map(|i| {
            let kind = if i % 2 == 0 { "like" } else { "dislike" };
            let path = format!("/api/v1/movies/{movie}/{kind}");
            (Method::POST, path, token.as_str(), json!({}))
        })
        .collect();
    at_once(&app, switches).await;
    let detail: Value = app
        .get_as(&token, &format!("/api/v1/movies/{movie}"))
        .await
        .json();
    let (likes, dislikes) = (
        detail["like_count"].as_i64().unwrap(),
        detail["dislike_count"].as_i64().unwrap(),
    );
    assert_eq!(likes + dislikes, 1, "{detail}");
    let expected = if likes == 1 { "like" } else { "dislike" };
    assert_eq!(detail["my_reaction"], expected);
}

#[tokio::test]
async fn twenty_concurrent_ratings_give_the_exact_average() {
    let app = TestApp::spawn().await;
    let catalog = app.catalog().await;
    let movie = catalog.movies["Inception"];
    let tokens = users(&app, 20).await;
    let path = format!("/api/v1/movies/{movie}/rating");
    let ratings = tokens
        .iter()
        .enumerate()
        .map(|(i, t)| {
            (
                Method::PUT,
                path.clone(),
                t.as_str(),
                json!({"score": i % 10 + 1}),
            )
        })
        .collect();
    at_once(&app, ratings).await;
    let detail: Value = app.get(&format!("/api/v1/movies/{movie}")).await.json();
    // Twice 1..=10: 110 / 20.
    assert_eq!(detail["rating_average"], 5.5);
    assert_eq!(detail["rating_count"], 20);
}

#[tokio::test]
async fn a_comment_deleted_while_replied_to_stays_consistent() {
    let app = TestApp::spawn().await;
    let catalog = app.catalog().await;
    let movie = catalog.movies["Inception"];
    let (_, ann) = user(&app).await;
    let (_, bob) = user(&app).await;
    let comments = format!("/api/v1/movies/{movie}/comments");
    for round in 0..8 {
        let comment = ok(
            &app,
            Method::POST,
            &comments,
            &ann,
            json!({"body": format!("round {round}")}),
        )
        .await;
        let id = comment["id"].as_i64().unwrap();
        let delete = format!("/api/v1/comments/{id}");
        let reply = format!("/api/v1/comments/{id}/replies");
        let (deleted, replied) = tokio::join!(
            call(&app, Method::DELETE, &delete, &ann, json!({})),
            call(&app, Method::POST, &reply, &bob, json!({"body": "quick"})),
        );
        assert_eq!(deleted.status, 204, "{}", deleted.text());
        let replies = app.get(&format!("/api/v1/comments/{id}/replies")).await;
        match replied.status.as_u16() {
            // The reply came first: the comment keeps its place, blanked, with one reply.
            201 => {
                let replies: Value = replies.json();
                assert_eq!(replies["total"], 1);
            }
            // The deletion came first: the comment is gone.
            404 => assert_eq!(replies.status, 404),
            other => panic!("reply answered {other}: {}", replied.text()),
        }
    }
    let page: Value = app.get(&comments).await.json();
    let blanked = page["items"].as_array().unwrap().len() as i64;
    let detail: Value = app.get(&format!("/api/v1/movies/{movie}")).await.json();
    // Each surviving (blanked) comment carries one reply; deleted comments count for nothing.
    assert_eq!(detail["comment_count"], blanked);
}

#[tokio::test]
async fn replies_and_likes_cannot_mail_bomb_a_comments_author() {
    let app = TestApp::spawn_with(&[
        ("NOTIFICATION_MAILS_PER_HOUR", "5"),
        ("COMMENT_RATE_LIMIT", "1000"),
    ])
    .await;
    let catalog = app.catalog().await;
    let movie = catalog.movies["Inception"];
    let victim = app.sign_up("victim@example.com").await.access_token;
    let before = app.email_job_rows("victim@example.com").await.len();
    let comment = ok(
        &app,
        Method::POST,
        &format!("/api/v1/movies/{movie}/comments"),
        &victim,
        json!({"body": "Hello"}),
    )
    .await;
    let id = comment["id"].as_i64().unwrap();
    let (_, first) = user(&app).await;
    let (_, second) = user(&app).await;
    for n in 0..11 {
        for attacker in [&first, &second] {
            ok(
                &app,
                Method::POST,
                &format!("/api/v1/comments/{id}/replies"),
                attacker,
                json!({"body": format!("spam {n}")}),
            )
            .await;
        }
    }
    // Every notification is in the app; only five reached the victim's mailbox this hour.
    let notes: Value = app.get_as(&victim, "/api/v1/notifications").await.json();
    assert_eq!(notes["total"], 22, "{notes}");
    let mails = app.email_job_rows("victim@example.com").await.len() - before;
    assert_eq!(mails, 5);
    // An hour later the next one is mailed again.
    app.clock.advance(std::time::Duration::from_secs(3601));
    let (_, later) = user(&app).await;
    ok(
        &app,
        Method::POST,
        &format!("/api/v1/comments/{id}/replies"),
        &later,
        json!({"body": "later"}),
    )
    .await;
    assert_eq!(
        app.email_job_rows("victim@example.com").await.len() - before,
        6
    );
}

#[tokio::test]
async fn a_name_that_looks_like_an_encoded_word_reaches_the_subject_as_typed() {
    let app = TestApp::spawn().await;
    let catalog = app.catalog().await;
    let movie = catalog.movies["Inception"];
    let victim = app.sign_up("reader@example.com").await.access_token;
    let comment = ok(
        &app,
        Method::POST,
        &format!("/api/v1/movies/{movie}/comments"),
        &victim,
        json!({"body": "Hello"}),
    )
    .await;
    let (_, trickster) = user(&app).await;
    // "=?utf-8?b?QWRtaW4=?=" is how a mail client would spell "Admin" in a header.
    let typed = "=?utf-8?b?QWRtaW4=?=";
    ok(
        &app,
        Method::PATCH,
        "/api/v1/profile",
        &trickster,
        json!({"first_name": typed}),
    )
    .await;
    ok(
        &app,
        Method::POST,
        &format!("/api/v1/comments/{}/replies", comment["id"]),
        &trickster,
        json!({"body": "Official notice"}),
    )
    .await;
    // Activation, activated, and the reply.
    let mails = app.mails_to("reader@example.com", 3).await;
    let reply = mails
        .iter()
        .find(|m| m.data.contains("Official notice") || m.data.contains("replied"))
        .expect("the reply's e-mail");
    let head = reply.data.split("\r\n\r\n").next().unwrap();
    let subject: String = head
        .split("\r\n")
        .skip_while(|l| !l.starts_with("Subject:"))
        .enumerate()
        .take_while(|(i, l)| *i == 0 || l.starts_with(' '))
        .map(|(_, l)| l.trim_start_matches("Subject:").trim())
        .collect();
    assert!(!subject.contains(typed), "{subject}");
    let decoded: Vec<u8> = subject
        .split("?=")
        .filter_map(|w| w.trim().strip_prefix("=?utf-8?b?"))
        .flat_map(|b64| {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap()
        })
        .collect();
    let decoded = String::from_utf8(decoded).unwrap();
    assert!(decoded.starts_with(typed), "{decoded}");
}
