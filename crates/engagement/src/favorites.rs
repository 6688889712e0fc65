//! Favorites, listed through the catalog's own list query, and what a user has done with one
//! movie.

use cinema_catalog::movies::{self, LinkedTo, MovieFilter, MovieSummary, Sort};
use cinema_kernel::{MovieId, UserId};
use cinema_kernel::{
    db,
    page::{Page, PageRequest},
};
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, DatabaseConnection, EntityTrait, sea_query::OnConflict,
};

use crate::{
    Engagement, Mine, Reaction, Result,
    entity::{favorite, rating, reaction},
    lock_movie,
};

impl Engagement {
    /// Adds a movie to the user's favorites; `false` when it was there already.
    pub async fn add_favorite(
        &self,
        db: &DatabaseConnection,
        user_id: UserId,
        movie_id: MovieId,
    ) -> Result<bool> {
        let user_id = user_id.get();
        let movie_id = movie_id.get();
        let txn = db::begin_write(db).await?;
        // The movie exists until this commits (a deletion waits, then takes the row along).
        lock_movie(&txn, movie_id).await?;
        let added = favorite::Entity::insert(favorite::ActiveModel {
            user_id: Set(user_id),
            movie_id: Set(movie_id),
            created_at: Set(self.now()),
        })
        .on_conflict(
            OnConflict::columns([favorite::Column::UserId, favorite::Column::MovieId])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
        txn.commit().await?;
        Ok(added > 0)
    }

    /// Removes a movie from the user's favorites; `false` when it was not there.
    pub async fn remove_favorite(
        &self,
        db: &DatabaseConnection,
        user_id: UserId,
        movie_id: MovieId,
    ) -> Result<bool> {
        let user_id = user_id.get();
        let movie_id = movie_id.get();
        let removed = favorite::Entity::delete_by_id((user_id, movie_id))
            .exec(db)
            .await?
            .rows_affected;
        Ok(removed > 0)
    }

    /// The user's favorites with every catalog filter, search and sort: the catalog's list
    /// narrowed to the user's rows of `favorites`.
    pub async fn favorites<C: ConnectionTrait>(
        &self,
        db: &C,
        user_id: UserId,
        filter: MovieFilter,
        sort: Option<Sort>,
        page: PageRequest,
    ) -> Result<Page<MovieSummary>> {
        let user_id = user_id.get();
        let filter = filter.linked_to(LinkedTo {
            table: "favorites",
            owner_column: "user_id",
            owner: user_id,
        });
        Ok(movies::list(db, &filter, sort, page).await?)
    }

    /// The user's reaction, rating and favorite for one movie: three primary-key lookups.
    pub async fn mine<C: ConnectionTrait>(
        &self,
        db: &C,
        user_id: UserId,
        movie_id: MovieId,
    ) -> Result<Mine> {
        let user_id = user_id.get();
        let movie_id = movie_id.get();
        let reaction = reaction::Entity::find_by_id((user_id, movie_id))
            .one(db)
            .await?
            .and_then(|r| Reaction::from_value(r.kind));
        let rating = rating::Entity::find_by_id((user_id, movie_id))
            .one(db)
            .await?
            .map(|r| r.score);
        let favorite = favorite::Entity::find_by_id((user_id, movie_id))
            .one(db)
            .await?
            .is_some();
        Ok(Mine {
            reaction,
            rating,
            favorite,
        })
    }
}
