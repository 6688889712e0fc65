use cinema_tests::TestApp;
use futures_util::future::join_all;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
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
    let ready = || async { app.get("/health/ready").await.status };
    let warm = join_all((0..8).map(|_| ready())).await;
    assert!(warm.iter().all(|s| *s == 200), "{warm:?}");
    let cut = app
        .db()
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<i64>(0)
        .unwrap();
    assert!(cut > 0, "no connection of the app was found to cut");
    // Past the idle time after which a connection is checked (1 s).
    tokio::time::sleep(std::time::Duration::from_millis(1_500)).await;
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
