//! Receiving webhooks: verify, then apply each event once, in one transaction with the row
//! that records its id.

use cinema_commerce::{
    Error as CommerceError, OrderView, VerifiedPayment,
    entity::{order, order_item},
};
use cinema_identity::users;
use cinema_kernel::{Money, db, mail};
use cinema_kernel::{OrderId, UserId};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, DatabaseConnection, DatabaseTransaction, EntityTrait,
    QueryFilter, QuerySelect, sea_query::Expr,
};
use secrecy::ExposeSecret;

use crate::{
    Billing, PaymentStatus, Result,
    emails::{Line, OrderPaid, PaymentFailed},
    entity::{checkout_session, payment, payment_item, webhook_event},
    events::Event,
    money, refunds,
    signature::{self, SignatureError},
};

/// What a delivered event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It took effect now.
    Applied,
    /// It (or the same payment under another event) took effect before: nothing changed.
    AlreadyProcessed,
    /// Billing does not act on it (an unknown type, or an order that does not exist).
    Ignored,
}

/// What an applied event changed, counted in the metrics once its transaction commits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Effect {
    /// Nothing countable (a session closed, an unpaid completion).
    Nothing,
    /// An order was paid.
    Paid,
    /// Money arrived that pays nothing and is owed back.
    OwedBack,
    /// A payment was declined.
    Declined,
    /// A payment was refunded.
    Refunded,
}

impl Effect {
    fn count(self) {
        use cinema_kernel::metrics::{PAYMENTS, REFUNDS, count};
        match self {
            Effect::Nothing => {}
            Effect::Paid => count(PAYMENTS, "outcome", "succeeded"),
            Effect::OwedBack => count(PAYMENTS, "outcome", "owed_back"),
            Effect::Declined => count(PAYMENTS, "outcome", "failed"),
            Effect::Refunded => count(REFUNDS, "outcome", "refunded"),
        }
    }
}

/// Counts a webhook delivery by what became of it.
fn count_delivery(outcome: &'static str) {
    cinema_kernel::metrics::count(cinema_kernel::metrics::WEBHOOK_EVENTS, "outcome", outcome);
}

/// Whose money an event carries, by our own records.
enum Owner {
    /// Our session or intent names this order, and the event names no other.
    Order(order::Model),
    /// Our session or intent names this order, but the event's metadata names another: the
    /// event is not trusted, and money it carries is owed back.
    Mismatch(order::Model),
    /// No session or intent of ours.
    Unknown,
}

impl Billing {
    /// Verifies the `Stripe-Signature` over the raw body and applies the event. A bad or stale
    /// signature, or a body that is not an event, is an error and changes nothing; an event
    /// seen before is [`Outcome::AlreadyProcessed`].
    pub async fn receive_webhook(
        &self,
        db: &DatabaseConnection,
        payload: &[u8],
        signature: Option<&str>,
    ) -> Result<Outcome> {
        let verified = self.verified_event(payload, signature);
        if verified.is_err() {
            count_delivery("rejected");
        }
        let event = verified?;
        let txn = db::begin_write(db).await?;
        let recorded = webhook_event::Entity::insert(webhook_event::ActiveModel {
            id: Set(event.id.clone()),
            event_type: Set(event.event_type.chars().take(100).collect()),
            received_at: Set(self.now()),
        })
        .exec_without_returning(&txn)
        .await;
        match recorded {
            Ok(_) => {}
            // Delivered again, or at the same time: the first delivery's commit decides.
            Err(e) if db::is_unique_violation(&e) => {
                count_delivery("duplicate");
                return Ok(Outcome::AlreadyProcessed);
            }
            Err(e) => return Err(e.into()),
        }
        let (outcome, effect) = self.apply_in(&txn, &event).await?;
        if outcome == Outcome::AlreadyProcessed {
            // The same money under another event id: keep nothing of this delivery.
            count_delivery("duplicate");
            return Ok(outcome);
        }
        txn.commit().await?;
        effect.count();
        count_delivery(match outcome {
            Outcome::Applied => "applied",
            Outcome::AlreadyProcessed => "duplicate",
            Outcome::Ignored => "ignored",
        });
        if outcome == Outcome::Applied {
            self.give_back_now(db, &event).await;
        }
        Ok(outcome)
    }

