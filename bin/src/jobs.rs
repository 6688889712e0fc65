//! Composes the background worker: which job kinds it runs and what it schedules.

use std::time::Duration;

use cinema_media::Media;
use cinema_notify::{
    EMAIL_JOB, EmailHandler, Job, JobError, JobHandler, Worker, mailer_from_config, sender_domain,
};
use sea_orm::DatabaseConnection;

use crate::{
    settings::Settings,
    startup::{self, StartupError},
};

/// The hourly purge of expired activation, reset and refresh tokens.
pub const PURGE_EXPIRED_TOKENS: &str = "purge_expired_tokens";
/// The expiry of stale pending orders (every `ORDER_EXPIRY_INTERVAL_SECS`).
pub const EXPIRE_STALE_ORDERS: &str = "expire_stale_orders";
/// The sweep of orphaned media objects (every `MEDIA_SWEEP_INTERVAL_SECS`).
pub const SWEEP_ORPHAN_MEDIA: &str = "sweep_orphan_media";
/// Refunds of money that arrived for orders that could not take it (every
/// `REFUND_RETRY_INTERVAL_SECS`; the webhook tries once right away).
pub const REFUND_OWED_PAYMENTS: &str = "refund_owed_payments";

pub fn worker(
    db: DatabaseConnection,
    settings: &Settings,
    media: Media,
) -> Result<Worker, StartupError> {
    let mailer = mailer_from_config(&settings.mail).map_err(StartupError::Mail)?;
    let domain = sender_domain(&settings.mail).map_err(StartupError::Mail)?;
    let commerce =
        cinema_commerce::Commerce::new(settings.commerce.clone(), settings.clock.clone());
    let public_url = settings.media.public_url.as_ref().map_or_else(
        || crate::media::listen_url(settings.http.addr),
        |u| u.as_str().to_owned(),
    );
    let outbox = startup::outbox(settings).map_err(StartupError::Templates)?;
    let billing = startup::billing(settings, commerce.clone(), outbox, &public_url)?;
    let config = cinema_notify::WorkerConfig {
        clock: settings.clock.clone(),
        ..settings.worker.clone()
    };
    Ok(Worker::new(db.clone(), config)
        .handle(EMAIL_JOB, EmailHandler::new(mailer, domain))
        .handle(
            PURGE_EXPIRED_TOKENS,
            PurgeExpiredTokens {
                db: db.clone(),
                clock: settings.clock.clone(),
            },
        )
        .every(PURGE_EXPIRED_TOKENS, Duration::from_secs(3600))
        .handle(
            EXPIRE_STALE_ORDERS,
            ExpireStaleOrders {
                db: db.clone(),
                commerce,
            },
        )
        .every(EXPIRE_STALE_ORDERS, settings.order_expiry_interval)
        .handle(
            REFUND_OWED_PAYMENTS,
            RefundOwedPayments {
                db: db.clone(),
                billing,
            },
        )
        .every(
            REFUND_OWED_PAYMENTS,
            settings.payments.refund_retry_interval,
        )
        .handle(SWEEP_ORPHAN_MEDIA, SweepOrphanMedia { db, media })
        .every(SWEEP_ORPHAN_MEDIA, settings.media.sweep_interval))
}

/// Deletes expired activation and reset tokens and ended sessions.
#[derive(Debug)]
struct PurgeExpiredTokens {
    db: DatabaseConnection,
    clock: cinema_kernel::time::Clock,
}

#[async_trait::async_trait]
impl JobHandler for PurgeExpiredTokens {
    async fn handle(&self, _job: &Job) -> Result<(), JobError> {
        let purged = cinema_identity::purge::expired(&self.db, &self.clock)
            .await
            .map_err(|e| JobError::Retry(e.to_string()))?;
        tracing::info!(?purged, "expired tokens and sessions purged");
        Ok(())
    }
}

/// Expires pending orders left unpaid past `ORDER_PENDING_TTL_MINUTES`. The schedule inserts
/// one job per period whatever the number of workers, and the update is one idempotent
/// statement, so a second run in the same period would change nothing.
#[derive(Debug)]
struct ExpireStaleOrders {
    db: DatabaseConnection,
    commerce: cinema_commerce::Commerce,
}

#[async_trait::async_trait]
impl JobHandler for ExpireStaleOrders {
    async fn handle(&self, _job: &Job) -> Result<(), JobError> {
        let expired = self
            .commerce
            .expire_stale(&self.db)
            .await
            .map_err(|e| JobError::Retry(e.to_string()))?;
        if expired > 0 {
            tracing::info!(expired, "stale pending orders expired");
        }
        Ok(())
    }
}

/// Gives back money owed to payers (`cinema_billing::Billing::refund_owed`). Each refund
/// carries an idempotency key of its payment, so a run cut short repeats nothing at the
/// gateway.
#[derive(Debug)]
struct RefundOwedPayments {
    db: DatabaseConnection,
    billing: cinema_billing::Billing,
}

#[async_trait::async_trait]
impl JobHandler for RefundOwedPayments {
    async fn handle(&self, _job: &Job) -> Result<(), JobError> {
        let refunded = self
            .billing
            .refund_owed(&self.db)
            .await
            .map_err(|e| JobError::Retry(e.to_string()))?;
        if refunded > 0 {
            tracing::info!(refunded, "owed payments refunded");
        }
        Ok(())
    }
}

/// Deletes media objects nothing references: uploads whose transaction never committed and
/// replaced ones whose deletion failed or was cut short (see `cinema_media::Media::sweep`).
#[derive(Debug)]
struct SweepOrphanMedia {
    db: DatabaseConnection,
    media: Media,
}

/// Objects deleted per round; rounds repeat while they come back full.
const SWEEP_BATCH: u64 = 500;

#[async_trait::async_trait]
impl JobHandler for SweepOrphanMedia {
    async fn handle(&self, _job: &Job) -> Result<(), JobError> {
        let mut deleted = 0;
        loop {
            let report = self
                .media
                .sweep(&self.db, SWEEP_BATCH)
                .await
                .map_err(|e| JobError::Retry(e.to_string()))?;
            deleted += report.deleted;
            if report.failed > 0 {
                // The rows stay; retrying with backoff makes an outage visible in the jobs API.
                return Err(JobError::Retry(format!(
                    "{} objects could not be deleted (storage unavailable?)",
                    report.failed
                )));
            }
            if (report.deleted as u64) < SWEEP_BATCH {
                break;
            }
        }
        if deleted > 0 {
            tracing::info!(deleted, "orphaned media objects deleted");
        }
        Ok(())
    }
}
