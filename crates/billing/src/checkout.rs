//! Starting a payment: a checkout session for a pending order, opened once and reused while
//! it is open and the order's total has not changed.

use cinema_commerce::Viewer;
use cinema_kernel::db;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder,
};

use crate::{Billing, Error, Result, entity::checkout_session};

/// Where the payer goes to pay an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkout {
    pub order_id: i64,
    pub session_id: String,
    pub checkout_url: String,
    /// Epoch milliseconds: the order's own expiry.
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

/// An order's payment as its owner sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentState {
    pub order_id: i64,
    pub order_status: cinema_commerce::OrderStatus,
    /// The latest payment's status, if money arrived.
    pub payment_status: Option<String>,
    /// The open checkout session, if any.
    pub session_id: Option<String>,
}

impl Billing {
    /// The test gateway's page for a session.
    pub fn test_gateway_url(&self, session_id: &str) -> String {
        format!(
            "{}/api/v1/payments/test-gateway/{session_id}",
            self.config.public_url.trim_end_matches('/')
        )
    }

    /// Opens a checkout for the caller's pending order, or returns the one still open. The
    /// order is re-priced first: a changed total is committed and reported
    /// ([`cinema_commerce::Error::TotalChanged`]), never charged silently. Concurrent calls
    /// queue on the order's row, so they share one session.
    pub async fn checkout(
        &self,
        db: &DatabaseConnection,
        user_id: i64,
        order_id: i64,
    ) -> Result<Checkout> {
        let txn = db::begin_write(db).await?;
        let repriced = self
            .commerce
            .reprice_in(&txn, Viewer::User(user_id), order_id)
            .await?;
        let order = match repriced.unchanged() {
            Ok(view) => view.order,
            // The new prices are kept, so the next checkout charges what this one reported.
            Err(changed) => {
                txn.commit().await?;
                return Err(changed.into());
            }
        };
        let now = self.now();
        if order.expires_at <= now {
            return Err(Error::OrderExpired(order_id));
        }
        if let Some(open) = checkout_session::Entity::find()
            .filter(checkout_session::Column::OrderId.eq(order_id))
            .filter(checkout_session::Column::Kind.eq("checkout"))
            .filter(checkout_session::Column::Status.eq("open"))
            .filter(checkout_session::Column::AmountCents.eq(order.total_cents))
            .filter(checkout_session::Column::ExpiresAt.gt(now))
            .order_by_desc(checkout_session::Column::CreatedAt)
            .one(&txn)
            .await?
        {
            txn.commit().await?;
            return Ok(open.into());
        }
        let id = format!("cs_test_{}", uuid::Uuid::new_v4().simple());
        let session = checkout_session::Entity::insert(checkout_session::ActiveModel {
            url: Set(Some(self.test_gateway_url(&id))),
            id: Set(id),
            order_id: Set(order_id),
            gateway: Set(self.config.gateway.clone()),
            kind: Set("checkout".into()),
            amount_cents: Set(order.total_cents),
            currency: Set(self.config.currency.clone()),
            client_secret: Set(None),
            status: Set("open".into()),
            expires_at: Set(order.expires_at),
            created_at: Set(now),
        })
        .exec_with_returning(&txn)
        .await?;
        txn.commit().await?;
        Ok(session.into())
    }

    /// Where the caller's order stands: its status, the last payment's, the open session.
    pub async fn payment_state<C: ConnectionTrait>(
        &self,
        db: &C,
        viewer: Viewer,
        order_id: i64,
    ) -> Result<PaymentState> {
        let order = self.commerce.order(db, viewer, order_id).await?;
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
