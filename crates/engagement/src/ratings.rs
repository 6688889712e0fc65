//! Ratings 1–10: one per user and movie; the movie keeps their sum, count and average.

use cinema_catalog::{
    cache::{Change, version},
    entity::movie,
};
use cinema_kernel::Fail;
use cinema_kernel::db;
use cinema_kernel::{MovieId, UserId};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
    sea_query::{Expr, OnConflict},
};

use crate::{Engagement, Error, Result, entity::rating, lock_movie};

/// A movie's ratings, and the caller's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ratings {
    /// The average in tenths (8.5 → 85), rounded half up; `None` while unrated.
    pub average_tenths: Option<i32>,
    /// How many users rated it.
    pub count: i64,
    /// The caller's rating (1–10).
    pub mine: Option<i16>,
}

/// The average of `count` ratings summing to `sum`, in tenths, rounded half up.
pub(crate) fn average_tenths(sum: i64, count: i64) -> Option<i32> {
    (count > 0).then(|| i32::try_from((sum * 20 + count) / (2 * count)).unwrap_or(i32::MAX))
}

impl Engagement {
    /// Sets (or with `None` removes) the user's rating of a movie (1–10); the movie's sum,
    /// count and average change in the same transaction, under its lock.
    pub async fn rate(
        &self,
        db: &DatabaseConnection,
        user_id: UserId,
        movie_id: MovieId,
        score: Option<i64>,
    ) -> Result<Ratings> {
        let user_id = user_id.get();
        let movie_id = movie_id.get();
        let score = match score {
            Some(s) if !(1..=10).contains(&s) => {
                return Err(Error::invalid(
                    "score",
                    "must be a whole number from 1 to 10",
                ));
            }
            Some(s) => Some(i16::try_from(s).unwrap_or(10)),
            None => None,
        };
        let txn = db::begin_write(db).await?;
        let movie = lock_movie(&txn, movie_id).await?;
        let old = rating::Entity::find_by_id((user_id, movie_id))
            .one(&txn)
            .await?
            .map(|r| r.score);
        let sum = movie.rating_sum - i64::from(old.unwrap_or(0)) + i64::from(score.unwrap_or(0));
        let count = movie.rating_count - i64::from(old.is_some()) + i64::from(score.is_some());
        let average = average_tenths(sum, count);
        let mut pending = None;
        if old != score {
            match score {
                Some(score) => {
                    rating::Entity::insert(rating::ActiveModel {
                        user_id: Set(user_id),
                        movie_id: Set(movie_id),
                        score: Set(score),
                        updated_at: Set(self.now()),
                    })
                    .on_conflict(
                        OnConflict::columns([rating::Column::UserId, rating::Column::MovieId])
                            .update_columns([rating::Column::Score, rating::Column::UpdatedAt])
                            .to_owned(),
                    )
                    .exec_without_returning(&txn)
                    .await?;
                }
                None => {
                    rating::Entity::delete_by_id((user_id, movie_id))
                        .exec(&txn)
                        .await?;
                }
            }
            movie::Entity::update_many()
                .col_expr(movie::Column::RatingSum, Expr::value(sum))
                .col_expr(movie::Column::RatingCount, Expr::value(count))
                .col_expr(movie::Column::RatingAvgTenths, Expr::value(average))
                .filter(movie::Column::Id.eq(movie_id))
                .exec(&txn)
                .await?;
            pending = Some(version::bump(&txn, Change::Rating(movie_id)).await?);
        }
        self.commit(txn, pending).await?;
        Ok(Ratings {
            average_tenths: average,
            count,
            mine: score,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::average_tenths;

    #[test]
    fn averages_round_half_up_to_one_decimal() {
        assert_eq!(average_tenths(0, 0), None);
        assert_eq!(average_tenths(17, 2), Some(85));
        assert_eq!(average_tenths(10, 3), Some(33));
        assert_eq!(average_tenths(20, 3), Some(67));
        assert_eq!(average_tenths(1, 1), Some(10));
    }
}
