//! Partial updates: a JSON object where an absent key keeps a field, `null` clears it, and a
//! value sets it. Each key is typed on its own so a bad one is named in the 422.

use cinema_kernel::FieldError;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// Reads JSON objects key by key, collecting every type error.
#[derive(Debug)]
pub struct PatchReader<'a> {
    body: &'a Map<String, Value>,
    pub errors: Vec<FieldError>,
}

impl<'a> PatchReader<'a> {
    pub fn new(body: &'a Map<String, Value>) -> Self {
        Self {
            body,
            errors: Vec::new(),
        }
    }

    /// `None` when absent, `Some(None)` for `null`, `Some(Some(v))` for a value of type `T`.
    pub fn nullable<T: DeserializeOwned>(&mut self, name: &str) -> Option<Option<T>> {
        match self.body.get(name)? {
            Value::Null => Some(None),
            value => match crate::body::from_value(value.clone(), name) {
                Ok(v) => Some(Some(v)),
                Err(e) => {
                    self.errors.extend_from_slice(e.field_errors());
                    None
                }
            },
        }
    }

    /// A field that cannot be cleared: `null` is an error.
    pub fn required<T: DeserializeOwned>(&mut self, name: &str) -> Option<T> {
        match self.nullable(name)? {
            Some(v) => Some(v),
            None => {
                self.errors.push(FieldError::new(name, "cannot be null"));
                None
            }
        }
    }
}

/// For `#[serde(default, deserialize_with = "present")]`: a field that may be left out but, when
/// sent, must hold a value (`null` is refused rather than read as "left out").
pub fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}
