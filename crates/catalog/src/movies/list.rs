//! The list reads: a [`MovieFilter`] and a [`Sort`] turned into SQL, searches answered by the
//! search index ([`crate::search`]), sorting with an id tiebreak, exact totals.
//!
//! Two queries per page whatever its size — an exact `COUNT(*)` (on unfiltered lists the
//! maintained total, read inside the page query) and the page itself — plus the genres load of
//! [`super::load`]. Link filters use `IN (subquery)`, so a movie in several of
//! the wanted genres appears once and the total counts it once.
//!
//! A search alone in rank order is a slice of the index's ranking (one read, of the page's
//! cards); with filters or a sort the database narrows or sorts the matched ids.

use cinema_kernel::page::{Page, PageRequest};
use sea_orm::{
    ConnectionTrait, DbBackend, Value,
    sea_query::{
        Alias, Condition, Expr, ExprTrait, NullOrdering, Order, Query, SelectStatement, SimpleExpr,
    },
};

use super::{
    filter::{MovieFilter, Sort, SortKey, SpecialLimit},
    labels::{Labels, summaries, summaries_of},
    load::{MovieCard, MovieRow, MovieSummary, TOTAL, col, fetch_rows, m, movie_rows},
    search::SearchQuery,
};
use crate::{
    Result,
    entity::movie,
    search::{self, Found, SearchIndex},
};

fn link_filter(cond: Condition, table: &str, column: &str, ids: &[i64]) -> Condition {
    if ids.is_empty() {
        return cond;
    }
    let sub = link_select(table, column, ids);
    cond.add(col(movie::Column::Id).in_subquery(sub))
}

fn link_select(table: &str, column: &str, ids: &[i64]) -> SelectStatement {
    Query::select()
        .column(Alias::new("movie_id"))
        .from(Alias::new(table))
        .and_where(Expr::col(Alias::new(column)).is_in(ids.iter().copied()))
        .to_owned()
}

/// The movies of the wanted genres, narrowed by the year range on the links' copy of the year
/// (see the `genre_years` migration): answered from `(genre_id, year, movie_id)` alone.
pub(crate) fn genre_select(filter: &MovieFilter) -> SelectStatement {
    let mut sub = link_select("movie_genres", "genre_id", &filter.genre_ids);
    if let Some(from) = filter.year_from {
        sub.and_where(Expr::col(Alias::new("year")).gte(from));
    }
    if let Some(to) = filter.year_to {
        sub.and_where(Expr::col(Alias::new("year")).lte(to));
    }
    sub
}

/// A filter by genres and years only, whose count needs nothing but the genre links.
pub(crate) fn genres_and_years_only(filter: &MovieFilter) -> bool {
    !filter.genre_ids.is_empty()
        && *filter
            == MovieFilter {
                genre_ids: filter.genre_ids.clone(),
                year_from: filter.year_from,
                year_to: filter.year_to,
                ..MovieFilter::default()
            }
}

fn condition(filter: &MovieFilter) -> Condition {
    let mut cond = Condition::all();
    let ranges: [(movie::Column, Option<i64>, Option<i64>); 3] = [
        (
            movie::Column::Year,
            filter.year_from.map(i64::from),
            filter.year_to.map(i64::from),
        ),
        (
            movie::Column::ImdbTenths,
            filter.imdb_min_tenths.map(i64::from),
            filter.imdb_max_tenths.map(i64::from),
        ),
        (
            movie::Column::PriceCents,
            filter.price_min_cents,
            filter.price_max_cents,
        ),
    ];
    for (column, min, max) in ranges {
        if let Some(min) = min {
            cond = cond.add(col(column).gte(min));
        }
        if let Some(max) = max {
            cond = cond.add(col(column).lte(max));
        }
    }
    if !filter.certification_ids.is_empty() {
        cond = cond.add(
            col(movie::Column::CertificationId).is_in(filter.certification_ids.iter().copied()),
        );
    }
    if !filter.genre_ids.is_empty() {
        cond = cond.add(col(movie::Column::Id).in_subquery(genre_select(filter)));
    }
    cond = link_filter(cond, "movie_directors", "director_id", &filter.director_ids);
    cond = link_filter(cond, "movie_stars", "star_id", &filter.star_ids);
    if let Some(linked) = filter.linked_to {
        cond = link_filter(cond, linked.table, linked.owner_column, &[linked.owner]);
    }
    cond
}

