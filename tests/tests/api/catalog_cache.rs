//! The catalog's read cache seen from outside: a write is visible in the writer's next read,
//! another instance sees it within `CATALOG_CACHE_MAX_STALENESS_MS` (also after its listening
//! connection is killed), answers carry validators and `304` needs no database, nothing
//! personal is shared, and `CATALOG_CACHE=off` serves the same answers.

use std::time::{Duration, Instant};

use cinema_identity::Role;
use cinema_tests::{TestApp, TestResponse};
use reqwest::Method;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

/// The staleness bound the instances below are configured with.
const BOUND: Duration = Duration::from_millis(1000);
/// What the test itself adds on top of the bound: its HTTP round trips and scheduling on a
/// busy two-core machine.
const SLACK: Duration = Duration::from_millis(500);

async fn ok(res: TestResponse) -> Value {
    assert!(res.status.is_success(), "{} {}", res.status, res.text());
    if res.status == 204 {
        Value::Null
    } else {
        res.json()
    }
}

async fn write(app: &TestApp, method: Method, path: &str, token: &str, body: Value) -> Value {
    ok(app.json(method, path, Some(token), body).await).await
}

async fn read(app: &TestApp, path: &str) -> Value {
    ok(app.get(path).await).await
}

/// Reads `path` from `app` until `fresh` holds, and returns how long that took.
async fn fresh_within(app: &TestApp, path: &str, fresh: impl Fn(&Value) -> bool) -> Duration {
    let started = Instant::now();
    loop {
        let res = app.get(path).await;
        if res.status.is_success() && fresh(&res.json()) {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < BOUND + SLACK,
            "{path} still stale after {:?}: {}",
            started.elapsed(),
            res.text()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn warm_up(app: &TestApp, paths: &[String]) {
    for path in paths {
        read(app, path).await;
        read(app, path).await;
    }
}

fn names(page: &Value) -> Vec<&str> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect()
}

/// The names of the genres a page shows for this movie.
fn genre_names_of(page: &Value, movie: i64) -> Vec<String> {
    let item = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == movie)
        .unwrap_or_else(|| panic!("movie {movie} not in {page}"));
    item["genres"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn every_write_is_visible_in_the_writers_next_read() {
    let app = TestApp::spawn().await;
    let catalog = app.catalog().await;
    let moderator = catalog.moderator.as_str();
    let (_, user) = app.user_with_role(Role::User).await;
    let user = user.access_token;
    let inception = catalog.movies["Inception"];
    let detail = format!("/api/v1/movies/{inception}");
    let list = "/api/v1/movies/?sort_by=name&order=asc&limit=50";
    let by_rating = "/api/v1/movies/?sort_by=rating&order=desc&limit=1";
    let drama = catalog.genres["Drama"];
    // Every answer below is read first, so it is cached when the write comes.
    let paths = [
        detail.clone(),
        list.to_owned(),
        by_rating.to_owned(),
        format!("/api/v1/genres/{drama}"),
        "/api/v1/genres/".to_owned(),
        "/api/v1/genres/statistics".to_owned(),
        format!("/api/v1/movies/genre/{drama}"),
        "/api/v1/movies/special/trending".to_owned(),
        "/api/v1/movies/search/query?q=dream%20sharing".to_owned(),
        "/api/v1/movies/?price_min=1&limit=50".to_owned(),
    ];
    let warm = || warm_up(&app, &paths);

    warm().await;
    write(
        &app,
        Method::PATCH,
        &detail,
        moderator,
        json!({"name": "Inception II"}),
    )
    .await;
    assert_eq!(read(&app, &detail).await["name"], "Inception II");
    assert!(names(&read(&app, list).await).contains(&"Inception II"));

    warm().await;
    write(
        &app,
        Method::PATCH,
        &format!("/api/v1/genres/{drama}"),
        moderator,
        json!({"name": "Drama Queen"}),
    )
    .await;
    assert_eq!(
        read(&app, &format!("/api/v1/genres/{drama}")).await["name"],
        "Drama Queen"
    );
    let genres = read(&app, &detail).await["genres"].clone();
    assert!(
        genres
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["name"] == "Drama Queen"),
        "{genres}"
    );
    // Lists name genres from memory (the labels): they are read again after the change.
    for path in [
        list.to_owned(),
        format!("/api/v1/movies/genre/{drama}"),
        "/api/v1/movies/search/query?q=dream%20sharing".to_owned(),
        "/api/v1/movies/?price_min=1&limit=50".to_owned(),
    ] {
        assert_eq!(
            genre_names_of(&read(&app, &path).await, inception),
            ["Drama Queen", "Sci-Fi"],
            "{path}"
        );
    }

    warm().await;
    let comedy = catalog.genres["Comedy"];
    write(
        &app,
        Method::PATCH,
        &detail,
        moderator,
        json!({"genre_ids": [comedy]}),
    )
    .await;
    for path in [list, "/api/v1/movies/search/query?q=dream%20sharing"] {
        assert_eq!(
            genre_names_of(&read(&app, path).await, inception),
            ["Comedy"],
            "{path}"
        );
    }

    warm().await;
    write(
        &app,
        Method::POST,
        &format!("{detail}/like"),
        &user,
        json!({}),
    )
    .await;
    let d = read(&app, &detail).await;
    assert_eq!(
        (d["like_count"].as_i64(), d["my_reaction"].is_null()),
        (Some(1), true)
    );

    warm().await;
    write(
        &app,
        Method::PUT,
        &format!("{detail}/rating"),
        &user,
        json!({"score": 3}),
    )
    .await;
    assert_eq!(read(&app, &detail).await["rating_average"], 3.0);
    let top = read(&app, by_rating).await;
    assert_eq!(top["items"][0]["id"], inception, "{top}");
    let listed = read(&app, list).await;
    let item = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == inception)
        .unwrap()
        .clone();
    assert_eq!(
        (
            item["rating_average"].as_f64(),
            item["rating_count"].as_i64()
        ),
        (Some(3.0), Some(1))
    );

    warm().await;
    write(
        &app,
        Method::POST,
        &format!("{detail}/comments"),
        &user,
        json!({"body": "Dreams!"}),
    )
    .await;
    assert_eq!(read(&app, &detail).await["comment_count"], 1);

    warm().await;
    let statistics = read(&app, "/api/v1/genres/statistics").await;
    let new_genre = write(
        &app,
        Method::POST,
        "/api/v1/genres/",
        moderator,
        json!({"name": "Western"}),
    )
    .await;
    let after = read(&app, "/api/v1/genres/statistics").await;
    assert_eq!(
        after.as_array().unwrap().len(),
        statistics.as_array().unwrap().len() + 1
    );
    assert!(
        after
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["id"] == new_genre["id"])
    );

    warm().await;
    let total = read(&app, list).await["total"].as_i64().unwrap();
    write(
        &app,
        Method::DELETE,
        &format!("{detail}?force=true"),
        moderator,
        json!({}),
    )
    .await;
    app.get(&detail).await.problem(404);
    assert_eq!(read(&app, list).await["total"].as_i64(), Some(total - 1));
    let trending = read(&app, "/api/v1/movies/special/trending").await;
    let trending = trending.as_array().unwrap();
    assert!(!trending.is_empty() && trending.iter().all(|m| m["id"] != inception));
}

