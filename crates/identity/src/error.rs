use cinema_kernel::{DomainError, ErrorKind, FieldError, db};

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
    #[error("{0}")]
    Conflict(String),
    #[error("The activation token is invalid or has expired; ask for a new one.")]
    InvalidActivationToken,
    #[error("The reset token is invalid or has expired; ask for a new one.")]
    InvalidResetToken,
    #[error("The refresh token is invalid, expired or revoked; sign in again.")]
    InvalidRefreshToken,
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("The request has invalid fields.")]
    Invalid(Vec<FieldError>),
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
    Mail(cinema_kernel::mail::OutboxError),
    #[error("password hashing failed: {0}")]
    Hashing(String),
    #[error("cannot issue a token: {0}")]
    Token(String),
    #[error(transparent)]
    Database(#[from] db::DatabaseError),
    #[error(transparent)]
    Media(#[from] cinema_media::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<sea_orm::DbErr> for Error {
    fn from(err: sea_orm::DbErr) -> Self {
        Error::Database(err.into())
    }
}

impl Error {
    pub(crate) fn invalid(field: &str, message: impl Into<String>) -> Self {
        Error::Invalid(vec![FieldError::new(field, message)])
    }
}

impl DomainError for Error {
    fn kind(&self) -> ErrorKind {
        match self {
            Error::EmailTaken => ErrorKind::Conflict,
            Error::InvalidCredentials | Error::InvalidRefreshToken | Error::Unauthenticated(_) => {
                ErrorKind::Unauthenticated
            }
            Error::Inactive | Error::Disabled | Error::Forbidden(_) => ErrorKind::Forbidden,
            Error::Conflict(_) => ErrorKind::Conflict,
            Error::AlreadyActive
            | Error::InvalidActivationToken
            | Error::InvalidResetToken
            | Error::BadRequest(_) => ErrorKind::BadRequest,
            Error::Invalid(_) => ErrorKind::Invalid,
            Error::UserNotFound(_) | Error::SessionNotFound(_) => ErrorKind::NotFound,
            Error::Throttled { .. } => ErrorKind::RateLimited,
            Error::Mail(e) => e.kind(),
            Error::Database(e) => e.kind(),
            Error::Media(e) => cinema_kernel::DomainError::kind(e),
            Error::Hashing(_) | Error::Token(_) => ErrorKind::Internal,
        }
    }

    fn field_errors(&self) -> Vec<FieldError> {
        match self {
            Error::Invalid(errors) => errors.clone(),
            _ => Vec::new(),
        }
    }

    fn retry_after_secs(&self) -> Option<u64> {
        match self {
            Error::Throttled {
                retry_after_secs, ..
            } => Some(*retry_after_secs),
            _ => None,
        }
    }

    fn problem_type(&self) -> Option<&'static str> {
        match self {
            Error::Throttled { limit, .. } => Some(limit.problem_type()),
            _ => None,
        }
    }
}
