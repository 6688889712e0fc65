//! Search as people type it: every word of the query in any field and any order, the last
//! word also as a prefix, typos forgiven by word length, ranked by a rule that explains
//! itself — answered from an index each process keeps in memory.
//!
//! **Why an index in the process.** Neither database can give the same answers as the other:
//! PostgreSQL's `pg_trgm` and `fuzzystrmatch` and SQLite's FTS5 disagree on what a typo is, on
//! tokens and on ranking, and neither ranks by "words exact, then typos, then proximity". A
//! search server (Meilisearch) would be one more thing to run and keep in step. So the index
//! is ours, one code path for both databases: the same query gives the same movies in the same
//! order on SQLite and PostgreSQL, on every instance. It is built from the database when the
//! process starts (`SearchIndex::warm`; ~1 s for 100k movies) and kept fresh by the catalog's
//! version: a search first makes sure the index has seen every change this process knows of —
//! its own writes at once, other instances' within the cache's staleness bound, and with the
//! cache off the version committed now.
//!
//! **What it holds** (`segment`): a dictionary of normalized words ([`text`]) in a finite-
//! state transducer, and per word the movies, fields and positions it occurs at. Typos are
//! Levenshtein automata (`query`) walked over the dictionary, so finding `godfater`'s
//! neighbours visits a few hundred dictionary states, not every word.
//!
//! **How it stays fresh.** Triggers log every movie whose searchable text changed (title,
//! people, genres, description, votes, year) in `search_changes`; the catalog version's bump
//! stamps the log rows of its transaction with the version it commits. The index reads the
//! movies changed since its version and indexes them again in a small second segment, hiding
//! their old postings in the large one; past 2,000 changed movies it rebuilds whole.
//!
//! **Ranking** (no explicit sort): more query words matched without a typo → fewer typos →
//! words closer together and in order → the fields matched (title, then people, genres,
//! description) → the query is the whole title → more IMDb votes → lower id.

mod load;
pub(crate) mod query;
mod segment;
pub mod text;

use std::sync::{Arc, PoisonError, RwLock};

use sea_orm::DatabaseConnection;

use query::{Best, Prepared, RankKey};

use segment::{Segment, SegmentBuilder};

use crate::{Result, cache::CatalogCache, movies::SearchQuery};

/// The fields of a movie the index knows, in the order of their bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Field {
    Title = 0,
    Actors = 1,
    Directors = 2,
    Genres = 3,
    Description = 4,
}

impl Field {
    /// The ranking rule's order of fields: title, people, genres, description.
    fn rank_of(field: u8) -> u8 {
        match field {
            0 => 0,
            1 | 2 => 1,
            3 => 2,
            _ => 3,
        }
    }
}

/// A movie as the index reads it.
#[derive(Debug, Clone)]
pub(crate) struct Doc {
    pub id: i64,
    pub votes: i64,
    pub year: i32,
    pub name: String,
    pub actors: String,
    pub directors: String,
    pub genres: Vec<String>,
    pub description: String,
}

/// Movies changed since the last whole build that the small segment takes before the index is
/// rebuilt whole.
const OVERLAY_LIMIT: usize = 2_000;

/// The change log keeps this many catalog versions (an index further behind rebuilds whole).
const KEEP_VERSIONS: i64 = 1_000_000;

/// One movie a search found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundMovie {
    /// Its id.
    pub id: i64,
    /// Its title.
    pub name: String,
    /// Its release year.
    pub year: i32,
}

/// What a search found: how many movies match, and the best of them in rank order.
#[derive(Debug, Clone, Default)]
pub struct Found {
    /// Every match.
    pub total: usize,
    /// The ids of the best matches, in rank order (all of them unless fewer were asked for).
    pub ids: Vec<i64>,
}

/// The catalog's search index (cheap to clone; clones share it).
#[derive(Clone)]
pub struct SearchIndex {
    shared: Arc<Shared>,
}

struct Shared {
    db: DatabaseConnection,
    cache: CatalogCache,
    snapshot: RwLock<Option<Arc<Snapshot>>>,
    /// One build or refresh at a time; searches that need it wait for it.
    refreshing: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("version", &self.current().map(|s| s.version))
            .finish_non_exhaustive()
    }
}

