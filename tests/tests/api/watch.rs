//! Watching: moderators attach videos and trailers, owners play them through links that serve
//! byte ranges the way players ask, a refund revokes, and the library remembers where each
//! owner left off. Each scenario on both stores where the store matters.

use cinema_tests::{Storage, TestApp, TestResponse, multipart, png};
use reqwest::{Method, header};
use serde_json::{Value, json};

/// Five seconds of H.264 (`-movflags +faststart`) and of VP9, made once with ffmpeg.
const MP4: &[u8] = include_bytes!("../../fixtures/clip.mp4");
const WEBM: &[u8] = include_bytes!("../../fixtures/clip.webm");

on_both_stores!(
    a_bought_movie_plays_by_ranges_and_a_refund_revokes_it,
    a_trailer_plays_for_anyone,
    replaced_and_removed_videos_leave_no_object_behind,
    a_direct_upload_is_checked_before_the_movie_points_at_it,
    an_abandoned_direct_upload_is_swept,
);

async fn upload(
    app: &TestApp,
    token: &str,
    movie: i64,
    slot: &str,
    content: &[u8],
) -> TestResponse {
    let body = multipart("file", "clip.bin", "application/octet-stream", content);
    app.upload(
        Method::PUT,
        &format!("/api/v1/movies/{movie}/{slot}"),
        Some(token),
        body,
    )
    .await
}

async fn play(app: &TestApp, token: &str, movie: i64) -> TestResponse {
    app.get_as(token, &format!("/api/v1/library/{movie}/play"))
        .await
}

/// A plain GET of a link, with extra headers, as a player sends it.
async fn fetch(url: &str, headers: &[(header::HeaderName, &str)]) -> reqwest::Response {
    let mut request = reqwest::Client::new().get(url);
    for (name, value) in headers {
        request = request.header(name.clone(), *value);
    }
    request.send().await.expect("the link is reachable")
}

