//! Query strings with repeated keys (`genre_ids=1&genre_ids=2`, also `genre_ids=1,2`), read
//! parameter by parameter so every bad value is named in the 422.

use std::{collections::HashMap, str::FromStr};

use cinema_kernel::FieldError;

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

    /// The last non-empty value of `name`.
    pub fn text(&self, name: &str) -> Option<String> {
        self.values
            .get(name)
            .and_then(|v| v.iter().rev().find(|s| !s.trim().is_empty()))
            .map(|s| s.trim().to_owned())
    }

    /// `name` parsed as `T`; a bad value is recorded with `what` ("an integer").
    pub fn value<T: FromStr>(&mut self, name: &str, what: &str) -> Option<T> {
        let raw = self.text(name)?;
        match raw.parse() {
            Ok(v) => Some(v),
            Err(_) => {
                self.errors.push(FieldError::new(
                    name,
                    format!("must be {what}, not `{raw}`"),
                ));
                None
            }
        }
    }

    /// Every id given for `name`, repeated or comma-separated.
    pub fn ids(&mut self, name: &str) -> Vec<i64> {
        let raw: Vec<String> = self
            .values
            .get(name)
            .into_iter()
            .flatten()
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
            .collect();
        let mut ids = Vec::new();
        for value in raw {
            match value.parse::<i64>() {
                Ok(id) if id > 0 => ids.push(id),
                _ => self.errors.push(FieldError::new(
                    name,
                    format!("must be positive integer ids, not `{value}`"),
                )),
            }
        }
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// Every value given for `name`, repeated or comma-separated.
    pub fn list(&self, name: &str) -> Vec<String> {
        self.values
            .get(name)
            .into_iter()
            .flatten()
            .flat_map(|v| v.split(','))
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
            .collect()
    }

    pub fn error(&mut self, name: &str, message: impl Into<String>) {
        self.errors.push(FieldError::new(name, message));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_and_comma_separated_ids_are_merged_and_bad_ones_named() {
        let mut p = Params::parse("genre_ids=3&genre_ids=1,2&genre_ids[]=3&x=1&star_ids=a");
        assert_eq!(p.ids("genre_ids"), [1, 2, 3]);
        assert!(p.ids("star_ids").is_empty());
        assert_eq!(p.errors[0].field, "star_ids");
        assert_eq!(p.value::<i64>("x", "an integer"), Some(1));
        assert_eq!(p.value::<i64>("missing", "an integer"), None);
    }
}
