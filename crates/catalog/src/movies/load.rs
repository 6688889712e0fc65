//! Turning movie rows into summaries and details with a fixed number of queries, whatever the
//! page size: one join for the genres of every movie on the page, one for their
//! certifications (and, for a detail, one join each for directors and stars).

use std::collections::HashMap;

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter,
    sea_query::{Alias, Expr, ExprTrait, JoinType, Order, Query},
};

use crate::{
    Error, Named, Result,
    entity::{certification, movie},
};

/// A movie in a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MovieSummary {
    pub movie: movie::Model,
    pub certification: Named,
    pub genres: Vec<Named>,
}

/// A movie on its own page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MovieDetail {
    pub summary: MovieSummary,
    pub directors: Vec<Named>,
    pub stars: Vec<Named>,
}

#[derive(Debug, FromQueryResult)]
struct LinkedName {
    movie_id: i64,
    id: i64,
    name: String,
}

/// The names linked to these movies through `link` (one join query), by movie, each list by
/// name then id.
pub(crate) async fn linked<C: ConnectionTrait>(
    db: &C,
    movie_ids: &[i64],
    link: &str,
    column: &str,
    table: &str,
) -> Result<HashMap<i64, Vec<Named>>> {
    let (l, t) = (Alias::new("l"), Alias::new("t"));
    let stmt = Query::select()
        .expr_as(
            Expr::col((l.clone(), Alias::new("movie_id"))),
            Alias::new("movie_id"),
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
            Expr::col((t.clone(), Alias::new("id"))).equals((l.clone(), Alias::new(column))),
        )
        .and_where(Expr::col((l, Alias::new("movie_id"))).is_in(movie_ids.iter().copied()))
        .order_by((t.clone(), Alias::new("name")), Order::Asc)
        .order_by((t, Alias::new("id")), Order::Asc)
        .to_owned();
    let backend = db.get_database_backend();
    let mut by_movie: HashMap<i64, Vec<Named>> = HashMap::new();
    for row in LinkedName::find_by_statement(backend.build(&stmt))
        .all(db)
        .await?
    {
        by_movie.entry(row.movie_id).or_default().push(Named {
            id: row.id,
            name: row.name,
        });
    }
    Ok(by_movie)
}

/// Summaries of `rows`, in the same order: two queries whatever the page size.
pub(crate) async fn summaries<C: ConnectionTrait>(
    db: &C,
    rows: Vec<movie::Model>,
) -> Result<Vec<MovieSummary>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = rows.iter().map(|m| m.id).collect();
    let mut cert_ids: Vec<i64> = rows.iter().map(|m| m.certification_id).collect();
    cert_ids.sort_unstable();
    cert_ids.dedup();
    let certifications: HashMap<i64, Named> = certification::Entity::find()
        .filter(certification::Column::Id.is_in(cert_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|c| {
            (
                c.id,
                Named {
                    id: c.id,
                    name: c.name,
                },
            )
        })
        .collect();
    let mut genres = linked(db, &ids, "movie_genres", "genre_id", "genres").await?;
    rows.into_iter()
        .map(|movie| {
            let certification = certifications
                .get(&movie.certification_id)
                .cloned()
                .ok_or_else(|| {
                    Error::NotFound(format!("Certification {}", movie.certification_id))
                })?;
            Ok(MovieSummary {
                genres: genres.remove(&movie.id).unwrap_or_default(),
                certification,
                movie,
            })
        })
        .collect()
}

async fn detail_of<C: ConnectionTrait>(db: &C, row: movie::Model) -> Result<MovieDetail> {
    let id = row.id;
    let directors = linked(db, &[id], "movie_directors", "director_id", "directors")
        .await?
        .remove(&id)
        .unwrap_or_default();
    let stars = linked(db, &[id], "movie_stars", "star_id", "stars")
        .await?
        .remove(&id)
        .unwrap_or_default();
    let summary = summaries(db, vec![row])
        .await?
        .pop()
        .ok_or_else(|| Error::NotFound(format!("Movie {id}")))?;
    Ok(MovieDetail {
        summary,
        directors,
        stars,
    })
}

pub async fn detail<C: ConnectionTrait>(db: &C, id: i64) -> Result<MovieDetail> {
    let row = movie::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| Error::NotFound(format!("Movie {id}")))?;
    detail_of(db, row).await
}

pub async fn detail_by_uuid<C: ConnectionTrait>(db: &C, uuid: &uuid::Uuid) -> Result<MovieDetail> {
    let row = movie::Entity::find()
        .filter(movie::Column::Uuid.eq(uuid.to_string()))
        .one(db)
        .await?
        .ok_or_else(|| Error::NotFound(format!("Movie {uuid}")))?;
    detail_of(db, row).await
}
