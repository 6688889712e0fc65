//! Commerce: the cart, orders and their state machine, and ownership (the library).
//!
//! - [`Commerce`] is the service: cart ([`Commerce::cart`], [`Commerce::add_to_cart`], …),
//!   orders ([`Commerce::place_order`], [`Commerce::cancel_order`], [`Commerce::expire_stale`],
//!   [`Commerce::reprice_in`], [`Commerce::pay_in`], [`Commerce::refund_in`]) and the guest
//!   cart merged at sign-up and sign-in ([`Commerce::merge_guest_cart_in`]).
//! - [`status::transition`] is the one function that decides every order status change.
//! - [`library`] is ownership: [`library::owns`] answers "may this user watch this movie?" in
//!   one indexed lookup; only [`library::grant_in`] and [`library::revoke_in`] change it, inside
//!   the caller's transaction (billing's payment and refund).
//! - [`watch`]: who may play a movie ([`Commerce::may_play`]) and where each owner left off
//!   ([`Commerce::record_progress`]); the library sorts by it.
//! - [`Commerce`] implements the catalog's [`cinema_catalog::MovieReferences`]: an owned movie
//!   cannot be deleted; one in carts or pending orders only with `force`.
//!
//! Every write takes the caller's transaction in an `_in` form, so billing can mark an order
//! paid, grant ownership, record the payment and queue its e-mail in one commit. What a user
//! holds of a movie — in the cart, in a pending order, owned — is one row keyed by (user,
//! movie) (see `holds.rs`): the database refuses a second hold itself, and moving the cart into
//! an order moves rows that a concurrent placement then finds already moved, which is what
//! makes concurrent orders from one cart produce exactly one order without locking the user.
//!
//! ```no_run
//! # async fn demo(db: &sea_orm::DatabaseConnection) -> cinema_commerce::Result<()> {
//! use cinema_kernel::{MovieId, UserId};
//! // A streaming service deciding whether user 7 may watch movie 42 (typed ids: the two
//! // cannot be swapped):
//! if cinema_commerce::library::owns(db, UserId(7), MovieId(42)).await? {
//!     // start the stream
//! }
//! # Ok(())
//! # }
//! ```
//!
//! Depends on `cinema-kernel`, `cinema-identity` (users, the sign-up and sign-in flows that
//! carry a guest cart) and `cinema-catalog` (movies); never on HTTP.

#![deny(missing_docs)]

mod batch;
mod cart;
pub mod entity;
mod error;
mod guest;
mod holds;
pub mod library;
mod orders;
mod references;
mod skipped;
pub mod status;
pub mod watch;

use std::time::Duration;

use cinema_kernel::time::Clock;

pub use cart::{Cart, CartLine, CartTotal, Merged};
pub use error::{Error, Result};
pub use guest::{Registered, SignedIn};
pub use orders::{OrderFilter, OrderView, Placed, Repriced, VerifiedPayment, Viewer};
pub use skipped::{SkipReason, Skipped};
pub use status::{OrderStatus, Trigger};

/// How commerce behaves.
#[derive(Debug, Clone)]
pub struct CommerceConfig {
    /// How long an order may stay pending before the expiry job expires it.
    pub pending_ttl: Duration,
    /// The largest order total: the payment gateway's per-charge maximum. A cart or an order
    /// whose sum would pass it is refused ([`Error::TotalTooLarge`]).
    pub max_total: cinema_kernel::Money,
}

impl Default for CommerceConfig {
    fn default() -> Self {
        Self {
            pending_ttl: Duration::from_secs(30 * 60),
            max_total: MAX_CHARGE,
        }
    }
}

/// The largest amount one card payment may be (Stripe's limit for most currencies, 999,999.99),
/// and the default of [`CommerceConfig::max_total`].
pub const MAX_CHARGE: cinema_kernel::Money = cinema_kernel::Money::from_cents_const(99_999_999);

/// The commerce service. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Commerce {
    config: CommerceConfig,
    clock: Clock,
    actor: Option<cinema_kernel::audit::Actor>,
    /// Cart adds waiting to be sent together (PostgreSQL).
    batches: batch::Batches,
}

impl Commerce {
    /// The commerce service.
    pub fn new(config: CommerceConfig, clock: Clock) -> Self {
        Self {
            config,
            clock,
            actor: None,
            batches: batch::Batches::default(),
        }
    }

    /// This service with its staff writes (an admin canceling someone's order) recorded in the
    /// audit trail as `actor`'s.
    #[must_use]
    pub fn acting(&self, actor: cinema_kernel::audit::Actor) -> Self {
        Self {
            actor: Some(actor),
            ..self.clone()
        }
    }

    /// Its configuration.
    pub fn config(&self) -> &CommerceConfig {
        &self.config
    }

    fn now(&self) -> i64 {
        self.clock.now_ms()
    }
}
