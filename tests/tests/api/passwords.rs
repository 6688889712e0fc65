//! Password change and reset.

use cinema_tests::{TestApp, query, strong_password};
use reqwest::Method;
use serde_json::{Value, json};

const NEW: &str = "Better#456";

#[tokio::test]
async fn changing_the_password_signs_out_other_sessions_and_sends_a_notice() {
    let app = TestApp::spawn().await;
    let current = app.sign_up("sam@example.com").await;
    let other = app.login_ok("sam@example.com", strong_password()).await;
    let change = |old: &str, new: &str| {
        app.json(
            Method::POST,
            "/api/v1/accounts/password/change/",
            Some(&current.access_token),
            json!({"old_password": old, "new_password": new}),
        )
    };
    change("Wrong#0000", NEW).await.problem(400);
    assert_eq!(
        change(strong_password(), "weak").await.problem(422).errors[0].field,
        "new_password"
    );
    let res = change(strong_password(), NEW).await;
    assert_eq!(res.status, 200, "{}", res.text());

    app.get_as(&other.access_token, "/api/v1/accounts/me")
        .await
        .problem(401);
    assert_eq!(
        app.get_as(&current.access_token, "/api/v1/accounts/me")
            .await
            .status,
        200
    );
    app.login("sam@example.com", strong_password())
        .await
        .problem(401);
    app.login_ok("sam@example.com", NEW).await;
    app.link_in_mail("sam@example.com", "password was changed", 1)
        .await;
}

#[tokio::test]
async fn a_reset_request_answers_the_same_for_any_email_and_mails_only_active_accounts() {
    let app = TestApp::spawn().await;
    // Only a malformed address is refused: its form says nothing about any account.
    app.post(
        "/api/v1/accounts/password-reset/request/",
        json!({"email": "x"}),
    )
    .await
    .problem(422);
    app.sign_up("tia@example.com").await;
    app.register("ursula@example.com", strong_password()).await;
    let mut bodies = Vec::new();
    for email in [
        "tia@example.com",
        "ursula@example.com",
        "nobody@example.com",
    ] {
        let res = app
            .post(
                "/api/v1/accounts/password-reset/request/",
                json!({"email": email}),
            )
            .await;
        assert_eq!(res.status, 200);
        bodies.push(res.text());
    }
    assert!(bodies.windows(2).all(|w| w[0] == w[1]));
    app.link_in_mail("tia@example.com", "Reset", 1).await;
    // Read from the jobs table: final as soon as the responses are in.
    assert_eq!(
        app.emails_queued_to("ursula@example.com").await,
        1,
        "only the activation e-mail"
    );
}

#[tokio::test]
async fn a_wrong_reset_guess_changes_nothing_and_the_real_token_works_once() {
    let app = TestApp::spawn().await;
    let session = app.sign_up("vic@example.com").await;
    app.post(
        "/api/v1/accounts/password-reset/request",
        json!({"email": "vic@example.com"}),
    )
    .await;
    let link = app.link_in_mail("vic@example.com", "Reset", 1).await;
    assert!(
        link.as_str()
            .starts_with("https://app.example.com/reset-password?")
    );
    let token = query(&link, "token");
    let complete = |token: &str, password: &str| {
        app.post(
            "/api/v1/accounts/reset-password/complete/",
            json!({"email": "vic@example.com", "token": token, "password": password}),
        )
    };
    complete("a-wrong-guess", NEW).await.problem(400);
    complete(&token, "weak").await.problem(422);
    let res = complete(&token, NEW).await;
    assert_eq!(
        res.status,
        200,
        "the guess did not burn the real token: {}",
        res.text()
    );
    complete(&token, "Another#789").await.problem(400);

    app.get_as(&session.access_token, "/api/v1/accounts/me")
        .await
        .problem(401);
    app.login("vic@example.com", strong_password())
        .await
        .problem(401);
    app.login_ok("vic@example.com", NEW).await;
    app.link_in_mail("vic@example.com", "password was changed", 1)
        .await;
}

#[tokio::test]
async fn an_expired_reset_token_is_refused() {
    let app = TestApp::spawn().await;
    app.sign_up("wes@example.com").await;
    app.post(
        "/api/v1/accounts/password-reset/request",
        json!({"email": "wes@example.com"}),
    )
    .await;
    let token = query(
        &app.link_in_mail("wes@example.com", "Reset", 1).await,
        "token",
    );
    use sea_orm::{ConnectionTrait, Statement};
    let backend = app.db().get_database_backend();
    app.db()
        .execute_raw(Statement::from_string(
            backend,
            "UPDATE account_tokens SET expires_at = 0 WHERE purpose = 'password_reset'",
        ))
        .await
        .unwrap();
    let res = app
        .post(
            "/api/v1/accounts/reset-password/complete",
            json!({"email": "wes@example.com", "token": token, "password": NEW}),
        )
        .await;
    res.problem(400);
    let me: Value = app
        .login_ok("wes@example.com", strong_password())
        .await
        .access_token
        .into();
    assert!(me.is_string());
}
