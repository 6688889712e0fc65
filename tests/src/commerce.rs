//! Commerce helpers: carts and orders through the API, and payment through the one function
//! billing calls once it has verified a payment (`Commerce::pay_in`).

use cinema_commerce::{Commerce, CommerceConfig, VerifiedPayment};
use cinema_identity::Role;
use cinema_kernel::Money;
use serde_json::{Value, json};

use crate::{TestApp, TestResponse};

impl TestApp {
    /// A signed-in active user's access token.
    pub async fn buyer(&self) -> String {
        self.user_with_role(Role::User).await.1.access_token
    }

    pub async fn add_to_cart(&self, token: &str, movie_id: i64) -> TestResponse {
        self.json(
            reqwest::Method::POST,
            "/api/v1/cart/items/",
            Some(token),
            json!({"movie_id": movie_id}),
        )
        .await
    }

    /// Adds the movies, asserting each is added.
    pub async fn fill_cart(&self, token: &str, movie_ids: &[i64]) {
        for &id in movie_ids {
            let res = self.add_to_cart(token, id).await;
            assert_eq!(res.status, 201, "adding {id}: {}", res.text());
        }
    }

    pub async fn place_order(&self, token: &str) -> TestResponse {
        self.json(
            reqwest::Method::POST,
            "/api/v1/orders/",
            Some(token),
            json!({}),
        )
        .await
    }

    /// Places an order from the cart, asserting 201; returns its body.
    pub async fn order_ok(&self, token: &str) -> Value {
        let res = self.place_order(token).await;
        assert_eq!(res.status, 201, "{}", res.text());
        res.json()
    }

    /// Pays a pending order its exact total, the way billing does after verifying a payment:
    /// marks it paid and grants its movies, in one transaction.
    pub async fn pay(&self, order_id: i64) {
        let commerce = Commerce::new(CommerceConfig::default(), self.clock.clone());
        let txn = cinema_kernel::db::begin_write(self.db())
            .await
            .expect("begin");
        let order = commerce
            .order(&txn, cinema_commerce::Viewer::Staff, order_id)
            .await
            .expect("the order exists");
        let amount: Money = order.total();
        commerce
            .pay_in(&txn, order_id, &VerifiedPayment { amount })
            .await
            .expect("the order is paid");
        txn.commit().await.expect("commit");
    }

    /// Buys the movies for a new order of `token`'s user: cart, order, payment.
    pub async fn buy(&self, token: &str, movie_ids: &[i64]) -> i64 {
        self.fill_cart(token, movie_ids).await;
        let order = self.order_ok(token).await;
        let id = order["id"].as_i64().expect("an order id");
        self.pay(id).await;
        id
    }

    /// Cancels an order as `token`'s user.
    pub async fn cancel_order(&self, token: &str, order_id: i64) -> TestResponse {
        let path = format!("/api/v1/orders/{order_id}/cancel");
        self.json(reqwest::Method::POST, &path, Some(token), json!({}))
            .await
    }

    /// The movie ids in `token`'s cart.
    pub async fn cart_ids(&self, token: &str) -> Vec<i64> {
        let res = self.get_as(token, "/api/v1/cart/").await;
        assert_eq!(res.status, 200, "{}", res.text());
        res.json::<Value>()["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|i| i["movie_id"].as_i64().expect("movie_id"))
            .collect()
    }
}

/// The movie ids of an order's items, in order.
pub fn order_movie_ids(order: &Value) -> Vec<i64> {
    order["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["movie_id"].as_i64().expect("movie_id"))
        .collect()
}
