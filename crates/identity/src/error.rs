use cinema_kernel::{Common, DomainError, ErrorKind, common_error};

/// Everything that can go wrong in the identity slice. Messages are written for the client:
/// they never reveal whether an account exists where that would help an attacker.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("An account with this e-mail already exists.")]
    EmailTaken,
    #[error("Invalid e-mail or password.")]
    InvalidCredentials,
    #[error(
        "This account is not active. Activate it with the link we e-mailed, or ask for a new one."
    )]
    Inactive,
    #[error("This account is already active.")]
    AlreadyActive,
    #[error("This account has been disabled by an administrator.")]
    Disabled,
    #[error("The activation token is invalid or has expired; ask for a new one.")]
    InvalidActivationToken,
    #[error("The reset token is invalid or has expired; ask for a new one.")]
    InvalidResetToken,
    #[error("The refresh token is invalid, expired or revoked; sign in again.")]
    InvalidRefreshToken,
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("User {0} not found.")]
    UserNotFound(i64),
    #[error("Session {0} not found.")]
    SessionNotFound(i64),
    #[error("{}", limit.sentence(*retry_after_secs))]
    Throttled {
        limit: crate::throttle::Limit,
        retry_after_secs: u64,
    },
    #[error(transparent)]
    Mail(#[from] cinema_kernel::mail::OutboxError),
    #[error("password hashing failed: {0}")]
    Hashing(String),
    #[error("cannot issue a token: {0}")]
    Token(String),
    #[error(transparent)]
    Common(#[from] Common),
    #[error(transparent)]
    Media(#[from] cinema_media::Error),
}

common_error!(Error);

impl DomainError for Error {
    fn wrapped(&self) -> Option<&dyn DomainError> {
        match self {
            Error::Common(e) => Some(e),
            Error::Media(e) => Some(e),
            Error::Mail(e) => Some(e),
            _ => None,
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            Error::EmailTaken => ErrorKind::Conflict,
            Error::InvalidCredentials | Error::InvalidRefreshToken | Error::Unauthenticated(_) => {
                ErrorKind::Unauthenticated
            }
            Error::Inactive | Error::Disabled => ErrorKind::Forbidden,
            Error::AlreadyActive
            | Error::InvalidActivationToken
            | Error::InvalidResetToken
            | Error::BadRequest(_) => ErrorKind::BadRequest,
            Error::UserNotFound(_) | Error::SessionNotFound(_) => ErrorKind::NotFound,
            Error::Throttled { .. } => ErrorKind::RateLimited,
            Error::Hashing(_) | Error::Token(_) => ErrorKind::Internal,
            Error::Common(_) | Error::Media(_) | Error::Mail(_) => self
                .wrapped()
                .map_or(ErrorKind::Internal, DomainError::kind),
        }
    }

    fn retry_after_secs(&self) -> Option<u64> {
        match self {
            Error::Throttled {
                retry_after_secs, ..
            } => Some(*retry_after_secs),
            _ => self.wrapped().and_then(DomainError::retry_after_secs),
        }
    }

    fn problem_type(&self) -> Option<&'static str> {
        match self {
            Error::Throttled { limit, .. } => Some(limit.problem_type()),
            _ => self.wrapped().and_then(DomainError::problem_type),
        }
    }
}
