//! Test-only helpers shared by Cinema's suites (never a dependency of production code).
//!
//! - [`TestDatabase`]: a fresh database per test — a temporary SQLite file, or a new
//!   PostgreSQL database when `CINEMA_TEST_POSTGRES_URL` is set, dropped afterwards.
//! - [`SmtpServer`]: a real SMTP server on loopback (the `mailin` protocol state machine behind
//!   a tokio listener) that keeps what it receives, can refuse service, and can start late.
//! - [`active_user`] and [`StatementCount`]: an account to act as, and the statements a
//!   connection ran (the round-trip budgets of the domain suites).
//! - [`LocalMedia`]: media storage in a temporary directory, for the domain services.
//! - [`PgCluster`]: a PostgreSQL cluster of a test's own (`initdb`, `pg_ctl`, `pg_basebackup`),
//!   to stop for an outage or to replicate for read replicas.
//! - [`S3Server`]: a real S3 server on loopback (s3s-fs in-process) that checks signatures and
//!   can be stopped to play a storage outage.

mod accounts;
mod cluster;
mod database;
mod media;
mod s3;
mod smtp;
mod statements;

pub use accounts::active_user;
pub use cluster::PgCluster;
pub use database::{POSTGRES_ENV, TestDatabase};
pub use media::LocalMedia;
pub use s3::{S3Server, keys_under};
pub use smtp::{ReceivedMail, ReservedPort, SmtpServer};
pub use statements::StatementCount;
