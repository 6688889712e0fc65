//! Media storage on a temporary local directory, for tests that build the domain services
//! (the catalog service needs one even when no file is stored).

use std::sync::Arc;

use cinema_kernel::time::Clock;
use cinema_media::{LocalStore, Media, MediaConfig};

/// A `Media` over a temporary directory, removed when this is dropped.
#[derive(Debug)]
pub struct LocalMedia {
    pub media: Media,
    /// Where the objects are.
    pub dir: tempfile::TempDir,
}

impl LocalMedia {
    #[expect(
        clippy::expect_used,
        reason = "test helper: a failure is the test's failure"
    )]
    pub fn new(clock: &Clock) -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let store = LocalStore::new(dir.path(), "http://localhost", b"test-link-key")
            .expect("a local store");
        let media = Media::new(Arc::new(store), MediaConfig::default(), clock.clone());
        Self { media, dir }
    }
}
