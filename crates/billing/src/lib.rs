//! Billing: payments for orders, verified webhooks that can never double-count, refunds.
//!
//! - [`signature`]: Stripe's webhook signature as a pure function — [`signature::verify`]
//!   for receivers, [`signature::sign`] for the built-in test gateway and for fakes:
//!
//! ```
//! use cinema_billing::signature::{sign, verify, DEFAULT_TOLERANCE};
//!
//! let body = br#"{"id":"evt_1","type":"checkout.session.completed"}"#;
//! let header = sign(body, b"whsec_example", 1_800_000_000);
//! assert_eq!(verify(body, &header, b"whsec_example", 1_800_000_030, DEFAULT_TOLERANCE), Ok(1_800_000_000));
//! assert!(verify(body, &header, b"another secret", 1_800_000_030, DEFAULT_TOLERANCE).is_err());
//! ```
//!
//! - [`Billing::receive_webhook`]: verifies a webhook, then applies the event in one
//!   transaction together with the row that records its id, so each event takes effect once
//!   however often and in whatever order it is delivered. A payment marks the order paid and
//!   grants its movies through `Commerce::pay_in`, records the payment with its items and
//!   queues the receipt, all in that transaction.
//!
//! - [`Billing::checkout`] (web) and [`Billing::payment_intent`] (mobile): a payment opened at
//!   the [`gateway::PaymentGateway`] for a pending order, re-priced first and reused while open.
//!   Two adapters: [`stripe::StripeGateway`] and [`test_gateway::TestGateway`], the built-in
//!   zero-configuration gateway whose page presses Pay or Decline by delivering a signed,
//!   Stripe-shaped event through [`Billing::receive_webhook`].
//!
//! - [`Billing::refund`]: a full refund through the gateway (admins; owners within the refund
//!   window), and [`Billing::refund_owed`], which gives back money that arrived for an order
//!   that could no longer take it ([`PaymentStatus::RefundDue`]). [`Billing::payments`] lists
//!   payments with their items.
//!
//! - [`analytics::sales`]: units and revenue by movie, genre, day, week or month over a date
//!   range, refunds subtracted in the period they happen, summed exactly in SQL.
//!
//! Depends on `cinema-kernel`, `cinema-identity` (who to e-mail) and `cinema-commerce`;
//! never on HTTP.

#![deny(missing_docs)]

pub mod analytics;
mod checkout;
mod emails;
pub mod entity;
mod error;
pub mod events;
pub mod gateway;
mod history;
mod refunds;
pub mod signature;
mod status;
pub mod stripe;
pub mod test_gateway;
mod webhook;

use std::{sync::Arc, time::Duration};

use cinema_commerce::Commerce;
use cinema_kernel::{mail::Outbox, time::Clock};
use secrecy::SecretString;

pub use checkout::{Checkout, Intent, PaymentState};
pub use error::{Error, Result};
pub use gateway::PaymentGateway;
pub use history::{PaymentFilter, PaymentView};
pub use refunds::Refunder;
pub use status::PaymentStatus;
pub use webhook::Outcome;

/// How billing behaves.
#[derive(Debug, Clone)]
pub struct BillingConfig {
    /// ISO 4217, lower case (`usd`): what every payment must be in.
    pub currency: String,
    /// The webhook endpoint's signing secret (`whsec_…`).
    pub webhook_secret: SecretString,
    /// How far a webhook's signed timestamp may be from now.
    pub tolerance: Duration,
    /// How long after paying an owner may still ask for a refund (admins: any time).
    pub refund_window: Duration,
}

/// The billing service. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Billing {
    config: Arc<BillingConfig>,
    clock: Clock,
    commerce: Commerce,
    outbox: Arc<dyn Outbox>,
    gateway: Arc<dyn PaymentGateway>,
    actor: Option<cinema_kernel::audit::Actor>,
}

/// Cents as the two-decimal text e-mails and pages show.
fn money(cents: i64) -> String {
    cinema_kernel::Money::from_cents(cents)
        .unwrap_or_default()
        .to_string()
}

impl Billing {
    /// The billing service: checkout and refunds through `gateway`, receipts through `outbox`, orders through `commerce`.
    pub fn new(
        config: BillingConfig,
        clock: Clock,
        commerce: Commerce,
        outbox: Arc<dyn Outbox>,
        gateway: Arc<dyn PaymentGateway>,
    ) -> Self {
        Self {
            config: Arc::new(config),
            clock,
            commerce,
            outbox,
            gateway,
            actor: None,
        }
    }

    /// This service with its refunds recorded in the audit trail as `actor`'s (without one, as
    /// unattributed: the owed-refund job, a gateway-side refund).
    #[must_use]
    pub fn acting(&self, actor: cinema_kernel::audit::Actor) -> Self {
        Self {
            actor: Some(actor),
            ..self.clone()
        }
    }

    fn now(&self) -> i64 {
        self.clock.now_ms()
    }
}
