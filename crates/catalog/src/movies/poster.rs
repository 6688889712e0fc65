//! The poster a movie points at. The image itself lives in media storage; the catalog only
//! keeps its key, changed inside the caller's transaction so media can settle the old one.

use cinema_kernel::time::now_ms;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
};

use crate::{Error, Result, entity::movie};

/// Points the movie at `key` (or at nothing) and returns the key it had. The row is locked
/// until the caller's transaction ends, so concurrent changes settle one after the other.
pub async fn set_poster<C: ConnectionTrait>(
    db: &C,
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
            updated_at: Set(now_ms()),
            ..Default::default()
        })
        .filter(movie::Column::Id.eq(movie_id))
        .exec(db)
        .await?;
    Ok(before)
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
