//! Media: avatars, posters, videos and trailers kept in an object store, the database only
//! holding their keys.
//!
//! Entry points: [`Media`] (replace or remove the image of an [`ImageSlot`] as one safe flow,
//! settle or release keys inside the caller's transaction, sign download links, sweep
//! orphans), the [`ObjectStore`] port with its [`S3Store`] and [`LocalStore`] adapters, and
//! [`ImageReader`] and [`VideoSpool`], which decide an upload's type from its bytes and refuse
//! it as soon as it crosses its size limit (a video is spooled to a file, never held in
//! memory). Large videos can go straight to storage ([`Media::reserve_upload`], then
//! [`Media::inspect_video`] and [`Media::adopt`]).
//!
//! Which row references a key (a profile, a movie) is the owning slice's business: it
//! implements [`ImageSlot`] (identity for avatars, catalog for posters) and [`Media::replace`]
//! runs the rest. A slice that deletes an owner calls [`Media::release`] in its transaction.
//! Depends only on `cinema-kernel`; never on HTTP.

#![deny(missing_docs)]

pub mod entity;
mod error;
pub mod image;
pub mod local;
mod pending;
pub mod s3;
mod store;
pub mod video;

use cinema_kernel::Fail;
use cinema_kernel::UserId;
use std::{sync::Arc, time::Duration};

use cinema_kernel::time::{Clock, millis};
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction};

pub use error::{Error, Result};
pub use image::{Image, ImageKind, ImageReader};
pub use local::LocalStore;
pub use s3::{S3Config, S3Store};
pub use store::{ObjectStore, is_valid_key};
pub use video::{SpooledVideo, VideoKind, VideoSpool};

/// Largest avatar, in bytes (5 MiB).
pub const AVATAR_LIMIT: usize = 5 * 1024 * 1024;
/// Largest poster, in bytes (10 MiB).
pub const POSTER_LIMIT: usize = 10 * 1024 * 1024;

/// Timing of links and of the orphan sweep.
#[derive(Debug, Clone)]
pub struct MediaConfig {
    /// How long a download link stays valid.
    pub link_ttl: Duration,
    /// How long a fresh upload may stay unreferenced before the sweep deletes it. Far longer
    /// than any upload takes, so the sweep never races a request in flight.
    pub upload_grace: Duration,
}

impl Default for MediaConfig {
    fn default() -> Self {
        Self {
            link_ttl: Duration::from_secs(3600),
            upload_grace: Duration::from_secs(3600),
        }
    }
}

/// A key reserved for a direct upload, and where to send the bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReservedUpload {
    /// The reserved key.
    pub key: String,
    /// `PUT` the file's bytes here.
    pub url: String,
    /// When `url` stops accepting (epoch ms).
    pub expires_at: i64,
}

/// What one sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Objects deleted.
    pub deleted: usize,
    /// Objects the store would not delete now; their rows stay for the next sweep.
    pub failed: usize,
}

/// A row that points at one object: a profile's avatar, a movie's poster, video or trailer
/// (the name is older than videos). Implemented by the
/// slice that owns the row; [`Media::replace`] and [`Media::remove`] run the flow around it.
#[async_trait::async_trait]
pub trait ImageSlot: Send + Sync {
    /// The owning slice's error; storage and ledger failures convert into it.
    type Error: From<Error> + Send;

    /// The folder of its objects, e.g. `avatars`.
    fn folder(&self) -> &'static str;

    /// Inside the caller's transaction: points the row at `key` (or at none) and returns the key
    /// it had. Lock the row, so two replacements settle one after the other.
    async fn point_at(
        &self,
        txn: &DatabaseTransaction,
        key: Option<&str>,
    ) -> Result<Option<String>, Self::Error>;
}

/// The media service: one object store and the ledger of objects that may need deleting.
#[derive(Debug, Clone)]
pub struct Media {
    store: Arc<dyn ObjectStore>,
    config: MediaConfig,
    clock: Clock,
}

