//! Certifications, genres, directors and stars: one shape, one set of operations.

use cinema_kernel::Fail;
use cinema_kernel::page::{Page, PageRequest};
use sea_orm::{
    ConnectionTrait, DatabaseTransaction, FromQueryResult,
    sea_query::{Alias, Expr, ExprTrait, Func, JoinType, Order, Query, SelectStatement},
};

use crate::{
    Error, Result,
    cache::{Change, Pending, version},
    movies,
};

/// Which taxonomy table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Taxonomy {
    /// Age certifications (G, PG, R, …).
    Certifications,
    /// Genres.
    Genres,
    /// Directors.
    Directors,
    /// Stars.
    Stars,
}

impl Taxonomy {
    /// Its table.
    pub fn table(self) -> &'static str {
        match self {
            Taxonomy::Certifications => "certifications",
            Taxonomy::Genres => "genres",
            Taxonomy::Directors => "directors",
            Taxonomy::Stars => "stars",
        }
    }

    /// The singular, capitalised, for messages.
    pub fn singular(self) -> &'static str {
        match self {
            Taxonomy::Certifications => "Certification",
            Taxonomy::Genres => "Genre",
            Taxonomy::Directors => "Director",
            Taxonomy::Stars => "Star",
        }
    }

    fn max_len(self) -> usize {
        match self {
            Taxonomy::Certifications => 50,
            Taxonomy::Genres => 100,
            Taxonomy::Directors | Taxonomy::Stars => 200,
        }
    }

    /// The link table and its column, for genres, directors and stars.
    pub(crate) fn link(self) -> Option<(&'static str, &'static str)> {
        match self {
            Taxonomy::Certifications => None,
            Taxonomy::Genres => Some(("movie_genres", "genre_id")),
            Taxonomy::Directors => Some(("movie_directors", "director_id")),
            Taxonomy::Stars => Some(("movie_stars", "star_id")),
        }
    }
}

/// A taxonomy entry.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct Named {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
}

/// A genre with the number of its movies.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct GenreCount {
    /// The genre's id.
    pub id: i64,
    /// The genre's name.
    pub name: String,
    /// How many movies have it.
    pub movie_count: i64,
}

fn table(kind: Taxonomy) -> Alias {
    Alias::new(kind.table())
}

/// Trims and checks a name: 1 to the table's maximum characters.
pub fn parse_name(kind: Taxonomy, raw: &str) -> Result<String> {
    let name = cinema_kernel::text::trim(raw);
    let max = kind.max_len();
    // The length counts the name as sent, as its documented `maxLength` does.
    if !cinema_kernel::text::has_visible(name) || raw.chars().count() > max {
        return Err(Error::invalid(
            "name",
            format!("must be 1 to {max} characters, at least one of them visible"),
        ));
    }
    Ok(name.to_owned())
}

fn select(kind: Taxonomy) -> SelectStatement {
    Query::select()
        .columns([Alias::new("id"), Alias::new("name")])
        .from(table(kind))
        .to_owned()
}

async fn fetch_one<C: ConnectionTrait>(db: &C, stmt: &SelectStatement) -> Result<Option<Named>> {
    let backend = db.get_database_backend();
    Ok(Named::find_by_statement(backend.build(stmt))
        .one(db)
        .await?)
}

/// Entries by name (then id), optionally those whose name contains `name` (literally).
pub async fn list<C: ConnectionTrait>(
    db: &C,
    kind: Taxonomy,
    name: Option<&str>,
    page: PageRequest,
) -> Result<Page<Named>> {
    let mut query = select(kind);
    if let Some(part) = name.map(str::trim).filter(|p| !p.is_empty()) {
        query.and_where(
            Expr::col(Alias::new("name_key"))
                .like(cinema_kernel::db::contains_literally(&part.to_lowercase())),
        );
    }
    let backend = db.get_database_backend();
    let count_stmt = Query::select()
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
        .from_subquery(query.clone(), Alias::new("q"))
        .to_owned();
    let total = db
        .query_one_raw(backend.build(&count_stmt))
        .await?
        .map(|row| row.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0);
    query
        .order_by(Alias::new("name"), Order::Asc)
        .order_by(Alias::new("id"), Order::Asc)
        .limit(page.limit())
        .offset(page.skip());
    let items = Named::find_by_statement(backend.build(&query))
        .all(db)
        .await?;
    Ok(Page::new(items, u64::try_from(total).unwrap_or(0), page))
}

