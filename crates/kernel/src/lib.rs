//! Shared building blocks of Cinema that every slice uses.
//!
//! - [`ErrorKind`] and [`DomainError`]: the small vocabulary every slice's typed error maps onto,
//!   so the HTTP layer can translate any of them with one `match`.
//! - [`Money`]: exact amounts in cents, sent as `"9.99"`.
//! - [`time`]: the [`Clock`](time::Clock) every slice reads "now" from, and epoch-millisecond
//!   times, as every slice stores them.
//! - [`mail`]: the generic port through which each slice queues its own e-mails in the
//!   caller's transaction.
//! - [`metrics`]: the names of Cinema's metrics, recorded by the code that changes what they
//!   count.
//! - [`page`]: `skip`/`limit` requests and `{items, total, skip, limit}` answers.
//! - [`audit`]: the audit trail every staff write records in its own transaction.
//! - [`db`]: opening a SQLite or PostgreSQL connection with the right settings, the one way to
//!   begin a write transaction, and the one classification of database errors (a client never
//!   sees driver text: see [`db::DatabaseError`]).
//! - [`listen`]: hearing PostgreSQL notifications on a connection that comes back by itself.
//!
//! This crate knows nothing about HTTP, environment variables or files: callers hand it typed
//! configuration.

#![deny(missing_docs)]

pub mod audit;
pub mod db;
mod error;
pub mod ids;
pub mod limits;
pub mod listen;
pub mod mail;
pub mod metrics;
mod money;
pub mod page;
pub mod text;
pub mod time;

pub use error::{Common, DomainError, ErrorKind, Fail, FieldError};
pub use ids::{CommentId, JobId, MovieId, NotificationId, OrderId, PaymentId, SessionId, UserId};
pub use money::{Money, MoneyError};
