//! Starting a payment: a checkout session (web) or a PaymentIntent (mobile) for a pending
//! order, opened once per attempt and reused while it is open and the total is unchanged.
//!
//! The gateway is called between two transactions, never inside one: the first re-prices the
//! order and looks for an open attempt, the second records the gateway's answer. Concurrent
//! calls send the same idempotency key (order, kind, attempt, amount), so a real gateway
//! answers them with one object, and the unique `(order, kind, attempt)` row keeps the first
//! answer recorded whatever the gateway does.

use cinema_commerce::Viewer;
use cinema_identity::users;
use cinema_kernel::Fail;
use cinema_kernel::db;
use cinema_kernel::{OrderId, UserId};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, sea_query::OnConflict,
};

use crate::{
    Billing, Error, Result,
    entity::checkout_session,
    gateway::{ChargeLine, ChargeRequest},
};

/// Where the payer goes to pay an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkout {
    /// The order.
    pub order_id: i64,
    /// The gateway's session id (`cs_…`).
    pub session_id: String,
    /// The page to send the payer to.
    pub checkout_url: String,
    /// Epoch milliseconds: when the session ends (with the order, within the gateway's bounds).
    pub expires_at: i64,
}

impl From<checkout_session::Model> for Checkout {
    fn from(s: checkout_session::Model) -> Self {
        Self {
            order_id: s.order_id,
            checkout_url: s.url.unwrap_or_default(),
            session_id: s.id,
            expires_at: s.expires_at,
        }
    }
}

/// A PaymentIntent a mobile client confirms with the gateway's SDK.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Intent {
    /// The order.
    pub order_id: i64,
    /// The gateway's PaymentIntent id (`pi_…`).
    pub payment_intent_id: String,
    /// What the client SDK confirms the payment with.
    pub client_secret: String,
}

impl From<checkout_session::Model> for Intent {
    fn from(s: checkout_session::Model) -> Self {
        Self {
            order_id: s.order_id,
            client_secret: s.client_secret.unwrap_or_default(),
            payment_intent_id: s.id,
        }
    }
}

/// An order's payment as its owner sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentState {
    /// The order.
    pub order_id: i64,
    /// The order's status.
    pub order_status: cinema_commerce::OrderStatus,
    /// The latest payment's status, if money arrived.
    pub payment_status: Option<String>,
    /// The open checkout session, if any.
    pub session_id: Option<String>,
}

/// How a payment is started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Checkout,
    Intent,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Checkout => "checkout",
            Kind::Intent => "intent",
        }
    }
}

impl Billing {
    /// Opens a checkout session for the caller's pending order, or returns the one still
    /// open. The order is re-priced first: a changed total is committed and reported
    /// ([`cinema_commerce::Error::TotalChanged`]), never charged silently.
    pub async fn checkout(
        &self,
        db: &DatabaseConnection,
        user_id: UserId,
        order_id: OrderId,
    ) -> Result<Checkout> {
        let user_id = user_id.get();
        let order_id = order_id.get();
        Ok(self
            .open(db, user_id, order_id, Kind::Checkout)
            .await?
            .into())
    }

    /// Opens a PaymentIntent for the caller's pending order (mobile clients), or returns the
    /// one still open; re-priced first, like [`Billing::checkout`].
    pub async fn payment_intent(
        &self,
        db: &DatabaseConnection,
        user_id: UserId,
        order_id: OrderId,
    ) -> Result<Intent> {
        let user_id = user_id.get();
        let order_id = order_id.get();
        Ok(self.open(db, user_id, order_id, Kind::Intent).await?.into())
    }

