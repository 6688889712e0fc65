//! `cinema seed --sales`: a year of sales that is consistent with itself (every paid order has
//! one payment, its items and its ownerships; a refunded one owns nothing), and that the sales
//! report adds up exactly as plain sums over the payments do. SQLite and PostgreSQL.

#![expect(clippy::unwrap_used, reason = "test code")]

use chrono::NaiveDate;
use cinema_billing::analytics::{SalesGroup, SalesQuery, sales};
use cinema_kernel::db::DatabaseConfig;
use cinema_kernel::{page::PageRequest, time::Clock};
use cinema_server::progress::Progress;
use cinema_testkit::TestDatabase;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

async fn number(db: &DatabaseConnection, sql: &str) -> i64 {
    db.query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index(0)
        .unwrap()
}

#[tokio::test]
async fn seeded_sales_are_consistent_and_the_report_adds_up() {
    let database = TestDatabase::create().await;
    let config = DatabaseConfig::new(database.url().parse().unwrap());
    let db = cinema_server::database::connect_migrated(&config)
        .await
        .unwrap();
    let clock = Clock::system();
    cinema_server::seed::synthetic(&db, &clock, 300, &mut Progress::new("movies", 300))
        .await
        .unwrap();
    let sold = cinema_server::seed::sales(&db, &clock, 3000, &mut Progress::new("items", 3000))
        .await
        .unwrap();
    assert_eq!(sold.items, 3000);
    assert!(
        sold.refunded > 0 && sold.refunded < sold.orders / 5,
        "{sold:?}"
    );

    for (what, sql) in [
        (
            "a paid or refunded order without exactly one payment",
            "SELECT COUNT(*) FROM orders o WHERE \
             (SELECT COUNT(*) FROM payments p WHERE p.order_id = o.id) <> 1",
        ),
        (
            "a payment whose items do not add up to it",
            "SELECT COUNT(*) FROM payments p WHERE p.amount_cents <> \
             (SELECT SUM(price_cents) FROM payment_items i WHERE i.payment_id = p.id)",
        ),
        (
            "a paid item not owned",
            "SELECT COUNT(*) FROM order_items i JOIN orders o ON o.id = i.order_id \
             WHERE o.status = 'paid' AND NOT EXISTS (SELECT 1 FROM ownerships w \
             WHERE w.user_id = o.user_id AND w.movie_id = i.movie_id AND w.order_id = o.id)",
        ),
        (
            "an ownership from a refunded order",
            "SELECT COUNT(*) FROM ownerships w JOIN orders o ON o.id = w.order_id \
             WHERE o.status <> 'paid'",
        ),
        (
            "a movie sold twice to one buyer",
            "SELECT COUNT(*) FROM (SELECT o.user_id, i.movie_id FROM order_items i \
             JOIN orders o ON o.id = i.order_id GROUP BY o.user_id, i.movie_id \
             HAVING COUNT(*) > 1) d",
        ),
    ] {
        assert_eq!(number(&db, sql).await, 0, "{what}");
    }

    // The whole year, by month: exactly the payments' own sums.
    let today = clock.today();
    let query = SalesQuery {
        from: today - chrono::Days::new(400),
        to: today,
        group: SalesGroup::Month,
        page: PageRequest::new(None, Some(100), 100).unwrap(),
    };
    let report = sales(&db, &query).await.unwrap();
    let gross = number(
        &db,
        "SELECT CAST(SUM(amount_cents) AS BIGINT) FROM payments",
    )
    .await;
    let refunds = number(
        &db,
        "SELECT CAST(SUM(amount_cents) AS BIGINT) FROM payments WHERE status = 'refunded'",
    )
    .await;
    assert_eq!(report.totals.units, 3000);
    assert_eq!(report.totals.gross.cents(), gross);
    assert_eq!(report.totals.refunds.cents(), refunds);
    assert!(
        (12..=14).contains(&report.rows.len()),
        "{}",
        report.rows.len()
    );
    let by_month: i64 = report.rows.iter().map(|r| r.figures.gross.cents()).sum();
    assert_eq!(by_month, gross);
    let month: &str = &report.rows[0].key;
    assert!(
        NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").is_ok(),
        "{month}"
    );

    // Top sellers: by net revenue, each movie's figures its own items' sums.
    let top = sales(
        &db,
        &SalesQuery {
            group: SalesGroup::Movie,
            page: PageRequest::new(None, Some(5), 100).unwrap(),
            ..query
        },
    )
    .await
    .unwrap();
    assert!(
        top.rows
            .windows(2)
            .all(|w| w[0].figures.net() >= w[1].figures.net())
    );
    let first = &top.rows[0];
    let own = number(
        &db,
        &format!(
            "SELECT CAST(SUM(price_cents) AS BIGINT) FROM payment_items WHERE movie_id = {}",
            first.key
        ),
    )
    .await;
    assert_eq!(first.figures.gross.cents(), own);
}
