//! The one place where errors become HTTP responses (`application/problem+json`, RFC 9457).

use std::fmt;

use actix_web::{
    HttpResponse, ResponseError,
    http::{StatusCode, header},
};
use cinema_kernel::{DomainError, ErrorKind, FieldError};
use serde::Serialize;
use utoipa::ToSchema;

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "urn:cinema:problem:validation",
    "title": "Unprocessable Entity",
    "status": 422,
    "detail": "The request has invalid fields.",
    "errors": [{"field": "limit", "message": "must be between 1 and 100"}]
}))]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// The HTTP reason phrase.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What was wrong, for a person.
    pub detail: String,
    /// Field-level failures (422 only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemField>,
}

/// A field that failed validation.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemField {
    pub field: String,
    pub message: String,
}

/// An error on its way to becoming a problem response.
///
/// Client errors carry a message meant for the caller; server errors carry a cause that is
/// logged (inside the request's span, so with its request id) and never sent.
pub struct ApiError {
    kind: ErrorKind,
    detail: String,
    errors: Vec<FieldError>,
    retry_after: Option<u64>,
    /// A precise problem `type` from the domain error, instead of the kind's.
    problem_type: Option<&'static str>,
    cause: Option<Box<dyn std::error::Error + Send + Sync>>,
    /// Boxed: it is rare, and `ApiError` stays small enough to return by value.
    allow: Option<Box<str>>,
}

impl ApiError {
    pub fn new(kind: ErrorKind, detail: impl Into<String>) -> Self {
        Self {
            kind,
            detail: detail.into(),
            errors: Vec::new(),
            retry_after: None,
            problem_type: None,
            cause: None,
            allow: None,
        }
    }

    /// A 422 listing the fields that failed. Whatever a field's name or message carries of the
    /// input is cut short: an error never echoes a long value back.
    pub fn invalid(errors: Vec<FieldError>) -> Self {
        let errors = short(errors);
        let detail = match errors.as_slice() {
            [one] => format!("Invalid value for `{}`: {}.", one.field, one.message),
            _ => "The request has invalid fields.".to_owned(),
        };
        Self {
            errors,
            ..Self::new(ErrorKind::Invalid, detail)
        }
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, detail)
    }

    /// A 500 whose cause is logged and never shown.
    pub fn internal(cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self {
            cause: Some(cause.into()),
            ..Self::new(ErrorKind::Internal, "")
        }
    }

    /// A 503 whose cause is logged and never shown.
    pub fn unavailable(cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self {
            cause: Some(cause.into()),
            ..Self::new(ErrorKind::Unavailable, "")
        }
    }

    /// A 405 naming the methods the resource does accept.
    pub(crate) fn method_not_allowed(allow: String) -> Self {
        Self {
            allow: Some(allow.clone().into_boxed_str()),
            ..Self::new(
                ErrorKind::BadRequest,
                format!("This resource only accepts {allow}."),
            )
        }
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The fields that failed, on a 422.
    pub fn field_errors(&self) -> &[FieldError] {
        &self.errors
    }

    fn problem_type(&self) -> &'static str {
        if self.allow.is_some() {
            return "urn:cinema:problem:method-not-allowed";
        }
        if let Some(precise) = self.problem_type {
            return precise;
        }
        match self.kind {
            ErrorKind::NotFound => "urn:cinema:problem:not-found",
            ErrorKind::Conflict => "urn:cinema:problem:conflict",
            ErrorKind::BadRequest => "urn:cinema:problem:bad-request",
            ErrorKind::Invalid => "urn:cinema:problem:validation",
            ErrorKind::Unauthenticated => "urn:cinema:problem:unauthenticated",
            ErrorKind::Forbidden => "urn:cinema:problem:forbidden",
            ErrorKind::RateLimited => "urn:cinema:problem:rate-limited",
            ErrorKind::TooLarge => "urn:cinema:problem:too-large",
            ErrorKind::Timeout => "urn:cinema:problem:timeout",
            ErrorKind::Unavailable => "urn:cinema:problem:unavailable",
            ErrorKind::UpstreamRefused => "urn:cinema:problem:payment-provider-refused",
            _ => "urn:cinema:problem:internal",
        }
    }

    fn public_detail(&self) -> String {
        match self.kind {
            ErrorKind::Unavailable => {
                "A service this request needs is unavailable; try again shortly.".to_owned()
            }
            ErrorKind::UpstreamRefused => self.detail.clone(),
            kind if !kind.is_client_error() => "An unexpected error occurred.".to_owned(),
            _ => self.detail.clone(),
        }
    }
}