fn text(res: &reqwest::Response, name: header::HeaderName) -> String {
    res.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

async fn a_bought_movie_plays_by_ranges_and_a_refund_revokes_it(storage: Storage) {
    let app = TestApp::spawn_with_storage(storage).await;
    let catalog = app.catalog().await;
    let movie = catalog.movies["Inception"];
    let res = upload(&app, &catalog.moderator, movie, "video", MP4).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let stored: Value = res.json();
    assert_eq!(stored["content_type"], "video/mp4");
    assert_eq!(stored["size"], MP4.len());

    let buyer = app.sign_up("viewer@example.com").await.access_token;
    // Not bought yet: refused, saying why.
    let problem = play(&app, &buyer, movie).await.problem(403);
    assert!(problem.detail.contains("buy"), "{}", problem.detail);
    app.fill_cart(&buyer, &[movie]).await;
    let order = app.order_ok(&buyer).await["id"].as_i64().unwrap();
    assert_eq!(app.press(&buyer, order, "pay").await.status, 200);

    let res = play(&app, &buyer, movie).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let link: Value = res.json();
    assert_eq!(link["content_type"], "video/mp4");
    assert_eq!(link["size"], MP4.len());
    let url = link["url"].as_str().unwrap().to_owned();
    let len = MP4.len();

    let whole = fetch(&url, &[]).await;
    assert_eq!(whole.status(), 200);
    assert_eq!(text(&whole, header::CONTENT_TYPE), "video/mp4");
    let etag = text(&whole, header::ETAG);
    assert_eq!(whole.bytes().await.unwrap(), MP4);
    // A player's ranges: the first bytes, from an offset to the end, and the last bytes.
    for (range, from, to) in [
        ("bytes=0-99", 0, 99),
        ("bytes=1000-", 1000, len - 1),
        ("bytes=-500", len - 500, len - 1),
    ] {
        let res = fetch(&url, &[(header::RANGE, range)]).await;
        assert_eq!(res.status(), 206, "{range}");
        assert_eq!(
            text(&res, header::CONTENT_RANGE),
            format!("bytes {from}-{to}/{len}"),
            "{range}"
        );
        assert_eq!(res.bytes().await.unwrap(), &MP4[from..=to], "{range}");
    }
    // A seek past the end.
    let past = format!("bytes={}-", len + 10);
    let res = fetch(&url, &[(header::RANGE, &past)]).await;
    assert_eq!(res.status(), 416);

    if storage == Storage::LocalDisk {
        assert_eq!(
            text(&fetch(&url, &[]).await, header::ACCEPT_RANGES),
            "bytes"
        );
        assert!(
            text(
                &fetch(&url, &[(header::RANGE, &past)]).await,
                header::CONTENT_RANGE
            )
            .ends_with(&format!("/{len}"))
        );
        // If-Range: the range for the current version, the whole file for another.
        let res = fetch(
            &url,
            &[(header::RANGE, "bytes=0-9"), (header::IF_RANGE, &etag)],
        )
        .await;
        assert_eq!(res.status(), 206);
        let res = fetch(
            &url,
            &[
                (header::RANGE, "bytes=0-9"),
                (header::IF_RANGE, "\"stale\""),
            ],
        )
        .await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.bytes().await.unwrap().len(), len);
        // HEAD: the size, no body.
        let res = reqwest::Client::new().head(&url).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(text(&res, header::CONTENT_LENGTH), len.to_string());
    }

    // The page that plays it in a browser: the video element on a fresh playback link, and a
    // policy that loads nothing else.
    let page_url = link["watch_url"].as_str().unwrap().to_owned();
    let page = app.send(app.client.get(&page_url)).await;
    assert_eq!(page.status, 200, "{}", page.text());
    let policy = page.header("content-security-policy").unwrap().to_owned();
    assert!(
        policy.starts_with("default-src 'none'; media-src "),
        "{policy}"
    );
    let html = page.text();
    assert!(
        html.contains("<video") && html.contains("Inception"),
        "{html}"
    );
    let src = html
        .split("src=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .replace("&amp;", "&");
    let res = fetch(&src, &[(header::RANGE, "bytes=0-3")]).await;
    assert_eq!(res.status(), 206);
    let forged = page_url.replace("viewer=", "viewer=9");
    assert_eq!(app.send(app.client.get(&forged)).await.status, 403);

    // Someone else may not play it; staff may.
    let other = app.buyer().await;
    play(&app, &other, movie).await.problem(403);
    assert_eq!(play(&app, &catalog.moderator, movie).await.status, 200);

    // A refund: no new link, and on local disk the link already issued stops playing.
    let mine: Value = app.get_as(&buyer, "/api/v1/payments").await.json();
    let payment = mine["items"][0]["id"].as_i64().unwrap();
    let res = app
        .json(
            Method::POST,
            &format!("/api/v1/payments/{payment}/refund"),
            Some(&buyer),
            json!({}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    play(&app, &buyer, movie).await.problem(403);
    assert_eq!(app.send(app.client.get(&page_url)).await.status, 403);
    if storage == Storage::LocalDisk {
        assert_eq!(fetch(&url, &[]).await.status(), 403);
    }
}

async fn a_trailer_plays_for_anyone(storage: Storage) {
    let app = TestApp::spawn_with_storage(storage).await;
    let catalog = app.catalog().await;
    let movie = catalog.movies["Interstellar"];
    app.get(&format!("/api/v1/movies/{movie}/trailer"))
        .await
        .problem(404);
    let res = upload(&app, &catalog.moderator, movie, "trailer", WEBM).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json::<Value>()["content_type"], "video/webm");
    // Anonymous: no purchase, no account.
    let link: Value = app
        .get(&format!("/api/v1/movies/{movie}/trailer"))
        .await
        .json();
    let res = fetch(
        link["url"].as_str().unwrap(),
        &[(header::RANGE, "bytes=0-3")],
    )
    .await;
    assert_eq!(res.status(), 206);
    assert_eq!(res.bytes().await.unwrap(), &WEBM[..4]);
    // The trailer is not the movie: playing it still needs a purchase, and it has no video.
    let buyer = app.buyer().await;
    play(&app, &buyer, movie).await.problem(403);
    app.fill_cart(&buyer, &[movie]).await;
    let order = app.order_ok(&buyer).await["id"].as_i64().unwrap();
    assert_eq!(app.press(&buyer, order, "pay").await.status, 200);
    let problem = play(&app, &buyer, movie).await.problem(404);
    assert!(problem.detail.contains("no video"), "{}", problem.detail);
}

async fn replaced_and_removed_videos_leave_no_object_behind(storage: Storage) {
    let app = TestApp::spawn_with_storage(storage).await;
    let catalog = app.catalog().await;
    let movie = catalog.movies["Lady Bird"];
    let token = &catalog.moderator;
    assert_eq!(upload(&app, token, movie, "video", MP4).await.status, 200);
    assert_eq!(upload(&app, token, movie, "video", WEBM).await.status, 200);
    assert_eq!(app.stored_keys("videos").len(), 1);
    assert!(app.stored_keys("videos")[0].ends_with(".webm"));
    let path = format!("/api/v1/movies/{movie}/video");
    assert_eq!(app.delete_as(token, &path).await.status, 204);
    app.delete_as(token, &path).await.problem(404);
    assert!(app.stored_keys("videos").is_empty());
    // Deleting the movie deletes its video and trailer.
    assert_eq!(upload(&app, token, movie, "video", MP4).await.status, 200);
    assert_eq!(
        upload(&app, token, movie, "trailer", WEBM).await.status,
        200
    );
    let res = app
        .delete_as(token, &format!("/api/v1/movies/{movie}"))
        .await;
    assert_eq!(res.status, 204, "{}", res.text());
    assert!(app.stored_keys("videos").is_empty());
    assert!(app.stored_keys("trailers").is_empty());
}

#[tokio::test]
async fn spoofed_and_oversized_videos_are_refused_and_nothing_is_stored() {
    let app = TestApp::spawn_with(&[("VIDEO_MAX_BYTES", "4096")]).await;
    let catalog = app.catalog().await;
    let movie = catalog.movies["Inception"];
    let token = &catalog.moderator;
    // An image declared as a video: the bytes decide.
    let body = multipart("file", "movie.mp4", "video/mp4", &png(2000));
    let res = app
        .upload(
            Method::PUT,
            &format!("/api/v1/movies/{movie}/video"),
            Some(token),
            body,
        )
        .await;
    assert!(res.problem(400).detail.contains("MP4"));
    // Over the limit: refused.
    let mut big = MP4[..12].to_vec();
    big.resize(5000, 0);
    let problem = upload(&app, token, movie, "video", &big).await.problem(413);
    assert!(problem.detail.contains("4096 bytes"), "{}", problem.detail);
    // A user may not upload at all.
    let user = app.buyer().await;
    upload(&app, &user, movie, "video", &MP4[..1000])
        .await
        .problem(403);
    assert!(app.stored_keys("videos").is_empty());
    app.get_as(token, &format!("/api/v1/library/{movie}/play"))
        .await
        .problem(404);
}

#[tokio::test]
async fn an_upload_over_the_limit_is_refused_without_reading_it_whole() {
    let app = TestApp::spawn_with(&[("VIDEO_MAX_BYTES", "1048576")]).await;
    let catalog = app.catalog().await;
    let movie = catalog.movies["Inception"];
    // 64 MiB declared, 1 MiB limit: answered before the body is read.
    let url = app.url(&format!("/api/v1/movies/{movie}/video"));
    let body = reqwest::Body::wrap_stream(futures_util::stream::iter(
        (0..1024).map(|_| Ok::<_, std::io::Error>(vec![0u8; 64 * 1024])),
    ));
    let res = reqwest::Client::new()
        .put(url)
        .bearer_auth(&catalog.moderator)
        .header("content-type", cinema_tests::multipart_content_type())
        .header("content-length", (64 * 1024 * 1024).to_string())
        .body(body)
        .send()
        .await;
    // Either the 413 arrives, or the connection is closed on the unread rest: never a 2xx.
    if let Ok(res) = res {
        assert_eq!(res.status(), 413);
    }
    assert!(app.stored_keys("videos").is_empty());
}

#[tokio::test]
async fn progress_round_trips_and_orders_the_library_by_what_was_watched_last() {
    let app = TestApp::spawn().await;
    let catalog = app.catalog().await;
    let (first, second) = (catalog.movies["Inception"], catalog.movies["Little Women"]);
    assert_eq!(
        upload(&app, &catalog.moderator, first, "video", MP4)
            .await
            .status,
        200
    );
    let buyer = app.buyer().await;
    for movie in [first, second] {
        app.fill_cart(&buyer, &[movie]).await;
        let order = app.order_ok(&buyer).await["id"].as_i64().unwrap();
        assert_eq!(app.press(&buyer, order, "pay").await.status, 200);
    }
    async fn progress(app: &TestApp, token: &str, movie: i64, body: Value) -> TestResponse {
        let path = format!("/api/v1/library/{movie}/progress");
        app.json(Method::PUT, &path, Some(token), body).await
    }
    let res = progress(&app, &buyer, first, json!({"position_secs": 1834})).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json::<Value>()["position_secs"], 1834);
    // Someone who does not own it, and nonsense.
    let other = app.buyer().await;
    progress(&app, &other, first, json!({"position_secs": 5}))
        .await
        .problem(403);
    progress(&app, &buyer, first, json!({"position_secs": -1}))
        .await
        .problem(422);
    progress(&app, &buyer, 999_999, json!({"position_secs": 1}))
        .await
        .problem(404);

    // Acquired order: the second bought first; recently watched: the one played first.
    let acquired: Value = app.get_as(&buyer, "/api/v1/library").await.json();
    assert_eq!(acquired["items"][0]["id"], second);
    let recent: Value = app
        .get_as(&buyer, "/api/v1/library?sort=recently_watched")
        .await
        .json();
    let item = &recent["items"][0];
    assert_eq!(item["id"], first, "{recent}");
    assert_eq!(item["position_secs"], 1834);
    assert_eq!(item["has_video"], true);
    assert_eq!(item["duration_secs"], 148 * 60);
    assert!(item["last_watched_at"].is_string());
    let never = &recent["items"][1];
    assert_eq!(never["id"], second);
    assert_eq!(never["has_video"], false);
    assert!(never["position_secs"].is_null());
    app.get_as(&buyer, "/api/v1/library?sort=name")
        .await
        .problem(422);
}

/// Asks for a direct-upload link of `declared` type.
async fn upload_url(
    app: &TestApp,
    token: &str,
    movie: i64,
    slot: &str,
    declared: &str,
) -> TestResponse {
    let path = format!("/api/v1/movies/{movie}/{slot}/upload-url");
    app.json(
        Method::POST,
        &path,
        Some(token),
        json!({"content_type": declared}),
    )
    .await
}

/// Asks for a direct-upload link and PUTs `content` to it; returns the reserved key.
async fn direct_upload(
    app: &TestApp,
    token: &str,
    movie: i64,
    slot: &str,
    declared: &str,
    content: &[u8],
) -> String {
    let (key, status) = put_direct(app, token, movie, slot, declared, content).await;
    assert!(status.is_success(), "{status}");
    key
}

/// [`direct_upload`], whatever the PUT's answer.
async fn put_direct(
    app: &TestApp,
    token: &str,
    movie: i64,
    slot: &str,
    declared: &str,
    content: &[u8],
) -> (String, reqwest::StatusCode) {
    let res = upload_url(app, token, movie, slot, declared).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let link: Value = res.json();
    assert_eq!(link["method"], "PUT");
    let put = reqwest::Client::new()
        .put(link["upload_url"].as_str().unwrap())
        .body(content.to_vec())
        .send()
        .await
        .unwrap();
    (link["key"].as_str().unwrap().to_owned(), put.status())
}

async fn complete(app: &TestApp, token: &str, movie: i64, slot: &str, key: &str) -> TestResponse {
    app.json(
        Method::POST,
        &format!("/api/v1/movies/{movie}/{slot}/complete"),
        Some(token),
        json!({"key": key}),
    )
    .await
}

async fn a_direct_upload_is_checked_before_the_movie_points_at_it(storage: Storage) {
    let app = TestApp::spawn_with_storage(storage).await;
    let catalog = app.catalog().await;
    let movie = catalog.movies["Inception"];
    let token = &catalog.moderator;
    // Nothing uploaded yet under the key: 404.
    let res = upload_url(&app, token, movie, "video", "video/mp4").await;
    let early = res.json::<Value>()["key"].as_str().unwrap().to_owned();
    complete(&app, token, movie, "video", &early)
        .await
        .problem(404);
    // An image announced as an MP4: refused as it arrives (our signed route reads the bytes)
    // or at completion (S3 takes anything), and deleted.
    let (spoofed, put) = put_direct(&app, token, movie, "video", "video/mp4", &png(3000)).await;
    if put.is_success() {
        let problem = complete(&app, token, movie, "video", &spoofed)
            .await
            .problem(400);
        assert!(problem.detail.contains("MP4"), "{}", problem.detail);
    } else {
        assert_eq!(put, 400);
        complete(&app, token, movie, "video", &spoofed)
            .await
            .problem(404);
    }
    assert!(!app.stored_keys("videos").contains(&spoofed));
    // A key of another kind, or made up.
    complete(&app, token, movie, "trailer", &spoofed)
        .await
        .problem(404);
    complete(&app, token, movie, "video", "videos/../x.mp4")
        .await
        .problem(404);
    // The real thing: attached, and played through the same links as a streamed upload.
    let key = direct_upload(&app, token, movie, "video", "video/mp4", MP4).await;
    let res = complete(&app, token, movie, "video", &key).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json::<Value>()["size"], MP4.len());
    // A retried completion answers the same.
    assert_eq!(
        complete(&app, token, movie, "video", &key).await.status,
        200
    );
    let link: Value = play(&app, token, movie).await.json();
    let res = fetch(
        link["url"].as_str().unwrap(),
        &[(header::RANGE, "bytes=0-7")],
    )
    .await;
    assert_eq!(res.status(), 206);
    assert_eq!(res.bytes().await.unwrap(), &MP4[..8]);
    assert_eq!(app.stored_keys("videos"), vec![key]);
}

