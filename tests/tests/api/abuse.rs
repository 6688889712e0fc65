//! Abuse limits counted in the database: floods against one victim, a lockout attempt, wrong
//! old passwords, and answers whose timing says nothing about accounts.

use std::time::Duration;

use cinema_identity::Role;
use cinema_tests::{TestApp, TestResponse, client_from, strong_password};
use reqwest::Method;
use serde_json::json;

async fn post_from(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    body: serde_json::Value,
) -> TestResponse {
    app.send(client.post(app.url(path)).json(&body)).await
}

fn retry_after(res: &TestResponse) -> u64 {
    res.header("retry-after")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("a 429 names Retry-After: {}", res.text()))
}

#[tokio::test]
async fn a_flood_of_reset_requests_mails_a_victim_at_most_the_limit_and_says_nothing() {
    let app = TestApp::spawn_with(&[
        ("MAIL_LIMIT_PER_RECIPIENT", "3"),
        ("MAIL_LIMIT_PER_CLIENT", "1000"),
    ])
    .await;
    // An account made without any e-mail, so the flood is all that counts.
    let (victim, _) = app.user_with_role(Role::User).await;
    let victim = victim.as_str();
    let mut statuses = Vec::new();
    for _ in 0..30 {
        let res = app
            .post(
                "/api/v1/accounts/password-reset/request",
                json!({"email": victim}),
            )
            .await;
        if res.status == 429 {
            assert!(retry_after(&res) > 0);
        }
        statuses.push(res.status.as_u16());
    }
    assert_eq!(&statuses[..3], &[200, 200, 200]);
    assert!(statuses[3..].iter().all(|s| *s == 429), "{statuses:?}");
    assert_eq!(app.emails_queued_to(victim).await, 3);
    // An address with no account is answered exactly alike: 429s do not enumerate.
    let mut unknown = Vec::new();
    for _ in 0..30 {
        let res = app
            .post(
                "/api/v1/accounts/password-reset/request",
                json!({"email": "ghost@example.com"}),
            )
            .await;
        unknown.push(res.status.as_u16());
    }
    assert_eq!(statuses, unknown);
    // Another recipient is not blocked by the victim's limit.
    let res = app
        .post(
            "/api/v1/accounts/resend-activation",
            json!({"email": "other@example.com"}),
        )
        .await;
    assert_eq!(res.status, 202);
}

#[tokio::test]
async fn one_client_is_limited_across_recipients_and_registrations() {
    let app = TestApp::spawn_with(&[
        ("MAIL_LIMIT_PER_CLIENT", "4"),
        ("REGISTRATION_LIMIT_PER_CLIENT", "2"),
    ])
    .await;
    let flooder = client_from("127.0.0.9");
    let mut statuses = Vec::new();
    for i in 0..6 {
        let body = json!({"email": format!("target{i}@example.com")});
        statuses.push(
            post_from(&app, &flooder, "/api/v1/accounts/resend-activation", body)
                .await
                .status
                .as_u16(),
        );
    }
    assert_eq!(statuses, [202, 202, 202, 202, 429, 429]);
    // Registrations from a fresh address: two, then 429.
    let registrar = client_from("127.0.0.10");
    let mut statuses = Vec::new();
    for i in 0..3 {
        let body = json!({"email": format!("new{i}@example.com"), "password": strong_password()});
        statuses.push(
            post_from(&app, &registrar, "/api/v1/accounts/register", body)
                .await
                .status
                .as_u16(),
        );
    }
    assert_eq!(statuses, [201, 201, 429]);
    // Other clients are not affected.
    assert_eq!(
        app.register("elsewhere@example.com", strong_password())
            .await
            .status,
        201
    );
}

