//! Why a movie was left out of a guest-cart merge.

/// Why a movie was left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    /// The user owns it already: repeat purchases are not allowed.
    AlreadyOwned,
    /// It is in another pending order of the user.
    InPendingOrder {
        /// That order.
        order_id: i64,
    },
    /// It is in the cart already (guest-cart merge).
    AlreadyInCart,
    /// It does not exist (any more).
    Unavailable,
}

impl SkipReason {
    /// A stable code for clients.
    pub fn code(self) -> &'static str {
        match self {
            SkipReason::AlreadyOwned => "already_owned",
            SkipReason::InPendingOrder { .. } => "in_pending_order",
            SkipReason::AlreadyInCart => "already_in_cart",
            SkipReason::Unavailable => "unavailable",
        }
    }

    /// The same, for a person.
    pub fn message(self) -> String {
        match self {
            SkipReason::AlreadyOwned => "already owned: repeat purchases are not allowed".into(),
            SkipReason::InPendingOrder { order_id } => {
                format!("already in your pending order {order_id}")
            }
            SkipReason::AlreadyInCart => "already in the cart".into(),
            SkipReason::Unavailable => "no longer available".into(),
        }
    }
}

/// A movie left out, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Skipped {
    /// The movie.
    pub movie_id: i64,
    /// Why it was left out.
    pub reason: SkipReason,
}
