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
    // Operation ids are unique (Swagger UI's "Try it out" and client generators key on them).
    let mut ids = std::collections::HashMap::new();
    for (path, item) in paths {
        assert!(path.starts_with('/'), "{path}");
        for (method, op) in item.as_object().expect("a path item") {
            let responses = op["responses"].as_object().expect("responses");
            assert!(
                !responses.is_empty(),
                "{method} {path} documents no response"
            );
            let id = op["operationId"].as_str().expect("an operationId");
            if let Some(other) = ids.insert(id.to_owned(), format!("{method} {path}")) {
                panic!("{method} {path} and {other} share the operationId {id}");
            }
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

#[tokio::test]
async fn docs_access_off_serves_no_documentation_and_the_api_still_works() {
    let app = TestApp::spawn_with(&[("DOCS_ACCESS", "off")]).await;
    for path in ["/docs", "/docs/", "/docs/swagger-ui.css", "/openapi.json"] {
        let problem = app.get(path).await.problem(404);
        assert!(
            problem.detail.contains("DOCS_ACCESS=off"),
            "{path}: {problem:?}"
        );
    }
    assert_eq!(app.get("/api/v1/movies").await.status, 200);
    assert_eq!(app.get("/health").await.status, 200);
}

#[tokio::test]
async fn docs_access_admins_lets_in_an_admin_by_token_or_by_the_browser_prompt() {
    use cinema_identity::Role;
    use cinema_tests::strong_password;

    let app = TestApp::spawn_with(&[("DOCS_ACCESS", "admins")]).await;
    let (admin_email, admin) = app.user_with_role(Role::Admin).await;
    let (user_email, user) = app.user_with_role(Role::User).await;
    let basic = |email: &str, password: &str| {
        app.client
            .get(app.url("/openapi.json"))
            .basic_auth(email, Some(password))
    };

    // Nobody: 401 with a Basic challenge, so a browser shows its sign-in prompt.
    for path in ["/docs/", "/openapi.json", "/docs/swagger-ui-bundle.js"] {
        let res = app.get(path).await;
        assert_eq!(res.status, 401, "{path}");
        let challenges: Vec<&str> = res
            .headers
            .get_all("www-authenticate")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        assert!(
            challenges.iter().any(|c| c.starts_with("Basic realm=")),
            "{path}: {challenges:?}"
        );
    }
    // A user's token or password is not enough.
    assert_eq!(app.get_as(&user.access_token, "/docs/").await.status, 403);
    assert_eq!(
        app.send(basic(&user_email, strong_password())).await.status,
        403
    );
    // A wrong password is refused like a wrong sign-in.
    assert_eq!(app.send(basic(&admin_email, "Wrong#123")).await.status, 401);
    // The admin, either way; the rest of the API is untouched.
    let doc = app.get_as(&admin.access_token, "/openapi.json").await;
    assert_eq!(doc.status, 200);
    assert!(doc.text().contains("\"openapi\""));
    assert_eq!(
        app.send(basic(&admin_email, strong_password()))
            .await
            .status,
        200
    );
    assert_eq!(
        app.send(basic(&admin_email, strong_password()))
            .await
            .status,
        200
    );
    assert_eq!(app.get("/api/v1/movies").await.status, 200);
}

/// Every example the document shows — of a schema, a property, a parameter, a request or a
/// response body — is valid against the schema it illustrates (JSON Schema 2020-12, formats
/// checked), so what Swagger UI pre-fills is a request the API accepts.
#[tokio::test]
async fn every_example_in_the_document_is_valid_against_its_schema() {
    let app = TestApp::spawn().await;
    let doc: Value = app.get("/openapi.json").await.json();
    let mut examples = Vec::new();
    collect_examples(&doc, String::new(), false, &mut examples);
    assert!(
        examples.len() > 80,
        "the walk found only {} examples",
        examples.len()
    );
    let mut invalid = Vec::new();
    for (schema_pointer, example, at) in &examples {
        // The whole document is the root, so `#/components/schemas/…` references resolve.
        let mut root = doc.clone();
        let fragment = schema_pointer.replace('{', "%7B").replace('}', "%7D");
        root["$ref"] = Value::String(format!("#{fragment}"));
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .build(&root)
            .unwrap_or_else(|e| panic!("{schema_pointer}: {e}"));
        for error in validator.iter_errors(example) {
            invalid.push(format!("{at}: {error} (at {})", error.instance_path()));
        }
    }
    assert!(invalid.is_empty(), "{}", invalid.join("\n"));
}

/// The keywords whose values are data, not schemas.
const DATA_KEYWORDS: [&str; 5] = ["example", "examples", "default", "enum", "const"];

/// (pointer to the schema, the example, where the example is) for every example under `node`.
fn collect_examples(
    node: &Value,
    pointer: String,
    in_schema: bool,
    out: &mut Vec<(String, Value, String)>,
) {
    let Value::Object(map) = node else {
        if let Value::Array(items) = node {
            for (i, item) in items.iter().enumerate() {
                collect_examples(item, format!("{pointer}/{i}"), in_schema, out);
            }
        }
        return;
    };
    if in_schema {
        if let Some(example) = map.get("example") {
            out.push((
                pointer.clone(),
                example.clone(),
                format!("{pointer}/example"),
            ));
        }
        if let Some(Value::Array(list)) = map.get("examples") {
            for (i, example) in list.iter().enumerate() {
                out.push((
                    pointer.clone(),
                    example.clone(),
                    format!("{pointer}/examples/{i}"),
                ));
            }
        }
    } else if map.contains_key("schema") {
        // A parameter or a media type: its examples illustrate its `schema`.
        let schema = format!("{pointer}/schema");
        if let Some(example) = map.get("example") {
            out.push((
                schema.clone(),
                example.clone(),
                format!("{pointer}/example"),
            ));
        }
        if let Some(Value::Object(named)) = map.get("examples") {
            for (name, example) in named {
                if let Some(value) = example.get("value") {
                    out.push((
                        schema.clone(),
                        value.clone(),
                        format!("{pointer}/examples/{name}"),
                    ));
                }
            }
        }
    }
    for (key, child) in map {
        if in_schema && DATA_KEYWORDS.contains(&key.as_str()) {
            continue;
        }
        if !in_schema && (key == "example" || key == "examples") {
            continue;
        }
        let child_pointer = format!("{pointer}/{}", key.replace('~', "~0").replace('/', "~1"));
        let child_is_schema = in_schema || key == "schema" || pointer == "/components/schemas";
        collect_examples(child, child_pointer, child_is_schema, out);
    }
}

/// The purchase flow can be walked with the document's links alone: each step's path
/// parameters and body come from the previous answer, as a client generator or schemathesis'
/// stateful phase would take them.
#[tokio::test]
async fn the_purchase_flow_can_be_walked_by_the_documents_links() {
    let app = TestApp::spawn().await;
    let c = app.catalog().await;
    let buyer = app.buyer().await;
    let doc: Value = app.get("/openapi.json").await.json();
    let operations: Vec<(String, String, Value)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .iter()
                .map(move |(method, op)| (path.clone(), method.clone(), op.clone()))
        })
        .collect();
    let find = |id: &str| {
        operations
            .iter()
            .find(|(_, _, op)| op["operationId"] == id)
            .unwrap_or_else(|| panic!("no operation {id}"))
            .clone()
    };
    // `$response.body#/pointer` against the answer; anything else is a literal.
    let eval = |expr: &Value, answer: &Value| match expr.as_str() {
        Some(e) if e.starts_with("$response.body#") => answer
            .pointer(&e["$response.body#".len()..])
            .unwrap_or_else(|| panic!("{e} is not in {answer}"))
            .clone(),
        _ => expr.clone(),
    };
    // Follows link `name` of operation `from`'s `status` answer.
    let follow = |from: &str, status: &str, name: &str, answer: &Value| {
        let (_, _, op) = find(from);
        let link = &op["responses"][status]["links"][name];
        assert!(link.is_object(), "{from} {status} has no link {name}");
        let (mut path, method, _) = find(link["operationId"].as_str().unwrap());
        for (param, expr) in link["parameters"].as_object().into_iter().flatten() {
            let value = eval(expr, answer);
            let value = value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_owned);
            path = path.replace(&format!("{{{param}}}"), &value);
        }
        let body = link["requestBody"].as_object().map(|fields| {
            Value::Object(
                fields
                    .iter()
                    .map(|(k, v)| (k.clone(), eval(v, answer)))
                    .collect(),
            )
        });
        (
            method.to_uppercase().parse::<reqwest::Method>().unwrap(),
            path,
            body,
        )
    };
    let send = |(method, path, body): (reqwest::Method, String, Option<Value>)| {
        let mut request = app
            .client
            .request(method, app.url(&path))
            .bearer_auth(&buyer);
        if let Some(body) = body {
            request = request.json(&body);
        }
        app.send(request)
    };

    let movie: Value = app
        .get(&format!("/api/v1/movies/{}", c.movies["Inception"]))
        .await
        .json();
    let added = send(follow("movies_get", "200", "AddToCart", &movie)).await;
    assert_eq!(added.status, 201, "{}", added.text());
    let added: Value = added.json();
    let order = send(follow("cart_add", "201", "PlaceOrder", &added)).await;
    assert_eq!(order.status, 201, "{}", order.text());
    let order: Value = order.json();
    assert_eq!(order["items"][0]["movie_id"], movie["id"]);
    let read = send(follow("orders_place", "201", "GetOrder", &order)).await;
    assert_eq!(read.status, 200, "{}", read.text());
    let checkout = send(follow("orders_place", "201", "Checkout", &order)).await;
    assert_eq!(checkout.status, 200, "{}", checkout.text());
    let checkout: Value = checkout.json();
    let status = send(follow(
        "payments_checkout",
        "200",
        "PaymentStatus",
        &checkout,
    ))
    .await;
    assert_eq!(status.status, 200, "{}", status.text());
    let page = send(follow("payments_checkout", "200", "PaymentPage", &checkout)).await;
    assert_eq!(page.status, 200, "{}", page.text());
    let cancel = send(follow("orders_place", "201", "CancelOrder", &order)).await;
    assert!(
        [200, 409].contains(&cancel.status.as_u16()),
        "{}",
        cancel.text()
    );
    // From a page of the catalog too.
    let page: Value = app.get("/api/v1/movies?limit=1").await.json();
    let added = send(follow("movies_list", "200", "AddFirstToCart", &page)).await;
    assert_eq!(added.status, 201, "{}", added.text());
}