/// `m.id` is one of `ids` (a search's matches), as one parameter: a PostgreSQL array, or a
/// JSON array SQLite reads with `json_each`.
fn id_in(ids: &[i64], backend: DbBackend) -> SimpleExpr {
    let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    match backend {
        DbBackend::Postgres => Expr::cust_with_values(
            "m.id = ANY(CAST($1 AS bigint[]))",
            [Value::from(format!("{{{list}}}"))],
        ),
        _ => Expr::cust_with_values(
            "m.id IN (SELECT value FROM json_each(?))",
            [Value::from(format!("[{list}]"))],
        ),
    }
}

/// Orders by `sort` (the id when none), ties by id in the same direction.
pub(crate) fn order(stmt: &mut SelectStatement, sort: Option<Sort>) {
    let sort = sort.unwrap_or(Sort {
        key: SortKey::Id,
        descending: false,
    });
    let dir = if sort.descending {
        Order::Desc
    } else {
        Order::Asc
    };
    if let Some(column) = sort.key.column() {
        if matches!(
            column,
            movie::Column::MetaScore | movie::Column::GrossCents | movie::Column::RatingAvgTenths
        ) {
            // Missing values (no meta score, gross or rating) last in both directions, the
            // same on both backends; PostgreSQL has an index for each direction.
            stmt.order_by_expr_with_nulls(col(column), dir.clone(), NullOrdering::Last);
        } else {
            stmt.order_by_expr(col(column), dir.clone());
        }
    }
    stmt.order_by_expr(col(movie::Column::Id), dir);
}

/// A page of movies and the exact number of matches.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    filter: &MovieFilter,
    sort: Option<Sort>,
    page: PageRequest,
) -> Result<Page<MovieSummary>> {
    let from = Sources {
        db,
        index: None,
        labels: None,
    };
    list_from(&from, filter, sort, page).await
}

/// Where a list reads: its connection, the catalog's search index (without one a search
/// indexes the movies the rest of the filter selects, read then: fine for a user's favorites,
/// slow for the whole catalog), and the labels when they are held.
pub(crate) struct Sources<'a, C> {
    pub db: &'a C,
    pub index: Option<&'a SearchIndex>,
    pub labels: Option<&'a Labels>,
}

/// [`list`] from these sources.
pub(crate) async fn list_from<C: ConnectionTrait>(
    from: &Sources<'_, C>,
    filter: &MovieFilter,
    sort: Option<Sort>,
    page: PageRequest,
) -> Result<Page<MovieSummary>> {
    let (db, labels) = (from.db, from.labels);
    if filter.search.as_ref().is_some_and(SearchQuery::is_empty) {
        return Ok(Page::new(Vec::new(), 0, page));
    }
    if let Some(search) = &filter.search {
        return searched(from, filter, search, sort, page).await;
    }
    let cond = condition(filter);
    let unfiltered = *filter == MovieFilter::default();
    let total = if unfiltered {
        None
    } else if genres_and_years_only(filter) {
        Some(count_genre_links(db, filter).await?)
    } else {
        Some(count(db, cond.clone()).await?)
    };
    let rows = page_rows(
        db,
        cond,
        |stmt| order(stmt, sort),
        page.limit(),
        page.skip(),
        unfiltered,
    )
    .await?;
    // Unfiltered pages carry the total in their rows; only a page past the end needs asking.
    let total = match (total, rows.first().and_then(|r| r.total)) {
        (Some(total), _) | (None, Some(total)) => total,
        (None, None) => maintained_count(db).await?,
    };
    Ok(Page::new(
        summaries(db, labels, rows).await?,
        u64::try_from(total).unwrap_or(0),
        page,
    ))
}

