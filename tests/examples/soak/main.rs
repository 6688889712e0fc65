//! The mixed-load rig of `bench/soak.sh`: several `cinema serve` processes and `cinema worker`
//! processes on one PostgreSQL database and one SMTP server (this program's, on loopback),
//! simulated people spread over the instances for a fixed time, optional faults, then the
//! invariants checked straight from the database and the SMTP server.
//!
//! Each simulated person signs up through the real activation mail, signs in, and then, until
//! the time is up, browses, searches, fills a cart, orders, checks out and pays on the built-in
//! test gateway's page, rates, likes, comments, and now and then asks for a refund. With
//! `FAULTS=1`, at a third of the run one API process and one worker are killed with SIGKILL and
//! restarted a few seconds later; requests refused by the dead instance are retried on the next
//! one, as a balancer would. With `ROLLING=1`, at a quarter of the run every API process in turn
//! gets SIGTERM, drains (`SHUTDOWN_DRAIN_MS`), exits and is started again — a deployment: no
//! request may be cut.
//!
//! Every 10 s the rig samples each API process's resident memory and open descriptors and the
//! database's connections, and reports them with the p99 of each fifth of the run: flat after
//! warm-up is what a long run must show.
//!
//! Settings (environment): `CINEMA_BIN` (target/release/cinema), `DATABASE_URL` (a seeded,
//! otherwise unused database), `INSTANCES` (2), `WORKERS` (1), `USERS` (24 people at once),
//! `SECS` (60), `BASE_PORT` (8200), `FAULTS` (0), `ROLLING` (0), `OUTAGES` (0: see
//! [`outages`]; the rig then seeds `MOVIES` (2000) into a cluster of its own), `OUTAGE_SECS`
//! (5). Exits non-zero when an invariant fails, a request answered 5xx (other than a 503 with
//! `Retry-After` from what an outage took away), or (without `FAULTS`) a request was cut.

#![expect(clippy::unwrap_used, clippy::expect_used, reason = "a benchmark tool")]

