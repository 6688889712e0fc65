//! Refunds: asked for through the API (admins; owners within the refund window), announced by
//! the gateway (`charge.refunded`), or owed because money arrived for an order that could not
//! take it. Every path ends in [`Billing::refunded_in`]: the order becomes refunded, ownership
//! goes back and the e-mail is queued, in one transaction, once.
//!
//! The gateway is called outside any transaction, with the key `cinema-refund-payment-{id}`:
//! repeated or concurrent attempts reach one refund at the gateway.

use cinema_kernel::Fail;
use cinema_kernel::db;
use cinema_kernel::{OrderId, PaymentId};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, DatabaseConnection, DatabaseTransaction, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, sea_query::Expr,
};

use crate::{
    Billing, Error, Outcome, PaymentStatus, PaymentView, Result,
    emails::PaymentRefunded,
    entity::{payment, payment_item},
    gateway::RefundRequest,
    money,
};

/// Who asks for a refund.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refunder {
    /// Any payment, any time.
    Admin,
    /// Their own successful payment, within the refund window.
    Owner(i64),
}

/// Owed payments handled per round of [`Billing::refund_owed`].
const OWED_BATCH: u64 = 100;

impl Billing {
    /// Refunds a payment in full through the gateway. The gateway being unreachable is
    /// [`Error::Gateway`] and changes nothing; a refund that already happened is a 409.
    pub async fn refund(
        &self,
        db: &DatabaseConnection,
        who: Refunder,
        payment_id: PaymentId,
    ) -> Result<PaymentView> {
        let payment_id = payment_id.get();
        let payment = payment::Entity::find_by_id(payment_id)
            .one(db)
            .await?
            .filter(|p| match who {
                Refunder::Admin => true,
                Refunder::Owner(user) => p.user_id == user,
            })
            .ok_or_else(|| Error::not_found(format!("Payment {payment_id}")))?;
        if payment.status == PaymentStatus::Refunded.as_str() {
            return Err(Error::conflict(format!(
                "Payment {payment_id} is already refunded."
            )));
        }
        if let Refunder::Owner(_) = who {
            if payment.status != PaymentStatus::Successful.as_str() {
                return Err(Error::conflict(format!(
                    "Payment {payment_id} paid for nothing and is being given back already."
                )));
            }
            let window = i64::try_from(self.config.refund_window.as_millis()).unwrap_or(i64::MAX);
            if self.now().saturating_sub(payment.created_at) > window {
                return Err(Error::forbidden(format!(
                    "Payments can be refunded within {} days of paying; this one is older. \
                     Contact support.",
                    self.config.refund_window.as_secs() / 86_400
                )));
            }
        }
        // Of concurrent refund requests for one payment, one takes it on; the others hear it
        // is done. (The gateway's own `charge.refunded` may record it first: that is this
        // request's refund, not another's.)
        if !claim(db, payment_id, self.now()).await? {
            return Err(Error::conflict(format!(
                "Payment {payment_id} is already refunded."
            )));
        }
        if let Err(e) = self.give_back(db, &payment).await {
            unclaim(db, payment_id).await;
            return Err(e);
        }
        let payment = payment::Entity::find_by_id(payment_id)
            .one(db)
            .await?
            .ok_or_else(|| Error::not_found(format!("Payment {payment_id}")))?;
        self.payment_view(db, payment).await
    }

    /// Gives back money that paid for nothing ([`PaymentStatus::RefundDue`]), oldest first;
    /// returns how many were refunded. A payment the gateway cannot refund now stays owed
    /// for the next round (the job runs every `REFUND_RETRY_INTERVAL_SECS`).
    pub async fn refund_owed(&self, db: &DatabaseConnection) -> Result<usize> {
        let owed = payment::Entity::find()
            .filter(payment::Column::Status.eq(PaymentStatus::RefundDue.as_str()))
            .order_by_asc(payment::Column::CreatedAt)
            .order_by_asc(payment::Column::Id)
            .limit(OWED_BATCH)
            .all(db)
            .await?;
        let mut refunded = 0;
        let mut failure = None;
        for payment in &owed {
            match self.give_back(db, payment).await {
                Ok(()) => refunded += 1,
                Err(e) => {
                    tracing::warn!(payment = payment.id, error = %e, "owed refund not made yet");
                    failure = Some(e);
                }
            }
        }
        match failure {
            Some(e) if refunded == 0 => Err(e),
            _ => Ok(refunded),
        }
    }

