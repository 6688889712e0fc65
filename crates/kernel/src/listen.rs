//! Hearing PostgreSQL notifications on one channel, on a connection of its own that comes back
//! by itself: what every in-process cache uses to hear of writes made by other processes.
//!
//! [`Listener::next`] answers [`Notice::Connected`] each time listening (re)starts — whatever
//! was sent before is lost, so the caller starts from nothing —, [`Notice::Message`] for each
//! notification, and [`Notice::Lost`] when the connection dropped (the caller assumes it
//! missed something). It never fails: a database that is away is retried with backoff (50 ms
//! doubling to 5 s), and the connection carries `application_name` so operators (and tests)
//! can find it.

use std::time::Duration;

use sea_orm::{
    DatabaseConnection,
    sqlx::postgres::{PgListener, PgPool, PgPoolOptions},
};

/// What listening brought.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// Listening (again): notifications sent before now are lost.
    Connected,
    /// A notification's payload.
    Message(String),
    /// The connection dropped: notifications may have been missed.
    Lost,
}

/// A `LISTEN` on one channel of a PostgreSQL database.
pub struct Listener {
    pool: PgPool,
    channel: &'static str,
    listener: Option<PgListener>,
    /// sqlx reconnected (and listens again) by itself: the next notice is `Connected`.
    reconnected: bool,
    backoff: Duration,
}

impl std::fmt::Debug for Listener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Listener")
            .field("channel", &self.channel)
            .field("connected", &self.listener.is_some())
            .finish_non_exhaustive()
    }
}

const FIRST_BACKOFF: Duration = Duration::from_millis(50);
const LAST_BACKOFF: Duration = Duration::from_secs(5);

impl Listener {
    /// Listens on `channel` of `db` (a PostgreSQL connection) through a connection named `name`;
    /// nothing connects before the first [`Listener::next`].
    pub fn new(db: &DatabaseConnection, name: &str, channel: &'static str) -> Self {
        let options = (*db.get_postgres_connection_pool().connect_options())
            .clone()
            .application_name(name);
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .min_connections(0)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_lazy_with(options);
        Self {
            pool,
            channel,
            listener: None,
            reconnected: false,
            backoff: FIRST_BACKOFF,
        }
    }

    /// The next notice; waits for a notification or a connection.
    pub async fn next(&mut self) -> Notice {
        if std::mem::take(&mut self.reconnected) {
            return Notice::Connected;
        }
        let Some(listener) = self.listener.as_mut() else {
            self.connect().await;
            return Notice::Connected;
        };
        match listener.try_recv().await {
            Ok(Some(notification)) => Notice::Message(notification.payload().to_owned()),
            // The connection dropped (a terminated backend, a closed socket) and sqlx has
            // already connected and listened again: notifications may be lost meanwhile, and
            // the caller hears that it listens again, as after any connection.
            Ok(None) => {
                self.reconnected = true;
                Notice::Lost
            }
            Err(e) => {
                tracing::warn!(channel = self.channel, error = %e, "listener lost its connection; reconnecting");
                self.listener = None;
                tokio::time::sleep(self.backoff).await;
                Notice::Lost
            }
        }
    }

    async fn connect(&mut self) {
        loop {
            match PgListener::connect_with(&self.pool).await {
                Ok(mut listener) => {
                    listener.ignore_pool_close_event(true);
                    match listener.listen(self.channel).await {
                        Ok(()) => {
                            self.listener = Some(listener);
                            self.backoff = FIRST_BACKOFF;
                            return;
                        }
                        Err(e) => {
                            tracing::warn!(channel = self.channel, error = %e, "cannot LISTEN; retrying");
                        }
                    }
                }
                Err(e) => {
                    tracing::warn!(channel = self.channel, error = %e, "listener cannot connect; retrying");
                }
            }
            tokio::time::sleep(self.backoff).await;
            self.backoff = (self.backoff * 2).min(LAST_BACKOFF);
        }
    }
}