#[tokio::test]
async fn concurrent_writes_and_reads_end_fresh() {
    let app = TestApp::spawn().await;
    let catalog = app.catalog().await;
    let detail = format!("/api/v1/movies/{}", catalog.movies["Interstellar"]);
    let mut users = Vec::new();
    for _ in 0..12 {
        users.push(app.user_with_role(Role::User).await.1.access_token);
    }
    // Readers keep refilling the cache while the likes commit.
    let likes = users.iter().map(|token| {
        let (app, detail) = (&app, &detail);
        async move {
            write(
                app,
                Method::POST,
                &format!("{detail}/like"),
                token,
                json!({}),
            )
            .await;
        }
    });
    let reads = (0..24).map(|_| {
        let (app, detail) = (&app, &detail);
        async move {
            read(app, detail).await;
        }
    });
    futures_util::future::join(
        futures_util::future::join_all(likes),
        futures_util::future::join_all(reads),
    )
    .await;
    assert_eq!(read(&app, &detail).await["like_count"], 12);
}

#[tokio::test]
async fn answers_carry_validators_and_304_needs_no_database() {
    let app = TestApp::spawn().await;
    let catalog = app.catalog().await;
    let detail = format!("/api/v1/movies/{}", catalog.movies["Inception"]);
    let paths = [
        detail.as_str(),
        "/api/v1/movies/?genre_ids=1&year_from=2000&sort_by=imdb&order=desc",
        "/api/v1/movies/search/query?q=wormhole",
        "/api/v1/genres/statistics",
        "/api/v1/stars/",
    ];
    let mut tags = Vec::new();
    for path in paths {
        let first = app.get(path).await;
        assert_eq!(first.status, 200, "{path}: {}", first.text());
        let tag = first.header("etag").expect("an ETag").to_owned();
        assert!(tag.starts_with("W/\""), "{tag}");
        assert_eq!(first.header("cache-control"), Some("public, no-cache"));
        // The same bytes again, under the same tag.
        let again = app.get(path).await;
        assert_eq!(
            (again.header("etag"), &again.body),
            (Some(tag.as_str()), &first.body)
        );
        tags.push(tag);
    }
    // Parameter order and spelling do not split the cache or the tag.
    let reordered = app
        .get("/api/v1/movies/?order=desc&sort_by=imdb&year_from=2000&genre_ids=1")
        .await;
    assert_eq!(reordered.header("etag"), Some(tags[1].as_str()));

    // A stale tag gets the answer; the current one (also among others, or weak) gets 304.
    let stale = app
        .send(
            app.client
                .get(app.url(&detail))
                .header("if-none-match", "W/\"0000\""),
        )
        .await;
    assert_eq!(stale.status, 200);
    let list = format!("W/\"0000\", {}", tags[0]);
    let current = app
        .send(
            app.client
                .get(app.url(&detail))
                .header("if-none-match", list),
        )
        .await;
    assert_eq!(current.status, 304);
    assert!(current.body.is_empty());
    assert_eq!(current.header("etag"), Some(tags[0].as_str()));

    // A write changes the tag.
    write(
        &app,
        Method::PATCH,
        &detail,
        &catalog.moderator,
        json!({"votes": 7}),
    )
    .await;
    let changed = app
        .send(
            app.client
                .get(app.url(&detail))
                .header("if-none-match", tags[0].as_str()),
        )
        .await;
    assert_eq!(changed.status, 200);
    assert_ne!(changed.header("etag"), Some(tags[0].as_str()));
    let tag = changed.header("etag").unwrap().to_owned();

    // The cache answers 304 (and 200) for what it holds without asking the database: with
    // the catalog's tables locked (PostgreSQL) or gone (SQLite), a query would hang or fail.
    let lock = if app.database().is_postgres() {
        let txn = cinema_kernel::db::begin_write(app.db()).await.unwrap();
        txn.execute_unprepared(
            "LOCK TABLE movies, movie_genres, movie_stars, movie_directors IN ACCESS EXCLUSIVE MODE",
        )
        .await
        .unwrap();
        Some(txn)
    } else {
        app.db()
            .execute_unprepared("DROP TABLE movie_stars")
            .await
            .expect("a table dropped");
        None
    };
    let timely = |request: reqwest::RequestBuilder| request.timeout(Duration::from_secs(3));
    let held = app
        .send(timely(
            app.client
                .get(app.url(&detail))
                .header("if-none-match", tag.as_str()),
        ))
        .await;
    assert_eq!(held.status, 304);
    assert_eq!(
        app.send(timely(app.client.get(app.url(&detail))))
            .await
            .status,
        200
    );
    if let Some(txn) = lock {
        txn.rollback().await.unwrap();
    }
}

