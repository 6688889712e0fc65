//! Delivering one e-mail: the [`Mailer`] port, its SMTP and file adapters, and the job handler
//! that connects the queue to a mailer.

mod file;
mod smtp;

use std::{fmt, path::PathBuf, sync::Arc, time::Duration};

use base64::{Engine, engine::general_purpose::STANDARD};
use lettre::{
    Message,
    message::{
        Mailbox, MultiPart,
        header::{HeaderName, HeaderValue},
    },
};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

pub use file::FileMailer;
pub use smtp::SmtpMailer;

use crate::{
    Error, Job, Result,
    worker::{JobError, JobHandler},
};

/// The job kind of e-mails.
pub const EMAIL_JOB: &str = "email";

/// A rendered e-mail, as stored in an `email` job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutgoingEmail {
    /// The recipient.
    pub to: String,
    /// The subject line.
    pub subject: String,
    /// The HTML body.
    pub html: String,
    /// The plain-text body.
    pub text: String,
    /// The message holds a secret (a one-time link): once delivered or given up on, its
    /// parts are removed from the job (see [`EmailHandler`]'s `redact`).
    #[serde(default)]
    pub carries_secret: bool,
    /// The parts were removed; there is nothing left to send.
    #[serde(default)]
    pub redacted: bool,
}

/// What a secret-bearing message's parts are replaced with.
const REDACTED: &str = "[removed: the message held a one-time link]";

/// Why a message was not delivered.
#[derive(Debug, Clone, thiserror::Error)]
pub enum MailError {
    /// Worth retrying: the server is down, busy, or answered 4xx.
    #[error("temporary mail failure: {0}")]
    Transient(String),
    /// Retrying cannot help: a malformed address, a 5xx rejection.
    #[error("permanent mail failure: {0}")]
    Permanent(String),
}

/// Sends one message. `message_id` is stable per job, so a message re-sent after a crash
/// between delivery and bookkeeping can be recognised as the same one by the receiver.
#[async_trait::async_trait]
pub trait Mailer: Send + Sync + fmt::Debug {
    /// Delivers `email`, with `message_id` so a retried delivery is recognisable.
    async fn send(&self, message_id: &str, email: &OutgoingEmail) -> Result<(), MailError>;
}

/// How mail leaves the process.
#[derive(Clone)]
pub enum MailTransport {
    /// `smtp://` (no TLS), `smtp://…?tls=required` (STARTTLS), `smtps://` (implicit TLS), with
    /// optional `user:password@`.
    Smtp {
        /// The server (`smtp://` or `smtps://`, with credentials).
        url: SecretString,
        /// How long one delivery may take.
        timeout: Duration,
    },
    /// Each message as an `.eml` file in this folder.
    /// `.eml` files in `dir`.
    Files {
        /// Where the files go.
        dir: PathBuf,
    },
}

impl fmt::Debug for MailTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MailTransport::Smtp { timeout, .. } => f
                .debug_struct("Smtp")
                .field("url", &"***")
                .field("timeout", timeout)
                .finish(),
            MailTransport::Files { dir } => f.debug_struct("Files").field("dir", dir).finish(),
        }
    }
}

#[derive(Debug, Clone)]
/// How e-mail leaves.
pub struct MailConfig {
    /// The sender, e.g. `Cinema <no-reply@cinema.example>`.
    pub from: String,
    /// SMTP or files.
    pub transport: MailTransport,
}

/// The domain of the sender address, used in Message-IDs.
pub fn sender_domain(config: &MailConfig) -> Result<String> {
    let from: Mailbox = config
        .from
        .parse()
        .map_err(|e| Error::BadSender(format!("`{}`: {e}", config.from)))?;
    Ok(from.email.domain().to_owned())
}

/// Checks the sender and the SMTP URL without connecting (and without a runtime).
pub fn validate_config(config: &MailConfig) -> Result<()> {
    sender_domain(config)?;
    if let MailTransport::Smtp { url, .. } = &config.transport {
        smtp::builder(url)?;
    }
    Ok(())
}

/// Builds the configured mailer. Needs a Tokio runtime for SMTP.
pub fn mailer_from_config(config: &MailConfig) -> Result<Arc<dyn Mailer>> {
    let from: Mailbox = config
        .from
        .parse()
        .map_err(|e| Error::BadSender(format!("`{}`: {e}", config.from)))?;
    Ok(match &config.transport {
        MailTransport::Smtp { url, timeout } => Arc::new(SmtpMailer::new(from, url, *timeout)?),
        MailTransport::Files { dir } => Arc::new(FileMailer::new(from, dir.clone())),
    })
}