/// The index at one catalog version.
struct Snapshot {
    base: Arc<Segment>,
    /// A bit per movie of `base` changed since it was built: its postings there are old.
    stale: Vec<u64>,
    /// The movies changed since `base` was built, as they are now.
    overlay: Arc<Segment>,
    overlay_docs: Arc<Vec<Doc>>,
    version: i64,
}

impl SearchIndex {
    /// An index of the catalog in `db`, kept as fresh as `cache` knows the catalog to be
    /// (with the cache off: as the database's version, read before each search). Nothing is
    /// read until the first search or [`SearchIndex::warm`].
    pub fn new(db: DatabaseConnection, cache: CatalogCache) -> Self {
        Self {
            shared: Arc::new(Shared {
                db,
                cache,
                snapshot: RwLock::new(None),
                refreshing: tokio::sync::Mutex::new(()),
            }),
        }
    }

    /// Builds the index now (at startup, so that the first search does not wait for it).
    pub async fn warm(&self) -> Result<()> {
        self.fresh().await.map(|_| ())
    }

    /// Bytes the index holds, roughly (0 before it is built).
    pub fn bytes(&self) -> usize {
        self.current().map_or(0, |s| {
            s.base.bytes() + s.overlay.bytes() + s.stale.len() * 8
        })
    }

    /// The catalog version the index shows (`None` before it is built).
    pub fn version(&self) -> Option<i64> {
        self.current().map(|s| s.version)
    }

