//! The poster a movie points at. The image itself lives in media storage; the catalog only
//! keeps its key, changed inside the caller's transaction so media can settle the old one.
//! [`crate::Catalog::upload_poster`] and [`crate::Catalog::remove_poster`] run the whole flow.

use cinema_kernel::Fail;
use cinema_kernel::MovieId;
use std::sync::{Mutex, PoisonError};

use cinema_kernel::{audit::Actor, time::Clock};
use cinema_media::{Image, ImageSlot, Media};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
};

use crate::{
    Error, Result,
    cache::{CatalogCache, Change, Pending},
    entity::movie,
};

/// Points the movie at `key` (or at nothing) and returns the key it had, with the change to
/// apply after the commit. The row is locked until the caller's transaction ends, so
/// concurrent changes settle one after the other.
pub async fn set_poster<C: ConnectionTrait>(
    db: &C,
    clock: &Clock,
    movie_id: MovieId,
    key: Option<&str>,
) -> Result<(Option<String>, Pending)> {
    let movie_id = movie_id.get();
    let before: Option<Option<String>> = movie::Entity::find_by_id(movie_id)
        .select_only()
        .column(movie::Column::Poster)
        .lock_exclusive()
        .into_tuple()
        .one(db)
        .await?;
    let Some(before) = before else {
        return Err(Error::not_found(format!("Movie {movie_id}")));
    };
    movie::Entity::update_many()
        .set(movie::ActiveModel {
            poster: Set(key.map(str::to_owned)),
            updated_at: Set(clock.now_ms()),
            ..Default::default()
        })
        .filter(movie::Column::Id.eq(movie_id))
        .exec(db)
        .await?;
    let pending = crate::cache::version::bump(db, Change::Catalog).await?;
    Ok((before, pending))
}

/// A movie's poster, as the media flow sees it.
#[derive(Debug)]
struct PosterSlot<'a> {
    clock: &'a Clock,
    actor: Option<&'a Actor>,
    movie_id: i64,
    /// The change of the transaction media commits, for the cache once it has.
    pending: Mutex<Option<Pending>>,
}

impl<'a> PosterSlot<'a> {
    fn new(clock: &'a Clock, actor: Option<&'a Actor>, movie_id: i64) -> Self {
        Self {
            clock,
            actor,
            movie_id,
            pending: Mutex::new(None),
        }
    }

    /// Applies the change of the transaction media ran, if it got that far (applying one that
    /// rolled back costs only a cache miss).
    fn committed(self, cache: &CatalogCache) {
        let pending = self
            .pending
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(pending) = pending {
            cache.apply(pending);
        }
    }
}

#[async_trait::async_trait]
impl ImageSlot for PosterSlot<'_> {
    type Error = Error;

    fn folder(&self) -> &'static str {
        "posters"
    }

    async fn point_at(
        &self,
        txn: &sea_orm::DatabaseTransaction,
        key: Option<&str>,
    ) -> Result<Option<String>> {
        let (before, pending) = set_poster(txn, self.clock, MovieId(self.movie_id), key).await?;
        *self.pending.lock().unwrap_or_else(PoisonError::into_inner) = Some(pending);
        crate::audit::media_change(
            txn,
            self.actor,
            self.clock,
            self.movie_id,
            "poster",
            before.as_deref(),
            key,
        )
        .await?;
        Ok(before)
    }
}

/// Stores `image` as the movie's poster and deletes the one it replaces; returns its key.
pub(crate) async fn upload_poster(
    db: &sea_orm::DatabaseConnection,
    media: &Media,
    cache: &CatalogCache,
    (clock, actor): (&Clock, Option<&Actor>),
    movie_id: i64,
    image: Image,
) -> Result<String> {
    let slot = PosterSlot::new(clock, actor, movie_id);
    let stored = media.replace(db, &slot, image).await;
    slot.committed(cache);
    stored
}

/// Removes the movie's poster; `false` if it had none.
pub(crate) async fn remove_poster(
    db: &sea_orm::DatabaseConnection,
    media: &Media,
    cache: &CatalogCache,
    (clock, actor): (&Clock, Option<&Actor>),
    movie_id: i64,
) -> Result<bool> {
    let slot = PosterSlot::new(clock, actor, movie_id);
    let removed = media.remove(db, &slot).await;
    slot.committed(cache);
    removed
}

/// The movie's poster key; [`Common::NotFound`](cinema_kernel::Common::NotFound) if there is no such movie.
pub async fn poster_of<C: ConnectionTrait>(db: &C, movie_id: MovieId) -> Result<Option<String>> {
    let movie_id = movie_id.get();
    movie::Entity::find_by_id(movie_id)
        .select_only()
        .column(movie::Column::Poster)
        .into_tuple()
        .one(db)
        .await?
        .ok_or_else(|| Error::not_found(format!("Movie {movie_id}")))
}
