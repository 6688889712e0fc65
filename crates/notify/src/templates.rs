//! The template engine for e-mails: minijinja with HTML auto-escaping for `.html` templates and
//! strict undefined variables, templates compiled into the binary.

use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value, context};

use std::sync::{Arc, RwLock};

use cinema_kernel::mail::{Email, Message, Template};

use crate::{Error, Result, mail::OutgoingEmail};

/// The shared frame of every message; each slice's templates extend these.
const LAYOUTS: &[(&str, &str)] = &[
    ("layout.html", include_str!("templates/layout.html")),
    ("layout.txt", include_str!("templates/layout.txt")),
];

/// Renders e-mails. Cheap to clone; build once at startup. A slice's templates are compiled
/// the first time one of its messages is rendered, and kept.
#[derive(Debug, Clone)]
pub struct Templates {
    env: Arc<RwLock<Environment<'static>>>,
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
        for (name, source) in LAYOUTS {
            add(&mut env, name, source)?;
        }
        Ok(Self {
            env: Arc::new(RwLock::new(env)),
            app_name: app_name.into(),
        })
    }

    /// Renders both parts of a typed e-mail for `to`.
    pub fn render<E: Email>(&self, to: &str, email: &E) -> Result<OutgoingEmail> {
        let message = Message::new(to, email).map_err(|e| Error::Render(e.to_string()))?;
        self.render_message(&message)
    }

    /// Renders both parts of a message some slice declared.
    pub fn render_message(&self, message: &Message) -> Result<OutgoingEmail> {
        let template = message.template;
        let html_name = format!("{}.html", template.name);
        let text_name = format!("{}.txt", template.name);
        self.compile(template, &html_name, &text_name)?;
        let ctx = context! {
            app_name => &self.app_name,
            ..Value::from_serialize(&message.context)
        };
        let env = self
            .env
            .read()
            .map_err(|_| Error::Render("template lock poisoned".into()))?;
        let render = |name: &str| {
            env.get_template(name)
                .and_then(|t| t.render(&ctx))
                .map_err(|source| Error::Template {
                    template: name.to_owned(),
                    source,
                })
        };
        Ok(OutgoingEmail {
            to: message.to.clone(),
            subject: format!("{} — {}", message.subject, self.app_name),
            html: render(&html_name)?,
            text: render(&text_name)?,
            carries_secret: message.carries_secret,
            redacted: false,
        })
    }

    /// Compiles a message's templates unless that was done before.
    fn compile(&self, template: Template, html_name: &str, text_name: &str) -> Result<()> {
        let known = self
            .env
            .read()
            .map_err(|_| Error::Render("template lock poisoned".into()))?
            .get_template(html_name)
            .is_ok();
        if known {
            return Ok(());
        }
        let mut env = self
            .env
            .write()
            .map_err(|_| Error::Render("template lock poisoned".into()))?;
        add(&mut env, html_name, template.html)?;
        add(&mut env, text_name, template.text)
    }
}

fn add(env: &mut Environment<'static>, name: &str, source: &'static str) -> Result<()> {
    env.add_template_owned(name.to_owned(), source)
        .map_err(|source| Error::Template {
            template: name.to_owned(),
            source,
        })
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
    out.write_str(&cinema_kernel::text::escape_html(&value.to_string()))
        .map_err(|e| minijinja::Error::new(minijinja::ErrorKind::WriteFailure, e.to_string()))
}
