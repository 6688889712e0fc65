use cinema_kernel::{Common, DomainError, ErrorKind, common_error};

use crate::image::ImageKind;

#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
/// Media's failures: what is wrong with a file, a link or the store, and the [`Common`] ones.
pub enum Error {
    /// The content is not one of the accepted image types (the client's header is ignored).
    #[error(
        "The file is not a supported image: allowed types are {}.",
        ImageKind::allowed_list()
    )]
    UnsupportedType,
    /// The content is not one of the accepted video types.
    #[error(
        "The file is not a supported video: allowed types are MP4 (video/mp4) and WebM (video/webm)."
    )]
    UnsupportedVideo,
    /// Nothing was uploaded.
    #[error("The file is empty.")]
    Empty,
    /// More bytes than the limit of what was uploaded.
    #[error("The file is larger than {}.", size_text(*.limit as u64))]
    TooLarge {
        /// The largest accepted size, in bytes.
        limit: usize,
    },
    /// A download link that is malformed, forged, for another key or expired.
    #[error("{0}")]
    BadLink(&'static str),
    /// The object store did not answer or refused the request.
    #[error("object storage is unavailable: {0}")]
    Storage(String),
    #[error(transparent)]
    /// The failures every slice shares.
    Common(#[from] Common),
}

common_error!(Error);

impl DomainError for Error {
    fn wrapped(&self) -> Option<&dyn DomainError> {
        match self {
            Error::Common(e) => Some(e),
            _ => None,
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            Error::UnsupportedType | Error::UnsupportedVideo | Error::Empty => {
                ErrorKind::BadRequest
            }
            Error::TooLarge { .. } => ErrorKind::TooLarge,
            Error::BadLink(_) => ErrorKind::Forbidden,
            Error::Storage(_) => ErrorKind::Unavailable,
            Error::Common(e) => e.kind(),
        }
    }
}

/// A limit as people read it: `10 MiB`, `4 GiB`, or bytes for what is not a whole MiB.
fn size_text(bytes: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    match bytes {
        b if b >= 1024 * MIB && b % (1024 * MIB) == 0 => format!("{} GiB", b / (1024 * MIB)),
        b if b >= MIB && b % MIB == 0 => format!("{} MiB", b / MIB),
        b => format!("{b} bytes"),
    }
}
