//! What a movie list asks for, as values: the filter ([`MovieFilter`], built from the caller's
//! [`MovieFilterInput`] by a constructor that checks the rules), the sort ([`Sort`]) and the
//! length of the special lists ([`SpecialLimit`]). No I/O: the list reads ([`super::list`])
//! and the cached orders ([`super::order`]) take these.

use cinema_kernel::{Fail, FieldError, Money};

use super::search::SearchQuery;
use crate::{Error, Result, entity::movie};

/// The longest id list a filter takes.
pub const MAX_IDS: usize = 100;

/// The caller's filter, in its own units (an IMDb score, a price), before the rules are
/// checked. Every bound is inclusive; `0` is a real bound; id lists mean "any of".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MovieFilterInput {
    /// First release year, inclusive.
    pub year_from: Option<i32>,
    /// Last release year, inclusive.
    pub year_to: Option<i32>,
    /// 0–10.
    pub imdb_min: Option<f64>,
    /// 0–10.
    pub imdb_max: Option<f64>,
    /// Lowest price, inclusive.
    pub price_min: Option<Money>,
    /// Highest price, inclusive.
    pub price_max: Option<Money>,
    /// At most [`MAX_IDS`] each.
    pub genre_ids: Vec<i64>,
    /// Any of these certifications.
    pub certification_ids: Vec<i64>,
    /// By any of these directors.
    pub director_ids: Vec<i64>,
    /// With any of these stars.
    pub star_ids: Vec<i64>,
    /// A search in the title, people or description.
    pub search: Option<SearchQuery>,
}

/// Which movies to list: a checked [`MovieFilterInput`] (see [`MovieFilter::new`]), or the
/// whole catalog ([`MovieFilter::default`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MovieFilter {
    pub(crate) year_from: Option<i32>,
    pub(crate) year_to: Option<i32>,
    pub(crate) imdb_min_tenths: Option<i32>,
    pub(crate) imdb_max_tenths: Option<i32>,
    pub(crate) price_min_cents: Option<i64>,
    pub(crate) price_max_cents: Option<i64>,
    pub(crate) genre_ids: Vec<i64>,
    pub(crate) certification_ids: Vec<i64>,
    pub(crate) director_ids: Vec<i64>,
    pub(crate) star_ids: Vec<i64>,
    pub(crate) search: Option<SearchQuery>,
    pub(crate) linked_to: Option<LinkedTo>,
}

/// `m.id IN (SELECT movie_id FROM <table> WHERE <owner_column> = <owner>)`: how a slice above
/// the catalog narrows a list to its own rows without a query builder of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkedTo {
    /// The table that links owners to movies (`favorites`).
    pub table: &'static str,
    /// Its owner column (`user_id`).
    pub owner_column: &'static str,
    /// The owner.
    pub owner: i64,
}

impl MovieFilter {
    /// Checks the rules — IMDb bounds within 0–10, no range that runs backwards, id lists of
    /// at most [`MAX_IDS`] — and answers every broken one at once ([`Error`] of kind
    /// `Invalid`, fields named as in the input).
    pub fn new(input: MovieFilterInput) -> Result<Self> {
        let mut errors = Vec::new();
        for (name, value) in [("imdb_min", input.imdb_min), ("imdb_max", input.imdb_max)] {
            if value.is_some_and(|v| !(0.0..=10.0).contains(&v)) {
                errors.push(FieldError::new(name, "must be between 0 and 10"));
            }
        }
        let backwards = [
            (
                "year_from",
                "year_to",
                input
                    .year_from
                    .zip(input.year_to)
                    .is_some_and(|(a, b)| a > b),
            ),
            (
                "imdb_min",
                "imdb_max",
                input
                    .imdb_min
                    .zip(input.imdb_max)
                    .is_some_and(|(a, b)| a > b),
            ),
            (
                "price_min",
                "price_max",
                input
                    .price_min
                    .zip(input.price_max)
                    .is_some_and(|(a, b)| a > b),
            ),
        ];
        for (low, high, reversed) in backwards {
            if reversed && !errors.iter().any(|e: &FieldError| e.field == low) {
                errors.push(FieldError::new(
                    low,
                    format!("must not be greater than {high}"),
                ));
            }
        }
        for (name, ids) in [
            ("genre_ids", &input.genre_ids),
            ("certification_ids", &input.certification_ids),
            ("director_ids", &input.director_ids),
            ("star_ids", &input.star_ids),
        ] {
            if ids.len() > MAX_IDS {
                errors.push(FieldError::new(
                    name,
                    format!("must list at most {MAX_IDS} ids"),
                ));
            }
        }
        if !errors.is_empty() {
            return Err(Error::invalid_fields(errors));
        }
        // Inclusive bounds in tenths: a minimum rounds up, a maximum down.
        Ok(Self {
            year_from: input.year_from,
            year_to: input.year_to,
            imdb_min_tenths: input.imdb_min.map(|v| (v * 10.0 - 1e-9).ceil() as i32),
            imdb_max_tenths: input.imdb_max.map(|v| (v * 10.0 + 1e-9).floor() as i32),
            price_min_cents: input.price_min.map(Money::cents),
            price_max_cents: input.price_max.map(Money::cents),
            genre_ids: input.genre_ids,
            certification_ids: input.certification_ids,
            director_ids: input.director_ids,
            star_ids: input.star_ids,
            search: input.search,
            linked_to: None,
        })
    }