/// One entry; [`Common::NotFound`](cinema_kernel::Common::NotFound) if there is none.
pub async fn get<C: ConnectionTrait>(db: &C, kind: Taxonomy, id: i64) -> Result<Named> {
    let stmt = select(kind)
        .and_where(Expr::col(Alias::new("id")).eq(id))
        .to_owned();
    fetch_one(db, &stmt)
        .await?
        .ok_or_else(|| Error::not_found(format!("{} {id}", kind.singular())))
}

fn name_taken(kind: Taxonomy, name: &str) -> Error {
    Error::conflict(format!(
        "{} named “{name}” already exists (names are compared case-insensitively).",
        kind.singular()
    ))
}

/// Adds an entry inside the caller's transaction ([`crate::Catalog::create_name`] runs it in
/// its own); the change is applied after the commit. A name that exists in any letter case is a
/// conflict.
pub async fn create_in(
    txn: &DatabaseTransaction,
    kind: Taxonomy,
    name: &str,
) -> Result<(Named, Pending)> {
    let name = parse_name(kind, name)?;
    let insert = Query::insert()
        .into_table(table(kind))
        .columns([Alias::new("name"), Alias::new("name_key")])
        .values_panic([name.clone().into(), name.to_lowercase().into()])
        .returning(Query::returning().columns([Alias::new("id"), Alias::new("name")]))
        .to_owned();
    let backend = txn.get_database_backend();
    match Named::find_by_statement(backend.build(&insert))
        .one(txn)
        .await
    {
        Ok(Some(named)) => Ok((named, version::bump(txn, Change::Catalog).await?)),
        Ok(None) => Err(Error::not_found(kind.singular().to_owned())),
        Err(e) if cinema_kernel::db::is_unique_violation(&e) => Err(name_taken(kind, &name)),
        Err(e) => Err(e.into()),
    }
}

/// Renames an entry (and the search text of its movies, for directors and stars) inside the
/// caller's transaction ([`crate::Catalog::rename`] runs it in its own); the change is applied
/// after the commit.
pub async fn rename_in(
    txn: &DatabaseTransaction,
    kind: Taxonomy,
    id: i64,
    name: &str,
) -> Result<(Named, Pending)> {
    let name = parse_name(kind, name)?;
    let update = Query::update()
        .table(table(kind))
        .values([
            (Alias::new("name"), name.clone().into()),
            (Alias::new("name_key"), name.to_lowercase().into()),
        ])
        .and_where(Expr::col(Alias::new("id")).eq(id))
        .to_owned();
    let backend = txn.get_database_backend();
    match txn.execute_raw(backend.build(&update)).await {
        Ok(res) if res.rows_affected() == 0 => {
            return Err(Error::not_found(format!("{} {id}", kind.singular())));
        }
        Ok(_) => {}
        Err(e) if cinema_kernel::db::is_unique_violation(&e) => {
            return Err(name_taken(kind, &name));
        }
        Err(e) => return Err(e.into()),
    }
    if matches!(kind, Taxonomy::Directors | Taxonomy::Stars) {
        let affected = linked_movies(txn, kind, id).await?;
        movies::refresh_people(txn, &affected).await?;
    }
    let pending = version::bump(txn, Change::Catalog).await?;
    Ok((Named { id, name }, pending))
}