#[tokio::test]
async fn failed_sign_ins_cannot_lock_the_owner_out() {
    let app =
        TestApp::spawn_with(&[("LOGIN_MAX_FAILURES", "5"), ("LOGIN_MAX_DELAY_SECS", "2")]).await;
    let (admin_email, _) = app.user_with_role(Role::Admin).await;
    let attacker = client_from("127.0.0.2");
    let wrong = json!({"email": admin_email, "password": "Wrong#Pass1"});
    for _ in 0..5 {
        let res = post_from(&app, &attacker, "/api/v1/accounts/login", wrong.clone()).await;
        assert_eq!(res.status, 401, "{}", res.text());
    }
    // The attacker's address is refused for this account, even with the right password.
    let right = json!({"email": admin_email, "password": strong_password()});
    let res = post_from(&app, &attacker, "/api/v1/accounts/login", right.clone()).await;
    assert_eq!(res.status, 429);
    assert!(retry_after(&res) > 0);
    // The owner, from elsewhere, is at most slowed down: a short wait, then in.
    let owner = client_from("127.0.0.3");
    let mut res = post_from(&app, &owner, "/api/v1/accounts/login", right.clone()).await;
    if res.status == 429 {
        let wait = retry_after(&res);
        assert!(wait <= 2, "the owner waits at most the cap, not {wait} s");
        app.clock.advance(Duration::from_secs(wait));
        res = post_from(&app, &owner, "/api/v1/accounts/login", right.clone()).await;
    }
    assert_eq!(res.status, 201, "{}", res.text());
}

#[tokio::test]
async fn wrong_old_passwords_are_limited_per_account() {
    let app = TestApp::spawn_with(&[("PASSWORD_CHANGE_MAX_FAILURES", "3")]).await;
    let user = app.sign_up("careful@example.com").await;
    let change = |old: &'static str| {
        app.json(
            Method::POST,
            "/api/v1/accounts/password/change",
            Some(&user.access_token),
            json!({"old_password": old, "new_password": "Brand#New99"}),
        )
    };
    for _ in 0..3 {
        assert_eq!(change("Wrong#Pass1").await.status, 400);
    }
    let res = change(strong_password()).await;
    assert_eq!(res.status, 429, "{}", res.text());
    assert!(retry_after(&res) > 0);
}

#[tokio::test]
async fn reset_and_resend_take_as_long_for_unknown_addresses_as_for_known_ones() {
    let app = TestApp::spawn_with(&[("MAIL_REQUEST_MIN_ANSWER_MS", "200")]).await;
    app.sign_up("known@example.com").await;
    app.register("pending@example.com", strong_password()).await;
    async fn median(app: &TestApp, path: &str, email: &str) -> Duration {
        let mut times = Vec::new();
        for _ in 0..9 {
            let started = std::time::Instant::now();
            let res = app.post(path, json!({"email": email})).await;
            assert!(res.status.is_success(), "{}", res.text());
            times.push(started.elapsed());
        }
        times.sort();
        times[times.len() / 2]
    }
    for (path, known) in [
        (
            "/api/v1/accounts/password-reset/request",
            "known@example.com",
        ),
        ("/api/v1/accounts/resend-activation", "pending@example.com"),
    ] {
        let known_time = median(&app, path, known).await;
        let unknown_time = median(&app, path, "nobody@example.com").await;
        for t in [known_time, unknown_time] {
            assert!(
                t >= Duration::from_millis(200),
                "{path}: {t:?} under the floor"
            );
        }
        let gap = known_time.abs_diff(unknown_time);
        assert!(
            gap < Duration::from_millis(60),
            "{path}: {known_time:?} vs {unknown_time:?}"
        );
    }
}

