use cinema_kernel::{DomainError, ErrorKind, FieldError, Money, db};

use crate::{Skipped, status::TransitionError};

#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0} not found.")]
    NotFound(String),
    #[error("Movie {movie_id} is already yours: repeat purchases are not allowed.")]
    AlreadyOwned { movie_id: i64 },
    #[error("Movie {movie_id} is already in the cart.")]
    AlreadyInCart { movie_id: i64 },
    #[error("Movie {movie_id} is already in your pending order {order_id}.")]
    InPendingOrder { movie_id: i64, order_id: i64 },
    #[error("The cart is empty: add movies before ordering.")]
    EmptyCart,
    #[error("Nothing in the cart can be ordered: {}.", crate::skipped::describe(.0))]
    NothingToOrder(Vec<Skipped>),
    #[error(transparent)]
    Transition(#[from] TransitionError),
    #[error(
        "An order's status can only be set to `canceled` here; `{0}` follows from payments, refunds and time."
    )]
    NotRequestable(crate::OrderStatus),
    #[error(
        "Order {order_id} now costs {new} instead of {old} (prices or availability changed); it has been updated, review it and pay again."
    )]
    TotalChanged {
        order_id: i64,
        old: Money,
        new: Money,
    },
    #[error("Order {order_id} costs {expected}, but the payment was {paid}.")]
    AmountMismatch {
        order_id: i64,
        expected: Money,
        paid: Money,
    },
    #[error(
        "The total would be more than {limit}, the most one payment can take; remove some movies from the cart."
    )]
    TotalTooLarge { limit: Money },
    #[error("Movie {movie_id} is not yours to watch: buy it first.")]
    NotOwned { movie_id: i64 },
    #[error("The request has invalid fields.")]
    Invalid(Vec<FieldError>),
    #[error(transparent)]
    Identity(#[from] cinema_identity::Error),
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
            Error::NotFound(_) => ErrorKind::NotFound,
            Error::AlreadyOwned { .. } | Error::EmptyCart | Error::NotRequestable(_) => {
                ErrorKind::BadRequest
            }
            Error::AlreadyInCart { .. }
            | Error::InPendingOrder { .. }
            | Error::NothingToOrder(_)
            | Error::Transition(_)
            | Error::TotalChanged { .. }
            | Error::TotalTooLarge { .. }
            | Error::AmountMismatch { .. } => ErrorKind::Conflict,
            Error::Invalid(_) => ErrorKind::Invalid,
            Error::NotOwned { .. } => ErrorKind::Forbidden,
            Error::Identity(e) => e.kind(),
            Error::Database(e) => e.kind(),
        }
    }

    fn field_errors(&self) -> Vec<FieldError> {
        match self {
            Error::Invalid(errors) => errors.clone(),
            Error::Identity(e) => e.field_errors(),
            _ => Vec::new(),
        }
    }

    fn retry_after_secs(&self) -> Option<u64> {
        match self {
            Error::Identity(e) => e.retry_after_secs(),
            _ => None,
        }
    }

    fn problem_type(&self) -> Option<&'static str> {
        match self {
            Error::Identity(e) => e.problem_type(),
            _ => None,
        }
    }
}
