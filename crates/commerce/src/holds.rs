//! Holds (see [`crate::entity::hold`]): what a user holds of a movie, and the statements that
//! take, move and release holds. The primary key `(user_id, movie_id)` is the whole
//! concurrency story of the cart: two adds of one movie, an add racing an order or a payment —
//! the database refuses the second hold itself, so no request locks the user or reads what
//! the user holds first.

use std::collections::HashMap;

use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
    sea_query::{Alias, Expr, ExprTrait, InsertStatement, JoinType, OnConflict, Order, Query},
};

use crate::{Result, entity::hold};

/// What a user already has of a movie.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Holding {
    Owned,
    InPendingOrder(i64),
    InCart,
}

/// What `user_id` holds of these movies, in one query: owned, in a pending order that has not
/// run out (`now`), or in the cart. Only the holds are read: an order's hold is released when
/// the order is canceled or expires, and holds nothing past the order's time anyway.
pub(crate) async fn holdings<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
    movie_ids: &[i64],
    now: i64,
) -> Result<HashMap<i64, Holding>> {
    if movie_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(i64, String, Option<i64>, Option<i64>)> = hold::Entity::find()
        .select_only()
        .columns([
            hold::Column::MovieId,
            hold::Column::Kind,
            hold::Column::OrderId,
            hold::Column::ExpiresAt,
        ])
        .filter(hold::Column::UserId.eq(user_id))
        .filter(hold::Column::MovieId.is_in(movie_ids.iter().copied()))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(movie_id, kind, order_id, expires_at)| {
            let holding = match kind.as_str() {
                hold::OWNED => Holding::Owned,
                hold::CART => Holding::InCart,
                hold::ORDER if expires_at.is_some_and(|e| e > now) => {
                    Holding::InPendingOrder(order_id.unwrap_or_default())
                }
                _ => return None,
            };
            Some((movie_id, holding))
        })
        .collect())
}

/// Puts these movies in the user's cart, in one statement: a movie held in no way is added,
/// one held only by an order that no longer holds it (canceled, expired — even before the
/// expiry job ran) is taken back into the cart, anything else is left as it is. Returns how
/// many rows changed. A movie that does not exist is a foreign-key violation, left to the
/// caller to name.
pub(crate) async fn take_for_cart<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
    movie_ids: &[i64],
    now: i64,
) -> std::result::Result<u64, sea_orm::DbErr> {
    if movie_ids.is_empty() {
        return Ok(0);
    }
    let rows = movie_ids
        .iter()
        .map(|&movie_id| cart_hold(user_id, movie_id, now));
    hold::Entity::insert_many(rows)
        .on_conflict(take_back_stale(Expr::val(now)))
        .exec_without_returning(db)
        .await
}

/// [`take_for_cart`] of one movie, returning the movie when it was taken: to run as the first
/// half of one statement that also reads the movie (PostgreSQL).
pub(crate) fn take_for_cart_statement(user_id: i64, movie_id: i64, now: i64) -> InsertStatement {
    let mut insert = hold::Entity::insert(cart_hold(user_id, movie_id, now))
        .on_conflict(take_back_stale(Expr::val(now)))
        .into_query();
    insert.returning_col(hold::Column::MovieId);
    insert
}

/// Many users' adds in one statement (PostgreSQL), the columns `users`, `movies` and `times`
/// read as rows — each add's time its own "now" for [`take_for_cart`]'s rule — returning the
/// `user_id` and `movie_id` of each hold taken. An add of a movie that does not exist is left
/// out by the join with movies. The rows go in (user, movie) order, so two such statements
/// lock holds in the same order and cannot deadlock. The statement's text is the same
/// whatever the number of adds: one prepared statement.
pub(crate) fn take_many_for_cart_statement(
    users: Vec<i64>,
    movies: Vec<i64>,
    times: Vec<i64>,
) -> std::result::Result<InsertStatement, sea_orm::DbErr> {
    use cinema_catalog::entity::movie;
    let v = Alias::new("v");
    let (user_id, movie_id, added_at) = (
        Alias::new("user_id"),
        Alias::new("movie_id"),
        Alias::new("added_at"),
    );
    // Set-returning functions in one select list advance together: row i holds add i.
    let adds = Query::select()
        .expr_as(
            Expr::cust_with_values("unnest($1)", [users]),
            user_id.clone(),
        )
        .expr_as(
            Expr::cust_with_values("unnest($1)", [movies]),
            movie_id.clone(),
        )
        .expr_as(
            Expr::cust_with_values("unnest($1)", [times]),
            added_at.clone(),
        )
        .to_owned();
    let rows = Query::select()
        .column((v.clone(), user_id.clone()))
        .column((v.clone(), movie_id.clone()))
        .column((v.clone(), added_at.clone()))
        .expr(Expr::val(hold::CART))
        .from_subquery(adds, v.clone())
        .join(
            JoinType::InnerJoin,
            movie::Entity,
            Expr::col((movie::Entity, movie::Column::Id)).equals((v.clone(), movie_id.clone())),
        )
        .order_by((v.clone(), user_id), Order::Asc)
        .order_by((v, movie_id), Order::Asc)
        .to_owned();
    let mut insert = Query::insert();
    insert.into_table(hold::Entity).columns([
        hold::Column::UserId,
        hold::Column::MovieId,
        hold::Column::AddedAt,
        hold::Column::Kind,
    ]);
    // Refused only when the columns and the select's do not match in number.
    insert
        .select_from(rows)
        .map_err(|e| sea_orm::DbErr::Custom(e.to_string()))?;
    let excluded = Alias::new("excluded");
    insert
        .on_conflict(take_back_stale(Expr::col((
            excluded,
            hold::Column::AddedAt,
        ))))
        .returning(Query::returning().columns([hold::Column::UserId, hold::Column::MovieId]));
    Ok(insert)
}

