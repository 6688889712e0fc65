//! What a moderator sends to create or change a movie, checked field by field.

use cinema_kernel::Fail;
use cinema_kernel::time::Clock;
use cinema_kernel::{FieldError, Money};

use crate::{Error, Result};

/// A complete movie, as created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MovieInput {
    /// The title.
    pub name: String,
    /// The release year.
    pub year: i32,
    /// Running time in minutes.
    pub time: i32,
    /// IMDb score × 10 (85 = 8.5).
    pub imdb_tenths: i32,
    /// IMDb votes.
    pub votes: i64,
    /// Metascore (0–100).
    pub meta_score: Option<i32>,
    /// Box-office gross.
    pub gross: Option<Money>,
    /// The plot.
    pub description: String,
    /// What it costs.
    pub price: Money,
    /// Its certification.
    pub certification_id: i64,
    /// Its genres.
    pub genre_ids: Vec<i64>,
    /// Its directors.
    pub director_ids: Vec<i64>,
    /// Its stars.
    pub star_ids: Vec<i64>,
}

/// A partial change: `None` keeps a field; `Some(None)` clears an optional one; a sent id
/// list replaces the set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MoviePatch {
    /// A new title.
    pub name: Option<String>,
    /// A new release year.
    pub year: Option<i32>,
    /// A new running time.
    pub time: Option<i32>,
    /// A new IMDb score × 10.
    pub imdb_tenths: Option<i32>,
    /// New IMDb votes.
    pub votes: Option<i64>,
    /// A new Metascore, or `Some(None)` to clear it.
    pub meta_score: Option<Option<i32>>,
    /// A new gross, or `Some(None)` to clear it.
    pub gross: Option<Option<Money>>,
    /// A new plot.
    pub description: Option<String>,
    /// A new price.
    pub price: Option<Money>,
    /// A new certification.
    pub certification_id: Option<i64>,
    /// Its genres, replacing the current ones.
    pub genre_ids: Option<Vec<i64>>,
    /// Its directors, replacing the current ones.
    pub director_ids: Option<Vec<i64>>,
    /// Its stars, replacing the current ones.
    pub star_ids: Option<Vec<i64>>,
}

impl MoviePatch {
    /// Whether it changes nothing.
    pub fn is_empty(&self) -> bool {
        *self == MoviePatch::default()
    }
}

/// A JSON IMDb score (0–10, one decimal) as tenths.
pub fn parse_imdb(value: f64) -> Result<i32, String> {
    let tenths = (value * 10.0).round();
    if !(0.0..=10.0).contains(&value) {
        return Err("must be between 0 and 10".into());
    }
    if (value * 10.0 - tenths).abs() > 1e-6 {
        return Err("must have at most one decimal".into());
    }
    // In 0..=100 after the checks above.
    Ok(tenths as i32)
}

impl MovieInput {
    /// Checks every range of the product contract; names each bad field.
    pub fn validate(&mut self, clock: &Clock) -> Result<()> {
        let mut errors = Vec::new();
        check_fields(
            &mut errors,
            clock,
            Fields {
                name: Some(&self.name),
                year: Some(self.year),
                time: Some(self.time),
                imdb_tenths: Some(self.imdb_tenths),
                votes: Some(self.votes),
                meta_score: self.meta_score,
                description: Some(&self.description),
            },
        );
        check_id_lists(
            &mut errors,
            [
                ("genre_ids", Some(&self.genre_ids)),
                ("director_ids", Some(&self.director_ids)),
                ("star_ids", Some(&self.star_ids)),
            ],
        );
        self.name = cinema_kernel::text::trim(&self.name).to_owned();
        self.genre_ids = dedup(&self.genre_ids);
        self.director_ids = dedup(&self.director_ids);
        self.star_ids = dedup(&self.star_ids);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Error::invalid_fields(errors))
        }
    }
}

