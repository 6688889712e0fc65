//! Stripe events as the webhook receives them: only the fields billing reads, from the JSON
//! of `data.object` (whose fields vary by type, and may be ids or expanded objects).

use serde::Deserialize;
use serde_json::Value;

use crate::{Error, Result};

/// A payment provider's webhook event (Stripe's shape).
#[derive(Debug, Clone, Deserialize)]
pub struct Event {
    /// The event's id (`evt_…`): applied at most once.
    pub id: String,
    /// Its type, e.g. `checkout.session.completed`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// Unix seconds: when the gateway registered what the event reports (signed with it).
    #[serde(default)]
    pub created: Option<i64>,
    /// What it is about.
    pub data: EventData,
}

/// The object an event is about.
#[derive(Debug, Clone, Deserialize)]
pub struct EventData {
    /// The object (a session, a PaymentIntent, a charge), as JSON.
    pub object: Value,
}

impl Event {
    /// Reads a webhook body; anything but an event with an id and a type is malformed.
    pub fn parse(payload: &[u8]) -> Result<Self> {
        let event: Event =
            serde_json::from_slice(payload).map_err(|e| Error::MalformedEvent(e.to_string()))?;
        if event.id.is_empty() || event.id.len() > 255 {
            return Err(Error::MalformedEvent(
                "the event id is empty or too long".into(),
            ));
        }
        Ok(event)
    }

    fn text(&self, field: &str) -> Option<&str> {
        match self.data.object.get(field)? {
            Value::String(s) => Some(s),
            // An expanded object: its id.
            Value::Object(o) => o.get("id").and_then(Value::as_str),
            _ => None,
        }
    }

    /// The object's own id (`cs_…`, `pi_…`, `ch_…`).
    pub fn object_id(&self) -> Option<&str> {
        self.text("id")
    }

    /// The object's kind (`checkout.session`, `payment_intent`, `charge`).
    pub fn object_kind(&self) -> Option<&str> {
        self.text("object")
    }

    /// The order the payment is for: `metadata.order_id`, or the session's
    /// `client_reference_id`.
    pub fn order_id(&self) -> Option<i64> {
        self.data
            .object
            .get("metadata")
            .and_then(|m| m.get("order_id"))
            .and_then(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .or_else(|| v.as_i64().map(|n| n.to_string()))
            })
            .or_else(|| self.text("client_reference_id").map(str::to_owned))
            .and_then(|s| s.parse().ok())
    }

    /// The PaymentIntent: the object itself for `payment_intent.*`, its `payment_intent`
    /// otherwise (sessions and charges).
    pub fn payment_intent(&self) -> Option<&str> {
        if self.object_kind() == Some("payment_intent") {
            self.object_id()
        } else {
            self.text("payment_intent")
        }
    }

    /// The amount paid, in the currency's minor unit.
    pub fn amount(&self) -> Option<i64> {
        ["amount_total", "amount_received", "amount"]
            .iter()
            .find_map(|f| self.data.object.get(*f).and_then(Value::as_i64))
    }

    /// The object's currency, lower-cased.
    pub fn currency(&self) -> Option<String> {
        self.text("currency").map(str::to_ascii_lowercase)
    }

    /// A Checkout Session's `payment_status` (`paid`, `unpaid`, `no_payment_required`).
    pub fn payment_status(&self) -> Option<&str> {
        self.text("payment_status")
    }

    /// A charge's `refunded`: whether it was refunded in full.
    pub fn fully_refunded(&self) -> Option<bool> {
        self.data.object.get("refunded").and_then(Value::as_bool)
    }

    /// The newest refund of a charge (`refunds.data[0].id`), when the event carries it.
    pub fn refund_id(&self) -> Option<&str> {
        self.data
            .object
            .get("refunds")?
            .get("data")?
            .get(0)?
            .get("id")?
            .as_str()
    }
}