/// A new hold of `movie_id` in the user's cart.
fn cart_hold(user_id: i64, movie_id: i64, now: i64) -> hold::ActiveModel {
    hold::ActiveModel {
        user_id: Set(user_id),
        movie_id: Set(movie_id),
        added_at: Set(now),
        kind: Set(hold::CART.to_owned()),
        order_id: Set(None),
        expires_at: Set(None),
    }
}

/// On a conflict, only a hold whose order ran out by `now` is taken back into the cart. Only
/// the conflicting row's own columns: PostgreSQL evaluates them on the row it waited for, but
/// would evaluate a sub-select here on the statement's older snapshot.
fn take_back_stale(now: Expr) -> OnConflict {
    OnConflict::columns([hold::Column::UserId, hold::Column::MovieId])
        .update_columns([
            hold::Column::Kind,
            hold::Column::OrderId,
            hold::Column::AddedAt,
            hold::Column::ExpiresAt,
        ])
        .action_and_where(
            Expr::col((hold::Entity, hold::Column::Kind))
                .eq(hold::ORDER)
                .and(Expr::col((hold::Entity, hold::Column::ExpiresAt)).lte(now)),
        )
        .to_owned()
}

/// Moves these cart holds of the user to `order_id` (holding until `expires_at`); returns the
/// movies moved. A concurrent
/// placement that moved them first leaves nothing to move here (the row lock makes this one
/// wait, then re-read the kind).
pub(crate) async fn move_to_order<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
    movie_ids: &[i64],
    order_id: i64,
    expires_at: i64,
) -> Result<Vec<i64>> {
    Ok(hold::Entity::update_many()
        .col_expr(hold::Column::Kind, Expr::value(hold::ORDER))
        .col_expr(hold::Column::OrderId, Expr::value(order_id))
        .col_expr(hold::Column::ExpiresAt, Expr::value(expires_at))
        .filter(hold::Column::UserId.eq(user_id))
        .filter(hold::Column::Kind.eq(hold::CART))
        .filter(hold::Column::MovieId.is_in(movie_ids.iter().copied()))
        .exec_with_returning(db)
        .await?
        .into_iter()
        .map(|h| h.movie_id)
        .collect())
}

/// Releases the holds of these orders (canceled, expired): their movies may be added again.
pub(crate) async fn release_orders<C: ConnectionTrait>(db: &C, order_ids: &[i64]) -> Result<()> {
    if order_ids.is_empty() {
        return Ok(());
    }
    hold::Entity::delete_many()
        .filter(hold::Column::Kind.eq(hold::ORDER))
        .filter(hold::Column::OrderId.is_in(order_ids.iter().copied()))
        .exec(db)
        .await?;
    Ok(())
}

/// The user owns these movies now (bought by `order_id`): whatever held them — the order, or
/// the cart they went back into after the order ran out — becomes the `owned` hold.
pub(crate) async fn own<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
    movie_ids: &[i64],
    order_id: Option<i64>,
    now: i64,
) -> Result<()> {
    if movie_ids.is_empty() {
        return Ok(());
    }
    let rows = movie_ids.iter().map(|&movie_id| hold::ActiveModel {
        user_id: Set(user_id),
        movie_id: Set(movie_id),
        added_at: Set(now),
        kind: Set(hold::OWNED.to_owned()),
        order_id: Set(order_id),
        expires_at: Set(None),
    });
    hold::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([hold::Column::UserId, hold::Column::MovieId])
                .update_columns([
                    hold::Column::Kind,
                    hold::Column::OrderId,
                    hold::Column::ExpiresAt,
                ])
                // Owned already: it stays owned by the order that bought it first.
                .action_and_where(Expr::col((hold::Entity, hold::Column::Kind)).ne(hold::OWNED))
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// A refund: the movies `order_id` bought are no longer held.
pub(crate) async fn disown<C: ConnectionTrait>(db: &C, user_id: i64, order_id: i64) -> Result<()> {
    hold::Entity::delete_many()
        .filter(hold::Column::UserId.eq(user_id))
        .filter(hold::Column::Kind.eq(hold::OWNED))
        .filter(hold::Column::OrderId.eq(order_id))
        .exec(db)
        .await?;
    Ok(())
}

/// The user's cart holds joined with their movies, selecting nothing yet: the caller picks
/// the columns.
pub(crate) fn cart_with_movies(user_id: i64) -> sea_orm::Select<hold::Entity> {
    use cinema_catalog::entity::movie;
    hold::Entity::find()
        .select_only()
        .join(
            sea_orm::JoinType::InnerJoin,
            hold::Entity::belongs_to(movie::Entity)
                .from(hold::Column::MovieId)
                .to(movie::Column::Id)
                .into(),
        )
        .filter(hold::Column::UserId.eq(user_id))
        .filter(hold::Column::Kind.eq(hold::CART))
}

/// The ids and times of a user's cart, oldest first.
pub(crate) async fn cart_lines<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
) -> Result<Vec<(i64, i64)>> {
    Ok(hold::Entity::find()
        .select_only()
        .columns([hold::Column::MovieId, hold::Column::AddedAt])
        .filter(hold::Column::UserId.eq(user_id))
        .filter(hold::Column::Kind.eq(hold::CART))
        .order_by_asc(hold::Column::AddedAt)
        .order_by_asc(hold::Column::MovieId)
        .into_tuple()
        .all(db)
        .await?)
}
