//! Typed ids: one transparent newtype per kind of row another slice (or a library user) names,
//! so a user id can never be passed where a movie id is expected. On the wire and in the
//! database each is the plain integer it wraps (serde `transparent`, a SeaORM value type, an
//! `int64` schema for utoipa).

use std::fmt;

macro_rules! ids {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(
            Debug,
            Clone,
            Copy,
            PartialEq,
            Eq,
            PartialOrd,
            Ord,
            Hash,
            serde::Serialize,
            serde::Deserialize,
            sea_orm::DeriveValueType,
        )]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl $name {
            /// The integer it wraps.
            pub const fn get(self) -> i64 {
                self.0
            }
        }

        impl From<i64> for $name {
            fn from(id: i64) -> Self {
                Self(id)
            }
        }

        impl From<$name> for i64 {
            fn from(id: $name) -> Self {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                <i64 as utoipa::PartialSchema>::schema()
            }
        }

        impl utoipa::ToSchema for $name {}
    )*};
}

ids! {
    /// An account (`users.id`).
    UserId;
    /// A movie (`movies.id`).
    MovieId;
    /// An order (`orders.id`).
    OrderId;
    /// A payment (`payments.id`).
    PaymentId;
    /// A comment (`comments.id`).
    CommentId;
    /// A signed-in device (`sessions.id`).
    SessionId;
    /// A notification (`notifications.id`).
    NotificationId;
    /// A queued job (`jobs.id`).
    JobId;
}

/// A list of typed ids as the integers they wrap (for `IN (…)` filters).
pub fn raw<T: Copy + Into<i64>>(ids: &[T]) -> Vec<i64> {
    ids.iter().map(|&id| id.into()).collect()
}

/// Integers as typed ids.
pub fn typed<T: From<i64>>(ids: &[i64]) -> Vec<T> {
    ids.iter().map(|&id| T::from(id)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_their_integers_on_the_wire() {
        let id = MovieId(42);
        assert_eq!(serde_json::to_string(&id).unwrap(), "42");
        assert_eq!(serde_json::from_str::<MovieId>("42").unwrap(), id);
        assert_eq!(id.to_string(), "42");
        assert_eq!(i64::from(id), 42);
        assert_eq!(raw(&[UserId(1), UserId(2)]), [1, 2]);
        let value: sea_orm::Value = id.into();
        assert_eq!(value, sea_orm::Value::BigInt(Some(42)));
    }
}
