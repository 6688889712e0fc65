//! The session cache (`AUTH_CACHE_MAX_STALENESS_MS`): a session that ends is refused at once by
//! the instance that ended it, and by another instance as soon as it hears of it — also when the
//! change was made in the database by hand, and when that instance's listener had just been cut.
//! Every token is used a few times first, so that it is remembered when the change comes, and
//! the instances run with a bound of a minute: what refuses the token within a second here is
//! the forgetting, not the entry's expiry.

use std::time::{Duration, Instant};

use cinema_identity::Role;
use cinema_tests::{TestApp, Tokens, strong_password};
use reqwest::Method;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

const ME: &str = "/api/v1/accounts/me";
const USERS: &str = "/api/v1/users";

/// The instances' bound: far longer than any test waits.
const BOUND: (&str, &str) = ("AUTH_CACHE_MAX_STALENESS_MS", "60000");
/// How long a notification may take to be heard here, scheduling included.
const HEARD: Duration = Duration::from_millis(1500);

async fn status(app: &TestApp, token: &str, path: &str) -> u16 {
    app.get_as(token, path).await.status.as_u16()
}

/// Uses `token` a few times, so that the instance remembers its session.
async fn warm(app: &TestApp, token: &str, path: &str) {
    for _ in 0..3 {
        assert_eq!(status(app, token, path).await, 200);
    }
}

async fn id_of(app: &TestApp, token: &str) -> i64 {
    app.get_as(token, ME).await.json::<Value>()["id"]
        .as_i64()
        .unwrap()
}

async fn logout(app: &TestApp, tokens: &Tokens, all_devices: bool) {
    let res = app
        .json(
            Method::POST,
            "/api/v1/accounts/logout/",
            Some(&tokens.access_token),
            json!({"refresh_token": tokens.refresh_token, "all_devices": all_devices}),
        )
        .await;
    assert_eq!(res.status, 204, "{}", res.text());
}

async fn patch_user(app: &TestApp, admin: &str, id: i64, body: Value) {
    let path = format!("{USERS}/{id}");
    let res = app.json(Method::PATCH, &path, Some(admin), body).await;
    assert_eq!(res.status, 200, "{}", res.text());
}

/// Waits until `n` instances on `app`'s database listen for ended sessions.
async fn listening(app: &TestApp, n: i64) {
    app.wait_listening(cinema_identity::session_cache::LISTENER_NAME, n)
        .await;
}

