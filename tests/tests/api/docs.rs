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
    let responses = doc["components"]["responses"]
        .as_object()
        .expect("shared responses");
    for reference in refs(&doc) {
        if let Some(name) = reference.strip_prefix("#/components/schemas/") {
            assert!(schemas.contains_key(name), "dangling $ref {reference}");
        } else if let Some(name) = reference.strip_prefix("#/components/responses/") {
            assert!(responses.contains_key(name), "dangling $ref {reference}");
        } else {
            panic!("unexpected $ref {reference}");
        }
    }
}

/// The error vocabulary holds for every operation: a token → 401 and 403; an id in the path →
/// 404; parameters or a body → 422; a body → 400 and 413; everything under /api → 503.
#[tokio::test]
async fn every_operation_documents_the_errors_it_can_answer() {
    let app = TestApp::spawn().await;
    let doc: Value = app.get("/openapi.json").await.json();
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("a path item") {
            let responses = op["responses"].as_object().expect("responses");
            let secured = op["security"].as_array().is_some_and(|s| !s.is_empty());
            let has_params = op["parameters"].as_array().is_some_and(|p| !p.is_empty());
            let has_body = op.get("requestBody").is_some();
            let mut wanted = Vec::new();
            if secured {
                wanted.extend(["401", "403"]);
            }
            if path.contains('{') {
                wanted.push("404");
            }
            if has_params || has_body || path.contains('{') {
                wanted.push("422");
            }
            if has_body {
                wanted.extend(["400", "413"]);
            }
            if path.starts_with("/api/") {
                wanted.push("503");
            }
            for status in wanted {
                assert!(
                    responses.contains_key(status),
                    "{method} {path} does not document {status}"
                );
            }
            for (status, response) in responses {
                if status.starts_with('4') || status.starts_with('5') {
                    let problem = response.get("$ref").is_some()
                        || response["content"]
                            .get("application/problem+json")
                            .is_some();
                    assert!(
                        problem,
                        "{method} {path}: {status} is not a problem+json answer"
                    );
                }
            }
            checked += 1;
        }
    }
    assert!(checked >= 60, "only {checked} operations");
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
