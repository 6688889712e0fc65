//! Cart, order and library bodies on the wire. Money is a decimal string with two places.

use cinema_commerce::{
    Cart, CartLine, CartTotal, Merged, OrderStatus, OrderView, Placed, Skipped, entity::order_item,
};
use cinema_kernel::time::rfc3339;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::catalog::dto::{MovieListItem, NamedResponse, money};

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"movie_id": 42}))]
pub struct CartItemRequest {
    pub movie_id: i64,
}

/// A movie in the cart, at its current price.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"movie_id": 42, "title": "Inception", "price": "9.99", "year": 2010, "genres": [{"id": 1, "name": "Action"}], "added_at": "2026-12-02T10:00:00Z"}))]
pub struct CartItemResponse {
    pub movie_id: i64,
    pub title: String,
    pub price: String,
    pub year: i32,
    pub genres: Vec<NamedResponse>,
    pub added_at: String,
}

impl From<CartLine> for CartItemResponse {
    fn from(line: CartLine) -> Self {
        let m = line.movie.movie;
        Self {
            movie_id: m.id,
            title: m.name,
            price: money(m.price_cents),
            year: m.year,
            genres: line.movie.genres.into_iter().map(Into::into).collect(),
            added_at: rfc3339(line.added_at),
        }
    }
}

/// A cart, oldest addition first, with its current total.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"user_id": 7, "items": [{"movie_id": 42, "title": "Inception", "price": "9.99", "year": 2010, "genres": [{"id": 1, "name": "Action"}], "added_at": "2026-12-02T10:00:00Z"}], "total_items": 1, "total_price": "9.99"}))]
pub struct CartResponse {
    pub user_id: i64,
    pub items: Vec<CartItemResponse>,
    pub total_items: u64,
    pub total_price: String,
}

impl CartResponse {
    /// The cart with its checked total (see `Cart::total`).
    pub fn new(cart: Cart, limit: cinema_kernel::Money) -> Result<Self, cinema_commerce::Error> {
        let total_price = cart.total(limit)?.to_string();
        Ok(Self {
            user_id: cart.user_id,
            total_items: cart.lines.len() as u64,
            total_price,
            items: cart.lines.into_iter().map(Into::into).collect(),
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"total_items": 2, "total_price": "19.98"}))]
pub struct CartTotalResponse {
    pub total_items: u64,
    pub total_price: String,
}

impl From<CartTotal> for CartTotalResponse {
    fn from(t: CartTotal) -> Self {
        Self {
            total_items: t.items,
            total_price: t.price.to_string(),
        }
    }
}

/// A movie left out of an order or a guest-cart merge.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"movie_id": 5, "reason": "already_owned", "detail": "already owned: repeat purchases are not allowed"}))]
pub struct SkippedItem {
    pub movie_id: i64,
    /// `already_owned`, `in_pending_order`, `already_in_cart` or `unavailable`.
    #[schema(pattern = "^(already_owned|in_pending_order|already_in_cart|unavailable)$")]
    pub reason: &'static str,
    pub detail: String,
}

impl From<Skipped> for SkippedItem {
    fn from(s: Skipped) -> Self {
        Self {
            movie_id: s.movie_id,
            reason: s.reason.code(),
            detail: s.reason.message(),
        }
    }
}

/// What happened to a guest cart sent at sign-up or sign-in.
#[derive(Debug, Default, Serialize, ToSchema)]
#[schema(example = json!({"added": [1, 7], "skipped": [{"movie_id": 9, "reason": "unavailable", "detail": "no longer available"}]}))]
pub struct GuestCartReport {
    /// Movie ids now in the cart.
    pub added: Vec<i64>,
    pub skipped: Vec<SkippedItem>,
}

impl From<Merged> for GuestCartReport {
    fn from(m: Merged) -> Self {
        Self {
            added: m.added,
            skipped: m.skipped.into_iter().map(Into::into).collect(),
        }
    }
}

/// An order status on the wire.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum OrderStatusName {
    Pending,
    Paid,
    Canceled,
    Expired,
    Refunded,
}

impl From<OrderStatusName> for OrderStatus {
    fn from(s: OrderStatusName) -> Self {
        match s {
            OrderStatusName::Pending => OrderStatus::Pending,
            OrderStatusName::Paid => OrderStatus::Paid,
            OrderStatusName::Canceled => OrderStatus::Canceled,
            OrderStatusName::Expired => OrderStatus::Expired,
            OrderStatusName::Refunded => OrderStatus::Refunded,
        }
    }
}

impl From<OrderStatus> for OrderStatusName {
    fn from(s: OrderStatus) -> Self {
        match s {
            OrderStatus::Pending => OrderStatusName::Pending,
            OrderStatus::Paid => OrderStatusName::Paid,
            OrderStatus::Canceled => OrderStatusName::Canceled,
            OrderStatus::Expired => OrderStatusName::Expired,
            OrderStatus::Refunded => OrderStatusName::Refunded,
        }
    }
}

