//! The names a list shows beside each movie's own columns — its genres and its certification —
//! held in memory while the cache is on, so that a list page is one read of its movies' card
//! columns (20 rows) instead of those rows joined with every genre link (~50 wider rows).
//!
//! Read once per catalog change (every genre, certification, link or movie change bumps the
//! catalog version) and pinned like the orders ([`super::order`]); ~5 bytes per movie and 2
//! per link (~1.7 MiB for the 100k benchmark catalog). A movie the labels do not know — created after
//! they were read, by a change whose invalidation is on its way — sends the whole page down
//! the database path, so no movie is ever shown without its genres.

use std::{collections::HashMap, sync::Arc};

use sea_orm::{
    ConnectionTrait, StreamTrait,
    sea_query::{Alias, Expr, ExprTrait, JoinType, Order, Query},
};

use super::load::{MovieCard, MovieRow, MovieSummary, col, each_row, fetch_cards, m, movie_rows};
use crate::{
    Named, Result,
    cache::{CatalogCache, Scope},
    entity::movie,
};

/// One movie as the labels read it: with each of its genres, or once with `None`.
#[derive(Debug, Clone, Copy)]
struct Link {
    movie: i64,
    genre: Option<i64>,
}

/// Every movie's genres (by name, then id), and every certification, by id.
#[derive(Debug)]
pub(crate) struct Labels {
    /// Lowest movie id; slots below are indexed by `id - first_id`.
    first_id: i64,
    /// Per slot, where its genres start in `genres`.
    start: Box<[u32]>,
    /// Per slot, how many genres; [`UNKNOWN`] where no movie had that id when read.
    count: Box<[u8]>,
    /// Indexes into `genre_names`, ascending within a movie: the order lists show.
    genres: Box<[u16]>,
    /// Every genre, by name then id.
    genre_names: Box<[Named]>,
    certifications: HashMap<i64, Named>,
}

/// The count of a slot no movie held (or one with more genres than a `u8` counts).
const UNKNOWN: u8 = u8::MAX;

impl Labels {
    /// `genre_names` sorted by name then id; `links` sorted by movie, a movie without genres
    /// once with `None`. A link to a genre not among the names (one created between the reads)
    /// leaves its movie unknown.
    fn new(genre_names: Vec<Named>, links: &[Link], certifications: Vec<Named>) -> Self {
        let index: HashMap<i64, u16> = genre_names
            .iter()
            .enumerate()
            .filter_map(|(i, g)| Some((g.id, u16::try_from(i).ok()?)))
            .collect();
        let first_id = links.first().map_or(0, |l| l.movie);
        let last_id = links.last().map_or(first_id - 1, |l| l.movie);
        let span = usize::try_from(last_id - first_id + 1).unwrap_or(0);
        let mut start = vec![0u32; span];
        let mut count = vec![UNKNOWN; span];
        let mut genres = Vec::with_capacity(links.len());
        for movie in links.chunk_by(|a, b| a.movie == b.movie) {
            let Some(slot) = usize::try_from(movie[0].movie - first_id).ok() else {
                continue;
            };
            let (Some(start), Some(count), Ok(at)) = (
                start.get_mut(slot),
                count.get_mut(slot),
                u32::try_from(genres.len()),
            ) else {
                continue;
            };
            let own: Option<Vec<u16>> = movie
                .iter()
                .filter_map(|l| l.genre)
                .map(|g| index.get(&g).copied())
                .collect();
            let Some(mut own) = own else { continue };
            let Some(n) = u8::try_from(own.len()).ok().filter(|n| *n != UNKNOWN) else {
                continue;
            };
            own.sort_unstable();
            *start = at;
            *count = n;
            genres.extend(own);
        }
        Self {
            first_id,
            start: start.into(),
            count: count.into(),
            genres: genres.into(),
            genre_names: genre_names.into(),
            certifications: certifications.into_iter().map(|c| (c.id, c)).collect(),
        }
    }

    /// The slot of a movie read, and its genre count; `None` if it is not known.
    fn slot(&self, id: i64) -> Option<(usize, u8)> {
        let slot = usize::try_from(id - self.first_id).ok()?;
        let count = *self.count.get(slot).filter(|c| **c != UNKNOWN)?;
        Some((slot, count))
    }

