//! Builds the media service from settings: the object store, and for local disk the key
//! that signs its links.

use std::{net::SocketAddr, sync::Arc};

use cinema_media::{LocalStore, Media, ObjectStore, S3Store};
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};

use crate::settings::{MediaStorage, Settings};

/// The media service and, when storage is local disk, the store whose links the API serves.
#[derive(Debug, Clone)]
pub struct MediaParts {
    pub media: Media,
    pub local: Option<Arc<LocalStore>>,
}

/// Local links are signed with a key derived from `JWT_SECRET` (one secret to manage, and a
/// different key for each use).
fn link_key(settings: &Settings) -> [u8; 32] {
    let mut hash = Sha256::new();
    hash.update(b"cinema media links\0");
    hash.update(settings.identity.jwt_secret.expose_secret().as_bytes());
    hash.finalize().into()
}

/// `http://127.0.0.1:8010` for a listener on that address; a wildcard address becomes
/// `localhost`.
pub fn listen_url(addr: SocketAddr) -> String {
    match addr {
        a if a.ip().is_unspecified() => format!("http://localhost:{}", a.port()),
        SocketAddr::V6(a) => format!("http://[{}]:{}", a.ip(), a.port()),
        SocketAddr::V4(a) => format!("http://{a}"),
    }
}

/// The media service for this process. `api_url` is where local links point when `PUBLIC_URL`
/// is not set. An unreachable S3 is not fatal: uploads answer 503 until it is back, and the
/// bucket is created on the first upload instead.
pub async fn media(settings: &Settings, api_url: &str) -> Result<MediaParts, cinema_media::Error> {
    let config = settings.media.config.clone();
    match &settings.media.storage {
        MediaStorage::Local { dir } => {
            let base = settings
                .media
                .public_url
                .as_ref()
                .map_or(api_url, url::Url::as_str);
            let store = Arc::new(
                LocalStore::new(dir, base, &link_key(settings))?.with_clock(settings.clock.clone()),
            );
            let object_store: Arc<dyn ObjectStore> = store.clone();
            Ok(MediaParts {
                media: Media::new(object_store, config, settings.clock.clone()),
                local: Some(store),
            })
        }
        MediaStorage::S3(s3) => {
            let store = S3Store::new(s3.clone())?;
            if let Err(e) = store.ensure_bucket().await {
                tracing::warn!(error = %e, bucket = %s3.bucket, "S3 is not reachable yet: uploads fail with 503 until it is");
            }
            Ok(MediaParts {
                media: Media::new(Arc::new(store), config, settings.clock.clone()),
                local: None,
            })
        }
    }
}
