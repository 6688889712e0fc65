//! Payments: starting a checkout, an order's payment status, the Stripe webhook, and the
//! built-in test gateway's page; [`payments`] has PaymentIntents, history and refunds.

pub mod analytics;
pub mod payments;

use actix_web::{HttpRequest, HttpResponse, get, http::header, post, web};
use cinema_billing::test_gateway::Action;
use cinema_kernel::OrderId;
use cinema_kernel::{FieldError, time::rfc3339};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{
    AppState,
    auth::Authenticated,
    body::RawBody,
    commerce::{dto::OrderStatusName, orders::viewer},
    error::{ApiError, Problem},
};

/// Where to send the payer.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"order_id": 12, "checkout_url": "http://localhost:8010/api/v1/payments/test-gateway/cs_test_4f1c…", "session_id": "cs_test_4f1c…", "expires_at": "2026-12-02T10:30:00Z"}))]
pub struct CheckoutResponse {
    pub order_id: i64,
    pub checkout_url: String,
    pub session_id: String,
    /// When the session ends: with the order (Stripe keeps a session open at least 30
    /// minutes; money arriving after the order ended is refunded).
    pub expires_at: String,
}

/// Where an order's payment stands.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"order_id": 12, "order_status": "paid", "payment_status": "successful", "session_id": null}))]
pub struct PaymentStatusResponse {
    pub order_id: i64,
    pub order_status: OrderStatusName,
    /// The latest payment's status (`successful`, `refunded`, `refund_due`), if money arrived.
    pub payment_status: Option<String>,
    /// The open checkout session, if any.
    pub session_id: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"received": true}))]
pub struct WebhookResponse {
    pub received: bool,
}

/// The test gateway's form.
#[derive(Debug, ToSchema)]
#[expect(dead_code, reason = "documents the form the page posts")]
pub struct TestGatewayForm {
    /// `pay` or `decline`.
    #[schema(pattern = "^(pay|decline)$")]
    action: String,
    /// The token the page carries.
    token: String,
}

/// Pay for one of your pending orders: opens a checkout session (or returns the one still
/// open). The order is re-priced first; a changed total is a 409 naming both totals.
#[utoipa::path(tag = "payments", params(("id" = i64, Path)), security(("bearer" = [])), responses(
    (status = 200, description = "Where to pay", body = CheckoutResponse),
    (status = 404, description = "No such order of yours", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "The order is not pending, ran out of time, or its total changed", body = Problem, content_type = "application/problem+json"),
    (status = 502, description = "The payment provider refused the request (named in `detail`); retrying will not help", body = Problem, content_type = "application/problem+json"),
    (status = 503, description = "The payment provider cannot be reached; nothing changed", body = Problem, content_type = "application/problem+json"),
))]
#[post("/orders/{id}/checkout")]
pub async fn checkout(
    Authenticated(user): Authenticated,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let checkout = state
        .billing
        .checkout(&state.db, user.user_id(), OrderId(id.into_inner()))
        .await?;
    Ok(HttpResponse::Ok().json(CheckoutResponse {
        order_id: checkout.order_id,
        checkout_url: checkout.checkout_url,
        session_id: checkout.session_id,
        expires_at: rfc3339(checkout.expires_at),
    }))
}

/// Where the payment of one of your orders stands (admins: any order).
#[utoipa::path(tag = "payments", params(("id" = i64, Path)), security(("bearer" = [])), responses(
    (status = 200, description = "The order's payment", body = PaymentStatusResponse),
    (status = 404, description = "No such order of yours", body = Problem, content_type = "application/problem+json"),
))]
#[get("/orders/{id}/payment-status")]
pub async fn payment_status(
    Authenticated(user): Authenticated,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let found = state
        .billing
        .payment_state(&state.db, viewer(&user), OrderId(id.into_inner()))
        .await?;
    Ok(HttpResponse::Ok().json(PaymentStatusResponse {
        order_id: found.order_id,
        order_status: found.order_status.into(),
        payment_status: found.payment_status,
        session_id: found.session_id,
    }))
}