async fn an_abandoned_direct_upload_is_swept(storage: Storage) {
    let app = TestApp::spawn_with_storage_and(storage, &[("MEDIA_SWEEP_INTERVAL_SECS", "1")]).await;
    let catalog = app.catalog().await;
    let movie = catalog.movies["Inception"];
    let key = direct_upload(
        &app,
        &catalog.moderator,
        movie,
        "trailer",
        "video/webm",
        WEBM,
    )
    .await;
    assert_eq!(app.stored_keys("trailers"), vec![key.clone()]);
    // Never completed: once its grace has passed, the sweep deletes it.
    app.clock.advance(std::time::Duration::from_secs(2 * 3600));
    let deadline = tokio::time::Instant::now() + cinema_tests::WAIT;
    while !app.stored_keys("trailers").is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the abandoned upload is still there"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // Completing it now is refused: it is gone.
    let (_, moderator) = app.user_with_role(cinema_identity::Role::Moderator).await;
    complete(&app, &moderator.access_token, movie, "trailer", &key)
        .await
        .problem(404);
}

#[tokio::test]
async fn a_signed_upload_link_takes_no_other_key_and_no_more_than_the_limit() {
    let app = TestApp::spawn_with(&[("VIDEO_MAX_BYTES", "4096")]).await;
    let catalog = app.catalog().await;
    let movie = catalog.movies["Inception"];
    let res = upload_url(&app, &catalog.moderator, movie, "video", "video/webm").await;
    let url = res.json::<Value>()["upload_url"]
        .as_str()
        .unwrap()
        .to_owned();
    let client = reqwest::Client::new();
    let moved = url.replacen("/videos/", "/trailers/", 1);
    assert_eq!(
        client
            .put(&moved)
            .body(WEBM[..100].to_vec())
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    let big = client
        .put(&url)
        .body(vec![0x1a; 5000])
        .send()
        .await
        .unwrap();
    assert_eq!(big.status(), 413);
    let wrong = client.put(&url).body(png(500)).send().await.unwrap();
    assert_eq!(wrong.status(), 400);
    assert!(app.stored_keys("videos").is_empty());
    upload_url(&app, &catalog.moderator, movie, "video", "video/avi")
        .await
        .problem(422);
}
