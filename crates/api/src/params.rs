//! Query strings with repeated keys (`genre_ids=1&genre_ids=2`, also `genre_ids=1,2`), read
//! parameter by parameter so every bad value is named in the 422.

use std::{collections::HashMap, str::FromStr};

use cinema_kernel::{FieldError, text};

#[derive(Debug, Default)]
pub struct Params {
    values: HashMap<String, Vec<String>>,
    pub errors: Vec<FieldError>,
}

impl Params {
    pub fn parse(query: &str) -> Self {
        let mut values: HashMap<String, Vec<String>> = HashMap::new();
        for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
            let key = key.trim_end_matches("[]").to_owned();
            values.entry(key).or_default().push(value.into_owned());
        }
        Self {
            values,
            errors: Vec::new(),
        }
    }

    /// The last non-empty value of `name`, trimmed: for free text, where an empty value
    /// means "none".
    pub fn text(&self, name: &str) -> Option<String> {
        self.values
            .get(name)
            .and_then(|v| v.iter().rev().find(|s| !text::trim(s).is_empty()))
            .map(|s| text::trim(s).to_owned())
    }

    /// The last value of `name` as sent, empty or not: for typed values, where `limit=` is
    /// as wrong as `limit=abc`.
    pub fn raw(&self, name: &str) -> Option<String> {
        self.values.get(name).and_then(|v| v.last()).cloned()
    }

    /// `name` parsed as `T`; a bad (or empty) value is recorded with `what` ("an integer").
    pub fn value<T: FromStr>(&mut self, name: &str, what: &str) -> Option<T> {
        let raw = self.raw(name)?;
        match raw.parse() {
            Ok(v) => Some(v),
            Err(_) => {
                self.errors.push(FieldError::new(
                    name,
                    format!("must be {what}, not `{}`", shortened(&raw)),
                ));
                None
            }
        }
    }

    /// Every id given for `name`, repeated or comma-separated, sorted and without repeats;
    /// `None` when the parameter is absent. Ids that exist nowhere simply match nothing.
    pub fn ids(&mut self, name: &str) -> Option<Vec<i64>> {
        let values = self.values.get(name)?.clone();
        let mut ids = Vec::new();
        for value in values.iter().flat_map(|v| v.split(',')) {
            match value.trim().parse::<i64>() {
                Ok(id) => ids.push(id),
                Err(_) => self.errors.push(FieldError::new(
                    name,
                    format!("must be integer ids, not `{}`", shortened(value)),
                )),
            }
        }
        ids.sort_unstable();
        ids.dedup();
        Some(ids)
    }

    /// Every value given for `name`, repeated or comma-separated (empty ones included, for the
    /// caller to refuse).
    pub fn list(&self, name: &str) -> Vec<String> {
        self.values
            .get(name)
            .into_iter()
            .flatten()
            .flat_map(|v| v.split(','))
            .map(|v| v.trim().to_owned())
            .collect()
    }

    pub fn error(&mut self, name: &str, message: impl Into<String>) {
        self.errors.push(FieldError::new(name, message));
    }
}

/// A value as it is echoed in an error: at most 40 characters.
pub(crate) fn shortened(value: &str) -> String {
    cut(value, 40)
}

/// `value` cut to `max` characters, with `…` when something was cut.
pub(crate) fn cut(value: &str, max: usize) -> String {
    let mut chars = value.chars();
    let head: String = chars.by_ref().take(max).collect();
    if chars.next().is_some() {
        format!("{head}…")
    } else {
        head
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_and_comma_separated_ids_are_merged_and_bad_ones_named() {
        let mut p = Params::parse("genre_ids=3&genre_ids=1,2&genre_ids[]=3&x=1&star_ids=a&e=");
        assert_eq!(p.ids("genre_ids"), Some(vec![1, 2, 3]));
        assert_eq!(p.ids("star_ids"), Some(vec![]));
        assert_eq!(p.ids("director_ids"), None);
        assert_eq!(p.errors[0].field, "star_ids");
        assert_eq!(p.value::<i64>("x", "an integer"), Some(1));
        assert_eq!(p.value::<i64>("missing", "an integer"), None);
        assert_eq!(
            p.value::<i64>("e", "an integer"),
            None,
            "an empty value is not absent"
        );
        assert_eq!(p.errors.len(), 2);
    }
}
