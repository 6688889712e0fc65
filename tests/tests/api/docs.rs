use cinema_tests::TestApp;
use serde_json::Value;

#[tokio::test]
async fn the_openapi_document_is_valid_openapi_3_1() {
    let app = TestApp::spawn().await;
    let res = app.get("/openapi.json").await;
    assert_eq!(res.status, 200);
    let doc: Value = res.json();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["info"]["title"], "Cinema API");
    assert!(doc["info"]["version"].is_string());

    let paths = doc["paths"].as_object().expect("paths");
    assert!(paths.contains_key("/health"));
    assert!(paths.contains_key("/health/ready"));
    for (path, item) in paths {
        assert!(path.starts_with('/'), "{path}");
        for (method, op) in item.as_object().expect("a path item") {
            let responses = op["responses"].as_object().expect("responses");
            assert!(
                !responses.is_empty(),
                "{method} {path} documents no response"
            );
        }
    }
    // Every `$ref` points at a schema that exists.
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    assert!(schemas.contains_key("Problem"));
    for reference in refs(&doc) {
        let name = reference
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("unexpected $ref {reference}"));
        assert!(schemas.contains_key(name), "dangling $ref {reference}");
    }
}

#[tokio::test]
async fn the_bearer_scheme_is_declared() {
    let app = TestApp::spawn().await;
    let doc: Value = app.get("/openapi.json").await.json();
    let bearer = &doc["components"]["securitySchemes"]["bearer"];
    assert_eq!(bearer["type"], "http");
    assert_eq!(bearer["scheme"], "bearer");
}

#[tokio::test]
async fn swagger_ui_is_served_from_the_binary() {
    let app = TestApp::spawn().await;
    let res = app.get("/docs").await;
    assert_eq!(res.status, 308);
    assert_eq!(res.header("location"), Some("/docs/"));

    let page = app.get("/docs/").await;
    assert_eq!(page.status, 200);
    assert!(page.text().contains("swagger-ui"));

    let init = app.get("/docs/swagger-initializer.js").await;
    assert_eq!(init.status, 200);
    assert!(init.text().contains("/openapi.json"));
    for asset in ["/docs/swagger-ui.css", "/docs/swagger-ui-bundle.js"] {
        assert_eq!(app.get(asset).await.status, 200, "{asset}");
    }
}

fn refs(value: &Value) -> Vec<String> {
    match value {
        Value::Object(map) => map
            .iter()
            .flat_map(|(k, v)| match (k.as_str(), v) {
                ("$ref", Value::String(r)) => vec![r.clone()],
                _ => refs(v),
            })
            .collect(),
        Value::Array(items) => items.iter().flat_map(refs).collect(),
        _ => Vec::new(),
    }
}