/// Field errors with names and messages cut short (see [`ApiError::invalid`]).
fn short(errors: Vec<FieldError>) -> Vec<FieldError> {
    errors
        .into_iter()
        .map(|e| {
            FieldError::new(
                crate::params::cut(&e.field, 64),
                crate::params::cut(&e.message, 300),
            )
        })
        .collect()
}

impl<E: DomainError> From<E> for ApiError {
    fn from(err: E) -> Self {
        let kind = err.kind();
        if kind.is_client_error() {
            Self {
                errors: short(err.field_errors()),
                retry_after: err.retry_after_secs(),
                problem_type: err.problem_type(),
                ..Self::new(kind, err.to_string())
            }
        } else if kind == ErrorKind::UpstreamRefused {
            // Shown (retrying cannot help) and logged with its request id.
            let detail = err.to_string();
            Self {
                cause: Some(Box::new(err)),
                ..Self::new(kind, detail)
            }
        } else {
            Self {
                cause: Some(Box::new(err)),
                ..Self::new(kind, "")
            }
        }
    }
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiError")
            .field("kind", &self.kind)
            .field("detail", &self.detail)
            .field("errors", &self.errors)
            .field("cause", &self.cause)
            .finish()
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.cause {
            Some(cause) => write!(f, "{:?}: {cause}", self.kind),
            None => write!(f, "{:?}: {}", self.kind, self.detail),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        if self.allow.is_some() {
            return StatusCode::METHOD_NOT_ALLOWED;
        }
        match self.kind {
            ErrorKind::NotFound => StatusCode::NOT_FOUND,
            ErrorKind::Conflict => StatusCode::CONFLICT,
            ErrorKind::BadRequest => StatusCode::BAD_REQUEST,
            ErrorKind::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorKind::Unauthenticated => StatusCode::UNAUTHORIZED,
            ErrorKind::Forbidden => StatusCode::FORBIDDEN,
            ErrorKind::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            ErrorKind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorKind::Timeout => StatusCode::REQUEST_TIMEOUT,
            ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorKind::UpstreamRefused => StatusCode::BAD_GATEWAY,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        if let Some(cause) = &self.cause {
            // The whole chain: a slice's public sentence on top, the driver's text below it.
            let mut chain = cause.to_string();
            let mut source = cause.source();
            while let Some(inner) = source {
                chain.push_str(": ");
                chain.push_str(&inner.to_string());
                source = inner.source();
            }
            tracing::error!(status = status.as_u16(), error = %chain, "request failed");
        }
        let body = Problem {
            problem_type: self.problem_type().to_owned(),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: self.public_detail(),
            errors: self
                .errors
                .iter()
                .map(|e| ProblemField {
                    field: e.field.clone(),
                    message: e.message.clone(),
                })
                .collect(),
        };
        let mut response = HttpResponse::build(status);
        response.content_type("application/problem+json");
        if self.kind == ErrorKind::Unauthenticated {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        // A dependency that is away is usually back within seconds: say when to try again.
        let retry_after = match self.kind {
            ErrorKind::Unavailable => self
                .retry_after
                .or(Some(crate::readiness::RETRY_AFTER_SECS)),
            _ => self.retry_after,
        };
        if let Some(secs) = retry_after {
            response.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        if let Some(allow) = &self.allow {
            response.insert_header((header::ALLOW, &**allow));
        }
        match serde_json::to_vec(&body) {
            Ok(bytes) => response.body(bytes),
            Err(_) => HttpResponse::InternalServerError().finish(),
        }
    }
}
