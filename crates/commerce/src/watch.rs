//! Watching what one owns: who may play a movie, and where each owner left off.

use cinema_kernel::{MovieId, UserId};
use std::collections::HashMap;

use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, sea_query::OnConflict,
};

use crate::{Commerce, Error, Result, entity::watch_progress, library};

/// Where an owner left off in a movie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WatchState {
    /// Seconds into the movie.
    pub position_secs: u32,
    /// When the position was last recorded (epoch ms).
    pub watched_at: i64,
}

impl Commerce {
    /// Refuses to play `movie_id` to `user_id` unless they own it; staff (moderators and
    /// admins) may play anything.
    pub async fn may_play<C: ConnectionTrait>(
        &self,
        db: &C,
        user_id: UserId,
        staff: bool,
        movie_id: MovieId,
    ) -> Result<()> {
        let user_id = user_id.get();
        let movie_id = movie_id.get();
        if staff || library::owns(db, UserId(user_id), MovieId(movie_id)).await? {
            Ok(())
        } else {
            Err(Error::NotOwned { movie_id })
        }
    }

    /// Records where the owner of `movie_id` left off.
    pub async fn record_progress<C: ConnectionTrait>(
        &self,
        db: &C,
        user_id: UserId,
        movie_id: MovieId,
        position_secs: u32,
    ) -> Result<WatchState> {
        let user_id = user_id.get();
        let movie_id = movie_id.get();
        if !library::owns(db, UserId(user_id), MovieId(movie_id)).await? {
            return Err(Error::NotOwned { movie_id });
        }
        let state = WatchState {
            position_secs,
            watched_at: self.now(),
        };
        watch_progress::Entity::insert(watch_progress::ActiveModel {
            user_id: Set(user_id),
            movie_id: Set(movie_id),
            position_secs: Set(i32::try_from(position_secs).unwrap_or(i32::MAX)),
            updated_at: Set(state.watched_at),
        })
        .on_conflict(
            OnConflict::columns([
                watch_progress::Column::UserId,
                watch_progress::Column::MovieId,
            ])
            .update_columns([
                watch_progress::Column::PositionSecs,
                watch_progress::Column::UpdatedAt,
            ])
            .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
        Ok(state)
    }
}

/// Where `user_id` left off in each of these movies they have started.
pub async fn progress_of<C: ConnectionTrait>(
    db: &C,
    user_id: UserId,
    movie_ids: &[MovieId],
) -> Result<HashMap<i64, WatchState>> {
    let movie_ids = &cinema_kernel::ids::raw(movie_ids)[..];
    let user_id = user_id.get();
    if movie_ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(watch_progress::Entity::find()
        .filter(watch_progress::Column::UserId.eq(user_id))
        .filter(watch_progress::Column::MovieId.is_in(movie_ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|w| {
            (
                w.movie_id,
                WatchState {
                    position_secs: u32::try_from(w.position_secs).unwrap_or_default(),
                    watched_at: w.updated_at,
                },
            )
        })
        .collect())
}
