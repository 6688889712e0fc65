use cinema_kernel::{DomainError, ErrorKind, db};

use crate::image::ImageKind;

#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The content is not one of the accepted image types (the client's header is ignored).
    #[error(
        "The file is not a supported image: allowed types are {}.",
        ImageKind::allowed_list()
    )]
    UnsupportedType,
    /// Nothing was uploaded.
    #[error("The file is empty.")]
    Empty,
    #[error("The file is larger than {} MiB.", .limit / (1024 * 1024))]
    TooLarge { limit: usize },
    /// A download link that is malformed, forged, for another key or expired.
    #[error("{0}")]
    BadLink(&'static str),
    #[error("{0} not found.")]
    NotFound(String),
    /// The object store did not answer or refused the request.
    #[error("object storage is unavailable: {0}")]
    Storage(String),
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
            Error::UnsupportedType | Error::Empty => ErrorKind::BadRequest,
            Error::TooLarge { .. } => ErrorKind::TooLarge,
            Error::BadLink(_) => ErrorKind::Forbidden,
            Error::NotFound(_) => ErrorKind::NotFound,
            Error::Storage(_) => ErrorKind::Unavailable,
            Error::Database(e) => match e.kind() {
                ErrorKind::Unavailable => ErrorKind::Unavailable,
                _ => ErrorKind::Internal,
            },
        }
    }
}
