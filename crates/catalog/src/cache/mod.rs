//! The read cache of public catalog answers, exact on the instance that writes and bounded in
//! staleness everywhere else.
//!
//! **What is cached.** Serialized public answers ([`Answer`]: the bytes and an ETag derived
//! from them), keyed by a route name and the request's normalized query, in one `moka` cache
//! bounded by bytes and by entries. Nothing personal is ever stored: the detail's "my
//! reaction, my rating, my favorite" are looked up per caller (three primary-key reads) and
//! merged into the cached public answer by the API; lists carry nothing personal.
//!
//! **How answers go stale.** Every write that changes a public answer calls
//! [`version::bump`] in its own transaction, naming a [`Change`]. After the commit, the
//! instance that wrote applies the change to its own cache ([`CatalogCache::changed`]) before
//! it answers, so its next read is fresh. Every other instance hears the change through
//! PostgreSQL `LISTEN/NOTIFY` and applies the same change ([`watch`]); if its listening
//! connection drops it reconnects and drops everything, and a poll of the version catches a
//! notification lost without a dropped connection. Changes are scoped:
//!
//! | change | drops |
//! |---|---|
//! | catalog (movies, links, posters, taxonomy) | everything |
//! | a movie's reactions or comments | that movie's detail |
//! | a movie's ratings | that movie's detail and every list (they show and sort by ratings) |
//!
//! **Races.** A reader takes a [`Ticket`] before it queries. Whole-scope drops move an epoch
//! that is part of every key, so an answer computed before a change is stored under a key no
//! later reader asks for. A detail is dropped by key; a reader that stored it while a movie
//! change happened drops what it stored itself (see [`CatalogCache::put`]).
//!
//! **Which instance wrote.** [`version::bump`] also records its change in the current task when
//! the task runs inside [`recording`]; the HTTP layer wraps every write request in it and
//! applies what was recorded before the answer leaves. No write path has to remember to
//! invalidate: bumping the version is the one thing each must do.
//!
//! [`CatalogCache::off`] caches nothing (`CATALOG_CACHE=off`): every method is then a no-op.

pub mod version;
pub mod watch;

use std::{
    any::Any,
    cell::RefCell,
    collections::HashMap,
    future::Future,
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use bytes::Bytes;
use moka::sync::Cache;
use sha2::{Digest, Sha256};

pub use version::Change;

/// Limits of the cache.
#[derive(Debug, Clone)]
pub struct CacheConfig {
    /// At most this many answers.
    pub max_entries: u64,
    /// At most this many bytes of answers (bodies plus a fixed overhead per entry).
    pub max_bytes: u64,
    /// An answer is dropped this long after it was stored, whatever happens (it carries
    /// signed poster links, which expire).
    pub ttl: Duration,
    /// How long another instance's write may stay unseen here.
    pub max_staleness: Duration,
}

/// What an entry costs beyond its body: key, `Arc`, ETag and the cache's own bookkeeping.
const ENTRY_OVERHEAD: u64 = 256;

/// A serialized public answer.
#[derive(Debug)]
pub struct Answer {
    pub body: Bytes,
    /// A weak validator (`W/"…"`): the same bytes give the same tag on every instance.
    pub etag: String,
}

impl Answer {
    pub fn new(body: Vec<u8>) -> Self {
        let digest = Sha256::digest(&body);
        let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
        Self {
            body: Bytes::from(body),
            etag: format!("W/\"{hex}\""),
        }
    }
}

/// Which changes an answer depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Only catalog writes change it (taxonomy, genre statistics).
    Catalog,
    /// Movie lists: catalog writes and ratings.
    Lists,
    /// One movie's detail: catalog writes and that movie's engagement.
    Movie(i64),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    catalog_epoch: u64,
    ratings_epoch: u64,
    scope: Scope,
    route: &'static str,
    query: Box<str>,
}

/// Taken before the database is asked; says where the answer goes and whether it may.
#[derive(Debug)]
pub struct Ticket {
    key: Key,
    movie_changes: u64,
}

/// The shared cache (cheap to clone).
#[derive(Debug, Clone, Default)]
pub struct CatalogCache {
    inner: Option<Arc<Inner>>,
}

#[derive(Debug)]
struct Inner {
    answers: Cache<Key, Arc<Answer>>,
    catalog_epoch: AtomicU64,
    ratings_epoch: AtomicU64,
    /// Moves on every per-movie change: a detail stored across one is dropped again.
    movie_changes: AtomicU64,
    max_staleness: Duration,
    /// Large values every list needs (whole-catalog orders), kept out of `answers` so its
    /// admission policy never turns them away; only those of the current epochs are kept.
    pinned: Mutex<HashMap<Key, Pinned>>,
}

