//! The media service against a real S3 server on loopback (s3s-fs, checking signatures) and
//! against local disk, with the ledger on SQLite or (with `CINEMA_TEST_POSTGRES_URL`)
//! PostgreSQL: uploads read back through their links, and what the orphan sweep removes.

#![expect(clippy::unwrap_used, reason = "test code")]

use cinema_kernel::time::Clock;
use std::{sync::Arc, time::Duration};

use cinema_media::{
    Error, Image, ImageKind, LocalStore, Media, MediaConfig, ObjectStore, S3Config, S3Store,
    entity::pending_object,
};
use cinema_testkit::{S3Server, TestDatabase};
use sea_orm::{DatabaseConnection, EntityTrait, PaginatorTrait};

const BUCKET: &str = "cinema-media";

fn png() -> Image {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    bytes.extend_from_slice(&[7; 100]);
    Image {
        kind: ImageKind::Png,
        bytes,
    }
}

fn s3_config(server: &S3Server) -> S3Config {
    S3Config {
        endpoint: Some(server.endpoint()),
        public_endpoint: None,
        region: S3Server::REGION.to_owned(),
        bucket: BUCKET.to_owned(),
        access_key: S3Server::ACCESS_KEY.to_owned(),
        secret_key: S3Server::SECRET_KEY.to_owned().into(),
        path_style: true,
        timeout: Duration::from_secs(5),
    }
}

fn media(store: Arc<dyn ObjectStore>, grace: Duration) -> Media {
    Media::new(
        store,
        MediaConfig {
            link_ttl: Duration::from_secs(60),
            upload_grace: grace,
        },
        Clock::system(),
    )
}

async fn pending(db: &DatabaseConnection) -> u64 {
    pending_object::Entity::find().count(db).await.unwrap()
}

async fn fetch(url: &str) -> (u16, Option<String>, Vec<u8>) {
    let response = reqwest::get(url).await.unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned());
    (
        status,
        content_type,
        response.bytes().await.unwrap().to_vec(),
    )
}

/// Makes `key` the reference of nothing in particular: the caller's row is not needed to test
/// the ledger, only the transaction around `settle`.
async fn settle(media: &Media, db: &DatabaseConnection, new: Option<&str>, old: Option<&str>) {
    let txn = cinema_kernel::db::begin_write(db).await.unwrap();
    media.settle(&txn, new, old).await.unwrap();
    txn.commit().await.unwrap();
}

#[tokio::test]
async fn an_s3_upload_reads_back_through_its_presigned_link_and_a_tampered_link_is_refused() {
    let database = TestDatabase::create().await;
    let db = database.connect().await;
    let server = S3Server::start().await;
    let store = Arc::new(S3Store::new(s3_config(&server)).unwrap());
    store.ensure_bucket().await.unwrap();
    store.ensure_bucket().await.unwrap();
    let media = media(store, Duration::from_secs(3600));

    let key = media.upload(&db, "avatars", png()).await.unwrap();
    assert!(
        key.starts_with("avatars/") && key.ends_with(".png"),
        "{key}"
    );
    assert!(server.has_object(BUCKET, &key));
    settle(&media, &db, Some(&key), None).await;
    assert_eq!(pending(&db).await, 0);

    let url = media.link(&key).await.unwrap();
    let (status, content_type, body) = fetch(&url).await;
    assert_eq!(status, 200);
    assert_eq!(content_type.as_deref(), Some("image/png"));
    assert_eq!(body, png().bytes);

    let tampered = url.replace("X-Amz-Expires=60", "X-Amz-Expires=61");
    assert_ne!(tampered, url);
    assert_eq!(fetch(&tampered).await.0, 403);

    media.discard(&db, &key).await;
    assert!(!server.has_object(BUCKET, &key));
    assert_eq!(fetch(&url).await.0, 404);
}

