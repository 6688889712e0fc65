//! Load generator of `bench/commerce.sh`: N users, each signs in, fills a cart with M random
//! movies and places an order, C users at a time, against a running server. Prints a Markdown
//! table of throughput, latencies and errors.
//!
//!   commerce_load <base-url> <database-url> [users=1000] [concurrency=32] [cart=5] [movies=100000]
//!
//! The users are created through `cinema_identity::users::create` (bcrypt cost 4, active)
//! before anything is measured; sign-in is measured separately from the purchase flow.
//!
//! A premiere's rush (`RUSH=1`): a moderator publishes a new movie through the API just before
//! the clock starts, and every user's cart begins with it; `BROWSERS` more clients read movie
//! pages and lists meanwhile (their latencies and errors reported too), as fast as they can or,
//! with `BROWSE_RATE`, that many requests/s in all. Afterwards the
//! database must show each user with exactly one order holding the new movie and no hold or
//! order item doubled.

#![expect(clippy::unwrap_used, clippy::expect_used, reason = "a benchmark tool")]

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use cinema_identity::{Email, Password, Role, users};
use cinema_kernel::{
    db::{DatabaseConfig, connect},
    time::Clock,
};
use serde_json::{Value, json};

const PASSWORD: &str = "Bench#Pass1";

#[derive(Default)]
struct Samples {
    add: Vec<Duration>,
    order: Vec<Duration>,
    flow: Vec<Duration>,
    browse: Vec<Duration>,
    errors: Vec<String>,
    browse_errors: Vec<String>,
}

/// Publishes a new movie as a freshly made moderator; returns its id.
async fn publish(
    db: &sea_orm::DatabaseConnection,
    client: &reqwest::Client,
    base: &str,
    run: &str,
) -> i64 {
    let email = format!("bench-{run}-moderator@example.com");
    let password = Password::parse(PASSWORD, "password").unwrap();
    users::create(
        db,
        &Clock::system(),
        &Email::parse(&email).unwrap(),
        &password,
        Role::Moderator,
        true,
        4,
    )
    .await
    .expect("a moderator");
    let login: Value = client
        .post(format!("{base}/api/v1/accounts/login"))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["access_token"].as_str().expect("a moderator's token");
    let res = client
        .post(format!("{base}/api/v1/movies/"))
        .bearer_auth(token)
        .json(&json!({
            "name": format!("Premiere {run}"), "year": 2026, "time": 148, "imdb": 8.1,
            "votes": 1, "price": "12.99", "description": "Opening night.",
            "certification_id": 1, "genre_ids": [1],
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        201,
        "publishing the premiere: {}",
        res.text().await.unwrap_or_default()
    );
    res.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
}

/// `BROWSERS` clients reading movie pages and list pages until `stop` is set: each as fast as
/// it can, or, with a `rate` (requests/s for all of them), at most that fast — the same browsing
/// load for two builds, so that what one build's purchases free is not spent on more browsing.
fn browse(
    client: &reqwest::Client,
    base: &str,
    browsers: usize,
    rate: Option<f64>,
    movies: u64,
    samples: &Arc<Mutex<Samples>>,
    stop: &Arc<std::sync::atomic::AtomicBool>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let every = rate.map(|rate| Duration::from_secs_f64(browsers as f64 / rate));
    (0..browsers)
        .map(|b| {
            let (client, base, samples, stop) = (
                client.clone(),
                base.to_owned(),
                samples.clone(),
                stop.clone(),
            );
            tokio::spawn(async move {
                let mut ticks = every.map(|every| {
                    // Staggered, so the browsers' requests spread over each period.
                    let start = tokio::time::Instant::now() + every * b as u32 / browsers as u32;
                    let mut ticks = tokio::time::interval_at(start, every);
                    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
                    ticks
                });
                let mut n = 0u64;
                while !stop.load(Ordering::SeqCst) {
                    if let Some(ticks) = ticks.as_mut() {
                        ticks.tick().await;
                    }
                    n += 1;
                    let url = match n % 4 {
                        0 => format!("{base}/api/v1/movies/?page={}&per_page=20", n % 50 + 1),
                        _ => format!(
                            "{base}/api/v1/movies/{}",
                            picks(b as u64 * 7919 + n, 1, movies)[0]
                        ),
                    };
                    let t = Instant::now();
                    let res = client.get(url).send().await;
                    let took = t.elapsed();
                    let mut s = samples.lock().unwrap();
                    s.browse.push(took);
                    match res {
                        Ok(r) if r.status().is_success() => {}
                        Ok(r) => s.browse_errors.push(format!("browse: {}", r.status())),
                        Err(e) => s.browse_errors.push(format!("browse: {e}")),
                    }
                }
            })
        })
        .collect()
}

/// After a rush: every user ordered the premiere exactly once, and nothing is doubled.
async fn check_rush(db: &sea_orm::DatabaseConnection, premiere: i64, users: usize) {
    use sea_orm::{ConnectionTrait, Statement};
    let count = |sql: String| async move {
        let row = db
            .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
            .await
            .unwrap()
            .unwrap();
        row.try_get_by_index::<i64>(0).unwrap()
    };
    let ordered = count(format!(
        "SELECT COUNT(DISTINCT o.user_id) FROM order_items i JOIN orders o ON o.id = i.order_id WHERE i.movie_id = {premiere}"
    ))
    .await;
    let items = count(format!(
        "SELECT COUNT(*) FROM order_items WHERE movie_id = {premiere}"
    ))
    .await;

    println!(
        "\nrush check: {ordered} users ordered the premiere in {items} order items (expected {users} each)"
    );
    assert_eq!(
        (ordered, items),
        (users as i64, users as i64),
        "a premiere bought twice or lost"
    );
}

fn arg(n: usize, default: &str) -> String {
    std::env::args()
        .nth(n)
        .unwrap_or_else(|| default.to_owned())
}

/// A small deterministic generator (xorshift), so runs pick the same movies.
fn picks(seed: u64, count: usize, movies: u64) -> Vec<i64> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::new();
    while out.len() < count {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let id = (x % movies) as i64 + 1;
        if !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

async fn run_pool<F, Fut>(users: usize, concurrency: usize, job: F)
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let next = Arc::new(AtomicUsize::new(0));
    let job = Arc::new(job);
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (next, job) = (next.clone(), job.clone());
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= users {
                        break;
                    }
                    job(i).await;
                }
            })
        })
        .collect();
    for w in workers {
        w.await.unwrap();
    }
}

