//! Turning movie rows into summaries and details with a fixed number of queries, whatever the
//! page size. Round trips, not rows, are what a page costs here, so everything a page needs
//! besides its rows comes in one `UNION ALL`: the genres of every movie on it and their
//! certifications (and, for a detail, its directors and stars too).
//!
//! Lists read a movie's [`MovieCard`] columns only: its description, credits and timestamps
//! are most of a row's bytes and no list shows them (the database sends, and this process
//! decodes, a sixth of the bytes per list row).

use cinema_kernel::Fail;
use cinema_kernel::MovieId;
use std::collections::{HashMap, hash_map::Entry};

use futures_util::TryStreamExt;
use sea_orm::{
    ConnectionTrait, DbErr, FromQueryResult, Iterable, QueryResult, StreamTrait,
    sea_query::{
        Alias, CommonTableExpression, Expr, ExprTrait, JoinType, Order, Query, SelectStatement,
        SubQueryStatement, UnionType, WithClause,
    },
};

use crate::{
    Error, Named, Result,
    entity::{certification, movie},
};

/// What a list shows of a movie.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct MovieCard {
    /// Its id.
    pub id: i64,
    /// Its public UUID.
    pub uuid: String,
    /// The title.
    pub name: String,
    /// The release year.
    pub year: i32,
    /// Minutes.
    pub time: i32,
    /// IMDb score × 10 (85 = 8.5).
    pub imdb_tenths: i32,
    /// IMDb votes.
    pub votes: i64,
    /// The price in cents.
    pub price_cents: i64,
    /// Its certification's id.
    pub certification_id: i64,
    /// Object key of the poster in media storage.
    pub poster: Option<String>,
    /// How many users rated it.
    pub rating_count: i64,
    /// The average rating in tenths; `None` while unrated.
    pub rating_avg_tenths: Option<i32>,
}

impl MovieCard {
    /// The columns a card is read from.
    pub(crate) const COLUMNS: [movie::Column; 12] = [
        movie::Column::Id,
        movie::Column::Uuid,
        movie::Column::Name,
        movie::Column::Year,
        movie::Column::Time,
        movie::Column::ImdbTenths,
        movie::Column::Votes,
        movie::Column::PriceCents,
        movie::Column::CertificationId,
        movie::Column::Poster,
        movie::Column::RatingCount,
        movie::Column::RatingAvgTenths,
    ];
}

impl From<&movie::Model> for MovieCard {
    fn from(m: &movie::Model) -> Self {
        Self {
            id: m.id,
            uuid: m.uuid.clone(),
            name: m.name.clone(),
            year: m.year,
            time: m.time,
            imdb_tenths: m.imdb_tenths,
            votes: m.votes,
            price_cents: m.price_cents,
            certification_id: m.certification_id,
            poster: m.poster.clone(),
            rating_count: m.rating_count,
            rating_avg_tenths: m.rating_avg_tenths,
        }
    }
}

/// A movie as a page query returns it, with (on unfiltered lists) the total number of movies.
#[derive(Debug)]
pub(crate) struct MovieRow {
    pub movie: MovieCard,
    pub total: Option<i64>,
}

/// Column alias of the optional total in [`movie_rows`] selects.
pub(crate) const TOTAL: &str = "total_count";

impl FromQueryResult for MovieRow {
    fn from_query_result(res: &QueryResult, pre: &str) -> Result<Self, DbErr> {
        Ok(Self {
            movie: MovieCard::from_query_result(res, pre)?,
            total: res.try_get(pre, TOTAL)?,
        })
    }
}

/// The alias of `movies` in every movie query; filters and orders refer to it.
pub(crate) fn m() -> Alias {
    Alias::new("m")
}

/// A movies column under that alias.
pub(crate) fn col(c: movie::Column) -> Expr {
    Expr::col((m(), c))
}

