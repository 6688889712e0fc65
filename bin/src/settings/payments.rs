//! How payments are taken: through Stripe when `STRIPE_SECRET_KEY` is set, through the
//! built-in test gateway otherwise. The test gateway moves no money, so `APP_ENV=production`
//! refuses to start without Stripe's keys.

use std::time::Duration;

use secrecy::SecretString;

use super::{ConfigError, Source, http_url, parse_or, random_secret};

pub const DEFAULT_STRIPE_API_BASE: &str = "https://api.stripe.com";

#[derive(Debug, Clone)]
pub struct PaymentSettings {
    /// ISO 4217, lower case.
    pub currency: String,
    /// Verifies webhooks (and signs the test gateway's events).
    pub webhook_secret: SecretString,
    /// `None`: the built-in test gateway.
    pub stripe: Option<StripeSettings>,
    /// How long after paying an owner may ask for a refund.
    pub refund_window: Duration,
    /// How often money owed back is retried at the gateway.
    pub refund_retry_interval: Duration,
}

#[derive(Debug, Clone)]
pub struct StripeSettings {
    pub secret_key: SecretString,
    pub api_base: String,
    /// `{ORDER_ID}` stands for the order.
    pub success_url: String,
    pub cancel_url: String,
    pub timeout: Duration,
}

pub(super) fn payment_settings(
    src: &impl Source,
    frontend_url: &url::Url,
) -> Result<PaymentSettings, ConfigError> {
    let production = super::production(src)?;
    let currency = src
        .get("PAYMENT_CURRENCY")
        .unwrap_or_else(|| "usd".to_owned())
        .to_ascii_lowercase();
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_lowercase()) {
        return Err(ConfigError::new(
            "PAYMENT_CURRENCY",
            "must be a three-letter ISO 4217 code such as `usd`",
        ));
    }
    let stripe = stripe_settings(src, frontend_url)?;
    if production && stripe.is_none() {
        return Err(ConfigError::new(
            "APP_ENV",
            "is `production`, but STRIPE_SECRET_KEY is unset: the built-in test gateway \
             moves no money",
        ));
    }
    let webhook_secret = match src.get("STRIPE_WEBHOOK_SECRET") {
        Some(secret) => SecretString::from(secret),
        // Stripe signs with the endpoint's secret: a generated one could verify nothing.
        None if stripe.is_some() => {
            return Err(ConfigError::new(
                "STRIPE_WEBHOOK_SECRET",
                "is required with STRIPE_SECRET_KEY (the `whsec_…` secret of the webhook \
                 endpoint, or the one `stripe listen` prints)",
            ));
        }
        None => random_secret("STRIPE_WEBHOOK_SECRET")?,
    };
    let refund_days: u64 = parse_or(src, "REFUND_WINDOW_DAYS", "14")?;
    if refund_days > 3650 {
        return Err(ConfigError::new(
            "REFUND_WINDOW_DAYS",
            "must be between 0 and 3650",
        ));
    }
    let retry_secs: u64 = parse_or(src, "REFUND_RETRY_INTERVAL_SECS", "60")?;
    if retry_secs == 0 {
        return Err(ConfigError::new(
            "REFUND_RETRY_INTERVAL_SECS",
            "must be at least 1",
        ));
    }
    Ok(PaymentSettings {
        currency,
        webhook_secret,
        stripe,
        refund_window: Duration::from_secs(refund_days * 86_400),
        refund_retry_interval: Duration::from_secs(retry_secs),
    })
}

fn stripe_settings(
    src: &impl Source,
    frontend_url: &url::Url,
) -> Result<Option<StripeSettings>, ConfigError> {
    let Some(secret_key) = src.get("STRIPE_SECRET_KEY") else {
        return Ok(None);
    };
    if !(secret_key.starts_with("sk_") || secret_key.starts_with("rk_")) {
        return Err(ConfigError::new(
            "STRIPE_SECRET_KEY",
            "must be a secret (`sk_…`) or restricted (`rk_…`) API key",
        ));
    }
    let api_base = match http_url(src, "STRIPE_API_BASE")? {
        Some(url) => url.as_str().trim_end_matches('/').to_owned(),
        None => DEFAULT_STRIPE_API_BASE.to_owned(),
    };
    let front = frontend_url.as_str().trim_end_matches('/');
    let page = |var: &'static str, outcome: &str| -> Result<String, ConfigError> {
        Ok(match http_url(src, var)? {
            // `{ORDER_ID}` is not URL syntax: keep the text as written.
            Some(_) => src.get(var).unwrap_or_default(),
            None => format!("{front}/orders/{{ORDER_ID}}?payment={outcome}"),
        })
    };
    Ok(Some(StripeSettings {
        secret_key: SecretString::from(secret_key),
        api_base,
        success_url: page("STRIPE_SUCCESS_URL", "success")?,
        cancel_url: page("STRIPE_CANCEL_URL", "canceled")?,
        timeout: Duration::from_secs(parse_or(src, "STRIPE_TIMEOUT_SECS", "10")?),
    }))
}