    /// The gateway's refund, then its record (once, whichever path records it first).
    pub(crate) async fn give_back(
        &self,
        db: &DatabaseConnection,
        payment: &payment::Model,
    ) -> Result<()> {
        let Some(intent) = &payment.payment_intent_id else {
            return Err(Error::conflict(format!(
                "Payment {} has no gateway payment to refund.",
                payment.id
            )));
        };
        let refunded = self
            .gateway
            .refund(&RefundRequest {
                payment_intent_id: intent.clone(),
                amount_cents: payment.amount_cents,
                order_id: payment.order_id,
                idempotency_key: format!("cinema-refund-payment-{}", payment.id),
            })
            .await;
        let refund_id = match refunded {
            Ok(id) => id,
            Err(e) => {
                cinema_kernel::metrics::count(cinema_kernel::metrics::REFUNDS, "outcome", "failed");
                return Err(e.into());
            }
        };
        let txn = db::begin_write(db).await?;
        let mut outcome = Outcome::AlreadyProcessed;
        if let Some(locked) = lock(&txn, payment::Column::Id.eq(payment.id)).await? {
            outcome = self.refunded_in(&txn, locked, Some(&refund_id)).await?;
        }
        txn.commit().await?;
        if outcome == Outcome::Applied {
            cinema_kernel::metrics::count(cinema_kernel::metrics::REFUNDS, "outcome", "refunded");
        }
        Ok(())
    }

    /// Records a refund of a locked payment: a payment that had paid its order refunds the
    /// order (ownership goes back); one owed back just closes. Already refunded: nothing.
    pub(crate) async fn refunded_in(
        &self,
        txn: &DatabaseTransaction,
        payment: payment::Model,
        refund_id: Option<&str>,
    ) -> Result<Outcome> {
        if payment.status == PaymentStatus::Refunded.as_str() {
            return Ok(Outcome::AlreadyProcessed);
        }
        let revoked = payment.status == PaymentStatus::Successful.as_str();
        if revoked {
            self.commerce
                .refund_in(txn, OrderId(payment.order_id))
                .await?;
            // Sales analytics subtract the items in the period of the refund.
            payment_item::Entity::update_many()
                .col_expr(payment_item::Column::RefundedAt, Expr::value(self.now()))
                .filter(payment_item::Column::PaymentId.eq(payment.id))
                .exec(txn)
                .await?;
        }
        payment::Entity::update(payment::ActiveModel {
            id: Set(payment.id),
            status: Set(PaymentStatus::Refunded.as_str().to_owned()),
            refund_id: Set(refund_id.map(str::to_owned).or(payment.refund_id.clone())),
            updated_at: Set(self.now()),
            ..Default::default()
        })
        .exec(txn)
        .await?;
        let summary = format!(
            "status: {} → refunded; {} {} of order {} (user {}){}",
            payment.status,
            money(payment.amount_cents),
            payment.currency,
            payment.order_id,
            payment.user_id,
            if revoked {
                "; its movies taken back"
            } else {
                ""
            }
        );
        let entry =
            cinema_kernel::audit::Entry::new("payment.refund", "payment", payment.id, summary);
        cinema_kernel::audit::record_in(txn, self.actor.as_ref(), self.now(), entry).await?;
        let email = PaymentRefunded {
            order_id: payment.order_id,
            amount: money(payment.amount_cents),
            currency: payment.currency.clone(),
            revoked,
        };
        self.send(txn, payment.user_id, &email).await?;
        Ok(Outcome::Applied)
    }
}

/// How long a refund request's claim keeps others out (a crashed request's claim lapses).
const CLAIM_MS: i64 = 5 * 60 * 1000;

/// Takes a payment on for one refund request: `false` when it is refunded already or another
/// request has it. One conditional update, so two requests cannot both win.
async fn claim(db: &DatabaseConnection, payment_id: i64, now: i64) -> Result<bool> {
    let claimed = payment::Entity::update_many()
        .col_expr(payment::Column::RefundClaimedAt, Expr::value(now))
        .filter(payment::Column::Id.eq(payment_id))
        .filter(payment::Column::Status.ne(PaymentStatus::Refunded.as_str()))
        .filter(
            Condition::any()
                .add(payment::Column::RefundClaimedAt.is_null())
                .add(payment::Column::RefundClaimedAt.lt(now - CLAIM_MS)),
        )
        .exec(db)
        .await?;
    Ok(claimed.rows_affected == 1)
}

/// Lets the payment go after a refund request failed (the gateway was down), so a later one
/// may try.
async fn unclaim(db: &DatabaseConnection, payment_id: i64) {
    let released = payment::Entity::update_many()
        .col_expr(
            payment::Column::RefundClaimedAt,
            Expr::value(Option::<i64>::None),
        )
        .filter(payment::Column::Id.eq(payment_id))
        .exec(db)
        .await;
    if let Err(e) = released {
        tracing::warn!(payment = payment_id, error = %e, "refund claim left to lapse");
    }
}

/// The payment matching `condition`, locked until the transaction ends.
pub(crate) async fn lock(
    txn: &DatabaseTransaction,
    condition: impl sea_orm::sea_query::IntoCondition,
) -> Result<Option<payment::Model>> {
    Ok(payment::Entity::find()
        .filter(condition)
        .lock(sea_orm::sea_query::LockType::Update)
        .one(txn)
        .await?)
}
