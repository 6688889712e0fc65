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
    /// The field as the client sent it (`price`, `genre_ids[2]`).
    pub field: String,
    /// What is wrong with it, in a sentence.
    pub message: String,
}

impl FieldError {
    /// A failure of `field`.
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
///
/// A slice lists the errors it carries whole — the [`Common`] ones and other slices' — in
/// [`DomainError::wrapped`]; every hint (kind, field errors, retry delay, problem type) then
/// follows from the wrapped error by default, so wrapping never loses one. A slice writes the
/// methods only for its own variants, falling back to these defaults for the rest.
pub trait DomainError: std::error::Error + Send + Sync + 'static {
    /// The error this one carries whole, if it is one of those variants.
    fn wrapped(&self) -> Option<&dyn DomainError> {
        None
    }

    /// The kind that decides the HTTP status: the wrapped error's, else internal.
    fn kind(&self) -> ErrorKind {
        self.wrapped()
            .map_or(ErrorKind::Internal, DomainError::kind)
    }

    /// Per-field validation failures, for [`ErrorKind::Invalid`].
    fn field_errors(&self) -> Vec<FieldError> {
        self.wrapped()
            .map_or_else(Vec::new, DomainError::field_errors)
    }

    /// Seconds after which a [`ErrorKind::RateLimited`] request may be retried.
    fn retry_after_secs(&self) -> Option<u64> {
        self.wrapped().and_then(DomainError::retry_after_secs)
    }

    /// A more precise problem `type` than the kind's (`urn:cinema:problem:…`), e.g. which
    /// limit a 429 hit.
    fn problem_type(&self) -> Option<&'static str> {
        self.wrapped().and_then(DomainError::problem_type)
    }
}

/// The failures every slice shares. A slice embeds it as one variant,
/// `#[error(transparent)] Common(#[from] Common)`, lists it in [`DomainError::wrapped`], and
/// builds these through [`Fail`] (`Error::not_found("Movie 7")`); the database's errors
/// convert into it (`?` on a `DbErr` works in every slice that declares
/// `impl From<DbErr>` through [`common_error!`](crate::common_error)).
///
/// Why an embedded enum rather than a macro that writes the variants into each slice: the
/// shared part is ordinary code, read and tested once here, and a slice's own enum shows only
/// what is its own.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Common {
    #[error("{0} not found.")]
    /// `{0} not found.` (404).
    NotFound(String),
    #[error("{0}")]
    /// A clash with existing state, said in full (409).
    Conflict(String),
    #[error("{0}")]
    /// Not allowed, said in full (403).
    Forbidden(String),
    #[error("The request has invalid fields.")]
    /// Fields that failed validation, each named (422).
    Invalid(Vec<FieldError>),
    /// The database failed: unreachable (503), a constraint (409), or a bug (500).
    #[error(transparent)]
    Database(#[from] crate::db::DatabaseError),
}

impl From<sea_orm::DbErr> for Common {
    fn from(err: sea_orm::DbErr) -> Self {
        Self::Database(err.into())
    }
}

impl DomainError for Common {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::NotFound(_) => ErrorKind::NotFound,
            Self::Conflict(_) => ErrorKind::Conflict,
            Self::Forbidden(_) => ErrorKind::Forbidden,
            Self::Invalid(_) => ErrorKind::Invalid,
            Self::Database(e) => e.kind(),
        }
    }

    fn field_errors(&self) -> Vec<FieldError> {
        match self {
            Self::Invalid(errors) => errors.clone(),
            _ => Vec::new(),
        }
    }
}

/// Builds the [`Common`] failures as any slice's error.
pub trait Fail: From<Common> {
    /// `{what} not found.`
    fn not_found(what: impl Into<String>) -> Self {
        Common::NotFound(what.into()).into()
    }

    /// A clash with existing state, said in full.
    fn conflict(message: impl Into<String>) -> Self {
        Common::Conflict(message.into()).into()
    }

    /// Not allowed, said in full.
    fn forbidden(message: impl Into<String>) -> Self {
        Common::Forbidden(message.into()).into()
    }

    /// One field failed validation.
    fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Common::Invalid(vec![FieldError::new(field, message)]).into()
    }

    /// Several fields failed validation.
    fn invalid_fields(errors: Vec<FieldError>) -> Self {
        Common::Invalid(errors).into()
    }
}

impl<E: From<Common>> Fail for E {}

/// What every slice's error module declares besides its enum: `From<DbErr>` (through
/// [`Common`]) and the `Result` alias.
#[macro_export]
macro_rules! common_error {
    ($error:ident) => {
        impl From<sea_orm::DbErr> for $error {
            fn from(err: sea_orm::DbErr) -> Self {
                $crate::Common::from(err).into()
            }
        }

        impl From<$crate::db::DatabaseError> for $error {
            fn from(err: $crate::db::DatabaseError) -> Self {
                $crate::Common::from(err).into()
            }
        }

        /// The slice's result.
        pub type Result<T, E = $error> = std::result::Result<T, E>;
    };
}
