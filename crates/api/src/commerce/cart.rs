//! `/api/v1/cart`: the signed-in user's cart, and a user's cart for moderators.

use actix_web::{HttpResponse, delete, get, post, web};
use cinema_kernel::{MovieId, UserId};

use super::dto::{CartItemRequest, CartItemResponse, CartResponse, CartTotalResponse};
use crate::{
    AppState,
    auth::{Authenticated, Moderator},
    body::Json,
    error::{ApiError, Problem},
};

/// Your cart, oldest addition first, at current prices. Reading never creates anything.
#[utoipa::path(tag = "cart", security(("bearer" = [])), responses(
    (status = 200, description = "The cart", body = CartResponse),
))]
#[get("/cart")]
pub async fn get(
    Authenticated(user): Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let cart = state.commerce.cart(&state.db, user.user_id()).await?;
    Ok(HttpResponse::Ok().json(CartResponse::new(cart, state.commerce.config().max_total)?))
}

/// Add a movie to your cart.
#[utoipa::path(tag = "cart", request_body = CartItemRequest, security(("bearer" = [])), responses(
    (status = 201, description = "Added", body = CartItemResponse),
    (status = 400, description = "You own this movie already: repeat purchases are not allowed", body = Problem, content_type = "application/problem+json"),
    (status = 404, description = "No such movie", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "Already in the cart, or in one of your pending orders", body = Problem, content_type = "application/problem+json"),
))]
#[post("/cart/items")]
pub async fn add(
    Authenticated(user): Authenticated,
    state: web::Data<AppState>,
    json: Json<CartItemRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = json.into_inner()?;
    let line = state
        .commerce
        .add_to_cart(&state.db, user.user_id(), MovieId(body.movie_id))
        .await?;
    Ok(HttpResponse::Created().json(CartItemResponse::from(line)))
}

/// Take a movie out of your cart.
#[utoipa::path(tag = "cart", params(("movie_id" = i64, Path)), security(("bearer" = [])), responses(
    (status = 204, description = "Removed"),
    (status = 404, description = "The movie is not in your cart", body = Problem, content_type = "application/problem+json"),
))]
#[delete("/cart/items/{movie_id}")]
pub async fn remove(
    Authenticated(user): Authenticated,
    state: web::Data<AppState>,
    movie_id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    state
        .commerce
        .remove_from_cart(&state.db, user.user_id(), MovieId(movie_id.into_inner()))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Empty your cart.
#[utoipa::path(tag = "cart", security(("bearer" = [])), responses(
    (status = 204, description = "Emptied"),
))]
#[delete("/cart")]
pub async fn clear(
    Authenticated(user): Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    state.commerce.clear_cart(&state.db, user.user_id()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// How many movies your cart holds and what they cost now.
#[utoipa::path(tag = "cart", security(("bearer" = [])), responses(
    (status = 200, description = "Count and total", body = CartTotalResponse),
))]
#[get("/cart/total")]
pub async fn total(
    Authenticated(user): Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let total = state.commerce.cart_total(&state.db, user.user_id()).await?;
    Ok(HttpResponse::Ok().json(CartTotalResponse::from(total)))
}

/// A user's cart (moderators and admins).
#[utoipa::path(tag = "cart", params(("user_id" = i64, Path)), security(("bearer" = [])), responses(
    (status = 200, description = "The user's cart", body = CartResponse),
    (status = 404, description = "No such user", body = Problem, content_type = "application/problem+json"),
))]
#[get("/cart/users/{user_id}")]
pub async fn of_user(
    _: Moderator,
    state: web::Data<AppState>,
    user_id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let user_id = user_id.into_inner();
    cinema_identity::users::find(&state.db, UserId(user_id))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("User {user_id} not found.")))?;
    let cart = state.commerce.cart(&state.db, UserId(user_id)).await?;
    Ok(HttpResponse::Ok().json(CartResponse::new(cart, state.commerce.config().max_total)?))
}
