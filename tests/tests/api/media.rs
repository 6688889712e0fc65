//! Avatars and posters, each scenario on both stores: a real S3 server on loopback (s3s-fs,
//! which checks signatures like S3) and the local disk behind the API's own signed links.
//! Links are fetched with a plain HTTP client, as a browser would.

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use cinema_identity::Role;
use cinema_tests::{
    Storage, TestApp, body_tail, jpeg, multipart, multipart_content_type, part_head, png, webp,
};
use reqwest::Method;
use serde_json::{Value, json};

const MIB: usize = 1024 * 1024;

on_both_stores!(
    an_avatar_is_uploaded_read_back_replaced_and_deleted,
    spoofed_empty_and_malformed_uploads_are_refused_and_nothing_is_stored,
    an_oversized_upload_is_refused_after_just_over_the_limit,
    altered_links_are_refused,
    posters_are_uploaded_listed_replaced_and_deleted_with_their_movie,
    concurrent_avatar_uploads_leave_exactly_one_object,
);

fn key_of(body: &Value, field: &str) -> String {
    body[field].as_str().expect("a key").to_owned()
}

async fn an_avatar_is_uploaded_read_back_replaced_and_deleted(storage: Storage) {
    let app = TestApp::spawn_with_storage(storage).await;
    let t = app.sign_up("ava@example.com").await;
    let token = t.access_token.as_str();

    // Declared as `me.png`/`image/png`, but the type comes from the bytes: a JPEG.
    let first = jpeg(3000);
    let res = app.upload_avatar(token, &first).await;
    assert_eq!(res.status, 201, "{}", res.text());
    let body: Value = res.json();
    let old_key = key_of(&body, "avatar");
    assert!(
        old_key.starts_with("avatars/") && old_key.ends_with(".jpg"),
        "{old_key}"
    );
    assert_eq!(body["message"], "Avatar uploaded.");
    let old_url = key_of(&body, "avatar_url");
    let (status, content_type, bytes) = app.fetch(&old_url).await;
    assert_eq!(status, 200);
    assert_eq!(content_type.as_deref(), Some("image/jpeg"));
    assert_eq!(bytes, first);

    let profile = app.profile(token).await;
    assert_eq!(profile["avatar"], old_key.as_str());
    let (status, _, bytes) = app.fetch(profile["avatar_url"].as_str().unwrap()).await;
    assert_eq!((status, bytes), (200, first));

    // Replacing stores the new one and removes the old object.
    let second = webp(5000);
    let body: Value = app.upload_avatar(token, &second).await.json();
    let new_key = key_of(&body, "avatar");
    assert!(new_key.ends_with(".webp"), "{new_key}");
    assert_eq!(app.stored_keys("avatars"), vec![new_key.clone()]);
    assert_eq!(app.fetch(&old_url).await.0, 404);
    let (status, content_type, bytes) = app.fetch(&key_of(&body, "avatar_url")).await;
    assert_eq!((status, content_type.as_deref()), (200, Some("image/webp")));
    assert_eq!(bytes, second);

    let res = app.delete_as(token, "/api/v1/profile/avatar").await;
    assert_eq!(res.status, 204, "{}", res.text());
    assert!(app.stored_keys("avatars").is_empty());
    let profile = app.profile(token).await;
    assert!(profile["avatar"].is_null() && profile["avatar_url"].is_null());
    let res = app.delete_as(token, "/api/v1/profile/avatar").await;
    assert_eq!(res.problem(404).detail, "No avatar to delete.");
}

async fn spoofed_empty_and_malformed_uploads_are_refused_and_nothing_is_stored(storage: Storage) {
    let app = TestApp::spawn_with_storage(storage).await;
    let t = app.sign_up("eve@example.com").await;
    let token = Some(t.access_token.as_str());
    let post = |body: Vec<u8>| {
        let app = &app;
        async move {
            app.upload(Method::POST, "/api/v1/profile/avatar", token, body)
                .await
        }
    };

    // An HTML page sent as a PNG.
    let html = b"<!doctype html><html><script>alert(1)</script></html>".to_vec();
    let problem = post(multipart("file", "cat.png", "image/png", &html))
        .await
        .problem(400);
    for allowed in ["image/jpeg", "image/png", "image/webp"] {
        assert!(problem.detail.contains(allowed), "{}", problem.detail);
    }
    // A GIF is an image, but not one we take.
    let gif = b"GIF89a\x01\x00\x01\x00\x80\x00\x00".to_vec();
    post(multipart("file", "a.gif", "image/gif", &gif))
        .await
        .problem(400);
    // Too short to be anything.
    post(multipart("file", "a.png", "image/png", b"\x89PN"))
        .await
        .problem(400);
    let problem = post(multipart("file", "a.png", "image/png", b""))
        .await
        .problem(400);
    assert!(problem.detail.contains("empty"), "{}", problem.detail);
    // The image in the wrong field.
    let problem = post(multipart("avatar", "a.png", "image/png", &png(100)))
        .await
        .problem(400);
    assert!(problem.detail.contains("`file`"), "{}", problem.detail);
    // Not multipart at all.
    let res = app
        .json(
            Method::POST,
            "/api/v1/profile/avatar",
            token,
            json!({"file": "x"}),
        )
        .await;
    assert!(res.problem(400).detail.contains("multipart/form-data"));
    // Not signed in.
    app.upload(
        Method::POST,
        "/api/v1/profile/avatar",
        None,
        multipart("file", "a.png", "image/png", &png(100)),
    )
    .await
    .problem(401);

    assert!(app.stored_keys("avatars").is_empty());
    assert!(app.profile(&t.access_token).await["avatar"].is_null());
}

