//! Whole-catalog orders held in memory, so a page of the unfiltered list — any sort, any depth
//! — costs one primary-key read instead of an index scan over every skipped movie.
//!
//! An order is the ids of every movie in one sort's order (the same `ORDER BY` the database
//! path uses, ties by id, missing values last) and each movie's position in it, read once by
//! one index-only scan and pinned in the catalog's read cache ([`CatalogCache::pin`]): dropped
//! by every catalog change (and, for the rating sort, by every rating), rebuilt by the first
//! reader after a change while the others wait for it. A page is a slice of it; the total is
//! its length, exact at the version the order was read at — the version every other cached
//! answer shows. Each genre's links (year, movie) are held the same way, so a filter by genres
//! and years finds its movies by binary search and orders them by their positions. Memory: 12
//! bytes per movie per sort in use (~24 MiB for all twenty orders of the 100k benchmark
//! catalog) and 16 bytes per genre link of the genres in use (~3 MiB for all 22). With the cache off the database
//! path runs.

use std::sync::Arc;

use cinema_kernel::page::{Page, PageRequest};
use sea_orm::{
    ConnectionTrait, StreamTrait,
    sea_query::{self, Alias, Expr, ExprTrait, Query},
};

use super::{
    filter::{MovieFilter, Sort, SortKey},
    labels::{labels, summaries_of},
    list::{Sources, genres_and_years_only, list_from, order, window},
    load::{MovieSummary, col, each_row, m},
};
use crate::{
    Result,
    cache::{CatalogCache, Scope, Ticket},
    entity::movie,
    search::SearchIndex,
};

/// [`super::list()`], answered from in-memory orders when the cache is on and the filter is empty (a
/// slice of the order) or only genres and years (the matching ids from the genre links held in
/// memory, sorted by their positions in the order).
///
/// A search is answered by `index` (see [`crate::search`]).
pub async fn list_cached<C: ConnectionTrait + StreamTrait>(
    db: &C,
    index: &SearchIndex,
    cache: &CatalogCache,
    filter: &MovieFilter,
    sort: Option<Sort>,
    page: PageRequest,
) -> Result<Page<MovieSummary>> {
    let labels = labels(db, cache).await?;
    let labels = labels.as_deref();
    let from = Sources {
        db,
        index: Some(index),
        labels,
    };
    let everything = *filter == MovieFilter::default();
    if !cache.is_on() || !(everything || genres_and_years_only(filter)) {
        return list_from(&from, filter, sort, page).await;
    }
    let sort = sort.unwrap_or(Sort {
        key: SortKey::Id,
        descending: false,
    });
    let order = in_order(db, cache, sort).await?;
    let (total, ids) = if everything {
        let ids = &order.ids;
        (ids.len(), ids[window(page, ids.len())].to_vec())
    } else {
        let genres = genres_of(db, cache, filter).await?;
        match order.page_of(genres.ids(), genres.overlap(), page) {
            Some(found) => found,
            // A movie newer than the order (its change is on its way): ask the database.
            None => return list_from(&from, filter, Some(sort), page).await,
        }
    };
    let items = summaries_of(db, labels, &ids).await?;
    Ok(Page::new(items, total as u64, page))
}

/// One genre's links with their movie's year, sorted by year and movie: the genre's movies in
/// any year range by binary search, without asking the database. 16 bytes a link.
#[derive(Debug)]
struct GenreYears {
    links: Box<[(i32, i64)]>,
}

impl GenreYears {
    fn between(&self, from: i32, to: i32) -> impl Iterator<Item = i64> + '_ {
        let start = self.links.partition_point(|l| l.0 < from);
        let end = self.links.partition_point(|l| l.0 <= to).max(start);
        self.links[start..end].iter().map(|l| l.1)
    }

    fn bytes(&self) -> usize {
        self.links.len() * std::mem::size_of::<(i32, i64)>()
    }
}

/// The links of a filter's genres (each genre once) and its year range.
struct Genres {
    links: Vec<Arc<GenreYears>>,
    years: (i32, i32),
}

impl Genres {
    /// The movies of these genres (any of) in the year range; with several genres a movie may
    /// come once per genre.
    fn ids(&self) -> impl Iterator<Item = i64> + '_ {
        let (from, to) = self.years;
        self.links
            .iter()
            .flat_map(move |genre| genre.between(from, to))
    }

    /// Whether [`Self::ids`] can name a movie twice.
    fn overlap(&self) -> bool {
        self.links.len() > 1
    }
}

async fn genres_of<C: ConnectionTrait + StreamTrait>(
    db: &C,
    cache: &CatalogCache,
    filter: &MovieFilter,
) -> Result<Genres> {
    let mut ids = filter.genre_ids.clone();
    ids.sort_unstable();
    ids.dedup();
    let mut links = Vec::with_capacity(ids.len());
    for genre in ids {
        links.push(genre_years(db, cache, genre).await?);
    }
    let years = (
        filter.year_from.unwrap_or(i32::MIN),
        filter.year_to.unwrap_or(i32::MAX),
    );
    Ok(Genres { links, years })
}

