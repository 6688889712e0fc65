//! The order state machine: every status change of an order is decided by [`transition`].
//!
//! ```text
//! pending ──payment──▶ paid ──refund──▶ refunded
//!    │ ╲
//!  cancel expiry
//!    ▼     ▼
//! canceled expired
//! ```

use std::fmt;

/// Where an order is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderStatus {
    /// Created from the cart, waiting for payment.
    Pending,
    /// Paid by a verified payment; its movies are owned.
    Paid,
    /// Canceled by its owner or an admin (or emptied by a movie's forced deletion).
    Canceled,
    /// Left unpaid for longer than the pending time-to-live.
    Expired,
    /// Paid, then refunded: ownership taken back.
    Refunded,
}

impl OrderStatus {
    /// Every status.
    pub const ALL: [OrderStatus; 5] = [
        OrderStatus::Pending,
        OrderStatus::Paid,
        OrderStatus::Canceled,
        OrderStatus::Expired,
        OrderStatus::Refunded,
    ];

    /// The name on the wire and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Pending => "pending",
            OrderStatus::Paid => "paid",
            OrderStatus::Canceled => "canceled",
            OrderStatus::Expired => "expired",
            OrderStatus::Refunded => "refunded",
        }
    }

    /// The status named `s`.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == s)
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What asks for a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// The owner or an admin cancels; or a forced movie deletion left the order empty.
    Cancel,
    /// A payment the billing slice verified (amount, currency, order).
    Payment,
    /// The pending time-to-live ran out.
    Expiry,
    /// The money went back to the payer.
    Refund,
}

/// A change the state machine refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("The order is {from}; it cannot become {to}{}.", hint(*from, *to))]
pub struct TransitionError {
    /// Where the order is.
    pub from: OrderStatus,
    /// Where it was asked to go.
    pub to: OrderStatus,
}

fn hint(from: OrderStatus, to: OrderStatus) -> &'static str {
    match (from, to) {
        (OrderStatus::Paid, OrderStatus::Canceled) => " (a paid order is only undone by a refund)",
        (_, OrderStatus::Paid) => " (only a verified payment pays a pending order)",
        (_, OrderStatus::Refunded) => " (only a paid order can be refunded)",
        _ => "",
    }
}

/// Whether `trigger` may move an order from `from` to `to`. The only changes allowed:
/// pending → paid (payment), pending → canceled (cancel), pending → expired (expiry),
/// paid → refunded (refund).
pub fn transition(
    from: OrderStatus,
    to: OrderStatus,
    trigger: Trigger,
) -> Result<(), TransitionError> {
    use OrderStatus::*;
    let allowed = matches!(
        (from, to, trigger),
        (Pending, Paid, Trigger::Payment)
            | (Pending, Canceled, Trigger::Cancel)
            | (Pending, Expired, Trigger::Expiry)
            | (Paid, Refunded, Trigger::Refund)
    );
    if allowed {
        Ok(())
    } else {
        Err(TransitionError { from, to })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use OrderStatus::*;

    const TRIGGERS: [Trigger; 4] = [
        Trigger::Cancel,
        Trigger::Payment,
        Trigger::Expiry,
        Trigger::Refund,
    ];

    #[test]
    fn exactly_four_changes_are_allowed_over_every_pair_and_trigger() {
        let allowed = [
            (Pending, Paid, Trigger::Payment),
            (Pending, Canceled, Trigger::Cancel),
            (Pending, Expired, Trigger::Expiry),
            (Paid, Refunded, Trigger::Refund),
        ];
        let mut seen = 0;
        for from in OrderStatus::ALL {
            for to in OrderStatus::ALL {
                for trigger in TRIGGERS {
                    let expected = allowed.contains(&(from, to, trigger));
                    assert_eq!(
                        transition(from, to, trigger).is_ok(),
                        expected,
                        "{from} → {to} by {trigger:?}"
                    );
                    seen += usize::from(expected);
                }
            }
        }
        assert_eq!(seen, allowed.len());
    }

    #[test]
    fn refusals_say_why() {
        let err = transition(Paid, Canceled, Trigger::Cancel).unwrap_err();
        assert_eq!(
            err.to_string(),
            "The order is paid; it cannot become canceled (a paid order is only undone by a refund)."
        );
    }

    #[test]
    fn wire_names_round_trip() {
        for status in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(OrderStatus::parse("PAID"), None);
    }
}