/// How long `app` took to answer `want` for `token` on `path`; fails past [`HEARD`].
async fn refused_within(app: &TestApp, token: &str, path: &str, want: u16) -> Duration {
    let started = Instant::now();
    loop {
        let got = status(app, token, path).await;
        if got == want {
            return started.elapsed();
        }
        assert_eq!(got, 200, "{path}: neither still served nor {want}");
        assert!(
            started.elapsed() < HEARD,
            "{path} still answers 200 after {:?}",
            started.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn the_instance_that_ends_a_session_refuses_it_at_once() {
    let app = TestApp::spawn_with(&[BOUND]).await;
    if app.database().is_postgres() {
        listening(&app, 1).await;
    }
    let (_, admin) = app.user_with_role(Role::Admin).await;

    // Sign-out, of one device and of all.
    let ann = app.sign_up("ann@example.com").await;
    let ann_phone = app.login_ok("ann@example.com", strong_password()).await;
    let ann_tablet = app.login_ok("ann@example.com", strong_password()).await;
    for tokens in [&ann, &ann_phone, &ann_tablet] {
        warm(&app, &tokens.access_token, ME).await;
    }
    logout(&app, &ann, false).await;
    app.get_as(&ann.access_token, ME).await.problem(401);
    assert_eq!(status(&app, &ann_phone.access_token, ME).await, 200);
    logout(&app, &ann_phone, true).await;
    app.get_as(&ann_tablet.access_token, ME).await.problem(401);

    // One device revoked from the list.
    let bob = app.sign_up("bob@example.com").await;
    let bob_phone = app.login_ok("bob@example.com", strong_password()).await;
    warm(&app, &bob_phone.access_token, ME).await;
    let sessions: Value = app
        .get_as(&bob.access_token, "/api/v1/accounts/sessions/")
        .await
        .json();
    let phone = sessions["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["current"] == false)
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/v1/accounts/sessions/{phone}");
    assert_eq!(app.delete_as(&bob.access_token, &path).await.status, 204);
    app.get_as(&bob_phone.access_token, ME).await.problem(401);

    // A password change ends the other sessions.
    let other = app.login_ok("bob@example.com", strong_password()).await;
    warm(&app, &other.access_token, ME).await;
    let res = app
        .json(
            Method::POST,
            "/api/v1/accounts/password/change/",
            Some(&bob.access_token),
            json!({"old_password": strong_password(), "new_password": "Better#456"}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    app.get_as(&other.access_token, ME).await.problem(401);
    assert_eq!(status(&app, &bob.access_token, ME).await, 200);

    // A replayed refresh token ends its session.
    let carl = app.sign_up("carl@example.com").await;
    warm(&app, &carl.access_token, ME).await;
    let refresh = |token: String| {
        let app = &app;
        async move {
            app.post("/api/v1/accounts/refresh", json!({"refresh_token": token}))
                .await
        }
    };
    let rotated = refresh(carl.refresh_token.clone()).await;
    assert_eq!(rotated.status, 200, "{}", rotated.text());
    refresh(carl.refresh_token.clone()).await.problem(401);
    app.get_as(&carl.access_token, ME).await.problem(401);

    // An admin's demotion and a deactivation.
    let (_, deputy) = app.user_with_role(Role::Admin).await;
    warm(&app, &deputy.access_token, USERS).await;
    let deputy_id = id_of(&app, &deputy.access_token).await;
    patch_user(
        &app,
        &admin.access_token,
        deputy_id,
        json!({"group": "USER"}),
    )
    .await;
    app.get_as(&deputy.access_token, USERS).await.problem(403);
    warm(&app, &deputy.access_token, ME).await;
    patch_user(
        &app,
        &admin.access_token,
        deputy_id,
        json!({"is_active": false}),
    )
    .await;
    let refused = status(&app, &deputy.access_token, ME).await;
    assert!([401, 403].contains(&refused), "{refused}");
}

#[tokio::test]
async fn other_instances_refuse_an_ended_session_within_the_bound() {
    let a = TestApp::spawn_with(&[BOUND]).await;
    if !a.database().is_postgres() {
        eprintln!("several instances share PostgreSQL only; SQLite serves one process");
        return;
    }
    let b = a.spawn_sibling(&[BOUND]).await;
    listening(&a, 2).await;
    let (_, admin) = a.user_with_role(Role::Admin).await;

    // Signed out on A.
    // Accounts made directly: with two instances, either one's worker may send a sign-up's mail.
    let (_, dan) = a.user_with_role(Role::User).await;
    warm(&b, &dan.access_token, ME).await;
    logout(&a, &dan, false).await;
    let took = refused_within(&b, &dan.access_token, ME, 401).await;
    eprintln!("a sign-out on one instance reached the other in {took:?}");

    // Demoted on B, refused on A.
    let (_, deputy) = a.user_with_role(Role::Admin).await;
    warm(&a, &deputy.access_token, USERS).await;
    let deputy_id = id_of(&a, &deputy.access_token).await;
    patch_user(&b, &admin.access_token, deputy_id, json!({"group": "USER"})).await;
    refused_within(&a, &deputy.access_token, USERS, 403).await;

    // Ended by hand in the database (another service, an operator): no instance took part.
    let (_, eve) = a.user_with_role(Role::User).await;
    warm(&a, &eve.access_token, ME).await;
    warm(&b, &eve.access_token, ME).await;
    let eve_id = id_of(&a, &eve.access_token).await;
    a.db()
        .execute_unprepared(&format!(
            "UPDATE sessions SET revoked_at = 1 WHERE user_id = {eve_id}"
        ))
        .await
        .unwrap();
    refused_within(&a, &eve.access_token, ME, 401).await;
    refused_within(&b, &eve.access_token, ME, 401).await;

    // An open session deleted by hand.
    let (_, gus) = a.user_with_role(Role::User).await;
    warm(&b, &gus.access_token, ME).await;
    let gus_id = id_of(&b, &gus.access_token).await;
    a.db()
        .execute_unprepared(&format!("DELETE FROM sessions WHERE user_id = {gus_id}"))
        .await
        .unwrap();
    refused_within(&b, &gus.access_token, ME, 401).await;
}

#[tokio::test]
async fn a_cut_listener_does_not_let_an_ended_session_through() {
    let a = TestApp::spawn_with(&[BOUND]).await;
    if !a.database().is_postgres() {
        eprintln!("notifications are PostgreSQL's; on SQLite every request reads its session");
        return;
    }
    let fay = a.sign_up("fay@example.com").await;
    let fay_id = id_of(&a, &fay.access_token).await;
    for round in 0..3 {
        listening(&a, 1).await;
        let tokens = a.login_ok("fay@example.com", strong_password()).await;
        warm(&a, &tokens.access_token, ME).await;
        a.db()
            .execute_unprepared(&format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE datname = current_database() AND application_name = '{}'",
                cinema_identity::session_cache::LISTENER_NAME
            ))
            .await
            .unwrap();
        // The notification of this change is sent while nobody listens.
        a.db()
            .execute_unprepared(&format!(
                "UPDATE sessions SET revoked_at = {round} + 1 \
                 WHERE user_id = {fay_id} AND revoked_at IS NULL"
            ))
            .await
            .unwrap();
        refused_within(&a, &tokens.access_token, ME, 401).await;
    }
    // Listening again, the cache is used again: a revocation made with the triggers off (so
    // nobody hears it) still lets the remembered session through, within the bound.
    listening(&a, 1).await;
    let tokens = a.login_ok("fay@example.com", strong_password()).await;
    warm(&a, &tokens.access_token, ME).await;
    let txn = cinema_kernel::db::begin_write(a.db()).await.unwrap();
    txn.execute_unprepared("SET LOCAL session_replication_role = replica")
        .await
        .unwrap();
    txn.execute_unprepared(&format!(
        "UPDATE sessions SET revoked_at = 9 WHERE user_id = {fay_id} AND revoked_at IS NULL"
    ))
    .await
    .unwrap();
    txn.commit().await.unwrap();
    assert_eq!(
        status(&a, &tokens.access_token, ME).await,
        200,
        "the cache is not used after its listener reconnected"
    );
}