/// A list with a search: the index finds and ranks the matches; the rest of the filter, and a
/// sort, are the database's, over the matched ids.
async fn searched<C: ConnectionTrait>(
    from: &Sources<'_, C>,
    filter: &MovieFilter,
    search: &SearchQuery,
    sort: Option<Sort>,
    page: PageRequest,
) -> Result<Page<MovieSummary>> {
    let Sources { db, index, labels } = from;
    let backend = db.get_database_backend();
    let rest = MovieFilter {
        search: None,
        ..filter.clone()
    };
    let alone = rest.is_everything() && sort.is_none();
    // Alone, only the page's end is ranked; otherwise every match is.
    let k = alone
        .then(|| usize::try_from(page.skip().saturating_add(page.limit())).unwrap_or(usize::MAX));
    let found = match index {
        Some(index) => index.find(search, k).await?,
        None => {
            let mut ids = Query::select();
            ids.expr(col(movie::Column::Id))
                .from_as(movie::Entity, m())
                .cond_where(condition(&rest));
            let ids = id_column(*db, &ids).await?;
            search::among(*db, &ids, search, k).await?
        }
    };
    let Found { total, ids } = found;
    if alone || ids.is_empty() {
        let shown = ids.get(window(page, ids.len())).unwrap_or_default();
        let items = summaries_of(*db, *labels, shown).await?;
        return Ok(Page::new(items, total as u64, page));
    }
    let cond = condition(&rest).add(id_in(&ids, backend));
    if sort.is_none() {
        // Rank order, narrowed by the filter.
        let mut kept = Query::select();
        kept.expr(col(movie::Column::Id))
            .from_as(movie::Entity, m())
            .cond_where(cond);
        let kept: std::collections::HashSet<i64> =
            id_column(*db, &kept).await?.into_iter().collect();
        let ranked: Vec<i64> = ids.into_iter().filter(|id| kept.contains(id)).collect();
        let items = summaries_of(*db, *labels, &ranked[window(page, ranked.len())]).await?;
        return Ok(Page::new(items, ranked.len() as u64, page));
    }
    let total = count(*db, cond.clone()).await?;
    let rows = page_rows(
        *db,
        cond,
        |stmt| order(stmt, sort),
        page.limit(),
        page.skip(),
        false,
    )
    .await?;
    Ok(Page::new(
        summaries(*db, *labels, rows).await?,
        u64::try_from(total).unwrap_or(0),
        page,
    ))
}

/// The ids a one-column select answers.
async fn id_column<C: ConnectionTrait>(db: &C, select: &SelectStatement) -> Result<Vec<i64>> {
    let backend = db.get_database_backend();
    let rows = db.query_all_raw(backend.build(select)).await?;
    Ok(rows
        .iter()
        .map(|row| row.try_get_by_index::<i64>(0))
        .collect::<std::result::Result<Vec<_>, _>>()?)
}

/// The positions `page` covers in a list of `len` movies.
pub(crate) fn window(page: PageRequest, len: usize) -> std::ops::Range<usize> {
    let start = usize::try_from(page.skip()).unwrap_or(usize::MAX).min(len);
    let end = usize::try_from(page.limit())
        .map_or(len, |limit| start.saturating_add(limit))
        .min(len);
    start..end
}

/// The exact number of movies, kept by triggers (see the `movie_count` migration).
const MAINTAINED_COUNT: &str = "(SELECT value FROM catalog_counts WHERE name = 'movies')";

/// The exact number of movies, kept by triggers (see the `movie_count` migration).
async fn maintained_count<C: ConnectionTrait>(db: &C) -> Result<i64> {
    number(db, Query::select().expr(Expr::cust(MAINTAINED_COUNT))).await
}

