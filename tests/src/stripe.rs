//! A Stripe fake: an in-process HTTP server that speaks Stripe's API as the adapter uses it
//! (form-encoded `POST /v1/checkout/sessions`, `/v1/payment_intents`, `/v1/refunds`, bearer
//! secret key, `Idempotency-Key`), checks what Stripe checks and more (amounts add up, the
//! currency is the configured one, every call carries an idempotency key, a key reused with
//! other parameters is refused), answers with realistic objects, and plays the payer: paying
//! a session or an intent produces the events Stripe would send, signed as Stripe signs them
//! (`t=…,v1=HMAC-SHA256("{t}.{payload}")`), computed here independently of billing's code.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, MutexGuard},
};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use cinema_kernel::time::Clock;
use hmac::{KeyInit, Mac};
use serde_json::{Value, json};

/// The secret key the fake accepts.
pub const STRIPE_KEY: &str = "sk_test_cinema_fake";

/// A request the fake received.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub path: String,
    pub idempotency_key: Option<String>,
    pub form: Vec<(String, String)>,
    pub status: u16,
}

impl Recorded {
    /// The value of a form field, e.g. `line_items[0][price_data][unit_amount]`.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Default)]
struct State {
    down: bool,
    /// While set, every API call is refused with 400 and this message.
    refusing: Option<String>,
    requests: Vec<Recorded>,
    /// key → (body, status, answer)
    idempotency: HashMap<String, (String, u16, Value)>,
    sessions: HashMap<String, Value>,
    intents: HashMap<String, Value>,
    refunds: Vec<Value>,
    webhook: Option<(String, Clock)>,
    secret: String,
    /// (event type, the webhook's HTTP status) of every delivery.
    delivered: Vec<(String, u16)>,
}

/// A running fake. Dropping it stops the server.
pub struct StripeFake {
    url: String,
    state: Arc<Mutex<State>>,
    handle: actix_web::dev::ServerHandle,
    client: reqwest::Client,
    secret: String,
}

impl Drop for StripeFake {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        tokio::spawn(async move { handle.stop(false).await });
    }
}

fn id(prefix: &str) -> String {
    format!("{prefix}_test_{}", uuid::Uuid::new_v4().simple())
}

/// Stripe's clock, not the application's (which tests move).
#[expect(
    clippy::disallowed_methods,
    reason = "the fake is another system with its own clock"
)]
fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn error(status: u16, kind: &str, message: &str) -> (u16, Value) {
    (status, json!({"error": {"type": kind, "message": message}}))
}

/// `metadata[k]=v` fields as an object.
fn metadata(form: &[(String, String)], prefix: &str) -> Value {
    let mut map = serde_json::Map::new();
    for (k, v) in form {
        if let Some(key) = k
            .strip_prefix(prefix)
            .and_then(|r| r.strip_prefix("[metadata]["))
            .or_else(|| {
                prefix
                    .is_empty()
                    .then(|| k.strip_prefix("metadata["))
                    .flatten()
            })
            .and_then(|r| r.strip_suffix(']'))
        {
            map.insert(key.to_owned(), Value::String(v.clone()));
        }
    }
    Value::Object(map)
}

