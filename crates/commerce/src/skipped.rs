//! Why a movie was left out of an order or a guest-cart merge, and the one query that finds
//! what a user already holds (owned, in the cart, in a pending order).

use std::collections::HashMap;

use sea_orm::{
    ConnectionTrait, FromQueryResult,
    sea_query::{Alias, Expr, ExprTrait, JoinType, Query, SelectStatement, UnionType},
};

use crate::{
    OrderStatus, Result,
    entity::{cart_item, order, order_item, ownership},
};

/// Why a movie was left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    /// The user owns it already: repeat purchases are not allowed.
    AlreadyOwned,
    /// It is in another pending order of the user.
    InPendingOrder {
        /// That order.
        order_id: i64,
    },
    /// It is in the cart already (guest-cart merge).
    AlreadyInCart,
    /// It does not exist (any more).
    Unavailable,
}

impl SkipReason {
    /// A stable code for clients.
    pub fn code(self) -> &'static str {
        match self {
            SkipReason::AlreadyOwned => "already_owned",
            SkipReason::InPendingOrder { .. } => "in_pending_order",
            SkipReason::AlreadyInCart => "already_in_cart",
            SkipReason::Unavailable => "unavailable",
        }
    }

    /// The same, for a person.
    pub fn message(self) -> String {
        match self {
            SkipReason::AlreadyOwned => "already owned: repeat purchases are not allowed".into(),
            SkipReason::InPendingOrder { order_id } => {
                format!("already in your pending order {order_id}")
            }
            SkipReason::AlreadyInCart => "already in the cart".into(),
            SkipReason::Unavailable => "no longer available".into(),
        }
    }
}

/// A movie left out, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Skipped {
    /// The movie.
    pub movie_id: i64,
    /// Why it was left out.
    pub reason: SkipReason,
}

/// `movie 3 (already owned…), movie 5 (…)`.
pub(crate) fn describe(skipped: &[Skipped]) -> String {
    skipped
        .iter()
        .map(|s| format!("movie {} ({})", s.movie_id, s.reason.message()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What a user already has of a movie, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Holding {
    Owned,
    InPendingOrder(i64),
    InCart,
}

impl Holding {
    fn rank(kind: i64, order_id: i64) -> Option<Self> {
        match kind {
            0 => Some(Holding::Owned),
            1 => Some(Holding::InPendingOrder(order_id)),
            2 => Some(Holding::InCart),
            _ => None,
        }
    }
}

#[derive(Debug, FromQueryResult)]
struct HoldingRow {
    movie_id: i64,
    kind: i64,
    order_id: i64,
}

fn tagged(kind: i64) -> SelectStatement {
    Query::select()
        .expr_as(Expr::val(kind), Alias::new("kind"))
        .to_owned()
}

/// What `user_id` holds of these movies, in one query: owned, in a pending order that has not
/// run out (`now`), or in the cart. A movie held several ways reports the strongest.
pub(crate) async fn holdings<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
    movie_ids: &[i64],
    now: i64,
) -> Result<HashMap<i64, Holding>> {
    if movie_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let ids = || movie_ids.iter().copied();
    let mut owned = tagged(0);
    owned
        .expr_as(
            Expr::col(ownership::Column::MovieId),
            Alias::new("movie_id"),
        )
        .expr_as(Expr::val(0i64), Alias::new("order_id"))
        .from(ownership::Entity)
        .and_where(Expr::col(ownership::Column::UserId).eq(user_id))
        .and_where(Expr::col(ownership::Column::MovieId).is_in(ids()));
    let mut pending = tagged(1);
    pending
        .expr_as(
            Expr::col((order_item::Entity, order_item::Column::MovieId)),
            Alias::new("movie_id"),
        )
        .expr_as(
            Expr::col((order::Entity, order::Column::Id)),
            Alias::new("order_id"),
        )
        .from(order_item::Entity)
        .join(
            JoinType::InnerJoin,
            order::Entity,
            Expr::col((order::Entity, order::Column::Id))
                .equals((order_item::Entity, order_item::Column::OrderId)),
        )
        .and_where(Expr::col((order::Entity, order::Column::UserId)).eq(user_id))
        .and_where(
            Expr::col((order::Entity, order::Column::Status)).eq(OrderStatus::Pending.as_str()),
        )
        .and_where(Expr::col((order::Entity, order::Column::ExpiresAt)).gt(now))
        .and_where(Expr::col((order_item::Entity, order_item::Column::MovieId)).is_in(ids()));
    let mut carted = tagged(2);
    carted
        .expr_as(
            Expr::col(cart_item::Column::MovieId),
            Alias::new("movie_id"),
        )
        .expr_as(Expr::val(0i64), Alias::new("order_id"))
        .from(cart_item::Entity)
        .and_where(Expr::col(cart_item::Column::UserId).eq(user_id))
        .and_where(Expr::col(cart_item::Column::MovieId).is_in(ids()));
    owned.union(UnionType::All, pending);
    owned.union(UnionType::All, carted);
    let backend = db.get_database_backend();
    let mut found: HashMap<i64, Holding> = HashMap::new();
    for row in HoldingRow::find_by_statement(backend.build(&owned))
        .all(db)
        .await?
    {
        if let Some(holding) = Holding::rank(row.kind, row.order_id) {
            found
                .entry(row.movie_id)
                .and_modify(|h| *h = (*h).min(holding))
                .or_insert(holding);
        }
    }
    Ok(found)
}