    /// The certification and genres of this movie; `None` if it is not known.
    fn of(&self, card: &MovieCard) -> Option<(Named, Vec<Named>)> {
        let (slot, count) = self.slot(card.id)?;
        let start = usize::try_from(*self.start.get(slot)?).ok()?;
        let genres = self
            .genres
            .get(start..start + usize::from(count))?
            .iter()
            .map(|g| self.genre_names.get(usize::from(*g)).cloned())
            .collect::<Option<Vec<_>>>()?;
        let certification = self.certifications.get(&card.certification_id)?.clone();
        Some((certification, genres))
    }

    /// Summaries of these movies, in their order; the movies back if one is not known.
    pub(crate) fn summaries(
        &self,
        cards: Vec<MovieCard>,
    ) -> std::result::Result<Vec<MovieSummary>, Vec<MovieCard>> {
        let Some(labels) = cards
            .iter()
            .map(|card| self.of(card))
            .collect::<Option<Vec<_>>>()
        else {
            return Err(cards);
        };
        Ok(cards
            .into_iter()
            .zip(labels)
            .map(|(movie, (certification, genres))| MovieSummary {
                movie,
                certification,
                genres,
            })
            .collect())
    }

    fn bytes(&self) -> usize {
        let names: usize = self.genre_names.iter().map(|g| 32 + g.name.len()).sum();
        self.start.len() * 5 + self.genres.len() * 2 + names + self.certifications.len() * 64
    }
}

/// The labels at the current catalog version, read once per change; `None` with the cache off.
pub(crate) async fn labels<C: ConnectionTrait + StreamTrait>(
    db: &C,
    cache: &CatalogCache,
) -> Result<Option<Arc<Labels>>> {
    if !cache.is_on() {
        return Ok(None);
    }
    let ticket = || cache.ticket(Scope::Catalog, "order", "labels".to_owned());
    cache
        .pinned_or_build(ticket, Labels::bytes, || read(db))
        .await
        .map(Some)
}

async fn read<C: ConnectionTrait + StreamTrait>(db: &C) -> Result<Labels> {
    let backend = ConnectionTrait::get_database_backend(db);
    let names = |table: &str| {
        Query::select()
            .columns([Alias::new("id"), Alias::new("name")])
            .from(Alias::new(table))
            .order_by(Alias::new("name"), Order::Asc)
            .order_by(Alias::new("id"), Order::Asc)
            .to_owned()
    };
    let named = async |table| -> Result<Vec<Named>> {
        let rows = db.query_all_raw(backend.build(&names(table))).await?;
        Ok(rows
            .iter()
            .map(|r| {
                Ok(Named {
                    id: r.try_get_by_index(0)?,
                    name: r.try_get_by_index(1)?,
                })
            })
            .collect::<std::result::Result<_, sea_orm::DbErr>>()?)
    };
    let genre_names = named("genres").await?;
    let certifications = named("certifications").await?;
    // Every movie, with each of its genres (or one row of NULL): a movie missing here is one
    // the labels do not know, not one without genres.
    let l = Alias::new("l");
    let links = Query::select()
        .expr(col(movie::Column::Id))
        .expr(Expr::col((l.clone(), Alias::new("genre_id"))))
        .from_as(movie::Entity, m())
        .join_as(
            JoinType::LeftJoin,
            Alias::new("movie_genres"),
            l.clone(),
            Expr::col((l.clone(), Alias::new("movie_id"))).equals((m(), movie::Column::Id)),
        )
        .order_by((m(), movie::Column::Id), Order::Asc)
        .to_owned();
    let links = each_row(db, &links, |r| {
        Ok(Link {
            movie: r.try_get_by_index(0)?,
            genre: r.try_get_by_index(1)?,
        })
    })
    .await?;
    Ok(Labels::new(genre_names, &links, certifications))
}

