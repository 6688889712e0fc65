use cinema_kernel::{DomainError, ErrorKind, db, mail::OutboxError};

use crate::signature::SignatureError;

#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("The webhook signature is not valid: {0}.")]
    BadSignature(#[from] SignatureError),
    #[error("The webhook event is malformed: {0}.")]
    MalformedEvent(String),
    #[error("{0} not found.")]
    NotFound(String),
    #[error("Order {0} ran out of time to be paid; place a new order.")]
    OrderExpired(i64),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Forbidden(String),
    #[error(transparent)]
    Gateway(#[from] crate::gateway::GatewayError),
    #[error(transparent)]
    Commerce(#[from] cinema_commerce::Error),
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
            Error::BadSignature(_) | Error::MalformedEvent(_) => ErrorKind::BadRequest,
            Error::NotFound(_) => ErrorKind::NotFound,
            Error::OrderExpired(_) | Error::Conflict(_) => ErrorKind::Conflict,
            Error::Forbidden(_) => ErrorKind::Forbidden,
            // Nothing changed on our side; the request can be repeated.
            // Its refusal (a bad parameter, an unsupported option) does not pass by retrying.
            Error::Gateway(crate::gateway::GatewayError::Refused(_)) => ErrorKind::UpstreamRefused,
            Error::Gateway(_) => ErrorKind::Unavailable,
            Error::Commerce(e) => e.kind(),
            Error::Outbox(e) => e.kind(),
            Error::Database(e) => e.kind(),
        }
    }
}
