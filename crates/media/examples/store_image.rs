//! Store an image, as another Rust service would with `cinema-media`: a fresh SQLite database
//! (migrated with `cinema-migration` first — media keeps a ledger of objects that may need
//! deleting), a local-disk store, and a slot of the caller's own — here a cover picture kept in
//! memory — that media points at the new object inside its transaction. Replacing the image
//! deletes the one it replaces; a short-lived signed link serves it.
//!
//! Run: `cargo run -p cinema-media --example store_image`

#![expect(clippy::print_stdout, reason = "an example shows what it did")]

use std::{
    error::Error,
    sync::{Arc, Mutex},
    time::Duration,
};

use cinema_kernel::{
    db::{DatabaseConfig, connect},
    time::Clock,
};
use cinema_media::{ImageReader, ImageSlot, LocalStore, Media, MediaConfig};
use cinema_migration::{Migrator, MigratorTrait};
use sea_orm::DatabaseTransaction;

/// Where the caller keeps the key of its picture (a row of its own, in real use).
#[derive(Debug, Default)]
struct Cover(Mutex<Option<String>>);

#[async_trait::async_trait]
impl ImageSlot for Cover {
    type Error = cinema_media::Error;

    fn folder(&self) -> &'static str {
        "covers"
    }

    async fn point_at(
        &self,
        _txn: &DatabaseTransaction,
        key: Option<&str>,
    ) -> Result<Option<String>, Self::Error> {
        let mut current = self
            .0
            .lock()
            .map_err(|_| cinema_media::Error::Storage("the cover's lock is poisoned".to_owned()))?;
        Ok(std::mem::replace(&mut *current, key.map(str::to_owned)))
    }
}

/// A tiny PNG, read the way an upload is: the type comes from the bytes, not the client.
fn png() -> Result<cinema_media::Image, cinema_media::Error> {
    let mut reader = ImageReader::new(1 << 20);
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    bytes.resize(64, 0);
    reader.push(&bytes)?;
    reader.finish()
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}", dir.path().join("cinema.db").display());
    let db = connect(&DatabaseConfig::new(url.parse()?)).await?;
    Migrator::up(&db, None).await?;

    let root = dir.path().join("media");
    let store = LocalStore::new(&root, "http://localhost:8010", b"link-key")?;
    let media = Media::new(Arc::new(store), MediaConfig::default(), Clock::system());
    let cover = Cover::default();

    let first = media.replace(&db, &cover, png()?).await?;
    let second = media.replace(&db, &cover, png()?).await?;
    println!("stored {first}, then {second}");
    assert!(!root.join(&first).exists(), "the replaced image is deleted");
    assert!(root.join(&second).exists());
    let link = media.link_for(&second, Duration::from_secs(300)).await?;
    println!("served at {link}");
    Ok(())
}
