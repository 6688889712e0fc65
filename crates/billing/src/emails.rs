//! The e-mails billing sends, each with the templates it owns, queued in the transaction of
//! the payment change that causes them.

use cinema_kernel::mail::{Email, Template};
use serde::Serialize;

macro_rules! template {
    ($name:literal) => {
        Template {
            name: concat!("billing.", $name),
            html: include_str!(concat!("templates/", $name, ".html")),
            text: include_str!(concat!("templates/", $name, ".txt")),
        }
    };
}

/// A movie on a receipt.
#[derive(Debug, Clone, Serialize)]
pub struct Line {
    pub title: String,
    pub price: String,
}

/// Sent when a payment paid an order.
#[derive(Debug, Clone, Serialize)]
pub struct OrderPaid {
    pub order_id: i64,
    pub total: String,
    pub currency: String,
    pub lines: Vec<Line>,
}

impl Email for OrderPaid {
    const TEMPLATE: Template = template!("order_paid");
    fn subject(&self) -> String {
        format!("Order {} is paid: your movies are ready", self.order_id)
    }
}

/// Sent when a payment was declined; the order stays payable.
#[derive(Debug, Clone, Serialize)]
pub struct PaymentFailed {
    pub order_id: i64,
}

impl Email for PaymentFailed {
    const TEMPLATE: Template = template!("payment_failed");
    fn subject(&self) -> String {
        format!("The payment for order {} did not go through", self.order_id)
    }
}

/// Sent when a payment was refunded.
#[derive(Debug, Clone, Serialize)]
pub struct PaymentRefunded {
    pub order_id: i64,
    pub amount: String,
    pub currency: String,
    /// Whether the payment had granted the order's movies (taken back now).
    pub revoked: bool,
}

impl Email for PaymentRefunded {
    const TEMPLATE: Template = template!("payment_refunded");
    fn subject(&self) -> String {
        format!("Order {} was refunded", self.order_id)
    }
}
