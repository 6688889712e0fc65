//! [`Catalog`]: the catalog as one value — its database, cache, media, clock and the port that
//! says whether a movie may go — whose writes commit and then apply their change to the cache
//! before they return. Whoever calls them (an HTTP handler, a job, the CLI, another Rust
//! service) reads its own write at once; other processes see it within the cache's staleness
//! bound (see [`crate::cache`]).
//!
//! The `*_in` functions of [`crate::movies`] and [`crate::taxonomy`] run the same writes inside
//! a caller's transaction; they answer the [`Pending`](crate::cache::Pending) change, which the
//! caller applies after its commit.

use cinema_kernel::MovieId;
use std::sync::Arc;

use cinema_kernel::{
    page::{Page, PageRequest},
    time::Clock,
};
use cinema_media::{Image, Media, ReservedUpload, SpooledVideo, VideoKind};
use sea_orm::DatabaseConnection;

use cinema_kernel::audit::{Actor, change};
use sea_orm::EntityTrait;

use crate::{
    MovieReferences, Named, NoReferences, Result, Taxonomy, audit,
    cache::CatalogCache,
    entity::movie,
    movies::{
        self, MovieDetail, MovieFilter, MovieInput, MoviePatch, MovieSummary, Sort, StoredVideo,
        VideoSlotKind,
    },
    replicas::{Reader, Replicas},
    search::SearchIndex,
    taxonomy,
};

/// Whether a read's error means its database failed (a replica's read is then tried again on
/// the primary).
fn unavailable(e: &crate::Error) -> bool {
    use cinema_kernel::DomainError as _;
    !e.kind().is_client_error()
}

/// The catalog service (cheap to clone).
#[derive(Clone)]
pub struct Catalog {
    db: DatabaseConnection,
    search: SearchIndex,
    replicas: Replicas,
    cache: CatalogCache,
    media: Media,
    clock: Clock,
    references: Arc<dyn MovieReferences>,
    actor: Option<Actor>,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalog")
            .field("cache", &self.cache.is_on())
            .finish_non_exhaustive()
    }
}

impl Catalog {
    /// A catalog on `db` with no read cache, searches on `db` itself and nothing that holds
    /// movies; see the `with_*` methods.
    pub fn new(db: DatabaseConnection, media: Media, clock: Clock) -> Self {
        Self {
            search: SearchIndex::new(db.clone(), CatalogCache::off()),
            db,
            replicas: Replicas::default(),
            cache: CatalogCache::off(),
            media,
            clock,
            references: Arc::new(NoReferences),
            actor: None,
        }
    }

    /// This catalog with its writes recorded in the audit trail as `actor`'s (without one they
    /// are recorded as unattributed).
    #[must_use]
    pub fn acting(&self, actor: Actor) -> Self {
        Self {
            actor: Some(actor),
            ..self.clone()
        }
    }

    fn actor(&self) -> Option<&Actor> {
        self.actor.as_ref()
    }

    /// Caches public answers in `cache` (start [`crate::cache::watch::spawn`] beside it to
    /// hear of other processes' writes); the search index follows the versions it knows of.
    #[must_use]
    pub fn with_cache(mut self, cache: CatalogCache) -> Self {
        self.search = SearchIndex::new(self.db.clone(), cache.clone());
        self.cache = cache;
        self
    }

    /// Sends public reads ([`Catalog::read_public`]) to these replicas while they keep up
    /// (see [`crate::replicas`]).
    #[must_use]
    pub fn with_replicas(mut self, replicas: Replicas) -> Self {
        self.replicas = replicas;
        self
    }

    /// Runs a public read on a replica that keeps up, or on the primary (see
    /// [`crate::replicas`]); `retry` says which of its errors mean "the replica failed, ask the
    /// primary". Only for answers anyone may see: a client's own data is read from the primary.
    pub async fn read_public<T, E, F, Fut>(
        &self,
        retry: impl Fn(&E) -> bool,
        read: F,
    ) -> std::result::Result<T, E>
    where
        F: Fn(Reader) -> Fut,
        Fut: std::future::Future<Output = std::result::Result<T, E>>,
    {
        let primary = Reader {
            db: self.db.clone(),
        };
        self.replicas.read(&primary, &self.cache, retry, read).await
    }