#[tokio::test]
async fn the_sweep_removes_uploads_never_referenced_and_keeps_settled_ones() {
    let database = TestDatabase::create().await;
    let db = database.connect().await;
    let server = S3Server::start().await;
    let media = media(
        Arc::new(S3Store::new(s3_config(&server)).unwrap()),
        Duration::ZERO,
    );

    // A crash between the upload and its transaction leaves `orphan` unreferenced.
    let orphan = media.upload(&db, "avatars", png()).await.unwrap();
    let kept = media.upload(&db, "avatars", png()).await.unwrap();
    settle(&media, &db, Some(&kept), None).await;
    // A crash after the commit that replaced `old` leaves it undeleted.
    let old = media.upload(&db, "posters", png()).await.unwrap();
    settle(&media, &db, Some(&old), None).await;
    let new = media.upload(&db, "posters", png()).await.unwrap();
    settle(&media, &db, Some(&new), Some(&old)).await;

    let report = media.sweep(&db, 100).await.unwrap();
    assert_eq!((report.deleted, report.failed), (2, 0));
    assert!(!server.has_object(BUCKET, &orphan));
    assert!(!server.has_object(BUCKET, &old));
    assert!(server.has_object(BUCKET, &kept));
    assert!(server.has_object(BUCKET, &new));
    assert_eq!(pending(&db).await, 0);
    assert_eq!(media.sweep(&db, 100).await.unwrap().deleted, 0);
}

#[tokio::test]
async fn uploads_within_their_grace_period_survive_the_sweep() {
    let database = TestDatabase::create().await;
    let db = database.connect().await;
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(LocalStore::new(dir.path(), "http://x", b"k").unwrap());
    let media = media(store, Duration::from_secs(3600));
    let key = media.upload(&db, "avatars", png()).await.unwrap();
    assert_eq!(media.sweep(&db, 100).await.unwrap().deleted, 0);
    assert!(dir.path().join(&key).is_file());
}

#[tokio::test]
async fn an_upload_the_sweep_already_claimed_cannot_be_referenced() {
    let database = TestDatabase::create().await;
    let db = database.connect().await;
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(LocalStore::new(dir.path(), "http://x", b"k").unwrap());
    let media = media(store, Duration::ZERO);
    let key = media.upload(&db, "avatars", png()).await.unwrap();
    media.sweep(&db, 100).await.unwrap();
    let txn = cinema_kernel::db::begin_write(&db).await.unwrap();
    assert!(matches!(
        media.settle(&txn, Some(&key), None).await,
        Err(Error::Storage(_))
    ));
}

#[tokio::test]
async fn when_storage_is_down_uploads_fail_and_the_sweep_deletes_once_it_is_back() {
    let database = TestDatabase::create().await;
    let db = database.connect().await;
    let server = S3Server::start().await;
    let media = media(
        Arc::new(S3Store::new(s3_config(&server)).unwrap()),
        Duration::ZERO,
    );
    let old = media.upload(&db, "avatars", png()).await.unwrap();
    settle(&media, &db, Some(&old), None).await;
    settle(&media, &db, None, Some(&old)).await;
    let bucket_dir = server.object_path(BUCKET, &old);
    server.stop();

    assert!(matches!(
        media.upload(&db, "avatars", png()).await,
        Err(Error::Storage(_))
    ));
    let report = media.sweep(&db, 100).await.unwrap();
    assert_eq!(report.deleted, 0);
    assert!(report.failed >= 1);
    assert!(bucket_dir.is_file(), "nothing was deleted while down");
    assert!(pending(&db).await >= 1, "the row waits for the next sweep");

    // Once storage is back, the next sweep finishes the job.
    server.restart().await;
    let report = media.sweep(&db, 100).await.unwrap();
    assert_eq!(report.failed, 0);
    assert!(report.deleted >= 1);
    assert!(!bucket_dir.is_file());
    assert_eq!(pending(&db).await, 0);
}