    /// The same filter, narrowed to the movies `link` names (a user's favorites).
    #[must_use]
    pub fn linked_to(self, link: LinkedTo) -> Self {
        Self {
            linked_to: Some(link),
            ..self
        }
    }

    /// The search, if the filter has one.
    pub fn search(&self) -> Option<&SearchQuery> {
        self.search.as_ref()
    }

    /// Whether it lists the whole catalog.
    pub fn is_everything(&self) -> bool {
        *self == Self::default()
    }

    /// A text that names this filter exactly — two filters have the same key only if they
    /// select the same movies the same way — for cache keys. Written field by field, with
    /// each part labelled and lengths before free text, so no value can pass for another.
    pub fn cache_key(&self) -> String {
        use std::fmt::Write;
        let mut key = String::new();
        let bound = |v: Option<i64>| v.map_or(String::new(), |v| v.to_string());
        let ids = |ids: &[i64]| ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        let _ = write!(
            key,
            "y{}..{};i{}..{};p{}..{};g{};c{};d{};s{}",
            bound(self.year_from.map(i64::from)),
            bound(self.year_to.map(i64::from)),
            bound(self.imdb_min_tenths.map(i64::from)),
            bound(self.imdb_max_tenths.map(i64::from)),
            bound(self.price_min_cents),
            bound(self.price_max_cents),
            ids(&self.genre_ids),
            ids(&self.certification_ids),
            ids(&self.director_ids),
            ids(&self.star_ids),
        );
        if let Some(link) = self.linked_to {
            let _ = write!(key, ";l{}.{}={}", link.table, link.owner_column, link.owner);
        }
        if let Some(search) = &self.search {
            key.push_str(";q");
            search.write_key(&mut key);
        }
        key
    }
}

/// What to sort by; ties are always broken by id in the same direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    /// The id (insertion order).
    Id,
    /// The title.
    Name,
    /// The release year.
    Year,
    /// The running time.
    Time,
    /// The IMDb score.
    Imdb,
    /// The IMDb votes.
    Votes,
    /// The Metascore.
    MetaScore,
    /// The gross.
    Gross,
    /// The price.
    Price,
    /// Average user rating; unrated movies last in both directions.
    Rating,
}

impl SortKey {
    /// Every key, in the order the contract lists them.
    pub const ALL: [SortKey; 10] = [
        SortKey::Id,
        SortKey::Name,
        SortKey::Year,
        SortKey::Time,
        SortKey::Imdb,
        SortKey::Votes,
        SortKey::MetaScore,
        SortKey::Gross,
        SortKey::Price,
        SortKey::Rating,
    ];

    /// The key's name on the wire, e.g. `meta_score`.
    pub fn as_str(self) -> &'static str {
        match self {
            SortKey::Id => "id",
            SortKey::Name => "name",
            SortKey::Year => "year",
            SortKey::Time => "time",
            SortKey::Imdb => "imdb",
            SortKey::Votes => "votes",
            SortKey::MetaScore => "meta_score",
            SortKey::Gross => "gross",
            SortKey::Price => "price",
            SortKey::Rating => "rating",
        }
    }

    /// The key named `s` on the wire.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The column it sorts by (`None` for the id alone).
    pub(crate) fn column(self) -> Option<movie::Column> {
        match self {
            SortKey::Id => None,
            SortKey::Rating => Some(movie::Column::RatingAvgTenths),
            SortKey::Name => Some(movie::Column::Name),
            SortKey::Year => Some(movie::Column::Year),
            SortKey::Time => Some(movie::Column::Time),
            SortKey::Imdb => Some(movie::Column::ImdbTenths),
            SortKey::Votes => Some(movie::Column::Votes),
            SortKey::MetaScore => Some(movie::Column::MetaScore),
            SortKey::Gross => Some(movie::Column::GrossCents),
            SortKey::Price => Some(movie::Column::PriceCents),
        }
    }
}

