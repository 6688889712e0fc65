//! Ownership: which movies a user may watch. One row per (user, movie); granted by a verified
//! payment and revoked by a refund, only inside the caller's transaction.

use cinema_catalog::movies::MovieSummary;
use cinema_kernel::page::{Page, PageRequest};
use cinema_kernel::{MovieId, OrderId, UserId};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, JoinType, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, NullOrdering, OnConflict, Order},
};

use crate::{
    Result,
    cart::catalog_error,
    entity::{ownership, watch_progress},
};

/// Whether `user_id` owns `movie_id`: one primary-key lookup.
pub async fn owns<C: ConnectionTrait>(db: &C, user_id: UserId, movie_id: MovieId) -> Result<bool> {
    let user_id = user_id.get();
    let movie_id = movie_id.get();
    Ok(ownership::Entity::find_by_id((user_id, movie_id))
        .select_only()
        .column(ownership::Column::MovieId)
        .into_tuple::<i64>()
        .one(db)
        .await?
        .is_some())
}

/// Grants these movies to the user (paid by `order_id`); a movie already owned stays as it
/// was, never granted twice. Returns how many were new.
pub async fn grant_in(
    txn: &DatabaseTransaction,
    user_id: UserId,
    movie_ids: &[MovieId],
    order_id: Option<OrderId>,
    now: i64,
) -> Result<u64> {
    let movie_ids = &cinema_kernel::ids::raw(movie_ids)[..];
    let order_id = order_id.map(OrderId::get);
    let user_id = user_id.get();
    if movie_ids.is_empty() {
        return Ok(0);
    }
    let rows = movie_ids.iter().map(|&movie_id| ownership::ActiveModel {
        user_id: Set(user_id),
        movie_id: Set(movie_id),
        order_id: Set(order_id),
        granted_at: Set(now),
    });
    crate::holds::own(txn, user_id, movie_ids, order_id, now).await?;
    let inserted = ownership::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([ownership::Column::UserId, ownership::Column::MovieId])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
    Ok(inserted)
}

/// Takes back the movies an order granted (a refund). Returns how many.
pub async fn revoke_order_in(
    txn: &DatabaseTransaction,
    user_id: UserId,
    order_id: OrderId,
) -> Result<u64> {
    let user_id = user_id.get();
    let order_id = order_id.get();
    crate::holds::disown(txn, user_id, order_id).await?;
    Ok(ownership::Entity::delete_many()
        .filter(ownership::Column::UserId.eq(user_id))
        .filter(ownership::Column::OrderId.eq(order_id))
        .exec(txn)
        .await?
        .rows_affected)
}

/// Takes back these movies, however they were granted. Returns how many.
pub async fn revoke_in(
    txn: &DatabaseTransaction,
    user_id: UserId,
    movie_ids: &[MovieId],
) -> Result<u64> {
    let movie_ids = &cinema_kernel::ids::raw(movie_ids)[..];
    let user_id = user_id.get();
    Ok(ownership::Entity::delete_many()
        .filter(ownership::Column::UserId.eq(user_id))
        .filter(ownership::Column::MovieId.is_in(movie_ids.iter().copied()))
        .exec(txn)
        .await?
        .rows_affected)
}

/// A movie in a library.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owned {
    /// The movie, as lists show it.
    pub movie: MovieSummary,
    /// When it was granted (epoch milliseconds).
    pub granted_at: i64,
    /// The order that paid for it (`None` for a grant without one).
    pub order_id: Option<i64>,
}

/// The order of a library page.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LibrarySort {
    /// Most recently acquired first.
    #[default]
    Acquired,
    /// Most recently watched first ("continue watching"), then the never watched by
    /// acquisition.
    RecentlyWatched,
}

/// The user's movies, most recently acquired first, each as the catalog lists it: four
/// queries, whatever the page size.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    user_id: UserId,
    page: PageRequest,
) -> Result<Page<Owned>> {
    let user_id = user_id.get();
    list_sorted(db, UserId(user_id), page, LibrarySort::Acquired).await
}

/// [`list`] in the given order.
pub async fn list_sorted<C: ConnectionTrait>(
    db: &C,
    user_id: UserId,
    page: PageRequest,
    sort: LibrarySort,
) -> Result<Page<Owned>> {
    let user_id = user_id.get();
    let mine = ownership::Entity::find().filter(ownership::Column::UserId.eq(user_id));
    let total = mine.clone().count(db).await?;
    let ordered = match sort {
        LibrarySort::Acquired => mine,
        LibrarySort::RecentlyWatched => mine
            .join(
                JoinType::LeftJoin,
                ownership::Entity::belongs_to(watch_progress::Entity)
                    .from((ownership::Column::UserId, ownership::Column::MovieId))
                    .to((
                        watch_progress::Column::UserId,
                        watch_progress::Column::MovieId,
                    ))
                    .into(),
            )
            .order_by_with_nulls(
                Expr::col((watch_progress::Entity, watch_progress::Column::UpdatedAt)),
                Order::Desc,
                NullOrdering::Last,
            ),
    };
    let rows = ordered
        .order_by_desc(ownership::Column::GrantedAt)
        .order_by_desc(ownership::Column::MovieId)
        .offset(page.skip())
        .limit(page.limit())
        .all(db)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.movie_id).collect();
    let mut movies: std::collections::HashMap<i64, MovieSummary> =
        cinema_catalog::movies::summaries_of(db, &ids)
            .await
            .map_err(catalog_error)?
            .into_iter()
            .map(|s| (s.movie.id, s))
            .collect();
    // An owned movie cannot be deleted (the foreign key restricts it), so every row has one.
    let items = rows
        .into_iter()
        .filter_map(|row| {
            movies.remove(&row.movie_id).map(|movie| Owned {
                movie,
                granted_at: row.granted_at,
                order_id: row.order_id,
            })
        })
        .collect();
    Ok(Page::new(items, total, page))
}
