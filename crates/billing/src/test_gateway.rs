//! The built-in test gateway, the zero-configuration default: its checkout page is served by
//! our own server, and pressing **Pay** or **Decline** produces an event shaped and signed as
//! Stripe's, delivered through the same [`Billing::receive_webhook`] path. It moves no money;
//! production configuration refuses it.

use cinema_commerce::entity::{order, order_item};
use cinema_kernel::Fail;
use cinema_kernel::text::escape_html;
use hmac::{Hmac, Mac};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use secrecy::ExposeSecret;
use serde_json::json;
use sha2::Sha256;

use crate::{
    Billing, Error, Outcome, Result,
    entity::checkout_session,
    gateway::{
        ChargeRequest, GatewayError, OpenedIntent, OpenedSession, PaymentGateway, RefundRequest,
    },
    money, signature,
};

/// The built-in gateway: sessions are pages of this server; intents are paid on the same
/// page; refunds succeed at once (no money moved in the first place).
#[derive(Debug, Clone)]
pub struct TestGateway {
    public_url: String,
}

impl TestGateway {
    /// `public_url`: how payers reach this server.
    pub fn new(public_url: impl Into<String>) -> Self {
        Self {
            public_url: public_url.into().trim_end_matches('/').to_owned(),
        }
    }

    /// The page of a session or intent.
    pub fn page_url(&self, id: &str) -> String {
        format!("{}/api/v1/payments/test-gateway/{id}", self.public_url)
    }
}

fn test_id(prefix: &str) -> String {
    format!("{prefix}_test_{}", uuid::Uuid::new_v4().simple())
}

#[async_trait::async_trait]
impl PaymentGateway for TestGateway {
    fn name(&self) -> &'static str {
        "test"
    }

    async fn open_session(&self, charge: &ChargeRequest) -> Result<OpenedSession, GatewayError> {
        let id = test_id("cs");
        Ok(OpenedSession {
            url: self.page_url(&id),
            id,
            expires_at: charge.expires_at,
        })
    }

    async fn open_intent(&self, _charge: &ChargeRequest) -> Result<OpenedIntent, GatewayError> {
        let id = test_id("pi");
        Ok(OpenedIntent {
            client_secret: format!("{id}_secret_{}", uuid::Uuid::new_v4().simple()),
            id,
        })
    }

    async fn refund(&self, _refund: &RefundRequest) -> Result<String, GatewayError> {
        Ok(test_id("re"))
    }
}

/// What the payer pressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Pay the session.
    Pay,
    /// Decline it.
    Decline,
}

impl Billing {
    /// The form token of a session: an HMAC only this server can make, so a form posted from
    /// elsewhere cannot press a button.
    pub fn form_token(&self, session_id: &str) -> String {
        signature::hex_encode(&self.form_mac(session_id).finalize().into_bytes())
    }

    fn form_mac(&self, session_id: &str) -> Hmac<Sha256> {
        let mut mac = signature::keyed(self.config.webhook_secret.expose_secret().as_bytes());
        mac.update(b"test-gateway-form:");
        mac.update(session_id.as_bytes());
        mac
    }

    /// Why this session can no longer take money, if it cannot: it ended, or its order is no
    /// longer pending, has expired, or costs something else now (re-priced).
    async fn unpayable(
        &self,
        db: &DatabaseConnection,
        session: &checkout_session::Model,
    ) -> Result<Option<String>> {
        let now = self.now();
        if session.status != "open" || session.expires_at <= now {
            let state = if session.status == "open" {
                "expired"
            } else {
                session.status.as_str()
            };
            return Ok(Some(format!(
                "This checkout is {state}; start a new one from the order."
            )));
        }
        let Some(order) = order::Entity::find_by_id(session.order_id).one(db).await? else {
            return Ok(Some("This checkout's order no longer exists.".to_owned()));
        };
        let id = order.id;
        Ok(if order.status != "pending" {
            Some(format!(
                "Order {id} is {}: this checkout can no longer take a payment.",
                order.status
            ))
        } else if order.expires_at <= now {
            Some(format!(
                "Order {id} has expired: this checkout can no longer take a payment."
            ))
        } else if order.total_cents != session.amount_cents {
            Some(format!(
                "Order {id} now costs {} instead of {} (its prices changed): start a new \
                 checkout from the order.",
                money(order.total_cents),
                money(session.amount_cents)
            ))
        } else {
            None
        })
    }

    async fn open_session(
        &self,
        db: &DatabaseConnection,
        session_id: &str,
    ) -> Result<checkout_session::Model> {
        checkout_session::Entity::find_by_id(session_id.to_owned())
            .one(db)
            .await?
            .filter(|s| s.gateway == "test")
            .ok_or_else(|| Error::not_found(format!("Checkout session {session_id}")))
    }

