//! Known devices: an owner who sends back the `device_token` of an earlier sign-in is not held
//! out by guesses from elsewhere; the token is no credential, counts its own failures, and dies
//! with a password change.

use std::time::Duration;

use cinema_identity::Role;
use cinema_tests::{TestApp, TestResponse, client_from, strong_password};
use reqwest::Method;
use serde_json::{Value, json};

async fn login(
    app: &TestApp,
    client: &reqwest::Client,
    email: &str,
    password: &str,
    device: Option<&str>,
) -> TestResponse {
    let mut body = json!({"email": email, "password": password});
    if let Some(device) = device {
        body["device_token"] = json!(device);
    }
    app.send(client.post(app.url("/api/v1/accounts/login")).json(&body))
        .await
}

/// One round of an attacker guessing from `n` new addresses of 127.0.0.0/8.
async fn guesses(app: &TestApp, email: &str, round: usize, n: usize) {
    for k in 0..n {
        let attacker = client_from(&format!("127.0.{}.{}", 10 + round, 10 + k));
        let res = login(app, &attacker, email, "Wrong#Guess1", None).await;
        assert!(res.status == 401 || res.status == 429, "{}", res.text());
    }
}

async fn device_token_of(res: &TestResponse) -> String {
    assert_eq!(res.status, 201, "{}", res.text());
    res.json::<Value>()["device_token"]
        .as_str()
        .expect("a device token")
        .to_owned()
}

#[tokio::test]
async fn an_owner_with_a_device_token_signs_in_at_once_while_guesses_keep_coming_for_minutes() {
    let app =
        TestApp::spawn_with(&[("LOGIN_MAX_FAILURES", "5"), ("LOGIN_MAX_DELAY_SECS", "30")]).await;
    let (email, _) = app.user_with_role(Role::User).await;
    let owner = client_from("127.0.0.3");
    let device = device_token_of(&login(&app, &owner, &email, strong_password(), None).await).await;
    let mut refused_without_token = 0;
    // Four minutes of guessing from rotating addresses, the owner signing in every 20 s.
    for round in 0..12 {
        guesses(&app, &email, round, 6).await;
        let res = login(&app, &owner, &email, strong_password(), Some(&device)).await;
        assert_eq!(res.status, 201, "round {round}: {}", res.text());
        // The same token comes back: it stays this device's.
        assert_eq!(device_token_of(&res).await, device);
        if login(&app, &owner, &email, strong_password(), None)
            .await
            .status
            == 429
        {
            refused_without_token += 1;
        }
        app.clock.advance(Duration::from_secs(20));
    }
    // Without the token the attack did hold the owner back.
    assert!(refused_without_token > 0);
}

#[tokio::test]
async fn a_device_token_is_no_credential_and_stops_exempting_after_its_own_failures() {
    let app =
        TestApp::spawn_with(&[("LOGIN_MAX_FAILURES", "3"), ("LOGIN_MAX_DELAY_SECS", "30")]).await;
    let (email, _) = app.user_with_role(Role::User).await;
    let (other, _) = app.user_with_role(Role::User).await;
    let owner = client_from("127.0.0.3");
    let device = device_token_of(&login(&app, &owner, &email, strong_password(), None).await).await;
    // Another account's sign-in with this token is an ordinary one; a wrong password is a 401.
    let res = login(&app, &owner, &other, "Wrong#Guess1", Some(&device)).await;
    assert_eq!(res.status, 401);
    for round in 0..3 {
        guesses(&app, &email, round, 3).await;
    }
    // Wrong passwords with the token: 401 each (counted against the token, not slowed down).
    for _ in 0..3 {
        let res = login(&app, &owner, &email, "Wrong#Guess2", Some(&device)).await;
        assert_eq!(res.status, 401, "{}", res.text());
    }
    // Used up: the token exempts no more, and the account's slowdown applies.
    let res = login(&app, &owner, &email, strong_password(), Some(&device)).await;
    assert_eq!(res.status, 429, "{}", res.text());
    let problem = res.problem(429);
    assert_eq!(
        problem.problem_type,
        "urn:cinema:problem:rate-limited:sign-in"
    );
    assert!(res.header("retry-after").is_some());
}

#[tokio::test]
async fn a_password_change_revokes_the_device_tokens() {
    let app =
        TestApp::spawn_with(&[("LOGIN_MAX_FAILURES", "3"), ("LOGIN_MAX_DELAY_SECS", "30")]).await;
    let (email, _) = app.user_with_role(Role::User).await;
    let owner = client_from("127.0.0.3");
    let signed_in = login(&app, &owner, &email, strong_password(), None).await;
    let device = device_token_of(&signed_in).await;
    let access = signed_in.json::<Value>()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = app
        .json(
            Method::POST,
            "/api/v1/accounts/password/change",
            Some(&access),
            json!({"old_password": strong_password(), "new_password": "Brand#New99"}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    for round in 0..3 {
        guesses(&app, &email, round, 3).await;
    }
    // The old token no longer exempts the owner from the slowdown...
    let res = login(&app, &owner, &email, "Brand#New99", Some(&device)).await;
    assert_eq!(res.status, 429, "{}", res.text());
    // ...and once in, the device gets a new one.
    app.clock.advance(Duration::from_secs(31));
    let res = login(&app, &owner, &email, "Brand#New99", Some(&device)).await;
    assert_ne!(device_token_of(&res).await, device);
}
