//! Engagement's failures: the [`Common`] ones, the comment limit, and the catalog's and the
//! outbox's errors carried whole.

use cinema_kernel::{Common, DomainError, ErrorKind, common_error, mail::OutboxError};

/// Engagement's failures.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The user posted `comment_limit` comments within the window.
    #[error("Too many comments: try again in {retry_after} seconds.")]
    RateLimited {
        /// Seconds until the oldest of them leaves the window.
        retry_after: u64,
    },
    /// The failures every slice shares.
    #[error(transparent)]
    Common(#[from] Common),
    /// The catalog's, carried whole.
    #[error(transparent)]
    Catalog(#[from] cinema_catalog::Error),
    /// A notification e-mail could not be queued (the change rolls back).
    #[error("The e-mail could not be queued.")]
    Outbox(#[from] OutboxError),
}

common_error!(Error);

impl DomainError for Error {
    fn wrapped(&self) -> Option<&dyn DomainError> {
        match self {
            Error::RateLimited { .. } => None,
            Error::Common(e) => Some(e),
            Error::Catalog(e) => Some(e),
            Error::Outbox(e) => Some(e),
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            Error::RateLimited { .. } => ErrorKind::RateLimited,
            _ => self
                .wrapped()
                .map_or(ErrorKind::Internal, DomainError::kind),
        }
    }

    fn retry_after_secs(&self) -> Option<u64> {
        match self {
            Error::RateLimited { retry_after } => Some(*retry_after),
            _ => self.wrapped().and_then(DomainError::retry_after_secs),
        }
    }

    fn problem_type(&self) -> Option<&'static str> {
        match self {
            Error::RateLimited { .. } => Some("urn:cinema:problem:rate-limited:comments"),
            _ => self.wrapped().and_then(DomainError::problem_type),
        }
    }
}