async fn an_oversized_upload_is_refused_after_just_over_the_limit(storage: Storage) {
    let app = TestApp::spawn_with_storage(storage).await;
    let t = app.sign_up("big@example.com").await;
    let token = t.access_token.as_str();

    // Exactly the limit is fine; one byte more is not.
    let res = app.upload_avatar(token, &png(5 * MIB)).await;
    assert_eq!(res.status, 201, "{}", res.text());
    let problem = app
        .upload_avatar(token, &png(5 * MIB + 1))
        .await
        .problem(413);
    assert!(problem.detail.contains("5 MiB"), "{}", problem.detail);

    // A 1 GiB upload streamed without a declared length: the server stops reading just past
    // 5 MiB, answers 413 and closes the connection, so the client never gets to send much
    // more than that. Whether the client still reads the 413 or only sees the connection
    // reset depends on how far its own writing got (on a loaded machine hyper sometimes
    // fails the write first); any other answer is wrong.
    let upload = stream_upload(&app, token, 1024 * MIB).await;
    assert!(matches!(upload.status, Some(413) | None), "{upload:?}");
    assert!(
        upload.sent < 64 * MIB,
        "the client sent {} MiB",
        upload.sent / MIB
    );

    // A declared length over the limit is refused before the body is read.
    let mut body = multipart("file", "big.png", "image/png", &png(6 * MIB));
    body.extend(body_tail());
    app.upload(Method::POST, "/api/v1/profile/avatar", Some(token), body)
        .await
        .problem(413);

    // Only the first, valid avatar was stored.
    assert_eq!(app.stored_keys("avatars").len(), 1);
}

/// The same value with its first character changed to another of its kind, so it stays
/// well-formed (a hex signature stays hex, a number stays a number).
fn alter(value: &str) -> String {
    let mut chars: Vec<char> = value.chars().collect();
    chars[0] = match chars[0] {
        '9' => '8',
        c @ '0'..='8' => (c as u8 + 1) as char,
        'f' => 'e',
        'F' => 'E',
        'z' => 'y',
        'Z' => 'Y',
        c if c.is_ascii_alphabetic() => (c as u8 + 1) as char,
        _ => 'A',
    };
    chars.into_iter().collect()
}

#[derive(Debug)]
struct StreamedUpload {
    /// The response status, if the client saw one before the connection closed.
    status: Option<u16>,
    /// Bytes the client produced before the request ended, one way or the other.
    sent: usize,
}

/// Streams a `total`-byte PNG avatar with chunked encoding and waits until the client stops
/// sending, whether because the body ended or because the server closed the connection.
async fn stream_upload(app: &TestApp, token: &str, total: usize) -> StreamedUpload {
    const CHUNK: usize = 64 * 1024;
    /// Flips when the client drops the body stream: nothing more can be sent after that.
    struct DropFlag(Arc<AtomicUsize>);
    impl Drop for DropFlag {
        fn drop(&mut self) {
            self.0.store(1, Ordering::SeqCst);
        }
    }
    let sent = Arc::new(AtomicUsize::new(0));
    let dropped = Arc::new(AtomicUsize::new(0));
    let mut head = part_head("file", "huge.png", "image/png");
    head.extend(png(CHUNK));
    let state = (0_usize, DropFlag(dropped.clone()), sent.clone(), head);
    let stream =
        futures_util::stream::unfold(state, move |(offset, flag, sent, head)| async move {
            if offset >= total {
                return None;
            }
            let chunk = if offset == 0 {
                head.clone()
            } else {
                vec![0x42; CHUNK]
            };
            sent.fetch_add(chunk.len(), Ordering::SeqCst);
            Some((
                Ok::<_, std::io::Error>(chunk),
                (offset + CHUNK, flag, sent, head),
            ))
        });
    let response = app
        .client
        .post(app.url("/api/v1/profile/avatar"))
        .bearer_auth(token)
        .header("content-type", multipart_content_type())
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await;
    let status = response.ok().map(|r| r.status().as_u16());
    let deadline = tokio::time::Instant::now() + cinema_tests::WAIT;
    while dropped.load(Ordering::SeqCst) == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the upload is still being sent: {} MiB",
            sent.load(Ordering::SeqCst) / MIB
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    StreamedUpload {
        status,
        sent: sent.load(Ordering::SeqCst),
    }
}

