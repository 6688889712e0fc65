//! Sales for the analytics benchmark (`cinema seed --sales N`): N items sold over the last
//! year to generated buyers, about three per order, one order in twenty refunded within a week
//! — orders, order items, payments, payment items and ownerships, consistent with each other
//! (a refunded order owns nothing). Deterministic; once per database, as a bulk load in
//! batches of a thousand orders.

use cinema_kernel::time::Clock;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

use super::{Result, synthetic::ri, synthetic::u};
use crate::progress::Progress;

/// What a run inserted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SalesSeeded {
    /// Buyer accounts created.
    pub buyers: u64,
    /// Orders (paid or refunded).
    pub orders: u64,
    /// Items sold.
    pub items: u64,
    /// Orders refunded.
    pub refunded: u64,
}

/// The payment-intent prefix of seeded payments: how a second run is recognised.
const INTENT_PREFIX: &str = "pi_seed_";
const DAY_MS: i64 = 86_400_000;
/// Orders per transaction.
const BATCH: usize = 1000;

struct Movie {
    id: i64,
    title: String,
    price_cents: i64,
}

/// Rows of one batch, as SQL value tuples.
#[derive(Default)]
struct Batch {
    orders: Vec<String>,
    order_items: Vec<String>,
    payments: Vec<String>,
    payment_items: Vec<String>,
    ownerships: Vec<String>,
    items: u64,
}

/// Sells `items` items of the catalog's priced movies.
pub async fn sales(
    db: &DatabaseConnection,
    clock: &Clock,
    items: u64,
    progress: &mut Progress,
) -> Result<SalesSeeded> {
    let backend = db.get_database_backend();
    let seeded_before = scalar(
        db,
        &format!(
            "SELECT COUNT(*) AS n FROM payments WHERE payment_intent_id LIKE '{INTENT_PREFIX}%'"
        ),
    )
    .await?;
    if seeded_before > 0 {
        return Err("sales were seeded here already; seed them into a fresh database".into());
    }
    let movies = priced_movies(db).await?;
    if movies.is_empty() {
        return Err("no movie with a price to sell: run `cinema seed --movies N` first".into());
    }
    let mut seeded = SalesSeeded::default();
    let buyer_count = (items / 40).max(1);
    let buyers = buyers(db, clock, buyer_count, &mut seeded).await?;
    let mut next_order = scalar(db, "SELECT COALESCE(MAX(id), 0) AS n FROM orders").await? + 1;
    let mut next_item = scalar(db, "SELECT COALESCE(MAX(id), 0) AS n FROM order_items").await? + 1;
    let mut next_payment = scalar(db, "SELECT COALESCE(MAX(id), 0) AS n FROM payments").await? + 1;
    let now = clock.now_ms();
    // A stride coprime with the catalog's size walks every movie before repeating one, so a
    // buyer never buys a movie twice.
    let count = movies.len() as u64;
    let stride = [104_729u64, 7_919, 1_009, 101, 1]
        .into_iter()
        .find(|p| gcd(*p, count) == 1)
        .unwrap_or(1);
    let mut bought = vec![0u64; buyers.len()];
    let mut batch = Batch::default();
    let mut order_no = 0u64;
    while seeded.items < items {
        order_no += 1;
        let slot = (order_no % buyers.len() as u64) as usize;
        let user = buyers[slot];
        let created = now - (u(40, order_no) * 365.0 * DAY_MS as f64) as i64;
        let refunded = u(41, order_no) < 0.05;
        let refunded_at =
            refunded.then(|| (created + (u(42, order_no) * 7.0 * DAY_MS as f64) as i64).min(now));
        let lines = (ri(43, order_no, 1, 5) as u64).min(items - seeded.items);
        let (order, payment) = (next_order, next_payment);
        next_order += 1;
        next_payment += 1;
        let mut total = 0;
        for _ in 0..lines {
            let start = (slot as u64).wrapping_mul(2_654_435_761) % count;
            let movie = &movies[((start + bought[slot] * stride) % count) as usize];
            bought[slot] += 1;
            let title = movie.title.replace('\'', "''");
            let item = next_item;
            next_item += 1;
            total += movie.price_cents;
            batch.order_items.push(format!(
                "({item}, {order}, {}, '{title}', {})",
                movie.id, movie.price_cents
            ));
            batch.payment_items.push(format!(
                "({payment}, {item}, {}, '{title}', {}, {created}, {})",
                movie.id,
                movie.price_cents,
                refunded_at.map_or_else(|| "NULL".to_owned(), |t| t.to_string())
            ));
            if !refunded {
                batch
                    .ownerships
                    .push(format!("({user}, {}, {order}, {created})", movie.id));
            }
        }
        let (status, payment_status, updated) = match refunded_at {
            Some(at) => ("refunded", "refunded", at),
            None => ("paid", "successful", created),
        };
        batch.orders.push(format!(
            "({order}, {user}, '{status}', {total}, {created}, {updated}, {})",
            created + 30 * 60_000
        ));
        batch.payments.push(format!(
            "({payment}, {user}, {order}, '{payment_status}', {total}, 'usd', 'test', NULL, \
             '{INTENT_PREFIX}{order}', NULL, {created}, {updated})"
        ));
        batch.items += lines;
        seeded.items += lines;
        seeded.orders += 1;
        seeded.refunded += u64::from(refunded);
        if batch.orders.len() == BATCH {
            write(db, &batch).await?;
            progress.advance(batch.items);
            batch = Batch::default();
        }
    }
    write(db, &batch).await?;
    progress.advance(batch.items);
    progress.stage("analyzing");
    if backend == DbBackend::Postgres {
        // Sequences past the ids given here; then fresh statistics and a visibility map for
        // index-only scans, which the reports plan on.
        for table in [
            "orders",
            "order_items",
            "payments",
            "payment_items",
            "users",
        ] {
            db.execute_unprepared(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
            ))
            .await?;
        }
        for table in [
            "orders",
            "order_items",
            "payments",
            "payment_items",
            "ownerships",
            "users",
        ] {
            db.execute_unprepared(&format!("VACUUM (ANALYZE) {table}"))
                .await?;
        }
    }
    Ok(seeded)
}

