//! `/api/v1/orders`: placing an order from the cart, reading and canceling orders, and the
//! admin list of every order.

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use chrono::NaiveDate;
use cinema_commerce::{OrderFilter, Viewer};
use cinema_identity::{AuthUser, Role};
use cinema_kernel::OrderId;
use serde::Deserialize;
use utoipa::IntoParams;

use super::dto::{OrderResponse, OrderStatusName, OrderStatusRequest, PlacedOrderResponse};
use crate::{
    AppState,
    auth::{Admin, Authenticated},
    body::Json,
    error::{ApiError, Problem},
    page::{PageResponse, day_range, page_request},
};

/// Admins see every order; anyone else only their own.
pub(crate) fn viewer(user: &AuthUser) -> Viewer {
    if user.role >= Role::Admin {
        Viewer::Staff
    } else {
        Viewer::User(user.id)
    }
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct OrderQuery {
    /// Only orders in this status.
    #[param(inline)]
    pub status: Option<OrderStatusName>,
    /// Items to skip (default 0).
    #[param(minimum = 0, maximum = 1_000_000_000)]
    pub skip: Option<u64>,
    /// Items per page (1–100, default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct AdminOrderQuery {
    /// Only this user's orders.
    pub user_id: Option<i64>,
    /// Only orders in this status.
    #[param(inline)]
    pub status: Option<OrderStatusName>,
    /// Only orders created on or after this day (UTC).
    pub date_from: Option<NaiveDate>,
    /// Only orders created on or before this day (UTC).
    pub date_to: Option<NaiveDate>,
    /// Items to skip (default 0).
    #[param(minimum = 0, maximum = 1_000_000_000)]
    pub skip: Option<u64>,
    /// Items per page (1–100, default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
}

/// Turn your whole cart into one pending order. Ordered movies leave the cart; each item keeps
/// its current price. A cart cannot hold a movie you own or that is in another of your pending
/// orders (adding it is refused), and a deleted movie leaves every cart, so `skipped` — kept
/// for clients that read it — is empty. Two requests at once from one cart make one order; the
/// other answers 400, the cart being empty by then.
#[utoipa::path(tag = "orders", security(("bearer" = [])), responses(
    (status = 201, description = "The new pending order", body = PlacedOrderResponse),
    (status = 400, description = "The cart is empty", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "The total would pass the largest payment (the detail names the limit)", body = Problem, content_type = "application/problem+json"),
))]
#[post("/orders")]
pub async fn place(
    Authenticated(user): Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let placed = state
        .commerce
        .place_order(&state.db, user.user_id())
        .await?;
    Ok(HttpResponse::Created().json(PlacedOrderResponse::from(placed)))
}

/// Your orders, newest first.
#[utoipa::path(tag = "orders", params(OrderQuery), security(("bearer" = [])), responses(
    (status = 200, description = "A page of your orders", body = PageResponse<OrderResponse>),
))]
#[get("/orders")]
pub async fn list(
    Authenticated(user): Authenticated,
    state: web::Data<AppState>,
    query: web::Query<OrderQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = page_request(query.skip, query.limit)?;
    let filter = OrderFilter {
        user_id: Some(user.id),
        status: query.status.map(Into::into),
        ..OrderFilter::default()
    };
    let found = state.commerce.orders(&state.db, &filter, page).await?;
    Ok(HttpResponse::Ok().json(PageResponse::from_page(found, OrderResponse::from)))
}

/// Every order, newest first, filtered by user, status and creation day (admins).
#[utoipa::path(tag = "orders", params(AdminOrderQuery), security(("bearer" = [])), responses(
    (status = 200, description = "A page of orders", body = PageResponse<OrderResponse>),
))]
#[get("/orders/all")]
pub async fn all(
    _: Admin,
    state: web::Data<AppState>,
    query: web::Query<AdminOrderQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = page_request(query.skip, query.limit)?;
    let (created_from, created_before) = day_range(query.date_from, query.date_to)?;
    let filter = OrderFilter {
        user_id: query.user_id,
        status: query.status.map(Into::into),
        created_from,
        created_before,
    };
    let found = state.commerce.orders(&state.db, &filter, page).await?;
    Ok(HttpResponse::Ok().json(PageResponse::from_page(found, OrderResponse::from)))
}

/// One of your orders (admins: any order).
#[utoipa::path(tag = "orders", params(("id" = i64, Path)), security(("bearer" = [])), responses(
    (status = 200, description = "The order", body = OrderResponse),
    (status = 404, description = "No such order of yours", body = Problem, content_type = "application/problem+json"),
))]
#[get("/orders/{id}")]
pub async fn get(
    Authenticated(user): Authenticated,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let order = state
        .commerce
        .order(&state.db, viewer(&user), OrderId(id.into_inner()))
        .await?;
    Ok(HttpResponse::Ok().json(OrderResponse::from(order)))
}

/// Cancel one of your pending orders (admins: any pending order). A paid order is only undone
/// by a refund.
#[utoipa::path(tag = "orders", params(("id" = i64, Path)), security(("bearer" = [])), responses(
    (status = 200, description = "Canceled", body = OrderResponse),
    (status = 404, description = "No such order of yours", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "The order is not pending (paid, canceled, expired or refunded)", body = Problem, content_type = "application/problem+json"),
))]
#[post("/orders/{id}/cancel")]
pub async fn cancel(
    Authenticated(user): Authenticated,
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let order = state
        .commerce
        .acting(crate::audit::actor(&req, &user))
        .cancel_order(&state.db, viewer(&user), OrderId(id.into_inner()))
        .await?;
    Ok(HttpResponse::Ok().json(OrderResponse::from(order)))
}

/// Change an order's status: only `canceled` can be asked for, on a pending order (the same
/// as `POST /orders/{id}/cancel`).
#[utoipa::path(tag = "orders", params(("id" = i64, Path)), request_body = OrderStatusRequest, security(("bearer" = [])), responses(
    (status = 200, description = "Changed", body = OrderResponse),
    (status = 400, description = "That status cannot be asked for; it follows from payments, refunds and time", body = Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such order of yours", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "The order is not pending", body = Problem, content_type = "application/problem+json"),
))]
#[patch("/orders/{id}/status")]
pub async fn set_status(
    Authenticated(user): Authenticated,
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    json: Json<OrderStatusRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = json.into_inner()?;
    let order = state
        .commerce
        .acting(crate::audit::actor(&req, &user))
        .request_status(
            &state.db,
            viewer(&user),
            OrderId(id.into_inner()),
            body.status.into(),
        )
        .await?;
    Ok(HttpResponse::Ok().json(OrderResponse::from(order)))
}