/// Stripe's webhook. The raw body must carry a valid `Stripe-Signature` (5-minute
/// tolerance); each event takes effect once. Unknown events are acknowledged and ignored.
#[utoipa::path(tag = "payments",
    params(("Stripe-Signature" = String, Header, description = "`t=<unix seconds>,v1=<hex HMAC-SHA256>`")),
    request_body(content = Object, content_type = "application/json", description = "A Stripe event, verified over its raw bytes"),
    responses(
        (status = 200, description = "Received (applied, already applied, or ignored)", body = WebhookResponse),
        (status = 400, description = "Missing or invalid signature, or not an event", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/webhooks/stripe")]
pub async fn webhook(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: RawBody,
) -> Result<HttpResponse, ApiError> {
    let bytes = body.into_inner()?;
    let signature = req
        .headers()
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok());
    state
        .billing
        .receive_webhook(&state.db, &bytes, signature)
        .await?;
    Ok(HttpResponse::Ok().json(WebhookResponse { received: true }))
}

fn html(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        // The page holds a form token: never cached, never framed.
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            "content-security-policy",
            "default-src 'none'; form-action 'self'; frame-ancestors 'none'",
        ))
        .body(body)
}

/// The built-in test gateway's checkout page (the zero-configuration default): the order's
/// items and total, with **Pay** and **Decline**. It moves no money.
#[utoipa::path(tag = "payments", params(("session_id" = String, Path)), responses(
    (status = 200, description = "The page", content_type = "text/html", body = String),
    (status = 404, description = "No such checkout session", body = Problem, content_type = "application/problem+json"),
))]
#[get("/payments/test-gateway/{session_id}")]
pub async fn test_gateway_page(
    state: web::Data<AppState>,
    session_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let page = state
        .billing
        .test_gateway_page(&state.db, &session_id)
        .await?;
    Ok(html(page))
}

/// Press **Pay** or **Decline** on the test gateway's page: the event Stripe would send is
/// signed and delivered through the webhook's own path.
#[utoipa::path(tag = "payments", params(("session_id" = String, Path)),
    request_body(content = TestGatewayForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "What happened", content_type = "text/html", body = String),
        (status = 404, description = "No such checkout session", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The session can no longer take a payment (ended, order canceled, paid, expired or re-priced; `detail` says which), or the form is not this page's", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[post("/payments/test-gateway/{session_id}")]
pub async fn test_gateway_act(
    state: web::Data<AppState>,
    session_id: web::Path<String>,
    body: RawBody,
) -> Result<HttpResponse, ApiError> {
    let bytes = body.into_inner()?;
    let mut action = None;
    let mut token = None;
    for (key, value) in url::form_urlencoded::parse(&bytes) {
        match key.as_ref() {
            "action" => action = Some(value.into_owned()),
            "token" => token = Some(value.into_owned()),
            _ => {}
        }
    }
    let mut errors = Vec::new();
    let action = match action.as_deref() {
        Some("pay") => Some(Action::Pay),
        Some("decline") => Some(Action::Decline),
        _ => {
            errors.push(FieldError::new("action", "must be `pay` or `decline`"));
            None
        }
    };
    if token.is_none() {
        errors.push(FieldError::new("token", "is required"));
    }
    let (Some(action), Some(token)) = (action, token) else {
        return Err(ApiError::invalid(errors));
    };
    state
        .billing
        .test_gateway_act(&state.db, &session_id, action, &token)
        .await
        .map_err(|e| match e {
            // Our own signature refused: a bug, not the client's fault.
            cinema_billing::Error::BadSignature(_) => ApiError::internal(e),
            other => other.into(),
        })?;
    let outcome = match action {
        Action::Pay => "Paid. The movies are in your library; you can close this page.",
        Action::Decline => {
            "Declined. Nothing was charged; the order is still waiting for a payment."
        }
    };
    Ok(html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Test payment</title></head>\
         <body><p>{outcome}</p></body></html>"
    )))
}
