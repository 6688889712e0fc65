//! `/api/v1/payments`: PaymentIntents for mobile clients, payment history (own, and every
//! payment for admins) and refunds.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::NaiveDate;
use cinema_billing::{PaymentFilter, PaymentStatus, PaymentView, Refunder, entity::payment_item};
use cinema_identity::Role;
use cinema_kernel::time::rfc3339;
use cinema_kernel::{OrderId, PaymentId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::{
    AppState,
    auth::{Admin, Authenticated},
    catalog::dto::money,
    error::{ApiError, Problem},
    page::{PageResponse, day_range, page_request},
};

/// What a mobile client confirms with the gateway's SDK.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"order_id": 12, "payment_intent_id": "pi_3Q…", "client_secret": "pi_3Q…_secret_…"}))]
pub struct IntentResponse {
    pub order_id: i64,
    pub payment_intent_id: String,
    pub client_secret: String,
}

/// What became of a payment.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatusName {
    /// It paid its order.
    Successful,
    /// Given back in full.
    Refunded,
    /// It arrived for an order that could not take it and is being given back.
    RefundDue,
}

impl From<PaymentStatusName> for PaymentStatus {
    fn from(s: PaymentStatusName) -> Self {
        match s {
            PaymentStatusName::Successful => PaymentStatus::Successful,
            PaymentStatusName::Refunded => PaymentStatus::Refunded,
            PaymentStatusName::RefundDue => PaymentStatus::RefundDue,
        }
    }
}

impl From<PaymentStatus> for PaymentStatusName {
    fn from(s: PaymentStatus) -> Self {
        match s {
            PaymentStatus::Successful => PaymentStatusName::Successful,
            PaymentStatus::Refunded => PaymentStatusName::Refunded,
            PaymentStatus::RefundDue => PaymentStatusName::RefundDue,
        }
    }
}

/// A movie a payment paid for, at the price paid.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentItemResponse {
    /// Null once the movie was deleted from the catalog.
    pub movie_id: Option<i64>,
    pub title: String,
    pub price: String,
}

impl From<payment_item::Model> for PaymentItemResponse {
    fn from(i: payment_item::Model) -> Self {
        Self {
            movie_id: i.movie_id,
            title: i.title,
            price: money(i.price_cents),
        }
    }
}

/// A payment with its items.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": 7, "order_id": 12, "user_id": 3, "status": "successful", "amount": "19.98", "currency": "usd", "gateway": "stripe", "created_at": "2026-12-02T10:05:00Z", "updated_at": "2026-12-02T10:05:00Z", "items": [{"movie_id": 42, "title": "Inception", "price": "9.99"}, {"movie_id": 43, "title": "Heat", "price": "9.99"}]}))]
pub struct PaymentResponse {
    pub id: i64,
    pub order_id: i64,
    pub user_id: i64,
    pub status: PaymentStatusName,
    pub amount: String,
    /// ISO 4217, lower case.
    pub currency: String,
    /// `stripe` or `test`.
    pub gateway: String,
    pub created_at: String,
    pub updated_at: String,
    pub items: Vec<PaymentItemResponse>,
}

