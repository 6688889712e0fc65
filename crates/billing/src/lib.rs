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
//! - [`Billing::checkout`]: a checkout session for a pending order, re-priced first and reused
//!   while open; [`test_gateway`] is the built-in gateway whose page presses Pay or Decline by
//!   delivering a signed, Stripe-shaped event through [`Billing::receive_webhook`].
//!
//! Still to come (issue 13): the Stripe adapter, PaymentIntents for mobile, payment history,
//! refunds started from the API, and the refund calls that money owed back
//! ([`PaymentStatus::RefundDue`]) waits for.
//!
//! Depends on `cinema-kernel`, `cinema-identity` (who to e-mail) and `cinema-commerce`;
//! never on HTTP.

mod checkout;
mod emails;
pub mod entity;
mod error;
pub mod events;
pub mod signature;
mod status;
pub mod test_gateway;
mod webhook;

use std::{sync::Arc, time::Duration};

use cinema_commerce::Commerce;
use cinema_kernel::{mail::Outbox, time::Clock};
use secrecy::SecretString;

pub use checkout::{Checkout, PaymentState};
pub use error::{Error, Result};
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
    /// `stripe` or `test`: the gateway payments are recorded against.
    pub gateway: String,
    /// How clients reach this server: the test gateway's pages are under it.
    pub public_url: String,
}

/// The billing service. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Billing {
    config: Arc<BillingConfig>,
    clock: Clock,
    commerce: Commerce,
    outbox: Arc<dyn Outbox>,
}

/// Cents as the two-decimal text e-mails and pages show.
fn money(cents: i64) -> String {
    cinema_kernel::Money::from_cents(cents)
        .unwrap_or_default()
        .to_string()
}

impl Billing {
    pub fn new(
        config: BillingConfig,
        clock: Clock,
        commerce: Commerce,
        outbox: Arc<dyn Outbox>,
    ) -> Self {
        Self {
            config: Arc::new(config),
            clock,
            commerce,
            outbox,
        }
    }

    fn now(&self) -> i64 {
        self.clock.now_ms()
    }
}
