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
    let db_for_purge = db.clone();
    Ok(Worker::new(db, settings.worker.clone())
        .handle(EMAIL_JOB, EmailHandler::new(mailer, domain))
        .handle(
            PURGE_EXPIRED_TOKENS,
            PurgeExpiredTokens { db: db_for_purge },
        )
        .every(PURGE_EXPIRED_TOKENS, Duration::from_secs(3600)))
}

/// Deletes expired activation and reset tokens and ended sessions.
#[derive(Debug)]
struct PurgeExpiredTokens {
    db: DatabaseConnection,
}

#[async_trait::async_trait]
impl JobHandler for PurgeExpiredTokens {
    async fn handle(&self, _job: &Job) -> Result<(), JobError> {
        let purged = cinema_identity::purge::expired(&self.db)
            .await
            .map_err(|e| JobError::Retry(e.to_string()))?;
        tracing::info!(?purged, "expired tokens and sessions purged");
        Ok(())
    }
}
