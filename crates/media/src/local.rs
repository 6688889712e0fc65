//! Local disk: the zero-configuration store. Objects are files under a root directory; links
//! point at the API's own `/media/{key}` route and carry an expiry and an HMAC-SHA256 signature
//! over the key and that expiry, so they cannot be forged, extended or reused for another key.

use cinema_kernel::Fail;
use cinema_kernel::UserId;
use cinema_kernel::time::Clock;
use std::{
    path::{Path, PathBuf},
    time::Duration,
};

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::{Error, ImageKind, ObjectStore, Result, store::is_valid_key};

/// The path under the API's base URL that serves local objects.
pub const ROUTE_PREFIX: &str = "/media/";

/// The path under the API's base URL that accepts signed uploads of local objects.
pub const UPLOAD_ROUTE_PREFIX: &str = "/media-upload/";

/// Objects as files under `root`.
pub struct LocalStore {
    root: PathBuf,
    base_url: String,
    /// Keyed with the link secret; cloned for each signature.
    signer: Hmac<Sha256>,
    clock: Clock,
}

impl std::fmt::Debug for LocalStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalStore")
            .field("root", &self.root)
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

/// An object ready to be streamed to the client.
#[derive(Debug)]
pub struct LocalObject {
    /// The open file.
    pub file: tokio::fs::File,
    /// Its length in bytes.
    pub len: u64,
    /// Its MIME type, from its key's extension.
    pub content_type: &'static str,
    /// Seconds the link that opened it stays valid: a cache must not keep it longer.
    pub max_age: u64,
}

impl LocalStore {
    /// `base_url` is how clients reach the API (`http://localhost:8010`); `link_key` signs links.
    pub fn new(root: impl Into<PathBuf>, base_url: &str, link_key: &[u8]) -> Result<Self> {
        let signer = <Hmac<Sha256> as KeyInit>::new_from_slice(link_key)
            .map_err(|e| Error::Storage(format!("bad link key: {e}")))?;
        Ok(Self {
            root: root.into(),
            base_url: base_url.trim_end_matches('/').to_owned(),
            signer,
            clock: Clock::system(),
        })
    }

    /// Times links by `clock` instead of the system clock.
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Now, in Unix seconds, by the store's clock: what [`LocalStore::open`] checks against.
    pub fn now_secs(&self) -> u64 {
        self.clock.now_secs()
    }

    /// The directory objects are stored under.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path(&self, key: &str) -> Result<PathBuf> {
        if is_valid_key(key) {
            Ok(self.root.join(key))
        } else {
            Err(Error::BadLink("The link names no object."))
        }
    }

    fn mac(&self, key: &str, expires: u64, viewer: Option<i64>) -> Hmac<Sha256> {
        let mut mac = self.signer.clone();
        mac.update(key.as_bytes());
        mac.update(b"\n");
        mac.update(expires.to_string().as_bytes());
        if let Some(viewer) = viewer {
            mac.update(format!("\nviewer={viewer}").as_bytes());
        }
        mac
    }

    /// The signed link for `key`, valid until `expires` (Unix seconds).
    pub fn signed_url(&self, key: &str, expires: u64) -> String {
        self.signed_url_for(key, expires, None)
    }

    /// [`LocalStore::signed_url`] bound to a viewer (a user id): the link names them, and the
    /// server that serves it may check that they are still entitled (a refund revokes).
    pub fn signed_url_for(&self, key: &str, expires: u64, viewer: Option<i64>) -> String {
        let signature =
            URL_SAFE_NO_PAD.encode(self.mac(key, expires, viewer).finalize().into_bytes());
        let viewer = viewer.map_or_else(String::new, |v| format!("&viewer={v}"));
        format!(
            "{}{ROUTE_PREFIX}{key}?expires={expires}{viewer}&signature={signature}",
            self.base_url
        )
    }

    /// A signed link that accepts the object's bytes (`PUT`) until `expires` (Unix seconds).
    /// Signed apart from download links, so neither can stand in for the other.
    pub fn signed_upload_url(&self, key: &str, expires: u64) -> String {
        let signature =
            URL_SAFE_NO_PAD.encode(self.upload_mac(key, expires).finalize().into_bytes());
        format!(
            "{}{UPLOAD_ROUTE_PREFIX}{key}?expires={expires}&signature={signature}",
            self.base_url
        )
    }

    fn upload_mac(&self, key: &str, expires: u64) -> Hmac<Sha256> {
        let mut mac = self.mac(key, expires, None);
        mac.update(b"\nupload");
        mac
    }

    /// Where a signed upload link's bytes go, after checking it like [`LocalStore::verify`].
    pub fn verify_upload(&self, key: &str, expires: u64, signature: &str, now: u64) -> Result<()> {
        self.path(key)?;
        Self::check(self.upload_mac(key, expires), signature, expires, now)
    }

    /// The file a link names, after checking its signature (for `viewer`, when the link names
    /// one) and its expiry against `now` (Unix seconds).
    pub fn verify(
        &self,
        key: &str,
        expires: u64,
        viewer: Option<UserId>,
        signature: &str,
        now: u64,
    ) -> Result<PathBuf> {
        let viewer = viewer.map(UserId::get);
        let path = self.path(key)?;
        Self::check(self.mac(key, expires, viewer), signature, expires, now)?;
        Ok(path)
    }

    /// Opens the object a link names, after checking its signature and expiry against `now`
    /// (Unix seconds).
    pub async fn open(
        &self,
        key: &str,
        expires: u64,
        signature: &str,
        now: u64,
    ) -> Result<LocalObject> {
        let path = self.verify(key, expires, None, signature, now)?;
        let file = match tokio::fs::File::open(&path).await {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::not_found("Object".to_owned()));
            }
            Err(e) => return Err(storage(e)),
        };
        let len = file.metadata().await.map_err(storage)?.len();
        Ok(LocalObject {
            file,
            len,
            content_type: ImageKind::from_key(key)
                .map_or("application/octet-stream", ImageKind::content_type),
            max_age: expires - now,
        })
    }
}