impl MoviePatch {
    /// Checks every sent field against the ranges of the product contract; names each bad field.
    pub fn validate(&mut self, clock: &Clock) -> Result<()> {
        let mut errors = Vec::new();
        check_fields(
            &mut errors,
            clock,
            Fields {
                name: self.name.as_ref(),
                year: self.year,
                time: self.time,
                imdb_tenths: self.imdb_tenths,
                votes: self.votes,
                meta_score: self.meta_score.flatten(),
                description: self.description.as_ref(),
            },
        );
        check_id_lists(
            &mut errors,
            [
                ("genre_ids", self.genre_ids.as_ref()),
                ("director_ids", self.director_ids.as_ref()),
                ("star_ids", self.star_ids.as_ref()),
            ],
        );
        if let Some(name) = self.name.as_mut() {
            *name = cinema_kernel::text::trim(name).to_owned();
        }
        for list in [
            &mut self.genre_ids,
            &mut self.director_ids,
            &mut self.star_ids,
        ] {
            if let Some(ids) = list.as_mut() {
                *ids = dedup(ids);
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Error::invalid_fields(errors))
        }
    }
}

/// The longest id list a movie takes (genres, directors, stars each).
pub const MAX_LINKED_IDS: usize = 100;

fn check_id_lists(errors: &mut Vec<FieldError>, lists: [(&str, Option<&Vec<i64>>); 3]) {
    for (field, ids) in lists {
        if ids.is_some_and(|ids| ids.len() > MAX_LINKED_IDS) {
            errors.push(FieldError::new(
                field,
                format!("must list at most {MAX_LINKED_IDS} ids"),
            ));
        }
    }
}

fn dedup(ids: &[i64]) -> Vec<i64> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// The latest acceptable release year: next year + 5.
fn max_year(clock: &Clock) -> i32 {
    use chrono::Datelike;
    clock.today().year() + 6
}

/// The plain fields of a movie or a patch, those sent.
struct Fields<'a> {
    name: Option<&'a String>,
    year: Option<i32>,
    time: Option<i32>,
    imdb_tenths: Option<i32>,
    votes: Option<i64>,
    meta_score: Option<i32>,
    description: Option<&'a String>,
}

fn check_fields(errors: &mut Vec<FieldError>, clock: &Clock, fields: Fields<'_>) {
    let Fields {
        name,
        year,
        time,
        imdb_tenths,
        votes,
        meta_score,
        description,
    } = fields;
    // The length counts the name as sent (as its documented `maxLength` does); white space
    // around it is trimmed afterwards.
    if let Some(name) = name
        && (!cinema_kernel::text::has_visible(name) || name.chars().count() > 500)
    {
        errors.push(FieldError::new(
            "name",
            "must be 1 to 500 characters, at least one of them visible",
        ));
    }
    if let Some(year) = year
        && !(1888..=max_year(clock)).contains(&year)
    {
        errors.push(FieldError::new(
            "year",
            format!("must be between 1888 and {}", max_year(clock)),
        ));
    }
    if let Some(time) = time
        && time <= 0
    {
        errors.push(FieldError::new(
            "time",
            "must be a positive number of minutes",
        ));
    }
    if let Some(imdb) = imdb_tenths
        && !(0..=100).contains(&imdb)
    {
        errors.push(FieldError::new("imdb", "must be between 0 and 10"));
    }
    if let Some(votes) = votes
        && votes < 0
    {
        errors.push(FieldError::new("votes", "must not be negative"));
    }
    if let Some(score) = meta_score
        && !(0..=100).contains(&score)
    {
        errors.push(FieldError::new("meta_score", "must be between 0 and 100"));
    }
    if let Some(description) = description
        && description.chars().count() > MAX_DESCRIPTION_CHARS
    {
        errors.push(FieldError::new(
            "description",
            format!("must be at most {MAX_DESCRIPTION_CHARS} characters"),
        ));
    }
}

/// A synopsis, not a script: also keeps the search index's entry of a movie small.
pub const MAX_DESCRIPTION_CHARS: usize = 10_000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imdb_scores_have_one_decimal_between_0_and_10() {
        assert_eq!(parse_imdb(8.5), Ok(85));
        assert_eq!(parse_imdb(0.0), Ok(0));
        assert_eq!(parse_imdb(10.0), Ok(100));
        assert!(parse_imdb(8.55).is_err());
        assert!(parse_imdb(10.1).is_err());
        assert!(parse_imdb(-0.1).is_err());
    }
}