    async fn open(
        &self,
        db: &DatabaseConnection,
        user_id: i64,
        order_id: i64,
        kind: Kind,
    ) -> Result<checkout_session::Model> {
        let txn = db::begin_write(db).await?;
        let repriced = self
            .commerce
            .reprice_in(&txn, Viewer::User(user_id), OrderId(order_id))
            .await?;
        let view = match repriced.unchanged() {
            Ok(view) => view,
            // The new prices are kept, so the next call charges what this one reported.
            Err(changed) => {
                txn.commit().await?;
                return Err(changed.into());
            }
        };
        let order = &view.order;
        let now = self.now();
        if order.expires_at <= now {
            return Err(Error::OrderExpired(order_id));
        }
        // Never a session for nothing, nor for more than one payment can take.
        if order.total_cents <= 0 {
            return Err(Error::conflict(format!(
                "Order {order_id} costs {}: there is nothing to pay.",
                crate::money(order.total_cents.max(0))
            )));
        }
        let max = self.commerce.config().max_total;
        if order.total_cents > max.cents() {
            return Err(Error::conflict(format!(
                "Order {order_id} costs {}, more than {max}, the most one payment can take.",
                crate::money(order.total_cents)
            )));
        }
        let of_order = checkout_session::Entity::find()
            .filter(checkout_session::Column::OrderId.eq(order_id))
            .filter(checkout_session::Column::Kind.eq(kind.as_str()));
        if let Some(open) = of_order
            .clone()
            .filter(checkout_session::Column::Status.eq("open"))
            .filter(checkout_session::Column::AmountCents.eq(order.total_cents))
            .filter(checkout_session::Column::ExpiresAt.gt(now))
            .order_by_desc(checkout_session::Column::Attempt)
            .one(&txn)
            .await?
        {
            txn.commit().await?;
            return Ok(open);
        }
        let attempt = i32::try_from(of_order.count(&txn).await?).unwrap_or(i32::MAX);
        let email = users::email_of(&txn, UserId(user_id)).await?;
        txn.commit().await?;

        let charge = ChargeRequest {
            order_id,
            amount_cents: order.total_cents,
            currency: self.config.currency.clone(),
            lines: view
                .items
                .iter()
                .map(|i| ChargeLine {
                    title: i.title.clone(),
                    amount_cents: i.price_cents,
                })
                .collect(),
            expires_at: order.expires_at,
            now,
            email,
            idempotency_key: format!(
                "cinema-order-{order_id}-{}-{attempt}-{}{}",
                kind.as_str(),
                order.total_cents,
                self.config.currency
            ),
        };
        let opened = match kind {
            Kind::Checkout => self
                .gateway
                .open_session(&charge)
                .await
                .map(|s| (s.id, Some(s.url), None, s.expires_at)),
            Kind::Intent => self
                .gateway
                .open_intent(&charge)
                .await
                .map(|i| (i.id, None, Some(i.client_secret), order.expires_at)),
        };
        let (id, url, client_secret, expires_at) = match opened {
            Ok(opened) => opened,
            Err(e) => {
                // A concurrent call with the same key may hold it at the gateway (Stripe
                // answers 409 while it is in flight): its answer, once recorded, stands.
                for _ in 0..3 {
                    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                    if let Some(row) = self.attempt(db, order_id, kind, attempt).await? {
                        return Ok(row);
                    }
                }
                return Err(e.into());
            }
        };
        checkout_session::Entity::insert(checkout_session::ActiveModel {
            id: Set(id),
            order_id: Set(order_id),
            gateway: Set(self.gateway.name().to_owned()),
            kind: Set(kind.as_str().to_owned()),
            amount_cents: Set(order.total_cents),
            currency: Set(self.config.currency.clone()),
            url: Set(url),
            client_secret: Set(client_secret),
            status: Set("open".into()),
            expires_at: Set(expires_at),
            created_at: Set(now),
            attempt: Set(attempt),
            declined_at: Set(None),
        })
        // A concurrent call recorded this attempt first: its answer stands.
        .on_conflict(OnConflict::new().do_nothing().to_owned())
        .exec_without_returning(db)
        .await?;
        self.attempt(db, order_id, kind, attempt)
            .await?
            .ok_or_else(|| Error::not_found(format!("Order {order_id}")))
    }

    async fn attempt(
        &self,
        db: &DatabaseConnection,
        order_id: i64,
        kind: Kind,
        attempt: i32,
    ) -> Result<Option<checkout_session::Model>> {
        Ok(checkout_session::Entity::find()
            .filter(checkout_session::Column::OrderId.eq(order_id))
            .filter(checkout_session::Column::Kind.eq(kind.as_str()))
            .filter(checkout_session::Column::Attempt.eq(attempt))
            .one(db)
            .await?)
    }

    /// Where the caller's order stands: its status, the last payment's, the open session.
    pub async fn payment_state<C: ConnectionTrait>(
        &self,
        db: &C,
        viewer: Viewer,
        order_id: OrderId,
    ) -> Result<PaymentState> {
        let order_id = order_id.get();
        let order = self.commerce.order(db, viewer, OrderId(order_id)).await?;
        let payment_status = crate::entity::payment::Entity::find()
            .filter(crate::entity::payment::Column::OrderId.eq(order_id))
            .order_by_desc(crate::entity::payment::Column::Id)
            .one(db)
            .await?
            .map(|p| p.status);
        let session_id = checkout_session::Entity::find()
            .filter(checkout_session::Column::OrderId.eq(order_id))
            .filter(checkout_session::Column::Status.eq("open"))
            .order_by_desc(checkout_session::Column::CreatedAt)
            .one(db)
            .await?
            .map(|s| s.id);
        Ok(PaymentState {
            order_id,
            order_status: order.status(),
            payment_status,
            session_id,
        })
    }
}
