//! Exact money: integer cents inside, a two-decimal string on the wire.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Deserializer, Serialize, Serializer, de};

/// A non-negative amount in cents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(i64);

/// Why an amount was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("must be a decimal amount like 9.99")]
    /// Not a decimal amount.
    Malformed,
    #[error("must have at most 2 decimal places")]
    /// More than two decimal places.
    TooPrecise,
    #[error("must not be negative")]
    /// Below zero.
    Negative,
    #[error("is too large")]
    /// Beyond what an `i64` of cents holds.
    TooLarge,
}

impl Money {
    /// Nothing.
    pub const ZERO: Money = Money(0);

    /// A constant amount; a negative one is zero.
    pub const fn from_cents_const(cents: i64) -> Self {
        Self(if cents < 0 { 0 } else { cents })
    }

    /// `cents` cents; a negative amount is refused.
    pub fn from_cents(cents: i64) -> Result<Self, MoneyError> {
        if cents < 0 {
            return Err(MoneyError::Negative);
        }
        Ok(Self(cents))
    }

    /// The amount in cents.
    pub fn cents(self) -> i64 {
        self.0
    }

    /// `self - other`, which may be below zero: for reports (a period's revenue less its
    /// refunds), never for an amount to charge. Saturates instead of wrapping.
    pub fn minus(self, other: Money) -> Money {
        Money(self.0.saturating_sub(other.0))
    }

    /// The sum of amounts in cents, or `None` when it would not fit (never a wrapped number).
    pub fn checked_sum(cents: impl IntoIterator<Item = i64>) -> Option<Money> {
        cents
            .into_iter()
            .try_fold(0i64, |sum, c| if c < 0 { None } else { sum.checked_add(c) })
            .map(Money)
    }
}

impl FromStr for Money {
    type Err = MoneyError;

    /// Parses `9`, `9.9`, `9.99` exactly, never through a float (19.99 stays 1999 cents).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.starts_with('-') {
            return Err(MoneyError::Negative);
        }
        let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
        if whole.is_empty() && frac.is_empty()
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
            || (s.contains('.') && frac.is_empty())
        {
            return Err(MoneyError::Malformed);
        }
        if frac.len() > 2 {
            return Err(MoneyError::TooPrecise);
        }
        let whole: i64 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| MoneyError::TooLarge)?
        };
        let frac: i64 = format!("{frac:0<2}")
            .parse()
            .map_err(|_| MoneyError::Malformed)?;
        whole
            .checked_mul(100)
            .and_then(|c| c.checked_add(frac))
            .map(Money)
            .ok_or(MoneyError::TooLarge)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // On the magnitude, so -1.50 is not `-1.-50` and -0.50 keeps its sign.
        let sign = if self.0 < 0 { "-" } else { "" };
        let cents = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", cents / 100, cents % 100)
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Accepts a string (`"9.99"`) or a JSON number (`9.99`), read from its decimal text.
impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = serde_json::Value::deserialize(d)?;
        let text = match &raw {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Number(n) => n.to_string(),
            _ => return Err(de::Error::custom("must be a decimal amount like 9.99")),
        };
        text.parse().map_err(de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negative_amounts_keep_their_sign_and_cents() {
        // Not constructible from outside (amounts are never negative), but a difference of
        // amounts may be one day: its text must be right.
        for (cents, text) in [
            (-150, "-1.50"),
            (-50, "-0.50"),
            (-5, "-0.05"),
            (0, "0.00"),
            (5, "0.05"),
            (150, "1.50"),
        ] {
            assert_eq!(Money(cents).to_string(), text);
        }
        assert_eq!(Money(100).minus(Money(250)).to_string(), "-1.50");
        assert_eq!(Money(i64::MIN).to_string(), "-92233720368547758.08");
    }

    #[test]
    fn amounts_parse_exactly() {
        for (text, cents) in [
            ("19.99", 1999),
            ("0", 0),
            ("9.9", 990),
            ("12", 1200),
            (".5", 50),
            ("0.01", 1),
        ] {
            assert_eq!(text.parse::<Money>().unwrap().cents(), cents, "{text}");
        }
        assert_eq!("1.999".parse::<Money>(), Err(MoneyError::TooPrecise));
        assert_eq!("-1".parse::<Money>(), Err(MoneyError::Negative));
        for bad in ["", "abc", "1.", "1,5", "1e3", "."] {
            assert!(bad.parse::<Money>().is_err(), "{bad}");
        }
    }

    #[test]
    fn json_numbers_and_strings_are_accepted_and_strings_are_sent() {
        let m: Money = serde_json::from_str("19.99").unwrap();
        assert_eq!(m.cents(), 1999);
        let m: Money = serde_json::from_str("\"2.50\"").unwrap();
        assert_eq!(serde_json::to_string(&m).unwrap(), "\"2.50\"");
        assert!(serde_json::from_str::<Money>("1.234").is_err());
    }
}
