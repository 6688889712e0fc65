//! Engagement: what people do with movies besides buying them — reactions, ratings,
//! favorites, comments with replies and likes — and the notifications that tell an author
//! someone replied to or liked their comment (in the app and by e-mail).
//!
//! - Counts are exact under concurrency: every change locks the row that carries its count
//!   (the movie for reactions, ratings and comment counts; the comment for its likes and
//!   replies) and changes the count in the same transaction, so lists read the counts with
//!   the rows and cost what they cost before.
//! - [`Engagement::favorites`] lists a user's favorites through the catalog's own list query
//!   ([`cinema_catalog::movies::list`] with [`cinema_catalog::movies::LinkedTo`]): every
//!   filter, search and sort, no second query builder.
//! - Notifications and their e-mails are written in the transaction of the reply or like that
//!   causes them; never for one's own actions, and a like taken back and given again within
//!   an hour does not notify twice.
//!
//! Depends on `cinema-kernel`, `cinema-identity` (who people are) and `cinema-catalog`
//! (movies); never on HTTP.

#![deny(missing_docs)]

mod comments;
mod emails;
pub mod entity;
mod error;
mod favorites;
mod names;
mod notifications;
mod ratings;
mod reactions;

use cinema_kernel::Fail;
use std::{sync::Arc, time::Duration};

use cinema_catalog::{
    cache::{CatalogCache, Pending},
    entity::movie,
};
use cinema_kernel::{mail::Outbox, time::Clock};
use sea_orm::{DatabaseTransaction, EntityTrait, QuerySelect, sea_query::LockType};

pub use comments::{CommentView, Deleted};
pub use error::{Error, Result};
pub use notifications::{NotificationKind, NotificationPage, NotificationView};
pub use ratings::Ratings;
pub use reactions::{Reaction, Reactions};

/// How engagement behaves.
#[derive(Debug, Clone)]
pub struct EngagementConfig {
    /// Comments (and replies) one user may post per `comment_window`.
    pub comment_limit: u32,
    /// The window `comment_limit` counts in.
    pub comment_window: Duration,
    /// Reply and like e-mails one person may be sent per hour (`NOTIFICATION_MAILS_PER_HOUR`);
    /// past it the notification is still recorded in the app, only not e-mailed.
    pub notification_mails_per_hour: u32,
}

impl Default for EngagementConfig {
    fn default() -> Self {
        Self {
            comment_limit: 10,
            comment_window: Duration::from_secs(60),
            notification_mails_per_hour: 10,
        }
    }
}

/// The engagement service. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Engagement {
    config: Arc<EngagementConfig>,
    clock: Clock,
    outbox: Arc<dyn Outbox>,
    /// Counts and ratings show in cached catalog answers: each write applies its change here.
    cache: CatalogCache,
}

/// What the caller has done with one movie.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Mine {
    /// The caller's like or dislike.
    pub reaction: Option<Reaction>,
    /// The caller's rating (1–10).
    pub rating: Option<i16>,
    /// Whether it is on the caller's favorites list.
    pub favorite: bool,
}

impl Engagement {
    /// The service; notification e-mails go through `outbox`. Add the catalog's cache with
    /// [`Engagement::with_catalog_cache`].
    pub fn new(config: EngagementConfig, clock: Clock, outbox: Arc<dyn Outbox>) -> Self {
        Self {
            config: Arc::new(config),
            clock,
            outbox,
            cache: CatalogCache::off(),
        }
    }

    /// Applies each write's change to this catalog cache once it has committed, so this
    /// process's next catalog read shows it (other processes hear of it from the database).
    #[must_use]
    pub fn with_catalog_cache(mut self, cache: CatalogCache) -> Self {
        self.cache = cache;
        self
    }

    /// Commits `txn`, then applies its catalog change (if it made one).
    async fn commit(&self, txn: DatabaseTransaction, pending: Option<Pending>) -> Result<()> {
        txn.commit().await?;
        if let Some(pending) = pending {
            self.cache.apply(pending);
        }
        Ok(())
    }

    fn now(&self) -> i64 {
        self.clock.now_ms()
    }
}

/// The movie, locked until the transaction ends: every change of its counts queues here, so
/// the counts stay exact (SQLite's write transactions are serial already).
async fn lock_movie(txn: &DatabaseTransaction, movie_id: i64) -> Result<movie::Model> {
    movie::Entity::find_by_id(movie_id)
        .lock(LockType::NoKeyUpdate)
        .one(txn)
        .await?
        .ok_or_else(|| Error::not_found(format!("Movie {movie_id}")))
}
