//! What became of money a gateway took.

/// A payment's status on the wire and in the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentStatus {
    /// Paid an order: its movies are owned.
    Successful,
    /// Given back in full; ownership taken back.
    Refunded,
    /// Arrived for an order that could not take it (no longer pending, or a wrong amount or
    /// currency): it pays nothing and is owed back to the payer.
    RefundDue,
}

impl PaymentStatus {
    /// Its name on the wire and in the `status` column.
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::Successful => "successful",
            PaymentStatus::Refunded => "refunded",
            PaymentStatus::RefundDue => "refund_due",
        }
    }

    /// The status named `text`.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Successful, Self::Refunded, Self::RefundDue]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}