/// `SELECT m.<columns> FROM movies m`: the select every movie query starts from.
pub(crate) fn movie_rows(columns: impl IntoIterator<Item = movie::Column>) -> SelectStatement {
    let mut stmt = Query::select();
    for column in columns {
        stmt.expr_as(
            col(column),
            Alias::new(sea_orm::IdenStatic::as_str(&column)),
        );
    }
    stmt.from_as(movie::Entity, m());
    stmt
}

/// Every row of a whole-catalog read (100k movies and more), decoded as it arrives: the
/// driver's rows are never all held at once. Collected first, the 170k rows of the labels' read
/// took ~40 MB for a moment — a third of the process's peak — to keep ~2 MB of what they say.
pub(crate) async fn each_row<C: StreamTrait, T>(
    db: &C,
    stmt: &SelectStatement,
    decode: impl Fn(&QueryResult) -> Result<T, DbErr>,
) -> Result<Vec<T>> {
    let mut rows = std::pin::pin!(db.stream(stmt).await?);
    let mut decoded = Vec::new();
    while let Some(row) = rows.try_next().await? {
        decoded.push(decode(&row)?);
    }
    Ok(decoded)
}

/// The rows of a [`movie_rows`] select; `with_total` when it also selects [`TOTAL`]. Without it
/// no row is asked for that column: a lookup that fails builds a formatted error, once per row.
pub(crate) async fn fetch_rows<C: ConnectionTrait>(
    db: &C,
    stmt: &SelectStatement,
    with_total: bool,
) -> Result<Vec<MovieRow>> {
    if with_total {
        let stmt = db.get_database_backend().build(stmt);
        return Ok(MovieRow::find_by_statement(stmt).all(db).await?);
    }
    let cards = fetch_cards(db, stmt).await?;
    Ok(cards
        .into_iter()
        .map(|movie| MovieRow { movie, total: None })
        .collect())
}

/// The cards of a [`movie_rows`] select of [`MovieCard::COLUMNS`].
pub(crate) async fn fetch_cards<C: ConnectionTrait>(
    db: &C,
    stmt: &SelectStatement,
) -> Result<Vec<MovieCard>> {
    let stmt = db.get_database_backend().build(stmt);
    Ok(MovieCard::find_by_statement(stmt).all(db).await?)
}

/// A movie in a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MovieSummary {
    /// The movie's own columns.
    pub movie: MovieCard,
    /// Its certification.
    pub certification: Named,
    /// Its genres, by name.
    pub genres: Vec<Named>,
}

/// A movie on its own page: its whole row, and its summary as lists show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MovieDetail {
    /// Its whole row.
    pub movie: movie::Model,
    /// As lists show it.
    pub summary: MovieSummary,
    /// Its directors, by name.
    pub directors: Vec<Named>,
    /// Its stars, by name.
    pub stars: Vec<Named>,
}

/// One part of a [`named_groups`] query: rows of `(group, key, id, name)`.
pub(crate) type GroupSelect = SelectStatement;

/// `SELECT <group>, l.movie_id, t.id, t.name FROM <link> l JOIN <table> t` for these movies:
/// the names linked to each movie, keyed by movie.
pub(crate) fn linked_names(group: usize, movie_ids: &[i64], link: Link) -> GroupSelect {
    linked_names_of(group, Of::Ids(movie_ids), link)
}

/// [`linked_names`] of the movies `of` selects.
fn linked_names_of(group: usize, of: Of<'_>, link: Link) -> GroupSelect {
    let (link, column, table) = link;
    let (l, t) = (Alias::new("l"), Alias::new("t"));
    Query::select()
        .expr_as(Expr::val(group as i64), Alias::new("grp"))
        .expr_as(
            Expr::col((l.clone(), Alias::new("movie_id"))),
            Alias::new("grp_key"),
        )
        .expr_as(Expr::col((t.clone(), Alias::new("id"))), Alias::new("id"))
        .expr_as(
            Expr::col((t.clone(), Alias::new("name"))),
            Alias::new("name"),
        )
        .from_as(Alias::new(link), l.clone())
        .join_as(
            JoinType::InnerJoin,
            Alias::new(table),
            t.clone(),
            Expr::col((t, Alias::new("id"))).equals((l.clone(), Alias::new(column))),
        )
        .and_where(of.filter(Expr::col((l, Alias::new("movie_id")))))
        .to_owned()
}