    /// The event a delivery carries, once its signature holds.
    fn verified_event(&self, payload: &[u8], signature: Option<&str>) -> Result<Event> {
        let header = signature.ok_or(SignatureError::NoTimestamp)?;
        let secret = self.config.webhook_secret.expose_secret().as_bytes();
        let now_secs = self.now().div_euclid(1000);
        signature::verify(payload, header, secret, now_secs, self.config.tolerance)?;
        Event::parse(payload)
    }

    /// Money this event recorded as owed back is refunded right away, after its commit; if
    /// the gateway cannot do it now, the `refund_owed_payments` job tries again.
    async fn give_back_now(&self, db: &DatabaseConnection, event: &Event) {
        let Some(intent) = event.payment_intent() else {
            return;
        };
        let owed = payment::Entity::find()
            .filter(payment::Column::PaymentIntentId.eq(intent))
            .filter(payment::Column::Status.eq(PaymentStatus::RefundDue.as_str()))
            .one(db)
            .await;
        let result = match owed {
            Ok(Some(payment)) => self.give_back(db, &payment).await,
            Ok(None) => Ok(()),
            Err(e) => Err(e.into()),
        };
        if let Err(e) = result {
            tracing::warn!(event = %event.id, error = %e, "owed refund left for the retry job");
        }
    }

    async fn apply_in(
        &self,
        txn: &DatabaseTransaction,
        event: &Event,
    ) -> Result<(Outcome, Effect)> {
        let with = |effect: Effect| {
            move |outcome: Outcome| match outcome {
                Outcome::Applied => (outcome, effect),
                _ => (outcome, Effect::Nothing),
            }
        };
        match event.event_type.as_str() {
            "checkout.session.completed" if event.payment_status() == Some("paid") => {
                self.settle_in(txn, event).await
            }
            // Paid later (bank debits): `async_payment_succeeded` follows.
            "checkout.session.completed" => Ok((Outcome::Applied, Effect::Nothing)),
            "checkout.session.async_payment_succeeded" | "payment_intent.succeeded" => {
                self.settle_in(txn, event).await
            }
            "checkout.session.async_payment_failed" | "payment_intent.payment_failed" => self
                .declined_in(txn, event)
                .await
                .map(with(Effect::Declined)),
            "checkout.session.expired" | "payment_intent.canceled" => self
                .close_session_in(txn, event)
                .await
                .map(with(Effect::Nothing)),
            "charge.refunded" => self
                .charge_refunded_in(txn, event)
                .await
                .map(with(Effect::Refunded)),
            _ => Ok((Outcome::Ignored, Effect::Nothing)),
        }
    }

    pub(crate) async fn send<E: mail::Email>(
        &self,
        txn: &DatabaseTransaction,
        user_id: i64,
        email: &E,
    ) -> Result<()> {
        if let Some(to) = users::email_of(txn, UserId(user_id)).await? {
            mail::send(self.outbox.as_ref(), txn, &to, email).await?;
        }
        Ok(())
    }

    /// Whether this money (by PaymentIntent, or by Checkout Session when the event is
    /// `trusted`) is already recorded.
    async fn recorded(
        &self,
        txn: &DatabaseTransaction,
        event: &Event,
        trusted: bool,
    ) -> Result<bool> {
        let mut same = Condition::any();
        if let Some(intent) = event.payment_intent() {
            same = same.add(payment::Column::PaymentIntentId.eq(intent));
        }
        if trusted
            && event.object_kind() == Some("checkout.session")
            && let Some(session) = event.object_id()
        {
            same = same.add(payment::Column::SessionId.eq(session));
        }
        if same.is_empty() {
            return Ok(false);
        }
        Ok(payment::Entity::find()
            .select_only()
            .column(payment::Column::Id)
            .filter(same)
            .into_tuple::<i64>()
            .one(txn)
            .await?
            .is_some())
    }

