//! Read replicas (`DATABASE_REPLICA_URLS`): a primary and a streaming replica of the test's
//! own (`initdb`, `pg_basebackup`, both on loopback). Public catalog reads go to the replica;
//! a write's own reads and every cached answer come from the primary until the replica has
//! replayed it; a replica that lags beyond `REPLICA_MAX_LAG_MS` or goes down is skipped
//! without one error, and used again once it is back.

use std::time::{Duration, Instant};

use cinema_tests::{PgCluster, TestApp, TestDatabase};
use reqwest::Method;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{Value, json};

/// The lag bound of the application below: long enough for a few reads on a busy machine,
/// short enough to wait out.
const MAX_LAG_MS: u64 = 3000;

async fn sql(db: &DatabaseConnection, statement: &str) {
    db.execute_unprepared(statement)
        .await
        .unwrap_or_else(|e| panic!("{statement}: {e}"));
}

async fn usable_replicas(app: &TestApp) -> u64 {
    let res = app.get("/health/ready").await;
    assert_eq!(res.status, 200, "{}", res.text());
    res.json::<Value>()["replicas"]["usable"]
        .as_u64()
        .expect("a replica count")
}

/// Waits until `/health/ready` says `usable` replicas may serve reads.
async fn until_usable(app: &TestApp, usable: u64, why: &str) {
    let started = Instant::now();
    while usable_replicas(app).await != usable {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{why}: still not {usable} usable replica(s)"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn name_of(app: &TestApp, id: i64) -> String {
    let res = app.get(&format!("/api/v1/movies/{id}")).await;
    assert_eq!(res.status, 200, "{}", res.text());
    res.json::<Value>()["name"]
        .as_str()
        .expect("a name")
        .to_owned()
}

#[tokio::test]
async fn public_reads_use_a_replica_only_while_it_keeps_up_and_never_fail_because_of_it() {
    if TestDatabase::postgres_unmigrated("read replicas")
        .await
        .is_none()
    {
        return;
    }
    let primary = PgCluster::init().expect("PostgreSQL's server programs (initdb, pg_ctl)");
    primary.start();
    let admin = Database::connect(primary.url("postgres"))
        .await
        .expect("the primary");
    sql(&admin, "CREATE DATABASE cinema").await;
    let replica = primary.replica();
    replica.start();
    let app = TestApp::spawn_on(
        &primary.url("cinema"),
        &[
            ("DATABASE_REPLICA_URLS", &replica.url("cinema")),
            ("REPLICA_MAX_LAG_MS", &MAX_LAG_MS.to_string()),
            ("CATALOG_CACHE", "on"),
        ],
    )
    .await;
    let on_primary = Database::connect(primary.url("cinema"))
        .await
        .expect("the primary");
    let on_replica = Database::connect(replica.url("cinema"))
        .await
        .expect("the replica");

    let catalog = app.catalog().await;
    let token = catalog.moderator.clone();
    let (inception, lady_bird, interstellar) = (
        catalog.movies["Inception"],
        catalog.movies["Lady Bird"],
        catalog.movies["Interstellar"],
    );
    until_usable(&app, 1, "the replica replays the catalog").await;

    // A write's own reads: with the replica paused, a rename is read back from the primary at
    // once (the replica has not replayed its catalog version), detail and list alike.
    sql(&on_replica, "SELECT pg_wal_replay_pause()").await;
    let res = app
        .json(
            Method::PATCH,
            &format!("/api/v1/movies/{lady_bird}"),
            Some(&token),
            json!({"name": "Lady Bird (renamed)"}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(name_of(&app, lady_bird).await, "Lady Bird (renamed)");
    let (names, _) = app.movie_names("/api/v1/movies/?limit=50").await;
    assert!(
        names.contains(&"Lady Bird (renamed)".to_owned()),
        "{names:?}"
    );
    assert_eq!(usable_replicas(&app).await, 0, "behind the catalog version");
    sql(&on_replica, "SELECT pg_wal_replay_resume()").await;
    until_usable(&app, 1, "the replica replays the rename").await;

    // Reads do go to the replica: a change made straight on the primary (no catalog version,
    // so no instance hears of it) is not seen while the replica is paused and within the lag
    // bound...
    sql(&on_replica, "SELECT pg_wal_replay_pause()").await;
    sql(
        &on_primary,
        &format!("UPDATE movies SET name = 'Inception (primary only)' WHERE id = {inception}"),
    )
    .await;
    let paused_at = Instant::now();
    let seen = name_of(&app, inception).await;
    if paused_at.elapsed() < Duration::from_millis(MAX_LAG_MS) {
        assert_eq!(seen, "Inception", "read from the replica");
    }
    // ...and once the replica is further behind than the bound, reads go to the primary.
    until_usable(&app, 0, "the paused replica lags beyond the bound").await;
    assert!(paused_at.elapsed() >= Duration::from_millis(MAX_LAG_MS) - Duration::from_millis(300));
    let (names, _) = app.movie_names("/api/v1/movies/?limit=49").await;
    assert!(
        names.contains(&"Inception (primary only)".to_owned()),
        "{names:?}"
    );
    sql(&on_replica, "SELECT pg_wal_replay_resume()").await;
    until_usable(&app, 1, "the replica catches up").await;

    // The replica goes down under reads: not one fails, and it is used again once it is back.
    let (under_way, mut reads_begun) = tokio::sync::watch::channel(0u32);
    let reader = {
        let (client, address) = (app.client.clone(), app.address.clone());
        tokio::spawn(async move {
            let mut statuses = Vec::new();
            for i in 0..150u32 {
                // A new query each time: computed, not served from the cache.
                let url = format!("{address}/api/v1/movies/?limit={}", 1 + i % 40);
                let url = format!("{url}&skip={}", i / 40);
                let status = client.get(&url).send().await.map(|r| r.status().as_u16());
                statuses.push(status.unwrap_or(0));
                under_way.send_replace(i + 1);
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            statuses
        })
    };
    // Stopped while the reads are under way.
    reads_begun
        .wait_for(|n| *n >= 20)
        .await
        .expect("the reader runs");
    replica.stop("immediate");
    let statuses = reader.await.expect("the reader");
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    until_usable(&app, 0, "the replica is down").await;
    assert_eq!(name_of(&app, interstellar).await, "Interstellar");
    replica.start();
    until_usable(&app, 1, "the replica is back").await;
    assert_eq!(name_of(&app, interstellar).await, "Interstellar");
    drop(app);
    drop(on_replica);
    drop(on_primary);
    admin.close().await.ok();
}
