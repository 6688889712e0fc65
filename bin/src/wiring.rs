//! Adapters between slices that must not know each other: identity's e-mail port served by
//! notify's templates and job queue.

use cinema_identity::{AccountEmail, AccountMailer};
use cinema_notify::{
    Templates,
    emails::{AccountActivated, Activation, PasswordChanged, PasswordReset},
    enqueue_email,
};
use sea_orm::DatabaseTransaction;

/// Renders account e-mails and queues them in the caller's transaction.
#[derive(Debug, Clone)]
pub struct NotifyAccountMailer {
    pub templates: Templates,
}

#[async_trait::async_trait]
impl AccountMailer for NotifyAccountMailer {
    async fn enqueue(
        &self,
        txn: &DatabaseTransaction,
        to: &str,
        email: AccountEmail,
    ) -> Result<(), String> {
        let t = &self.templates;
        let email_field = to.to_owned();
        let queued = match email {
            AccountEmail::Activation { link, valid_hours } => {
                let e = Activation {
                    email: email_field,
                    link,
                    valid_hours,
                };
                enqueue_email(txn, t, to, &e).await
            }
            AccountEmail::Activated { login_link } => {
                let e = AccountActivated {
                    email: email_field,
                    login_link,
                };
                enqueue_email(txn, t, to, &e).await
            }
            AccountEmail::PasswordReset {
                link,
                valid_minutes,
            } => {
                let e = PasswordReset {
                    email: email_field,
                    link,
                    valid_minutes,
                };
                enqueue_email(txn, t, to, &e).await
            }
            AccountEmail::PasswordChanged {
                changed_at,
                reset_link,
            } => {
                let e = PasswordChanged {
                    email: email_field,
                    changed_at,
                    reset_link,
                };
                enqueue_email(txn, t, to, &e).await
            }
        };
        queued.map(|_| ()).map_err(|e| e.to_string())
    }
}
