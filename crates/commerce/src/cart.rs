//! The cart: movies a user means to buy. Reading it never writes; every change locks the user
//! (see `lock.rs`) so it cannot interleave with an order being placed from the same cart.

use cinema_kernel::Fail;
use cinema_kernel::{MovieId, UserId};
use std::collections::{HashMap, HashSet};

use cinema_catalog::{entity::movie, movies::MovieSummary};
use cinema_kernel::{Money, db};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, sea_query::JoinType,
};

use crate::{
    Commerce, Error, Result, SkipReason, Skipped,
    entity::cart_item,
    lock::lock_user,
    skipped::{Holding, holdings},
};

/// A movie in the cart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CartLine {
    /// The movie, as lists show it.
    pub movie: MovieSummary,
    /// When it was added (epoch milliseconds).
    pub added_at: i64,
}

/// A user's cart, oldest addition first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cart {
    /// Whose cart.
    pub user_id: i64,
    /// Its movies, oldest addition first.
    pub lines: Vec<CartLine>,
}

impl Cart {
    /// The sum of the current prices; past `limit` it is [`Error::TotalTooLarge`].
    pub fn total(&self, limit: Money) -> Result<Money> {
        Money::checked_sum(self.lines.iter().map(|l| l.movie.movie.price_cents))
            .filter(|total| *total <= limit)
            .ok_or(Error::TotalTooLarge { limit })
    }
}

/// How many movies are in a cart and what they cost now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CartTotal {
    /// How many movies.
    pub items: u64,
    /// Their sum at current prices.
    pub price: Money,
}

/// What a guest-cart merge did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Merged {
    /// Movies added to the cart, in the order sent.
    pub added: Vec<i64>,
    /// Movies left out, and why.
    pub skipped: Vec<Skipped>,
}

/// The ids and times of a user's cart, oldest first.
pub(crate) async fn lines<C: ConnectionTrait>(db: &C, user_id: i64) -> Result<Vec<(i64, i64)>> {
    Ok(cart_item::Entity::find()
        .select_only()
        .columns([cart_item::Column::MovieId, cart_item::Column::AddedAt])
        .filter(cart_item::Column::UserId.eq(user_id))
        .order_by_asc(cart_item::Column::AddedAt)
        .order_by_asc(cart_item::Column::MovieId)
        .into_tuple()
        .all(db)
        .await?)
}

impl Commerce {
    /// The cart with each movie as the catalog lists it: three queries, whatever its size.
    pub async fn cart<C: ConnectionTrait>(&self, db: &C, user_id: UserId) -> Result<Cart> {
        let user_id = user_id.get();
        let lines = lines(db, user_id).await?;
        let ids: Vec<i64> = lines.iter().map(|(id, _)| *id).collect();
        let mut movies: HashMap<i64, MovieSummary> = cinema_catalog::movies::summaries_of(db, &ids)
            .await
            .map_err(catalog_error)?
            .into_iter()
            .map(|s| (s.movie.id, s))
            .collect();
        // A movie deleted between the two reads has left the cart with it.
        let lines = lines
            .into_iter()
            .filter_map(|(id, added_at)| {
                movies.remove(&id).map(|movie| CartLine { movie, added_at })
            })
            .collect();
        Ok(Cart { user_id, lines })
    }

    /// How many movies the cart holds and their current total. The prices are summed here,
    /// checked, not by SQL's `SUM`, whose overflow is an error on PostgreSQL and SQLite alike;
    /// past `max_total` it is [`Error::TotalTooLarge`].
    pub async fn cart_total<C: ConnectionTrait>(
        &self,
        db: &C,
        user_id: UserId,
    ) -> Result<CartTotal> {
        let user_id = user_id.get();
        let prices: Vec<i64> = cart_item::Entity::find()
            .select_only()
            .column(movie::Column::PriceCents)
            .join(
                JoinType::InnerJoin,
                cart_item::Entity::belongs_to(movie::Entity)
                    .from(cart_item::Column::MovieId)
                    .to(movie::Column::Id)
                    .into(),
            )
            .filter(cart_item::Column::UserId.eq(user_id))
            .into_tuple()
            .all(db)
            .await?;
        let limit = self.config().max_total;
        let price = Money::checked_sum(prices.iter().copied())
            .filter(|total| *total <= limit)
            .ok_or(Error::TotalTooLarge { limit })?;
        Ok(CartTotal {
            items: prices.len() as u64,
            price,
        })
    }

    /// Adds a movie to the cart: unknown → [`Common::NotFound`](cinema_kernel::Common::NotFound), owned →
    /// [`Error::AlreadyOwned`], in a pending order → [`Error::InPendingOrder`], already in the
    /// cart → [`Error::AlreadyInCart`] (also when a concurrent add won).
    pub async fn add_to_cart(
        &self,
        db: &DatabaseConnection,
        user_id: UserId,
        movie_id: MovieId,
    ) -> Result<CartLine> {
        let user_id = user_id.get();
        let movie_id = movie_id.get();
        let txn = db::begin_write(db).await?;
        let line = self
            .add_to_cart_in(&txn, UserId(user_id), MovieId(movie_id))
            .await?;
        txn.commit().await?;
        Ok(line)
    }

