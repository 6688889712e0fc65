//! The catalog's failures: the [`Common`] ones and media's, each carried whole.

use cinema_kernel::{Common, DomainError, common_error};

/// The catalog's failures.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The failures every slice shares.
    #[error(transparent)]
    Common(#[from] Common),
    /// Media's, carried whole (posters, videos).
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