async fn altered_links_are_refused(storage: Storage) {
    let app = TestApp::spawn_with_storage(storage).await;
    let t = app.sign_up("mal@example.com").await;
    let token = t.access_token.as_str();
    let body: Value = app.upload_avatar(token, &png(1000)).await.json();
    let url = url::Url::parse(body["avatar_url"].as_str().unwrap()).unwrap();
    assert_eq!(app.fetch(url.as_str()).await.0, 200);

    // Each query parameter changed in turn, then the path.
    let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    for i in 0..pairs.len() {
        let mut altered = url.clone();
        altered
            .query_pairs_mut()
            .clear()
            .extend_pairs(pairs.iter().enumerate().map(|(j, (k, v))| {
                if i == j {
                    (k.clone(), alter(v))
                } else {
                    (k.clone(), v.clone())
                }
            }));
        let status = app.fetch(altered.as_str()).await.0;
        let name = pairs[i].0.to_ascii_lowercase();
        if name.contains("signature") || name.contains("expires") {
            assert_eq!(status, 403, "{name}");
        } else {
            // S3 answers an unknown algorithm with 501: refused all the same.
            assert!(status >= 400, "{name} -> {status}");
        }
    }
    let other: Value = app
        .upload_avatar(&app.sign_up("bob@example.com").await.access_token, &png(10))
        .await
        .json();
    let other_key = key_of(&other, "avatar");
    let mut moved = url.clone();
    moved.set_path(&url.path().replace(&key_of(&body, "avatar"), &other_key));
    assert_ne!(moved, url);
    assert_eq!(app.fetch(moved.as_str()).await.0, 403);
    let mut stripped = url.clone();
    stripped.set_query(None);
    assert_eq!(app.fetch(stripped.as_str()).await.0, 403);
}

async fn posters_are_uploaded_listed_replaced_and_deleted_with_their_movie(storage: Storage) {
    let app = TestApp::spawn_with_storage(storage).await;
    let catalog = app.catalog().await;
    let moderator = catalog.moderator.as_str();
    let movie = catalog.movies["Inception"];
    let (_, user) = app.user_with_role(Role::User).await;

    app.upload_poster(&user.access_token, movie, &png(100))
        .await
        .problem(403);
    app.upload_poster(moderator, 999_999, &png(100))
        .await
        .problem(404);
    let poster = png(7 * MIB);
    let res = app.upload_poster(moderator, movie, &poster).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let body: Value = res.json();
    let first_key = key_of(&body, "poster");
    assert!(first_key.starts_with("posters/") && first_key.ends_with(".png"));

    let detail: Value = app.get(&format!("/api/v1/movies/{movie}")).await.json();
    let (status, content_type, bytes) = app.fetch(detail["poster_url"].as_str().unwrap()).await;
    assert_eq!((status, content_type.as_deref()), (200, Some("image/png")));
    assert_eq!(bytes, poster);
    let list: Value = app.get("/api/v1/movies?limit=100").await.json();
    let items = list["items"].as_array().unwrap();
    let with_poster: Vec<&Value> = items
        .iter()
        .filter(|m| !m["poster_url"].is_null())
        .collect();
    assert_eq!(with_poster.len(), 1);
    assert_eq!(with_poster[0]["id"], movie);
    assert!(items.iter().all(|m| m.get("poster_url").is_some()));

    // Posters may be larger than avatars, up to 10 MiB.
    let problem = app
        .upload_poster(moderator, movie, &png(10 * MIB + 1))
        .await
        .problem(413);
    assert!(problem.detail.contains("10 MiB"), "{}", problem.detail);
    let replaced: Value = app.upload_poster(moderator, movie, &jpeg(500)).await.json();
    let second_key = key_of(&replaced, "poster");
    assert_eq!(app.stored_keys("posters"), vec![second_key.clone()]);

    let path = format!("/api/v1/movies/{movie}/poster");
    app.delete_as(&user.access_token, &path).await.problem(403);
    let res = app.delete_as(moderator, &path).await;
    assert_eq!(res.status, 204, "{}", res.text());
    assert!(app.stored_keys("posters").is_empty());
    let detail: Value = app.get(&format!("/api/v1/movies/{movie}")).await.json();
    assert!(detail["poster_url"].is_null());
    let res = app.delete_as(moderator, &path).await;
    assert_eq!(res.problem(404).detail, "No poster to delete.");

    // Deleting the movie takes its poster along.
    app.upload_poster(moderator, movie, &webp(300)).await;
    assert_eq!(app.stored_keys("posters").len(), 1);
    let res = app
        .delete_as(moderator, &format!("/api/v1/movies/{movie}"))
        .await;
    assert_eq!(res.status, 204, "{}", res.text());
    assert!(app.stored_keys("posters").is_empty());
}

