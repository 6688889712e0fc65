//! The one port through which every slice queues e-mail, inside the caller's transaction.
//!
//! A slice declares each of its messages as a type implementing [`Email`]: the templates it
//! owns (an HTML and a plain-text part, both extending the shared `layout.html`/`layout.txt`)
//! and a typed context. It queues them with [`Outbox::enqueue`] in the transaction of the
//! change that causes them, so the message exists exactly when the change commits. The
//! application wires the port to `cinema-notify`, which renders (escaping every value in the
//! HTML part) and delivers; adding a message never touches another slice or the wiring.

use std::fmt;

use sea_orm::DatabaseTransaction;
use serde::Serialize;

use crate::{ErrorKind, db::DatabaseError};

/// A message's templates: minijinja sources, compiled once by the renderer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Template {
    /// Unique across the system, e.g. `identity.activation`.
    pub name: &'static str,
    /// The HTML template.
    pub html: &'static str,
    /// The plain-text template.
    pub text: &'static str,
}

/// A message a slice sends: its templates and, as `self`, the values they show.
pub trait Email: Serialize + Send + Sync {
    /// The templates it is rendered with.
    const TEMPLATE: Template;
    /// Whether the message carries a secret (a one-time link): its text is then removed from
    /// the outbox once it is delivered or given up on.
    const CARRIES_SECRET: bool = false;
    /// The subject line (the renderer appends the product name).
    fn subject(&self) -> String;
}

/// A message on its way to the outbox, its context erased to JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// The recipient.
    pub to: String,
    /// The subject line.
    pub subject: String,
    /// The templates to render.
    pub template: Template,
    /// What the templates are rendered with.
    pub context: serde_json::Value,
    /// See [`Email::CARRIES_SECRET`].
    pub carries_secret: bool,
}

impl Message {
    /// `email` to `to`, its context as JSON.
    pub fn new<E: Email>(to: &str, email: &E) -> Result<Self, OutboxError> {
        Ok(Self {
            to: to.to_owned(),
            subject: email.subject(),
            template: E::TEMPLATE,
            carries_secret: E::CARRIES_SECRET,
            context: serde_json::to_value(email).map_err(|e| OutboxError::Render(e.to_string()))?,
        })
    }
}

/// Why a message could not be queued. The change that caused it must roll back.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    /// The job could not be written (an outage is [`ErrorKind::Unavailable`]).
    #[error(transparent)]
    Database(#[from] DatabaseError),
    /// A template or its context is broken: a bug.
    #[error("cannot render the e-mail: {0}")]
    Render(String),
}

impl crate::DomainError for OutboxError {
    fn kind(&self) -> ErrorKind {
        match self {
            // A constraint of the job table is ours to keep: never the client's conflict.
            OutboxError::Database(e) => match e.kind() {
                ErrorKind::Unavailable => ErrorKind::Unavailable,
                _ => ErrorKind::Internal,
            },
            OutboxError::Render(_) => ErrorKind::Internal,
        }
    }
}

/// Queues e-mails in the caller's transaction.
#[async_trait::async_trait]
pub trait Outbox: Send + Sync + fmt::Debug {
    /// Queues `message` in `txn`: it is sent only if that transaction commits.
    async fn enqueue(&self, txn: &DatabaseTransaction, message: Message)
    -> Result<(), OutboxError>;
}

/// Queues a typed e-mail: the form every slice calls.
pub async fn send<E: Email>(
    outbox: &dyn Outbox,
    txn: &DatabaseTransaction,
    to: &str,
    email: &E,
) -> Result<(), OutboxError> {
    outbox.enqueue(txn, Message::new(to, email)?).await
}
