//! `/metrics` after real traffic, scraped and parsed as Prometheus' text format. A test binary
//! of its own, its tests one at a time: the recorder is per process, so the counts here are
//! one test's alone and are checked exactly.

use std::{collections::HashMap, time::Duration};

use cinema_tests::TestApp;
use reqwest::Method;
use serde_json::{Value, json};

/// One scrape: every sample by its name and labels (`name{a="1",b="2"}`, labels sorted).
#[derive(Debug)]
struct Scrape(HashMap<String, f64>);

impl Scrape {
    /// Parses the text format strictly: every sample's family has a `# TYPE`, every value is a
    /// number, every label is `name="value"`.
    fn parse(text: &str) -> Self {
        let mut typed = HashMap::new();
        let mut samples = HashMap::new();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                let (name, kind) = rest.split_once(' ').expect("# TYPE name kind");
                assert!(
                    ["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind),
                    "{line}"
                );
                typed.insert(name.to_owned(), kind.to_owned());
                continue;
            }
            if line.starts_with('#') {
                continue;
            }
            let (series, value) = line.rsplit_once(' ').expect("a sample: series value");
            let value: f64 = value.parse().unwrap_or_else(|_| panic!("a number: {line}"));
            let (name, labels) = match series.split_once('{') {
                Some((name, rest)) => {
                    let body = rest.strip_suffix('}').expect("labels end with }");
                    let mut labels: Vec<String> = split_labels(body)
                        .into_iter()
                        .map(|label| {
                            let (key, quoted) = label.split_once('=').expect("label=value");
                            assert!(quoted.starts_with('"') && quoted.ends_with('"'), "{line}");
                            format!("{key}={quoted}")
                        })
                        .collect();
                    labels.sort();
                    (name, format!("{{{}}}", labels.join(",")))
                }
                None => (series, String::new()),
            };
            let family = ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|suffix| name.strip_suffix(suffix))
                .filter(|base| typed.contains_key(*base))
                .unwrap_or(name);
            assert!(typed.contains_key(family), "no # TYPE for {name}");
            samples.insert(format!("{name}{labels}"), value);
        }
        Self(samples)
    }

    /// A sample's value; 0 when absent (a counter never incremented is not rendered).
    fn value(&self, series: &str) -> f64 {
        self.0.get(series).copied().unwrap_or(0.0)
    }

    fn has_family(&self, prefix: &str) -> bool {
        self.0.keys().any(|k| k.starts_with(prefix))
    }
}