async fn count<C: ConnectionTrait>(db: &C, cond: Condition) -> Result<i64> {
    let count = Query::select()
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
        .from_as(movie::Entity, m())
        .cond_where(cond)
        .to_owned();
    number(db, &count).await
}

/// The one number a counting select answers (0 for no row).
async fn number<C: ConnectionTrait>(db: &C, select: &SelectStatement) -> Result<i64> {
    let backend = db.get_database_backend();
    Ok(db
        .query_one_raw(backend.build(select))
        .await?
        .map(|r| r.try_get_by_index(0))
        .transpose()?
        .unwrap_or(0))
}

/// The number of movies of these genres in the year range, from the genre links alone (a
/// movie in two of the genres counts once).
async fn count_genre_links<C: ConnectionTrait>(db: &C, filter: &MovieFilter) -> Result<i64> {
    let counted = if filter.genre_ids.len() == 1 {
        "COUNT(*)"
    } else {
        "COUNT(DISTINCT movie_id)"
    };
    let mut count = genre_select(filter);
    count
        .clear_selects()
        .expr_as(Expr::cust(counted), Alias::new("n"));
    number(db, &count).await
}

/// One page of movie rows; with `with_total`, each row also carries the maintained total of
/// all movies, saving a round trip on unfiltered lists.
///
/// Past the first page the page's ids are found first, by a subquery that needs only the
/// sort's `(column, id)` index (an index-only scan over the skipped entries), and only those
/// rows are read: `OFFSET 5000` then skips 5,000 index entries instead of 5,000 rows.
async fn page_rows<C: ConnectionTrait>(
    db: &C,
    cond: Condition,
    order: impl Fn(&mut SelectStatement),
    limit: u64,
    offset: u64,
    with_total: bool,
) -> Result<Vec<MovieRow>> {
    let mut stmt = movie_rows(MovieCard::COLUMNS);
    if with_total {
        stmt.expr_as(Expr::cust(MAINTAINED_COUNT), Alias::new(TOTAL));
    }
    if offset == 0 {
        stmt.cond_where(cond);
    } else {
        let mut ids = Query::select();
        ids.expr(col(movie::Column::Id))
            .from_as(movie::Entity, m())
            .cond_where(cond);
        order(&mut ids);
        ids.limit(limit).offset(offset);
        stmt.and_where(col(movie::Column::Id).in_subquery(ids));
    }
    order(&mut stmt);
    stmt.limit(limit);
    fetch_rows(db, &stmt, with_total).await
}

/// The most voted movies, then the best rated.
pub async fn trending<C: ConnectionTrait>(
    db: &C,
    limit: SpecialLimit,
) -> Result<Vec<MovieSummary>> {
    special(db, limit, |s| {
        s.order_by_expr(col(movie::Column::Votes), Order::Desc)
            .order_by_expr(col(movie::Column::ImdbTenths), Order::Desc)
            .order_by_expr(col(movie::Column::Id), Order::Asc);
    })
    .await
}

/// The newest movies by year, then id.
pub async fn new_releases<C: ConnectionTrait>(
    db: &C,
    limit: SpecialLimit,
) -> Result<Vec<MovieSummary>> {
    special(db, limit, |s| {
        s.order_by_expr(col(movie::Column::Year), Order::Desc)
            .order_by_expr(col(movie::Column::Id), Order::Desc);
    })
    .await
}

/// The first `limit` movies of the whole catalog in `order`, as lists show them.
async fn special<C: ConnectionTrait>(
    db: &C,
    limit: SpecialLimit,
    order: impl Fn(&mut SelectStatement),
) -> Result<Vec<MovieSummary>> {
    let rows = page_rows(db, Condition::all(), order, limit.get(), 0, false).await?;
    summaries(db, None, rows).await
}