fn storage(e: std::io::Error) -> Error {
    Error::Storage(e.to_string())
}

impl LocalStore {
    /// Has `write` produce the object beside its final name, then renames it into place, so a
    /// reader never sees half a file.
    async fn write_then_rename<F, Fut>(&self, key: &str, write: F) -> Result<()>
    where
        F: FnOnce(PathBuf) -> Fut,
        Fut: std::future::Future<Output = std::io::Result<()>>,
    {
        let path = self.path(key)?;
        let dir = path
            .parent()
            .ok_or_else(|| Error::Storage(format!("no folder for {key}")))?;
        tokio::fs::create_dir_all(dir).await.map_err(storage)?;
        let partial = dir.join(format!(".partial-{}", uuid::Uuid::new_v4()));
        if let Err(e) = write(partial.clone()).await {
            let _ = tokio::fs::remove_file(&partial).await;
            return Err(storage(e));
        }
        tokio::fs::rename(&partial, &path).await.map_err(storage)
    }

    /// Checks a link's signature (made by `mac`) and its expiry against `now`.
    fn check(mac: Hmac<Sha256>, signature: &str, expires: u64, now: u64) -> Result<()> {
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| Error::BadLink("The link's signature is not valid."))?;
        mac.verify_slice(&signature)
            .map_err(|_| Error::BadLink("The link's signature is not valid."))?;
        if expires <= now {
            return Err(Error::BadLink("The link has expired."));
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl ObjectStore for LocalStore {
    async fn put(&self, key: &str, bytes: Vec<u8>, _content_type: &str) -> Result<()> {
        self.write_then_rename(key, |partial| async move {
            tokio::fs::write(&partial, &bytes).await
        })
        .await
    }

    async fn put_file(&self, key: &str, source: &Path, _content_type: &str) -> Result<()> {
        // Moved (copied when the spool is on another file system).
        self.write_then_rename(key, |partial| async move {
            match tokio::fs::rename(source, &partial).await {
                Ok(()) => Ok(()),
                Err(_) => tokio::fs::copy(source, &partial).await.map(|_| ()),
            }
        })
        .await
    }

    async fn delete(&self, key: &str) -> Result<()> {
        match tokio::fs::remove_file(self.path(key)?).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(storage(e)),
        }
    }

    async fn download_url(&self, key: &str, ttl: Duration) -> Result<String> {
        let expires = self.clock.now_secs() + ttl.as_secs().max(1);
        Ok(self.signed_url(key, expires))
    }

    async fn upload_url(&self, key: &str, ttl: Duration) -> Result<String> {
        let expires = self.clock.now_secs() + ttl.as_secs().max(1);
        Ok(self.signed_upload_url(key, expires))
    }

    async fn size_of(&self, key: &str) -> Result<Option<u64>> {
        match tokio::fs::metadata(self.path(key)?).await {
            Ok(md) => Ok(Some(md.len())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(storage(e)),
        }
    }

    async fn read_prefix(&self, key: &str, n: u64) -> Result<Vec<u8>> {
        use tokio::io::AsyncReadExt as _;
        let file = match tokio::fs::File::open(self.path(key)?).await {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(storage(e)),
        };
        let mut prefix = Vec::new();
        file.take(n)
            .read_to_end(&mut prefix)
            .await
            .map_err(storage)?;
        Ok(prefix)
    }

    async fn viewer_url(&self, key: &str, ttl: Duration, viewer: i64) -> Result<String> {
        let expires = self.clock.now_secs() + ttl.as_secs().max(1);
        Ok(self.signed_url_for(key, expires, Some(viewer)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "avatars/0f8fad5b-d9cb-469f-a165-70867728950e.png";

    fn query(url: &str) -> (u64, String) {
        let url = url::Url::parse(url).unwrap();
        let get = |name: &str| {
            url.query_pairs()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.into_owned())
                .unwrap()
        };
        (get("expires").parse().unwrap(), get("signature"))
    }

    #[tokio::test]
    async fn a_signed_link_opens_its_object_until_it_expires() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path(), "http://localhost:8010/", b"secret").unwrap();
        store.put(KEY, b"png".to_vec(), "image/png").await.unwrap();
        let url = store.signed_url(KEY, 1_000);
        assert!(url.starts_with(&format!("http://localhost:8010/media/{KEY}?")));
        let (expires, signature) = query(&url);

        let object = store.open(KEY, expires, &signature, 999).await.unwrap();
        assert_eq!(
            (object.len, object.content_type, object.max_age),
            (3, "image/png", 1)
        );
        assert!(matches!(
            store.open(KEY, expires, &signature, 1_000).await,
            Err(Error::BadLink("The link has expired."))
        ));
    }

    #[tokio::test]
    async fn links_cannot_be_extended_moved_or_signed_with_another_secret() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path(), "http://x", b"secret").unwrap();
        let other = "avatars/1f8fad5b-d9cb-469f-a165-70867728950e.png";
        store.put(KEY, b"a".to_vec(), "image/png").await.unwrap();
        store.put(other, b"b".to_vec(), "image/png").await.unwrap();
        let (expires, signature) = query(&store.signed_url(KEY, 1_000));
        let forged = LocalStore::new(dir.path(), "http://x", b"guess").unwrap();
        let (_, forged_signature) = query(&forged.signed_url(KEY, 1_000));

        for (key, expires, signature) in [
            (KEY, expires + 1, signature.as_str()),
            (other, expires, signature.as_str()),
            (KEY, expires, forged_signature.as_str()),
            (KEY, expires, "not base64!"),
            (KEY, expires, ""),
        ] {
            assert!(
                matches!(
                    store.open(key, expires, signature, 0).await,
                    Err(Error::BadLink(_))
                ),
                "{key} {expires} {signature}"
            );
        }
    }

    #[tokio::test]
    async fn keys_outside_our_shape_never_touch_the_disk() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path(), "http://x", b"secret").unwrap();
        assert!(store.put("../x.png", vec![1], "image/png").await.is_err());
        let (expires, signature) = query(&store.signed_url("../../etc/passwd", 10));
        assert!(matches!(
            store.open("../../etc/passwd", expires, &signature, 0).await,
            Err(Error::BadLink(_))
        ));
    }

    #[tokio::test]
    async fn deleting_twice_succeeds_and_the_object_is_gone() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path(), "http://x", b"secret").unwrap();
        store.put(KEY, b"a".to_vec(), "image/png").await.unwrap();
        store.delete(KEY).await.unwrap();
        store.delete(KEY).await.unwrap();
        let (expires, signature) = query(&store.signed_url(KEY, 10));
        let gone = store.open(KEY, expires, &signature, 0).await.err().unwrap();
        assert_eq!(
            cinema_kernel::DomainError::kind(&gone),
            cinema_kernel::ErrorKind::NotFound
        );
    }
}
