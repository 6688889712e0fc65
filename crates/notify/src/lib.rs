//! Notify: every e-mail the product sends, delivered exactly as the data says.
//!
//! - [`JobQueue`]: enqueue a job on any SeaORM connection *or transaction*, so the job exists
//!   if and only if the change that caused it commits.
//! - [`Worker`]: claims due jobs safely when several workers share one database (`FOR UPDATE
//!   SKIP LOCKED` on PostgreSQL, an atomic `UPDATE … RETURNING` on SQLite), holds a renewable
//!   lease so a crashed worker's job is picked up again, retries with exponential backoff and
//!   jitter, parks a job as dead after the configured attempts, and inserts scheduled jobs once
//!   per period however many workers run.
//! - [`Mailer`]: SMTP through lettre, or `.eml` files in a folder (the zero-configuration
//!   default). [`Templates`] renders HTML and plain-text parts — each slice's own templates
//!   inside a shared layout — with every value escaped.
//! - [`JobOutbox`] serves the kernel's `Outbox` port: slices declare their messages as
//!   `cinema_kernel::mail::Email` types and queue them in their own transaction; adding a
//!   message touches neither notify nor the wiring.
//!
//! Depends only on `cinema-kernel`; knows nothing of HTTP, environment variables or files
//! beyond the folder it is configured with.

#![deny(missing_docs)]

mod backoff;
mod emails;
pub mod entity;
mod error;
mod mail;
mod queue;
mod templates;
mod worker;

pub use emails::{JobOutbox, enqueue_email};
pub use error::{Error, Result};
pub use mail::{
    EMAIL_JOB, EmailHandler, FileMailer, MailConfig, MailError, MailTransport, Mailer,
    OutgoingEmail, SmtpMailer, mailer_from_config, sender_domain, validate_config,
};
pub use queue::{Job, JobQueue, JobStatus, NewJob, admin};
pub use templates::Templates;
pub use worker::{JobError, JobHandler, Schedule, Worker, WorkerConfig};
