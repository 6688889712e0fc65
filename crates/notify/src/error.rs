use cinema_kernel::{Common, DomainError, ErrorKind, common_error};

/// Everything that can go wrong in the notify slice.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("job {0} not found")]
    /// No job with this id.
    JobNotFound(i64),
    #[error("job {id} is {status}, only dead jobs can be retried")]
    /// Only dead jobs can be retried.
    NotDead {
        /// The job.
        id: i64,
        /// Its status now.
        status: String,
    },
    #[error("cannot render the e-mail template `{template}`: {source}")]
    /// A template does not render.
    Template {
        /// Which template.
        template: String,
        /// What the renderer said.
        source: minijinja::Error,
    },
    #[error(
        "job {0} held a one-time link that was removed when it died; the recipient must ask for a new one"
    )]
    /// Its one-time link was removed when it died.
    Redacted(i64),
    #[error("cannot render an e-mail: {0}")]
    /// An e-mail does not render.
    Render(String),
    #[error("is not a valid sender address ({0})")]
    /// `MAIL_FROM` is not an address.
    BadSender(String),
    #[error("is not a valid SMTP URL ({0})")]
    /// `SMTP_URL` is not an SMTP URL.
    BadSmtpUrl(String),
    #[error("cannot encode a job payload: {0}")]
    /// A job payload does not encode.
    Payload(#[from] serde_json::Error),
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
            Error::JobNotFound(_) => ErrorKind::NotFound,
            Error::NotDead { .. } | Error::Redacted(_) => ErrorKind::Conflict,
            Error::Common(e) => e.kind(),
            _ => ErrorKind::Internal,
        }
    }
}
