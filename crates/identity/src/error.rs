use cinema_kernel::{Common, DomainError, ErrorKind, common_error};

/// Everything that can go wrong in the identity slice. Messages are written for the client:
/// they never reveal whether an account exists where that would help an attacker.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The e-mail belongs to another account (409).
    #[error("An account with this e-mail already exists.")]
    EmailTaken,
    /// Wrong e-mail or password, said alike (401).
    #[error("Invalid e-mail or password.")]
    InvalidCredentials,
    /// Not activated yet (403).
    #[error(
        "This account is not active. Activate it with the link we e-mailed, or ask for a new one."
    )]
    Inactive,
    /// Activation asked for twice (400).
    #[error("This account is already active.")]
    AlreadyActive,
    /// Disabled by an admin (403).
    #[error("This account has been disabled by an administrator.")]
    Disabled,
    /// An activation token that is wrong, used or expired (400).
    #[error("The activation token is invalid or has expired; ask for a new one.")]
    InvalidActivationToken,
    /// A reset token that is wrong, used or expired (400).
    #[error("The reset token is invalid or has expired; ask for a new one.")]
    InvalidResetToken,
    /// A refresh token that is wrong, used, expired or revoked (401).
    #[error("The refresh token is invalid, expired or revoked; sign in again.")]
    InvalidRefreshToken,
    /// No valid credentials, said in full (401).
    #[error("{0}")]
    Unauthenticated(String),
    /// A rule of the operation broken, said in full (400).
    #[error("{0}")]
    BadRequest(String),
    /// No such user (404).
    #[error("User {0} not found.")]
    UserNotFound(i64),
    /// No such session of the caller's (404).
    #[error("Session {0} not found.")]
    SessionNotFound(i64),
    /// Too many attempts (429).
    #[error("{}", limit.sentence(*retry_after_secs))]
    Throttled {
        /// Which limit was hit.
        limit: crate::throttle::Limit,
        /// Seconds until a retry may pass.
        retry_after_secs: u64,
    },
    /// An e-mail could not be queued (the change rolls back).
    #[error(transparent)]
    Mail(#[from] cinema_kernel::mail::OutboxError),
    /// bcrypt failed (500).
    #[error("password hashing failed: {0}")]
    Hashing(String),
    /// A token could not be signed (500).
    #[error("cannot issue a token: {0}")]
    Token(String),
    /// The failures every slice shares.
    #[error(transparent)]
    Common(#[from] Common),
    /// Media's, carried whole (avatars).
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
