//! Sales analytics: units and revenue by movie, genre, day, week or month over a date range,
//! refunds subtracted, amounts exact (integer cents summed in SQL).
//!
//! An item counts as sold in the period its payment was taken (`payment_items.sold_at`) and as
//! refunded in the period its refund happened (`refunded_at`), so a period's net is what came
//! in minus what went out in it — a sale in March refunded in April lowers April. Each
//! direction is one range scan of a covering index, grouped in the database. By genre, a movie
//! counts in each of its genres (rows overlap; the totals do not). Every payment is in the
//! store's one currency.

use chrono::{DateTime, Duration, NaiveDate};
use cinema_kernel::{Money, page::PageRequest};
use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};
use std::collections::HashMap;

use crate::Result;

/// How sales are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SalesGroup {
    /// By movie, best-selling (net revenue) first: the top sellers.
    Movie,
    /// By genre, best-selling first.
    Genre,
    /// By UTC day, oldest first.
    Day,
    /// By ISO week (Monday to Sunday, UTC), oldest first.
    Week,
    /// By calendar month (UTC), oldest first.
    Month,
}

impl SalesGroup {
    /// Its name in a query string.
    pub fn as_str(self) -> &'static str {
        match self {
            SalesGroup::Movie => "movie",
            SalesGroup::Genre => "genre",
            SalesGroup::Day => "day",
            SalesGroup::Week => "week",
            SalesGroup::Month => "month",
        }
    }

    /// The group named `name`.
    pub fn parse(name: &str) -> Option<Self> {
        [Self::Movie, Self::Genre, Self::Day, Self::Week, Self::Month]
            .into_iter()
            .find(|g| g.as_str() == name)
    }

    fn is_period(self) -> bool {
        matches!(self, SalesGroup::Day | SalesGroup::Week | SalesGroup::Month)
    }
}

/// What to report.
#[derive(Debug, Clone, Copy)]
pub struct SalesQuery {
    /// The first day, inclusive (UTC).
    pub from: NaiveDate,
    /// The last day, inclusive (UTC).
    pub to: NaiveDate,
    /// How rows are grouped.
    pub group: SalesGroup,
    /// Which rows.
    pub page: PageRequest,
}

/// Units and money of one row, or of the whole range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SalesFigures {
    /// Items sold.
    pub units: i64,
    /// What they were sold for.
    pub gross: Money,
    /// Items refunded.
    pub refunded_units: i64,
    /// What was given back.
    pub refunds: Money,
}

impl SalesFigures {
    /// Units sold less units refunded.
    pub fn net_units(&self) -> i64 {
        self.units - self.refunded_units
    }

    /// Revenue less refunds (negative when refunds of earlier sales outweigh the period's).
    pub fn net(&self) -> Money {
        self.gross.minus(self.refunds)
    }
}

/// One row of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SalesRow {
    /// The movie or genre id, or the period's first day (`2026-12-07`; `2026-12` for a month).
    pub key: String,
    /// The movie's title, the genre's name, or the period again.
    pub label: String,
    /// Its figures.
    pub figures: SalesFigures,
}

/// A page of rows, with the whole range's totals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SalesReport {
    /// Every sale and refund in the range.
    pub totals: SalesFigures,
    /// The page's rows.
    pub rows: Vec<SalesRow>,
    /// How many rows the whole report has.
    pub total_rows: u64,
}

const DAY_MS: i64 = 86_400_000;

