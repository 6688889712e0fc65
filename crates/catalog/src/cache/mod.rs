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
//! [`version::bump`] in its own transaction, naming a [`Change`]; the bump answers a
//! [`Pending`] change the writer must apply after the commit ([`CatalogCache::apply`]; it is
//! `#[must_use]`, and the crate's write APIs — [`crate::Catalog`], the engagement service —
//! apply it themselves before they return), so the writing process's next read is fresh,
//! whoever called it: an HTTP handler, a job, the CLI, another Rust service. Every other
//! process learns of the change from the database ([`watch`]): on PostgreSQL through
//! `LISTEN/NOTIFY`, with a poll of the version for notifications lost without a dropped
//! connection; on SQLite by that poll alone (a committed version this process did not apply
//! drops everything). Changes are scoped:
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
//! **Which versions were applied.** The cache keeps the versions it has applied (its own
//! writes and, on PostgreSQL, what it heard), so the poll tells a version written elsewhere
//! from one written here.
//!
//! **Builds.** A large value every list needs (a whole-catalog order, the labels) is built once
//! per key and version by the first reader, the others waiting for that build alone
//! ([`CatalogCache::pinned_or_build`]); builds of other keys, and other caches, never wait.
//!
//! [`CatalogCache::off`] caches nothing (`CATALOG_CACHE=off`): every method is then a no-op.

pub mod version;
pub mod watch;

mod applied;

use std::{
    any::Any,
    collections::HashMap,
    future::Future,
    sync::{
        Arc, Mutex, PoisonError, Weak,
        atomic::{AtomicI64, AtomicU64, Ordering},
    },
    time::Duration,
};

use bytes::Bytes;
use moka::sync::Cache;
use sha2::{Digest, Sha256};

use applied::Applied;
pub use version::{Change, Pending};

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
    /// The serialized answer.
    pub body: Bytes,
    /// A weak validator (`W/"…"`): the same bytes give the same tag on every instance.
    pub etag: String,
}

impl Answer {
    /// An answer of these bytes, its ETag derived from them.
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
    /// The newest catalog version applied here, kept even with the cache off: a read replica
    /// serves public reads only once it has replayed it ([`crate::replicas`]).
    newest: Arc<AtomicI64>,
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
    /// One lock per key being built ([`CatalogCache::pinned_or_build`]); gone with its last user.
    building: Mutex<HashMap<Key, Weak<tokio::sync::Mutex<()>>>>,
    /// The catalog versions whose change this cache has applied.
    applied: Mutex<Applied>,
}

/// A pinned value and what it weighs.
type Pinned = (Arc<dyn Any + Send + Sync>, usize);

