use cinema_tests::TestApp;
use reqwest::Method;

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = TestApp::spawn().await;
    let a = app.get("/health").await;
    let b = app.get("/nope").await;
    let (a, b) = (a.header("x-request-id"), b.header("x-request-id"));
    assert!(a.is_some() && b.is_some());
    assert_ne!(a, b);
}

#[tokio::test]
async fn a_sane_incoming_request_id_is_kept_and_a_hostile_one_replaced() {
    let app = TestApp::spawn().await;
    let kept = app
        .send(
            app.client
                .get(app.url("/health"))
                .header("x-request-id", "trace-42"),
        )
        .await;
    assert_eq!(kept.header("x-request-id"), Some("trace-42"));

    let hostile = "x".repeat(200);
    let replaced = app
        .send(
            app.client
                .get(app.url("/health"))
                .header("x-request-id", &hostile),
        )
        .await;
    let id = replaced.header("x-request-id").expect("an id");
    assert_ne!(id, hostile);
    assert!(uuid::Uuid::parse_str(id).is_ok());
}

#[tokio::test]
async fn cors_is_off_unless_configured() {
    let app = TestApp::spawn().await;
    let res = app
        .send(
            app.client
                .get(app.url("/health"))
                .header("origin", "https://evil.example.com"),
        )
        .await;
    assert!(res.header("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn configured_origins_may_call_the_api_and_others_may_not() {
    let app = TestApp::spawn_with(&[("CORS_ALLOWED_ORIGINS", "https://app.example.com")]).await;
    let preflight = app
        .send(
            app.client
                .request(Method::OPTIONS, app.url("/api/v1/accounts/login/"))
                .header("origin", "https://app.example.com")
                .header("access-control-request-method", "POST")
                .header(
                    "access-control-request-headers",
                    "content-type,authorization",
                ),
        )
        .await;
    assert_eq!(preflight.status, 200, "{}", preflight.text());
    assert_eq!(
        preflight.header("access-control-allow-origin"),
        Some("https://app.example.com")
    );

    let simple = app
        .send(
            app.client
                .get(app.url("/health"))
                .header("origin", "https://app.example.com"),
        )
        .await;
    assert_eq!(
        simple.header("access-control-allow-origin"),
        Some("https://app.example.com")
    );
    let exposed = simple.header("access-control-expose-headers").unwrap_or("");
    assert!(exposed.contains("x-request-id"), "{exposed}");

    let other = app
        .send(
            app.client
                .get(app.url("/health"))
                .header("origin", "https://evil.example.com"),
        )
        .await;
    assert!(other.header("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn responses_are_compressed_when_the_client_asks() {
    let app = TestApp::spawn().await;
    let res = app
        .send(
            app.client
                .get(app.url("/openapi.json"))
                .header("accept-encoding", "gzip"),
        )
        .await;
    assert_eq!(res.header("content-encoding"), Some("gzip"));
}

#[tokio::test]
async fn answers_say_what_they_are_and_docs_and_media_may_not_be_framed() {
    let app = TestApp::spawn().await;
    for path in ["/health", "/api/v1/genres", "/api/v1/nope"] {
        let res = app.get(path).await;
        assert_eq!(
            res.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(res.header("content-security-policy"), None, "{path}");
    }
    for path in [
        "/docs/",
        "/docs/swagger-initializer.js",
        "/media/avatars/x.png",
    ] {
        let res = app.get(path).await;
        let csp = res.header("content-security-policy").unwrap_or_default();
        assert!(csp.contains("default-src 'none'"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert_eq!(res.header("x-frame-options"), Some("DENY"), "{path}");
        assert_eq!(
            res.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
    }
}
