//! The demo catalog: the genres, the certifications and ten well-known movies
//! (`data/demo_movies.json`).

use cinema_kernel::time::Clock;
use sea_orm::DatabaseConnection;
use serde::Deserialize;

use super::{
    Result, Seeded,
    rows::{NewMovie, ids_of, insert_movies, insert_names},
};

/// A movie of the demo catalog, as the data file spells it.
#[derive(Debug, Deserialize)]
struct DemoMovie {
    name: String,
    year: i32,
    time: i32,
    imdb_tenths: i32,
    votes: i64,
    meta_score: Option<i32>,
    gross_cents: Option<i64>,
    certification: String,
    genres: Vec<String>,
    directors: Vec<String>,
    stars: Vec<String>,
    description: String,
    price_cents: i64,
}

fn movies() -> Result<Vec<DemoMovie>> {
    Ok(serde_json::from_str(include_str!("data/demo_movies.json"))?)
}

/// The demo catalog: the genres, the certifications and ten well-known movies.
pub async fn demo(db: &DatabaseConnection, clock: &Clock) -> Result<Seeded> {
    let mut seeded = Seeded::default();
    super::taxonomy(db, &mut seeded).await?;
    let mut movies = Vec::new();
    for (i, d) in self::movies()?.into_iter().enumerate() {
        let (directors, stars) = (d.directors, d.stars);
        seeded.directors += insert_names(db, "directors", &directors).await?;
        seeded.stars += insert_names(db, "stars", &stars).await?;
        let cert = ids_of(db, "certifications", &[d.certification]).await?;
        movies.push(NewMovie {
            // Fixed per demo movie, so a second run recognises the first run's rows.
            uuid: uuid::Uuid::from_u64_pair(0x00de_0000_0000_0000, i as u64 + 1).to_string(),
            name: d.name,
            year: d.year,
            time: d.time,
            imdb_tenths: d.imdb_tenths,
            votes: d.votes,
            meta_score: d.meta_score,
            gross_cents: d.gross_cents,
            description: d.description,
            price_cents: d.price_cents,
            certification_id: cert.first().copied().unwrap_or(1),
            genre_ids: ids_of(db, "genres", &d.genres).await?,
            director_ids: ids_of(db, "directors", &directors).await?,
            star_ids: ids_of(db, "stars", &stars).await?,
            directors: directors.join(" "),
            actors: stars.join(" "),
        });
    }
    seeded.movies += insert_movies(db, clock.now_ms(), &movies).await?;
    super::finish(db).await?;
    Ok(seeded)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_data_files_read_whole() {
        let movies = super::movies().unwrap();
        assert_eq!(movies.len(), 10);
        assert!(
            movies
                .iter()
                .all(|m| !m.directors.is_empty() && m.price_cents > 0)
        );
        assert_eq!(
            super::super::synthetic::word_list_sizes(),
            [150, 200, 59, 102, 100]
        );
    }
}
