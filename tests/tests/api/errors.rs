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

#[tokio::test]
async fn a_422_never_echoes_long_input() {
    let app = TestApp::spawn().await;
    let long = "x".repeat(10_000);
    for query in [
        format!("sort_by={long}"),
        format!("order={long}"),
        format!("search_in={long}&q=a"),
    ] {
        let path = if query.starts_with("search_in") {
            format!("/api/v1/movies/search/query?{query}")
        } else {
            format!("/api/v1/movies/?{query}")
        };
        let res = app.get(&path).await;
        let text = res.text();
        res.problem(422);
        assert!(text.len() < 1_000, "{} bytes: {}", text.len(), &text[..200]);
        assert!(!text.contains(&"x".repeat(65)));
    }
}

#[tokio::test]
async fn a_json_array_where_an_object_is_expected_is_a_422() {
    let app = TestApp::spawn().await;
    for (path, body) in [
        (
            "/api/v1/accounts/login",
            serde_json::json!(["ann@example.com", "Secret#123"]),
        ),
        (
            "/api/v1/accounts/register",
            serde_json::json!(["ann@example.com", "Secret#123"]),
        ),
        (
            "/api/v1/accounts/password-reset/request",
            serde_json::json!("ann@example.com"),
        ),
    ] {
        let problem = app.post(path, body).await.problem(422);
        assert_eq!(problem.errors[0].field, "body", "{path}");
        assert!(problem.errors[0].message.contains("object"), "{path}");
    }
}

#[tokio::test]
async fn text_with_bidirectional_overrides_or_nothing_visible_is_refused() {
    let app = TestApp::spawn().await;
    let catalog = app.catalog().await;
    let movie = catalog.movies["Inception"];
    let token = app.buyer().await;
    let comments = format!("/api/v1/movies/{movie}/comments");
    for body in [
        "evil\u{202e}txt.exe",
        "a\u{2066}b\u{2069}",
        "\u{200b}\u{200d}\u{feff}",
        "\u{3164}",
    ] {
        let res = app
            .json(
                Method::POST,
                &comments,
                Some(&token),
                serde_json::json!({"body": body}),
            )
            .await;
        assert_eq!(res.problem(422).errors[0].field, "body", "{body:?}");
    }
    let res = app
        .json(
            Method::PATCH,
            &format!("/api/v1/movies/{movie}"),
            Some(&catalog.moderator),
            serde_json::json!({"description": "line one\nline \u{202e}two"}),
        )
        .await;
    assert_eq!(res.problem(422).errors[0].field, "description");
    for name in ["\u{200b}", "Dr\u{202d}ama"] {
        let res = app
            .json(
                Method::POST,
                "/api/v1/genres/",
                Some(&catalog.moderator),
                serde_json::json!({"name": name}),
            )
            .await;
        assert_eq!(res.problem(422).errors[0].field, "name", "{name:?}");
    }
    let res = app.get("/api/v1/movies/search/query?q=a%E2%80%AEb").await;
    res.problem(422);
    // Ordinary text with invisible joiners inside visible text is kept.
    let res = app
        .json(
            Method::POST,
            &comments,
            Some(&token),
            serde_json::json!({"body": "👩\u{200d}💻 great"}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
}

#[tokio::test]
async fn an_e_mail_whose_domain_is_no_host_name_is_refused() {
    let app = TestApp::spawn().await;
    for email in [
        "a@-b.com",
        "a@b-.com",
        "a@b..com",
        "a@b_c.com",
        "a@example.123",
    ] {
        let res = app
            .post(
                "/api/v1/accounts/register",
                serde_json::json!({"email": email, "password": "Secret#123"}),
            )
            .await;
        assert_eq!(res.problem(422).errors[0].field, "email", "{email}");
    }
}

#[tokio::test]
async fn a_huge_url_or_header_gets_414_or_431_and_the_server_carries_on() {
    use std::io::{Read, Write};
    let app = TestApp::spawn().await;
    let addr = app.address.trim_start_matches("http://").to_owned();
    let huge = "a".repeat(1_000_000);
    for head in [
        format!("GET /health?q={huge} HTTP/1.1\r\nHost: x\r\n\r\n"),
        format!("GET /health HTTP/1.1\r\nHost: x\r\nX-Big: {huge}\r\n\r\n"),
    ] {
        let addr = addr.clone();
        let answer = tokio::task::spawn_blocking(move || {
            let mut stream = std::net::TcpStream::connect(&addr).unwrap();
            stream
                .set_read_timeout(Some(std::time::Duration::from_secs(5)))
                .unwrap();
            // The server may stop reading once the head is too large: its answer still comes.
            let _ = stream.write_all(head.as_bytes());
            let mut answer = vec![0; 64];
            let n = stream.read(&mut answer).unwrap_or(0);
            String::from_utf8_lossy(&answer[..n]).into_owned()
        })
        .await
        .unwrap();
        assert!(
            answer.starts_with("HTTP/1.1 431") || answer.starts_with("HTTP/1.1 414"),
            "{answer:?}"
        );
    }
    // The server carries on.
    assert_eq!(app.get("/health").await.status, 200);
}
