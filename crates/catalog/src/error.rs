//! The catalog's failures: the [`Common`] ones and media's, each carried whole.

use cinema_kernel::{Common, DomainError, common_error};

#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
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
        }
    }
}
