//! The client address behind a proxy: per-address limits count the forwarded client when the
//! peer is a trusted proxy, the peer itself otherwise; forged, malformed and IPv6 addresses.

use cinema_tests::{TestApp, TestResponse, client_from, strong_password};
use serde_json::{Value, json};

/// The service behind a "proxy" at 127.0.0.1 (the tests' own client), two sign-ups per client.
async fn behind_proxy() -> TestApp {
    TestApp::spawn_with(&[
        ("TRUSTED_PROXIES", "127.0.0.1/32"),
        ("REGISTRATION_LIMIT_PER_CLIENT", "2"),
        ("MAIL_LIMIT_PER_CLIENT", "1000"),
    ])
    .await
}

/// Signs up `n` through `client` with the given forwarding headers; returns the statuses.
async fn sign_up(
    app: &TestApp,
    client: &reqwest::Client,
    tag: &str,
    n: usize,
    headers: &[(&str, &str)],
) -> Vec<u16> {
    let mut statuses = Vec::new();
    for i in 0..n {
        let mut request = client.post(app.url("/api/v1/accounts/register")).json(
            &json!({"email": format!("{tag}{i}@example.com"), "password": strong_password()}),
        );
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let res = app.send(request).await;
        assert!(
            res.status == 201 || res.status == 429,
            "{}: {}",
            res.status,
            res.text()
        );
        statuses.push(res.status.as_u16());
    }
    statuses
}

#[tokio::test]
async fn sign_ups_through_a_trusted_proxy_are_counted_per_forwarded_client() {
    let app = behind_proxy().await;
    let proxy = app.client.clone();
    // 25 people behind the proxy, each with their own address: nobody is refused.
    for i in 0..25 {
        let ip = format!("203.0.113.{i}");
        let statuses = sign_up(
            &app,
            &proxy,
            &format!("p{i}-"),
            1,
            &[("x-forwarded-for", &ip)],
        )
        .await;
        assert_eq!(statuses, [201], "client {ip}");
    }
    // One of them signing up again and again meets its own limit, with its own sentence.
    let one = [("x-forwarded-for", "198.51.100.7")];
    assert_eq!(
        sign_up(&app, &proxy, "same", 3, &one).await,
        [201, 201, 429]
    );
    let res = app
        .send(
            proxy
                .post(app.url("/api/v1/accounts/register"))
                .header("x-forwarded-for", "198.51.100.7")
                .json(&json!({"email": "again@example.com", "password": strong_password()})),
        )
        .await;
    let problem = res.problem(429);
    assert_eq!(
        problem.problem_type,
        "urn:cinema:problem:rate-limited:registration"
    );
    assert!(problem.detail.contains("sign-ups"), "{}", problem.detail);
    // RFC 7239 `Forwarded` names the client just as well.
    let rfc = [("forwarded", "for=\"198.51.100.8:4711\";proto=https")];
    assert_eq!(sign_up(&app, &proxy, "rfc", 3, &rfc).await, [201, 201, 429]);
}

#[tokio::test]
async fn forwarded_headers_from_an_untrusted_peer_are_ignored() {
    let app = behind_proxy().await;
    let stranger = client_from("127.0.0.5");
    let mut statuses = Vec::new();
    for i in 0..3 {
        let ip = format!("203.0.113.{i}");
        statuses.extend(
            sign_up(
                &app,
                &stranger,
                &format!("s{i}-"),
                1,
                &[("x-forwarded-for", &ip)],
            )
            .await,
        );
    }
    assert_eq!(statuses, [201, 201, 429]);
    // With no proxy trusted at all (the default), the proxy's headers count for nothing either.
    let plain = TestApp::spawn_with(&[("REGISTRATION_LIMIT_PER_CLIENT", "2")]).await;
    let mut statuses = Vec::new();
    for i in 0..3 {
        let ip = format!("203.0.113.{i}");
        statuses.extend(
            sign_up(
                &plain,
                &plain.client,
                &format!("d{i}-"),
                1,
                &[("x-forwarded-for", &ip)],
            )
            .await,
        );
    }
    assert_eq!(statuses, [201, 201, 429]);
}

#[tokio::test]
async fn a_forged_leftmost_forwarded_address_does_not_help() {
    let app = behind_proxy().await;
    let mut statuses = Vec::new();
    for i in 0..4 {
        // The client wrote its own X-Forwarded-For; the proxy appended the address it saw.
        let chain = format!("10.9.9.{i}, 6.6.6.{i}, 198.51.100.9");
        statuses.extend(
            sign_up(
                &app,
                &app.client,
                &format!("f{i}-"),
                1,
                &[("x-forwarded-for", &chain)],
            )
            .await,
        );
    }
    assert_eq!(statuses, [201, 201, 429, 429]);
}

#[tokio::test]
async fn a_malformed_forwarded_header_falls_back_to_the_peer_and_is_never_an_error() {
    let app = behind_proxy().await;
    let malformed = [
        ("x-forwarded-for", "not-an-address"),
        ("x-forwarded-for", "203.0.113.1,,"),
        ("forwarded", "for=unknown"),
        ("forwarded", ";;;==="),
    ];
    let mut statuses = Vec::new();
    for (i, header) in malformed.iter().enumerate() {
        statuses.extend(sign_up(&app, &app.client, &format!("m{i}-"), 1, &[*header]).await);
    }
    // All four counted as the peer (127.0.0.1): two, then its limit.
    assert_eq!(statuses, [201, 201, 429, 429]);
}

#[tokio::test]
async fn ipv6_clients_are_counted_by_their_64_and_mapped_ipv4_as_ipv4() {
    let app = behind_proxy().await;
    let mut statuses = Vec::new();
    for i in 1..=3 {
        let ip = format!("2001:db8:1:2::{i:x}");
        statuses.extend(
            sign_up(
                &app,
                &app.client,
                &format!("v{i}-"),
                1,
                &[("x-forwarded-for", &ip)],
            )
            .await,
        );
    }
    assert_eq!(statuses, [201, 201, 429], "one /64 is one client");
    let other_net = [("x-forwarded-for", "2001:db8:1:3::1")];
    assert_eq!(sign_up(&app, &app.client, "w", 1, &other_net).await, [201]);
    // `::ffff:198.51.100.20` is 198.51.100.20.
    let v4 = [("x-forwarded-for", "198.51.100.20")];
    let mapped = [("x-forwarded-for", "::ffff:198.51.100.20")];
    assert_eq!(sign_up(&app, &app.client, "x", 2, &v4).await, [201, 201]);
    assert_eq!(sign_up(&app, &app.client, "y", 1, &mapped).await, [429]);
}

#[tokio::test]
async fn the_sessions_list_records_the_forwarded_client() {
    let app = behind_proxy().await;
    let tokens = app.sign_up("seen@example.com").await;
    let res: TestResponse = app
        .send(
            app.client
                .post(app.url("/api/v1/accounts/login"))
                .header("x-forwarded-for", "6.6.6.6, 203.0.113.77")
                .json(&json!({"email": "seen@example.com", "password": strong_password()})),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let sessions: Value = app
        .get_as(&tokens.access_token, "/api/v1/accounts/sessions")
        .await
        .json();
    let ips: Vec<&str> = sessions["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["ip"].as_str())
        .collect();
    assert!(ips.contains(&"203.0.113.77"), "{sessions}");
    assert!(!ips.contains(&"6.6.6.6"), "{sessions}");
}
