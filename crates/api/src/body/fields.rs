//! What a JSON body's values are checked for, field by field, and how each failure is said in
//! the client's terms: unknown fields, control and bidirectional characters, integral numbers,
//! and serde's messages turned into a field and a plain sentence.

use super::FREE_FORM_FIELDS;
use cinema_kernel::FieldError;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// The fields of `T` when it is a struct, learnt by asking it to deserialize itself from a
/// deserializer that only records what it is asked for.
pub(super) fn struct_fields<T: DeserializeOwned>() -> Option<&'static [&'static str]> {
    struct Probe(Option<&'static [&'static str]>);

    #[derive(Debug)]
    struct Stop;

    impl std::fmt::Display for Stop {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("probe")
        }
    }

    impl std::error::Error for Stop {}

    impl serde::de::Error for Stop {
        fn custom<M: std::fmt::Display>(_: M) -> Self {
            Stop
        }
    }

    impl<'de> serde::Deserializer<'de> for &mut Probe {
        type Error = Stop;

        fn deserialize_any<V: serde::de::Visitor<'de>>(self, _: V) -> Result<V::Value, Stop> {
            Err(Stop)
        }

        fn deserialize_struct<V: serde::de::Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Stop> {
            self.0 = Some(fields);
            Err(Stop)
        }

        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
            byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map enum
            identifier ignored_any
        }
    }

    let mut probe = Probe(None);
    let _ = T::deserialize(&mut probe);
    probe.0
}

/// Refuses control characters in strings: all of them in single-line fields, all but tab and
/// line breaks in free-form ones.
pub(super) fn check_text(value: &Value, path: &str, errors: &mut Vec<FieldError>) {
    match value {
        Value::String(s) => {
            let field = path.rsplit('.').next().unwrap_or(path);
            let free_form = FREE_FORM_FIELDS.contains(&field);
            if s.chars().any(cinema_kernel::text::is_bidi_control) {
                errors.push(FieldError::new(
                    display_path(path),
                    "must not contain bidirectional override or isolate characters \
                     (U+202A–U+202E, U+2066–U+2069)",
                ));
            } else if s
                .chars()
                .any(|c| c.is_control() && !(free_form && matches!(c, '\t' | '\n' | '\r')))
            {
                let rule = if free_form {
                    "must not contain control characters other than tabs and line breaks"
                } else {
                    "must not contain control characters (tabs and line breaks included)"
                };
                errors.push(FieldError::new(display_path(path), rule));
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                check_text(item, &format!("{path}[{i}]"), errors);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                let child = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                check_text(item, &child, errors);
            }
        }
        _ => {}
    }
}

pub(super) fn display_path(path: &str) -> String {
    if path.is_empty() || path == "." {
        "body".to_owned()
    } else {
        path.to_owned()
    }
}

/// Rewrites every float with no fractional part (within `i64`) as an integer.
pub(super) fn integral_numbers_as_integers(value: &mut Value) {
    match value {
        Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64()
                && f.fract() == 0.0
                && f.abs() < 9.0e15
            {
                // Exact: every integer below 2^53 is a float without rounding.
                *value = Value::from(f as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_numbers_as_integers),
        Value::Object(map) => map.values_mut().for_each(integral_numbers_as_integers),
        _ => {}
    }
}

/// serde's message, said in the client's terms: the field and the rule, no Rust type names,
/// no echo of the input.
pub(crate) fn describe(path: &str, message: &str) -> FieldError {
    if let Some(rest) = message.strip_prefix("missing field `") {
        let name = rest.split('`').next().unwrap_or("");
        let field = match display_path(path).as_str() {
            "body" => name.to_owned(),
            parent => format!("{parent}.{name}"),
        };
        return FieldError::new(field, "is required");
    }
    let field = display_path(path);
    let expected = message.rsplit_once(", expected ").map(|(_, e)| e);
    let rule = if message.starts_with("unknown variant") {
        let options = expected
            .unwrap_or("")
            .replace("one of ", "")
            .replace('`', "");
        format!("must be one of {options}")
    } else if message.starts_with("invalid type") || message.starts_with("invalid value") {
        format!(
            "must be {}",
            expected.map_or("of the documented type", human_type)
        )
    } else if message.starts_with("invalid length") {
        match expected {
            // A list where an object belongs.
            Some(e) if e.contains("struct") => "must be an object".to_owned(),
            Some(e) => format!("must have {e}"),
            None => "must have the documented number of items".to_owned(),
        }
    } else {
        // Our own types' messages (money, dates): already written for people; bounded.
        message.chars().take(200).collect()
    };
    FieldError::new(field, rule)
}

/// What serde expected, in JSON's words.
pub(super) fn human_type(expected: &str) -> &'static str {
    let unsigned = ["u8", "u16", "u32", "u64", "usize"];
    let signed = ["i8", "i16", "i32", "i64", "isize", "integer"];
    if unsigned.iter().any(|t| expected.contains(t)) {
        "a whole number, 0 or more"
    } else if signed.iter().any(|t| expected.contains(t)) {
        "a whole number"
    } else if expected.contains("f32") || expected.contains("f64") || expected.contains("float") {
        "a number"
    } else if expected.contains("bool") {
        "true or false"
    } else if expected.contains("sequence") {
        "a list"
    } else if expected.contains("struct") || expected.contains("map") {
        "an object"
    } else if expected.contains("date") {
        "a date (YYYY-MM-DD)"
    } else if expected.contains("string") || expected.contains("char") {
        "a string"
    } else {
        "of the documented type"
    }
}