    /// Asks `references` before a movie is deleted (commerce: carts and purchases).
    #[must_use]
    pub fn with_references(mut self, references: Arc<dyn MovieReferences>) -> Self {
        self.references = references;
        self
    }

    /// The database it writes to.
    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// The search index (see [`crate::search`]).
    pub fn search_index(&self) -> &SearchIndex {
        &self.search
    }

    /// The read replicas its public reads may use.
    pub fn replicas(&self) -> &Replicas {
        &self.replicas
    }

    /// Its read cache.
    pub fn cache(&self) -> &CatalogCache {
        &self.cache
    }

    /// A page of movies: every filter and sort, from the cache's whole-catalog orders where
    /// it can ([`movies::list_cached`]).
    pub async fn list(
        &self,
        filter: &MovieFilter,
        sort: Option<Sort>,
        page: PageRequest,
    ) -> Result<Page<MovieSummary>> {
        self.read_public(unavailable, |r| async move {
            movies::list_cached(&r.db, &self.search, &self.cache, filter, sort, page).await
        })
        .await
    }

    /// One movie, whole.
    pub async fn detail(&self, id: MovieId) -> Result<MovieDetail> {
        self.read_public(
            unavailable,
            |r| async move { movies::detail(&r.db, id).await },
        )
        .await
    }

    /// Adds a movie with its links. Unknown ids are 422 naming them; an existing
    /// (name, year, time) is 409.
    pub async fn create_movie(&self, input: MovieInput) -> Result<MovieDetail> {
        let txn = cinema_kernel::db::begin_write(&self.db).await?;
        let (name, year) = (input.name.clone(), input.year);
        let (id, pending) = movies::create_in(&txn, &self.clock, input).await?;
        audit::movie_created(&txn, self.actor(), &self.clock, id.get(), &name, year).await?;
        txn.commit().await?;
        self.cache.apply(pending);
        self.detail(id).await
    }

    /// Changes the sent fields; sent id lists replace the movie's sets.
    pub async fn update_movie(&self, id: MovieId, patch: MoviePatch) -> Result<MovieDetail> {
        let txn = cinema_kernel::db::begin_write(&self.db).await?;
        let before = movie::Entity::find_by_id(id.get()).one(&txn).await?;
        let summary_patch = patch.clone();
        let pending = movies::update_in(&txn, &self.clock, id, patch).await?;
        if let Some(before) = before {
            audit::movie_updated(&txn, self.actor(), &self.clock, &before, &summary_patch).await?;
        }
        txn.commit().await?;
        self.cache.apply(pending);
        self.detail(id).await
    }

    /// Deletes a movie unless something holds it (see [`MovieReferences`]; `force` releases
    /// what the contract allows), with its poster and videos: listed for deletion in the same
    /// transaction and deleted after the commit (or by media's sweep, if storage is down), so
    /// a deleted movie never leaves them behind. Returns the deleted row.
    pub async fn delete_movie(&self, id: MovieId, force: bool) -> Result<movie::Model> {
        let txn = cinema_kernel::db::begin_write(&self.db).await?;
        let videos = movies::video_keys_of(&txn, id.get()).await?;
        let (deleted, pending) =
            movies::delete_in(&txn, &self.media, id, force, self.references.as_ref()).await?;
        audit::movie_deleted(&txn, self.actor(), &self.clock, &deleted, force).await?;
        txn.commit().await?;
        self.cache.apply(pending);
        self.media
            .discard_opt(&self.db, deleted.poster.clone())
            .await;
        for key in videos {
            self.media.discard(&self.db, &key).await;
        }
        Ok(deleted)
    }

    /// Stores `image` as the movie's poster and deletes the one it replaces; returns its key.
    pub async fn upload_poster(&self, movie_id: MovieId, image: Image) -> Result<String> {
        let movie_id = movie_id.get();
        movies::upload_poster(
            &self.db,
            &self.media,
            &self.cache,
            (&self.clock, self.actor()),
            movie_id,
            image,
        )
        .await
    }