impl StripeFake {
    /// Starts the fake on a free loopback port. `webhook_secret` signs its events.
    pub async fn start(webhook_secret: &str) -> Self {
        let state = Arc::new(Mutex::new(State {
            secret: webhook_secret.to_owned(),
            ..State::default()
        }));
        let shared = web::Data::from(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(shared.clone())
                .default_service(web::to(handle))
        })
        .workers(1)
        .disable_signals()
        .bind(("127.0.0.1", 0))
        .expect("the Stripe fake binds");
        let port = server.addrs()[0].port();
        let server = server.run();
        let handle = server.handle();
        tokio::spawn(server);
        Self {
            url: format!("http://127.0.0.1:{port}"),
            state,
            handle,
            client: reqwest::Client::new(),
            secret: webhook_secret.to_owned(),
        }
    }

    /// Where the adapter should send its requests (`STRIPE_API_BASE`).
    pub fn url(&self) -> &str {
        &self.url
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().expect("the fake's state")
    }

    /// Where events go, and the clock their signatures are dated with.
    pub fn forward_to(&self, webhook_url: String, clock: Clock) {
        self.state().webhook = Some((webhook_url, clock));
    }

    /// While set, every API call is refused (400 `invalid_request_error` with this message), as
    /// Stripe refuses a bad parameter or an option the account does not support.
    pub fn set_refusing(&self, message: Option<&str>) {
        self.state().refusing = message.map(str::to_owned);
    }

    /// While down, every API call answers 503 (and nothing is created).
    pub fn set_down(&self, down: bool) {
        self.state().down = down;
    }

    /// Every request received, in order.
    pub fn requests(&self, path: &str) -> Vec<Recorded> {
        self.state()
            .requests
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }

    pub fn sessions(&self) -> Vec<Value> {
        self.state().sessions.values().cloned().collect()
    }

    pub fn refunds(&self) -> Vec<Value> {
        self.state().refunds.clone()
    }

    /// The webhook's answers to the deliveries of events of this type.
    pub fn delivered(&self, kind: &str) -> Vec<u16> {
        self.state()
            .delivered
            .iter()
            .filter(|(k, _)| k == kind)
            .map(|(_, s)| *s)
            .collect()
    }

    /// Signs a payload as Stripe does.
    pub fn sign(&self, payload: &[u8], t: i64) -> String {
        stripe_signature(&self.secret, payload, t)
    }

    /// Delivers an event to the configured webhook; returns the HTTP status.
    pub async fn deliver(&self, event: &Value) -> u16 {
        let (url, clock) = self.state().webhook.clone().expect("forward_to was called");
        let payload = serde_json::to_vec(event).expect("json");
        let header = self.sign(&payload, clock.now_secs() as i64);
        let res = self
            .client
            .post(url)
            .header("content-type", "application/json; charset=utf-8")
            .header("stripe-signature", header)
            .body(payload)
            .send()
            .await
            .expect("the webhook answers");
        let status = res.status().as_u16();
        let kind = event["type"].as_str().unwrap_or_default().to_owned();
        self.state().delivered.push((kind, status));
        status
    }

    /// The payer pays a session: the session completes with a new PaymentIntent, and the
    /// events Stripe sends for it are returned (not delivered), in Stripe's usual order.
    pub fn pay_session(&self, session_id: &str) -> Vec<Value> {
        let mut state = self.state();
        let session = state
            .sessions
            .get_mut(session_id)
            .expect("a session of the fake");
        let amount = session["amount_total"].clone();
        let currency = session["currency"].clone();
        let intent_id = id("pi");
        session["status"] = json!("complete");
        session["payment_status"] = json!("paid");
        session["payment_intent"] = json!(intent_id);
        let completed = session.clone();
        let intent_metadata = session["_intent_metadata"].clone();
        let intent = json!({
            "id": intent_id, "object": "payment_intent", "amount": amount,
            "amount_received": amount, "currency": currency, "status": "succeeded",
            "client_secret": format!("{intent_id}_secret_x"), "livemode": false,
            "latest_charge": id("ch"), "metadata": intent_metadata, "created": now(),
        });
        state.intents.insert(intent_id, intent.clone());
        vec![
            event("checkout.session.completed", public(&completed)),
            event("payment_intent.succeeded", intent),
        ]
    }

    /// The payer confirms a PaymentIntent: its `payment_intent.succeeded` event.
    pub fn pay_intent(&self, intent_id: &str) -> Value {
        let mut state = self.state();
        let intent = state
            .intents
            .get_mut(intent_id)
            .expect("an intent of the fake");
        intent["status"] = json!("succeeded");
        intent["amount_received"] = intent["amount"].clone();
        intent["latest_charge"] = json!(id("ch"));
        event("payment_intent.succeeded", intent.clone())
    }

    /// A session that ran out: its `checkout.session.expired` event.
    pub fn expire_session(&self, session_id: &str) -> Value {
        let mut state = self.state();
        let session = state
            .sessions
            .get_mut(session_id)
            .expect("a session of the fake");
        session["status"] = json!("expired");
        event("checkout.session.expired", public(session))
    }

    /// Pays a session and delivers its events in order; returns their statuses.
    pub async fn complete_session(&self, session_id: &str) -> Vec<u16> {
        let mut statuses = Vec::new();
        for e in self.pay_session(session_id) {
            statuses.push(self.deliver(&e).await);
        }
        statuses
    }
}

/// `Stripe-Signature`: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "{t}.{payload}">`.
fn stripe_signature(secret: &str, payload: &[u8], t: i64) -> String {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("any key");
    mac.update(format!("{t}.").as_bytes());
    mac.update(payload);
    let v1: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("t={t},v1={v1}")
}

/// A session as Stripe shows it (without the fake's bookkeeping).
fn public(session: &Value) -> Value {
    let mut s = session.clone();
    if let Some(map) = s.as_object_mut() {
        map.remove("_intent_metadata");
    }
    s
}