    /// Money arrived: it pays the order when our record of its session or intent, amount,
    /// currency and order state allow, and is recorded as owed back otherwise — never kept
    /// silently, never granting twice.
    async fn settle_in(
        &self,
        txn: &DatabaseTransaction,
        event: &Event,
    ) -> Result<(Outcome, Effect)> {
        let (order, trusted) = match self.owner_of(txn, event).await? {
            Owner::Order(order) => (order, true),
            Owner::Mismatch(order) => {
                tracing::warn!(
                    event = %event.id, order = order.id, named = ?event.order_id(),
                    "payment event names another order than its session: owed back"
                );
                (order, false)
            }
            Owner::Unknown => {
                tracing::warn!(event = %event.id, "payment event for no session of ours; ignored");
                return Ok((Outcome::Ignored, Effect::Nothing));
            }
        };
        let cents = event.amount().unwrap_or(0).max(0);
        let currency = event.currency().unwrap_or_default();
        // Paid in time is judged by when the gateway took the money, not by when the event
        // arrived: a delivery delayed past the order's end still pays it (unless the expiry
        // job got there first), and money taken after the end is given back.
        let paid_at = event
            .created
            .map_or_else(|| self.now(), |secs| secs.saturating_mul(1000));
        let in_time = order.expires_at > paid_at;
        let paid = if trusted && currency == self.config.currency && in_time {
            let payment = VerifiedPayment {
                amount: Money::from_cents(cents).unwrap_or_default(),
            };
            match self.commerce.pay_in(txn, OrderId(order.id), &payment).await {
                Ok(view) => Some(view),
                Err(CommerceError::Transition(_) | CommerceError::AmountMismatch { .. }) => None,
                Err(e) => return Err(e.into()),
            }
        } else {
            None
        };
        if paid.is_none() && self.recorded(txn, event, trusted).await? {
            return Ok((Outcome::AlreadyProcessed, Effect::Nothing));
        }
        let status = if paid.is_some() {
            PaymentStatus::Successful
        } else {
            tracing::warn!(
                event = %event.id, order = order.id, cents, currency,
                "money for an order that cannot take it: recorded as owed back"
            );
            PaymentStatus::RefundDue
        };
        let now = self.now();
        // A mismatched event does not speak for the session: its genuine event still may.
        let session = (trusted && event.object_kind() == Some("checkout.session"))
            .then(|| event.object_id())
            .flatten();
        let inserted = payment::Entity::insert(payment::ActiveModel {
            user_id: Set(order.user_id),
            order_id: Set(order.id),
            status: Set(status.as_str().to_owned()),
            amount_cents: Set(cents),
            currency: Set(currency.chars().take(3).collect()),
            gateway: Set(self.gateway.name().to_owned()),
            session_id: Set(session.map(str::to_owned)),
            payment_intent_id: Set(event.payment_intent().map(str::to_owned)),
            refund_id: Set(None),
            refund_claimed_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .exec_with_returning(txn)
        .await;
        let payment = match inserted {
            Ok(p) => p,
            // The same PaymentIntent recorded by a concurrent event: that one decides.
            Err(e) if db::is_unique_violation(&e) => {
                return Ok((Outcome::AlreadyProcessed, Effect::Nothing));
            }
            Err(e) => return Err(e.into()),
        };
        // The Checkout Session or PaymentIntent it came through is done.
        if let Some(id) = event.object_id().filter(|_| trusted) {
            checkout_session::Entity::update_many()
                .col_expr(checkout_session::Column::Status, Expr::value("complete"))
                .filter(checkout_session::Column::Id.eq(id))
                .exec(txn)
                .await?;
        }
        let effect = match paid {
            Some(view) => {
                self.receipt_in(txn, &payment, &view).await?;
                Effect::Paid
            }
            None => Effect::OwedBack,
        };
        Ok((Outcome::Applied, effect))
    }

    /// Whose money an event carries: the order our own record of its Checkout Session or
    /// PaymentIntent names — never `metadata.order_id` alone.
    async fn owner_of(&self, txn: &DatabaseTransaction, event: &Event) -> Result<Owner> {
        let ours = match event.object_kind() {
            Some("checkout.session" | "payment_intent") => event.object_id(),
            _ => None,
        };
        let Some(id) = ours else {
            return Ok(Owner::Unknown);
        };
        let Some(row) = checkout_session::Entity::find_by_id(id.to_owned())
            .one(txn)
            .await?
        else {
            return Ok(Owner::Unknown);
        };
        let Some(order) = order::Entity::find_by_id(row.order_id).one(txn).await? else {
            return Ok(Owner::Unknown);
        };
        Ok(match event.order_id() {
            Some(named) if named != order.id => Owner::Mismatch(order),
            _ => Owner::Order(order),
        })
    }

    /// The payment's items and the receipt e-mail.
    async fn receipt_in(
        &self,
        txn: &DatabaseTransaction,
        payment: &payment::Model,
        view: &OrderView,
    ) -> Result<()> {
        if !view.items.is_empty() {
            payment_item::Entity::insert_many(view.items.iter().map(|item: &order_item::Model| {
                payment_item::ActiveModel {
                    payment_id: Set(payment.id),
                    order_item_id: Set(Some(item.id)),
                    movie_id: Set(item.movie_id),
                    title: Set(item.title.clone()),
                    price_cents: Set(item.price_cents),
                    sold_at: Set(payment.created_at),
                    refunded_at: Set(None),
                    ..Default::default()
                }
            }))
            .exec_without_returning(txn)
            .await?;
        }
        let receipt = OrderPaid {
            order_id: view.order.id,
            total: money(view.order.total_cents),
            currency: payment.currency.clone(),
            lines: view
                .items
                .iter()
                .map(|i| Line {
                    title: i.title.clone(),
                    price: money(i.price_cents),
                })
                .collect(),
        };
        self.send(txn, payment.user_id, &receipt).await
    }

    /// A declined payment: the order stays payable; the payer hears about it once per
    /// session, however often the card is declined there.
    async fn declined_in(&self, txn: &DatabaseTransaction, event: &Event) -> Result<Outcome> {
        let Owner::Order(order) = self.owner_of(txn, event).await? else {
            return Ok(Outcome::Ignored);
        };
        let first = checkout_session::Entity::update_many()
            .col_expr(
                checkout_session::Column::DeclinedAt,
                Expr::value(self.now()),
            )
            .filter(checkout_session::Column::Id.eq(event.object_id().unwrap_or_default()))
            .filter(checkout_session::Column::DeclinedAt.is_null())
            .exec(txn)
            .await?
            .rows_affected
            == 1;
        if first {
            let email = PaymentFailed { order_id: order.id };
            self.send(txn, order.user_id, &email).await?;
        }
        Ok(Outcome::Applied)
    }

    /// A session or intent that ended unpaid: it is not reused. The order itself stays as it
    /// is (an `expired` arriving after `completed` changes nothing).
    async fn close_session_in(&self, txn: &DatabaseTransaction, event: &Event) -> Result<Outcome> {
        if let Some(id) = event.object_id() {
            checkout_session::Entity::update_many()
                .col_expr(checkout_session::Column::Status, Expr::value("expired"))
                .filter(checkout_session::Column::Id.eq(id))
                .filter(checkout_session::Column::Status.eq("open"))
                .exec(txn)
                .await?;
        }
        Ok(Outcome::Applied)
    }

    /// Money given back at the gateway (from its dashboard, or after our own call): the
    /// payment's refund is recorded once, whichever path gets there first.
    async fn charge_refunded_in(
        &self,
        txn: &DatabaseTransaction,
        event: &Event,
    ) -> Result<Outcome> {
        if event.fully_refunded() == Some(false) {
            tracing::warn!(event = %event.id, "partial refund made at the gateway; not applied");
            return Ok(Outcome::Ignored);
        }
        let Some(intent) = event.payment_intent() else {
            return Ok(Outcome::Ignored);
        };
        match refunds::lock(txn, payment::Column::PaymentIntentId.eq(intent)).await? {
            Some(payment) => self.refunded_in(txn, payment, event.refund_id()).await,
            None => Ok(Outcome::Ignored),
        }
    }
}
