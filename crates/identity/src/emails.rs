//! The e-mails identity sends, each with the templates it owns. They are queued through the
//! kernel's [`Outbox`](cinema_kernel::mail::Outbox) port in the transaction of the change that
//! causes them; `cinema-notify` renders them inside its shared layout, escaping every value.

use cinema_kernel::mail::{Email, Template};
use serde::Serialize;

macro_rules! template {
    ($name:literal) => {
        Template {
            name: concat!("identity.", $name),
            html: include_str!(concat!("templates/", $name, ".html")),
            text: include_str!(concat!("templates/", $name, ".txt")),
        }
    };
}

/// Sent at registration and on "resend activation".
#[derive(Debug, Clone, Serialize)]
pub struct Activation {
    /// The recipient.
    pub email: String,
    /// The activation link.
    pub link: String,
    /// How long the link works.
    pub valid_hours: u32,
}

impl Email for Activation {
    const TEMPLATE: Template = template!("activation");
    const CARRIES_SECRET: bool = true;
    fn subject(&self) -> String {
        "Activate your account".to_owned()
    }
}

/// Sent once an account is activated.
#[derive(Debug, Clone, Serialize)]
pub struct AccountActivated {
    /// The recipient.
    pub email: String,
    /// Where to sign in.
    pub login_link: String,
}

impl Email for AccountActivated {
    const TEMPLATE: Template = template!("account_activated");
    fn subject(&self) -> String {
        "Your account is active".to_owned()
    }
}

/// Sent on a password-reset request for an active account.
#[derive(Debug, Clone, Serialize)]
pub struct PasswordReset {
    /// The recipient.
    pub email: String,
    /// The one-time reset link.
    pub link: String,
    /// How long the link works.
    pub valid_minutes: u32,
}

impl Email for PasswordReset {
    const TEMPLATE: Template = template!("password_reset");
    const CARRIES_SECRET: bool = true;
    fn subject(&self) -> String {
        "Reset your password".to_owned()
    }
}

/// Sent after a password change or reset.
#[derive(Debug, Clone, Serialize)]
pub struct PasswordChanged {
    /// The recipient.
    pub email: String,
    /// RFC 3339, UTC.
    pub changed_at: String,
    /// Where to reset the password if the change was not theirs.
    pub reset_link: String,
}

impl Email for PasswordChanged {
    const TEMPLATE: Template = template!("password_changed");
    fn subject(&self) -> String {
        "Your password was changed".to_owned()
    }
}
