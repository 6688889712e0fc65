use cinema_kernel::{DomainError, ErrorKind, FieldError, db, mail::OutboxError};

#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0} not found.")]
    NotFound(String),
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Conflict(String),
    #[error("Too many comments: try again in {retry_after} seconds.")]
    RateLimited { retry_after: u64 },
    #[error(transparent)]
    Catalog(#[from] cinema_catalog::Error),
    #[error("The e-mail could not be queued.")]
    Outbox(#[from] OutboxError),
    #[error(transparent)]
    Database(#[from] db::DatabaseError),
}

impl From<sea_orm::DbErr> for Error {
    fn from(err: sea_orm::DbErr) -> Self {
        Error::Database(err.into())
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl DomainError for Error {
    fn kind(&self) -> ErrorKind {
        match self {
            Error::NotFound(_) => ErrorKind::NotFound,
            Error::Invalid { .. } => ErrorKind::Invalid,
            Error::Forbidden(_) => ErrorKind::Forbidden,
            Error::Conflict(_) => ErrorKind::Conflict,
            Error::RateLimited { .. } => ErrorKind::RateLimited,
            Error::Catalog(e) => e.kind(),
            Error::Outbox(e) => e.kind(),
            Error::Database(e) => e.kind(),
        }
    }

    fn field_errors(&self) -> Vec<FieldError> {
        match self {
            Error::Invalid { field, message } => vec![FieldError::new(*field, message.clone())],
            Error::Catalog(e) => e.field_errors(),
            _ => Vec::new(),
        }
    }

    fn retry_after_secs(&self) -> Option<u64> {
        match self {
            Error::RateLimited { retry_after } => Some(*retry_after),
            _ => None,
        }
    }

    fn problem_type(&self) -> Option<&'static str> {
        match self {
            Error::RateLimited { .. } => Some("urn:cinema:problem:rate-limited:comments"),
            _ => None,
        }
    }
}