async fn concurrent_avatar_uploads_leave_exactly_one_object(storage: Storage) {
    let app = TestApp::spawn_with_storage(storage).await;
    let t = app.sign_up("race@example.com").await;
    let token = t.access_token.as_str();
    let app = &app;
    let uploads = (0..6).map(|i| async move { app.upload_avatar(token, &png(2000 + i)).await });
    for res in futures_util::future::join_all(uploads).await {
        assert_eq!(res.status, 201, "{}", res.text());
    }
    let profile = app.profile(token).await;
    assert_eq!(
        app.stored_keys("avatars"),
        vec![profile["avatar"].as_str().unwrap().to_owned()]
    );
}

#[tokio::test]
async fn when_s3_is_down_uploads_answer_503_and_removals_finish_once_it_is_back() {
    let mut app =
        TestApp::spawn_with_storage_and(Storage::S3, &[("MEDIA_SWEEP_INTERVAL_SECS", "1")]).await;
    let t = app.sign_up("down@example.com").await;
    let token = t.access_token.clone();
    let body: Value = app.upload_avatar(&token, &png(100)).await.json();
    let key = key_of(&body, "avatar");
    let catalog = app.catalog().await;
    let movie = catalog.movies["Inception"];

    app.stop_s3();
    let res = app.upload_avatar(&token, &jpeg(100)).await;
    assert_eq!(
        res.header("retry-after"),
        Some("2"),
        "a 503 says when to retry"
    );
    let problem = res.problem(503);
    assert!(!problem.detail.contains("127.0.0.1"), "{}", problem.detail);
    app.upload_poster(&catalog.moderator, movie, &png(100))
        .await
        .problem(503);
    let profile = app.profile(&token).await;
    assert_eq!(profile["avatar"], key.as_str());
    let detail: Value = app.get(&format!("/api/v1/movies/{movie}")).await.json();
    assert!(detail["poster_url"].is_null());

    // Removing needs only the database: it succeeds now, and the object goes when S3 is back.
    let res = app.delete_as(&token, "/api/v1/profile/avatar").await;
    assert_eq!(res.status, 204, "{}", res.text());
    assert!(app.profile(&token).await["avatar"].is_null());
    assert!(app.s3().has_object(cinema_tests::S3_BUCKET, &key));
    app.restart_s3().await;
    let deadline = tokio::time::Instant::now() + cinema_tests::WAIT;
    while app.s3().has_object(cinema_tests::S3_BUCKET, &key) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the removed avatar is still stored"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // And uploads work again.
    assert_eq!(app.upload_avatar(&token, &png(100)).await.status, 201);
}

#[tokio::test]
async fn local_links_are_not_served_when_media_lives_in_s3() {
    let app = TestApp::spawn_with_storage(Storage::S3).await;
    app.get("/media/avatars/0f8fad5b-d9cb-469f-a165-70867728950e.png?expires=1&signature=x")
        .await
        .problem(404);
}

#[tokio::test]
async fn the_worker_sweeps_an_object_a_crash_left_unreferenced() {
    use cinema_media::entity::pending_object;
    use sea_orm::{ActiveValue::Set, EntityTrait};

    let app = TestApp::spawn_with(&[("MEDIA_SWEEP_INTERVAL_SECS", "1")]).await;
    let t = app.sign_up("kept@example.com").await;
    let kept: Value = app.upload_avatar(&t.access_token, &png(100)).await.json();
    let kept = key_of(&kept, "avatar");

    // What a crash between storing an upload and committing its reference leaves behind: the
    // object, and its ledger row, now past its grace period.
    let orphan = "avatars/0f8fad5b-d9cb-469f-a165-70867728950e.png";
    std::fs::write(app.media_dir().join(orphan), png(100)).unwrap();
    pending_object::Entity::insert(pending_object::ActiveModel {
        key: Set(orphan.to_owned()),
        due_at: Set(1),
        created_at: Set(1),
    })
    .exec(app.db())
    .await
    .unwrap();

    let deadline = tokio::time::Instant::now() + cinema_tests::WAIT;
    while app.stored_keys("avatars").contains(&orphan.to_owned()) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the orphan is still there"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(app.stored_keys("avatars"), vec![kept.clone()]);
    let (status, _, _) = app
        .fetch(
            app.profile(&t.access_token).await["avatar_url"]
                .as_str()
                .unwrap(),
        )
        .await;
    assert_eq!(status, 200);
}
