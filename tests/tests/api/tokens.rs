//! Access and refresh tokens: rotation, reuse detection, sign-out, and which tokens are
//! accepted as Bearer.

use cinema_kernel::{SessionId, UserId};
use cinema_tests::{TestApp, query};
use serde_json::{Value, json};

#[tokio::test]
async fn requests_without_or_with_a_bad_token_are_401_with_www_authenticate() {
    let app = TestApp::spawn().await;
    for token in [None, Some("garbage"), Some("a.b.c")] {
        let res = match token {
            Some(t) => app.get_as(t, "/api/v1/accounts/me").await,
            None => app.get("/api/v1/accounts/me").await,
        };
        res.problem(401);
        assert_eq!(res.header("www-authenticate"), Some("Bearer"));
    }
    let basic = app
        .send(
            app.client
                .get(app.url("/api/v1/accounts/me"))
                .header("authorization", "Basic abc"),
        )
        .await;
    basic.problem(401);
}

#[tokio::test]
async fn activation_reset_and_refresh_tokens_are_never_access_tokens() {
    let app = TestApp::spawn().await;
    app.register("kim@example.com", cinema_tests::strong_password())
        .await;
    let activation = query(
        &app.link_in_mail("kim@example.com", "Activate", 1).await,
        "token",
    );
    app.get_as(&activation, "/api/v1/accounts/me")
        .await
        .problem(401);
    app.post("/api/v1/accounts/activate", json!({"token": activation}))
        .await;
    let tokens = app
        .login_ok("kim@example.com", cinema_tests::strong_password())
        .await;
    app.get_as(&tokens.refresh_token, "/api/v1/accounts/me")
        .await
        .problem(401);
    app.post(
        "/api/v1/accounts/password-reset/request",
        json!({"email": "kim@example.com"}),
    )
    .await;
    let reset = query(
        &app.link_in_mail("kim@example.com", "Reset", 1).await,
        "token",
    );
    app.get_as(&reset, "/api/v1/accounts/me").await.problem(401);
}

#[tokio::test]
async fn refresh_rotates_and_a_replayed_token_revokes_the_whole_session() {
    let app = TestApp::spawn().await;
    let first = app.sign_up("lea@example.com").await;
    let refresh = |t: &str| app.post("/api/v1/accounts/refresh/", json!({"refresh_token": t}));

    let res = refresh(&first.refresh_token).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let second: cinema_tests::Tokens = res.json();
    assert_ne!(second.refresh_token, first.refresh_token);
    assert_eq!(
        app.get_as(&second.access_token, "/api/v1/accounts/me")
            .await
            .status,
        200
    );

    // The first token was rotated: presenting it again is reuse.
    refresh(&first.refresh_token).await.problem(401);
    // The whole session is gone: the newest refresh token and its access token too.
    refresh(&second.refresh_token).await.problem(401);
    app.get_as(&second.access_token, "/api/v1/accounts/me")
        .await
        .problem(401);
    refresh("never-issued").await.problem(401);
}

