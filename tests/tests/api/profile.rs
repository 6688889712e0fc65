//! The caller's profile.

use cinema_tests::TestApp;
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn the_profile_is_created_empty_on_first_read() {
    let app = TestApp::spawn().await;
    app.get("/api/v1/profile").await.problem(401);
    let t = app.sign_up("zed@example.com").await;
    let p: Value = app.get_as(&t.access_token, "/api/v1/profile/").await.json();
    assert!(p["id"].as_i64().is_some() && p["user_id"].as_i64().is_some());
    for field in [
        "first_name",
        "last_name",
        "gender",
        "date_of_birth",
        "info",
        "avatar",
        "avatar_url",
    ] {
        assert!(p[field].is_null(), "{field}");
    }
    let again: Value = app.get_as(&t.access_token, "/api/v1/profile").await.json();
    assert_eq!(again["id"], p["id"]);
}

#[tokio::test]
async fn put_replaces_and_patch_changes_only_what_is_sent() {
    let app = TestApp::spawn().await;
    let t = app.sign_up("amy@example.com").await;
    let app = &app;
    let send = |method: Method, body: Value| {
        let token = t.access_token.clone();
        async move {
            app.json(method, "/api/v1/profile/", Some(&token), body)
                .await
        }
    };
    let res = send(
        Method::PUT,
        json!({"first_name": "Amy", "last_name": "Pond", "gender": "WOMAN", "date_of_birth": "1990-04-01", "info": "<b>hi</b>"}),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let p: Value = send(
        Method::PATCH,
        json!({"last_name": null, "info": "Loves noir."}),
    )
    .await
    .json();
    assert_eq!(p["first_name"], "Amy");
    assert!(p["last_name"].is_null(), "explicit null clears");
    assert_eq!(p["info"], "Loves noir.");
    assert_eq!(p["gender"], "WOMAN");
    assert_eq!(p["date_of_birth"], "1990-04-01");

    let p: Value = send(Method::PUT, json!({"first_name": "Amelia"}))
        .await
        .json();
    assert_eq!(p["first_name"], "Amelia");
    assert!(p["gender"].is_null(), "PUT replaces the whole profile");
}

#[tokio::test]
async fn bad_profile_changes_are_refused_and_change_nothing() {
    let app = TestApp::spawn().await;
    let t = app.sign_up("ben@example.com").await;
    let app = &app;
    let send = |method: Method, body: Value| {
        let token = t.access_token.clone();
        async move {
            app.json(method, "/api/v1/profile", Some(&token), body)
                .await
        }
    };
    send(Method::PUT, json!({"first_name": "Ben"})).await;
    send(Method::PATCH, json!({})).await.problem(400);
    send(Method::PATCH, json!({"nickname": "b"}))
        .await
        .problem(400);
    let cases = [
        (json!({"gender": "OTHER"}), "gender"),
        (json!({"date_of_birth": "2999-01-01"}), "date_of_birth"),
        (json!({"date_of_birth": "yesterday"}), "date_of_birth"),
        (json!({"first_name": "x".repeat(101)}), "first_name"),
        (json!({"last_name": 5}), "last_name"),
    ];
    for (body, field) in cases {
        let problem = send(Method::PATCH, body).await.problem(422);
        assert_eq!(problem.errors[0].field, field);
    }
    let p: Value = app.get_as(&t.access_token, "/api/v1/profile").await.json();
    assert_eq!(p["first_name"], "Ben");
}

#[tokio::test]
async fn a_put_without_any_known_field_is_400_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let user = app.sign_up("empty-put@example.com").await;
    let put = |body: Value| {
        app.json(
            Method::PUT,
            "/api/v1/profile",
            Some(&user.access_token),
            body,
        )
    };
    assert_eq!(put(json!({"first_name": "Ann"})).await.status, 200);
    for body in [json!({}), json!({"nickname": "x"})] {
        let problem = put(body).await.problem(400);
        assert!(problem.detail.contains("first_name"), "{}", problem.detail);
    }
    let profile: Value = app
        .get_as(&user.access_token, "/api/v1/profile")
        .await
        .json();
    assert_eq!(profile["first_name"], "Ann");
}