impl Media {
    /// The service over `store`.
    pub fn new(store: Arc<dyn ObjectStore>, config: MediaConfig, clock: Clock) -> Self {
        Self {
            store,
            config,
            clock,
        }
    }

    /// Stores `image` and points `slot` at it, then deletes the object it replaced; returns the
    /// new key. Storage and the database cannot share a transaction, so: the key is listed in
    /// the ledger, the object stored, then one transaction points the row at it and settles the
    /// ledger; whatever a failure leaves behind, the sweep deletes.
    pub async fn replace<S: ImageSlot>(
        &self,
        db: &DatabaseConnection,
        slot: &S,
        image: Image,
    ) -> Result<String, S::Error> {
        let key = self.upload(db, slot.folder(), image).await?;
        self.point(db, slot, key).await
    }

    /// [`Media::replace`] for a spooled video, streamed from its spool file to the store.
    pub async fn replace_video<S: ImageSlot>(
        &self,
        db: &DatabaseConnection,
        slot: &S,
        video: &SpooledVideo,
    ) -> Result<String, S::Error> {
        let store = self.store.clone();
        let key = self
            .upload_with(
                db,
                slot.folder(),
                video.kind.extension(),
                |key| async move {
                    store
                        .put_file(&key, video.path(), video.kind.content_type())
                        .await
                },
            )
            .await?;
        self.point(db, slot, key).await
    }

    /// Lists a fresh key in `folder` for deletion and returns it with a link the client
    /// uploads the file to directly (S3 presigned PUT, or our signed local route). The link
    /// lives half the upload grace; an upload never completed is deleted by the sweep.
    pub async fn reserve_upload<C: ConnectionTrait>(
        &self,
        db: &C,
        folder: &str,
        kind: VideoKind,
    ) -> Result<ReservedUpload> {
        let key = format!("{folder}/{}.{}", uuid::Uuid::new_v4(), kind.extension());
        let grace = millis(self.config.upload_grace);
        pending::reserve(db, self.clock.now_ms(), &key, grace).await?;
        let ttl = self.config.upload_grace / 2;
        let url = self.store.upload_url(&key, ttl).await?;
        Ok(ReservedUpload {
            key,
            url,
            expires_at: self.clock.now_ms() + millis(ttl),
        })
    }

    /// Stores a direct upload that arrived through our own signed route (local disk): only
    /// under a key still reserved, and if the reservation lapsed while the bytes arrived, the
    /// object goes again (the sweep may already have passed it).
    pub async fn receive_upload<C: ConnectionTrait>(
        &self,
        db: &C,
        key: &str,
        video: &SpooledVideo,
    ) -> Result<()> {
        let lapsed =
            || Error::BadLink("The upload link's reservation has lapsed; ask for a new one.");
        if !pending::awaits_upload(db, self.clock.now_ms(), key).await? {
            return Err(lapsed());
        }
        self.store
            .put_file(key, video.path(), video.kind.content_type())
            .await?;
        if !pending::awaits_upload(db, self.clock.now_ms(), key).await? {
            let _ = self.store.delete(key).await;
            return Err(lapsed());
        }
        Ok(())
    }

    /// Checks a directly uploaded video before anything points at it: it exists, is at most
    /// `limit` bytes, and its first bytes are the video type its key was reserved for. A file
    /// that fails is deleted at once.
    pub async fn inspect_video<C: ConnectionTrait>(
        &self,
        db: &C,
        key: &str,
        limit: u64,
    ) -> Result<(VideoKind, u64)> {
        let Some(size) = self.store.size_of(key).await? else {
            return Err(Error::not_found(
                "No upload under this key; upload the file first.".to_owned(),
            ));
        };
        let refuse = |e: Error| async move {
            self.discard(db, key).await;
            Err(e)
        };
        if size > limit {
            return refuse(Error::TooLarge {
                limit: usize::try_from(limit).unwrap_or(usize::MAX),
            })
            .await;
        }
        let head = self.store.read_prefix(key, video::SNIFF_LEN as u64).await?;
        match (VideoKind::sniff(&head), VideoKind::from_key(key)) {
            (Some(found), Some(reserved)) if found == reserved => Ok((found, size)),
            _ if size == 0 => refuse(Error::Empty).await,
            _ => refuse(Error::UnsupportedVideo).await,
        }
    }

