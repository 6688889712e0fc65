//! Who an access token belongs to, remembered for a moment, so that a client's burst of
//! requests (a purchase is six) costs one session lookup instead of six.
//!
//! **The rule.** A session ended (signed out, revoked, password changed or reset, account
//! disabled, role changed) is refused at once by the process that ended it and by every other
//! process within the staleness bound (`AUTH_CACHE_MAX_STALENESS_MS`, default 1 s) — in
//! practice within milliseconds, the time a PostgreSQL notification takes.
//!
//! **How.** An entry maps a session id to its [`AuthUser`] and the session's expiry, and lives
//! at most the staleness bound. Every change that can end access, made by anyone (an instance,
//! the CLI, another service, SQL by hand), notifies `cinema_sessions` with the user's id from a
//! trigger (migration `m20261209_000022_session_changes`); each process [`watch`]es that channel
//! and forgets the user's entries when it hears one. The process that makes the change also
//! forgets them itself as it makes it ([`SessionCache::forget_user`], called by [`crate::Identity`]),
//! so its own next request is exact without waiting for the notification.
//!
//! **Only while listening.** Entries are used only while the listener is connected: before it
//! first connects, after its connection drops (everything is forgotten, since notifications
//! sent meanwhile are lost) and on SQLite (no notifications; a lookup there costs no network
//! round trip anyway) every request reads the session from the database.
//!
//! **Races.** A lookup takes a [`Ticket`] — the cache's epoch and the user's generation —
//! before it reads the database, and its answer is kept only if neither moved meanwhile: a
//! read that began before a revocation can never be remembered after it.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, MutexGuard, PoisonError},
    time::Duration,
};

use cinema_kernel::{
    listen::{Listener, Notice},
    metrics::{self, SESSION_CACHE},
};
use moka::sync::Cache;
use sea_orm::{DatabaseConnection, DbBackend};

use crate::AuthUser;

/// The `LISTEN`/`NOTIFY` channel of changes that can end a session's access.
pub const CHANNEL: &str = "cinema_sessions";

/// The `application_name` of the listening connection.
pub const LISTENER_NAME: &str = "cinema-session-listener";

/// Most sessions remembered at once.
const MAX_ENTRIES: u64 = 100_000;

/// Most users with a generation of their own before the epoch moves and they are cleared.
const MAX_GENERATIONS: usize = 100_000;

/// Remembered sessions of one process; [`SessionCache::off`] remembers nothing. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct SessionCache {
    inner: Option<Arc<Inner>>,
}

struct Inner {
    max_staleness: Duration,
    entries: Cache<i64, Arc<Entry>>,
    state: Mutex<State>,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inner")
            .field("max_staleness", &self.max_staleness)
            .field("entries", &self.entries.entry_count())
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Default)]
struct State {
    /// Whether the listener is connected: entries are used only then.
    live: bool,
    /// Moves when everything is forgotten.
    epoch: u64,
    /// The generation of each user forgotten since the epoch moved (others are at 0).
    users: HashMap<i64, u64>,
    /// The last generation handed out.
    last_generation: u64,
}

impl State {
    /// Where `user_id` stands now: the epoch and the user's generation.
    fn ticket(&self, user_id: i64) -> Ticket {
        Ticket {
            epoch: self.epoch,
            generation: self.users.get(&user_id).copied().unwrap_or(0),
        }
    }
}

#[derive(Debug)]
struct Entry {
    user: AuthUser,
    session_expires_at: i64,
    ticket: Ticket,
}

/// Where the cache stood when a lookup began (see the module's "Races").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket {
    epoch: u64,
    generation: u64,
}

impl SessionCache {
    /// A cache whose entries live at most `max_staleness`; nothing is used from it until
    /// [`watch`] has connected.
    pub fn new(max_staleness: Duration) -> Self {
        let entries = Cache::builder()
            .max_capacity(MAX_ENTRIES)
            .time_to_live(max_staleness)
            .build();
        Self {
            inner: Some(Arc::new(Inner {
                max_staleness,
                entries,
                state: Mutex::new(State::default()),
            })),
        }
    }

    /// Remembers nothing: every request reads its session.
    pub fn off() -> Self {
        Self { inner: None }
    }

    /// How long another process's revocation may go unseen here; `None` when off.
    pub fn max_staleness(&self) -> Option<Duration> {
        self.inner.as_ref().map(|inner| inner.max_staleness)
    }

    /// The caller of session `session_id`, if remembered, still open at `now_ms` and issued to
    /// `user_id`.
    pub fn get(&self, session_id: i64, user_id: i64, now_ms: i64) -> Option<AuthUser> {
        let inner = self.inner.as_ref()?;
        let entry = inner.entries.get(&session_id);
        let state = inner.state();
        let found = entry.filter(|entry| {
            state.live
                && entry.user.id == user_id
                && entry.session_expires_at > now_ms
                && entry.ticket == state.ticket(user_id)
        });
        drop(state);
        metrics::count(
            SESSION_CACHE,
            "result",
            if found.is_some() { "hit" } else { "miss" },
        );
        found.map(|entry| entry.user.clone())
    }

    /// Taken before reading `user_id`'s session from the database; `None` when nothing would
    /// be kept.
    pub fn ticket(&self, user_id: i64) -> Option<Ticket> {
        let state = self.inner.as_ref()?.state();
        state.live.then(|| state.ticket(user_id))
    }

