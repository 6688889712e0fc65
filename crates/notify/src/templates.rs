//! The template engine for e-mails: minijinja with HTML auto-escaping for `.html` templates and
//! strict undefined variables, templates compiled into the binary.

use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value, context};

use crate::{Error, Result, emails::EmailTemplate, mail::OutgoingEmail};

const TEMPLATES: &[(&str, &str)] = &[
    ("layout.html", include_str!("templates/layout.html")),
    ("layout.txt", include_str!("templates/layout.txt")),
    ("activation.html", include_str!("templates/activation.html")),
    ("activation.txt", include_str!("templates/activation.txt")),
    (
        "account_activated.html",
        include_str!("templates/account_activated.html"),
    ),
    (
        "account_activated.txt",
        include_str!("templates/account_activated.txt"),
    ),
    (
        "password_reset.html",
        include_str!("templates/password_reset.html"),
    ),
    (
        "password_reset.txt",
        include_str!("templates/password_reset.txt"),
    ),
    (
        "password_changed.html",
        include_str!("templates/password_changed.html"),
    ),
    (
        "password_changed.txt",
        include_str!("templates/password_changed.txt"),
    ),
];

/// Renders e-mails. Cheap to clone; build once at startup.
#[derive(Debug, Clone)]
pub struct Templates {
    env: Environment<'static>,
    app_name: String,
}

impl Templates {
    /// `app_name` appears in every message's greeting and footer.
    pub fn new(app_name: impl Into<String>) -> Result<Self> {
        let mut env = Environment::new();
        // A missing value is a bug in the caller, not an empty string in someone's inbox.
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        // `.html` templates escape every inserted value (minijinja's default for the
        // extension); plain-text parts are not HTML and are left as written.
        env.set_formatter(html_formatter);
        for (name, source) in TEMPLATES {
            env.add_template(name, source)
                .map_err(|source| Error::Template {
                    template: (*name).to_owned(),
                    source,
                })?;
        }
        Ok(Self {
            env,
            app_name: app_name.into(),
        })
    }

    /// Renders both parts of `email` for `to`.
    pub fn render<T: EmailTemplate>(&self, to: &str, email: &T) -> Result<OutgoingEmail> {
        let ctx = context! { app_name => &self.app_name, ..Value::from_serialize(email) };
        let render = |ext: &str| {
            let name = format!("{}.{ext}", T::NAME);
            self.env
                .get_template(&name)
                .and_then(|t| t.render(&ctx))
                .map_err(|source| Error::Template {
                    template: name,
                    source,
                })
        };
        Ok(OutgoingEmail {
            to: to.to_owned(),
            subject: format!("{} — {}", email.subject(), self.app_name),
            html: render("html")?,
            text: render("txt")?,
        })
    }
}

/// Escapes `& < > " '` in HTML output. minijinja's default also escapes `/`, which turns every
/// link into `https:&#x2f;&#x2f;…`: valid, but unreadable in the source of a message and not
/// needed for safety inside quoted attributes and text.
fn html_formatter(
    out: &mut minijinja::Output,
    state: &minijinja::State,
    value: &Value,
) -> Result<(), minijinja::Error> {
    if !matches!(state.auto_escape(), AutoEscape::Html) || value.is_safe() || value.is_undefined() {
        return minijinja::escape_formatter(out, state, value);
    }
    let text = value.to_string();
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#x27;"),
            c => escaped.push(c),
        }
    }
    out.write_str(&escaped)
        .map_err(|e| minijinja::Error::new(minijinja::ErrorKind::WriteFailure, e.to_string()))
}
