//! Billing: payments for orders through a payment gateway (Stripe, or a built-in test
//! gateway), webhooks that can never double-count, refunds.
//!
//! Built so far: [`signature`], the verification of Stripe's webhook signatures as a pure
//! function (and the signing that the built-in test gateway and test fakes use):
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
//! Depends on `cinema-kernel` and `cinema-commerce` (orders are marked paid and ownership
//! granted through `Commerce::pay_in`, inside the payment's transaction); never on HTTP.

pub mod signature;