#[tokio::test]
async fn personal_parts_are_never_shared() {
    let app = TestApp::spawn().await;
    let catalog = app.catalog().await;
    let detail = format!("/api/v1/movies/{}", catalog.movies["Lady Bird"]);
    let (_, fan) = app.user_with_role(Role::User).await;
    let (_, other) = app.user_with_role(Role::User).await;
    write(
        &app,
        Method::POST,
        &format!("{detail}/like"),
        &fan.access_token,
        json!({}),
    )
    .await;
    write(
        &app,
        Method::PUT,
        &format!("{detail}/rating"),
        &fan.access_token,
        json!({"score": 9}),
    )
    .await;
    for _ in 0..2 {
        let mine = ok(app.get_as(&fan.access_token, &detail).await).await;
        assert_eq!(
            (mine["my_reaction"].as_str(), mine["my_rating"].as_i64()),
            (Some("like"), Some(9))
        );
        assert_eq!(mine["like_count"], 1);
        let theirs = ok(app.get_as(&other.access_token, &detail).await).await;
        assert_eq!(
            (
                theirs["my_reaction"].is_null(),
                theirs["my_rating"].is_null()
            ),
            (true, true)
        );
        let anonymous = app.get(&detail).await;
        let body: Value = anonymous.json();
        assert_eq!(
            (body["my_reaction"].is_null(), body["like_count"].as_i64()),
            (true, Some(1))
        );
        assert!(anonymous.header("etag").is_some());
        let personal = app.get_as(&fan.access_token, &detail).await;
        assert_eq!(personal.header("cache-control"), Some("private, no-store"));
    }
}

