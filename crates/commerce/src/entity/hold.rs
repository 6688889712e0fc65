//! A hold: a movie a user holds in one way — in the cart, in a pending order, or owned. One
//! row per (user, movie), so the database refuses a second hold of the same movie by its key;
//! a movie moves from the cart to an order and to the library by changing the row's kind.
//! The cart is the set of a user's `cart` holds; it has no row of its own.

use sea_orm::entity::prelude::*;

/// In the cart.
pub const CART: &str = "cart";
/// In a pending order (`order_id`) until `expires_at`; after that it holds nothing, even
/// before the expiry job releases it. Canceling the order releases it at once.
pub const ORDER: &str = "order";
/// Owned (bought by `order_id`); the library (`ownerships`) has the matching row.
pub const OWNED: &str = "owned";

/// A movie a user holds.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "holds")]
pub struct Model {
    /// The account.
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i64,
    /// The movie.
    #[sea_orm(primary_key, auto_increment = false)]
    pub movie_id: i64,
    /// When it was added to the cart (epoch milliseconds).
    pub added_at: i64,
    /// [`CART`], [`ORDER`] or [`OWNED`].
    pub kind: String,
    /// The order that holds or bought it.
    pub order_id: Option<i64>,
    /// Until when an order's hold holds: the order's own expiry (epoch milliseconds).
    pub expires_at: Option<i64>,
}

/// No relations (joins are written where they are needed).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