/// Which movies a linked read is of.
#[derive(Debug, Clone, Copy)]
enum Of<'a> {
    /// These.
    Ids(&'a [i64]),
    /// Those a write returned earlier in the same statement, as the `WITH` query [`WRITTEN`].
    Written,
}

/// The name of the `WITH` query whose rows' `movie_id` an [`Of::Written`] read is of.
const WRITTEN: &str = "written";

impl Of<'_> {
    /// `movie_id` is one of these movies.
    fn filter(self, movie_id: Expr) -> Expr {
        match self {
            Of::Ids(ids) => movie_id.is_in(ids.iter().copied()),
            Of::Written => movie_id.in_subquery(
                Query::select()
                    .column(Alias::new("movie_id"))
                    .from(Alias::new(WRITTEN))
                    .to_owned(),
            ),
        }
    }
}

/// These certifications, each keyed by its own id.
fn certifications(group: usize, ids: &[i64]) -> GroupSelect {
    Query::select()
        .expr_as(Expr::val(group as i64), Alias::new("grp"))
        .expr_as(Expr::col(certification::Column::Id), Alias::new("grp_key"))
        .expr_as(Expr::col(certification::Column::Id), Alias::new("id"))
        .expr_as(Expr::col(certification::Column::Name), Alias::new("name"))
        .from(certification::Entity)
        .and_where(Expr::col(certification::Column::Id).is_in(ids.iter().copied()))
        .to_owned()
}

#[derive(Debug, FromQueryResult)]
struct GroupedName {
    grp: i64,
    grp_key: i64,
    id: i64,
    name: String,
}

/// A link table, its column, and the table it points to.
pub(crate) type Link = (&'static str, &'static str, &'static str);
pub(crate) const GENRES: Link = ("movie_genres", "genre_id", "genres");
pub(crate) const DIRECTORS: Link = ("movie_directors", "director_id", "directors");
pub(crate) const STARS: Link = ("movie_stars", "star_id", "stars");

/// Runs the selects as one `UNION ALL` query; the rows of select `i` come back as result `i`,
/// by key, each list by name then id.
pub(crate) async fn named_groups<C: ConnectionTrait>(
    db: &C,
    selects: Vec<GroupSelect>,
) -> Result<Vec<HashMap<i64, Vec<Named>>>> {
    let mut found = vec![HashMap::<i64, Vec<Named>>::new(); selects.len()];
    let mut selects = selects.into_iter();
    let Some(mut stmt) = selects.next() else {
        return Ok(found);
    };
    for other in selects {
        stmt.union(UnionType::All, other);
    }
    // Ordered outside the union so every backend sorts the combined rows the same way.
    let u = Alias::new("u");
    let ordered = Query::select()
        .column(sea_orm::sea_query::Asterisk)
        .from_subquery(stmt, u.clone())
        .order_by((u.clone(), Alias::new("name")), Order::Asc)
        .order_by((u, Alias::new("id")), Order::Asc)
        .to_owned();
    let backend = db.get_database_backend();
    for row in GroupedName::find_by_statement(backend.build(&ordered))
        .all(db)
        .await?
    {
        let group = usize::try_from(row.grp).ok().and_then(|g| found.get_mut(g));
        if let Some(group) = group {
            group.entry(row.grp_key).or_default().push(Named {
                id: row.id,
                name: row.name,
            });
        }
    }
    Ok(found)
}

fn take(groups: &mut [HashMap<i64, Vec<Named>>], group: usize, key: i64) -> Vec<Named> {
    groups
        .get_mut(group)
        .and_then(|by_key| by_key.remove(&key))
        .unwrap_or_default()
}

fn certification_of(groups: &[HashMap<i64, Vec<Named>>], group: usize, id: i64) -> Result<Named> {
    groups
        .get(group)
        .and_then(|by_key| by_key.get(&id))
        .and_then(|names| names.first())
        .cloned()
        .ok_or_else(|| Error::not_found(format!("Certification {id}")))
}

/// Summaries of `rows`, in the same order: one query for their genres and certifications,
/// whatever the page size.
pub(crate) async fn summaries<C: ConnectionTrait>(
    db: &C,
    rows: Vec<MovieRow>,
) -> Result<Vec<MovieSummary>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = rows.iter().map(|r| r.movie.id).collect();
    let mut cert_ids: Vec<i64> = rows.iter().map(|r| r.movie.certification_id).collect();
    cert_ids.sort_unstable();
    cert_ids.dedup();
    let mut groups = named_groups(
        db,
        vec![linked_names(0, &ids, GENRES), certifications(1, &cert_ids)],
    )
    .await?;
    rows.into_iter()
        .map(|row| {
            Ok(MovieSummary {
                genres: take(&mut groups, 0, row.movie.id),
                certification: certification_of(&groups, 1, row.movie.certification_id)?,
                movie: row.movie,
            })
        })
        .collect()
}

