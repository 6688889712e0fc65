use cinema_kernel::{Common, DomainError, ErrorKind, Money, common_error};

use crate::{Skipped, status::TransitionError};

#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
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
    #[error(transparent)]
    Identity(#[from] cinema_identity::Error),
    #[error(transparent)]
    Common(#[from] Common),
}

common_error!(Error);

impl DomainError for Error {
    fn wrapped(&self) -> Option<&dyn DomainError> {
        match self {
            Error::Common(e) => Some(e),
            Error::Identity(e) => Some(e),
            _ => None,
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
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
            Error::NotOwned { .. } => ErrorKind::Forbidden,
            Error::Identity(_) | Error::Common(_) => self
                .wrapped()
                .map_or(ErrorKind::Internal, DomainError::kind),
        }
    }
}
