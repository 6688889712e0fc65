use cinema_kernel::{Common, DomainError, ErrorKind, common_error};

/// Everything that can go wrong in the notify slice.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("job {0} not found")]
    JobNotFound(i64),
    #[error("job {id} is {status}, only dead jobs can be retried")]
    NotDead { id: i64, status: String },
    #[error("cannot render the e-mail template `{template}`: {source}")]
    Template {
        template: String,
        source: minijinja::Error,
    },
    #[error(
        "job {0} held a one-time link that was removed when it died; the recipient must ask for a new one"
    )]
    Redacted(i64),
    #[error("cannot render an e-mail: {0}")]
    Render(String),
    #[error("is not a valid sender address ({0})")]
    BadSender(String),
    #[error("is not a valid SMTP URL ({0})")]
    BadSmtpUrl(String),
    #[error("cannot encode a job payload: {0}")]
    Payload(#[from] serde_json::Error),
    #[error(transparent)]
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
            Error::JobNotFound(_) => ErrorKind::NotFound,
            Error::NotDead { .. } | Error::Redacted(_) => ErrorKind::Conflict,
            Error::Common(e) => e.kind(),
            _ => ErrorKind::Internal,
        }
    }
}
