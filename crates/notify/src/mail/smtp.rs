//! SMTP delivery through lettre (async, rustls).

use std::time::Duration;

use lettre::{
    AsyncSmtpTransport, AsyncTransport, Tokio1Executor, message::Mailbox,
    transport::smtp::Error as SmtpError,
};
use secrecy::{ExposeSecret, SecretString};

use super::{MailError, Mailer, OutgoingEmail, build_message};
use crate::{Error, Result};

#[derive(Clone)]
/// Delivers through an SMTP server, with a pool of connections.
pub struct SmtpMailer {
    from: Mailbox,
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

impl std::fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpMailer")
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

impl SmtpMailer {
    /// Needs a Tokio runtime: the connection pool starts a task.
    pub fn new(from: Mailbox, url: &SecretString, timeout: Duration) -> Result<Self> {
        let transport = builder(url)?.timeout(Some(timeout)).build();
        Ok(Self { from, transport })
    }
}

/// Parses the URL (scheme, TLS mode, credentials) without connecting or starting anything.
pub(crate) fn builder(
    url: &SecretString,
) -> Result<lettre::transport::smtp::AsyncSmtpTransportBuilder> {
    AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose_secret())
        // The URL may hold a password: say what is wrong without repeating it.
        .map_err(|e| Error::BadSmtpUrl(e.to_string().replace(url.expose_secret(), "***")))
}

#[async_trait::async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, message_id: &str, email: &OutgoingEmail) -> Result<(), MailError> {
        let message = build_message(&self.from, message_id, email)?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(classify)
    }
}

/// 5xx answers are final; everything else (4xx, refused connections, timeouts, TLS trouble)
/// may pass.
fn classify(err: SmtpError) -> MailError {
    if err.is_permanent() {
        MailError::Permanent(err.to_string())
    } else {
        MailError::Transient(err.to_string())
    }
}