/// A pinned value and what it weighs.
type Pinned = (Arc<dyn Any + Send + Sync>, usize);

impl CatalogCache {
    pub fn new(config: &CacheConfig) -> Self {
        // Each entry weighs at least max_bytes / max_entries, so neither bound is exceeded.
        let floor = (config.max_bytes / config.max_entries.max(1)).max(1);
        let answers = Cache::builder()
            .max_capacity(config.max_bytes)
            .weigher(move |_key: &Key, answer: &Arc<Answer>| {
                let weight = (answer.body.len() as u64 + ENTRY_OVERHEAD).max(floor);
                u32::try_from(weight).unwrap_or(u32::MAX)
            })
            .time_to_live(config.ttl)
            .build();
        Self {
            inner: Some(Arc::new(Inner {
                answers,
                catalog_epoch: AtomicU64::new(0),
                ratings_epoch: AtomicU64::new(0),
                movie_changes: AtomicU64::new(0),
                max_staleness: config.max_staleness,
                pinned: Mutex::new(HashMap::new()),
            })),
        }
    }

    /// A cache that stores nothing.
    pub fn off() -> Self {
        Self { inner: None }
    }

    pub fn is_on(&self) -> bool {
        self.inner.is_some()
    }

    /// Where the answer to `route` with this normalized `query` lives now.
    pub fn ticket(&self, scope: Scope, route: &'static str, query: String) -> Option<Ticket> {
        let inner = self.inner.as_ref()?;
        // Counters first, then the epochs that go into the key (see `put`).
        let movie_changes = inner.movie_changes.load(Ordering::SeqCst);
        let ratings_epoch = match scope {
            Scope::Lists => inner.ratings_epoch.load(Ordering::SeqCst),
            Scope::Catalog | Scope::Movie(_) => 0,
        };
        Some(Ticket {
            key: Key {
                catalog_epoch: inner.catalog_epoch.load(Ordering::SeqCst),
                ratings_epoch,
                scope,
                route,
                query: query.into_boxed_str(),
            },
            movie_changes,
        })
    }

    pub fn get(&self, ticket: &Ticket) -> Option<Arc<Answer>> {
        self.inner.as_ref()?.answers.get(&ticket.key)
    }

    /// Stores an answer computed after `ticket` was taken, and returns it.
    pub fn put(&self, ticket: Ticket, body: Vec<u8>) -> Arc<Answer> {
        let answer = Arc::new(Answer::new(body));
        let Some(inner) = &self.inner else {
            return answer;
        };
        inner.answers.insert(ticket.key.clone(), answer.clone());
        // A detail is dropped by key. If a movie changed while this one was computed, the
        // drop may have come before this insert: undo it (at worst one extra miss).
        if matches!(ticket.key.scope, Scope::Movie(_))
            && inner.movie_changes.load(Ordering::SeqCst) != ticket.movie_changes
        {
            inner.answers.invalidate(&ticket.key);
        }
        answer
    }

    /// A pinned value (see [`CatalogCache::pin`]).
    pub fn pinned(&self, ticket: &Ticket) -> Option<Arc<dyn Any + Send + Sync>> {
        let inner = self.inner.as_ref()?;
        let pinned = inner.pinned.lock().unwrap_or_else(PoisonError::into_inner);
        pinned.get(&ticket.key).map(|(value, _)| value.clone())
    }

    /// Bytes held by pinned values, as their owners weighed them.
    pub fn pinned_bytes(&self) -> usize {
        self.inner.as_ref().map_or(0, |inner| {
            let pinned = inner.pinned.lock().unwrap_or_else(PoisonError::into_inner);
            pinned.values().map(|(_, bytes)| bytes).sum()
        })
    }

    /// Keeps a value computed after `ticket` was taken until a change it depends on, outside
    /// the bounded answers: for a few large values every list needs (whole-catalog orders),
    /// which the answers' admission policy could otherwise turn away.
    pub fn pin(&self, ticket: Ticket, value: Arc<dyn Any + Send + Sync>, bytes: usize) {
        let Some(inner) = &self.inner else {
            return;
        };
        let catalog_epoch = inner.catalog_epoch.load(Ordering::SeqCst);
        let ratings_epoch = inner.ratings_epoch.load(Ordering::SeqCst);
        let current = |key: &Key| {
            key.catalog_epoch == catalog_epoch
                && (key.scope != Scope::Lists || key.ratings_epoch == ratings_epoch)
        };
        let mut pinned = inner.pinned.lock().unwrap_or_else(PoisonError::into_inner);
        pinned.retain(|key, _| current(key));
        if current(&ticket.key) {
            pinned.insert(ticket.key, (value, bytes));
        }
    }