    /// Points `slot` at an object the client uploaded under a reserved key (see
    /// [`Media::reserve_upload`]) and deletes what it replaced.
    pub async fn adopt<S: ImageSlot>(
        &self,
        db: &DatabaseConnection,
        slot: &S,
        key: String,
    ) -> Result<String, S::Error> {
        self.point(db, slot, key).await
    }

    /// Points `slot` at the freshly stored `key` and deletes what it replaced; on failure the
    /// new object goes instead.
    async fn point<S: ImageSlot>(
        &self,
        db: &DatabaseConnection,
        slot: &S,
        key: String,
    ) -> Result<String, S::Error> {
        match self.swap(db, slot, Some(&key)).await {
            Ok(old) => {
                self.discard_opt(db, old).await;
                Ok(key)
            }
            Err(e) => {
                self.discard(db, &key).await;
                Err(e)
            }
        }
    }

    /// Points `slot` at no image and deletes the one it had; `false` if it had none.
    pub async fn remove<S: ImageSlot>(
        &self,
        db: &DatabaseConnection,
        slot: &S,
    ) -> Result<bool, S::Error> {
        let old = self.swap(db, slot, None).await?;
        let had_one = old.is_some();
        self.discard_opt(db, old).await;
        Ok(had_one)
    }

    /// Points the slot at `key` and settles the ledger in one transaction; returns the key the
    /// slot had.
    async fn swap<S: ImageSlot>(
        &self,
        db: &DatabaseConnection,
        slot: &S,
        key: Option<&str>,
    ) -> Result<Option<String>, S::Error> {
        let txn = cinema_kernel::db::begin_write(db)
            .await
            .map_err(Error::from)?;
        let old = slot.point_at(&txn, key).await?;
        if key.is_none() && old.is_none() {
            // Nothing to remove: leave the row as it was.
            txn.rollback().await.map_err(Error::from)?;
            return Ok(None);
        }
        self.settle(&txn, key, old.as_deref()).await?;
        txn.commit().await.map_err(Error::from)?;
        Ok(old)
    }

    /// Deletes `old` after the commit that dropped it, if there is one.
    pub async fn discard_opt<C: ConnectionTrait>(&self, db: &C, old: Option<String>) {
        if let Some(old) = old {
            self.discard(db, &old).await;
        }
    }

    /// The object store in use.
    pub fn store(&self) -> &Arc<dyn ObjectStore> {
        &self.store
    }

    /// Stores the image under a fresh key in `folder` (`avatars/<uuid>.png`). The key is listed
    /// for deletion first, so if its reference is never committed the sweep removes it.
    pub async fn upload<C: ConnectionTrait>(
        &self,
        db: &C,
        folder: &str,
        image: Image,
    ) -> Result<String> {
        let store = self.store.clone();
        self.upload_with(db, folder, image.kind.extension(), |key| async move {
            store
                .put(&key, image.bytes, image.kind.content_type())
                .await
        })
        .await
    }

    /// Lists a fresh key (`folder/<uuid>.ext`) for deletion, then runs `put` to store it.
    async fn upload_with<C, F, Fut>(
        &self,
        db: &C,
        folder: &str,
        ext: &str,
        put: F,
    ) -> Result<String>
    where
        C: ConnectionTrait,
        F: FnOnce(String) -> Fut,
        Fut: std::future::Future<Output = Result<()>>,
    {
        let key = format!("{folder}/{}.{ext}", uuid::Uuid::new_v4());
        pending::reserve(
            db,
            self.clock.now_ms(),
            &key,
            millis(self.config.upload_grace),
        )
        .await?;
        if let Err(e) = put(key.clone()).await {
            // Nothing was stored (or a partial write the sweep will remove): the row goes now,
            // or, if the database is gone too, when it is due.
            self.discard(db, &key).await;
            return Err(e);
        }
        Ok(key)
    }

