//! Billing: payments through a `PaymentGateway` trait (Stripe adapter and a built-in test
//! gateway), verified webhooks, and refunds.
//!
//! Depends on `cinema-commerce` and the slices below it; never on HTTP.