#[tokio::main]
async fn main() {
    let base = arg(1, "http://127.0.0.1:8099");
    let database_url = arg(2, "postgres://postgres@127.0.0.1:5432/cinema_bench");
    let users: usize = arg(3, "1000").parse().unwrap();
    let concurrency: usize = arg(4, "32").parse().unwrap();
    let cart: usize = arg(5, "5").parse().unwrap();
    let movies: u64 = arg(6, "100000").parse().unwrap();
    let rush = std::env::var("RUSH").is_ok_and(|v| v == "1");
    let browsers: usize = std::env::var("BROWSERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let browse_rate: Option<f64> = std::env::var("BROWSE_RATE")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|rate: &f64| *rate > 0.0);
    let run = uuid::Uuid::new_v4().simple().to_string();

    let db = connect(&DatabaseConfig::new(database_url.parse().unwrap()))
        .await
        .expect("the database");
    let clock = Clock::system();
    let password = Password::parse(PASSWORD, "password").unwrap();
    let mut emails = Vec::new();
    for i in 0..users {
        let email = format!("bench-{run}-{i}@example.com");
        users::create(
            &db,
            &clock,
            &Email::parse(&email).unwrap(),
            &password,
            Role::User,
            true,
            4,
        )
        .await
        .expect("a bench user");
        emails.push(email);
    }

    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .unwrap();
    let tokens = Arc::new(Mutex::new(vec![String::new(); users]));
    let emails = Arc::new(emails);
    let login_errors = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    {
        let (client, base, tokens, emails, errors) = (
            client.clone(),
            base.clone(),
            tokens.clone(),
            emails.clone(),
            login_errors.clone(),
        );
        run_pool(users, concurrency, move |i| {
            let (client, base, tokens, emails, errors) = (
                client.clone(),
                base.clone(),
                tokens.clone(),
                emails.clone(),
                errors.clone(),
            );
            async move {
                let res = client
                    .post(format!("{base}/api/v1/accounts/login"))
                    .json(&json!({"email": emails[i], "password": PASSWORD}))
                    .send()
                    .await;
                match res {
                    Ok(r) if r.status() == 201 => {
                        let body: Value = r.json().await.unwrap();
                        tokens.lock().unwrap()[i] = body["access_token"].as_str().unwrap().into();
                    }
                    _ => {
                        errors.fetch_add(1, Ordering::SeqCst);
                    }
                }
            }
        })
        .await;
    }
    let login_secs = started.elapsed().as_secs_f64();

    let premiere = if rush {
        Some(publish(&db, &client, &base, &run).await)
    } else {
        None
    };
    let samples = Arc::new(Mutex::new(Samples::default()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let browsing = browse(
        &client,
        &base,
        browsers,
        browse_rate,
        movies,
        &samples,
        &stop,
    );
    let started = Instant::now();
    {
        let (client, base, tokens, samples) = (
            client.clone(),
            base.clone(),
            tokens.clone(),
            samples.clone(),
        );
        run_pool(users, concurrency, move |i| {
            let (client, base, samples) = (client.clone(), base.clone(), samples.clone());
            let token = tokens.lock().unwrap()[i].clone();
            async move {
                let flow = Instant::now();
                let mut adds = Vec::new();
                let mut errors = Vec::new();
                let mut cart_movies = picks(i as u64 + 1, cart, movies);
                if let Some(premiere) = premiere {
                    cart_movies.pop();
                    cart_movies.insert(0, premiere);
                }
                for movie in cart_movies {
                    let t = Instant::now();
                    let res = client
                        .post(format!("{base}/api/v1/cart/items"))
                        .bearer_auth(&token)
                        .json(&json!({"movie_id": movie}))
                        .send()
                        .await;
                    adds.push(t.elapsed());
                    match res {
                        Ok(r) if r.status() == 201 => {}
                        Ok(r) => errors.push(format!("add: {}", r.status())),
                        Err(e) => errors.push(format!("add: {e}")),
                    }
                }
                let t = Instant::now();
                let res = client
                    .post(format!("{base}/api/v1/orders"))
                    .bearer_auth(&token)
                    .send()
                    .await;
                let order = t.elapsed();
                match res {
                    Ok(r) if r.status() == 201 => {}
                    Ok(r) => errors.push(format!("order: {}", r.status())),
                    Err(e) => errors.push(format!("order: {e}")),
                }
                let mut s = samples.lock().unwrap();
                s.add.extend(adds);
                s.order.push(order);
                s.flow.push(flow.elapsed());
                s.errors.extend(errors);
            }
        })
        .await;
    }
    let secs = started.elapsed().as_secs_f64();
    stop.store(true, Ordering::SeqCst);
    for b in browsing {
        b.await.unwrap();
    }
    let mut s = std::mem::take(&mut *samples.lock().unwrap());
    s.add.sort();
    s.order.sort();
    s.flow.sort();
    s.browse.sort();
    println!(
        "{users} users, {concurrency} at a time, {cart} movies per cart ({} sign-ins in {login_secs:.1} s, {} failed)\n",
        users,
        login_errors.load(Ordering::SeqCst)
    );
    println!("| measure | rate | p50 ms | p99 ms |\n|---|---:|---:|---:|");
    println!(
        "| purchase flow ({cart} adds + order) | {:.0} orders/s | {:.1} | {:.1} |",
        users as f64 / secs,
        percentile(&s.flow, 0.5),
        percentile(&s.flow, 0.99)
    );
    println!(
        "| `POST /api/v1/orders` | {:.0} req/s | {:.1} | {:.1} |",
        users as f64 / secs,
        percentile(&s.order, 0.5),
        percentile(&s.order, 0.99)
    );
    println!(
        "| `POST /api/v1/cart/items` | {:.0} req/s | {:.1} | {:.1} |",
        s.add.len() as f64 / secs,
        percentile(&s.add, 0.5),
        percentile(&s.add, 0.99)
    );
    if browsers > 0 {
        println!(
            "| browsing meanwhile ({browsers} clients: movie pages, list pages) | {:.0} req/s | {:.1} | {:.1} |",
            s.browse.len() as f64 / secs,
            percentile(&s.browse, 0.5),
            percentile(&s.browse, 0.99)
        );
        println!(
            "\nbrowsing errors: {} of {}{}",
            s.browse_errors.len(),
            s.browse.len(),
            s.browse_errors
                .first()
                .map(|e| format!(" (first: {e})"))
                .unwrap_or_default()
        );
    }
    if let Some(premiere) = premiere {
        check_rush(&db, premiere, users).await;
    }
    s.errors.extend(
        s.browse_errors
            .iter()
            .filter(|e| e.contains(": 5") || !e.contains(": 4"))
            .cloned(),
    );
    println!(
        "\nerrors: {} of {} requests{}",
        s.errors.len(),
        users * (cart + 1),
        s.errors
            .first()
            .map(|e| format!(" (first: {e})"))
            .unwrap_or_default()
    );
    if !s.errors.is_empty() {
        std::process::exit(1);
    }
}