impl CatalogCache {
    /// A cache within `config`'s bounds.
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
            newest: Arc::default(),
            inner: Some(Arc::new(Inner {
                answers,
                catalog_epoch: AtomicU64::new(0),
                ratings_epoch: AtomicU64::new(0),
                movie_changes: AtomicU64::new(0),
                max_staleness: config.max_staleness,
                pinned: Mutex::new(HashMap::new()),
                building: Mutex::new(HashMap::new()),
                applied: Mutex::new(Applied::default()),
            })),
        }
    }

    /// A cache that stores nothing.
    pub fn off() -> Self {
        Self::default()
    }

    /// The newest catalog version this process applied: its own writes, and on PostgreSQL
    /// what it heard of others' (0 before any).
    pub fn newest_applied(&self) -> i64 {
        self.newest.load(Ordering::SeqCst)
    }

    /// Whether it caches anything.
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

    /// The answer stored under `ticket`, if any.
    pub fn get(&self, ticket: &Ticket) -> Option<Arc<Answer>> {
        let found = self.inner.as_ref()?.answers.get(&ticket.key);
        let result = if found.is_some() { "hit" } else { "miss" };
        cinema_kernel::metrics::count(cinema_kernel::metrics::CATALOG_CACHE, "result", result);
        found
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

    /// The value pinned under the ticket, or `build` run once per key (the other readers of
    /// that key wait for it; readers of other keys do not) and pinned. `ticket` is asked again
    /// once this reader may build, so what it builds is stored under the version it reads at.
    /// With the cache off, `build` runs every time.
    pub async fn pinned_or_build<T, E, F, Fut>(
        &self,
        ticket: impl Fn() -> Option<Ticket>,
        weigh: fn(&T) -> usize,
        build: F,
    ) -> Result<Arc<T>, E>
    where
        T: Any + Send + Sync,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let (Some(inner), Some(first)) = (&self.inner, ticket()) else {
            return Ok(Arc::new(build().await?));
        };
        if let Some(value) = self.held(&first) {
            return Ok(value);
        }
        let flight = {
            let mut building = inner
                .building
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            building.retain(|_, flight| flight.strong_count() > 0);
            match building.get(&first.key).and_then(Weak::upgrade) {
                Some(flight) => flight,
                None => {
                    let flight = Arc::new(tokio::sync::Mutex::new(()));
                    building.insert(first.key.clone(), Arc::downgrade(&flight));
                    flight
                }
            }
        };
        let _building = flight.lock().await;
        let ticket = ticket();
        if let Some(value) = ticket.as_ref().and_then(|ticket| self.held(ticket)) {
            return Ok(value);
        }
        let value = Arc::new(build().await?);
        if let Some(ticket) = ticket {
            self.pin(ticket, value.clone(), weigh(&value));
        }
        Ok(value)
    }

    fn held<T: Any + Send + Sync>(&self, ticket: &Ticket) -> Option<Arc<T>> {
        self.pinned(ticket)?.downcast::<T>().ok()
    }

    /// Applies a change this process committed (see [`Pending`]).
    pub fn apply(&self, pending: Pending) {
        self.newest.fetch_max(pending.version, Ordering::SeqCst);
        let Some(inner) = &self.inner else {
            return;
        };
        self.changed(pending.change);
        lock(&inner.applied).add(pending.version);
    }

    /// Notes that every version up to `version` is accounted for (the cache was just emptied,
    /// or started, at that version).
    fn applied_through(&self, version: i64) {
        self.newest.fetch_max(version, Ordering::SeqCst);
        if let Some(inner) = &self.inner {
            lock(&inner.applied).through(version);
        }
    }

    /// Whether some version up to `version` was committed and not applied here.
    fn missed_up_to(&self, version: i64) -> bool {
        self.inner
            .as_ref()
            .is_some_and(|inner| lock(&inner.applied).missing_up_to(version))
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

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
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
    async fn one_build_per_key_and_none_shared_between_keys_or_caches() {
        use std::sync::atomic::AtomicUsize;
        let (cache, other) = (cache(), cache());
        let builds = Arc::new(AtomicUsize::new(0));
        let (release, released) = tokio::sync::watch::channel(false);
        let slow = |cache: CatalogCache, name: &'static str| {
            let (builds, mut released) = (builds.clone(), released.clone());
            tokio::spawn(async move {
                let ticket = || cache.ticket(Scope::Catalog, "order", name.to_owned());
                cache
                    .pinned_or_build(
                        ticket,
                        |_: &u8| 1,
                        || async move {
                            builds.fetch_add(1, Ordering::SeqCst);
                            released.wait_for(|go| *go).await.map_err(|_| ())?;
                            Ok::<u8, ()>(1)
                        },
                    )
                    .await
            })
        };
        // Two readers of one key: one build, held up until released.
        let waiting = [slow(cache.clone(), "a"), slow(cache.clone(), "a")];
        // Another key of the same cache, and the same key of another cache, build meanwhile.
        for (cache, name) in [(&cache, "b"), (&other, "a")] {
            let ticket = || cache.ticket(Scope::Catalog, "order", name.to_owned());
            let built = tokio::time::timeout(
                Duration::from_secs(5),
                cache.pinned_or_build(ticket, |_: &u8| 1, || async { Ok::<u8, ()>(2) }),
            )
            .await
            .expect("a build of another key or cache is not held up");
            assert_eq!(*built.unwrap(), 2);
        }
        release.send(true).unwrap();
        for reader in waiting {
            assert_eq!(*reader.await.unwrap().unwrap(), 1);
        }
        assert_eq!(builds.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn applied_versions_tell_own_writes_from_missed_ones() {
        let cache = cache();
        cache.applied_through(10);
        assert!(!cache.missed_up_to(10));
        cache.apply(Pending::new(12, Change::Catalog));
        assert!(cache.missed_up_to(12), "11 was written elsewhere");
        cache.apply(Pending::new(11, Change::Movie(3)));
        assert!(!cache.missed_up_to(12));
        cache.applied_through(15);
        assert!(!cache.missed_up_to(15) && cache.missed_up_to(16));
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
