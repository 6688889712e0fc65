//! Sales analytics: exact figures by movie, genre and period, refunds in the period they were
//! made, checked against sums computed straight from the payments; CSV; roles; bad input.

use std::time::Duration;

use cinema_identity::Role;
use cinema_tests::{TestApp, strong_password};
use reqwest::Method;
use serde_json::{Value, json};

const DAY: Duration = Duration::from_secs(86_400);

/// Refunds the newest payment of `token`'s user.
async fn refund_latest(app: &TestApp, token: &str) {
    let mine: Value = app.get_as(token, "/api/v1/payments").await.json();
    let id = mine["items"][0]["id"].as_i64().unwrap();
    let path = format!("/api/v1/payments/{id}/refund");
    let res = app.json(Method::POST, &path, Some(token), json!({})).await;
    assert_eq!(res.status, 200, "{}", res.text());
}

/// Rows of a report as (key or label, units, gross, refunded units, refunds, net).
fn rows(report: &Value, by: &str) -> Vec<(String, i64, String, i64, String, String)> {
    report["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r[by].as_str().unwrap().to_owned(),
                r["units"].as_i64().unwrap(),
                r["gross"].as_str().unwrap().to_owned(),
                r["refunded_units"].as_i64().unwrap(),
                r["refunds"].as_str().unwrap().to_owned(),
                r["net"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn row(
    key: &str,
    units: i64,
    gross: &str,
    r_units: i64,
    refunds: &str,
    net: &str,
) -> (String, i64, String, i64, String, String) {
    (
        key.into(),
        units,
        gross.into(),
        r_units,
        refunds.into(),
        net.into(),
    )
}

#[tokio::test]
async fn sales_by_movie_genre_and_day_subtract_refunds_when_they_happen() {
    let app = TestApp::spawn().await;
    let c = app.catalog().await;
    let (staff_email, _) = app.user_with_role(Role::Moderator).await;
    let (one, _) = app.user_with_role(Role::User).await;
    let (two, _) = app.user_with_role(Role::User).await;
    // Access tokens last minutes: sign in again after the clock moves days.
    let token = async |email: &str| app.login_ok(email, strong_password()).await.access_token;
    let day0 = app.clock.today();
    // Day 0: Inception and Interstellar in one order.
    app.buy(
        &token(&one).await,
        &[c.movies["Inception"], c.movies["Interstellar"]],
    )
    .await;
    // Day 3: Inception again, and Little Women, refunded the same day.
    app.clock.advance(3 * DAY);
    let two = token(&two).await;
    app.buy(&two, &[c.movies["Inception"]]).await;
    app.buy(&two, &[c.movies["Little Women"]]).await;
    refund_latest(&app, &two).await;
    // Day 5: the first order is refunded, both movies.
    app.clock.advance(2 * DAY);
    refund_latest(&app, &token(&one).await).await;
    let staff = app
        .login_ok(&staff_email, strong_password())
        .await
        .access_token;
    let day = |n: u64| (day0 + chrono::Days::new(n)).to_string();
    let range = format!("from={}&to={}", day(0), day(5));

    let by_day: Value = app
        .get_as(
            &staff,
            &format!("/api/v1/analytics/sales?{range}&group=day"),
        )
        .await
        .json();
    assert_eq!(
        rows(&by_day, "key"),
        vec![
            row(&day(0), 2, "22.49", 0, "0.00", "22.49"),
            row(&day(3), 2, "14.98", 1, "4.99", "9.99"),
            row(&day(5), 0, "0.00", 2, "22.49", "-22.49"),
        ]
    );
    assert_eq!(
        by_day["totals"],
        json!({"units": 4, "gross": "37.47", "refunded_units": 3, "refunds": "27.48", "net_units": 1, "net": "9.99"})
    );
    assert_eq!(by_day["total"], 3);

    // The top sellers, by net revenue; ties by id.
    let by_movie: Value = app
        .get_as(&staff, &format!("/api/v1/analytics/sales?{range}"))
        .await
        .json();
    assert_eq!(by_movie["group"], "movie");
    assert_eq!(
        rows(&by_movie, "label"),
        vec![
            row("Inception", 2, "19.98", 1, "9.99", "9.99"),
            row("Interstellar", 1, "12.50", 1, "12.50", "0.00"),
            row("Little Women", 1, "4.99", 1, "4.99", "0.00"),
        ]
    );
    assert_eq!(
        by_movie["items"][0]["key"],
        c.movies["Inception"].to_string()
    );

    // By genre a movie counts in each of its genres; the totals do not double.
    let by_genre: Value = app
        .get_as(
            &staff,
            &format!("/api/v1/analytics/sales?{range}&group=genre"),
        )
        .await
        .json();
    assert_eq!(
        rows(&by_genre, "label"),
        vec![
            row("Drama", 3, "24.97", 2, "14.98", "9.99"),
            row("Sci-Fi", 3, "32.48", 2, "22.49", "9.99"),
        ]
    );
    assert_eq!(by_genre["totals"], by_day["totals"]);

    // A week and a month hold their days; a narrower range only its own.
    for group in ["week", "month"] {
        let report: Value = app
            .get_as(
                &staff,
                &format!("/api/v1/analytics/sales?{range}&group={group}"),
            )
            .await
            .json();
        let units: i64 = report["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["units"].as_i64().unwrap())
            .sum();
        assert_eq!(units, 4, "{group}: {report}");
        assert_eq!(report["totals"], by_day["totals"], "{group}");
    }
    let day3: Value = app
        .get_as(
            &staff,
            &format!(
                "/api/v1/analytics/sales?from={}&to={}&group=day",
                day(3),
                day(3)
            ),
        )
        .await
        .json();
    assert_eq!(
        rows(&day3, "key"),
        vec![row(&day(3), 2, "14.98", 1, "4.99", "9.99")]
    );

    // The same sums computed independently: payments by when they were taken and refunded.
    let start = app.clock.now_ms() - 5 * 86_400_000 - 86_400_000;
    let sold = app
        .count(&format!(
            "SELECT CAST(COALESCE(SUM(pi.price_cents), 0) AS BIGINT) AS n FROM payment_items pi \
             JOIN payments p ON p.id = pi.payment_id WHERE p.created_at >= {start}"
        ))
        .await;
    let refunded = app
        .count(&format!(
            "SELECT CAST(COALESCE(SUM(pi.price_cents), 0) AS BIGINT) AS n FROM payment_items pi \
             JOIN payments p ON p.id = pi.payment_id \
             WHERE p.status = 'refunded' AND p.updated_at >= {start}"
        ))
        .await;
    assert_eq!((sold, refunded), (3747, 2748));
}

#[tokio::test]
async fn sales_come_as_csv_for_staff_only_and_bad_ranges_are_named() {
    let app = TestApp::spawn().await;
    let c = app.catalog().await;
    let buyer = app.buyer().await;
    app.buy(&buyer, &[c.movies["Inception"], c.movies["Interstellar"]])
        .await;
    let (_, admin) = app.user_with_role(Role::Admin).await;
    let staff = admin.access_token;

    let csv = app
        .send(
            app.client
                .get(app.url("/api/v1/analytics/sales?group=movie"))
                .bearer_auth(&staff)
                .header("accept", "text/csv"),
        )
        .await;
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    assert!(
        csv.header("content-disposition")
            .unwrap()
            .contains("sales-movie-")
    );
    let text = csv.text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "key,label,units,gross,refunded_units,refunds,net_units,net"
    );
    assert_eq!(
        &lines[1..],
        [
            format!(
                "{},Interstellar,1,12.50,0,0.00,1,12.50",
                c.movies["Interstellar"]
            ),
            format!("{},Inception,1,9.99,0,0.00,1,9.99", c.movies["Inception"]),
        ]
    );
    // JSON stays the default, and wins when preferred.
    let json_first = app
        .send(
            app.client
                .get(app.url("/api/v1/analytics/sales"))
                .bearer_auth(&staff)
                .header("accept", "application/json, text/csv"),
        )
        .await;
    assert!(
        json_first
            .header("content-type")
            .unwrap()
            .starts_with("application/json")
    );

    assert_eq!(app.get("/api/v1/analytics/sales").await.status, 401);
    assert_eq!(
        app.get_as(&buyer, "/api/v1/analytics/sales").await.status,
        403
    );
    for (query, field) in [
        ("from=2026-12-07&to=2026-12-01", "from"),
        ("from=1969-12-31&to=1970-01-05", "from"),
        ("from=2000-01-01&to=2026-01-01", "to"),
        ("group=year", "group"),
        ("limit=1001", "limit"),
        ("from=yesterday", "from"),
    ] {
        let problem = app
            .get_as(&staff, &format!("/api/v1/analytics/sales?{query}"))
            .await
            .problem(422);
        assert!(
            problem.errors.iter().any(|e| e.field == field) || problem.detail.contains(field),
            "{query}: {problem:?}"
        );
    }
}
