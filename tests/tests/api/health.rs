use std::time::{Duration, Instant};

use cinema_tests::{TcpProxy, TestApp};
use futures_util::future::join_all;
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DbBackend, Statement};
use serde_json::{Value, json};

#[tokio::test]
async fn health_says_healthy() {
    let app = TestApp::spawn().await;
    let res = app.get("/health").await;
    assert_eq!(res.status, 200);
    assert_eq!(res.header("content-type"), Some("application/json"));
    assert_eq!(res.json::<Value>(), json!({"status": "healthy"}));
}

#[tokio::test]
async fn readiness_checks_the_database() {
    let app = TestApp::spawn().await;
    let res = app.get("/health/ready").await;
    assert_eq!(res.status, 200);
    assert_eq!(
        res.json::<Value>(),
        json!({"status": "ready", "database": "ok"})
    );
}

#[tokio::test]
async fn readiness_reports_a_lost_database_as_503_without_internals() {
    let app = TestApp::spawn().await;
    if !app.database().is_postgres() {
        eprintln!("skipped: taking the database away needs PostgreSQL");
        return;
    }
    app.database().drop_now().await;
    let res = app.get("/health/ready").await;
    let problem = res.problem(503);
    let body = res.text().to_lowercase();
    for leak in [
        "database \"",
        "sqlx",
        "postgres",
        "error returned",
        "terminat",
    ] {
        assert!(!body.contains(leak), "5xx body leaks `{leak}`: {body}");
    }
    assert!(problem.detail.contains("unavailable"));
    // Liveness does not depend on the database.
    assert_eq!(app.get("/health").await.status, 200);
}

/// The pool checks a connection only after it has sat idle (not on every checkout): one cut
/// while the pool was quiet (a database restart, a proxy's idle timeout) is found and replaced
/// before a request uses it.
#[tokio::test]
async fn connections_cut_while_the_pool_was_idle_are_replaced_unseen() {
    let app = TestApp::spawn().await;
    if !app.database().is_postgres() {
        eprintln!("skipped: cutting server connections needs PostgreSQL");
        return;
    }
    // A read through the main pool (readiness has a probe connection of its own).
    let token = app.buyer().await;
    let ready = || async { app.get_as(&token, "/api/v1/cart/").await.status };
    let warm = join_all((0..8).map(|_| ready())).await;
    assert!(warm.iter().all(|s| *s == 200), "{warm:?}");
    // One connection of its own: it survives the cut (it is the one running it).
    let mut options = ConnectOptions::new(app.database().url().to_owned());
    options.max_connections(1);
    let db = &Database::connect(options).await.unwrap();
    let one = |sql: String| async move {
        db.query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
            .await
            .unwrap()
            .unwrap()
    };
    let cut: Option<String> = one("SELECT string_agg(pid::text, ',') FROM \
              (SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity \
               WHERE datname = current_database() AND pid <> pg_backend_pid()) t"
        .to_owned())
    .await
    .try_get_by_index(0)
    .unwrap();
    let cut = cut.expect("no connection of the app was found to cut");
    // The cut backends are gone (termination is asynchronous)...
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let alive = format!("SELECT COUNT(*) FROM pg_stat_activity WHERE pid IN ({cut})");
    while one(alive.clone()).await.try_get_by_index::<i64>(0).unwrap() > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "cut backends still there"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // ...and the pool's connections have sat idle long enough to be checked: the condition is
    // the elapsed time itself.
    tokio::time::sleep(cinema_kernel::db::IDLE_BEFORE_PING).await;
    let after = join_all((0..8).map(|_| ready())).await;
    assert!(after.iter().all(|s| *s == 200), "{after:?}");
}

#[tokio::test]
async fn every_route_answers_with_and_without_a_trailing_slash() {
    let app = TestApp::spawn().await;
    for path in [
        "/health",
        "/health/",
        "/health//",
        "/health/ready",
        "/health/ready/",
    ] {
        let res = app.get(path).await;
        assert_eq!(res.status, 200, "{path} -> {}", res.text());
        assert!(res.header("location").is_none(), "{path} redirected");
    }
    let res = app.get("/health/?verbose=1").await;
    assert_eq!(res.status, 200, "a query string survives the trim");
}

/// PostgreSQL unreachable (the network to it cut): readiness turns red within a probe, and
/// every request that needs the database gets its 503 with `Retry-After` at once instead of
/// after the pool's acquire timeout; when the network is back, the process takes traffic again
/// by itself.
#[tokio::test]
async fn a_database_outage_is_answered_at_once_and_recovered_from_without_a_restart() {
    let app = TestApp::spawn().await;
    if !app.database().is_postgres() {
        eprintln!("skipped: a database outage needs PostgreSQL");
        return;
    }
    let mut url = url::Url::parse(app.database().url()).unwrap();
    let target = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap_or(5432));
    let target = tokio::net::lookup_host(target)
        .await
        .unwrap()
        .next()
        .unwrap();
    let proxy = TcpProxy::start(target).await;
    url.set_port(Some(proxy.addr().port())).unwrap();
    // An instance whose way to the database goes through the proxy; the pool waits 5 s.
    let app = app
        .spawn_sibling(&[
            ("DATABASE_URL", url.as_str()),
            ("DATABASE_CONNECT_TIMEOUT_SECS", "5"),
        ])
        .await;
    let token = app.buyer().await;
    assert_eq!(app.get("/health/ready").await.status, 200);
    assert_eq!(app.get_as(&token, "/api/v1/cart/").await.status, 200);

    proxy.cut();
    let timed = |path: &'static str| {
        let (app, token) = (&app, &token);
        async move {
            let started = Instant::now();
            let res = app.get_as(token, path).await;
            (res, started.elapsed())
        }
    };
    // Red within a probe or two; each answer in about a probe's timeout at most, never the
    // pool's 5 s.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let (res, took) = timed("/health/ready").await;
        assert!(
            took < Duration::from_millis(2500),
            "readiness hung {took:?}"
        );
        if res.status == 503 {
            assert_eq!(res.header("retry-after"), Some("2"));
            res.problem(503);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "readiness still green with the database cut"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for _ in 0..3 {
        let (res, took) = timed("/api/v1/cart/").await;
        assert!(took < Duration::from_millis(500), "a request hung {took:?}");
        assert_eq!(res.header("retry-after"), Some("2"));
        res.problem(503);
    }
    // What needs no database still answers.
    assert_eq!(app.get("/health").await.status, 200);

    proxy.restore();
    let deadline = Instant::now() + Duration::from_secs(10);
    while app.get("/health/ready").await.status != 200 {
        assert!(
            Instant::now() < deadline,
            "no recovery after the network came back"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(app.get_as(&token, "/api/v1/cart/").await.status, 200);
}
