//! What identity needs from the rest of the system, as traits it owns.

use sea_orm::DatabaseTransaction;

/// An account e-mail, with the links already built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountEmail {
    Activation {
        link: String,
        valid_hours: u32,
    },
    Activated {
        login_link: String,
    },
    PasswordReset {
        link: String,
        valid_minutes: u32,
    },
    PasswordChanged {
        changed_at: String,
        reset_link: String,
    },
}

/// Queues account e-mails inside the caller's transaction, so a message exists exactly when
/// the change that caused it commits. The application wires this to `cinema-notify`.
#[async_trait::async_trait]
pub trait AccountMailer: Send + Sync + std::fmt::Debug {
    async fn enqueue(
        &self,
        txn: &DatabaseTransaction,
        to: &str,
        email: AccountEmail,
    ) -> Result<(), String>;
}