    /// [`Commerce::add_to_cart`] inside the caller's transaction.
    pub async fn add_to_cart_in(
        &self,
        txn: &DatabaseTransaction,
        user_id: UserId,
        movie_id: MovieId,
    ) -> Result<CartLine> {
        let user_id = user_id.get();
        let movie_id = movie_id.get();
        lock_user(txn, user_id).await?;
        let Some(movie) = cinema_catalog::movies::summaries_of(txn, &[movie_id])
            .await
            .map_err(catalog_error)?
            .pop()
        else {
            return Err(Error::not_found(format!("Movie {movie_id}")));
        };
        let now = self.now();
        match holdings(txn, user_id, &[movie_id], now)
            .await?
            .get(&movie_id)
        {
            Some(Holding::Owned) => return Err(Error::AlreadyOwned { movie_id }),
            Some(Holding::InPendingOrder(order_id)) => {
                return Err(Error::InPendingOrder {
                    movie_id,
                    order_id: *order_id,
                });
            }
            Some(Holding::InCart) => return Err(Error::AlreadyInCart { movie_id }),
            None => {}
        }
        let inserted = cart_item::Entity::insert(cart_item::ActiveModel {
            user_id: Set(user_id),
            movie_id: Set(movie_id),
            added_at: Set(now),
        })
        .exec_without_returning(txn)
        .await;
        match inserted {
            Ok(_) => Ok(CartLine {
                movie,
                added_at: now,
            }),
            Err(e) if db::is_unique_violation(&e) => Err(Error::AlreadyInCart { movie_id }),
            // The movie was deleted meanwhile.
            Err(e) if db::is_foreign_key_violation(&e) => {
                Err(Error::not_found(format!("Movie {movie_id}")))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Takes a movie out of the cart; [`Common::NotFound`](cinema_kernel::Common::NotFound) if it was not there.
    pub async fn remove_from_cart(
        &self,
        db: &DatabaseConnection,
        user_id: UserId,
        movie_id: MovieId,
    ) -> Result<()> {
        let user_id = user_id.get();
        let movie_id = movie_id.get();
        let txn = db::begin_write(db).await?;
        lock_user(&txn, user_id).await?;
        let deleted = cart_item::Entity::delete_many()
            .filter(cart_item::Column::UserId.eq(user_id))
            .filter(cart_item::Column::MovieId.eq(movie_id))
            .exec(&txn)
            .await?
            .rows_affected;
        txn.commit().await?;
        if deleted == 0 {
            return Err(Error::not_found(format!("Movie {movie_id} in the cart")));
        }
        Ok(())
    }

    /// Empties the cart; returns how many movies it held.
    pub async fn clear_cart(&self, db: &DatabaseConnection, user_id: UserId) -> Result<u64> {
        let user_id = user_id.get();
        let txn = db::begin_write(db).await?;
        lock_user(&txn, user_id).await?;
        let deleted = cart_item::Entity::delete_many()
            .filter(cart_item::Column::UserId.eq(user_id))
            .exec(&txn)
            .await?
            .rows_affected;
        txn.commit().await?;
        Ok(deleted)
    }

    /// Merges a guest cart (movie ids kept in a browser before signing in) into the user's
    /// cart: each id once, in the order sent; unknown, owned, already carted or pending
    /// movies are skipped with their reason. Four statements, whatever the number of ids.
    pub async fn merge_guest_cart_in(
        &self,
        txn: &DatabaseTransaction,
        user_id: UserId,
        movie_ids: &[MovieId],
    ) -> Result<Merged> {
        let movie_ids = &cinema_kernel::ids::raw(movie_ids)[..];
        let user_id = user_id.get();
        let mut seen = HashSet::new();
        let wanted: Vec<i64> = movie_ids
            .iter()
            .copied()
            .filter(|id| seen.insert(*id))
            .collect();
        if wanted.is_empty() {
            return Ok(Merged::default());
        }
        lock_user(txn, user_id).await?;
        let existing: HashSet<i64> = movie::Entity::find()
            .select_only()
            .column(movie::Column::Id)
            .filter(movie::Column::Id.is_in(wanted.iter().copied()))
            .into_tuple::<i64>()
            .all(txn)
            .await?
            .into_iter()
            .collect();
        let now = self.now();
        let held = holdings(txn, user_id, &wanted, now).await?;
        let mut merged = Merged::default();
        for movie_id in wanted {
            let reason = match held.get(&movie_id) {
                _ if !existing.contains(&movie_id) => Some(SkipReason::Unavailable),
                Some(Holding::Owned) => Some(SkipReason::AlreadyOwned),
                Some(Holding::InPendingOrder(order_id)) => Some(SkipReason::InPendingOrder {
                    order_id: *order_id,
                }),
                Some(Holding::InCart) => Some(SkipReason::AlreadyInCart),
                None => None,
            };
            match reason {
                Some(reason) => merged.skipped.push(Skipped { movie_id, reason }),
                None => merged.added.push(movie_id),
            }
        }
        if !merged.added.is_empty() {
            cart_item::Entity::insert_many(merged.added.iter().map(|&movie_id| {
                cart_item::ActiveModel {
                    user_id: Set(user_id),
                    movie_id: Set(movie_id),
                    added_at: Set(now),
                }
            }))
            .exec_without_returning(txn)
            .await?;
        }
        Ok(merged)
    }
}

/// Catalog errors met while reading movies for commerce: the database ones stay themselves.
pub(crate) fn catalog_error(err: cinema_catalog::Error) -> Error {
    match err {
        cinema_catalog::Error::Common(common) => Error::Common(common),
        other => Error::not_found(other.to_string()),
    }
}