/// One batch in one transaction, parents first.
async fn write(db: &DatabaseConnection, batch: &Batch) -> Result<()> {
    if batch.orders.is_empty() {
        return Ok(());
    }
    let txn = cinema_kernel::db::begin_write(db).await?;
    let tables: [(&str, &str, &[String]); 5] = [
        (
            "orders (id, user_id, status, total_cents, created_at, updated_at, expires_at)",
            "",
            &batch.orders,
        ),
        (
            "order_items (id, order_id, movie_id, title, price_cents)",
            "",
            &batch.order_items,
        ),
        (
            "payments (id, user_id, order_id, status, amount_cents, currency, gateway, session_id, \
             payment_intent_id, refund_id, created_at, updated_at)",
            "",
            &batch.payments,
        ),
        (
            "payment_items (payment_id, order_item_id, movie_id, title, price_cents, sold_at, refunded_at)",
            "",
            &batch.payment_items,
        ),
        (
            "ownerships (user_id, movie_id, order_id, granted_at)",
            " ON CONFLICT DO NOTHING",
            &batch.ownerships,
        ),
    ];
    for (into, tail, rows) in tables {
        for chunk in rows.chunks(500) {
            txn.execute_unprepared(&format!(
                "INSERT INTO {into} VALUES {}{tail}",
                chunk.join(", ")
            ))
            .await?;
        }
    }
    txn.commit().await?;
    Ok(())
}

/// Every movie with a price, by id.
async fn priced_movies(db: &DatabaseConnection) -> Result<Vec<Movie>> {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT id, name, price_cents FROM movies WHERE price_cents > 0 ORDER BY id",
        ))
        .await?;
    rows.iter()
        .map(|row| {
            Ok(Movie {
                id: row.try_get("", "id")?,
                title: row.try_get("", "name")?,
                price_cents: row.try_get("", "price_cents")?,
            })
        })
        .collect()
}

/// The buyers' ids, creating the ones missing (they cannot sign in: their hash matches no
/// password).
async fn buyers(
    db: &DatabaseConnection,
    clock: &Clock,
    count: u64,
    seeded: &mut SalesSeeded,
) -> Result<Vec<i64>> {
    let now = clock.now_ms();
    let email = |n: u64| format!("buyer-{n}@seed.cinema.invalid");
    let existing = scalar(
        db,
        "SELECT COUNT(*) AS n FROM users WHERE email LIKE 'buyer-%@seed.cinema.invalid'",
    )
    .await?;
    let existing = u64::try_from(existing).unwrap_or(0);
    let rows: Vec<String> = (existing..count)
        .map(|n| format!("('{}', '!', TRUE, 1, {now}, {now})", email(n)))
        .collect();
    for chunk in rows.chunks(500) {
        db.execute_unprepared(&format!(
            "INSERT INTO users (email, hashed_password, is_active, group_id, created_at, updated_at) \
             VALUES {}",
            chunk.join(", ")
        ))
        .await?;
    }
    seeded.buyers = rows.len() as u64;
    let found = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT id FROM users WHERE email LIKE 'buyer-%@seed.cinema.invalid' ORDER BY id",
        ))
        .await?;
    Ok(found
        .iter()
        .filter_map(|row| row.try_get::<i64>("", "id").ok())
        .take(usize::try_from(count).unwrap_or(usize::MAX))
        .collect())
}

async fn scalar(db: &DatabaseConnection, sql: &str) -> Result<i64> {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?;
    Ok(row
        .map(|r| r.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0))
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}