/// A genre's links, read once per catalog change from `(genre_id, year, movie_id)` alone.
async fn genre_years<C: ConnectionTrait + StreamTrait>(
    db: &C,
    cache: &CatalogCache,
    genre: i64,
) -> Result<Arc<GenreYears>> {
    let ticket = || cache.ticket(Scope::Catalog, "order", format!("genre:{genre}"));
    cache
        .pinned_or_build(ticket, GenreYears::bytes, || async {
            let select = Query::select()
                .columns([Alias::new("year"), Alias::new("movie_id")])
                .from(Alias::new("movie_genres"))
                .and_where(Expr::col(Alias::new("genre_id")).eq(genre))
                .order_by(Alias::new("year"), sea_query::Order::Asc)
                .order_by(Alias::new("movie_id"), sea_query::Order::Asc)
                .to_owned();
            let links = each_row(db, &select, |row| {
                Ok((
                    row.try_get_by_index::<i32>(0)?,
                    row.try_get_by_index::<i64>(1)?,
                ))
            })
            .await?;
            Ok(GenreYears {
                links: links.into(),
            })
        })
        .await
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

    /// How many of these ids there are and the ones `page` covers, in this order; `None` if
    /// one is not in it. `repeats`: an id may come more than once, and counts once.
    ///
    /// Only the page's part is sorted: the positions before its end are selected in linear
    /// time, so page 1 of 30,000 matches costs one pass over them, not a sort of them all.
    fn page_of(
        &self,
        ids: impl Iterator<Item = i64>,
        repeats: bool,
        page: PageRequest,
    ) -> Option<(usize, Vec<i64>)> {
        let mut positions = ids
            .map(|id| self.position(id))
            .collect::<Option<Vec<u32>>>()?;
        if repeats {
            positions.sort_unstable();
            positions.dedup();
        }
        let total = positions.len();
        let range = window(page, total);
        if !repeats && range.end > 0 && range.end < positions.len() {
            positions.select_nth_unstable(range.end - 1);
        }
        let head = positions.get_mut(..range.end)?;
        if !repeats {
            head.sort_unstable();
        }
        let ids = head.get(range.start..)?.iter();
        let ids = ids.map(|p| {
            usize::try_from(*p)
                .ok()
                .and_then(|p| self.ids.get(p))
                .copied()
        });
        Some((total, ids.collect::<Option<Vec<i64>>>()?))
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

/// The order of `sort`, read once per change.
async fn in_order<C: StreamTrait>(db: &C, cache: &CatalogCache, sort: Sort) -> Result<Arc<Order>> {
    cache
        .pinned_or_build(
            || ticket(cache, sort),
            Order::bytes,
            || async {
                let mut stmt = Query::select();
                stmt.expr(col(movie::Column::Id))
                    .from_as(movie::Entity, m());
                order(&mut stmt, Some(sort));
                let ids = each_row(db, &stmt, |row| row.try_get_by_index::<i64>(0)).await?;
                Ok(Order::new(ids))
            },
        )
        .await
}

#[cfg(test)]
mod tests {
    use super::Order;
    use cinema_kernel::page::PageRequest;

    #[test]
    fn a_genres_links_answer_year_ranges() {
        let links = super::GenreYears {
            links: vec![(1990, 5), (1995, 3), (1995, 7), (2000, 9)].into(),
        };
        let between = |from, to| links.between(from, to).collect::<Vec<_>>();
        assert_eq!(between(1991, 2000), [3, 7, 9]);
        assert_eq!(between(i32::MIN, 1995), [5, 3, 7]);
        assert_eq!(between(2001, i32::MAX), Vec::<i64>::new());
        assert_eq!(between(2000, 1990), Vec::<i64>::new());
    }

    #[test]
    fn orders_place_ids_by_position() {
        let order = Order::new(vec![30, 10, 20, 50]);
        assert_eq!(order.position(20), Some(2));
        assert_eq!(order.position(40), None);
        let page = |skip, limit| PageRequest::new(Some(skip), Some(limit), 100).expect("a page");
        let ids = [50, 10, 30, 20];
        assert_eq!(
            order.page_of(ids.into_iter(), false, page(0, 20)),
            Some((4, vec![30, 10, 20, 50]))
        );
        assert_eq!(
            order.page_of(ids.into_iter(), false, page(1, 2)),
            Some((4, vec![10, 20]))
        );
        let twice = [50, 10, 30, 10, 50];
        assert_eq!(
            order.page_of(twice.into_iter(), true, page(1, 5)),
            Some((3, vec![10, 50]))
        );
        assert_eq!(
            order.page_of([10, 40].into_iter(), false, page(0, 20)),
            None
        );
        assert_eq!(
            order.page_of(ids.into_iter(), false, page(9, 20)),
            Some((4, vec![]))
        );
        assert_eq!(
            Order::new(Vec::new()).page_of(std::iter::empty(), false, page(0, 20)),
            Some((0, vec![]))
        );
    }
}