mod outages;

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    process::{Child, Command, Stdio},
    sync::{
        Arc, Mutex,
        atomic::{AtomicU8, AtomicU64, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use cinema_kernel::db::{DatabaseConfig, connect};
use cinema_testkit::SmtpServer;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::{Value, json};

const PASSWORD: &str = "Soak#Pass-2026";

fn env(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

/// Latencies and failures per endpoint group.
#[derive(Default)]
struct Stats {
    groups: BTreeMap<&'static str, Group>,
    paid: u64,
    refunded: u64,
    /// Every answered request: when it ended and how long it took (p99 over time).
    timeline: Vec<(Instant, Duration)>,
}

/// What the API processes use at one moment: resident memory and open descriptors of each,
/// and the database's connections.
struct Sample {
    at: Duration,
    rss_mib: Vec<f64>,
    fds: Vec<usize>,
    db_connections: i64,
}

/// Resident memory (MiB) and open file descriptors of a process, from `/proc`.
fn usage(pid: u32) -> (f64, usize) {
    let rss = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0);
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count());
    (rss, fds)
}

#[derive(Default)]
struct Group {
    latencies: Vec<Duration>,
    /// Answers 400–499 (refusals the flow expects now and then: a movie already owned).
    client_errors: u64,
    /// Answers 500 and up (but those below).
    server_errors: u64,
    /// 503 with `Retry-After` while a dependency this request needs was away (`OUTAGES`).
    unavailable: u64,
    /// The slowest of those.
    slowest_unavailable: Duration,
    /// Requests accepted and then cut (the connection dropped mid-request: a killed process).
    cut: u64,
    first_error: Option<String>,
}

/// The API processes, as a client-side balancer: round robin over the instances whose
/// readiness was green at the last probe (every 100 ms, see [`Front::probe`]), and a request
/// refused by a dead instance goes to the next one.
struct Front {
    client: reqwest::Client,
    bases: Vec<String>,
    ready: Vec<std::sync::atomic::AtomicBool>,
    next: AtomicUsize,
    stats: Mutex<Stats>,
    refused: AtomicU64,
    /// What is away now ([`outages::DATABASE_AWAY`], [`outages::STORAGE_AWAY`]).
    outage: AtomicU8,
}

impl Front {
    /// Probes every instance's readiness every 100 ms, as a balancer's health check would.
    async fn probe(self: Arc<Self>) {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(1))
            .build()
            .unwrap();
        loop {
            for (base, ready) in self.bases.iter().zip(&self.ready) {
                let green = matches!(
                    client.get(format!("{base}/health/ready")).send().await,
                    Ok(r) if r.status() == 200
                );
                ready.store(green, Ordering::Relaxed);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Sends `build(base)`, on the next ready instance; retried on the others when refused.
    async fn send(
        &self,
        group: &'static str,
        build: impl Fn(&str) -> reqwest::RequestBuilder,
    ) -> Option<(u16, String)> {
        let n = self.bases.len();
        let mut first = self.next.fetch_add(1, Ordering::Relaxed);
        // The next instance that is ready, if any is.
        if let Some(skip) = (0..n).find(|k| self.ready[(first + k) % n].load(Ordering::Relaxed)) {
            first += skip;
        }
        for attempt in 0..n {
            let base = &self.bases[(first + attempt) % n];
            let started = Instant::now();
            match build(base).send().await {
                Ok(res) => {
                    let status = res.status().as_u16();
                    let retry_after = res.headers().contains_key("retry-after");
                    let away = self.outage.load(Ordering::SeqCst);
                    let expected = status == 503
                        && retry_after
                        && (away & outages::DATABASE_AWAY != 0
                            || (away & outages::STORAGE_AWAY != 0 && group == "avatar"));
                    let body = res.text().await.unwrap_or_default();
                    let mut stats = self.stats.lock().unwrap();
                    stats.timeline.push((Instant::now(), started.elapsed()));
                    let g = stats.groups.entry(group).or_default();
                    g.latencies.push(started.elapsed());
                    if (400..500).contains(&status) {
                        g.client_errors += 1;
                    }
                    if expected {
                        g.unavailable += 1;
                        g.slowest_unavailable = g.slowest_unavailable.max(started.elapsed());
                    } else if status >= 500 {
                        g.server_errors += 1;
                        g.first_error
                            .get_or_insert_with(|| format!("{status}: {}", cut(&body)));
                    }
                    return Some((status, body));
                }
                Err(e) if e.is_connect() => {
                    self.refused.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) => {
                    let mut stats = self.stats.lock().unwrap();
                    let g = stats.groups.entry(group).or_default();
                    g.cut += 1;
                    g.first_error.get_or_insert_with(|| {
                        let mut chain = e.to_string();
                        let mut source = std::error::Error::source(&e);
                        while let Some(cause) = source {
                            chain.push_str(&format!(": {cause}"));
                            source = cause.source();
                        }
                        chain
                    });
                    return None;
                }
            }
        }
        None
    }
}

fn cut(s: &str) -> String {
    s.chars().take(200).collect()
}

/// A tiny deterministic generator per person (xorshift).
struct Dice(u64);

impl Dice {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

fn server(bin: &str, port: u16, common: &[(String, String)]) -> Child {
    Command::new(bin)
        .args(["serve", "--no-worker"])
        .envs(common.iter().map(|(k, v)| (k, v)))
        .env("HTTP_ADDR", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .spawn()
        .expect("an API process")
}

fn worker(bin: &str, common: &[(String, String)]) -> Child {
    Command::new(bin)
        .arg("worker")
        .envs(common.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::null())
        .spawn()
        .expect("a worker process")
}

/// The processes under test. Stopped gracefully by [`Fleet::stop`]; killed if this program
/// ends any other way (a panic), so none is left behind.
struct Fleet {
    servers: Vec<Child>,
    workers: Vec<Child>,
}

impl Fleet {
    fn stop(&mut self) {
        for child in self.servers.iter_mut().chain(self.workers.iter_mut()) {
            terminate(child);
        }
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        for child in self.servers.iter_mut().chain(self.workers.iter_mut()) {
            if let Ok(None) = child.try_wait() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }
}

/// SIGTERM, then SIGKILL if it has not stopped within 15 s.
fn terminate(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let asked = Instant::now();
    while asked.elapsed() < Duration::from_secs(15) {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    eprintln!("process {} ignored SIGTERM for 15 s: killed", child.id());
    let _ = child.kill();
    let _ = child.wait();
}

async fn wait_ready(client: &reqwest::Client, base: &str) {
    for _ in 0..300 {
        if let Ok(r) = client.get(format!("{base}/health/ready")).send().await
            && r.status() == 200
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{base} never became ready");
}

/// A mail as received.
struct Mail {
    to: String,
    subject: String,
    text: String,
    /// Stable per job: a job re-run after a crash re-sends the same one.
    message_id: String,
}

/// The mails received so far.
fn mails(smtp: &SmtpServer) -> Vec<Mail> {
    smtp.messages()
        .into_iter()
        .filter_map(|m| {
            let parsed = mail_parser::MessageParser::default().parse(m.data.as_bytes())?;
            Some(Mail {
                to: m.to.first()?.clone(),
                subject: parsed.subject()?.to_owned(),
                text: parsed.body_text(0)?.into_owned(),
                message_id: parsed.message_id()?.to_owned(),
            })
        })
        .collect()
}

/// One person's life on the site until `deadline`.
async fn person(
    front: Arc<Front>,
    smtp: Arc<SmtpServer>,
    id: usize,
    movies: u64,
    deadline: Instant,
) {
    let mut dice = Dice((id as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let run = std::process::id();
    let email = format!("soak-{run}-{id}@example.com");
    let c = &front.client;
    let body = json!({"email": email, "password": PASSWORD});
    let Some((201, _)) = front
        .send("account", |b| {
            c.post(format!("{b}/api/v1/accounts/register")).json(&body)
        })
        .await
    else {
        return;
    };
    // The activation link, from the real e-mail.
    let mut token = None;
    for _ in 0..600 {
        token = mails(&smtp)
            .into_iter()
            .find(|m| m.to == email && m.subject.contains("Activate"))
            .and_then(|Mail { text, .. }| {
                let start = text.find("https://")?;
                let link: String = text[start..]
                    .chars()
                    .take_while(|c| !c.is_whitespace())
                    .collect();
                let url = url::Url::parse(&link).ok()?;
                url.query_pairs()
                    .find(|(k, _)| k == "token")
                    .map(|(_, v)| v.into_owned())
            });
        if token.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let Some(token) = token else {
        front
            .stats
            .lock()
            .unwrap()
            .groups
            .entry("account")
            .or_default()
            .first_error
            .get_or_insert_with(|| format!("no activation mail for {email}"));
        return;
    };
    let activate = json!({"token": token});
    front
        .send("account", |b| {
            c.post(format!("{b}/api/v1/accounts/activate"))
                .json(&activate)
        })
        .await;
    let Some((201, signed_in)) = front
        .send("account", |b| {
            c.post(format!("{b}/api/v1/accounts/login")).json(&body)
        })
        .await
    else {
        return;
    };
    let access: Value = serde_json::from_str(&signed_in).unwrap();
    let access = access["access_token"].as_str().unwrap().to_owned();
    let avatar = cinema_tests::png(2048);
    let words = [
        "love", "night", "war", "dark", "city", "last", "house", "river",
    ];

    while Instant::now() < deadline {
        // Browse and search.
        let skip = dice.below(5_000);
        front
            .send("browse", |b| {
                c.get(format!(
                    "{b}/api/v1/movies?skip={skip}&limit=20&sort_by=year"
                ))
            })
            .await;
        let movie = dice.below(movies) + 1;
        front
            .send("browse", |b| c.get(format!("{b}/api/v1/movies/{movie}")))
            .await;
        let q = words[dice.below(words.len() as u64) as usize];
        front
            .send("search", |b| {
                c.get(format!("{b}/api/v1/movies/search/query?q={q}"))
            })
            .await;
        // Engage with the movie.
        let score = json!({"score": dice.below(10) + 1});
        front
            .send("engage", |b| {
                c.put(format!("{b}/api/v1/movies/{movie}/rating"))
                    .bearer_auth(&access)
                    .json(&score)
            })
            .await;
        let reaction = if dice.below(3) == 0 {
            "dislike"
        } else {
            "like"
        };
        front
            .send("engage", |b| {
                c.post(format!("{b}/api/v1/movies/{movie}/{reaction}"))
                    .bearer_auth(&access)
            })
            .await;
        if dice.below(4) == 0 {
            let comment = json!({"body": format!("Seen it ({id}).")});
            front
                .send("engage", |b| {
                    c.post(format!("{b}/api/v1/movies/{movie}/comments"))
                        .bearer_auth(&access)
                        .json(&comment)
                })
                .await;
        }
        // Now and then, a new avatar.
        if dice.below(4) == 0 {
            let image = cinema_tests::multipart("file", "me.png", "image/png", &avatar);
            front
                .send("avatar", |b| {
                    c.post(format!("{b}/api/v1/profile/avatar"))
                        .bearer_auth(&access)
                        .header("content-type", cinema_tests::multipart_content_type())
                        .body(image.clone())
                })
                .await;
        }
        // Buy one to three movies.
        for _ in 0..=dice.below(3) {
            let item = json!({"movie_id": dice.below(movies) + 1});
            front
                .send("cart", |b| {
                    c.post(format!("{b}/api/v1/cart/items"))
                        .bearer_auth(&access)
                        .json(&item)
                })
                .await;
        }
        let Some((201, order)) = front
            .send("order", |b| {
                c.post(format!("{b}/api/v1/orders")).bearer_auth(&access)
            })
            .await
        else {
            continue;
        };
        let order_id = serde_json::from_str::<Value>(&order).unwrap()["id"]
            .as_i64()
            .unwrap();
        let Some((200, checkout)) = front
            .send("checkout", |b| {
                c.post(format!("{b}/api/v1/orders/{order_id}/checkout"))
                    .bearer_auth(&access)
            })
            .await
        else {
            continue;
        };
        let checkout: Value = serde_json::from_str(&checkout).unwrap();
        let session = checkout["session_id"].as_str().unwrap().to_owned();
        let page_path = format!("/api/v1/payments/test-gateway/{session}");
        let Some((200, page)) = front
            .send("pay", |b| c.get(format!("{b}{page_path}")))
            .await
        else {
            continue;
        };
        let Some(form_token) = page
            .split("name=\"token\" value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .map(str::to_owned)
        else {
            continue;
        };
        let paid = front
            .send("pay", |b| {
                c.post(format!("{b}{page_path}"))
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(format!("action=pay&token={form_token}"))
            })
            .await;
        if !matches!(paid, Some((200, _))) {
            continue;
        }
        front.stats.lock().unwrap().paid += 1;
        // Now and then, change one's mind.
        if dice.below(5) == 0
            && let Some((200, list)) = front
                .send("refund", |b| {
                    c.get(format!("{b}/api/v1/payments?limit=1"))
                        .bearer_auth(&access)
                })
                .await
        {
            let list: Value = serde_json::from_str(&list).unwrap();
            if let Some(payment) = list["items"][0]["id"].as_i64()
                && let Some((200, _)) = front
                    .send("refund", |b| {
                        c.post(format!("{b}/api/v1/payments/{payment}/refund"))
                            .bearer_auth(&access)
                    })
                    .await
            {
                front.stats.lock().unwrap().refunded += 1;
            }
        }
    }
}

async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
    db.query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<i64>(0)
        .unwrap()
}

/// Each invariant as (what must hold, SQL counting what breaks it).
const INVARIANTS: &[(&str, &str)] = &[
    (
        "every paid order has exactly one payment, a successful one",
        "SELECT COUNT(*) FROM orders o WHERE o.status = 'paid' AND \
         (SELECT COUNT(*) FROM payments p WHERE p.order_id = o.id) <> 1 OR o.status = 'paid' AND \
         NOT EXISTS (SELECT 1 FROM payments p WHERE p.order_id = o.id AND p.status = 'successful')",
    ),
    (
        "no order has two payments",
        "SELECT COUNT(*) FROM (SELECT order_id FROM payments GROUP BY order_id HAVING COUNT(*) > 1) t",
    ),
    (
        "every item of a paid order is owned",
        "SELECT COUNT(*) FROM order_items i JOIN orders o ON o.id = i.order_id \
         WHERE o.status = 'paid' AND i.movie_id IS NOT NULL AND NOT EXISTS \
         (SELECT 1 FROM ownerships w WHERE w.order_id = o.id AND w.movie_id = i.movie_id)",
    ),
    (
        "every ownership has a successful payment",
        "SELECT COUNT(*) FROM ownerships w WHERE NOT EXISTS \
         (SELECT 1 FROM payments p WHERE p.order_id = w.order_id AND p.status = 'successful')",
    ),
    (
        "a refund leaves no ownership",
        "SELECT COUNT(*) FROM ownerships w JOIN payments p ON p.order_id = w.order_id \
         WHERE p.status = 'refunded'",
    ),
    (
        "ownerships and owned holds are the same set",
        "SELECT COUNT(*) FROM ownerships w FULL JOIN (SELECT * FROM holds WHERE kind = 'owned') h \
         ON h.user_id = w.user_id AND h.movie_id = w.movie_id \
         WHERE h.user_id IS NULL OR w.user_id IS NULL OR h.order_id IS DISTINCT FROM w.order_id",
    ),
    (
        "every item of a pending order is held by that order, and only those",
        "SELECT (SELECT COUNT(*) FROM order_items i JOIN orders o ON o.id = i.order_id \
         WHERE o.status = 'pending' AND i.movie_id IS NOT NULL AND o.expires_at > \
         (EXTRACT(EPOCH FROM now()) * 1000)::bigint AND NOT EXISTS (SELECT 1 FROM holds h \
         WHERE h.user_id = o.user_id AND h.movie_id = i.movie_id AND h.order_id = o.id \
         AND h.kind = 'order')) + (SELECT COUNT(*) FROM holds h JOIN orders o ON o.id = h.order_id \
         WHERE h.kind = 'order' AND o.status <> 'pending')",
    ),
    (
        "no job is stuck (pending or running a minute past its time)",
        "SELECT COUNT(*) FROM jobs WHERE status IN ('pending', 'running') AND run_at < \
         (EXTRACT(EPOCH FROM now()) * 1000)::bigint - 60000",
    ),
    (
        "no order is pending past its expiry (with a minute for the job)",
        "SELECT COUNT(*) FROM orders WHERE status = 'pending' AND expires_at < \
         (EXTRACT(EPOCH FROM now()) * 1000)::bigint - 60000",
    ),
    (
        "ratings counted on the movie equal the rating rows",
        "SELECT COUNT(*) FROM movies m LEFT JOIN (SELECT movie_id, COUNT(*) AS n, SUM(score) AS s \
         FROM movie_ratings GROUP BY movie_id) r ON r.movie_id = m.id \
         WHERE m.rating_count <> COALESCE(r.n, 0) OR m.rating_sum <> COALESCE(r.s, 0)",
    ),
    (
        "likes and dislikes counted on the movie equal the reaction rows",
        "SELECT COUNT(*) FROM movies m LEFT JOIN (SELECT movie_id, \
         COUNT(*) FILTER (WHERE kind = 1) AS likes, COUNT(*) FILTER (WHERE kind = -1) AS dislikes \
         FROM movie_reactions GROUP BY movie_id) r ON r.movie_id = m.id \
         WHERE m.like_count <> COALESCE(r.likes, 0) OR m.dislike_count <> COALESCE(r.dislikes, 0)",
    ),
    (
        "comments counted on the movie equal the comments shown",
        "SELECT COUNT(*) FROM movies m LEFT JOIN (SELECT movie_id, COUNT(*) AS n FROM comments \
         WHERE NOT deleted GROUP BY movie_id) c ON c.movie_id = m.id \
         WHERE m.comment_count <> COALESCE(c.n, 0)",
    ),
];

/// Memory, descriptors, connections and p99 over the run, in fifths: flat after warm-up is
/// what a long run must show.
fn report_stability(
    samples: &[Sample],
    timeline: &mut [(Instant, Duration)],
    started: Instant,
    secs: u64,
) {
    println!(
        "\n| at | RSS per API process (MiB) | open fds per API process | database connections |\n|---:|---|---|---:|"
    );
    let step = (samples.len() / 6).max(1);
    let last = samples
        .last()
        .filter(|_| !(samples.len() - 1).is_multiple_of(step));
    for s in samples.iter().step_by(step).chain(last) {
        let rss: Vec<String> = s.rss_mib.iter().map(|r| format!("{r:.1}")).collect();
        let fds: Vec<String> = s.fds.iter().map(ToString::to_string).collect();
        println!(
            "| {:.0} s | {} | {} | {} |",
            s.at.as_secs_f64(),
            rss.join(" / "),
            fds.join(" / "),
            s.db_connections
        );
    }
    let fifth = Duration::from_secs(secs.max(5) / 5);
    let mut line = String::from("\np99 of all requests by fifth of the run:");
    for k in 0..5u32 {
        let (from, to) = (started + fifth * k, started + fifth * (k + 1));
        let mut window: Vec<Duration> = timeline
            .iter()
            .filter(|(at, _)| *at >= from && *at < to)
            .map(|(_, d)| *d)
            .collect();
        window.sort();
        line.push_str(&format!(" {:.0} ms", percentile(&window, 0.99)));
    }
    println!("{line}");
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    let bin = env("CINEMA_BIN", "target/release/cinema");
    let database_url = env(
        "DATABASE_URL",
        "postgres://postgres@127.0.0.1:5432/cinema_soak",
    );
    let instances: usize = env("INSTANCES", "2").parse().unwrap();
    let workers: usize = env("WORKERS", "1").parse().unwrap();
    let users: usize = env("USERS", "24").parse().unwrap();
    let secs: u64 = env("SECS", "60").parse().unwrap();
    let base_port: u16 = env("BASE_PORT", "8200").parse().unwrap();
    let faults = env("FAULTS", "0") == "1";
    let rolling = env("ROLLING", "0") == "1";
    let outages = env("OUTAGES", "0") == "1";
    let away = Duration::from_secs(env("OUTAGE_SECS", "5").parse().unwrap());
    let own = match outages {
        true => Some(Arc::new(
            outages::Own::start(&bin, &env("MOVIES", "2000")).await,
        )),
        false => None,
    };
    let database_url = own.as_ref().map_or(database_url, |o| o.database_url());

    let smtp = Arc::new(SmtpServer::start().await);
    let media = tempfile::tempdir().unwrap();
    let mut common: Vec<(String, String)> = [
        ("DATABASE_URL", database_url.as_str()),
        ("SMTP_URL", &smtp.url()),
        ("JWT_SECRET", "soak-soak-soak-soak-soak-soak-soak-soak"),
        // Shared like the JWT secret: the test gateway signs its page's form with it.
        ("STRIPE_WEBHOOK_SECRET", "whsec_soak_soak_soak_soak"),
        ("LOG_LEVEL", "warn"),
        ("HTTP_WORKERS", "1"),
        ("BCRYPT_COST", "4"),
        ("JOB_POLL_INTERVAL_MS", "100"),
        ("MAIL_LIMIT_PER_RECIPIENT", "1000000"),
        ("MAIL_LIMIT_PER_CLIENT", "1000000"),
        ("REGISTRATION_LIMIT_PER_CLIENT", "1000000"),
        ("MAIL_REQUEST_MIN_ANSWER_MS", "0"),
        ("COMMENT_RATE_LIMIT", "1000000"),
        ("FRONTEND_URL", "https://app.example.com"),
        ("MEDIA_DIR", &media.path().to_string_lossy()),
        // A rolling restart drains each process as a deployment would.
        ("SHUTDOWN_DRAIN_MS", if rolling { "1000" } else { "0" }),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    if let Some(own) = &own {
        common.extend(own.media_env());
    }

    let ports: Vec<u16> = (0..instances).map(|i| base_port + i as u16).collect();
    let mut fleet = Fleet {
        servers: ports.iter().map(|p| server(&bin, *p, &common)).collect(),
        workers: (0..workers).map(|_| worker(&bin, &common)).collect(),
    };
    // As a balancer should be configured: an idle upstream connection is dropped well within
    // the servers' drain, so once a drain ends every connection left was told to close.
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(15))
        .pool_idle_timeout(Duration::from_millis(500))
        .pool_max_idle_per_host(users)
        .build()
        .unwrap();
    let bases: Vec<String> = ports
        .iter()
        .map(|p| format!("http://127.0.0.1:{p}"))
        .collect();
    for base in &bases {
        wait_ready(&client, base).await;
    }
    let front = Arc::new(Front {
        client: client.clone(),
        bases: bases.clone(),
        ready: bases
            .iter()
            .map(|_| std::sync::atomic::AtomicBool::new(true))
            .collect(),
        next: AtomicUsize::new(0),
        stats: Mutex::new(Stats::default()),
        refused: AtomicU64::new(0),
        outage: AtomicU8::new(0),
    });
    let prober = tokio::spawn(front.clone().probe());

    let db = connect(&DatabaseConfig::new(database_url.parse().unwrap()))
        .await
        .expect("the database");
    let movies = count(&db, "SELECT COALESCE(MAX(id), 1) FROM movies").await as u64;
    eprintln!("{instances} API processes and {workers} workers ready; {users} people for {secs} s");
    let started = Instant::now();
    let deadline = started + Duration::from_secs(secs);
    let people: Vec<_> = (0..users)
        .map(|i| tokio::spawn(person(front.clone(), smtp.clone(), i, movies, deadline)))
        .collect();
    // Every 10 s: each API process's memory and descriptors, and the database's connections.
    let pids = Arc::new(Mutex::new(
        fleet.servers.iter().map(Child::id).collect::<Vec<u32>>(),
    ));
    let sampler = {
        let (pids, db) = (pids.clone(), db.clone());
        tokio::spawn(async move {
            let mut samples = Vec::new();
            loop {
                let now: Vec<u32> = pids.lock().unwrap().clone();
                let (rss_mib, fds) = now.iter().map(|p| usage(*p)).unzip();
                // -1 while the database is away (`OUTAGES`).
                let db_connections = db
                    .query_one_raw(Statement::from_string(
                        db.get_database_backend(),
                        "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database()",
                    ))
                    .await
                    .ok()
                    .flatten()
                    .and_then(|row| row.try_get_by_index::<i64>(0).ok())
                    .unwrap_or(-1);
                samples.push(Sample {
                    at: started.elapsed(),
                    rss_mib,
                    fds,
                    db_connections,
                });
                if Instant::now() >= deadline {
                    return samples;
                }
                tokio::time::sleep(Duration::from_secs(10)).await;
            }
        })
    };
    let mut fault_log = Vec::new();
    if faults {
        tokio::time::sleep(Duration::from_secs(secs / 3)).await;
        let victim = instances - 1;
        fleet.servers[victim].kill().unwrap();
        let _ = fleet.servers[victim].wait();
        fleet.workers[0].kill().unwrap();
        let _ = fleet.workers[0].wait();
        fault_log.push(format!(
            "{:.0} s: SIGKILL to API process {victim} and worker 0",
            started.elapsed().as_secs_f64()
        ));
        tokio::time::sleep(Duration::from_secs(5)).await;
        fleet.servers[victim] = server(&bin, ports[victim], &common);
        pids.lock().unwrap()[victim] = fleet.servers[victim].id();
        fleet.workers[0] = worker(&bin, &common);
        wait_ready(&client, &bases[victim]).await;
        fault_log.push(format!(
            "{:.0} s: both restarted",
            started.elapsed().as_secs_f64()
        ));
    }
    if rolling {
        // A deployment: each API process in turn gets SIGTERM, drains, exits and is started
        // again, the next one only once it answers ready. Nothing answered may be lost.
        tokio::time::sleep(Duration::from_secs(secs / 4)).await;
        for i in 0..instances {
            let mut old = fleet.servers.remove(i);
            let asked = started.elapsed().as_secs_f64();
            tokio::task::spawn_blocking(move || terminate(&mut old))
                .await
                .unwrap();
            fault_log.push(format!(
                "{asked:.0} s: SIGTERM to API process {i}; exited at {:.1} s",
                started.elapsed().as_secs_f64()
            ));
            fleet.servers.insert(i, server(&bin, ports[i], &common));
            pids.lock().unwrap()[i] = fleet.servers[i].id();
            wait_ready(&client, &bases[i]).await;
            fault_log.push(format!(
                "{:.1} s: API process {i} ready again",
                started.elapsed().as_secs_f64()
            ));
        }
    }
    let schedule = own.clone().map(|own| {
        tokio::spawn(outages::run(
            own,
            front.clone(),
            smtp.clone(),
            started,
            secs,
            away,
        ))
    });
    for p in people {
        p.await.unwrap();
    }
    let outage_report = match schedule {
        Some(task) => Some(task.await.unwrap()),
        None => None,
    };
    prober.abort();
    let samples = sampler.await.unwrap();
    let elapsed = started.elapsed().as_secs_f64();
    eprintln!("load done in {elapsed:.0} s; delivering the queued e-mails");

    // Let the workers deliver what is queued, then stop everything gracefully.
    let drained = Instant::now();
    while count(
        &db,
        "SELECT COUNT(*) FROM jobs WHERE kind = 'email' AND status IN ('pending', 'running')",
    )
    .await
        > 0
        && drained.elapsed() < Duration::from_secs(60)
    {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eprintln!(
        "queue drained in {:.1} s; stopping the processes",
        drained.elapsed().as_secs_f64()
    );
    fleet.stop();

    // The report.
    let mut stats = std::mem::take(&mut *front.stats.lock().unwrap());
    let total: usize = stats.groups.values().map(|g| g.latencies.len()).sum();
    println!(
        "{instances} API processes, {workers} workers, {users} people, {elapsed:.0} s{}\n",
        if faults {
            ", with faults"
        } else if outages {
            ", with outages"
        } else if rolling {
            ", with a rolling restart"
        } else {
            ""
        }
    );
    for line in fault_log
        .iter()
        .chain(outage_report.iter().flat_map(|r| &r.lines))
    {
        println!("- {line}");
    }
    if let Some((from, to)) = outage_report.as_ref().and_then(|r| r.database_window) {
        let during: Vec<Duration> = stats
            .timeline
            .iter()
            .filter(|(at, _)| *at >= from && *at <= to)
            .map(|(_, d)| *d)
            .collect();
        println!(
            "- {} requests ended while the database was away: the slowest took {:.2} s",
            during.len(),
            during.iter().max().unwrap_or(&Duration::ZERO).as_secs_f64()
        );
    }
    println!(
        "\n{total} requests: {:.0} req/s; {} purchases paid: {:.1}/s; {} refunds; {} refused by a dead instance and retried\n",
        total as f64 / elapsed,
        stats.paid,
        stats.paid as f64 / elapsed,
        stats.refunded,
        front.refused.load(Ordering::Relaxed)
    );
    println!(
        "| group | requests | req/s | p50 ms | p99 ms | 4xx | 5xx | cut | 503 of an outage (slowest ms) |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    let (mut server_errors, mut cut) = (0, 0);
    for (name, g) in &mut stats.groups {
        g.latencies.sort();
        server_errors += g.server_errors;
        cut += g.cut;
        println!(
            "| {name} | {} | {:.0} | {:.1} | {:.1} | {} | {} | {}{} | {} ({:.0}) |",
            g.latencies.len(),
            g.latencies.len() as f64 / elapsed,
            percentile(&g.latencies, 0.5),
            percentile(&g.latencies, 0.99),
            g.client_errors,
            g.server_errors,
            g.cut,
            g.first_error
                .as_ref()
                .map(|e| format!(" (first: {e})"))
                .unwrap_or_default(),
            g.unavailable,
            g.slowest_unavailable.as_secs_f64() * 1000.0
        );
    }

    report_stability(&samples, &mut stats.timeline, started, secs);

    // The invariants, from the database and the SMTP server.
    println!("\n| invariant | violations |\n|---|---:|");
    let mut broken = 0;
    for (what, sql) in INVARIANTS {
        let n = count(&db, sql).await;
        broken += n;
        println!("| {what} | {n} |");
    }
    let received = mails(&smtp);
    // Distinct messages (by Message-ID) per recipient and subject, and deliveries per message.
    let mut messages: HashMap<String, HashSet<&str>> = HashMap::new();
    let mut deliveries: HashMap<&str, i64> = HashMap::new();
    for m in &received {
        messages
            .entry(format!("{} {}", m.to, m.subject))
            .or_default()
            .insert(&m.message_id);
        *deliveries.entry(&m.message_id).or_default() += 1;
    }
    let distinct = |prefix: String| {
        messages
            .iter()
            .filter(|(k, _)| k.starts_with(&prefix))
            .map(|(_, ids)| ids.len() as i64)
            .sum::<i64>()
    };
    let payments = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT p.order_id, p.status, u.email FROM payments p JOIN users u ON u.id = p.user_id",
        ))
        .await
        .unwrap();
    let (mut receipts_wrong, mut refunds_wrong) = (0, 0);
    for row in &payments {
        let order: i64 = row.try_get_by_index(0).unwrap();
        let status: String = row.try_get_by_index(1).unwrap();
        let email: String = row.try_get_by_index(2).unwrap();
        if distinct(format!("{email} Order {order} is paid")) != 1 {
            receipts_wrong += 1;
        }
        if distinct(format!("{email} Order {order} was refunded"))
            != i64::from(status == "refunded")
        {
            refunds_wrong += 1;
        }
    }
    let two_messages = messages.values().filter(|ids| ids.len() > 1).count() as i64;
    let redelivered = deliveries.values().filter(|n| **n > 1).count() as i64;
    let sent = count(
        &db,
        "SELECT COUNT(*) FROM jobs WHERE kind = 'email' AND status = 'done'",
    )
    .await;
    let mail_checks = [
        ("each payment, exactly one receipt e-mail", receipts_wrong),
        (
            "each refunded payment, exactly one refund e-mail (others none)",
            refunds_wrong,
        ),
        (
            "no two messages for one recipient and subject (no job queued twice)",
            two_messages,
        ),
        (
            "e-mail jobs done = distinct messages received",
            (sent - deliveries.len() as i64).abs(),
        ),
    ];
    for (what, n) in mail_checks {
        broken += n;
        println!("| {what} | {n} |");
    }
    if let Some(own) = &own {
        let n = own.avatars_missing(&db).await;
        broken += n;
        println!("| every avatar a profile names is stored | {n} |");
    }
    let mut outage_failures = Vec::new();
    if let Some(report) = &outage_report {
        for what in &report.broken {
            println!("| {what} | 1 |");
        }
        outage_failures.extend(report.broken.iter().cloned());
        // "At once": about a probe and a half (the gate, or the probe noticing a request already
        // waiting on the pool), never the pool's 5 s acquire timeout.
        for (name, g) in &stats.groups {
            if g.slowest_unavailable > Duration::from_secs(3) {
                let what = format!(
                    "{name}: a 503 of an outage took {:?}",
                    g.slowest_unavailable
                );
                println!("| {what} | 1 |");
                outage_failures.push(what);
            }
        }
        broken += outage_failures.len() as i64;
        if let Some(own) = &own {
            println!("\n{} avatars stored", own.avatars_stored());
        }
    }
    // A worker killed between the SMTP server's "250 OK" and its commit — or whose database
    // crashed in between (`OUTAGES`) — runs the job again once its lease ends: the same
    // message (same Message-ID, so mail stores can fold it) is delivered twice. No SMTP client
    // can close that window; outside those faults it must not happen.
    println!("| messages delivered again after a crash (same Message-ID) | {redelivered} |");
    if !faults && !outages {
        broken += redelivered;
    }
    println!(
        "\n{} payments, {} deliveries of {} distinct e-mails, {} e-mail jobs done",
        payments.len(),
        received.len(),
        deliveries.len(),
        sent
    );
    // Without faults no request may be cut; with them, only those in flight on the killed
    // process are (reported, not failed: a SIGKILL drops them by definition).
    if broken > 0 || server_errors > 0 || (cut > 0 && !faults) {
        println!(
            "\nFAILED: {broken} invariant violations, {server_errors} 5xx, {cut} requests cut"
        );
        std::process::exit(1);
    }
    println!("\nPASSED: every invariant holds; no 5xx; {cut} requests cut by the faults");
}