    /// Removes the movie's poster; `false` if it had none.
    pub async fn remove_poster(&self, movie_id: MovieId) -> Result<bool> {
        let movie_id = movie_id.get();
        movies::remove_poster(
            &self.db,
            &self.media,
            &self.cache,
            (&self.clock, self.actor()),
            movie_id,
        )
        .await
    }

    /// Stores the spooled `video` as the movie's video or trailer and deletes the one it
    /// replaces; returns what is stored now.
    pub async fn upload_video(
        &self,
        movie_id: MovieId,
        slot: VideoSlotKind,
        video: &SpooledVideo,
    ) -> Result<StoredVideo> {
        let movie_id = movie_id.get();
        movies::upload_video(
            &self.db,
            &self.media,
            (&self.clock, self.actor()),
            movie_id,
            slot,
            video,
        )
        .await
    }

    /// Removes the movie's video or trailer; `false` if it had none.
    pub async fn remove_video(&self, movie_id: MovieId, slot: VideoSlotKind) -> Result<bool> {
        let movie_id = movie_id.get();
        movies::remove_video(
            &self.db,
            &self.media,
            (&self.clock, self.actor()),
            movie_id,
            slot,
        )
        .await
    }

    /// Reserves a key for the movie's video or trailer, uploaded by the client straight to
    /// storage, and returns where to send it; [`Catalog::complete_video`] attaches it.
    pub async fn reserve_video_upload(
        &self,
        movie_id: MovieId,
        slot: VideoSlotKind,
        kind: VideoKind,
    ) -> Result<ReservedUpload> {
        let movie_id = movie_id.get();
        movies::reserve_video_upload(&self.db, &self.media, movie_id, slot, kind).await
    }

    /// Attaches a video the client uploaded under a reserved key, once it is there, at most
    /// `limit` bytes and of the type reserved; returns what is stored now.
    pub async fn complete_video(
        &self,
        movie_id: MovieId,
        slot: VideoSlotKind,
        key: &str,
        limit: u64,
    ) -> Result<StoredVideo> {
        let movie_id = movie_id.get();
        movies::complete_video(
            &self.db,
            &self.media,
            (&self.clock, self.actor()),
            movie_id,
            slot,
            key,
            limit,
        )
        .await
    }

    /// Adds a taxonomy entry; a name that exists in any letter case is a conflict.
    pub async fn create_name(&self, kind: Taxonomy, name: &str) -> Result<Named> {
        let txn = cinema_kernel::db::begin_write(&self.db).await?;
        let (created, pending) = taxonomy::create_in(&txn, kind, name).await?;
        let summary = format!("created {:?}", created.name);
        audit::name_changed(
            &txn,
            self.actor(),
            &self.clock,
            kind,
            "create",
            created.id,
            summary,
        )
        .await?;
        txn.commit().await?;
        self.cache.apply(pending);
        Ok(created)
    }

    /// Renames a taxonomy entry (and the search text of its movies, for directors and stars).
    pub async fn rename(&self, kind: Taxonomy, id: i64, name: &str) -> Result<Named> {
        let txn = cinema_kernel::db::begin_write(&self.db).await?;
        let before = taxonomy::get(&txn, kind, id).await?;
        let (renamed, pending) = taxonomy::rename_in(&txn, kind, id, name).await?;
        let summary = change(
            "name",
            format!("{:?}", before.name),
            format!("{:?}", renamed.name),
        );
        audit::name_changed(&txn, self.actor(), &self.clock, kind, "rename", id, summary).await?;
        txn.commit().await?;
        self.cache.apply(pending);
        Ok(renamed)
    }

    /// Deletes a taxonomy entry and returns it. A certification still used by movies is a
    /// conflict; genres, directors and stars are unlinked from their movies.
    pub async fn delete_name(&self, kind: Taxonomy, id: i64) -> Result<Named> {
        let txn = cinema_kernel::db::begin_write(&self.db).await?;
        let (deleted, pending) = taxonomy::delete_in(&txn, kind, id).await?;
        let summary = format!("deleted {:?}", deleted.name);
        audit::name_changed(&txn, self.actor(), &self.clock, kind, "delete", id, summary).await?;
        txn.commit().await?;
        self.cache.apply(pending);
        Ok(deleted)
    }
}
