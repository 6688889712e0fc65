//! Whole-catalog orders held in memory, so a page of the unfiltered list — any sort, any depth
//! — costs two primary-key reads instead of an index scan over every skipped movie.
//!
//! An order is the ids of every movie in one sort's order (the same `ORDER BY` the database
//! path uses, ties by id, missing values last), read once by one index-only scan and pinned in
//! the catalog's read cache ([`CatalogCache::pin`]): dropped by every catalog change (and, for
//! the rating sort, by every rating), rebuilt by the first reader after a change while the
//! others wait for it. Eight bytes per movie per sort in use: 16 MiB for all twenty orders of
//! the 100k benchmark catalog. A page
//! is a slice of it; the total is its length, exact at the version the order was read at —
//! the same version every other cached answer shows. With the cache off the database path runs.

use bytes::Bytes;
use cinema_kernel::page::{Page, PageRequest};
use sea_orm::{ConnectionTrait, sea_query::Query};
use tokio::sync::Mutex;

use super::{
    load::{MovieSummary, col, m, summaries_of},
    query::{MovieFilter, Sort, SortKey, list, order},
};
use crate::{
    Result,
    cache::{CatalogCache, Scope, Ticket},
    entity::movie,
};

/// One reader builds a missing order; the others wait for it rather than ask too.
static BUILDING: Mutex<()> = Mutex::const_new(());

/// [`list`], answered from an in-memory order when the filter is empty and the cache is on.
pub async fn list_cached<C: ConnectionTrait>(
    db: &C,
    cache: &CatalogCache,
    filter: &MovieFilter,
    sort: Option<Sort>,
    page: PageRequest,
) -> Result<Page<MovieSummary>> {
    if *filter != MovieFilter::default() || !cache.is_on() {
        return list(db, filter, sort, page).await;
    }
    let sort = sort.unwrap_or(Sort {
        key: SortKey::Id,
        descending: false,
    });
    let order = ids_in_order(db, cache, sort).await?;
    let total = order.len() / ID_BYTES;
    let start = usize::try_from(page.skip())
        .unwrap_or(usize::MAX)
        .min(total);
    let end = usize::try_from(page.limit())
        .map_or(total, |limit| start.saturating_add(limit))
        .min(total);
    let ids = decode(&order[start * ID_BYTES..end * ID_BYTES]);
    let items = summaries_of(db, &ids).await?;
    Ok(Page::new(items, total as u64, page))
}

/// An id in an encoded order: little-endian `i64`.
const ID_BYTES: usize = 8;

fn ticket(cache: &CatalogCache, sort: Sort) -> Option<Ticket> {
    // Only the rating sort moves with ratings.
    let scope = match sort.key {
        SortKey::Rating => Scope::Lists,
        _ => Scope::Catalog,
    };
    let direction = if sort.descending { "desc" } else { "asc" };
    cache.ticket(scope, "order", format!("{}:{direction}", sort.key.as_str()))
}

/// The encoded order (see [`encode`]).
async fn ids_in_order<C: ConnectionTrait>(
    db: &C,
    cache: &CatalogCache,
    sort: Sort,
) -> Result<Bytes> {
    if let Some(held) = ticket(cache, sort).and_then(|t| cache.pinned(&t)) {
        return Ok(held);
    }
    let _building = BUILDING.lock().await;
    // Taken after the lock: what another reader stored meanwhile is found, and what this one
    // reads is stored under the version it reads at.
    let ticket = ticket(cache, sort);
    if let Some(held) = ticket.as_ref().and_then(|t| cache.pinned(t)) {
        return Ok(held);
    }
    let mut stmt = Query::select();
    stmt.expr(col(movie::Column::Id))
        .from_as(movie::Entity, m());
    order(
        &mut stmt,
        &MovieFilter::default(),
        Some(sort),
        db.get_database_backend(),
    );
    let backend = db.get_database_backend();
    let rows = db.query_all_raw(backend.build(&stmt)).await?;
    let ids = rows
        .iter()
        .map(|row| row.try_get_by_index::<i64>(0))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let order = Bytes::from(encode(&ids));
    if let Some(ticket) = ticket {
        cache.pin(ticket, order.clone());
    }
    Ok(order)
}

fn encode(ids: &[i64]) -> Vec<u8> {
    ids.iter().flat_map(|id| id.to_le_bytes()).collect()
}

fn decode(bytes: &[u8]) -> Vec<i64> {
    bytes
        .chunks_exact(ID_BYTES)
        .map(|chunk| {
            let mut word = [0u8; ID_BYTES];
            word.copy_from_slice(chunk);
            i64::from_le_bytes(word)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_read_back() {
        let ids = [1, -2, i64::MAX, 0, 42];
        assert_eq!(super::decode(&super::encode(&ids)), ids);
    }
}