impl From<PaymentView> for PaymentResponse {
    fn from(v: PaymentView) -> Self {
        let p = v.payment;
        Self {
            id: p.id,
            order_id: p.order_id,
            user_id: p.user_id,
            status: PaymentStatus::parse(&p.status)
                .unwrap_or(PaymentStatus::RefundDue)
                .into(),
            amount: money(p.amount_cents),
            currency: p.currency,
            gateway: p.gateway,
            created_at: rfc3339(p.created_at),
            updated_at: rfc3339(p.updated_at),
            items: v.items.into_iter().map(Into::into).collect(),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct PaymentQuery {
    /// Only payments in this status.
    #[param(inline)]
    pub status: Option<PaymentStatusName>,
    /// Items to skip (default 0).
    #[param(minimum = 0, maximum = 1_000_000_000)]
    pub skip: Option<u64>,
    /// Items per page (1–100, default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct AdminPaymentQuery {
    /// Only this user's payments.
    pub user_id: Option<i64>,
    /// Only payments in this status.
    #[param(inline)]
    pub status: Option<PaymentStatusName>,
    /// Only payments made on or after this day (UTC).
    pub date_from: Option<NaiveDate>,
    /// Only payments made on or before this day (UTC).
    pub date_to: Option<NaiveDate>,
    /// Items to skip (default 0).
    #[param(minimum = 0, maximum = 1_000_000_000)]
    pub skip: Option<u64>,
    /// Items per page (1–100, default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
}

/// Pay for one of your pending orders from a mobile app: opens a PaymentIntent (or returns
/// the one still open) whose `client_secret` the gateway's SDK confirms. The order is
/// re-priced first; a changed total is a 409 naming both totals.
#[utoipa::path(tag = "payments", params(("order_id" = i64, Path)), security(("bearer" = [])), responses(
    (status = 200, description = "The PaymentIntent to confirm", body = IntentResponse),
    (status = 404, description = "No such order of yours", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "The order is not pending, ran out of time, or its total changed", body = Problem, content_type = "application/problem+json"),
    (status = 502, description = "The payment provider refused the request (named in `detail`); retrying will not help", body = Problem, content_type = "application/problem+json"),
    (status = 503, description = "The payment provider cannot be reached; nothing changed", body = Problem, content_type = "application/problem+json"),
))]
#[post("/payments/{order_id}")]
pub async fn intent(
    Authenticated(user): Authenticated,
    state: web::Data<AppState>,
    order_id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let intent = state
        .billing
        .payment_intent(&state.db, user.user_id(), OrderId(order_id.into_inner()))
        .await?;
    Ok(HttpResponse::Ok().json(IntentResponse {
        order_id: intent.order_id,
        payment_intent_id: intent.payment_intent_id,
        client_secret: intent.client_secret,
    }))
}

/// Your payments, newest first, with the movies each paid for.
#[utoipa::path(tag = "payments", params(PaymentQuery), security(("bearer" = [])), responses(
    (status = 200, description = "A page of your payments", body = PageResponse<PaymentResponse>),
))]
#[get("/payments")]
pub async fn list(
    Authenticated(user): Authenticated,
    state: web::Data<AppState>,
    query: web::Query<PaymentQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = page_request(query.skip, query.limit)?;
    let filter = PaymentFilter {
        user_id: Some(user.id),
        status: query.status.map(Into::into),
        ..PaymentFilter::default()
    };
    let found = state.billing.payments(&state.db, &filter, page).await?;
    Ok(HttpResponse::Ok().json(PageResponse::from_page(found, PaymentResponse::from)))
}

/// Every payment, newest first, filtered by user, status and day (admins).
#[utoipa::path(tag = "payments", params(AdminPaymentQuery), security(("bearer" = [])), responses(
    (status = 200, description = "A page of payments", body = PageResponse<PaymentResponse>),
))]
#[get("/payments/admin")]
pub async fn all(
    _: Admin,
    state: web::Data<AppState>,
    query: web::Query<AdminPaymentQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = page_request(query.skip, query.limit)?;
    let (created_from, created_before) = day_range(query.date_from, query.date_to)?;
    let filter = PaymentFilter {
        user_id: query.user_id,
        status: query.status.map(Into::into),
        created_from,
        created_before,
    };
    let found = state.billing.payments(&state.db, &filter, page).await?;
    Ok(HttpResponse::Ok().json(PageResponse::from_page(found, PaymentResponse::from)))
}

/// Refund a payment in full through the payment provider: the order becomes refunded, its
/// movies leave the library and the payer is e-mailed. Admins may refund any payment; owners
/// their own, within `REFUND_WINDOW_DAYS` of paying.
#[utoipa::path(tag = "payments", params(("id" = i64, Path)), security(("bearer" = [])), responses(
    (status = 200, description = "The refunded payment", body = PaymentResponse),
    (status = 403, description = "Past the refund window (owners)", body = Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such payment of yours", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "Already refunded, or nothing to refund", body = Problem, content_type = "application/problem+json"),
    (status = 502, description = "The payment provider refused the request (named in `detail`); retrying will not help", body = Problem, content_type = "application/problem+json"),
    (status = 503, description = "The payment provider cannot be reached; nothing changed", body = Problem, content_type = "application/problem+json"),
))]
#[post("/payments/{id}/refund")]
pub async fn refund(
    Authenticated(user): Authenticated,
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let who = if user.role >= Role::Admin {
        Refunder::Admin
    } else {
        Refunder::Owner(user.id)
    };
    let refunded = state
        .billing
        .acting(crate::audit::actor(&req, &user))
        .refund(&state.db, who, PaymentId(id.into_inner()))
        .await?;
    Ok(HttpResponse::Ok().json(PaymentResponse::from(refunded)))
}
