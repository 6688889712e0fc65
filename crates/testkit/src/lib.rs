//! Test-only helpers shared by Cinema's suites (never a dependency of production code).
//!
//! - [`TestDatabase`]: a fresh database per test — a temporary SQLite file, or a new
//!   PostgreSQL database when `CINEMA_TEST_POSTGRES_URL` is set, dropped afterwards.
//! - [`SmtpServer`]: a real SMTP server on loopback (the `mailin` protocol state machine behind
//!   a tokio listener) that keeps what it receives, can refuse service, and can start late.

mod database;
mod smtp;

pub use database::{POSTGRES_ENV, TestDatabase};
pub use smtp::{ReceivedMail, SmtpServer};