/// A movie in an order, at the price it was ordered at. `movie_id` is null once the movie
/// has been deleted from the catalog.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": 31, "movie_id": 42, "title": "Inception", "price_at_order": "9.99"}))]
pub struct OrderItemResponse {
    pub id: i64,
    pub movie_id: Option<i64>,
    pub title: String,
    pub price_at_order: String,
}

impl From<order_item::Model> for OrderItemResponse {
    fn from(i: order_item::Model) -> Self {
        Self {
            id: i.id,
            movie_id: i.movie_id,
            title: i.title,
            price_at_order: money(i.price_cents),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": 12, "user_id": 7, "status": "pending", "total_amount": "19.98", "created_at": "2026-12-02T10:00:00Z", "updated_at": "2026-12-02T10:00:00Z", "expires_at": "2026-12-02T10:30:00Z", "items": [{"id": 31, "movie_id": 42, "title": "Inception", "price_at_order": "9.99"}, {"id": 32, "movie_id": 43, "title": "Arrival", "price_at_order": "9.99"}]}))]
pub struct OrderResponse {
    pub id: i64,
    pub user_id: i64,
    pub status: OrderStatusName,
    pub total_amount: String,
    pub created_at: String,
    pub updated_at: String,
    /// When a pending order expires if left unpaid.
    pub expires_at: String,
    pub items: Vec<OrderItemResponse>,
}

impl From<OrderView> for OrderResponse {
    fn from(v: OrderView) -> Self {
        let status = v.status().into();
        let o = v.order;
        Self {
            id: o.id,
            user_id: o.user_id,
            status,
            total_amount: money(o.total_cents),
            created_at: rfc3339(o.created_at),
            updated_at: rfc3339(o.updated_at),
            expires_at: rfc3339(o.expires_at),
            items: v.items.into_iter().map(Into::into).collect(),
        }
    }
}

/// A new order, and the cart's movies left out of it (always none now: a cart cannot hold a
/// movie that could not be ordered).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": 12, "user_id": 7, "status": "pending", "total_amount": "9.99", "created_at": "2026-12-02T10:00:00Z", "updated_at": "2026-12-02T10:00:00Z", "expires_at": "2026-12-02T10:30:00Z", "items": [{"id": 31, "movie_id": 42, "title": "Inception", "price_at_order": "9.99"}], "skipped": []}))]
pub struct PlacedOrderResponse {
    #[serde(flatten)]
    pub order: OrderResponse,
    pub skipped: Vec<SkippedItem>,
}

impl From<Placed> for PlacedOrderResponse {
    fn from(p: Placed) -> Self {
        Self {
            order: p.order.into(),
            // Kept in the answer for clients that read it; the cart holds nothing to leave out.
            skipped: Vec::new(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"status": "canceled"}))]
pub struct OrderStatusRequest {
    /// Only `canceled` can be asked for; the others follow from payments, refunds and time.
    pub status: OrderStatusName,
}

/// A movie in the library, as the catalog lists it, with when and how it was acquired.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": 42, "uuid": "0f8fad5b-d9cb-469f-a165-70867728950e", "name": "Inception", "year": 2010, "time": 148, "imdb": 8.8, "votes": 2400000, "price": "9.99", "certification": {"id": 3, "name": "PG-13"}, "genres": [{"id": 1, "name": "Action"}], "poster_url": null, "rating_average": 8.5, "rating_count": 12, "acquired_at": "2026-12-02T10:05:00Z", "order_id": 12, "has_video": true, "position_secs": 1834, "duration_secs": 8880, "last_watched_at": "2026-12-06T19:00:00Z"}))]
pub struct LibraryItem {
    #[serde(flatten)]
    pub movie: MovieListItem,
    pub acquired_at: String,
    /// The order that paid for it.
    pub order_id: Option<i64>,
    /// Whether the movie can be played yet (`GET /library/{movie_id}/play`).
    pub has_video: bool,
    /// Where you left off, in seconds; `null` if never played.
    pub position_secs: Option<u32>,
    /// The running time in seconds (the catalog's, in whole minutes).
    pub duration_secs: u32,
    /// When you last played it.
    pub last_watched_at: Option<String>,
}

/// Where you are in a movie.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"position_secs": 1834}))]
pub struct ProgressRequest {
    /// Seconds from the start.
    #[schema(maximum = 604800)]
    pub position_secs: u32,
}

/// What was recorded.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"movie_id": 42, "position_secs": 1834, "last_watched_at": "2026-12-06T19:00:00Z"}))]
pub struct ProgressResponse {
    pub movie_id: i64,
    pub position_secs: u32,
    pub last_watched_at: String,
}