/// The `Subject` header. lettre leaves an all-ASCII subject as it is, so a name such as
/// `=?utf-8?b?…?=` typed into a profile would be decoded by the reader's mail client into
/// something else; a subject holding `=?` is therefore encoded whole (RFC 2047, base64), so
/// it shows exactly as typed.
fn subject_header(subject: &str) -> HeaderValue {
    let name = HeaderName::new_from_ascii_str("Subject");
    if !subject.contains("=?") {
        return HeaderValue::new(name, subject.to_owned());
    }
    // Encoded words of at most 45 bytes of text (60 of base64), folded onto their own lines.
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in subject.chars() {
        if chunk.len() + c.len_utf8() > 45 {
            words.push(std::mem::take(&mut chunk));
        }
        chunk.push(c);
    }
    words.push(chunk);
    let encoded = words
        .iter()
        .map(|w| format!("=?utf-8?b?{}?=", STANDARD.encode(w.as_bytes())))
        .collect::<Vec<_>>()
        .join("\r\n ");
    HeaderValue::dangerous_new_pre_encoded(name, subject.to_owned(), encoded)
}

/// A multipart/alternative message (plain text first, then HTML).
pub(crate) fn build_message(
    from: &Mailbox,
    message_id: &str,
    email: &OutgoingEmail,
) -> Result<Message, MailError> {
    let to: Mailbox = email
        .to
        .parse()
        .map_err(|e| MailError::Permanent(format!("bad recipient `{}`: {e}", email.to)))?;
    Message::builder()
        .from(from.clone())
        .to(to)
        .raw_header(subject_header(&email.subject))
        .message_id(Some(message_id.to_owned()))
        .multipart(MultiPart::alternative_plain_html(
            email.text.clone(),
            email.html.clone(),
        ))
        .map_err(|e| MailError::Permanent(format!("cannot build the message: {e}")))
}

/// Runs `email` jobs through a mailer.
#[derive(Debug, Clone)]
pub struct EmailHandler {
    mailer: Arc<dyn Mailer>,
    domain: String,
}

impl EmailHandler {
    /// `domain` goes into Message-IDs (`<job-42@domain>`).
    pub fn new(mailer: Arc<dyn Mailer>, domain: impl Into<String>) -> Self {
        Self {
            mailer,
            domain: domain.into(),
        }
    }
}

#[async_trait::async_trait]
impl JobHandler for EmailHandler {
    async fn handle(&self, job: &Job) -> Result<(), JobError> {
        let email: OutgoingEmail = serde_json::from_str(&job.payload)
            .map_err(|e| JobError::Permanent(format!("bad e-mail payload: {e}")))?;
        if email.redacted {
            return Err(JobError::Permanent(
                "the message's one-time link was removed; the recipient must ask for a new one"
                    .to_owned(),
            ));
        }
        let message_id = format!("<job-{}@{}>", job.id, self.domain);
        let sent = self.mailer.send(&message_id, &email).await;
        let outcome = match &sent {
            Ok(()) => "delivered",
            Err(MailError::Transient(_)) => "failed",
            Err(MailError::Permanent(_)) => "rejected",
        };
        cinema_kernel::metrics::count(cinema_kernel::metrics::EMAILS, "outcome", outcome);
        sent.map_err(|e| match e {
            MailError::Transient(m) => JobError::Retry(m),
            MailError::Permanent(m) => JobError::Permanent(m),
        })
    }

    fn redact(&self, payload: &str) -> Option<String> {
        let mut email: OutgoingEmail = serde_json::from_str(payload).ok()?;
        if !email.carries_secret || email.redacted {
            return None;
        }
        email.html = REDACTED.to_owned();
        email.text = REDACTED.to_owned();
        email.redacted = true;
        serde_json::to_string(&email).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head_of(subject: &str) -> String {
        let email = OutgoingEmail {
            to: "ann@example.com".into(),
            subject: subject.into(),
            text: "t".into(),
            html: "<p>t</p>".into(),
            carries_secret: false,
            redacted: false,
        };
        let from: Mailbox = "Cinema <no-reply@example.com>".parse().unwrap();
        let raw = build_message(&from, "<1@example.com>", &email)
            .unwrap()
            .formatted();
        String::from_utf8(raw).unwrap()
    }

    #[test]
    fn a_subject_with_an_encoded_word_in_it_is_encoded_whole_and_shows_as_typed() {
        let typed = "=?utf-8?b?QWRtaW4=?= replied to your comment";
        let head = head_of(typed);
        assert!(!head.contains(typed), "{head}");
        let subject = head.lines().find(|l| l.starts_with("Subject:")).unwrap();
        assert!(subject.starts_with("Subject: =?utf-8?b?"), "{subject}");
        // Decoding the encoded words gives back exactly what was typed.
        let start = head.find("Subject: ").unwrap() + "Subject: ".len();
        let folded: String = head[start..]
            .split("\r\n")
            .take_while(|l| l.starts_with("=?") || l.starts_with(" =?"))
            .collect();
        let decoded: Vec<u8> = folded
            .split("?=")
            .filter_map(|w| w.trim().strip_prefix("=?utf-8?b?"))
            .flat_map(|b64| STANDARD.decode(b64).unwrap())
            .collect();
        assert_eq!(String::from_utf8(decoded).unwrap(), typed);
    }

    #[test]
    fn an_ordinary_subject_stays_plain() {
        assert!(head_of("Your order is paid").contains("Subject: Your order is paid"));
    }
}