    /// Applies a committed change: answers it touched are never served again.
    pub fn changed(&self, change: Change) {
        let Some(inner) = &self.inner else {
            return;
        };
        match change {
            Change::Catalog => {
                inner.catalog_epoch.fetch_add(1, Ordering::SeqCst);
                inner.answers.invalidate_all();
                let mut pinned = inner.pinned.lock().unwrap_or_else(PoisonError::into_inner);
                pinned.clear();
            }
            Change::Movie(id) | Change::Rating(id) => {
                inner.movie_changes.fetch_add(1, Ordering::SeqCst);
                if matches!(change, Change::Rating(_)) {
                    inner.ratings_epoch.fetch_add(1, Ordering::SeqCst);
                    let mut pinned = inner.pinned.lock().unwrap_or_else(PoisonError::into_inner);
                    pinned.retain(|key, _| key.scope != Scope::Lists);
                }
                let catalog_epoch = inner.catalog_epoch.load(Ordering::SeqCst);
                // Every route that answers for this movie alone.
                for route in DETAIL_ROUTES {
                    inner.answers.invalidate(&Key {
                        catalog_epoch,
                        ratings_epoch: 0,
                        scope: Scope::Movie(id),
                        route,
                        query: "".into(),
                    });
                }
            }
        }
    }

    /// How many answers are held (after pending maintenance).
    pub fn entries(&self) -> u64 {
        self.inner.as_ref().map_or(0, |inner| {
            inner.answers.run_pending_tasks();
            inner.answers.entry_count()
        })
    }

    /// Bytes held, by the weigher's count.
    pub fn weighted_size(&self) -> u64 {
        self.inner.as_ref().map_or(0, |inner| {
            inner.answers.run_pending_tasks();
            inner.answers.weighted_size()
        })
    }

    fn max_staleness(&self) -> Option<Duration> {
        self.inner.as_ref().map(|inner| inner.max_staleness)
    }
}

tokio::task_local! {
    static WRITTEN: RefCell<Vec<Change>>;
}

/// Runs `work`, returning with its output the changes it bumped the version for (committed or
/// not: applying a change that rolled back only costs a cache miss).
pub async fn recording<F: Future>(work: F) -> (F::Output, Vec<Change>) {
    WRITTEN
        .scope(RefCell::new(Vec::new()), async move {
            let output = work.await;
            (output, WRITTEN.with(RefCell::take))
        })
        .await
}

fn record(change: Change) {
    // Outside `recording` (jobs, the CLI) there is nothing to record into.
    let _ = WRITTEN.try_with(|written| written.borrow_mut().push(change));
}

/// The routes stored under [`Scope::Movie`]; their query is empty (the scope names the movie).
pub const DETAIL_ROUTES: [&str; 1] = [DETAIL];

/// The route name of a movie's public detail.
pub const DETAIL: &str = "detail";

#[cfg(test)]
mod tests {
    use super::*;

    fn cache() -> CatalogCache {
        CatalogCache::new(&CacheConfig {
            max_entries: 100,
            max_bytes: 1 << 20,
            ttl: Duration::from_secs(60),
            max_staleness: Duration::from_secs(1),
        })
    }

    fn put(cache: &CatalogCache, scope: Scope, route: &'static str, body: &str) {
        let ticket = cache.ticket(scope, route, String::new()).unwrap();
        cache.put(ticket, body.as_bytes().to_vec());
    }

    fn get(cache: &CatalogCache, scope: Scope, route: &'static str) -> Option<String> {
        let ticket = cache.ticket(scope, route, String::new()).unwrap();
        cache
            .get(&ticket)
            .map(|a| String::from_utf8(a.body.to_vec()).unwrap())
    }