#[tokio::test]
async fn logout_ends_the_session_at_once() {
    let app = TestApp::spawn().await;
    let tokens = app.sign_up("max@example.com").await;
    let other = app
        .login_ok("max@example.com", cinema_tests::strong_password())
        .await;
    let res = app
        .json(
            reqwest::Method::POST,
            "/api/v1/accounts/logout/",
            Some(&tokens.access_token),
            json!({"refresh_token": tokens.refresh_token}),
        )
        .await;
    assert_eq!(res.status, 204, "{}", res.text());
    app.get_as(&tokens.access_token, "/api/v1/accounts/me")
        .await
        .problem(401);
    app.post(
        "/api/v1/accounts/refresh",
        json!({"refresh_token": tokens.refresh_token}),
    )
    .await
    .problem(401);
    assert_eq!(
        app.get_as(&other.access_token, "/api/v1/accounts/me")
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn logout_on_all_devices_ends_every_session() {
    let app = TestApp::spawn().await;
    let a = app.sign_up("ned@example.com").await;
    let b = app
        .login_ok("ned@example.com", cinema_tests::strong_password())
        .await;
    let res = app
        .json(
            reqwest::Method::POST,
            "/api/v1/accounts/logout",
            Some(&a.access_token),
            json!({"refresh_token": a.refresh_token, "all_devices": true}),
        )
        .await;
    assert_eq!(res.status, 204);
    for t in [&a.access_token, &b.access_token] {
        app.get_as(t, "/api/v1/accounts/me").await.problem(401);
    }
}

#[tokio::test]
async fn nobody_can_sign_out_someone_elses_session() {
    let app = TestApp::spawn().await;
    let mine = app.sign_up("oli@example.com").await;
    let theirs = app.sign_up("pam@example.com").await;
    let res = app
        .json(
            reqwest::Method::POST,
            "/api/v1/accounts/logout",
            Some(&mine.access_token),
            json!({"refresh_token": theirs.refresh_token}),
        )
        .await;
    res.problem(400);
    assert_eq!(
        app.get_as(&theirs.access_token, "/api/v1/accounts/me")
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn sessions_are_listed_and_one_can_be_revoked_but_not_anothers() {
    let app = TestApp::spawn().await;
    let phone = app.sign_up("quin@example.com").await;
    let laptop = app
        .send(
            app.client
                .post(app.url("/api/v1/accounts/login"))
                .header("user-agent", "LaptopBrowser/1.0")
                .json(&json!({"email": "quin@example.com", "password": cinema_tests::strong_password()})),
        )
        .await
        .json::<cinema_tests::Tokens>();
    let list: Value = app
        .get_as(&phone.access_token, "/api/v1/accounts/sessions/")
        .await
        .json();
    assert_eq!(list["total"], 2);
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.iter().filter(|s| s["current"] == true).count(), 1);
    let laptop_session = items
        .iter()
        .find(|s| s["user_agent"] == "LaptopBrowser/1.0")
        .expect("the laptop session");
    let id = laptop_session["id"].as_i64().unwrap();

    let stranger = app.sign_up("rex@example.com").await;
    let res = app
        .json(
            reqwest::Method::DELETE,
            &format!("/api/v1/accounts/sessions/{id}"),
            Some(&stranger.access_token),
            json!({}),
        )
        .await;
    res.problem(404);

    let res = app
        .json(
            reqwest::Method::DELETE,
            &format!("/api/v1/accounts/sessions/{id}/"),
            Some(&phone.access_token),
            json!({}),
        )
        .await;
    assert_eq!(res.status, 204);
    app.get_as(&laptop.access_token, "/api/v1/accounts/me")
        .await
        .problem(401);
    assert_eq!(
        app.get_as(&phone.access_token, "/api/v1/accounts/me")
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn an_access_token_expires_when_the_clock_passes_its_lifetime() {
    let app = TestApp::spawn().await;
    let user = app.sign_up("clock@example.com").await;
    let me = "/api/v1/accounts/me";
    assert_eq!(app.get_as(&user.access_token, me).await.status, 200);
    // Past the longest allowed lifetime (30 minutes), without waiting for it.
    app.clock.advance(std::time::Duration::from_secs(31 * 60));
    let problem = app.get_as(&user.access_token, me).await.problem(401);
    assert!(problem.detail.contains("expired"), "{}", problem.detail);
}

#[tokio::test]
async fn tokens_that_claim_to_come_from_the_future_are_refused() {
    use cinema_identity::{AccessClaims, TokenService};
    use cinema_kernel::time::Clock;
    let app = TestApp::spawn().await;
    let user = app.sign_up("future@example.com").await;
    let me = "/api/v1/accounts/me";
    let real = {
        let token = &user.access_token;
        let data = jsonwebtoken::dangerous::insecure_decode::<AccessClaims>(token).unwrap();
        data.claims
    };
    let secret = "test-secret-test-secret-test-secret!";
    // Issued an hour from now, by a clock that runs ahead.
    let ahead = Clock::system();
    ahead.advance(std::time::Duration::from_secs(3600));
    let tokens = TokenService::new(
        &secret.to_owned().into(),
        std::time::Duration::from_secs(900),
        ahead,
    );
    let from_the_future = tokens
        .issue(UserId(real.user_id().unwrap()), SessionId(real.sid))
        .unwrap();
    let problem = app.get_as(&from_the_future, me).await.problem(401);
    assert!(
        problem.detail.contains("not valid yet"),
        "{}",
        problem.detail
    );
    // Not before an hour from now, otherwise genuine.
    let mut claims = real.clone();
    claims.nbf = Some(claims.iat + 3600);
    let token = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap();
    app.get_as(&token, me).await.problem(401);
    // Within the skew it is the same token as ever.
    assert_eq!(app.get_as(&user.access_token, me).await.status, 200);
}

#[tokio::test]
async fn non_ascii_addresses_are_refused_at_registration_with_a_clear_422() {
    let app = TestApp::spawn().await;
    for email in ["anné@example.com", "ann@exämple.com"] {
        let problem = app
            .register(email, cinema_tests::strong_password())
            .await
            .problem(422);
        assert_eq!(problem.errors[0].field, "email");
        assert!(problem.errors[0].message.contains("ASCII"), "{problem:?}");
    }
}
