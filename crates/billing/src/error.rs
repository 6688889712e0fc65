use cinema_kernel::{Common, DomainError, ErrorKind, common_error, mail::OutboxError};

use crate::signature::SignatureError;

/// Billing's failures.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A webhook whose signature does not check out (400).
    #[error("The webhook signature is not valid: {0}.")]
    BadSignature(#[from] SignatureError),
    /// A webhook body that is not an event (400).
    #[error("The webhook event is malformed: {0}.")]
    MalformedEvent(String),
    /// Checkout for an order past its payment window (409).
    #[error("Order {0} ran out of time to be paid; place a new order.")]
    OrderExpired(i64),
    /// The payment provider failed (503) or refused (502).
    #[error(transparent)]
    Gateway(#[from] crate::gateway::GatewayError),
    /// Commerce's, carried whole.
    #[error(transparent)]
    Commerce(#[from] cinema_commerce::Error),
    /// A receipt or refund e-mail could not be queued (the change rolls back).
    #[error("The e-mail could not be queued.")]
    Outbox(#[from] OutboxError),
    /// The failures every slice shares.
    #[error(transparent)]
    Common(#[from] Common),
}

common_error!(Error);

impl DomainError for Error {
    fn wrapped(&self) -> Option<&dyn DomainError> {
        match self {
            Error::Common(e) => Some(e),
            Error::Commerce(e) => Some(e),
            Error::Outbox(e) => Some(e),
            _ => None,
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            Error::BadSignature(_) | Error::MalformedEvent(_) => ErrorKind::BadRequest,
            Error::OrderExpired(_) => ErrorKind::Conflict,
            // Nothing changed on our side; the request can be repeated.
            // Its refusal (a bad parameter, an unsupported option) does not pass by retrying.
            Error::Gateway(crate::gateway::GatewayError::Refused(_)) => ErrorKind::UpstreamRefused,
            Error::Gateway(_) => ErrorKind::Unavailable,
            Error::Common(_) | Error::Commerce(_) | Error::Outbox(_) => self
                .wrapped()
                .map_or(ErrorKind::Internal, DomainError::kind),
        }
    }
}

#[cfg(test)]
mod tests {
    use cinema_kernel::{DomainError, ErrorKind, Fail, FieldError};

    use super::Error;

    #[test]
    fn wrapping_keeps_the_kind_the_fields_and_the_retry_hint() {
        let fields = vec![
            FieldError::new("movie_ids", "must not be empty"),
            FieldError::new("limit", "must be at most 100"),
        ];
        let invalid = Error::from(cinema_commerce::Error::invalid_fields(fields.clone()));
        assert_eq!(invalid.kind(), ErrorKind::Invalid);
        assert_eq!(invalid.field_errors(), fields);

        let throttled = cinema_identity::Error::Throttled {
            limit: cinema_identity::Limit::SignIn,
            retry_after_secs: 30,
        };
        let problem = throttled.problem_type();
        let wrapped = Error::from(cinema_commerce::Error::from(throttled));
        assert_eq!(wrapped.kind(), ErrorKind::RateLimited);
        assert_eq!(wrapped.retry_after_secs(), Some(30));
        assert!(problem.is_some());
        assert_eq!(wrapped.problem_type(), problem);

        let missing = Error::from(cinema_commerce::Error::not_found("Order 7"));
        assert_eq!(missing.kind(), ErrorKind::NotFound);
        assert_eq!(missing.to_string(), "Order 7 not found.");
    }
}
