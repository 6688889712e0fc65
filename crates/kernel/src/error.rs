use std::fmt;

/// What kind of failure an error is, independent of the slice that raised it.
///
/// The API maps each kind to exactly one HTTP status; domain code never picks status codes.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The thing asked for does not exist (404).
    NotFound,
    /// The request clashes with existing state: a duplicate, a reference in use (409).
    Conflict,
    /// The request is well-formed but breaks a rule of the operation (400).
    BadRequest,
    /// One or more fields failed validation (422); see [`DomainError::field_errors`].
    Invalid,
    /// No valid credentials were presented (401).
    Unauthenticated,
    /// Valid credentials, but not allowed (403).
    Forbidden,
    /// Too many attempts; try again later (429).
    RateLimited,
    /// The request body is larger than allowed (413).
    TooLarge,
    /// The request body was sent too slowly (408).
    Timeout,
    /// A dependency (database, storage, mail, payment provider) is unreachable (503).
    Unavailable,
    /// An upstream service (the payment provider) answered and refused the request (502); the
    /// refusal is shown, since retrying cannot help.
    UpstreamRefused,
    /// A bug or an unexpected failure (500). Its details are logged, never shown.
    Internal,
}

impl ErrorKind {
    /// Whether the cause of an error of this kind may be shown to the client.
    pub fn is_client_error(self) -> bool {
        !matches!(
            self,
            ErrorKind::Unavailable | ErrorKind::Internal | ErrorKind::UpstreamRefused
        )
    }
}

/// One field that failed validation, named the way the client sent it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// Implemented by every slice's `Error` so the HTTP layer can render it without knowing it.
pub trait DomainError: std::error::Error + Send + Sync + 'static {
    /// The kind that decides the HTTP status.
    fn kind(&self) -> ErrorKind;

    /// Per-field validation failures, for [`ErrorKind::Invalid`].
    fn field_errors(&self) -> Vec<FieldError> {
        Vec::new()
    }

    /// Seconds after which a [`ErrorKind::RateLimited`] request may be retried.
    fn retry_after_secs(&self) -> Option<u64> {
        None
    }

    /// A more precise problem `type` than the kind's (`urn:cinema:problem:…`), e.g. which
    /// limit a 429 hit.
    fn problem_type(&self) -> Option<&'static str> {
        None
    }
}