#[tokio::test]
async fn two_instances_share_the_limits() {
    let app = TestApp::spawn_with(&[("MAIL_LIMIT_PER_RECIPIENT", "3")]).await;
    let (victim, _) = app.user_with_role(Role::User).await;
    // A second instance of the service on the same database, as a load balancer would have.
    let dir = tempfile::tempdir().unwrap();
    let env: std::collections::HashMap<String, String> = [
        ("DATABASE_URL", app.database().url()),
        ("HTTP_ADDR", "127.0.0.1:0"),
        ("HTTP_WORKERS", "1"),
        ("JWT_SECRET", "test-secret-test-secret-test-secret!"),
        ("MAIL_DIR", &dir.path().join("mail").to_string_lossy()),
        ("MEDIA_DIR", &dir.path().join("media").to_string_lossy()),
        ("MAIL_LIMIT_PER_RECIPIENT", "3"),
        ("MAIL_LIMIT_PER_CLIENT", "1000"),
        ("MAIL_REQUEST_MIN_ANSWER_MS", "0"),
        ("BCRYPT_COST", "4"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let settings = cinema_server::settings::Settings::from_source(&env).unwrap();
    let second = cinema_server::startup::Application::build(&settings)
        .await
        .unwrap();
    let second_url = format!("http://127.0.0.1:{}", second.port());
    let handle = second.handle();
    tokio::spawn(second.run_until_stopped());

    let mut statuses = Vec::new();
    for i in 0..8 {
        let base = if i % 2 == 0 {
            app.url("")
        } else {
            second_url.clone()
        };
        let res = app
            .client
            .post(format!(
                "{}/api/v1/accounts/password-reset/request",
                base.trim_end_matches('/')
            ))
            .json(&json!({"email": victim}))
            .send()
            .await
            .unwrap();
        statuses.push(res.status().as_u16());
    }
    handle.stop(true).await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        3,
        "{statuses:?}"
    );
    assert_eq!(app.emails_queued_to(&victim).await, 3);
}

#[tokio::test]
async fn each_limit_says_what_it_limits() {
    let app = TestApp::spawn_with(&[
        ("LOGIN_MAX_FAILURES", "1"),
        ("REGISTRATION_LIMIT_PER_CLIENT", "1"),
        ("MAIL_LIMIT_PER_RECIPIENT", "1"),
        ("MAIL_LIMIT_PER_CLIENT", "1000"),
        ("PASSWORD_CHANGE_MAX_FAILURES", "1"),
    ])
    .await;
    let user = app.sign_up("limits@example.com").await;
    let expect = |res: TestResponse, kind: &str, words: &str| {
        assert!(retry_after(&res) > 0);
        let problem = res.problem(429);
        assert_eq!(
            problem.problem_type,
            format!("urn:cinema:problem:rate-limited:{kind}")
        );
        assert!(problem.detail.contains(words), "{kind}: {}", problem.detail);
    };
    // Sign-in: one wrong password from this address, then refused.
    let wrong = json!({"email": "limits@example.com", "password": "Wrong#Pass1"});
    assert_eq!(
        app.post("/api/v1/accounts/login", wrong.clone())
            .await
            .status,
        401
    );
    expect(
        app.post("/api/v1/accounts/login", wrong).await,
        "sign-in",
        "failed sign-in attempts",
    );
    // Registration: this client already signed up once.
    let body = json!({"email": "second@example.com", "password": strong_password()});
    expect(
        app.post("/api/v1/accounts/register", body).await,
        "registration",
        "sign-ups",
    );
    // Password reset and activation resend: one e-mail per recipient.
    for (path, to, first, kind, words) in [
        (
            "/api/v1/accounts/password-reset/request",
            "reset@example.com",
            200,
            "password-reset",
            "password-reset requests",
        ),
        (
            "/api/v1/accounts/resend-activation",
            "fresh@example.com",
            202,
            "activation-resend",
            "activation e-mails",
        ),
    ] {
        let body = json!({"email": to});
        assert_eq!(app.post(path, body.clone()).await.status, first);
        expect(app.post(path, body).await, kind, words);
    }
    // Password change: one wrong current password.
    let change = |old: &'static str| {
        app.json(
            Method::POST,
            "/api/v1/accounts/password/change",
            Some(&user.access_token),
            json!({"old_password": old, "new_password": "Brand#New99"}),
        )
    };
    assert_eq!(change("Wrong#Pass1").await.status, 400);
    expect(
        change(strong_password()).await,
        "password-change",
        "wrong current passwords",
    );
}
