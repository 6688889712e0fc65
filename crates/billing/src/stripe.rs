//! The Stripe adapter: Checkout Sessions for the web, PaymentIntents for mobile, refunds.
//!
//! Requests are built with async-stripe's typed builders and sent with an idempotency key
//! billing derives from what is paid; answers are read into the few fields billing uses
//! (a tolerant reader: a field Stripe adds, or one the release-candidate types lag behind,
//! cannot fail a call whose money already moved). The API base URL is configurable, so
//! tests point the adapter at a fake that speaks Stripe's protocol.

use std::{collections::HashMap, time::Duration};

use miniserde::Deserialize;
use secrecy::{ExposeSecret, SecretString};
use stripe::{Client, ClientBuilder, IdempotencyKey, RequestStrategy, StripeError, StripeRequest};
use stripe_checkout::{
    CheckoutSessionMode,
    checkout_session::{
        CreateCheckoutSession, CreateCheckoutSessionLineItems,
        CreateCheckoutSessionLineItemsPriceData, CreateCheckoutSessionPaymentIntentData,
        ProductData,
    },
};
use stripe_core::{
    payment_intent::{CreatePaymentIntent, CreatePaymentIntentAutomaticPaymentMethods},
    refund::CreateRefund,
};
use stripe_types::Currency;

use crate::gateway::{
    ChargeRequest, GatewayError, OpenedIntent, OpenedSession, PaymentGateway, RefundRequest,
};

/// Stripe's bounds on a Checkout Session's lifetime, with margins.
const SESSION_MIN: i64 = 31 * 60 * 1000;
const SESSION_MAX: i64 = (24 * 60 - 11) * 60 * 1000;
/// Bounds taken from "now" are rounded to this step, so calls a moment apart send the same
/// parameters under the same idempotency key (Stripe refuses a key reused with others).
const SESSION_STEP: i64 = 10 * 60 * 1000;

/// How to reach Stripe.
#[derive(Debug, Clone)]
pub struct StripeConfig {
    /// `sk_live_…` or `sk_test_…`.
    pub secret_key: SecretString,
    /// `https://api.stripe.com` unless a test points elsewhere.
    pub api_base: String,
    /// Where Checkout sends the payer after paying; `{ORDER_ID}` is replaced.
    pub success_url: String,
    /// Where Checkout sends the payer who gives up; `{ORDER_ID}` is replaced.
    pub cancel_url: String,
    /// Per attempt.
    pub timeout: Duration,
}

/// Payments through Stripe.
#[derive(Debug)]
pub struct StripeGateway {
    client: Client,
    success_url: String,
    cancel_url: String,
}

/// The fields of a Checkout Session billing reads.
#[derive(Debug, Deserialize)]
struct Session {
    id: String,
    url: Option<String>,
    expires_at: Option<i64>,
}

#[derive(Debug, Deserialize)]
struct Intent {
    id: String,
    client_secret: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Refund {
    id: String,
}

impl StripeGateway {
    /// A gateway for `config` (no request is made until it is used).
    pub fn new(config: StripeConfig) -> Result<Self, GatewayError> {
        // async-stripe appends `v1/…` to the base as written; a base given with its `/v1`
        // (as some fakes document theirs) would otherwise become `/v1/v1/…`.
        let base = config.api_base.trim_end_matches('/');
        let base = format!("{}/", base.strip_suffix("/v1").unwrap_or(base));
        let client = ClientBuilder::new(config.secret_key.expose_secret())
            .url(base)
            .timeout(config.timeout)
            .build()
            .map_err(|e| GatewayError::Refused(e.to_string()))?;
        Ok(Self {
            client,
            success_url: config.success_url,
            cancel_url: config.cancel_url,
        })
    }

