//! Likes and dislikes of movies: one reaction per user and movie, switching allowed.

use cinema_catalog::{
    cache::{Change, version},
    entity::movie,
};
use cinema_kernel::db;
use cinema_kernel::{MovieId, UserId};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
    sea_query::{Expr, ExprTrait, OnConflict},
};

use crate::{Engagement, Result, entity::reaction, lock_movie};

/// A user's reaction to a movie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reaction {
    /// Likes it.
    Like,
    /// Dislikes it.
    Dislike,
}

impl Reaction {
    fn value(self) -> i16 {
        match self {
            Reaction::Like => 1,
            Reaction::Dislike => -1,
        }
    }

    pub(crate) fn from_value(value: i16) -> Option<Self> {
        match value {
            1 => Some(Reaction::Like),
            -1 => Some(Reaction::Dislike),
            _ => None,
        }
    }

    /// Its name on the wire: `like` or `dislike`.
    pub fn as_str(self) -> &'static str {
        match self {
            Reaction::Like => "like",
            Reaction::Dislike => "dislike",
        }
    }

    /// (likes, dislikes) this reaction counts for.
    fn counts(reaction: Option<Self>) -> (i64, i64) {
        match reaction {
            Some(Reaction::Like) => (1, 0),
            Some(Reaction::Dislike) => (0, 1),
            None => (0, 0),
        }
    }
}

/// A movie's reactions, and the caller's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reactions {
    /// Likes in all.
    pub likes: i64,
    /// Dislikes in all.
    pub dislikes: i64,
    /// The caller's.
    pub mine: Option<Reaction>,
}

impl Engagement {
    /// Sets (or with `None` removes) the user's reaction to a movie; the counts change in the
    /// same transaction, under the movie's lock.
    pub async fn react(
        &self,
        db: &DatabaseConnection,
        user_id: UserId,
        movie_id: MovieId,
        reaction: Option<Reaction>,
    ) -> Result<Reactions> {
        let user_id = user_id.get();
        let movie_id = movie_id.get();
        let txn = db::begin_write(db).await?;
        let movie = lock_movie(&txn, movie_id).await?;
        let old = reaction::Entity::find_by_id((user_id, movie_id))
            .one(&txn)
            .await?
            .and_then(|r| Reaction::from_value(r.kind));
        let (old_likes, old_dislikes) = Reaction::counts(old);
        let (new_likes, new_dislikes) = Reaction::counts(reaction);
        let (d_likes, d_dislikes) = (new_likes - old_likes, new_dislikes - old_dislikes);
        let mut pending = None;
        if old != reaction {
            match reaction {
                Some(r) => {
                    reaction::Entity::insert(reaction::ActiveModel {
                        user_id: Set(user_id),
                        movie_id: Set(movie_id),
                        kind: Set(r.value()),
                        created_at: Set(self.now()),
                    })
                    .on_conflict(
                        OnConflict::columns([reaction::Column::UserId, reaction::Column::MovieId])
                            .update_columns([reaction::Column::Kind, reaction::Column::CreatedAt])
                            .to_owned(),
                    )
                    .exec_without_returning(&txn)
                    .await?;
                }
                None => {
                    reaction::Entity::delete_by_id((user_id, movie_id))
                        .exec(&txn)
                        .await?;
                }
            }
            movie::Entity::update_many()
                .col_expr(
                    movie::Column::LikeCount,
                    Expr::col(movie::Column::LikeCount).add(d_likes),
                )
                .col_expr(
                    movie::Column::DislikeCount,
                    Expr::col(movie::Column::DislikeCount).add(d_dislikes),
                )
                .filter(movie::Column::Id.eq(movie_id))
                .exec(&txn)
                .await?;
            pending = Some(version::bump(&txn, Change::Movie(movie_id)).await?);
        }
        self.commit(txn, pending).await?;
        Ok(Reactions {
            likes: movie.like_count + d_likes,
            dislikes: movie.dislike_count + d_dislikes,
            mine: reaction,
        })
    }
}