/// Sales in the query's range, grouped and paged.
pub async fn sales<C: ConnectionTrait>(db: &C, query: &SalesQuery) -> Result<SalesReport> {
    let backend = db.get_database_backend();
    let start = day_ms(query.from);
    let end = day_ms(query.to) + DAY_MS;
    let p = |n: usize| cinema_kernel::db::placeholder(backend, n);
    let (from, to) = (p(1), p(2));

    let totals_sql = format!(
        "SELECT {sums} FROM ({both}) s",
        sums = SUMS,
        both = both_directions("NULL", "payment_items pi", &from, &to),
    );
    let totals = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            &totals_sql,
            [Value::from(start), Value::from(end)],
        ))
        .await?
        .map(|row| figures(&row))
        .transpose()?
        .unwrap_or_default();

    let (key, source) = grouping(query.group, backend);
    let order = if query.group.is_period() {
        "k"
    } else {
        "CAST(SUM(gross) - SUM(refunds) AS BIGINT) DESC, (k IS NULL), k"
    };
    let sql = format!(
        "SELECT CAST(k AS TEXT) AS key_text, {SUMS}, COUNT(*) OVER () AS total_rows \
         FROM ({both}) s GROUP BY k ORDER BY {order} LIMIT {limit} OFFSET {offset}",
        both = both_directions(&key, source, &from, &to),
        limit = p(3),
        offset = p(4),
    );
    let limit = i64::try_from(query.page.limit()).unwrap_or(i64::MAX);
    let offset = i64::try_from(query.page.skip()).unwrap_or(i64::MAX);
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            &sql,
            [
                Value::from(start),
                Value::from(end),
                Value::from(limit),
                Value::from(offset),
            ],
        ))
        .await?;
    let mut total_rows = 0;
    let mut found = Vec::with_capacity(rows.len());
    for row in &rows {
        total_rows = row.try_get::<i64>("", "total_rows")?;
        let key: Option<String> = row.try_get("", "key_text")?;
        found.push((key, figures(row)?));
    }
    let labels = labels(db, query.group, &found).await?;
    let rows = found
        .into_iter()
        .map(|(key, figures)| {
            let key = key.unwrap_or_default();
            let (key, label) = match query.group {
                SalesGroup::Day | SalesGroup::Week => {
                    let day = period_start(query.group, &key);
                    (day.clone(), day)
                }
                SalesGroup::Month => (key.clone(), key),
                SalesGroup::Movie | SalesGroup::Genre => {
                    // Not looked up among the sold items' titles: that is a scan of every
                    // sale (payment_items has no index by movie, on purpose: with one, the
                    // planner walks it in order for a year's report, twice as slow).
                    let label = labels
                        .get(&key)
                        .cloned()
                        .unwrap_or_else(|| match key.as_str() {
                            "" => "(deleted movies)".to_owned(),
                            id => format!("(deleted movie #{id})"),
                        });
                    (key, label)
                }
            };
            SalesRow {
                key,
                label,
                figures,
            }
        })
        .collect();
    Ok(SalesReport {
        totals,
        rows,
        total_rows: u64::try_from(total_rows).unwrap_or(0),
    })
}

/// The four sums every row and the totals have.
const SUMS: &str = "CAST(COALESCE(SUM(units), 0) AS BIGINT) AS units, \
     CAST(COALESCE(SUM(gross), 0) AS BIGINT) AS gross, \
     CAST(COALESCE(SUM(r_units), 0) AS BIGINT) AS r_units, \
     CAST(COALESCE(SUM(refunds), 0) AS BIGINT) AS refunds";

/// Sales in the range and refunds in the range, one row per item and direction, keyed by
/// `key` (written for `sold_at`; the refund side reads `refunded_at`).
fn both_directions(key: &str, source: &str, from: &str, to: &str) -> String {
    let refund_key = key.replace("sold_at", "refunded_at");
    // A price fits an INTEGER (at most MAX_CHARGE's 99,999,999 cents), whose SUM PostgreSQL
    // adds in 64-bit integers; a BIGINT's it adds as NUMERIC, several times slower.
    format!(
        "SELECT {key} AS k, 1 AS units, CAST(pi.price_cents AS INTEGER) AS gross, 0 AS r_units, \
         0 AS refunds FROM {source} WHERE pi.sold_at >= {from} AND pi.sold_at < {to} \
         UNION ALL \
         SELECT {refund_key} AS k, 0, 0, 1, CAST(pi.price_cents AS INTEGER) \
         FROM {source} WHERE pi.refunded_at >= {from} AND pi.refunded_at < {to}"
    )
}