/// Summaries of these movies in the order of `ids` (each once, missing ones left out): with
/// labels, one read of their card columns; without, or when one is not known, the database
/// path of [`super::load::summaries_of`].
pub(crate) async fn summaries_of<C: ConnectionTrait>(
    db: &C,
    labels: Option<&Labels>,
    ids: &[i64],
) -> Result<Vec<MovieSummary>> {
    if let Some(labels) = labels
        && !ids.is_empty()
    {
        let mut stmt = movie_rows(MovieCard::COLUMNS);
        stmt.and_where(col(movie::Column::Id).is_in(ids.iter().copied()));
        let mut found: HashMap<i64, MovieCard> = fetch_cards(db, &stmt)
            .await?
            .into_iter()
            .map(|card| (card.id, card))
            .collect();
        let cards = ids.iter().filter_map(|id| found.remove(id)).collect();
        if let Ok(summaries) = labels.summaries(cards) {
            return Ok(summaries);
        }
    }
    super::load::summaries_of(db, ids).await
}

/// Summaries of rows already read: from the labels when they know every movie, else with
/// one more query ([`super::load::summaries`]).
pub(crate) async fn summaries<C: ConnectionTrait>(
    db: &C,
    labels: Option<&Labels>,
    rows: Vec<MovieRow>,
) -> Result<Vec<MovieSummary>> {
    let Some(labels) = labels else {
        return super::load::summaries(db, rows).await;
    };
    // The rows' totals were read before; only their movies are needed from here.
    match labels.summaries(rows.into_iter().map(|r| r.movie).collect()) {
        Ok(summaries) => Ok(summaries),
        Err(cards) => {
            let rows = cards
                .into_iter()
                .map(|movie| MovieRow { movie, total: None })
                .collect();
            super::load::summaries(db, rows).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Labels, Link, MovieCard};
    use crate::Named;

    fn named(id: i64, name: &str) -> Named {
        Named {
            id,
            name: name.to_owned(),
        }
    }

    fn card(id: i64, certification_id: i64) -> MovieCard {
        MovieCard {
            id,
            uuid: String::new(),
            name: String::new(),
            year: 2000,
            time: 90,
            imdb_tenths: 70,
            votes: 1,
            price_cents: 100,
            certification_id,
            poster: None,
            rating_count: 0,
            rating_avg_tenths: None,
        }
    }

    fn labels() -> Labels {
        // Genres by name: Comedy (7), Drama (3), Drama (9).
        let genres = vec![named(7, "Comedy"), named(3, "Drama"), named(9, "Drama")];
        let link = |movie, genre| Link { movie, genre };
        let links = [
            link(10, Some(9)),
            link(10, Some(7)),
            link(10, Some(3)),
            link(11, None),
            link(13, Some(3)),
            link(14, Some(42)),
        ];
        Labels::new(genres, &links, vec![named(1, "PG"), named(2, "R")])
    }

    #[test]
    fn movies_get_their_genres_by_name_then_id_and_their_certification() {
        let labels = labels();
        let (certification, genres) = labels.of(&card(10, 2)).expect("known");
        assert_eq!(certification, named(2, "R"));
        assert_eq!(
            genres,
            [named(7, "Comedy"), named(3, "Drama"), named(9, "Drama")]
        );
        assert_eq!(labels.of(&card(11, 1)), Some((named(1, "PG"), vec![])));
        assert_eq!(
            labels.of(&card(13, 1)),
            Some((named(1, "PG"), vec![named(3, "Drama")]))
        );
    }

    #[test]
    fn what_was_not_read_is_unknown_and_sends_the_page_to_the_database() {
        let labels = labels();
        // No movie 12 when read; 9 and 15 lie outside; 14 links a genre read after the names.
        for id in [9, 12, 14, 15] {
            assert_eq!(labels.of(&card(id, 1)), None, "movie {id}");
        }
        assert_eq!(labels.of(&card(10, 3)), None, "an unknown certification");
        assert!(labels.summaries(vec![card(10, 1), card(12, 1)]).is_err());
        let page = labels
            .summaries(vec![card(13, 1), card(10, 1)])
            .expect("known");
        assert_eq!(
            page.iter().map(|s| s.movie.id).collect::<Vec<_>>(),
            [13, 10]
        );
        let empty = Labels::new(vec![], &[], vec![]);
        assert_eq!(empty.of(&card(1, 1)), None);
    }
}
