//! The e-mails the product sends, each a typed context for its template pair.

use sea_orm::ConnectionTrait;
use serde::Serialize;

use crate::{JobQueue, NewJob, Result, Templates, mail::EMAIL_JOB};

/// A message type: its template pair (`NAME.html`, `NAME.txt`) and subject.
pub trait EmailTemplate: Serialize + Sync {
    const NAME: &'static str;
    fn subject(&self) -> String;
}

/// Renders `email` for `to` and queues it on `conn` — pass the transaction of the change that
/// causes the message, so the two commit or roll back together.
pub async fn enqueue_email<C, T>(
    conn: &C,
    templates: &Templates,
    to: &str,
    email: &T,
) -> Result<i64>
where
    C: ConnectionTrait + Sync,
    T: EmailTemplate,
{
    let rendered = templates.render(to, email)?;
    let job = NewJob::new(EMAIL_JOB, &rendered)?;
    // No unique key: every call is its own message, so an id always comes back.
    Ok(conn.enqueue(job).await?.unwrap_or_default())
}

/// Sent at registration and on "resend activation".
#[derive(Debug, Clone, Serialize)]
pub struct Activation {
    pub email: String,
    pub link: String,
    pub valid_hours: u32,
}

impl EmailTemplate for Activation {
    const NAME: &'static str = "activation";
    fn subject(&self) -> String {
        "Activate your account".to_owned()
    }
}

/// Sent once an account is activated.
#[derive(Debug, Clone, Serialize)]
pub struct AccountActivated {
    pub email: String,
    pub login_link: String,
}

impl EmailTemplate for AccountActivated {
    const NAME: &'static str = "account_activated";
    fn subject(&self) -> String {
        "Your account is active".to_owned()
    }
}

/// Sent on a password-reset request for an active account.
#[derive(Debug, Clone, Serialize)]
pub struct PasswordReset {
    pub email: String,
    pub link: String,
    pub valid_minutes: u32,
}

impl EmailTemplate for PasswordReset {
    const NAME: &'static str = "password_reset";
    fn subject(&self) -> String {
        "Reset your password".to_owned()
    }
}

/// Sent after a password change or reset.
#[derive(Debug, Clone, Serialize)]
pub struct PasswordChanged {
    pub email: String,
    /// RFC 3339, UTC.
    pub changed_at: String,
    pub reset_link: String,
}

impl EmailTemplate for PasswordChanged {
    const NAME: &'static str = "password_changed";
    fn subject(&self) -> String {
        "Your password was changed".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn templates() -> Templates {
        Templates::new("Cinema").unwrap()
    }

    #[test]
    fn both_parts_are_rendered_with_the_values() {
        let email = templates()
            .render(
                "ann@example.com",
                &Activation {
                    email: "ann@example.com".into(),
                    link: "https://app.example.com/activate?token=abc".into(),
                    valid_hours: 24,
                },
            )
            .unwrap();
        assert_eq!(email.subject, "Activate your account — Cinema");
        for part in [&email.html, &email.text] {
            assert!(part.contains("https://app.example.com/activate?token=abc"));
            assert!(part.contains("24 hours"));
        }
        assert!(email.html.starts_with("<!DOCTYPE html>"));
        assert!(!email.text.contains('<'));
    }

    #[test]
    fn html_values_are_escaped() {
        let email = templates()
            .render(
                "x@example.com",
                &AccountActivated {
                    email: "<script>alert('x')</script>".into(),
                    login_link: "https://a.example/\"><img src=x>".into(),
                },
            )
            .unwrap();
        assert!(!email.html.contains("<script>"));
        assert!(email.html.contains("&lt;script&gt;"));
        assert!(!email.html.contains("\"><img"));
    }

    #[test]
    fn every_template_renders() {
        let t = templates();
        t.render(
            "a@b.c",
            &PasswordReset {
                email: "a@b.c".into(),
                link: "l".into(),
                valid_minutes: 60,
            },
        )
        .unwrap();
        t.render(
            "a@b.c",
            &PasswordChanged {
                email: "a@b.c".into(),
                changed_at: "now".into(),
                reset_link: "l".into(),
            },
        )
        .unwrap();
    }
}
