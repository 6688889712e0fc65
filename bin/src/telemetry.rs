//! `tracing` set-up: human-readable lines by default, one JSON object per line by switch.
//! Logs go to stderr so that commands which print documents (`cinema openapi`) stay clean.

use std::io::IsTerminal;

use tracing::{Event, Level, Subscriber, field::Field};
use tracing_subscriber::{
    EnvFilter, Layer, field::Visit, layer::Context, layer::SubscriberExt, util::SubscriberInitExt,
};

use crate::settings::{LogFormat, LogSettings};

pub fn init(settings: &LogSettings) {
    // The filter was validated when the settings were parsed.
    let filter = EnvFilter::try_new(&settings.filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    // A second init (tests start many apps in one process) is harmless: keep the first.
    let _ = match settings.format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .finish()
            .with(ClientStreamErrors)
            .try_init(),
        LogFormat::Text => builder
            .compact()
            .finish()
            .with(ClientStreamErrors)
            .try_init(),
    };
}

/// Drops actix's `ERROR … stream error: …` lines. Each is a client's malformed or oversized
/// request head (or a connection it broke), already answered 400 or 431 — nothing an operator
/// must act on, and an easy way to flood the error log. actix traces each one itself
/// (`LOG_LEVEL=info,actix_http=trace` shows them).
struct ClientStreamErrors;

impl<S: Subscriber> Layer<S> for ClientStreamErrors {
    fn event_enabled(&self, event: &Event<'_>, _: Context<'_, S>) -> bool {
        let meta = event.metadata();
        if *meta.level() != Level::ERROR || meta.target() != "actix_http::h1::dispatcher" {
            return true;
        }
        let mut message = MessageStartsWith {
            prefix: "stream error",
            found: false,
        };
        event.record(&mut message);
        !message.found
    }
}

struct MessageStartsWith {
    prefix: &'static str,
    found: bool,
}

impl Visit for MessageStartsWith {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.found = format!("{value:?}").starts_with(self.prefix);
        }
    }
}
