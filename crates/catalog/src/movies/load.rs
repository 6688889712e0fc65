//! Turning movie rows into summaries and details with a fixed number of queries, whatever the
//! page size: one for the genres of every movie on the page, one for their certifications
//! (and, for a detail, one each for directors and stars).

use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::{
    Error, Named, Result,
    entity::{
        certification, director, genre, movie, movie_director, movie_genre, movie_star, star,
    },
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

/// Summaries of `rows`, in the same order.
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
    let mut genres = linked(
        db,
        movie_genre::Entity::find()
            .filter(movie_genre::Column::MovieId.is_in(ids.clone()))
            .all(db)
            .await?
            .into_iter()
            .map(|l| (l.movie_id, l.genre_id))
            .collect(),
        |ids| async move {
            Ok(genre::Entity::find()
                .filter(genre::Column::Id.is_in(ids))
                .order_by_asc(genre::Column::Name)
                .order_by_asc(genre::Column::Id)
                .all(db)
                .await?
                .into_iter()
                .map(|g| Named {
                    id: g.id,
                    name: g.name,
                })
                .collect())
        },
    )
    .await?;
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

/// Groups linked entries by movie, each group in the order `load` returns entries (by name).
async fn linked<C, F, Fut>(
    _db: &C,
    links: Vec<(i64, i64)>,
    load: F,
) -> Result<HashMap<i64, Vec<Named>>>
where
    C: ConnectionTrait,
    F: FnOnce(Vec<i64>) -> Fut,
    Fut: std::future::Future<Output = Result<Vec<Named>>>,
{
    let mut other_ids: Vec<i64> = links.iter().map(|(_, o)| *o).collect();
    other_ids.sort_unstable();
    other_ids.dedup();
    let entries = if other_ids.is_empty() {
        Vec::new()
    } else {
        load(other_ids).await?
    };
    let mut by_movie: HashMap<i64, Vec<i64>> = HashMap::new();
    for (movie, other) in links {
        by_movie.entry(movie).or_default().push(other);
    }
    Ok(by_movie
        .into_iter()
        .map(|(movie, others)| {
            let named = entries
                .iter()
                .filter(|e| others.contains(&e.id))
                .cloned()
                .collect();
            (movie, named)
        })
        .collect())
}

async fn detail_of<C: ConnectionTrait>(db: &C, row: movie::Model) -> Result<MovieDetail> {
    let id = row.id;
    let directors = movie_director::Entity::find()
        .filter(movie_director::Column::MovieId.eq(id))
        .all(db)
        .await?
        .into_iter()
        .map(|l| l.director_id);
    let directors = director::Entity::find()
        .filter(director::Column::Id.is_in(directors.collect::<Vec<_>>()))
        .order_by_asc(director::Column::Name)
        .order_by_asc(director::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|d| Named {
            id: d.id,
            name: d.name,
        })
        .collect();
    let stars = movie_star::Entity::find()
        .filter(movie_star::Column::MovieId.eq(id))
        .all(db)
        .await?
        .into_iter()
        .map(|l| l.star_id);
    let stars = star::Entity::find()
        .filter(star::Column::Id.is_in(stars.collect::<Vec<_>>()))
        .order_by_asc(star::Column::Name)
        .order_by_asc(star::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|s| Named {
            id: s.id,
            name: s.name,
        })
        .collect();
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
