//! Registration, activation and sign-in, through the real activation e-mail.

use cinema_tests::{TestApp, query, strong_password};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn a_new_user_activates_with_the_link_from_the_real_email_and_signs_in() {
    let app = TestApp::spawn().await;
    let res = app.register("Ann@Example.com", strong_password()).await;
    assert_eq!(res.status, 201, "{}", res.text());
    let body: Value = res.json();
    assert_eq!(body["email"], "ann@example.com");
    assert!(body["id"].as_i64().is_some());

    let inactive = app.login("ann@example.com", strong_password()).await;
    inactive.problem(403);

    let mail = &app.mails_to("ann@example.com", 1).await[0];
    let parsed = mail_parser::MessageParser::default()
        .parse(mail.data.as_bytes())
        .unwrap();
    assert!(parsed.subject().unwrap().contains("Activate"));
    assert!(parsed.body_html(0).is_some() && parsed.body_text(0).is_some());
    let link = app.link_in_mail("ann@example.com", "Activate", 1).await;
    assert!(
        link.as_str()
            .starts_with("https://app.example.com/activate?"),
        "{link}"
    );
    assert_eq!(query(&link, "email"), "ann@example.com");

    let res = app
        .post(
            "/api/v1/accounts/activate/",
            json!({"token": query(&link, "token"), "email": "ann@example.com"}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert!(res.json::<Value>()["message"].is_string());
    app.link_in_mail("ann@example.com", "active", 1).await;

    let tokens = app.login_ok("ANN@example.com", strong_password()).await;
    assert_eq!(tokens.token_type, "bearer");
    assert!((15 * 60..=30 * 60).contains(&tokens.expires_in));
    let me: Value = app
        .get_as(&tokens.access_token, "/api/v1/accounts/me/")
        .await
        .json();
    assert_eq!(me["email"], "ann@example.com");
    assert_eq!(me["group"], "USER");
    assert_eq!(me["is_active"], true);
    assert!(me["created_at"].as_str().unwrap().ends_with('Z'));
}

#[tokio::test]
async fn an_activation_token_works_once_and_an_active_account_cannot_activate_again() {
    let app = TestApp::spawn().await;
    app.register("bo@example.com", strong_password()).await;
    let token = query(
        &app.link_in_mail("bo@example.com", "Activate", 1).await,
        "token",
    );
    let activate = || app.post("/api/v1/accounts/activate", json!({"token": token}));
    assert_eq!(activate().await.status, 200);
    activate().await.problem(400);
    app.post("/api/v1/accounts/activate", json!({"token": "made-up"}))
        .await
        .problem(400);
}

#[tokio::test]
async fn an_expired_activation_can_be_replaced_by_a_new_link() {
    let app = TestApp::spawn().await;
    app.register("cy@example.com", strong_password()).await;
    let old = query(
        &app.link_in_mail("cy@example.com", "Activate", 1).await,
        "token",
    );
    use sea_orm::{ConnectionTrait, Statement};
    let backend = app.db().get_database_backend();
    app.db()
        .execute_raw(Statement::from_string(
            backend,
            "UPDATE account_tokens SET expires_at = 0 WHERE purpose = 'activation'",
        ))
        .await
        .unwrap();
    let expired = app
        .post("/api/v1/accounts/activate", json!({"token": old}))
        .await;
    assert!(expired.problem(400).detail.contains("expired"));

    let res = app
        .post(
            "/api/v1/accounts/resend-activation/",
            json!({"email": "cy@example.com"}),
        )
        .await;
    assert_eq!(res.status, 202);
    let new = query(
        &app.link_in_mail("cy@example.com", "Activate", 2).await,
        "token",
    );
    assert_ne!(old, new);
    app.post("/api/v1/accounts/activate", json!({"token": old}))
        .await
        .problem(400);
    assert_eq!(
        app.post("/api/v1/accounts/activate", json!({"token": new}))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn resend_activation_answers_the_same_whether_or_not_the_account_exists() {
    let app = TestApp::spawn().await;
    // Only a malformed address is refused: its form says nothing about any account.
    app.post(
        "/api/v1/accounts/resend-activation",
        json!({"email": "not-an-email"}),
    )
    .await
    .problem(422);
    app.sign_up("active@example.com").await;
    app.register("waiting@example.com", strong_password()).await;
    let mut bodies = Vec::new();
    for email in [
        "nobody@example.com",
        "active@example.com",
        "waiting@example.com",
    ] {
        let res = app
            .post(
                "/api/v1/accounts/resend-activation",
                json!({"email": email}),
            )
            .await;
        assert_eq!(res.status, 202);
        bodies.push(res.text());
    }
    assert!(bodies.windows(2).all(|w| w[0] == w[1]));
    app.link_in_mail("waiting@example.com", "Activate", 2).await;
    assert_eq!(app.emails_queued_to("nobody@example.com").await, 0);
    assert_eq!(
        app.emails_queued_to("active@example.com").await,
        2,
        "an active account gets no new activation link (only its first link and the notice)"
    );
}

#[tokio::test]
async fn emails_are_unique_case_insensitively() {
    let app = TestApp::spawn().await;
    assert_eq!(
        app.register("dup@example.com", strong_password())
            .await
            .status,
        201
    );
    let problem = app
        .register("DUP@Example.com", strong_password())
        .await
        .problem(409);
    assert!(problem.detail.contains("already exists"));
}

#[tokio::test]
async fn two_concurrent_registrations_of_one_email_give_one_201_and_one_409() {
    let app = TestApp::spawn().await;
    for round in 0..5 {
        let email = format!("race{round}@example.com");
        let upper = email.to_uppercase();
        let (a, b) = tokio::join!(
            app.register(&email, strong_password()),
            app.register(&upper, strong_password())
        );
        let mut statuses = [a.status.as_u16(), b.status.as_u16()];
        statuses.sort();
        assert_eq!(statuses, [201, 409], "{} / {}", a.text(), b.text());
    }
}

#[tokio::test]
async fn weak_passwords_and_bad_emails_are_422_naming_the_rule() {
    let app = TestApp::spawn().await;
    let problem = app
        .register("eve@example.com", "password")
        .await
        .problem(422);
    let message = &problem.errors[0].message;
    assert_eq!(problem.errors[0].field, "password");
    assert!(
        message.contains("upper-case") && message.contains("digit"),
        "{message}"
    );

    let problem = app.register("not-an-email", "x").await.problem(422);
    let fields: Vec<_> = problem.errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["email", "password"]);

    let too_long = format!("Aa1#{}", "x".repeat(200));
    app.register("eve@example.com", &too_long)
        .await
        .problem(422);
}

#[tokio::test]
async fn bad_json_is_a_clear_problem_and_loses_nothing() {
    let app = TestApp::spawn().await;
    let malformed = app
        .send_raw(
            Method::POST,
            "/api/v1/accounts/register",
            "application/json",
            "{\"email\": ",
        )
        .await;
    malformed.problem(400);
    let wrong_type = app
        .post(
            "/api/v1/accounts/register",
            json!({"email": 42, "password": strong_password()}),
        )
        .await;
    let problem = wrong_type.problem(422);
    // The field and the rule, in the client's terms: no Rust type names, no echo.
    assert_eq!(problem.errors[0].field, "email", "{problem:?}");
    assert_eq!(problem.errors[0].message, "must be a string", "{problem:?}");
    let missing = app
        .post(
            "/api/v1/accounts/register",
            json!({"email": "x@example.com"}),
        )
        .await;
    let problem = missing.problem(422);
    assert_eq!(
        (
            problem.errors[0].field.as_str(),
            problem.errors[0].message.as_str()
        ),
        ("password", "is required")
    );
    let unknown_fields = app
        .post(
            "/api/v1/accounts/register",
            json!({"email": "ok@example.com", "password": strong_password(), "nickname": "x", "guest_cart_items": [1, 2]}),
        )
        .await;
    assert_eq!(unknown_fields.status, 201, "unknown fields are ignored");
}

#[tokio::test]
async fn wrong_email_and_wrong_password_get_the_same_401() {
    let app = TestApp::spawn().await;
    app.sign_up("fay@example.com").await;
    let wrong_password = app.login("fay@example.com", "Wrong#1234").await;
    let unknown = app.login("nobody@example.com", strong_password()).await;
    let (a, b) = (wrong_password.problem(401), unknown.problem(401));
    assert_eq!(a.detail, b.detail);
    assert_eq!(wrong_password.header("www-authenticate"), Some("Bearer"));
}

#[tokio::test]
async fn signing_in_twice_in_the_same_second_gives_two_sessions() {
    let app = TestApp::spawn().await;
    app.sign_up("gus@example.com").await;
    let (a, b) = tokio::join!(
        app.login("gus@example.com", strong_password()),
        app.login("gus@example.com", strong_password())
    );
    assert_eq!((a.status.as_u16(), b.status.as_u16()), (201, 201));
    let a: cinema_tests::Tokens = a.json();
    let sessions: Value = app
        .get_as(&a.access_token, "/api/v1/accounts/sessions")
        .await
        .json();
    assert_eq!(
        sessions["total"], 3,
        "sign-up, and the two concurrent sign-ins"
    );
}

#[tokio::test]
async fn repeated_failures_are_throttled_per_account_with_retry_after() {
    let app = TestApp::spawn_with(&[("LOGIN_MAX_FAILURES", "3")]).await;
    app.sign_up("hal@example.com").await;
    app.sign_up("ida@example.com").await;
    for _ in 0..3 {
        app.login("hal@example.com", "Wrong#1234")
            .await
            .problem(401);
    }
    let blocked = app.login("hal@example.com", strong_password()).await;
    blocked.problem(429);
    let retry: u64 = blocked.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry));
    assert_eq!(
        app.login("ida@example.com", strong_password()).await.status,
        201
    );
}

#[tokio::test]
async fn repeated_failures_from_one_address_are_throttled_across_accounts() {
    let app = TestApp::spawn_with(&[("LOGIN_MAX_FAILURES_PER_ADDRESS", "4")]).await;
    app.sign_up("jo@example.com").await;
    for i in 0..4 {
        app.login(&format!("ghost{i}@example.com"), "Wrong#1234")
            .await
            .problem(401);
    }
    app.login("jo@example.com", strong_password())
        .await
        .problem(429);
}
