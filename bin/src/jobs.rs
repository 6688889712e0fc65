//! Composes the background worker: which job kinds it runs and what it schedules.

use std::time::Duration;

use cinema_notify::{
    EMAIL_JOB, EmailHandler, Job, JobError, JobHandler, Worker, mailer_from_config, sender_domain,
};
use sea_orm::DatabaseConnection;

use crate::settings::Settings;

/// The hourly purge of expired activation, reset and refresh tokens.
pub const PURGE_EXPIRED_TOKENS: &str = "purge_expired_tokens";

pub fn worker(db: DatabaseConnection, settings: &Settings) -> Result<Worker, cinema_notify::Error> {
    let mailer = mailer_from_config(&settings.mail)?;
    let domain = sender_domain(&settings.mail)?;
    Ok(Worker::new(db, settings.worker.clone())
        .handle(EMAIL_JOB, EmailHandler::new(mailer, domain))
        .handle(PURGE_EXPIRED_TOKENS, PurgeExpiredTokens)
        .every(PURGE_EXPIRED_TOKENS, Duration::from_secs(3600)))
}

/// Identity owns the tokens; until that slice exists there is nothing to purge, and the job
/// only proves the schedule runs once per hour.
#[derive(Debug)]
struct PurgeExpiredTokens;

#[async_trait::async_trait]
impl JobHandler for PurgeExpiredTokens {
    async fn handle(&self, _job: &Job) -> Result<(), JobError> {
        tracing::debug!("no token tables yet: nothing to purge");
        Ok(())
    }
}