/// The key expression and the rows it reads, per group.
fn grouping(group: SalesGroup, backend: DbBackend) -> (String, &'static str) {
    let items = "payment_items pi";
    match group {
        SalesGroup::Movie => ("pi.movie_id".to_owned(), items),
        SalesGroup::Genre => (
            "mg.genre_id".to_owned(),
            "payment_items pi JOIN movie_genres mg ON mg.movie_id = pi.movie_id",
        ),
        SalesGroup::Day => (format!("pi.sold_at / {DAY_MS}"), items),
        // Day 0 (1970-01-01) was a Thursday: +3 makes weeks start on Mondays.
        SalesGroup::Week => (format!("(pi.sold_at / {DAY_MS} + 3) / 7"), items),
        SalesGroup::Month => (
            match backend {
                DbBackend::Postgres => {
                    "to_char(to_timestamp(pi.sold_at / 1000) AT TIME ZONE 'UTC', 'YYYY-MM')"
                        .to_owned()
                }
                _ => "strftime('%Y-%m', pi.sold_at / 1000, 'unixepoch')".to_owned(),
            },
            items,
        ),
    }
}

fn figures(row: &sea_orm::QueryResult) -> Result<SalesFigures> {
    Ok(SalesFigures {
        units: row.try_get("", "units")?,
        gross: sum(row.try_get("", "gross")?),
        refunded_units: row.try_get("", "r_units")?,
        refunds: sum(row.try_get("", "refunds")?),
    })
}

/// A sum of prices: never negative.
fn sum(cents: i64) -> Money {
    Money::from_cents(cents).unwrap_or(Money::ZERO)
}

/// Current titles or genre names for the page's keys.
async fn labels<C: ConnectionTrait>(
    db: &C,
    group: SalesGroup,
    rows: &[(Option<String>, SalesFigures)],
) -> Result<HashMap<String, String>> {
    let ids: Vec<i64> = rows
        .iter()
        .filter_map(|(key, _)| key.as_deref()?.parse().ok())
        .collect();
    if ids.is_empty() || group.is_period() {
        return Ok(HashMap::new());
    }
    let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    let backend = db.get_database_backend();
    let mut labels = HashMap::new();
    let table = match group {
        SalesGroup::Genre => "genres",
        _ => "movies",
    };
    let sql = format!("SELECT id, name FROM {table} WHERE id IN ({list})");
    read_labels(db, backend, sql, &mut labels).await?;
    Ok(labels)
}

/// Reads `(id, name)` rows into `labels`.
async fn read_labels<C: ConnectionTrait>(
    db: &C,
    backend: DbBackend,
    sql: String,
    labels: &mut HashMap<String, String>,
) -> Result<()> {
    for row in db
        .query_all_raw(Statement::from_string(backend, sql))
        .await?
    {
        let id: i64 = row.try_get_by_index(0)?;
        let name: String = row.try_get_by_index(1)?;
        labels.insert(id.to_string(), name);
    }
    Ok(())
}

/// Epoch milliseconds of a day's start (UTC).
fn day_ms(day: NaiveDate) -> i64 {
    day.and_hms_opt(0, 0, 0)
        .map_or(0, |t| t.and_utc().timestamp_millis())
}

/// The first day of a day's or week's number, as `YYYY-MM-DD`.
fn period_start(group: SalesGroup, key: &str) -> String {
    let n: i64 = key.parse().unwrap_or(0);
    let days = match group {
        SalesGroup::Week => n * 7 - 3,
        _ => n,
    };
    DateTime::UNIX_EPOCH
        .checked_add_signed(Duration::days(days))
        .map_or_else(String::new, |t| t.date_naive().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_start_on_mondays_and_days_are_utc() {
        // 2026-12-07 is a Monday: day 20794.
        let monday = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap_or_default();
        let day = day_ms(monday) / DAY_MS;
        assert_eq!(
            period_start(SalesGroup::Day, &day.to_string()),
            "2026-12-07"
        );
        for offset in 0..7 {
            let week = (day + offset + 3) / 7;
            assert_eq!(
                period_start(SalesGroup::Week, &week.to_string()),
                "2026-12-07"
            );
        }
        assert_eq!(
            period_start(SalesGroup::Week, &((day - 1 + 3) / 7).to_string()),
            "2026-11-30"
        );
    }

    #[test]
    fn groups_are_named() {
        for name in ["movie", "genre", "day", "week", "month"] {
            assert_eq!(SalesGroup::parse(name).map(SalesGroup::as_str), Some(name));
        }
        assert_eq!(SalesGroup::parse("year"), None);
    }
}