/// Summaries of these movies in the order of `ids` (each once; ids of movies that do not exist
/// are left out), in one round trip whatever their number. For pages whose ids are known
/// (in-memory orders, searches) and for other slices that hold movie ids — a cart, a library —
/// and show them as the catalog does.
pub async fn summaries_of<C: ConnectionTrait>(db: &C, ids: &[i64]) -> Result<Vec<MovieSummary>> {
    let mut found = linked::<MovieCard, _>(db, ids, MovieCard::COLUMNS, &[GENRES]).await?;
    Ok(ids
        .iter()
        .filter_map(|id| found.remove(id))
        .map(Linked::summary)
        .collect())
}

/// The summary of movie `id`, read by the same statement as `write`: a data-modifying
/// statement with a `RETURNING` clause that runs first, as a `WITH` query (PostgreSQL); the
/// summary comes back only when `write` returned a row. One round trip where a write and a
/// read of what was written would take two — commerce's add to cart. The read sees the movie
/// as it was when the statement began.
pub async fn summary_after_write<C: ConnectionTrait>(
    db: &C,
    id: MovieId,
    write: impl Into<SubQueryStatement>,
) -> Result<Option<MovieSummary>> {
    let id = id.get();
    let Some(mut read) = linked_statement(Of::Ids(&[id]), MovieCard::COLUMNS, &[GENRES]) else {
        return Ok(None);
    };
    read.and_where(Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from(Alias::new(WRITTEN))
            .to_owned(),
    ));
    let rows = after_write(db, read, write).await?;
    Ok(linked_rows::<MovieCard>(rows)?
        .remove(&id)
        .map(Linked::summary))
}

/// [`summary_after_write`] of a write of many rows: `write` returns a `movie_id` column and the
/// column named `key` (several rows may name one movie), and each of those movies comes back
/// once, with the keys of its rows — commerce's adds sent together, keyed by user.
pub async fn summaries_after_write<C: ConnectionTrait>(
    db: &C,
    write: impl Into<SubQueryStatement>,
    key: &'static str,
) -> Result<Vec<(MovieSummary, Vec<i64>)>> {
    let Some(mut read) = linked_statement(Of::Written, MovieCard::COLUMNS, &[GENRES]) else {
        return Ok(Vec::new());
    };
    // PostgreSQL's arrays: the batch is PostgreSQL's alone, as writing `WITH` queries are.
    read.expr_as(
        Expr::cust(format!(
            r#"ARRAY(SELECT w."{key}" FROM "{WRITTEN}" w WHERE w."movie_id" = "m"."id")"#
        )),
        Alias::new(WRITTEN_KEYS),
    );
    let rows = after_write(db, read, write).await?;
    Ok(linked_rows::<WrittenCard>(rows)?
        .into_values()
        .map(|linked| {
            let Linked {
                movie: WrittenCard { card, keys },
                certification,
                named,
            } = linked;
            let summary = Linked {
                movie: card,
                certification,
                named,
            };
            (summary.summary(), keys)
        })
        .collect())
}

