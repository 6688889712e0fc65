use cinema_kernel::{Common, DomainError, ErrorKind, Money, common_error};

use crate::status::TransitionError;

/// Commerce's failures.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The buyer owns the movie already (400).
    #[error("Movie {movie_id} is already yours: repeat purchases are not allowed.")]
    AlreadyOwned {
        /// The movie.
        movie_id: i64,
    },
    /// The movie is in the cart already (409).
    #[error("Movie {movie_id} is already in the cart.")]
    AlreadyInCart {
        /// The movie.
        movie_id: i64,
    },
    /// The movie waits in a pending order of the buyer (409).
    #[error("Movie {movie_id} is already in your pending order {order_id}.")]
    InPendingOrder {
        /// The movie.
        movie_id: i64,
        /// The pending order.
        order_id: i64,
    },
    /// An order from an empty cart (400).
    #[error("The cart is empty: add movies before ordering.")]
    EmptyCart,
    /// A status change the order's state machine does not allow (409).
    #[error(transparent)]
    Transition(#[from] TransitionError),
    /// A status a client may not ask for (400).
    #[error(
        "An order's status can only be set to `canceled` here; `{0}` follows from payments, refunds and time."
    )]
    NotRequestable(crate::OrderStatus),
    /// Re-priced before payment: the order was updated (409).
    #[error(
        "Order {order_id} now costs {new} instead of {old} (prices or availability changed); it has been updated, review it and pay again."
    )]
    TotalChanged {
        /// The order.
        order_id: i64,
        /// What it cost.
        old: Money,
        /// What it costs now.
        new: Money,
    },
    /// A payment of another amount than the order's (409).
    #[error("Order {order_id} costs {expected}, but the payment was {paid}.")]
    AmountMismatch {
        /// The order.
        order_id: i64,
        /// Its total.
        expected: Money,
        /// What was paid.
        paid: Money,
    },
    /// A total beyond what one payment can take (409).
    #[error(
        "The total would be more than {limit}, the most one payment can take; remove some movies from the cart."
    )]
    TotalTooLarge {
        /// The most one payment can take.
        limit: Money,
    },
    /// Playback of a movie the caller does not own (403).
    #[error("Movie {movie_id} is not yours to watch: buy it first.")]
    NotOwned {
        /// The movie.
        movie_id: i64,
    },
    /// Identity's, carried whole (sign-up and sign-in with a guest cart).
    #[error(transparent)]
    Identity(#[from] cinema_identity::Error),
    /// The failures every slice shares.
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
