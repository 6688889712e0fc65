//! Media: avatars and posters kept in an object store, the database only holding their keys.
//!
//! Entry points: [`Media`] (upload an [`Image`], settle or release keys inside the caller's
//! transaction, sign download links, sweep orphans), the [`ObjectStore`] port with its
//! [`S3Store`] and [`LocalStore`] adapters, and [`ImageReader`], which decides an upload's type
//! from its bytes and refuses it as soon as it crosses its size limit.
//!
//! Which row references a key (a profile, a movie) is the owning slice's business: callers
//! change their row and call [`Media::settle`] in one transaction. Depends only on
//! `cinema-kernel`; never on HTTP.

pub mod entity;
mod error;
pub mod image;
pub mod local;
mod pending;
pub mod s3;
mod store;

use std::{sync::Arc, time::Duration};

use cinema_kernel::time::{millis, now_ms};
use sea_orm::ConnectionTrait;

pub use error::{Error, Result};
pub use image::{Image, ImageKind, ImageReader};
pub use local::LocalStore;
pub use s3::{S3Config, S3Store};
pub use store::{ObjectStore, is_valid_key};

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

/// What one sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    pub deleted: usize,
    /// Objects the store would not delete now; their rows stay for the next sweep.
    pub failed: usize,
}

/// The media service: one object store and the ledger of objects that may need deleting.
#[derive(Debug, Clone)]
pub struct Media {
    store: Arc<dyn ObjectStore>,
    config: MediaConfig,
}

impl Media {
    pub fn new(store: Arc<dyn ObjectStore>, config: MediaConfig) -> Self {
        Self { store, config }
    }

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
        let key = format!(
            "{folder}/{}.{}",
            uuid::Uuid::new_v4(),
            image.kind.extension()
        );
        pending::reserve(db, &key, millis(self.config.upload_grace)).await?;
        if let Err(e) = self
            .store
            .put(&key, image.bytes, image.kind.content_type())
            .await
        {
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
            Self::release(db, old).await?;
        }
        Ok(())
    }

    /// Inside the transaction that drops the last reference to `key` (its owner is deleted):
    /// lists it for deletion. Call [`Media::discard`] after the commit.
    pub async fn release<C: ConnectionTrait>(db: &C, key: &str) -> Result<(), sea_orm::DbErr> {
        pending::release(db, key).await
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
        let now = now_ms();
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