/// Runs `read` after `write`, which it may read as the `WITH` query [`WRITTEN`].
async fn after_write<C: ConnectionTrait>(
    db: &C,
    read: SelectStatement,
    write: impl Into<SubQueryStatement>,
) -> Result<Vec<QueryResult>> {
    let cte = CommonTableExpression::new()
        .table_name(Alias::new(WRITTEN))
        .query(write)
        .to_owned();
    let statement = read.with(WithClause::new().cte(cte).to_owned());
    let backend = db.get_database_backend();
    Ok(db.query_all_raw(backend.build(&statement)).await?)
}

/// The column of an [`Of::Written`] read holding each movie's keys.
const WRITTEN_KEYS: &str = "written_keys";

/// A card read after a write, with the keys of the write's rows that named it.
struct WrittenCard {
    card: MovieCard,
    keys: Vec<i64>,
}

impl FromQueryResult for WrittenCard {
    fn from_query_result(res: &QueryResult, pre: &str) -> Result<Self, DbErr> {
        Ok(Self {
            card: MovieCard::from_query_result(res, pre)?,
            keys: res.try_get(pre, WRITTEN_KEYS)?,
        })
    }
}

/// A movie with everything linked to it, in one round trip.
pub async fn detail<C: ConnectionTrait>(db: &C, id: MovieId) -> Result<MovieDetail> {
    let id = id.get();
    let all = movie::Column::iter();
    let linked = linked::<movie::Model, _>(db, &[id], all, &[GENRES, DIRECTORS, STARS])
        .await?
        .remove(&id)
        .ok_or_else(|| Error::not_found(format!("Movie {id}")))?;
    let [genres, directors, stars] = linked.named;
    Ok(MovieDetail {
        summary: MovieSummary {
            movie: MovieCard::from(&linked.movie),
            certification: linked.certification,
            genres,
        },
        directors,
        stars,
        movie: linked.movie,
    })
}

/// A movie with its certification and the names of `links`, in their order, each by name.
#[derive(Debug)]
struct Linked<T> {
    movie: T,
    certification: Named,
    named: [Vec<Named>; 3],
}

impl Linked<MovieCard> {
    /// The movie as lists show it: its card, certification and genres (the first links).
    fn summary(self) -> MovieSummary {
        let [genres, ..] = self.named;
        MovieSummary {
            movie: self.movie,
            certification: self.certification,
            genres,
        }
    }
}

/// These movies (by id, read as `T` from `columns`) with their certification and up to three
/// kinds of linked names, in one statement: the rows joined with their certification and with
/// a `UNION ALL` of the link tables (one row per name, or one row of NULLs for a movie linked
/// to none).
async fn linked<T: FromQueryResult, C: ConnectionTrait>(
    db: &C,
    ids: &[i64],
    columns: impl IntoIterator<Item = movie::Column>,
    links: &[Link],
) -> Result<HashMap<i64, Linked<T>>> {
    let Some(stmt) = linked_statement(Of::Ids(ids), columns, links) else {
        return Ok(HashMap::new());
    };
    let backend = db.get_database_backend();
    linked_rows(db.query_all_raw(backend.build(&stmt)).await?)
}