    /// Remembers what a lookup that took `ticket` read, unless its user was forgotten since.
    pub fn put(&self, ticket: Option<Ticket>, user: &AuthUser, session_expires_at: i64) {
        let (Some(inner), Some(ticket)) = (self.inner.as_ref(), ticket) else {
            return;
        };
        let state = inner.state();
        if state.live && ticket == state.ticket(user.id) {
            let entry = Entry {
                user: user.clone(),
                session_expires_at,
                ticket,
            };
            inner.entries.insert(user.session_id, Arc::new(entry));
        }
    }

    /// Forgets every session of `user_id` (and any lookup of it still under way).
    pub fn forget_user(&self, user_id: i64) {
        let Some(inner) = self.inner.as_ref() else {
            return;
        };
        let mut state = inner.state();
        if state.users.len() >= MAX_GENERATIONS {
            inner.forget_all(&mut state);
        }
        state.last_generation += 1;
        let generation = state.last_generation;
        state.users.insert(user_id, generation);
    }

    /// Forgets everything; with `live`, whether entries may be used from now on.
    fn restart(&self, live: bool) {
        if let Some(inner) = self.inner.as_ref() {
            let mut state = inner.state();
            inner.forget_all(&mut state);
            state.live = live;
        }
    }
}

impl Inner {
    fn state(&self) -> MutexGuard<'_, State> {
        // The state is left consistent at every point a panic could happen.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn forget_all(&self, state: &mut State) {
        state.epoch += 1;
        state.users.clear();
        self.entries.invalidate_all();
    }
}

/// Reads a notification payload (`"user {id}"`).
fn parse(payload: &str) -> Option<i64> {
    payload.strip_prefix("user ")?.parse().ok()
}

/// Starts listening for ended sessions when the cache is on and the database is PostgreSQL;
/// the task ends when the returned handle is aborted. Until it has connected, and whenever its
/// connection is down, nothing is used from the cache.
pub fn watch(cache: &SessionCache, db: &DatabaseConnection) -> Option<tokio::task::JoinHandle<()>> {
    cache.inner.as_ref()?;
    if db.get_database_backend() != DbBackend::Postgres {
        return None;
    }
    let (cache, db) = (cache.clone(), db.clone());
    Some(tokio::spawn(async move {
        let mut listener = Listener::new(&db, LISTENER_NAME, CHANNEL);
        loop {
            match listener.next().await {
                Notice::Connected => cache.restart(true),
                Notice::Message(payload) => match parse(&payload) {
                    Some(user_id) => cache.forget_user(user_id),
                    None => {
                        tracing::warn!(payload, "unknown session change");
                        cache.restart(true);
                    }
                },
                // Changes may be lost while the connection is down: nothing is remembered or
                // used until the listener is back.
                Notice::Lost => cache.restart(false),
            }
        }
    }))
}

#[cfg(test)]
mod revocations;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Role;

    fn user(id: i64, session_id: i64) -> AuthUser {
        AuthUser {
            id,
            email: format!("u{id}@example.com"),
            role: Role::User,
            is_active: true,
            created_at: 0,
            session_id,
        }
    }

    fn live() -> SessionCache {
        let cache = SessionCache::new(Duration::from_secs(60));
        cache.restart(true);
        cache
    }

    #[test]
    fn remembers_only_while_listening() {
        let cache = SessionCache::new(Duration::from_secs(60));
        assert_eq!(cache.ticket(1), None);
        cache.put(cache.ticket(1), &user(1, 10), 1_000);
        assert_eq!(cache.get(10, 1, 0), None);
        cache.restart(true);
        cache.put(cache.ticket(1), &user(1, 10), 1_000);
        assert_eq!(cache.get(10, 1, 0), Some(user(1, 10)));
        cache.restart(false);
        assert_eq!(cache.get(10, 1, 0), None);
        assert_eq!(SessionCache::off().get(10, 1, 0), None);
    }

    #[test]
    fn checks_the_user_and_the_expiry() {
        let cache = live();
        cache.put(cache.ticket(1), &user(1, 10), 1_000);
        assert_eq!(cache.get(10, 2, 0), None, "another user's token");
        assert_eq!(cache.get(10, 1, 1_000), None, "expired");
        assert!(cache.get(10, 1, 999).is_some());
    }

    #[test]
    fn a_lookup_begun_before_a_revocation_is_not_kept() {
        let cache = live();
        let ticket = cache.ticket(1);
        cache.forget_user(1);
        cache.put(ticket, &user(1, 10), 1_000);
        assert_eq!(cache.get(10, 1, 0), None);
        // Another user's lookup is unaffected.
        let other = cache.ticket(2);
        cache.forget_user(1);
        cache.put(other, &user(2, 20), 1_000);
        assert!(cache.get(20, 2, 0).is_some());
    }

    #[test]
    fn forgetting_drops_what_was_remembered() {
        let cache = live();
        cache.put(cache.ticket(1), &user(1, 10), 1_000);
        cache.put(cache.ticket(1), &user(1, 11), 1_000);
        cache.put(cache.ticket(2), &user(2, 20), 1_000);
        cache.forget_user(1);
        assert_eq!(cache.get(10, 1, 0), None);
        assert_eq!(cache.get(11, 1, 0), None);
        assert!(cache.get(20, 2, 0).is_some());
        cache.put(cache.ticket(1), &user(1, 10), 1_000);
        assert!(
            cache.get(10, 1, 0).is_some(),
            "read again after the revocation"
        );
    }

    #[test]
    fn payloads() {
        assert_eq!(parse("user 42"), Some(42));
        for bad in ["", "user", "user x", "42", "session 1"] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
