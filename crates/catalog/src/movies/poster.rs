//! The poster a movie points at. The image itself lives in media storage; the catalog only
//! keeps its key, changed inside the caller's transaction so media can settle the old one.
//! [`upload_poster`] and [`remove_poster`] run the whole flow.

use cinema_kernel::time::Clock;
use cinema_media::{Image, ImageSlot, Media};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
};

use crate::{Error, Result, entity::movie};

/// Points the movie at `key` (or at nothing) and returns the key it had. The row is locked
/// until the caller's transaction ends, so concurrent changes settle one after the other.
pub async fn set_poster<C: ConnectionTrait>(
    db: &C,
    clock: &Clock,
    movie_id: i64,
    key: Option<&str>,
) -> Result<Option<String>> {
    let before: Option<Option<String>> = movie::Entity::find_by_id(movie_id)
        .select_only()
        .column(movie::Column::Poster)
        .lock_exclusive()
        .into_tuple()
        .one(db)
        .await?;
    let Some(before) = before else {
        return Err(Error::NotFound(format!("Movie {movie_id}")));
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
    crate::cache::version::bump(db, crate::cache::Change::Catalog).await?;
    Ok(before)
}

/// A movie's poster, as the media flow sees it.
#[derive(Debug)]
struct PosterSlot<'a> {
    clock: &'a Clock,
    movie_id: i64,
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
        set_poster(txn, self.clock, self.movie_id, key).await
    }
}

/// Stores `image` as the movie's poster and deletes the one it replaces; returns its key.
pub async fn upload_poster(
    db: &sea_orm::DatabaseConnection,
    media: &Media,
    clock: &Clock,
    movie_id: i64,
    image: Image,
) -> Result<String> {
    media
        .replace(db, &PosterSlot { clock, movie_id }, image)
        .await
}

/// Removes the movie's poster; `false` if it had none.
pub async fn remove_poster(
    db: &sea_orm::DatabaseConnection,
    media: &Media,
    clock: &Clock,
    movie_id: i64,
) -> Result<bool> {
    media.remove(db, &PosterSlot { clock, movie_id }).await
}

/// The movie's poster key; [`Error::NotFound`] if there is no such movie.
pub async fn poster_of<C: ConnectionTrait>(db: &C, movie_id: i64) -> Result<Option<String>> {
    movie::Entity::find_by_id(movie_id)
        .select_only()
        .column(movie::Column::Poster)
        .into_tuple()
        .one(db)
        .await?
        .ok_or_else(|| Error::NotFound(format!("Movie {movie_id}")))
}