#[tokio::test]
async fn cache_off_answers_alike_with_validators() {
    let app = TestApp::spawn_with(&[("CATALOG_CACHE", "off")]).await;
    let catalog = app.catalog().await;
    let detail = format!("/api/v1/movies/{}", catalog.movies["Inception"]);
    let first = app.get(&detail).await;
    let tag = first.header("etag").expect("an ETag").to_owned();
    let again = app
        .send(
            app.client
                .get(app.url(&detail))
                .header("if-none-match", tag.as_str()),
        )
        .await;
    assert_eq!(again.status, 304);
    write(
        &app,
        Method::PATCH,
        &detail,
        &catalog.moderator,
        json!({"votes": 8}),
    )
    .await;
    assert_eq!(read(&app, &detail).await["votes"], 8);
}

#[tokio::test]
async fn another_instance_sees_writes_within_the_bound() {
    let a = TestApp::spawn().await;
    if !a.database().is_postgres() {
        eprintln!("several instances share PostgreSQL only; SQLite serves one process");
        return;
    }
    let b = a.spawn_sibling(&[]).await;
    let catalog = a.catalog().await;
    let (_, user) = a.user_with_role(Role::User).await;
    let detail = format!("/api/v1/movies/{}", catalog.movies["Inception"]);
    let list = "/api/v1/movies/?sort_by=rating&order=desc&limit=1";
    let search = "/api/v1/movies/search/query?q=inceptoin%20ii";
    let suggest = "/api/v1/movies/suggest?q=incep";
    for _ in 0..2 {
        read(&b, &detail).await;
        read(&b, list).await;
        read(&b, search).await;
        read(&b, suggest).await;
    }

    write(
        &a,
        Method::PATCH,
        &detail,
        &catalog.moderator,
        json!({"name": "Inception II"}),
    )
    .await;
    let took = fresh_within(&b, &detail, |d| d["name"] == "Inception II").await;
    eprintln!("a catalog write reached the other instance in {took:?}");
    // Its search index too: the new title is searchable there within the bound.
    fresh_within(&b, search, |p| p["items"][0]["name"] == "Inception II").await;
    fresh_within(&b, suggest, |p| {
        p["suggestions"][0]["name"] == "Inception II"
    })
    .await;

    read(&b, &detail).await;
    write(
        &a,
        Method::POST,
        &format!("{detail}/like"),
        &user.access_token,
        json!({}),
    )
    .await;
    fresh_within(&b, &detail, |d| d["like_count"] == 1).await;

    read(&b, list).await;
    write(
        &a,
        Method::PUT,
        &format!("{detail}/rating"),
        &user.access_token,
        json!({"score": 10}),
    )
    .await;
    fresh_within(&b, list, |p| p["items"][0]["name"] == "Inception II").await;

    // And the other way round.
    read(&a, &detail).await;
    write(
        &b,
        Method::PATCH,
        &detail,
        &catalog.moderator,
        json!({"votes": 11}),
    )
    .await;
    fresh_within(&a, &detail, |d| d["votes"] == 11).await;
}

/// Waits until both instances' listening connections are up.
async fn both_listening(app: &TestApp) {
    app.wait_listening(cinema_catalog::cache::watch::LISTENER_NAME, 2)
        .await;
}