    /// The checkout page: the order's items and total, and the two buttons.
    pub async fn test_gateway_page(
        &self,
        db: &DatabaseConnection,
        session_id: &str,
    ) -> Result<String> {
        let session = self.open_session(db, session_id).await?;
        let items = order_item::Entity::find()
            .filter(order_item::Column::OrderId.eq(session.order_id))
            .order_by_asc(order_item::Column::Id)
            .all(db)
            .await?;
        let rows: String = items
            .iter()
            .map(|i| {
                format!(
                    "<tr><td>{}</td><td>{}</td></tr>",
                    escape_html(&i.title),
                    money(i.price_cents)
                )
            })
            .collect();
        let currency = escape_html(&session.currency.to_uppercase());
        let total = money(session.amount_cents);
        let body = if let Some(reason) = self.unpayable(db, &session).await? {
            format!("<p>{}</p>", escape_html(&reason))
        } else {
            let token = self.form_token(&session.id);
            format!(
                "<form method=\"post\"><input type=\"hidden\" name=\"token\" value=\"{token}\">\
                 <button name=\"action\" value=\"pay\">Pay {total} {currency}</button> \
                 <button name=\"action\" value=\"decline\">Decline</button></form>"
            )
        };
        Ok(format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>Test payment — order {order}</title></head><body>\
             <h1>Test payment for order {order}</h1>\
             <p>The built-in test gateway moves no money.</p>\
             <table><thead><tr><th>Movie</th><th>Price</th></tr></thead><tbody>{rows}</tbody>\
             <tfoot><tr><th>Total</th><th>{total} {currency}</th></tr></tfoot></table>{body}\
             </body></html>",
            order = session.order_id,
        ))
    }

    /// Presses a button: builds the event Stripe would send and delivers it through the
    /// webhook path, signed with the webhook secret.
    pub async fn test_gateway_act(
        &self,
        db: &DatabaseConnection,
        session_id: &str,
        action: Action,
        token: &str,
    ) -> Result<Outcome> {
        // `verify_slice` compares in constant time.
        let genuine = signature::hex_decode(token)
            .is_some_and(|t| self.form_mac(session_id).verify_slice(&t).is_ok());
        if !genuine {
            return Err(Error::conflict(
                "This form was not issued by this checkout page; reload it.",
            ));
        }
        let session = self.open_session(db, session_id).await?;
        if let Some(reason) = self.unpayable(db, &session).await? {
            return Err(Error::conflict(reason));
        }
        let is_intent = session.kind == "intent";
        let intent = if is_intent {
            session.id.clone()
        } else {
            format!("pi_{}", session.id)
        };
        let metadata = json!({"order_id": session.order_id.to_string()});
        // What Stripe would report: for a PaymentIntent, the intent itself; for a Checkout
        // Session, the session (its failure too, as Stripe's does for payments that fail after
        // the page).
        let (kind, object) = match (action, is_intent) {
            (Action::Pay, true) => (
                "payment_intent.succeeded",
                json!({
                    "id": intent, "object": "payment_intent", "status": "succeeded",
                    "amount": session.amount_cents, "amount_received": session.amount_cents,
                    "currency": session.currency, "metadata": metadata,
                }),
            ),
            (Action::Decline, true) => (
                "payment_intent.payment_failed",
                json!({
                    "id": intent, "object": "payment_intent", "amount": session.amount_cents,
                    "currency": session.currency, "metadata": metadata,
                }),
            ),
            (action, false) => {
                let (kind, paid) = match action {
                    Action::Pay => ("checkout.session.completed", "paid"),
                    Action::Decline => ("checkout.session.async_payment_failed", "unpaid"),
                };
                (
                    kind,
                    json!({
                        "id": session.id, "object": "checkout.session", "payment_status": paid,
                        "amount_total": session.amount_cents, "currency": session.currency,
                        "payment_intent": intent, "metadata": metadata,
                    }),
                )
            }
        };
        let event = json!({
            "id": format!("evt_test_{}", uuid::Uuid::new_v4().simple()),
            "object": "event", "created": self.now().div_euclid(1000),
            "type": kind, "data": {"object": object},
        });
        let payload =
            serde_json::to_vec(&event).map_err(|e| Error::MalformedEvent(e.to_string()))?;
        let secret = self.config.webhook_secret.expose_secret().as_bytes();
        let header = signature::sign(&payload, secret, self.now().div_euclid(1000));
        let outcome = self.receive_webhook(db, &payload, Some(&header)).await?;
        if action == Action::Pay {
            // The order may have changed between the check above and the event's commit.
            let paid = order::Entity::find_by_id(session.order_id)
                .one(db)
                .await?
                .is_some_and(|o| o.status == "paid");
            if !paid {
                return Err(Error::conflict(format!(
                    "Order {} changed while paying and cannot take this payment; it is being \
                     given back.",
                    session.order_id
                )));
            }
        }
        Ok(outcome)
    }
}
