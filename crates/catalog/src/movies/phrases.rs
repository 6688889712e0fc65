//! Phrase searches on PostgreSQL from `movie_phrases` (one row per phrase term holding its
//! movies' ids; see the `movie_phrases` migration), ordered in memory.
//!
//! The GIN path ([`super::search`]) finds a phrase's movies as row addresses and visits each
//! movie row for its id and votes: ~300 random visits per phrase, the whole cost of a cold
//! search. Here the database reads one row per field and pair (a prefix is a range of terms)
//! and the ids come with them; a movie matches in a field when it holds every pair of the
//! phrase there, ranks by its best field, then by its votes — from the labels, which hold
//! every movie's votes while the cache is on — then by id: the order of the GIN path.
//!
//! Used with the cache on, for a phrase alone in relevance order (what the search box asks);
//! anything else, or a match the labels do not know yet, takes the GIN path.

use std::cmp::Reverse;

use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};

use super::{
    labels::Labels,
    search::{FieldTerms, SearchQuery},
};
use crate::Result;

/// Above every character a word can hold (letters and digits): `prefix` followed by it bounds
/// the terms that start with `prefix`, bytewise (the table's `COLLATE "C"`).
const AFTER_EVERY_WORD: char = char::MAX;

/// The ids of the movies matching this phrase, best first; `None` when this path cannot
/// answer (not PostgreSQL, a single word, a match the labels do not know).
pub(super) async fn ranked<C: ConnectionTrait>(
    db: &C,
    search: &SearchQuery,
    labels: &Labels,
) -> Result<Option<Vec<i64>>> {
    let Some(fields) = search.phrase_terms() else {
        return Ok(None);
    };
    if db.get_database_backend() != DbBackend::Postgres || fields.is_empty() {
        return Ok(None);
    }
    let Some(postings) = read(db, &fields).await? else {
        return Ok(None);
    };
    // Every match with the relevance of each field it matched in; then each movie once, with
    // its best.
    let mut matched: Vec<(i64, Reverse<u8>)> = Vec::new();
    for terms in &fields {
        let relevance = Reverse(terms.field.relevance());
        matched.extend(
            matches_in(terms, &postings)
                .into_iter()
                .map(|id| (id, relevance)),
        );
    }
    matched.sort_unstable();
    matched.dedup_by_key(|(id, _)| *id);
    let mut order = Vec::with_capacity(matched.len());
    for (id, relevance) in matched {
        let Some(votes) = labels.votes(id) else {
            return Ok(None);
        };
        order.push((relevance, Reverse(votes), id));
    }
    order.sort_unstable();
    Ok(Some(order.into_iter().map(|(_, _, id)| id).collect()))
}

/// The movies holding every pair of the phrase in this field, ascending (as each row's are,
/// once read).
fn matches_in(terms: &FieldTerms, postings: &[(String, Vec<i64>)]) -> Vec<i64> {
    let mut found: Vec<i64> = postings
        .iter()
        .filter(|(term, _)| term.starts_with(&terms.prefix))
        .flat_map(|(_, ids)| ids.iter().copied())
        .collect();
    found.sort_unstable();
    found.dedup();
    for exact in &terms.exact {
        let holding = postings
            .iter()
            .find(|(term, _)| term == exact)
            .map_or(&[][..], |(_, ids)| ids.as_slice());
        found.retain(|id| holding.binary_search(id).is_ok());
    }
    found
}

/// Every row of `movie_phrases` the fields ask for, in one statement: the exact terms, and
/// the range of each field's prefix. `None` if a row does not read as ids.
async fn read<C: ConnectionTrait>(
    db: &C,
    fields: &[FieldTerms],
) -> Result<Option<Vec<(String, Vec<i64>)>>> {
    let mut tests = Vec::new();
    let mut values: Vec<Value> = Vec::new();
    let bind = |value: String, values: &mut Vec<Value>| {
        values.push(Value::from(value));
        format!("${}", values.len())
    };
    let mut exact = Vec::new();
    for term in fields.iter().flat_map(|f| &f.exact) {
        exact.push(bind(term.clone(), &mut values));
    }
    if !exact.is_empty() {
        tests.push(format!("term IN ({})", exact.join(", ")));
    }
    for field in fields {
        let from = bind(field.prefix.clone(), &mut values);
        let to = bind(format!("{}{AFTER_EVERY_WORD}", field.prefix), &mut values);
        tests.push(format!("(term >= {from} AND term < {to})"));
    }
    // The ids as text: one value per row, parsed here, where a `bigint[]` would need the
    // driver's array support for this one statement.
    let sql = format!(
        "SELECT term, array_to_string(movie_ids, ',') FROM movie_phrases WHERE {}",
        tests.join(" OR ")
    );
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            values,
        ))
        .await?;
    let mut postings = Vec::with_capacity(rows.len());
    for row in rows {
        let term: String = row.try_get_by_index(0)?;
        let ids: String = row.try_get_by_index(1)?;
        let Ok(mut ids) = ids
            .split(',')
            .filter(|id| !id.is_empty())
            .map(str::parse)
            .collect::<std::result::Result<Vec<i64>, _>>()
        else {
            return Ok(None);
        };
        ids.sort_unstable(); // the table keeps them in no order
        postings.push((term, ids));
    }
    Ok(Some(postings))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::movies::SearchField;

    fn postings() -> Vec<(String, Vec<i64>)> {
        [
            ("p:dark_knight", vec![1, 2, 3]),
            ("p:knight_rises", vec![1, 4]),
            ("p:knight_returns", vec![2]),
            ("p:knight_r", vec![3]),
            ("t:knight_returns", vec![5]),
        ]
        .into_iter()
        .map(|(term, ids)| (term.to_owned(), ids))
        .collect()
    }

    #[test]
    fn a_field_matches_the_movies_holding_every_pair_there() {
        let terms = |exact: &[&str], prefix: &str| FieldTerms {
            field: SearchField::Description,
            exact: exact.iter().map(|t| (*t).to_owned()).collect(),
            prefix: prefix.to_owned(),
        };
        // "knight r": any pair whose second word starts with r, in the plot only.
        assert_eq!(
            matches_in(&terms(&[], "p:knight_r"), &postings()),
            [1, 2, 3, 4]
        );
        // "dark knight r": also "dark knight" in the same field.
        assert_eq!(
            matches_in(&terms(&["p:dark_knight"], "p:knight_r"), &postings()),
            [1, 2, 3]
        );
        assert_eq!(
            matches_in(&terms(&["p:dark_night"], "p:knight_r"), &postings()),
            Vec::<i64>::new()
        );
    }

    #[test]
    fn the_prefix_bound_is_above_every_word_character() {
        for c in ['z', '9', 'é', 'ж', '語', '\u{10FFFD}'] {
            assert!(c < AFTER_EVERY_WORD);
        }
    }
}