async fn linked_movies<C: ConnectionTrait>(db: &C, kind: Taxonomy, id: i64) -> Result<Vec<i64>> {
    let Some((link, col)) = kind.link() else {
        return Ok(Vec::new());
    };
    let stmt = Query::select()
        .column(Alias::new("movie_id"))
        .from(Alias::new(link))
        .and_where(Expr::col(Alias::new(col)).eq(id))
        .to_owned();
    let backend = db.get_database_backend();
    let rows = db.query_all_raw(backend.build(&stmt)).await?;
    rows.iter()
        .map(|r| r.try_get::<i64>("", "movie_id").map_err(Error::from))
        .collect()
}

/// Deletes an entry inside the caller's transaction and returns it ([`crate::Catalog::delete_name`]
/// runs it in its own); the change is applied after the commit. A certification still used by
/// movies is a conflict; genres, directors and stars are unlinked from their movies.
pub async fn delete_in(
    txn: &DatabaseTransaction,
    kind: Taxonomy,
    id: i64,
) -> Result<(Named, Pending)> {
    let entry = get(txn, kind, id).await?;
    if kind == Taxonomy::Certifications {
        let in_use = Query::select()
            .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
            .from(Alias::new("movies"))
            .and_where(Expr::col(Alias::new("certification_id")).eq(id))
            .to_owned();
        let backend = txn.get_database_backend();
        let used: i64 = txn
            .query_one_raw(backend.build(&in_use))
            .await?
            .map(|r| r.try_get("", "n"))
            .transpose()?
            .unwrap_or(0);
        if used > 0 {
            return Err(Error::conflict(format!(
                "Certification “{}” is used by {used} movie(s); reassign them first.",
                entry.name
            )));
        }
    }
    let affected = linked_movies(txn, kind, id).await?;
    let delete = Query::delete()
        .from_table(table(kind))
        .and_where(Expr::col(Alias::new("id")).eq(id))
        .to_owned();
    let backend = txn.get_database_backend();
    match txn.execute_raw(backend.build(&delete)).await {
        Ok(_) => {}
        // A movie took the certification between the check and the delete.
        Err(e) if cinema_kernel::db::is_foreign_key_violation(&e) => {
            return Err(Error::conflict(format!(
                "{} “{}” is in use.",
                kind.singular(),
                entry.name
            )));
        }
        Err(e) => return Err(e.into()),
    }
    if matches!(kind, Taxonomy::Directors | Taxonomy::Stars) {
        movies::refresh_people(txn, &affected).await?;
    }
    let pending = version::bump(txn, Change::Catalog).await?;
    Ok((entry, pending))
}

/// Every genre with its number of movies, by name.
pub async fn genre_statistics<C: ConnectionTrait>(db: &C) -> Result<Vec<GenreCount>> {
    let stmt = Query::select()
        .expr_as(
            Expr::col((Alias::new("g"), Alias::new("id"))),
            Alias::new("id"),
        )
        .expr_as(
            Expr::col((Alias::new("g"), Alias::new("name"))),
            Alias::new("name"),
        )
        .expr_as(
            Func::count(Expr::col((Alias::new("mg"), Alias::new("movie_id")))),
            Alias::new("movie_count"),
        )
        .from_as(Alias::new("genres"), Alias::new("g"))
        .join_as(
            JoinType::LeftJoin,
            Alias::new("movie_genres"),
            Alias::new("mg"),
            Expr::col((Alias::new("mg"), Alias::new("genre_id")))
                .equals((Alias::new("g"), Alias::new("id"))),
        )
        .group_by_columns([
            (Alias::new("g"), Alias::new("id")),
            (Alias::new("g"), Alias::new("name")),
        ])
        .order_by((Alias::new("g"), Alias::new("name")), Order::Asc)
        .order_by((Alias::new("g"), Alias::new("id")), Order::Asc)
        .to_owned();
    let backend = db.get_database_backend();
    Ok(GenreCount::find_by_statement(backend.build(&stmt))
        .all(db)
        .await?)
}
