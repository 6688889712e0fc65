//! Commerce helpers: carts and orders through the API, and payment through the one function
//! billing calls once it has verified a payment (`Commerce::pay_in`).

use cinema_commerce::{Commerce, CommerceConfig};
use cinema_identity::Role;
use cinema_kernel::OrderId;
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

    /// Pays a pending order its exact total the way Stripe reports it: a signed
    /// `checkout.session.completed` posted to the webhook.
    pub async fn pay(&self, order_id: i64) {
        self.pay_taken_at(order_id, self.clock.now_secs() as i64)
            .await;
    }

    /// [`TestApp::pay`] for money Stripe took at `taken_at` (Unix seconds), reported now.
    pub async fn pay_taken_at(&self, order_id: i64, taken_at: i64) {
        let commerce = Commerce::new(CommerceConfig::default(), self.clock.clone());
        let order = commerce
            .order(self.db(), cinema_commerce::Viewer::Staff, OrderId(order_id))
            .await
            .expect("the order exists");
        let cents = order.total().cents();
        let session = self.session_opened(order_id, cents, "checkout").await;
        let res = self
            .deliver_webhook(&json!({
                "id": format!("evt_{}", uuid::Uuid::new_v4().simple()),
                "object": "event", "created": taken_at,
                "type": "checkout.session.completed",
                "data": {"object": {
                    "id": session,
                    "object": "checkout.session", "payment_status": "paid",
                    "amount_total": cents, "currency": "usd",
                    "payment_intent": format!("pi_{}", uuid::Uuid::new_v4().simple()),
                    "metadata": {"order_id": order_id.to_string()}
                }}
            }))
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        let paid = commerce
            .order(self.db(), cinema_commerce::Viewer::Staff, OrderId(order_id))
            .await
            .expect("the order exists");
        assert_eq!(paid.status(), cinema_commerce::OrderStatus::Paid);
    }

    /// Records a Stripe session (or intent) opened for the order, as `checkout` does after
    /// Stripe answers: webhooks are trusted only for sessions and intents we opened. Returns
    /// its id.
    pub async fn session_opened(&self, order_id: i64, cents: i64, kind: &str) -> String {
        use cinema_billing::entity::checkout_session;
        use sea_orm::{ActiveValue::Set, EntityTrait};
        let prefix = if kind == "intent" { "pi" } else { "cs" };
        let id = format!("{prefix}_{order_id}_{}", uuid::Uuid::new_v4().simple());
        let now = self.clock.now_ms();
        checkout_session::Entity::insert(checkout_session::ActiveModel {
            id: Set(id.clone()),
            order_id: Set(order_id),
            gateway: Set("stripe".into()),
            kind: Set(kind.into()),
            amount_cents: Set(cents),
            currency: Set("usd".into()),
            url: Set(None),
            client_secret: Set(None),
            status: Set("open".into()),
            expires_at: Set(now + 3_600_000),
            created_at: Set(now),
            // Out of the way of the attempts `checkout` numbers from 0.
            attempt: Set(1_000_000 + (uuid::Uuid::new_v4().as_u128() % 1_000_000_000) as i32),
            declined_at: Set(None),
        })
        .exec_without_returning(self.db())
        .await
        .expect("a session row");
        id
    }

    /// Posts an event to the webhook, signed as Stripe signs it with the test secret.
    pub async fn deliver_webhook(&self, event: &Value) -> TestResponse {
        let payload = serde_json::to_vec(event).expect("json");
        let header = cinema_billing::signature::sign(
            &payload,
            crate::WEBHOOK_SECRET.as_bytes(),
            self.clock.now_secs() as i64,
        );
        self.send(
            self.client
                .post(self.url("/api/v1/webhooks/stripe"))
                .header("content-type", "application/json")
                .header("stripe-signature", header)
                .body(payload),
        )
        .await
    }

    /// Opens (or reuses) a checkout for the order as `token`'s user.
    pub async fn checkout(&self, token: &str, order_id: i64) -> TestResponse {
        let path = format!("/api/v1/orders/{order_id}/checkout");
        self.json(reqwest::Method::POST, &path, Some(token), json!({}))
            .await
    }

    /// Opens a checkout for the order as `token`'s user and presses a button on the test
    /// gateway's page, as a person would; returns the page's answer.
    pub async fn press(&self, token: &str, order_id: i64, action: &str) -> TestResponse {
        let res = self.checkout(token, order_id).await;
        assert_eq!(res.status, 200, "{}", res.text());
        let url = res.json::<Value>()["checkout_url"]
            .as_str()
            .expect("a checkout url")
            .to_owned();
        self.press_on_page(&url, action).await
    }

    /// Loads a test gateway page and presses `action` (`pay` or `decline`) with its form.
    pub async fn press_on_page(&self, url: &str, action: &str) -> TestResponse {
        let page = self.send(self.client.get(url)).await;
        assert_eq!(page.status, 200, "{}", page.text());
        let html = page.text();
        let form_token = html
            .split("name=\"token\" value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("a form token")
            .to_owned();
        self.send(
            self.client
                .post(url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!("action={action}&token={form_token}")),
        )
        .await
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
