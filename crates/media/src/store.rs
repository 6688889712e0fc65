//! The port every storage backend implements.

use std::{path::Path, time::Duration};

use crate::Result;

/// Somewhere objects live under string keys, with time-limited download links.
///
/// Keys are made by this crate (`avatars/<uuid>.png`); adapters may refuse anything else.
#[async_trait::async_trait]
pub trait ObjectStore: Send + Sync + std::fmt::Debug {
    /// Stores `bytes` under `key` with this content type, replacing any object there.
    async fn put(&self, key: &str, bytes: Vec<u8>, content_type: &str) -> Result<()>;

    /// Stores the file at `path` under `key`, streaming it (a video is never read into memory).
    async fn put_file(&self, key: &str, path: &Path, content_type: &str) -> Result<()>;

    /// Removes the object; removing a missing object succeeds.
    async fn delete(&self, key: &str) -> Result<()>;

    /// A link anyone can fetch the object with until `ttl` has passed.
    async fn download_url(&self, key: &str, ttl: Duration) -> Result<String>;

    /// A link the client PUTs the object's bytes to, until `ttl` has passed.
    async fn upload_url(&self, key: &str, ttl: Duration) -> Result<String>;

    /// The object's size in bytes; `None` if there is no such object.
    async fn size_of(&self, key: &str) -> Result<Option<u64>>;

    /// The object's first `n` bytes (fewer if it is shorter).
    async fn read_prefix(&self, key: &str, n: u64) -> Result<Vec<u8>>;

    /// A link for one viewer (a user id) until `ttl` has passed. Stores whose links we serve
    /// ourselves bind it to the viewer, so each request can check the viewer is still entitled;
    /// others (S3) hand out an ordinary short-lived link.
    async fn viewer_url(&self, key: &str, ttl: Duration, _viewer: i64) -> Result<String> {
        self.download_url(key, ttl).await
    }
}

/// Whether `key` is one this crate could have made: `folder/name.ext`, lower-case letters,
/// digits and `-` only, so it can never climb out of a directory or need escaping in a URL.
pub fn is_valid_key(key: &str) -> bool {
    let Some((folder, file)) = key.split_once('/') else {
        return false;
    };
    let Some((name, ext)) = file.split_once('.') else {
        return false;
    };
    let plain = |s: &str, extra: &[char]| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || extra.contains(&c))
    };
    plain(folder, &['_']) && plain(name, &['-']) && plain(ext, &[])
}

#[cfg(test)]
mod tests {
    use super::is_valid_key;

    #[test]
    fn only_our_own_key_shapes_are_valid() {
        assert!(is_valid_key(
            "avatars/0f8fad5b-d9cb-469f-a165-70867728950e.png"
        ));
        assert!(is_valid_key("posters/abc.webp"));
        for bad in [
            "../etc/passwd",
            "avatars/../../x.png",
            "/avatars/a.png",
            "avatars/a",
            "avatars/a.b.png",
            "avatars/A.png",
            "avatars/sub/a.png",
            "avatars/.png",
            "a.png",
            "avatars/a b.png",
            "",
        ] {
            assert!(!is_valid_key(bad), "{bad}");
        }
    }
}