    /// Inside the transaction that makes `new` the reference and drops `old`: crosses `new`
    /// off the ledger and lists `old` for deletion. Call [`Media::discard`] on `old` after the
    /// commit. Fails if `new` was uploaded so long ago that the sweep has claimed it.
    pub async fn settle<C: ConnectionTrait>(
        &self,
        db: &C,
        new: Option<&str>,
        old: Option<&str>,
    ) -> Result<()> {
        if let Some(new) = new
            && !pending::claim_for_reference(db, new).await?
        {
            return Err(Error::Storage(
                "the upload took too long and was discarded; send it again".to_owned(),
            ));
        }
        if let Some(old) = old
            && Some(old) != new
        {
            self.release(db, old).await?;
        }
        Ok(())
    }

    /// Inside the transaction that drops the last reference to `key` (its owner is deleted):
    /// lists it for deletion. Call [`Media::discard`] after the commit.
    pub async fn release<C: ConnectionTrait>(&self, db: &C, key: &str) -> Result<()> {
        Ok(pending::release(db, self.clock.now_ms(), key).await?)
    }

    /// Deletes an object whose reference is gone (or never came) and crosses it off. Never
    /// fails: if the store or database is down the row stays and the sweep retries.
    pub async fn discard<C: ConnectionTrait>(&self, db: &C, key: &str) {
        match self.store.delete(key).await {
            Ok(()) => {
                if let Err(e) = pending::forget(db, key).await {
                    tracing::warn!(key, error = %e, "object deleted; the sweep will drop its row");
                }
            }
            Err(e) => tracing::warn!(key, error = %e, "object not deleted; the sweep will retry"),
        }
    }

    /// A time-limited download link for `key`.
    pub async fn link(&self, key: &str) -> Result<String> {
        self.store.download_url(key, self.config.link_ttl).await
    }

    /// A playback link for `key`, valid for `ttl`, bound to `viewer` where the store allows
    /// (see [`ObjectStore::viewer_url`]).
    pub async fn viewer_link(&self, key: &str, ttl: Duration, viewer: UserId) -> Result<String> {
        let viewer = viewer.get();
        self.store.viewer_url(key, ttl, viewer).await
    }

    /// A public link for `key`, valid for `ttl`.
    pub async fn link_for(&self, key: &str, ttl: Duration) -> Result<String> {
        self.store.download_url(key, ttl).await
    }

    /// A link for the key, if there is one.
    pub async fn link_opt(&self, key: Option<&str>) -> Result<Option<String>> {
        match key {
            Some(key) => Ok(Some(self.link(key).await?)),
            None => Ok(None),
        }
    }

    /// Links for optional keys, in order.
    pub async fn links(&self, keys: &[Option<&str>]) -> Result<Vec<Option<String>>> {
        let mut links = Vec::with_capacity(keys.len());
        for key in keys {
            links.push(self.link_opt(*key).await?);
        }
        Ok(links)
    }

    /// Deletes up to `limit` due objects: uploads never referenced (a crash between the
    /// upload and its transaction) and dropped ones not yet deleted (a crash or a storage
    /// outage after the commit).
    pub async fn sweep<C: ConnectionTrait>(&self, db: &C, limit: u64) -> Result<SweepReport> {
        let now = self.clock.now_ms();
        let mut report = SweepReport::default();
        for key in pending::due(db, now, limit).await? {
            if !pending::claim_for_sweep(db, &key, now).await? {
                continue;
            }
            match self.store.delete(&key).await {
                Ok(()) => {
                    pending::forget(db, &key).await?;
                    report.deleted += 1;
                }
                Err(e) => {
                    tracing::warn!(key, error = %e, "sweep could not delete an object");
                    report.failed += 1;
                }
            }
        }
        Ok(report)
    }
}