/// The statement of [`linked`], of the movies `of` selects; `None` when there is nothing to
/// read.
fn linked_statement(
    of: Of<'_>,
    columns: impl IntoIterator<Item = movie::Column>,
    links: &[Link],
) -> Option<SelectStatement> {
    let mut named = links
        .iter()
        .enumerate()
        .map(|(i, l)| linked_names_of(i, of, *l));
    let (Some(mut union), false) = (named.next(), matches!(of, Of::Ids([]))) else {
        return None;
    };
    for other in named {
        union.union(UnionType::All, other);
    }
    let (u, c) = (Alias::new("u"), Alias::new("c"));
    let mut stmt = movie_rows(columns);
    for (column, alias) in [("grp", LINK_GROUP), ("id", LINK_ID), ("name", LINK_NAME)] {
        stmt.expr_as(
            Expr::col((u.clone(), Alias::new(column))),
            Alias::new(alias),
        );
    }
    stmt.expr_as(
        Expr::col((c.clone(), certification::Column::Name)),
        Alias::new(CERTIFICATION_NAME),
    )
    .join_as(
        JoinType::InnerJoin,
        certification::Entity,
        c.clone(),
        Expr::col((c, certification::Column::Id)).equals((m(), movie::Column::CertificationId)),
    )
    .and_where(of.filter(col(movie::Column::Id)));
    // One movie: every link row is its own, and PostgreSQL plans the plain join faster.
    let on = match of {
        Of::Ids([_]) => Expr::cust("1 = 1"),
        _ => Expr::col((u.clone(), Alias::new("grp_key"))).equals((m(), movie::Column::Id)),
    };
    stmt.join_subquery(JoinType::LeftJoin, union, u.clone(), on)
        .order_by((u.clone(), Alias::new("name")), Order::Asc)
        .order_by((u, Alias::new("id")), Order::Asc);
    Some(stmt)
}

/// The rows of a [`linked_statement`], by movie.
fn linked_rows<T: FromQueryResult>(rows: Vec<QueryResult>) -> Result<HashMap<i64, Linked<T>>> {
    let mut found: HashMap<i64, Linked<T>> = HashMap::new();
    for row in rows {
        let id: i64 = row.try_get("", "id")?;
        let linked = match found.entry(id) {
            Entry::Occupied(seen) => seen.into_mut(),
            Entry::Vacant(slot) => slot.insert(Linked {
                certification: Named {
                    id: row.try_get("", "certification_id")?,
                    name: row.try_get("", CERTIFICATION_NAME)?,
                },
                movie: T::from_query_result(&row, "")?,
                named: Default::default(),
            }),
        };
        let group: Option<i64> = row.try_get("", LINK_GROUP)?;
        if let Some(list) = group
            .and_then(|g| usize::try_from(g).ok())
            .and_then(|g| linked.named.get_mut(g))
        {
            list.push(Named {
                id: row.try_get("", LINK_ID)?,
                name: row.try_get("", LINK_NAME)?,
            });
        }
    }
    Ok(found)
}

const CERTIFICATION_NAME: &str = "certification_name";
const LINK_GROUP: &str = "link_group";
const LINK_ID: &str = "link_id";
const LINK_NAME: &str = "link_name";

/// The id of the movie with this UUID.
pub async fn id_by_uuid<C: ConnectionTrait>(db: &C, uuid: &uuid::Uuid) -> Result<i64> {
    let stmt = Query::select()
        .column(movie::Column::Id)
        .from(movie::Entity)
        .and_where(Expr::col(movie::Column::Uuid).eq(uuid.to_string()))
        .to_owned();
    let backend = db.get_database_backend();
    match db.query_one_raw(backend.build(&stmt)).await? {
        Some(row) => Ok(row.try_get_by_index(0)?),
        None => Err(Error::not_found(format!("Movie {uuid}"))),
    }
}

/// The movie with this UUID, as [`detail`] gives it: two round trips.
pub async fn detail_by_uuid<C: ConnectionTrait>(db: &C, uuid: &uuid::Uuid) -> Result<MovieDetail> {
    detail(db, MovieId(id_by_uuid(db, uuid).await?)).await
}
