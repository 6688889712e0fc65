use cinema_tests::TestApp;
use reqwest::Method;

#[tokio::test]
async fn an_unknown_route_is_a_404_problem() {
    let app = TestApp::spawn().await;
    for path in [
        "/nope",
        "/api/v1/nope",
        "/api/v1/movies/1/unknown",
        "/api/v2/",
    ] {
        let res = app.get(path).await;
        let problem = res.problem(404);
        assert_eq!(problem.problem_type, "urn:cinema:problem:not-found");
        assert!(
            problem.detail.contains("No route"),
            "{path}: {}",
            problem.detail
        );
    }
}

#[tokio::test]
async fn a_wrong_method_is_a_405_problem_naming_the_allowed_ones() {
    let app = TestApp::spawn().await;
    for method in [Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
        for path in ["/health", "/health/", "/health/ready"] {
            let res = app.request(method.clone(), path).await;
            res.problem(405);
            assert_eq!(res.header("allow"), Some("GET"), "{method} {path}");
        }
    }
}

#[tokio::test]
async fn a_body_sent_to_an_unknown_route_still_gets_a_problem() {
    let app = TestApp::spawn().await;
    let res = app
        .send_raw(
            Method::POST,
            "/api/v1/nope",
            "application/json",
            "{not json",
        )
        .await;
    res.problem(404);
}
