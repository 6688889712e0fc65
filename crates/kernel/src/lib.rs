//! Shared building blocks of Cinema that every slice uses.
//!
//! - [`ErrorKind`] and [`DomainError`]: the small vocabulary every slice's typed error maps onto,
//!   so the HTTP layer can translate any of them with one `match`.
//! - [`Money`]: exact amounts in cents, sent as `"9.99"`.
//! - [`time`]: epoch-millisecond times, as every slice stores them.
//! - [`page`]: `skip`/`limit` requests and `{items, total, skip, limit}` answers.
//! - [`db`]: opening a SQLite or PostgreSQL connection with the right settings, and recognising
//!   constraint violations the same way on both.
//!
//! This crate knows nothing about HTTP, environment variables or files: callers hand it typed
//! configuration.

pub mod db;
mod error;
mod money;
pub mod page;
pub mod time;

pub use error::{DomainError, ErrorKind, FieldError};
pub use money::{Money, MoneyError};
