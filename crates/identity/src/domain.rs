//! Parsed account values: a value of these types is valid by construction.

use cinema_kernel::Fail;
use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// `USER` < `MODERATOR` < `ADMIN`; each has the rights of the ones before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Role {
    /// A customer.
    User,
    /// Runs the catalog.
    Moderator,
    /// Runs users, orders and payments.
    Admin,
}

impl Role {
    /// The `user_groups.id` seeded by the migration.
    pub fn group_id(self) -> i32 {
        match self {
            Role::User => 1,
            Role::Moderator => 2,
            Role::Admin => 3,
        }
    }

    /// The role stored as `group_id` (1 user, 2 moderator, 3 admin).
    pub fn from_group_id(id: i32) -> Option<Self> {
        match id {
            1 => Some(Role::User),
            2 => Some(Role::Moderator),
            3 => Some(Role::Admin),
            _ => None,
        }
    }

    /// Its name on the wire: `USER`, `MODERATOR` or `ADMIN`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "USER",
            Role::Moderator => "MODERATOR",
            Role::Admin => "ADMIN",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_uppercase().as_str() {
            "USER" => Ok(Role::User),
            "MODERATOR" => Ok(Role::Moderator),
            "ADMIN" => Ok(Role::Admin),
            other => Err(format!("unknown role `{other}` (USER, MODERATOR, ADMIN)")),
        }
    }
}

/// A syntactically plausible, lower-cased e-mail address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

/// The characters an address may hold besides ASCII letters and digits: those of an unquoted
/// local part (RFC 5322 "atext") and the dot. Addresses are ASCII: a non-ASCII one would need
/// SMTPUTF8 from every relay on the way, so it is refused at the door with a clear 422.
const EMAIL_SYMBOLS: &str = "!#$%&'*+/=?^_`{|}~.-";

/// [`Email::parse`]'s rule as a JSON Schema pattern, for the API's documentation.
pub const EMAIL_PATTERN: &str = r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$";

/// The longest address accepted.
pub const EMAIL_MAX_LEN: usize = 320;

/// Whether `domain` is a DNS host name mail can be delivered to: two labels or more, each 1 to
/// 63 letters, digits and inner hyphens, the last starting with a letter (`a@-b.com` and
/// `a@b.123` are not).
fn is_host_name(domain: &str) -> bool {
    let label = |l: &str| {
        (1..=63).contains(&l.len())
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    let labels: Vec<&str> = domain.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|l| label(l))
        && labels
            .last()
            .is_some_and(|tld| tld.starts_with(|c: char| c.is_ascii_alphabetic()))
}

impl Email {
    /// Trims and lower-cases `raw`; anything but a plausible address is refused, named `email`.
    pub fn parse(raw: &str) -> Result<Self> {
        let email = raw.trim().to_lowercase();
        let invalid = |m: &str| Err(Error::invalid("email", m));
        if email.is_empty() || email.len() > EMAIL_MAX_LEN {
            return invalid("must be an e-mail address of at most 320 characters");
        }
        let Some((local, domain)) = email.split_once('@') else {
            return invalid("must be an e-mail address like name@example.com");
        };
        if !email.is_ascii() {
            return invalid(
                "must be an ASCII e-mail address (internationalised addresses are not supported)",
            );
        }
        let allowed = |c: char| c.is_ascii_alphanumeric() || EMAIL_SYMBOLS.contains(c);
        let plausible = !local.is_empty()
            && local.len() <= 64
            && local.chars().all(allowed)
            && is_host_name(domain);
        if !plausible {
            return invalid("must be an e-mail address like name@example.com");
        }
        Ok(Self(email))
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The special characters a password must contain one of.
pub const PASSWORD_SPECIALS: &str = "@$!%*?#&";

/// A password that meets the policy. Never printed.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    /// 8–128 characters with an upper-case letter, a lower-case letter, a digit and one of
    /// `@$!%*?#&`. Each failed rule is named.
    pub fn parse(raw: &str, field: &str) -> Result<Self> {
        let chars = raw.chars().count();
        let mut problems = Vec::new();
        if !(8..=128).contains(&chars) {
            problems.push("must be 8 to 128 characters long");
        }
        if !raw.chars().any(char::is_uppercase) {
            problems.push("must contain an upper-case letter");
        }
        if !raw.chars().any(char::is_lowercase) {
            problems.push("must contain a lower-case letter");
        }
        if !raw.chars().any(|c| c.is_ascii_digit()) {
            problems.push("must contain a digit");
        }
        if !raw.chars().any(|c| PASSWORD_SPECIALS.contains(c)) {
            problems.push("must contain one of @$!%*?#&");
        }
        if problems.is_empty() {
            Ok(Self(raw.to_owned()))
        } else {
            Err(Error::invalid(field, problems.join("; ")))
        }
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_ascii_and_follow_the_documented_rule() {
        for ok in [
            "ann@example.com",
            " Ann.Lee+films@Mail.Example.ORG ",
            "o'neil@x.io",
            "a@b.c",
        ] {
            assert!(Email::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "ann",
            "@example.com",
            "ann@",
            "ann@localhost",
            "ann@.example.com",
            "ann@example.com.",
            "ann@ex ample.com",
            "ann@exa\u{0}mple.com",
            "anné@example.com",
            "ann@exämple.com",
            "a\"b@example.com",
            "ann@example@com",
            "a@-b.com",
            "a@b-.com",
            "a@b..com",
            "a@b_c.com",
            "a@example.123",
            "a@b.c-",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Email::parse(&format!("{}@x.io", "a".repeat(65))).is_err());
        assert!(Email::parse(&format!("a@{}.io", "b".repeat(64))).is_err());
        assert!(Email::parse("a@x-1.example.co").is_ok());
    }

    #[test]
    fn emails_are_lower_cased_and_checked() {
        assert_eq!(
            Email::parse("  Ann@Example.COM ").unwrap().as_str(),
            "ann@example.com"
        );
        for bad in [
            "",
            "ann",
            "ann@",
            "@example.com",
            "ann@example",
            "a b@example.com",
            "a@b@c.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_password_policy_names_each_broken_rule() {
        assert!(Password::parse("Secret#123", "password").is_ok());
        let Err(error) = Password::parse("short", "password") else {
            panic!("expected a validation error");
        };
        let errors = cinema_kernel::DomainError::field_errors(&error);
        let message = &errors[0].message;
        for rule in ["8 to 128", "upper-case", "digit", "one of"] {
            assert!(message.contains(rule), "{message}");
        }
        assert!(!message.contains("lower-case"));
        let long = format!("Aa1#{}", "x".repeat(125));
        assert!(Password::parse(&long, "password").is_err());
        let longest = format!("Aa1#{}", "x".repeat(124));
        assert!(Password::parse(&longest, "password").is_ok());
    }

    #[test]
    fn passwords_never_show_in_debug() {
        let p = Password::parse("Secret#123", "password").unwrap();
        assert!(!format!("{p:?}").contains("Secret"));
    }

    #[test]
    fn roles_are_ordered_by_rights() {
        assert!(Role::User < Role::Moderator && Role::Moderator < Role::Admin);
        assert_eq!("admin".parse::<Role>().unwrap(), Role::Admin);
        assert_eq!(
            Role::from_group_id(Role::Moderator.group_id()),
            Some(Role::Moderator)
        );
    }
}