    fn current(&self) -> Option<Arc<Snapshot>> {
        self.shared
            .snapshot
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The matches of `query`, ranked; the `k` best when `k` is given.
    pub async fn find(&self, query: &SearchQuery, k: Option<usize>) -> Result<Found> {
        let snapshot = self.fresh().await?;
        let (total, ranked) = snapshot.ranked(&query.prepared(), k);
        Ok(Found {
            total,
            ids: ids_of(&ranked),
        })
    }

    /// The `k` best matches of `query` with the characters of each title it matched.
    pub async fn suggest(
        &self,
        query: &SearchQuery,
        k: usize,
    ) -> Result<Vec<(FoundMovie, Vec<(usize, usize)>)>> {
        let snapshot = self.fresh().await?;
        let prepared = query.prepared();
        let (_, ranked) = snapshot.ranked(&prepared, Some(k));
        Ok(ranked
            .into_iter()
            .filter_map(|(segment, slot)| {
                let doc = segment.docs.get(slot)?;
                let name = segment.name(slot);
                let movie = FoundMovie {
                    id: doc.id,
                    name: name.to_owned(),
                    year: doc.year,
                };
                Some((movie, prepared.spans(name)))
            })
            .collect())
    }

    /// The index at the newest catalog version this process knows of, refreshed first if it
    /// is behind.
    async fn fresh(&self) -> Result<Arc<Snapshot>> {
        let shared = &self.shared;
        let wanted = if shared.cache.is_on() {
            shared.cache.newest_applied()
        } else {
            crate::cache::version::current(&shared.db).await?
        };
        if let Some(snapshot) = self.current()
            && snapshot.version >= wanted
        {
            return Ok(snapshot);
        }
        let _refreshing = shared.refreshing.lock().await;
        let current = self.current();
        let next = match current {
            Some(snapshot) if snapshot.version >= wanted => return Ok(snapshot),
            None => build(&shared.db).await?,
            Some(snapshot) => {
                let (version, pruned, changed) =
                    load::changes_since(&shared.db, snapshot.version).await?;
                if version <= snapshot.version {
                    // What this process heard of was rolled back: nothing to do.
                    return Ok(snapshot);
                }
                if pruned > snapshot.version
                    || snapshot.overlay_docs.len() + changed.len() > OVERLAY_LIMIT
                {
                    build(&shared.db).await?
                } else {
                    let docs = load::these(&shared.db, &changed).await?;
                    snapshot.with_changes(version, &changed, docs)
                }
            }
        };
        let next = Arc::new(next);
        *shared
            .snapshot
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Some(next.clone());
        Ok(next)
    }
}

/// Forgets the change log up to `version` after a write that changed the whole catalog at
/// once (`cinema seed`): every index behind it rebuilds whole instead of reading its rows.
pub async fn forget_changes_through<C: sea_orm::ConnectionTrait>(
    db: &C,
    version: i64,
) -> Result<()> {
    load::prune(db, version).await
}

/// The whole catalog, read and indexed in chunks of ids — a small segment each, merged into
/// one at the end, so the build never holds more than about twice the index — at the version
/// read first: changes committed while it reads are read again by the next refresh.
async fn build(db: &DatabaseConnection) -> Result<Snapshot> {
    let started = std::time::Instant::now();
    let (version, _, _) = load::changes_since(db, i64::MAX).await?;
    let mut parts = Vec::new();
    let mut after = i64::MIN;
    loop {
        let docs = load::chunk_after(db, after).await?;
        let Some(last) = docs.last() else { break };
        after = last.id;
        let full = docs.len() == load::CHUNK;
        parts.push(segment_of(&docs));
        drop(docs);
        // Each part is a few milliseconds of work: let other tasks run between them.
        tokio::task::yield_now().await;
        if !full {
            break;
        }
    }
    let base = segment::merge(&parts);
    drop(parts);
    if version > KEEP_VERSIONS
        && let Err(e) = load::prune(db, version - KEEP_VERSIONS).await
    {
        tracing::warn!(error = %e, "cannot prune the search change log");
    }
    tracing::info!(
        movies = base.len(),
        bytes = base.bytes(),
        millis = started.elapsed().as_millis() as u64,
        version,
        "search index built"
    );
    Ok(Snapshot {
        stale: vec![0; base.len().div_ceil(64)],
        base: Arc::new(base),
        overlay: Arc::new(SegmentBuilder::default().finish()),
        overlay_docs: Arc::default(),
        version,
    })
}

impl Snapshot {
    /// This snapshot with `changed` movies (sorted) read again: `docs` are those that still
    /// exist.
    fn with_changes(&self, version: i64, changed: &[i64], docs: Vec<Doc>) -> Self {
        if changed.is_empty() {
            // A version that changed no searchable text (a rating, a comment, a poster).
            return Self {
                base: self.base.clone(),
                stale: self.stale.clone(),
                overlay: self.overlay.clone(),
                overlay_docs: self.overlay_docs.clone(),
                version,
            };
        }
        let mut stale = self.stale.clone();
        for id in changed {
            if let Some(slot) = self.base.slot_of(*id)
                && let Some(bits) = stale.get_mut(slot as usize / 64)
            {
                *bits |= 1 << (slot % 64);
            }
        }
        let mut overlay_docs: Vec<Doc> = self
            .overlay_docs
            .iter()
            .filter(|d| changed.binary_search(&d.id).is_err())
            .cloned()
            .chain(docs)
            .collect();
        overlay_docs.sort_by_key(|d| d.id);
        Self {
            base: self.base.clone(),
            stale,
            overlay: Arc::new(segment_of(&overlay_docs)),
            overlay_docs: Arc::new(overlay_docs),
            version,
        }
    }

