use cinema_tests::TestApp;
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
