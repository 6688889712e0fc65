//! The payment gateway port: what billing asks of a payment provider. Two adapters implement
//! it — [`crate::stripe::StripeGateway`] (real money) and [`crate::test_gateway::TestGateway`]
//! (the zero-configuration default, whose pages are served by this server).
//!
//! Billing never calls a gateway while it holds a database transaction: it reads and locks
//! what it needs, commits, calls the gateway with an idempotency key derived from what is
//! being paid or refunded, then records the answer in a second transaction. A retry or a
//! concurrent call therefore reaches the same object at the gateway.

use std::fmt;

/// One line of what is paid for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargeLine {
    /// What the payer sees on the line.
    pub title: String,
    /// In the currency's minor unit.
    pub amount_cents: i64,
}

/// A payment to open for an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargeRequest {
    /// The order paid for.
    pub order_id: i64,
    /// The order's total in the currency's minor unit (19.99 → 1999).
    pub amount_cents: i64,
    /// ISO 4217, lower case.
    pub currency: String,
    /// What is paid for, line by line.
    pub lines: Vec<ChargeLine>,
    /// Epoch milliseconds: when the order stops being payable.
    pub expires_at: i64,
    /// Epoch milliseconds: now, for gateways that bound how far ahead a session may end.
    pub now: i64,
    /// The payer's e-mail, prefilled where the gateway asks for one.
    pub email: Option<String>,
    /// Derived from order, amount and attempt: the same request always carries the same key.
    pub idempotency_key: String,
}

/// A hosted checkout page opened at the gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenedSession {
    /// The gateway's session id.
    pub id: String,
    /// The hosted page.
    pub url: String,
    /// Epoch milliseconds.
    pub expires_at: i64,
}

/// A PaymentIntent a mobile client confirms with its SDK.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenedIntent {
    /// The gateway's PaymentIntent id.
    pub id: String,
    /// What the client SDK confirms the payment with.
    pub client_secret: String,
}

/// Money to give back in full.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRequest {
    /// The payment to refund.
    pub payment_intent_id: String,
    /// How much, in the currency's minor unit.
    pub amount_cents: i64,
    /// The order it paid.
    pub order_id: i64,
    /// Makes a retried request refund once.
    pub idempotency_key: String,
}

/// Why the gateway did not do what was asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GatewayError {
    /// Unreachable, timed out, or failing on its side: try again later.
    #[error("The payment provider is unavailable: {0}")]
    Unavailable(String),
    /// It answered, and refused the request.
    #[error("The payment provider refused the request: {0}")]
    Refused(String),
}

/// A payment provider.
#[async_trait::async_trait]
pub trait PaymentGateway: Send + Sync + fmt::Debug {
    /// `stripe` or `test`: recorded with every session and payment.
    fn name(&self) -> &'static str;

    /// Opens a hosted checkout page for the charge.
    async fn open_session(&self, charge: &ChargeRequest) -> Result<OpenedSession, GatewayError>;

    /// Opens a PaymentIntent for the charge.
    async fn open_intent(&self, charge: &ChargeRequest) -> Result<OpenedIntent, GatewayError>;

    /// Refunds a payment in full; returns the refund's id.
    async fn refund(&self, refund: &RefundRequest) -> Result<String, GatewayError>;
}