    /// How many movies match, and the `k` best (all when `k` is `None`) in rank order, as
    /// (segment, slot).
    fn ranked(&self, query: &Prepared, k: Option<usize>) -> (usize, Vec<(&Segment, usize)>) {
        let (base_total, base) = self.base.search(query, Some(&self.stale), k);
        let (overlay_total, overlay) = self.overlay.search(query, None, k);
        let mut hits: Best<(RankKey, bool, u32)> = Best::new(k);
        base.iter()
            .map(|h| (h.key, false, h.slot))
            .chain(overlay.iter().map(|h| (h.key, true, h.slot)))
            .for_each(|hit| hits.push(hit));
        let ranked = hits
            .sorted()
            .1
            .into_iter()
            .map(|(_, in_overlay, slot)| {
                let segment: &Segment = if in_overlay {
                    &self.overlay
                } else {
                    &self.base
                };
                (segment, slot as usize)
            })
            .collect();
        (base_total + overlay_total, ranked)
    }
}

/// The ids of ranked matches.
fn ids_of(ranked: &[(&Segment, usize)]) -> Vec<i64> {
    ranked
        .iter()
        .filter_map(|(segment, slot)| segment.docs.get(*slot).map(|d| d.id))
        .collect()
}

/// A segment of these movies (sorted by id).
fn segment_of(docs: &[Doc]) -> Segment {
    let mut builder = SegmentBuilder::default();
    for doc in docs {
        builder.add(doc);
    }
    builder.finish()
}

/// The matches of `query` among exactly these movies, read now: a search without the
/// catalog's index (a user's favorites), ranked by the same rule.
pub(crate) async fn among<C: sea_orm::ConnectionTrait>(
    db: &C,
    ids: &[i64],
    query: &SearchQuery,
    k: Option<usize>,
) -> Result<Found> {
    let docs = load::these(db, ids).await?;
    let snapshot = Snapshot {
        stale: Vec::new(),
        base: Arc::new(segment_of(&docs)),
        overlay: Arc::new(SegmentBuilder::default().finish()),
        overlay_docs: Arc::default(),
        version: 0,
    };
    let (total, ranked) = snapshot.ranked(&query.prepared(), k);
    Ok(Found {
        total,
        ids: ids_of(&ranked),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(id: i64, name: &str, actors: &str, genres: &[&str], description: &str) -> Doc {
        Doc {
            id,
            votes: 1_000 - id,
            year: 2000,
            name: name.into(),
            actors: actors.into(),
            directors: String::new(),
            genres: genres.iter().map(|g| (*g).to_owned()).collect(),
            description: description.into(),
        }
    }

    fn docs() -> Vec<Doc> {
        (1..=40)
            .map(|i| {
                doc(
                    i,
                    &format!(
                        "Title {} of the river {i}",
                        ["dark", "silent", "lost"][i as usize % 3]
                    ),
                    ["Ann Lee", "Bo Park", "Cy Moss"][i as usize % 3],
                    &[["Drama", "Sci-Fi"][i as usize % 2]],
                    &format!("A story number {i} about a haunted lighthouse and a river."),
                )
            })
            .collect()
    }

    fn ranked_ids(segment: Segment, q: &str) -> (usize, Vec<i64>) {
        let snapshot = Snapshot {
            stale: vec![0; segment.len().div_ceil(64)],
            base: Arc::new(segment),
            overlay: Arc::new(SegmentBuilder::default().finish()),
            overlay_docs: Arc::default(),
            version: 0,
        };
        let (total, ranked) = snapshot.ranked(&SearchQuery::new(q, &[]).prepared(), Some(25));
        (total, ids_of(&ranked))
    }

    #[test]
    fn a_merged_segment_answers_as_one_built_whole() {
        let all = docs();
        for q in [
            "river",
            "dark riv",
            "lighthouse haunted",
            "sci fi park",
            "silnet",
            "a",
            "12",
        ] {
            let whole = ranked_ids(segment_of(&all), q);
            let parts = [
                segment_of(&all[..7]),
                segment_of(&all[7..8]),
                segment_of(&all[8..]),
            ];
            assert_eq!(ranked_ids(segment::merge(&parts), q), whole, "{q}");
            assert!(whole.0 > 0, "{q}");
        }
    }

    #[test]
    fn changed_movies_replace_their_old_postings() {
        let all = docs();
        let snapshot = Snapshot {
            stale: vec![0; 1],
            base: Arc::new(segment_of(&all)),
            overlay: Arc::new(SegmentBuilder::default().finish()),
            overlay_docs: Arc::default(),
            version: 1,
        };
        let renamed = doc(5, "Wormhole", "Ann Lee", &[], "Nothing here.");
        let next = snapshot.with_changes(2, &[5, 6], vec![renamed]);
        let find = |q: &str| {
            let (total, ranked) = next.ranked(&SearchQuery::new(q, &[]).prepared(), None);
            (total, ids_of(&ranked))
        };
        assert_eq!(find("wormhole"), (1, vec![5]));
        assert_eq!(
            find("river 5").1,
            Vec::<i64>::new(),
            "its old title is gone"
        );
        assert!(!find("river").1.contains(&6), "a deleted movie is gone");
        assert_eq!(find("river").0, 38);
        // A version that changed no text keeps what it had.
        let same = next.with_changes(3, &[], vec![]);
        assert_eq!(same.version, 3);
        assert_eq!(same.overlay_docs.len(), 1);
    }
}
