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

use std::sync::Arc;

use cinema_kernel::page::{Page, PageRequest};
use sea_orm::{ConnectionTrait, sea_query::Query};
use tokio::sync::Mutex;

use super::{
    load::{MovieSummary, col, m, summaries_of},
    query::{MovieFilter, Sort, SortKey, genre_select, genres_and_years_only, list, order, window},
};
use crate::{
    Result,
    cache::{CatalogCache, Scope, Ticket},
    entity::movie,
};

/// One reader builds a missing order; the others wait for it rather than ask too.
static BUILDING: Mutex<()> = Mutex::const_new(());

/// [`list`], answered from in-memory orders when the cache is on and the filter is empty (a
/// slice of the order) or only genres and years (the matching ids from the genre links' index,
/// sorted by their positions in the order).
pub async fn list_cached<C: ConnectionTrait>(
    db: &C,
    cache: &CatalogCache,
    filter: &MovieFilter,
    sort: Option<Sort>,
    page: PageRequest,
) -> Result<Page<MovieSummary>> {
    let everything = *filter == MovieFilter::default();
    if !cache.is_on() || !(everything || genres_and_years_only(filter)) {
        return list(db, filter, sort, page).await;
    }
    let sort = sort.unwrap_or(Sort {
        key: SortKey::Id,
        descending: false,
    });
    let order = in_order(db, cache, sort).await?;
    let ids = if everything {
        order.ids.clone()
    } else {
        match order.arrange(matching_ids(db, filter).await?) {
            Some(ids) => ids,
            // A movie newer than the order (its change is on its way): ask the database.
            None => return list(db, filter, Some(sort), page).await,
        }
    };
    let items = summaries_of(db, &ids[window(page, ids.len())]).await?;
    Ok(Page::new(items, ids.len() as u64, page))
}

/// The movies of the filter's genres and years, from `(genre_id, year, movie_id)` alone.
async fn matching_ids<C: ConnectionTrait>(db: &C, filter: &MovieFilter) -> Result<Vec<i64>> {
    let mut select = genre_select(filter);
    select.distinct();
    let backend = db.get_database_backend();
    let rows = db.query_all_raw(backend.build(&select)).await?;
    Ok(rows
        .iter()
        .map(|row| row.try_get_by_index::<i64>(0))
        .collect::<std::result::Result<Vec<_>, _>>()?)
}

/// Every movie in one sort's order, and each movie's position in it.
#[derive(Debug)]
struct Order {
    ids: Arc<[i64]>,
    /// Position by `id - first_id`; `u32::MAX` where no movie has that id.
    positions: Arc<[u32]>,
    first_id: i64,
}

impl Order {
    fn new(ids: Vec<i64>) -> Self {
        let first_id = ids.iter().copied().min().unwrap_or(0);
        let last_id = ids.iter().copied().max().unwrap_or(0);
        let span = usize::try_from(last_id - first_id).map_or(0, |s| s + 1);
        let mut positions = vec![u32::MAX; span];
        for (position, id) in ids.iter().enumerate() {
            if let Some(slot) = usize::try_from(id - first_id)
                .ok()
                .and_then(|i| positions.get_mut(i))
            {
                *slot = u32::try_from(position).unwrap_or(u32::MAX);
            }
        }
        Self {
            ids: ids.into(),
            positions: positions.into(),
            first_id,
        }
    }

    fn position(&self, id: i64) -> Option<u32> {
        usize::try_from(id - self.first_id)
            .ok()
            .and_then(|i| self.positions.get(i))
            .copied()
            .filter(|p| *p != u32::MAX)
    }

    /// These ids in this order; `None` if one is not in it.
    fn arrange(&self, ids: Vec<i64>) -> Option<Arc<[i64]>> {
        let mut placed = ids
            .into_iter()
            .map(|id| self.position(id).map(|p| (p, id)))
            .collect::<Option<Vec<_>>>()?;
        placed.sort_unstable();
        Some(placed.into_iter().map(|(_, id)| id).collect())
    }

    fn bytes(&self) -> usize {
        self.ids.len() * 8 + self.positions.len() * 4
    }
}

fn ticket(cache: &CatalogCache, sort: Sort) -> Option<Ticket> {
    // Only the rating sort moves with ratings.
    let scope = match sort.key {
        SortKey::Rating => Scope::Lists,
        _ => Scope::Catalog,
    };
    let direction = if sort.descending { "desc" } else { "asc" };
    cache.ticket(scope, "order", format!("{}:{direction}", sort.key.as_str()))
}

fn held(cache: &CatalogCache, ticket: Option<&Ticket>) -> Option<Arc<Order>> {
    cache.pinned(ticket?)?.downcast::<Order>().ok()
}

/// The order of `sort`, read once per change.
async fn in_order<C: ConnectionTrait>(
    db: &C,
    cache: &CatalogCache,
    sort: Sort,
) -> Result<Arc<Order>> {
    if let Some(order) = held(cache, ticket(cache, sort).as_ref()) {
        return Ok(order);
    }
    let _building = BUILDING.lock().await;
    // Taken after the lock: what another reader stored meanwhile is found, and what this one
    // reads is stored under the version it reads at.
    let ticket = ticket(cache, sort);
    if let Some(order) = held(cache, ticket.as_ref()) {
        return Ok(order);
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
    drop(rows);
    let order = Arc::new(Order::new(ids));
    if let Some(ticket) = ticket {
        cache.pin(ticket, order.clone(), order.bytes());
    }
    Ok(order)
}

#[cfg(test)]
mod tests {
    use super::Order;

    #[test]
    fn orders_place_ids_by_position() {
        let order = Order::new(vec![30, 10, 20, 50]);
        assert_eq!(order.position(20), Some(2));
        assert_eq!(order.position(40), None);
        assert_eq!(
            order.arrange(vec![50, 10, 30]).as_deref(),
            Some(&[30, 10, 50][..])
        );
        assert_eq!(order.arrange(vec![10, 40]), None);
        assert!(Order::new(Vec::new()).arrange(Vec::new()).is_some());
    }
}