    async fn send<T: Deserialize>(
        &self,
        request: &impl StripeRequest,
        key: &str,
    ) -> Result<T, GatewayError> {
        let key = IdempotencyKey::new(key).map_err(|e| GatewayError::Refused(e.to_string()))?;
        request
            .build()
            .customize::<T>()
            .request_strategy(RequestStrategy::Idempotent(key))
            .send(&self.client)
            .await
            .map_err(gateway_error)
    }
}

fn gateway_error(err: StripeError) -> GatewayError {
    match err {
        // 409: the same idempotency key is still in flight; 429 and 5xx: Stripe's side.
        StripeError::Stripe(e, status) if status == 409 || status == 429 || status >= 500 => {
            GatewayError::Unavailable(format!(
                "status {status}: {}",
                e.message.unwrap_or_default()
            ))
        }
        StripeError::Stripe(e, status) => GatewayError::Refused(format!(
            "status {status}: {}",
            e.message.unwrap_or_default()
        )),
        StripeError::ConfigError(e) => GatewayError::Refused(e),
        other => GatewayError::Unavailable(other.to_string()),
    }
}

fn currency(code: &str) -> Currency {
    code.parse()
        .unwrap_or_else(|_| Currency::Unknown(code.to_owned()))
}

fn metadata(order_id: i64) -> HashMap<String, String> {
    HashMap::from([("order_id".to_owned(), order_id.to_string())])
}

#[async_trait::async_trait]
impl PaymentGateway for StripeGateway {
    fn name(&self) -> &'static str {
        "stripe"
    }

    async fn open_session(&self, charge: &ChargeRequest) -> Result<OpenedSession, GatewayError> {
        let lines: Vec<_> = charge
            .lines
            .iter()
            .map(|line| CreateCheckoutSessionLineItems {
                price_data: Some(CreateCheckoutSessionLineItemsPriceData {
                    unit_amount: Some(line.amount_cents),
                    product_data: Some(ProductData::new(line.title.clone())),
                    ..CreateCheckoutSessionLineItemsPriceData::new(currency(&charge.currency))
                }),
                quantity: Some(1),
                ..Default::default()
            })
            .collect();
        // Stripe keeps a session open 30 minutes to 24 hours; within that, it ends with the
        // order. A payment arriving after the order ended is refunded.
        let earliest =
            (charge.now + SESSION_MIN).div_euclid(SESSION_STEP) * SESSION_STEP + SESSION_STEP;
        let latest = (charge.now + SESSION_MAX).div_euclid(SESSION_STEP) * SESSION_STEP;
        let expires_at = charge.expires_at.clamp(earliest, latest);
        let order = charge.order_id.to_string();
        let mut request = CreateCheckoutSession::new()
            .mode(CheckoutSessionMode::Payment)
            .line_items(lines)
            .client_reference_id(order.clone())
            .metadata(metadata(charge.order_id))
            .payment_intent_data(CreateCheckoutSessionPaymentIntentData {
                metadata: Some(metadata(charge.order_id)),
                ..Default::default()
            })
            .expires_at(expires_at.div_euclid(1000))
            .success_url(self.success_url.replace("{ORDER_ID}", &order))
            .cancel_url(self.cancel_url.replace("{ORDER_ID}", &order));
        if let Some(email) = &charge.email {
            request = request.customer_email(email.clone());
        }
        let session: Session = self.send(&request, &charge.idempotency_key).await?;
        Ok(OpenedSession {
            url: session.url.unwrap_or_default(),
            expires_at: session.expires_at.map_or(expires_at, |s| s * 1000),
            id: session.id,
        })
    }

    async fn open_intent(&self, charge: &ChargeRequest) -> Result<OpenedIntent, GatewayError> {
        let request = CreatePaymentIntent::new(charge.amount_cents, currency(&charge.currency))
            .automatic_payment_methods(CreatePaymentIntentAutomaticPaymentMethods::new(true))
            .metadata(metadata(charge.order_id));
        let intent: Intent = self.send(&request, &charge.idempotency_key).await?;
        Ok(OpenedIntent {
            client_secret: intent.client_secret.unwrap_or_default(),
            id: intent.id,
        })
    }

    async fn refund(&self, refund: &RefundRequest) -> Result<String, GatewayError> {
        let request = CreateRefund::new()
            .payment_intent(refund.payment_intent_id.clone())
            .amount(refund.amount_cents)
            .metadata(metadata(refund.order_id));
        let answer: Refund = self.send(&request, &refund.idempotency_key).await?;
        Ok(answer.id)
    }
}
