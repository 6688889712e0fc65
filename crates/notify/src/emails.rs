//! Queueing e-mails: the [`JobOutbox`] that serves the kernel's `Outbox` port for every slice,
//! and [`enqueue_email`], its typed form on any connection.

use cinema_kernel::JobId;
use cinema_kernel::{
    mail::{Email, Message, Outbox, OutboxError},
    time::Clock,
};
use sea_orm::{ConnectionTrait, DatabaseTransaction};

use crate::{Error, JobQueue, NewJob, Result, Templates, mail::EMAIL_JOB, mail::OutgoingEmail};

/// Renders `email` for `to` and queues it on `conn` — pass the transaction of the change that
/// causes the message, so the two commit or roll back together.
pub async fn enqueue_email<C, E>(
    conn: &C,
    clock: &Clock,
    templates: &Templates,
    to: &str,
    email: &E,
) -> Result<JobId>
where
    C: ConnectionTrait + Sync,
    E: Email,
{
    enqueue_rendered(conn, clock, templates.render(to, email)?)
        .await
        .map(JobId)
}

async fn enqueue_rendered<C: ConnectionTrait + Sync>(
    conn: &C,
    clock: &Clock,
    rendered: OutgoingEmail,
) -> Result<i64> {
    let job = NewJob::new(EMAIL_JOB, &rendered)?;
    // No unique key: every call is its own message, so an id always comes back.
    Ok(conn.enqueue(clock.now_ms(), job).await?.unwrap_or_default())
}

/// The outbox every slice queues its e-mails through: renders each message with its slice's
/// templates inside the shared layout and writes an `email` job in the caller's transaction.
#[derive(Debug, Clone)]
pub struct JobOutbox {
    templates: Templates,
    clock: Clock,
}

impl JobOutbox {
    /// An outbox rendering with `templates`, stamping jobs with `clock`.
    pub fn new(templates: Templates, clock: Clock) -> Self {
        Self { templates, clock }
    }
}

#[async_trait::async_trait]
impl Outbox for JobOutbox {
    async fn enqueue(
        &self,
        txn: &DatabaseTransaction,
        message: Message,
    ) -> Result<(), OutboxError> {
        let rendered = self
            .templates
            .render_message(&message)
            .map_err(|e| OutboxError::Render(e.to_string()))?;
        match enqueue_rendered(txn, &self.clock, rendered).await {
            Ok(_) => Ok(()),
            Err(Error::Common(cinema_kernel::Common::Database(e))) => Err(OutboxError::Database(e)),
            Err(e) => Err(OutboxError::Render(e.to_string())),
        }
    }
}