/// Splits `a="x",b="y,z"` at the commas between labels (not inside quotes).
fn split_labels(body: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in body.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => quoted = !quoted,
            ',' if !quoted => {
                parts.push(&body[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if start < body.len() {
        parts.push(&body[start..]);
    }
    parts
}

/// Taken by each test: no other test's traffic lands in its counts.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn scrape(app: &TestApp, base: &str) -> Scrape {
    let res = app
        .client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let content_type = res.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    Scrape::parse(&res.text().await.unwrap())
}

#[tokio::test]
async fn metrics_count_what_happened_and_parse_as_prometheus_text() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let app = TestApp::spawn().await;
    let catalog = app.catalog().await;
    let (email, tokens) = app.user_with_role(cinema_identity::Role::User).await;
    let token = tokens.access_token;
    let before = scrape(&app, &app.address).await;

    // A bought and refunded movie, an order canceled, browsing with a cache miss and hits, a 404.
    let bought = app.buy(&token, &[catalog.movies["Inception"]]).await;
    app.fill_cart(&token, &[catalog.movies["Interstellar"]])
        .await;
    let canceled = app.order_ok(&token).await["id"].as_i64().unwrap();
    assert_eq!(app.cancel_order(&token, canceled).await.status, 200);
    let payments: Value = app.get_as(&token, "/api/v1/payments").await.json();
    let payment = payments["items"][0]["id"].as_i64().unwrap();
    let refund = format!("/api/v1/payments/{payment}/refund");
    let res = app
        .json(Method::POST, &refund, Some(&token), json!({}))
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let detail = format!("/api/v1/movies/{}", catalog.movies["Inception"]);
    for _ in 0..3 {
        assert_eq!(app.get(&detail).await.status, 200);
    }
    assert_eq!(app.get("/no/such/route").await.status, 404);
    // The receipt and the refund notice are delivered by the worker.
    app.mails_to(&email, 2).await;

    let mut after = scrape(&app, &app.address).await;
    for _ in 0..50 {
        // A job is counted once its outcome is stored, just after its e-mail went out.
        if after.value(r#"cinema_jobs_total{kind="email",outcome="done"}"#) >= 2.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        after = scrape(&app, &app.address).await;
    }
    let delta = |series: &str| after.value(series) - before.value(series);

    assert_eq!(delta(r#"cinema_orders_total{outcome="placed"}"#), 2.0);
    assert_eq!(delta(r#"cinema_orders_total{outcome="canceled"}"#), 1.0);
    assert_eq!(delta(r#"cinema_payments_total{outcome="succeeded"}"#), 1.0);
    assert_eq!(delta(r#"cinema_refunds_total{outcome="refunded"}"#), 1.0);
    assert_eq!(
        delta(r#"cinema_webhook_events_total{outcome="applied"}"#),
        1.0
    );
    assert!(delta(r#"cinema_emails_total{outcome="delivered"}"#) >= 2.0);
    assert!(delta(r#"cinema_jobs_total{kind="email",outcome="done"}"#) >= 2.0);
    // Requests by route template, never by raw path.
    let route =
        r#"cinema_http_requests_total{method="GET",route="/api/v1/movies/{id}",status="200"}"#;
    assert_eq!(delta(route), 3.0, "{bought}");
    assert_eq!(
        delta(r#"cinema_http_requests_total{method="GET",route="unmatched",status="404"}"#),
        1.0
    );
    assert!(!after.0.keys().any(|k| k.contains("/no/such/route")));
    assert_eq!(
        delta(
            r#"cinema_http_request_duration_seconds_count{method="GET",route="/api/v1/movies/{id}"}"#
        ),
        3.0
    );
    // The answer cache: the first detail read misses, the next ones hit (unless it is off).
    if std::env::var("CATALOG_CACHE").as_deref() != Ok("off") {
        assert!(delta(r#"cinema_catalog_cache_requests_total{result="hit"}"#) >= 2.0);
        assert!(delta(r#"cinema_catalog_cache_requests_total{result="miss"}"#) >= 1.0);
    }
    // Gauges read at scrape time: the pool, and the queue (counted at most once a second, so
    // the delivered jobs show within a second or so).
    let done = r#"cinema_jobs_queued{kind="email",status="done"}"#;
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while after.value(done) < 2.0 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
        after = scrape(&app, &app.address).await;
    }
    assert!(after.has_family(r#"cinema_db_connections{state="idle"}"#));
    assert!(after.value("cinema_db_connections_max") >= 2.0);
    assert!(after.value(done) >= 2.0, "{after:?}");
    assert_eq!(
        after.value(r#"cinema_jobs_queued{kind="email",status="dead"}"#),
        0.0
    );
}

#[tokio::test]
async fn metrics_can_be_off_or_on_an_address_of_their_own() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let off = TestApp::spawn_with(&[("METRICS_ADDR", "off")]).await;
    assert_eq!(off.get("/metrics").await.status, 404);
    assert!(off.metrics_address.is_none());

    let apart = TestApp::spawn_with(&[("METRICS_ADDR", "127.0.0.1:0")]).await;
    assert_eq!(apart.get("/metrics").await.status, 404, "not with the API");
    let base = apart.metrics_address.clone().expect("a metrics listener");
    assert_eq!(apart.get("/api/v1/movies").await.status, 200);
    let scraped = scrape(&apart, &base).await;
    assert!(scraped.has_family("cinema_http_requests_total"));
    let other = apart
        .client
        .get(format!("{base}/api/v1/movies"))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 404, "only /metrics there");
}

/// On PostgreSQL a client's burst of requests reads its session once: the others are answered
/// from the session cache. On SQLite every request reads it (nothing is ever a hit).
#[tokio::test]
async fn a_burst_of_requests_reads_its_session_once() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let app = TestApp::spawn().await;
    let (_, tokens) = app.user_with_role(cinema_identity::Role::User).await;
    let hits = r#"cinema_session_cache_requests_total{result="hit"}"#;
    let misses = r#"cinema_session_cache_requests_total{result="miss"}"#;
    // The cache is used once its listener is connected: a moment after start.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let before = scrape(&app, &app.address).await;
        for _ in 0..10 {
            let res = app
                .get_as(&tokens.access_token, "/api/v1/accounts/me")
                .await;
            assert_eq!(res.status, 200);
        }
        let after = scrape(&app, &app.address).await;
        let (hit, miss) = (
            after.value(hits) - before.value(hits),
            after.value(misses) - before.value(misses),
        );
        assert_eq!(hit + miss, 10.0, "one lookup per request");
        if !app.database().is_postgres() {
            assert_eq!(hit, 0.0);
            return;
        }
        if hit == 9.0 && miss == 1.0 {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never served from the cache: {hit} hits, {miss} misses"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