/// A sort: a key and a direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    /// What to sort by.
    pub key: SortKey,
    /// Largest first.
    pub descending: bool,
}

impl Sort {
    /// `name:asc`, `rating:desc`: names the sort exactly, for cache keys.
    pub fn cache_key(sort: Option<Self>) -> String {
        sort.map_or_else(String::new, |s| {
            format!(
                "{}:{}",
                s.key.as_str(),
                if s.descending { "desc" } else { "asc" }
            )
        })
    }
}

/// How many movies a special list (trending, new releases) answers: 1 to [`SpecialLimit::MAX`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpecialLimit(u64);

impl SpecialLimit {
    /// The longest special list.
    pub const MAX: u64 = 50;

    /// `limit`, or `default` when none was asked; out of range is [`Error`] of kind `Invalid`
    /// naming `limit`.
    pub fn new(limit: Option<u64>, default: u64) -> Result<Self> {
        let limit = limit.unwrap_or(default);
        if (1..=Self::MAX).contains(&limit) {
            Ok(Self(limit))
        } else {
            Err(Error::invalid(
                "limit",
                format!("must be between 1 and {}", Self::MAX),
            ))
        }
    }

    /// The number of movies.
    pub fn get(self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use cinema_kernel::DomainError;

    use super::*;

    fn fields(input: MovieFilterInput) -> Vec<String> {
        match MovieFilter::new(input) {
            Ok(_) => Vec::new(),
            Err(e) => e.field_errors().into_iter().map(|f| f.field).collect(),
        }
    }

    #[test]
    fn every_broken_rule_is_named_at_once() {
        let broken = MovieFilterInput {
            year_from: Some(2001),
            year_to: Some(2000),
            imdb_min: Some(11.0),
            imdb_max: Some(5.0),
            price_min: Some(Money::from_cents(500).unwrap()),
            price_max: Some(Money::from_cents(499).unwrap()),
            star_ids: (0..=100).collect(),
            ..MovieFilterInput::default()
        };
        assert_eq!(
            fields(broken),
            ["imdb_min", "year_from", "price_min", "star_ids"]
        );
        let reversed_imdb = MovieFilterInput {
            imdb_min: Some(8.0),
            imdb_max: Some(7.5),
            ..MovieFilterInput::default()
        };
        assert_eq!(fields(reversed_imdb), ["imdb_min"]);
        assert!(fields(MovieFilterInput::default()).is_empty());
    }

    #[test]
    fn bounds_become_inclusive_tenths_and_cents() {
        let filter = MovieFilter::new(MovieFilterInput {
            imdb_min: Some(7.25),
            imdb_max: Some(8.0),
            price_max: Some(Money::from_cents(999).unwrap()),
            ..MovieFilterInput::default()
        })
        .unwrap();
        assert_eq!(filter.imdb_min_tenths, Some(73));
        assert_eq!(filter.imdb_max_tenths, Some(80));
        assert_eq!(filter.price_max_cents, Some(999));
    }

    #[test]
    fn cache_keys_tell_apart_what_debug_text_could_confuse() {
        let key = |input: MovieFilterInput| MovieFilter::new(input).unwrap().cache_key();
        let genres = MovieFilterInput {
            genre_ids: vec![1, 2],
            ..MovieFilterInput::default()
        };
        let stars = MovieFilterInput {
            star_ids: vec![1, 2],
            ..MovieFilterInput::default()
        };
        let searched = |q: &str| MovieFilterInput {
            search: Some(SearchQuery::new(q, &[])),
            ..MovieFilterInput::default()
        };
        let keys = [
            key(MovieFilterInput::default()),
            key(genres.clone()),
            key(stars),
            key(searched("dark knight")),
            key(searched("dark;g1")),
        ];
        for (i, a) in keys.iter().enumerate() {
            for b in &keys[i + 1..] {
                assert_ne!(a, b);
            }
        }
        assert_eq!(key(genres.clone()), key(genres));
        assert_eq!(Sort::cache_key(None), "");
        let by_rating = Sort {
            key: SortKey::Rating,
            descending: true,
        };
        assert_eq!(Sort::cache_key(Some(by_rating)), "rating:desc");
    }

    #[test]
    fn special_lists_take_one_to_fifty() {
        assert_eq!(SpecialLimit::new(None, 10).unwrap().get(), 10);
        assert_eq!(SpecialLimit::new(Some(50), 10).unwrap().get(), 50);
        for bad in [0, 51] {
            let e = SpecialLimit::new(Some(bad), 10).unwrap_err();
            assert_eq!(e.field_errors()[0].field, "limit");
        }
    }
}