#[tokio::test]
async fn a_killed_listener_loses_no_write() {
    let a = TestApp::spawn().await;
    if !a.database().is_postgres() {
        eprintln!("several instances share PostgreSQL only; SQLite serves one process");
        return;
    }
    let b = a.spawn_sibling(&[]).await;
    let catalog = a.catalog().await;
    let detail = format!("/api/v1/movies/{}", catalog.movies["Interstellar"]);
    both_listening(&a).await;
    for round in 0..3 {
        read(&b, &detail).await;
        read(&b, &detail).await;
        a.db()
            .execute_unprepared(&format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE datname = current_database() AND application_name = '{}'",
                cinema_catalog::cache::watch::LISTENER_NAME
            ))
            .await
            .unwrap();
        let votes = 100 + round;
        write(
            &a,
            Method::PATCH,
            &detail,
            &catalog.moderator,
            json!({"votes": votes}),
        )
        .await;
        fresh_within(&b, &detail, |d| d["votes"] == votes).await;
    }
    // The listeners came back, and still carry writes.
    both_listening(&a).await;
    read(&b, &detail).await;
    write(
        &a,
        Method::PATCH,
        &detail,
        &catalog.moderator,
        json!({"votes": 7}),
    )
    .await;
    fresh_within(&b, &detail, |d| d["votes"] == 7).await;
}

/// Answers from the cache's paths (in-memory orders, genre links) are the database's answers:
/// two instances on one database, the cache on in one and off in the other, answer every sort,
/// direction, page and genre/year filter alike, byte for byte.
#[tokio::test]
async fn cached_paths_answer_as_the_database_does() {
    let on = TestApp::spawn().await;
    let catalog = on.catalog().await;
    let off = on.spawn_sibling(&[("CATALOG_CACHE", "off")]).await;
    let (_, user) = on.user_with_role(Role::User).await;
    let rated = format!("/api/v1/movies/{}/rating", catalog.movies["Lady Bird"]);
    write(
        &on,
        Method::PUT,
        &rated,
        &user.access_token,
        json!({"score": 6}),
    )
    .await;
    let (drama, comedy) = (catalog.genres["Drama"], catalog.genres["Comedy"]);
    let mut paths = Vec::new();
    for sort in [
        "id",
        "name",
        "year",
        "time",
        "imdb",
        "votes",
        "meta_score",
        "gross",
        "price",
        "rating",
    ] {
        for order in ["asc", "desc"] {
            for (skip, limit) in [(0, 2), (1, 3), (4, 10), (9, 5)] {
                let page = format!("sort_by={sort}&order={order}&skip={skip}&limit={limit}");
                paths.push(format!("/api/v1/movies/?{page}"));
                paths.push(format!("/api/v1/movies/?genre_ids={drama}&{page}"));
                paths.push(format!(
                    "/api/v1/movies/?genre_ids={drama},{comedy}&year_from=2011&year_to=2019&{page}"
                ));
            }
        }
    }
    paths.push(format!(
        "/api/v1/movies/?genre_ids={comedy}&year_from=1900&year_to=1901"
    ));
    paths.push("/api/v1/movies/?skip=0&limit=20".to_owned());
    // Searches (a phrase, a single word, one field, sorted) and filters the database answers.
    for query in [
        "q=haunted%20lighthouse",
        "q=dream%20shar",
        "q=greta%20gerwig",
        "q=greta%20gerwig&skip=1&limit=1",
        "q=christopher%20nol&search_in=directors&search_in=description",
        "q=a%20thief%20who%20steals",
        "q=dream%20sharing%20technology",
        "q=nothing%20here%20matches",
        "q=in",
        "q=the&search_in=description&sort_by=price&order=desc",
        "q=a&skip=1&limit=2",
    ] {
        paths.push(format!("/api/v1/movies/search/query?{query}"));
    }
    paths.push("/api/v1/movies/?price_min=1&imdb_min=7.5&sort_by=votes".to_owned());
    paths.push(format!(
        "/api/v1/movies/?certification_ids={}",
        catalog.certifications["R"]
    ));
    for path in &paths {
        let (cached, direct) = (on.get(path).await, off.get(path).await);
        assert_eq!(cached.status, 200, "{path}: {}", cached.text());
        assert_eq!(cached.text(), direct.text(), "{path}");
        assert_eq!(cached.header("etag"), direct.header("etag"), "{path}");
    }
}
