//! The cart: movies a user means to buy — the user's holds of kind `cart` (see `holds.rs`).
//! Reading it never writes; adding is one statement, refused by the holds' key when the movie
//! is already held in any way.

use cinema_kernel::Fail;
use cinema_kernel::{MovieId, UserId};
use std::collections::{HashMap, HashSet};

use cinema_catalog::{entity::movie, movies::MovieSummary};
use cinema_kernel::{Money, db};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, EntityTrait,
    QueryFilter, QuerySelect,
};

use crate::{
    Commerce, Error, Result, SkipReason, Skipped,
    batch::Outcome,
    entity::hold,
    holds::{
        Holding, cart_lines, cart_with_movies, holdings, take_for_cart, take_for_cart_statement,
    },
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

impl Commerce {
    /// The cart with each movie as the catalog lists it: three queries, whatever its size.
    pub async fn cart<C: ConnectionTrait>(&self, db: &C, user_id: UserId) -> Result<Cart> {
        let user_id = user_id.get();
        let lines = cart_lines(db, user_id).await?;
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
        let prices: Vec<i64> = cart_with_movies(user_id)
            .column(movie::Column::PriceCents)
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
    /// cart → [`Error::AlreadyInCart`] (also when a concurrent add won). No transaction: the
    /// hold, which the database refuses when the movie is held already, and the movie as lists
    /// show it; only a refused add reads what the user holds, to say why. On PostgreSQL the
    /// adds made at the same moment (by anyone) go to the database together, one statement for
    /// all of them: each is answered as if alone (see `batch.rs`).
    pub async fn add_to_cart(
        &self,
        db: &DatabaseConnection,
        user_id: UserId,
        movie_id: MovieId,
    ) -> Result<CartLine> {
        if db.get_database_backend() == DbBackend::Postgres {
            let (user_id, movie_id, now) = (user_id.get(), movie_id.get(), self.now());
            match self.batches.add(db, user_id, movie_id, now).await {
                Outcome::Added(movie) => {
                    return Ok(CartLine {
                        movie,
                        added_at: now,
                    });
                }
                Outcome::Refused => {
                    return Err(self.why_not_added(db, user_id, movie_id, now).await?);
                }
                Outcome::Failed(e) => return Err(e.into()),
                Outcome::Alone => {}
            }
        }
        self.add_to_cart_in(db, user_id, movie_id).await
    }

    /// [`Commerce::add_to_cart`] on any connection, or inside the caller's transaction.
    pub async fn add_to_cart_in<C: ConnectionTrait>(
        &self,
        db: &C,
        user_id: UserId,
        movie_id: MovieId,
    ) -> Result<CartLine> {
        let user_id = user_id.get();
        let movie_id = movie_id.get();
        let now = self.now();
        let taken = if db.get_database_backend() == DbBackend::Postgres {
            // One round trip: the hold, and the movie read by the same statement.
            let write = take_for_cart_statement(user_id, movie_id, now);
            cinema_catalog::movies::summary_after_write(db, MovieId(movie_id), write).await
        } else {
            // In-process: two statements cost nothing, and SQLite has no writing `WITH`.
            self.read_then_take(db, user_id, movie_id, now).await
        };
        match taken {
            Ok(Some(movie)) => Ok(CartLine {
                movie,
                added_at: now,
            }),
            Ok(None) => Err(self.why_not_added(db, user_id, movie_id, now).await?),
            Err(cinema_catalog::Error::Common(cinema_kernel::Common::Database(e)))
                if db::is_foreign_key_violation(&e.0) =>
            {
                Err(Error::not_found(format!("Movie {movie_id}")))
            }
            Err(e) => Err(catalog_error(e)),
        }
    }

    /// The movie, then its hold: `None` when either is refused.
    async fn read_then_take<C: ConnectionTrait>(
        &self,
        db: &C,
        user_id: i64,
        movie_id: i64,
        now: i64,
    ) -> cinema_catalog::Result<Option<MovieSummary>> {
        let Some(movie) = cinema_catalog::movies::summaries_of(db, &[movie_id])
            .await?
            .pop()
        else {
            return Ok(None);
        };
        Ok(match take_for_cart(db, user_id, &[movie_id], now).await? {
            0 => None,
            _ => Some(movie),
        })
    }

    /// Why an add was refused: the movie does not exist, or what the user holds of it.
    async fn why_not_added<C: ConnectionTrait>(
        &self,
        db: &C,
        user_id: i64,
        movie_id: i64,
        now: i64,
    ) -> Result<Error> {
        Ok(
            match holdings(db, user_id, &[movie_id], now)
                .await?
                .get(&movie_id)
            {
                Some(Holding::Owned) => Error::AlreadyOwned { movie_id },
                Some(Holding::InPendingOrder(order_id)) => Error::InPendingOrder {
                    movie_id,
                    order_id: *order_id,
                },
                Some(Holding::InCart) => Error::AlreadyInCart { movie_id },
                // Not held: the movie does not exist (or the hold was released since the refusal,
                // which a retry will find).
                None if cinema_catalog::movies::summaries_of(db, &[movie_id])
                    .await
                    .map_err(catalog_error)?
                    .is_empty() =>
                {
                    Error::not_found(format!("Movie {movie_id}"))
                }
                None => Error::AlreadyInCart { movie_id },
            },
        )
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
        let deleted = hold::Entity::delete_many()
            .filter(hold::Column::UserId.eq(user_id))
            .filter(hold::Column::MovieId.eq(movie_id))
            .filter(hold::Column::Kind.eq(hold::CART))
            .exec(db)
            .await?
            .rows_affected;
        if deleted == 0 {
            return Err(Error::not_found(format!("Movie {movie_id} in the cart")));
        }
        Ok(())
    }

    /// Empties the cart; returns how many movies it held.
    pub async fn clear_cart(&self, db: &DatabaseConnection, user_id: UserId) -> Result<u64> {
        let user_id = user_id.get();
        let deleted = hold::Entity::delete_many()
            .filter(hold::Column::UserId.eq(user_id))
            .filter(hold::Column::Kind.eq(hold::CART))
            .exec(db)
            .await?
            .rows_affected;
        Ok(deleted)
    }

    /// Merges a guest cart (movie ids kept in a browser before signing in) into the user's
    /// cart: each id once, in the order sent; unknown, owned, already carted or pending
    /// movies are skipped with their reason. Three statements, whatever the number of ids.
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
        // A movie held meanwhile by a concurrent add stays as that add left it.
        take_for_cart(txn, user_id, &merged.added, now).await?;
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
