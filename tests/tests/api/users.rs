//! Roles and admin user management.

use cinema_identity::Role;
use cinema_tests::{TestApp, strong_password};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn only_admins_manage_users() {
    let app = TestApp::spawn().await;
    let user = app.sign_up("user@example.com").await;
    let (_, moderator) = app.user_with_role(Role::Moderator).await;
    let (_, admin) = app.user_with_role(Role::Admin).await;
    app.get("/api/v1/users/").await.problem(401);
    app.get_as(&user.access_token, "/api/v1/users/")
        .await
        .problem(403);
    app.get_as(&moderator.access_token, "/api/v1/users")
        .await
        .problem(403);
    let res = app.get_as(&admin.access_token, "/api/v1/users").await;
    assert_eq!(res.status, 200);
    assert_eq!(res.json::<Value>()["total"], 3);
}

#[tokio::test]
async fn admins_filter_users_by_email_group_and_activation() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_role(Role::Admin).await;
    app.sign_up("alpha_1@example.com").await;
    app.sign_up("alphax1@example.com").await;
    app.register("beta@example.com", strong_password()).await;
    let app = &app;
    let list = |q: &str| {
        let path = format!("/api/v1/users/?{q}");
        let token = admin.access_token.clone();
        async move { app.get_as(&token, &path).await.json::<Value>() }
    };
    assert_eq!(list("email=ALPHA").await["total"], 2);
    assert_eq!(list("email=alpha_").await["total"], 1, "`_` is literal");
    assert_eq!(list("email=%25").await["total"], 0, "`%` is literal");
    assert_eq!(list("is_active=false").await["total"], 1);
    assert_eq!(list("group=ADMIN").await["total"], 1);
    let page = list("limit=2&skip=1").await;
    assert_eq!(
        (
            page["total"].as_u64(),
            page["items"].as_array().unwrap().len()
        ),
        (Some(4), 2)
    );
    let ids: Vec<i64> = list("").await["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_i64().unwrap())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ordered by id");
    app.get_as(&admin.access_token, "/api/v1/users?limit=0")
        .await
        .problem(422);
    app.get_as(&admin.access_token, "/api/v1/users?group=KING")
        .await
        .problem(422);
}

#[tokio::test]
async fn an_admin_promotes_activates_and_deactivates_users() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_role(Role::Admin).await;
    let waiting = app
        .register("yan@example.com", strong_password())
        .await
        .json::<Value>();
    let id = waiting["id"].as_i64().unwrap();
    let app = &app;
    let patch = |body: Value, target: i64| {
        let token = admin.access_token.clone();
        async move {
            app.json(
                Method::PATCH,
                &format!("/api/v1/users/{target}/"),
                Some(&token),
                body,
            )
            .await
        }
    };
    let res = patch(json!({"is_active": true, "group": "MODERATOR"}), id).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let body: Value = res.json();
    assert_eq!(
        (body["is_active"].clone(), body["group"].clone()),
        (json!(true), json!("MODERATOR"))
    );
    let yan = app.login_ok("yan@example.com", strong_password()).await;
    assert_eq!(
        app.get_as(&yan.access_token, "/api/v1/accounts/me")
            .await
            .json::<Value>()["group"],
        "MODERATOR"
    );

    assert_eq!(patch(json!({"is_active": false}), id).await.status, 200);
    app.get_as(&yan.access_token, "/api/v1/accounts/me")
        .await
        .problem(401);
    app.login("yan@example.com", strong_password())
        .await
        .problem(403);

    patch(json!({}), id).await.problem(400);
    patch(json!({"group": "KING"}), id).await.problem(422);
    patch(json!({"is_active": true}), 999_999)
        .await
        .problem(404);
    let res = app
        .get_as(&admin.access_token, &format!("/api/v1/users/{id}"))
        .await;
    assert_eq!(res.json::<Value>()["email"], "yan@example.com");
    app.get_as(&admin.access_token, "/api/v1/users/999999")
        .await
        .problem(404);
    app.get_as(&admin.access_token, "/api/v1/users/abc")
        .await
        .problem(422);
}

#[tokio::test]
async fn an_admin_cannot_demote_or_deactivate_themselves() {
    let app = TestApp::spawn().await;
    let (email, admin) = app.user_with_role(Role::Admin).await;
    let me: Value = app
        .get_as(&admin.access_token, "/api/v1/accounts/me")
        .await
        .json();
    let id = me["id"].as_i64().unwrap();
    for body in [json!({"group": "USER"}), json!({"is_active": false})] {
        app.json(
            Method::PATCH,
            &format!("/api/v1/users/{id}"),
            Some(&admin.access_token),
            body,
        )
        .await
        .problem(400);
    }
    app.login_ok(&email, strong_password()).await;
}

#[tokio::test]
async fn an_account_an_admin_disabled_stays_disabled_until_an_admin_enables_it() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user_with_role(Role::Admin).await;
    // Registered, never activated: keep the link from the first e-mail.
    app.register("mallory@example.com", strong_password()).await;
    let first_link = app.link_in_mail("mallory@example.com", "Activate", 1).await;
    let id = app
        .json(
            Method::GET,
            "/api/v1/users?email=mallory",
            Some(&admin.access_token),
            json!({}),
        )
        .await
        .json::<Value>()["items"][0]["id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/v1/users/{id}");
    let patch = |active: bool| {
        app.json(
            Method::PATCH,
            &path,
            Some(&admin.access_token),
            json!({"is_active": active}),
        )
    };
    assert_eq!(patch(false).await.status, 200);

    // The owner's ways back are all closed, and nothing is mailed.
    let queued = app.emails_queued_to("mallory@example.com").await;
    let res = app
        .post(
            "/api/v1/accounts/resend-activation",
            json!({"email": "mallory@example.com"}),
        )
        .await;
    assert_eq!(res.status, 202);
    assert_eq!(app.emails_queued_to("mallory@example.com").await, queued);
    let token = cinema_tests::query(&first_link, "token");
    let res = app
        .post(
            "/api/v1/accounts/activate",
            json!({"token": token, "email": "mallory@example.com"}),
        )
        .await;
    assert_eq!(res.status, 400, "{}", res.text());
    let problem = app
        .login("mallory@example.com", strong_password())
        .await
        .problem(403);
    assert!(problem.detail.contains("disabled"), "{}", problem.detail);
    let res = app
        .post(
            "/api/v1/accounts/password-reset/request",
            json!({"email": "mallory@example.com"}),
        )
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(app.emails_queued_to("mallory@example.com").await, queued);

    // Only an admin brings it back; then it signs in.
    let user: Value = patch(true).await.json();
    assert_eq!(user["is_active"], true);
    assert_eq!(
        app.login("mallory@example.com", strong_password())
            .await
            .status,
        201
    );
    // And an active account disabled again loses its sessions at once.
    let tokens = app.login_ok("mallory@example.com", strong_password()).await;
    assert_eq!(patch(false).await.status, 200);
    app.get_as(&tokens.access_token, "/api/v1/accounts/me")
        .await
        .problem(401);
    assert_eq!(
        app.login("mallory@example.com", strong_password())
            .await
            .status,
        403
    );
}