fn event(kind: &str, object: Value) -> Value {
    json!({
        "id": id("evt"), "object": "event", "api_version": "2025-09-30.clover",
        "created": now(), "livemode": false, "pending_webhooks": 1,
        "request": {"id": null, "idempotency_key": null},
        "type": kind, "data": {"object": object},
    })
}

async fn handle(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<Mutex<State>>,
) -> HttpResponse {
    let path = req.path().to_owned();
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let key = req
        .headers()
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let authorized = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        == Some(&format!("Bearer {STRIPE_KEY}"));
    let body_text = String::from_utf8_lossy(&body).into_owned();
    let mut refunded_event = None;
    let (status, answer, replayed) = {
        let mut state = state.lock().expect("the fake's state");
        let (status, answer, replayed) = if state.down {
            let (s, a) = error(503, "api_error", "The fake Stripe is down.");
            (s, a, false)
        } else if let Some(message) = state.refusing.clone() {
            let (s, a) = error(400, "invalid_request_error", &message);
            (s, a, false)
        } else if !authorized {
            let (s, a) = error(401, "invalid_request_error", "Invalid API Key provided.");
            (s, a, false)
        } else if req.method() != actix_web::http::Method::POST {
            let (s, a) = error(404, "invalid_request_error", "Unrecognized request URL.");
            (s, a, false)
        } else if let Some(key) = &key {
            match state.idempotency.get(key) {
                Some((seen, s, a)) if *seen == body_text => (*s, a.clone(), true),
                Some(_) => {
                    let (s, a) = error(
                        400,
                        "idempotency_error",
                        "Keys for idempotent requests can only be used with the same parameters they were first used with.",
                    );
                    (s, a, false)
                }
                None => {
                    let (s, a) = create(&mut state, &path, &form, &mut refunded_event);
                    if s < 500 {
                        state
                            .idempotency
                            .insert(key.clone(), (body_text, s, a.clone()));
                    }
                    (s, a, false)
                }
            }
        } else {
            let (s, a) = error(
                400,
                "invalid_request_error",
                "The Stripe fake requires an Idempotency-Key on every request.",
            );
            (s, a, false)
        };
        state.requests.push(Recorded {
            path: path.clone(),
            idempotency_key: key,
            form,
            status,
        });
        (status, answer, replayed)
    };
    // Stripe follows a refund with `charge.refunded`.
    if let Some(event) = refunded_event {
        let (target, secret) = {
            let state = state.lock().expect("state");
            (state.webhook.clone(), state.secret.clone())
        };
        if let Some((url, clock)) = target {
            let shared = state.clone();
            tokio::spawn(async move {
                let payload = serde_json::to_vec(&event).expect("json");
                let header = stripe_signature(&secret, &payload, clock.now_secs() as i64);
                let status = reqwest::Client::new()
                    .post(url)
                    .header("content-type", "application/json")
                    .header("stripe-signature", header)
                    .body(payload)
                    .send()
                    .await
                    .map_or(0, |r| r.status().as_u16());
                let kind = event["type"].as_str().unwrap_or_default().to_owned();
                shared.lock().expect("state").delivered.push((kind, status));
            });
        }
    }
    let mut res =
        HttpResponse::build(actix_web::http::StatusCode::from_u16(status).expect("a status"));
    res.insert_header(("request-id", id("req")));
    if replayed {
        res.insert_header(("idempotent-replayed", "true"));
    }
    res.json(answer)
}

fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn create(
    state: &mut State,
    path: &str,
    form: &[(String, String)],
    refunded_event: &mut Option<Value>,
) -> (u16, Value) {
    let currency_ok = |c: Option<&str>| c == Some("usd");
    match path {
        "/v1/checkout/sessions" => {
            if field(form, "mode") != Some("payment") {
                return error(400, "invalid_request_error", "mode must be payment");
            }
            let mut total: i64 = 0;
            let mut n = 0;
            while let Some(amount) =
                field(form, &format!("line_items[{n}][price_data][unit_amount]"))
            {
                let Ok(amount) = amount.parse::<i64>() else {
                    return error(
                        400,
                        "invalid_request_error",
                        "unit_amount must be an integer",
                    );
                };
                let quantity: i64 = field(form, &format!("line_items[{n}][quantity]"))
                    .and_then(|q| q.parse().ok())
                    .unwrap_or(0);
                let currency = field(form, &format!("line_items[{n}][price_data][currency]"));
                let named = field(
                    form,
                    &format!("line_items[{n}][price_data][product_data][name]"),
                )
                .is_some_and(|n| !n.is_empty());
                if !currency_ok(currency) || quantity < 1 || amount < 0 || !named {
                    return error(400, "invalid_request_error", "bad line item");
                }
                total += amount * quantity;
                n += 1;
            }
            if n == 0 {
                return error(400, "invalid_request_error", "line_items are required");
            }
            let expires_at: i64 = match field(form, "expires_at").map(str::parse) {
                Some(Ok(t)) => t,
                _ => now() + 24 * 3600,
            };
            // Stripe's own bounds.
            if expires_at < now() + 30 * 60 - 5 || expires_at > now() + 24 * 3600 {
                return error(
                    400,
                    "invalid_request_error",
                    "expires_at must be between 30 minutes and 24 hours from now",
                );
            }
            let (Some(success), Some(cancel)) =
                (field(form, "success_url"), field(form, "cancel_url"))
            else {
                return error(400, "invalid_request_error", "success_url is required");
            };
            let session_id = format!("cs_test_{}", uuid::Uuid::new_v4().simple());
            let session = json!({
                "id": session_id, "object": "checkout.session", "mode": "payment",
                "amount_subtotal": total, "amount_total": total, "currency": "usd",
                "client_reference_id": field(form, "client_reference_id"),
                "customer_email": field(form, "customer_email"),
                "created": now(), "expires_at": expires_at, "livemode": false,
                "metadata": metadata(form, ""), "payment_intent": null,
                "payment_status": "unpaid", "status": "open",
                "success_url": success, "cancel_url": cancel,
                "url": format!("https://checkout.stripe.com/c/pay/{session_id}"),
                "_intent_metadata": metadata(form, "payment_intent_data"),
            });
            state.sessions.insert(session_id, session.clone());
            (200, public(&session))
        }
        "/v1/payment_intents" => {
            let amount = field(form, "amount").and_then(|a| a.parse::<i64>().ok());
            let Some(amount) = amount.filter(|a| *a >= 50) else {
                return error(400, "invalid_request_error", "amount must be at least 50");
            };
            if !currency_ok(field(form, "currency")) {
                return error(400, "invalid_request_error", "unexpected currency");
            }
            let intent_id = id("pi");
            let intent = json!({
                "id": intent_id, "object": "payment_intent", "amount": amount,
                "amount_received": 0, "currency": "usd", "created": now(), "livemode": false,
                "client_secret": format!("{intent_id}_secret_{}", uuid::Uuid::new_v4().simple()),
                "status": "requires_payment_method", "metadata": metadata(form, ""),
                "automatic_payment_methods": {"enabled": field(form, "automatic_payment_methods[enabled]") == Some("true")},
            });
            state.intents.insert(intent_id, intent.clone());
            (200, intent)
        }
        "/v1/refunds" => {
            let Some(intent_id) = field(form, "payment_intent") else {
                return error(400, "invalid_request_error", "payment_intent is required");
            };
            let Some(intent) = state.intents.get(intent_id).cloned() else {
                return error(404, "invalid_request_error", "No such payment_intent");
            };
            if intent["status"] != "succeeded" {
                return error(
                    400,
                    "invalid_request_error",
                    "This PaymentIntent has no charge",
                );
            }
            let received = intent["amount_received"].as_i64().unwrap_or(0);
            let amount = field(form, "amount")
                .and_then(|a| a.parse::<i64>().ok())
                .unwrap_or(received);
            let already: i64 = state
                .refunds
                .iter()
                .filter(|r| r["payment_intent"] == intent_id)
                .filter_map(|r| r["amount"].as_i64())
                .sum();
            if amount <= 0 || amount + already > received {
                return error(
                    400,
                    "invalid_request_error",
                    "Refund amount is greater than the unrefunded amount",
                );
            }
            let refund = json!({
                "id": id("re"), "object": "refund", "amount": amount, "currency": "usd",
                "payment_intent": intent_id, "charge": intent["latest_charge"],
                "status": "succeeded", "created": now(), "metadata": metadata(form, ""),
            });
            state.refunds.push(refund.clone());
            *refunded_event = Some(event(
                "charge.refunded",
                json!({
                    "id": intent["latest_charge"], "object": "charge", "amount": received,
                    "amount_refunded": amount + already, "currency": "usd",
                    "payment_intent": intent_id, "refunded": amount + already == received,
                    "metadata": intent["metadata"],
                    "refunds": {"object": "list", "data": [refund.clone()]},
                }),
            ));
            (200, refund)
        }
        _ => error(404, "invalid_request_error", "Unrecognized request URL."),
    }
}
