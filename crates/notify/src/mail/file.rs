//! The zero-configuration mailer: each message becomes an `.eml` file that any mail client
//! opens, and the log says where it went.

use std::path::PathBuf;

use lettre::message::Mailbox;

use super::{MailError, Mailer, OutgoingEmail, build_message};

#[derive(Debug, Clone)]
/// Writes each e-mail as an `.eml` file in a directory (development, tests, the examples).
pub struct FileMailer {
    from: Mailbox,
    dir: PathBuf,
}

impl FileMailer {
    /// A mailer sending as `from` into `dir`.
    pub fn new(from: Mailbox, dir: PathBuf) -> Self {
        Self { from, dir }
    }
}

#[async_trait::async_trait]
impl Mailer for FileMailer {
    async fn send(&self, message_id: &str, email: &OutgoingEmail) -> Result<(), MailError> {
        let message = build_message(&self.from, message_id, email)?;
        let unavailable = |e: std::io::Error| {
            MailError::Transient(format!("cannot write to {}: {e}", self.dir.display()))
        };
        tokio::fs::create_dir_all(&self.dir)
            .await
            .map_err(unavailable)?;
        // The Message-ID names the file, so a re-delivered job overwrites its own copy.
        let stem: String = message_id
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '@'))
            .collect();
        let path = self.dir.join(format!("{stem}.eml"));
        tokio::fs::write(&path, message.formatted())
            .await
            .map_err(unavailable)?;
        tracing::info!(to = %email.to, subject = %email.subject, path = %path.display(), "e-mail written");
        Ok(())
    }
}