    #[test]
    fn changes_drop_what_they_touch_and_nothing_else() {
        let cache = cache();
        put(&cache, Scope::Lists, "list", "list");
        put(&cache, Scope::Catalog, "genres", "genres");
        put(&cache, Scope::Movie(1), DETAIL, "one");
        put(&cache, Scope::Movie(2), DETAIL, "two");

        cache.changed(Change::Movie(1));
        assert_eq!(get(&cache, Scope::Movie(1), DETAIL), None);
        assert_eq!(get(&cache, Scope::Movie(2), DETAIL).as_deref(), Some("two"));
        assert_eq!(get(&cache, Scope::Lists, "list").as_deref(), Some("list"));

        cache.changed(Change::Rating(2));
        assert_eq!(get(&cache, Scope::Movie(2), DETAIL), None);
        assert_eq!(get(&cache, Scope::Lists, "list"), None);
        assert_eq!(
            get(&cache, Scope::Catalog, "genres").as_deref(),
            Some("genres")
        );

        put(&cache, Scope::Movie(2), DETAIL, "two");
        cache.changed(Change::Catalog);
        assert_eq!(get(&cache, Scope::Catalog, "genres"), None);
        assert_eq!(get(&cache, Scope::Movie(2), DETAIL), None);
    }

    #[test]
    fn an_answer_computed_across_a_change_is_not_served() {
        let cache = cache();
        for change in [Change::Catalog, Change::Rating(3), Change::Movie(9)] {
            let list = cache.ticket(Scope::Lists, "list", String::new()).unwrap();
            let detail = cache
                .ticket(Scope::Movie(9), DETAIL, String::new())
                .unwrap();
            cache.changed(change);
            cache.put(list, b"stale".to_vec());
            cache.put(detail, b"stale".to_vec());
            assert_ne!(
                get(&cache, Scope::Movie(9), DETAIL).as_deref(),
                Some("stale")
            );
            if change != Change::Movie(9) {
                assert_ne!(get(&cache, Scope::Lists, "list").as_deref(), Some("stale"));
            }
        }
    }

    #[tokio::test]
    async fn recording_collects_what_the_task_recorded() {
        record(Change::Catalog);
        let ((), changes) = recording(async {
            record(Change::Movie(1));
            tokio::task::yield_now().await;
            record(Change::Rating(2));
        })
        .await;
        assert_eq!(changes, vec![Change::Movie(1), Change::Rating(2)]);
    }

    #[test]
    fn off_stores_nothing_and_tags_alike() {
        let off = CatalogCache::off();
        assert!(off.ticket(Scope::Lists, "list", String::new()).is_none());
        assert_eq!(
            Answer::new(b"x".to_vec()).etag,
            Answer::new(b"x".to_vec()).etag
        );
        assert_ne!(
            Answer::new(b"x".to_vec()).etag,
            Answer::new(b"y".to_vec()).etag
        );
    }

    #[test]
    fn pinned_values_live_until_a_change_they_depend_on() {
        let cache = cache();
        let pin = |scope, name: &str| {
            let ticket = cache.ticket(scope, "order", name.to_owned()).unwrap();
            cache.pin(ticket, Arc::new(name.to_owned()), name.len());
        };
        let held = |scope, name: &str| {
            let ticket = cache.ticket(scope, "order", name.to_owned()).unwrap();
            cache.pinned(&ticket)
        };
        pin(Scope::Catalog, "name");
        pin(Scope::Lists, "rating");
        cache.changed(Change::Movie(1));
        assert!(held(Scope::Catalog, "name").is_some() && held(Scope::Lists, "rating").is_some());
        assert_eq!(cache.pinned_bytes(), "name".len() + "rating".len());
        cache.changed(Change::Rating(1));
        assert!(held(Scope::Catalog, "name").is_some() && held(Scope::Lists, "rating").is_none());
        // Computed before a change, pinned after it: not kept.
        let stale = cache
            .ticket(Scope::Lists, "order", "rating".into())
            .unwrap();
        cache.changed(Change::Catalog);
        cache.pin(stale, Arc::new("old"), 3);
        assert!(held(Scope::Catalog, "name").is_none() && held(Scope::Lists, "rating").is_none());
    }

    #[test]
    fn bounded_by_entries_and_bytes() {
        let cache = CatalogCache::new(&CacheConfig {
            max_entries: 10,
            max_bytes: 10_000,
            ttl: Duration::from_secs(60),
            max_staleness: Duration::from_secs(1),
        });
        for i in 0..100 {
            let ticket = cache.ticket(Scope::Lists, "list", i.to_string()).unwrap();
            cache.put(ticket, vec![b'x'; 10]);
        }
        assert!(cache.entries() <= 10, "{}", cache.entries());
        for i in 0..100 {
            let ticket = cache.ticket(Scope::Lists, "big", i.to_string()).unwrap();
            cache.put(ticket, vec![b'x'; 3_000]);
        }
        assert!(cache.weighted_size() <= 10_000, "{}", cache.weighted_size());
    }
}
