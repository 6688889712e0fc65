//! One immutable piece of the index: a dictionary of words (a finite-state transducer the
//! typo automata walk) and, per word, its postings — the movies that hold it, with the field
//! and position of each occurrence — as variable-length integers in one byte array: the gap to
//! the previous movie, then position and field, under 3 bytes per word of text.
//!
//! A query runs word by word, the rarest first: each word's postings are read only for the
//! movies every rarer word matched (a bit per movie), so the all-words rule narrows as it goes
//! and the last list holds exactly the matches. Each match is then ranked from its postings
//! alone ([`RankKey`]).

use std::{cmp::Reverse, collections::HashMap};

use fst::{IntoStreamer, Map, Streamer, automaton::Str};

use super::{
    Doc, Field,
    query::{Best, Finder, Prepared, QueryWord, RankKey},
    text::words,
};
use fst::Automaton as _;

/// Positions beyond this, in a field, count as this one.
const MAX_POSITION: u16 = (1 << 12) - 1;
/// Words of different genres (or beyond the first names) are this far apart: not neighbours.
const GAP: u16 = 8;
/// The proximity of two words not found near each other in one field.
const FAR: u16 = 8;
/// At most this many occurrences of a word in one movie are weighed for proximity.
const MAX_WEIGHED: usize = 16;

/// A position and a field in one number, the position first so that early words of a field
/// (most of them) take one byte.
fn spot(field: Field, position: u16) -> u16 {
    position.min(MAX_POSITION) << 3 | field as u16
}

fn field_of(spot: u16) -> u8 {
    (spot & 7) as u8
}

fn position_of(spot: u16) -> u16 {
    spot >> 3
}

/// Appends `value` as a variable-length integer (7 bits a byte, low first).
fn put(out: &mut Vec<u8>, mut value: u32) {
    while value >= 0x80 {
        out.push((value as u8 & 0x7f) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// The bytes `value` takes as a variable-length integer.
fn size(value: u32) -> usize {
    match value {
        0..0x80 => 1,
        0x80..0x4000 => 2,
        0x4000..0x20_0000 => 3,
        0x20_0000..0x1000_0000 => 4,
        _ => 5,
    }
}

/// Reads a variable-length integer at `*at`, moving past it.
fn get(bytes: &[u8], at: &mut usize) -> u32 {
    let mut value = 0u32;
    let mut shift = 0;
    while let Some(&b) = bytes.get(*at) {
        *at += 1;
        value |= u32::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    value
}

/// A word's postings, decoded as they are read: (movie slot, spot).
struct Postings<'a> {
    bytes: &'a [u8],
    at: usize,
    doc: u32,
}

impl Iterator for Postings<'_> {
    type Item = (u32, u16);

    fn next(&mut self) -> Option<(u32, u16)> {
        if self.at >= self.bytes.len() {
            return None;
        }
        self.doc += get(self.bytes, &mut self.at);
        let spot = get(self.bytes, &mut self.at) as u16;
        Some((self.doc, spot))
    }
}

/// What a segment keeps of each movie.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DocInfo {
    pub id: i64,
    pub votes: i64,
    pub year: i32,
    title_words: u16,
    /// Where its title starts in the segment's `names`.
    name_at: u32,
}

/// A dictionary and its postings; see the module's header.
pub(crate) struct Segment {
    dictionary: Map<Vec<u8>>,
    /// Per word (the dictionary's value), where its postings start in `postings`; one more
    /// at the end.
    starts: Box<[u32]>,
    /// Every word's postings, one after another.
    postings: Box<[u8]>,
    /// The movies, by id.
    pub docs: Box<[DocInfo]>,
    /// Every title, one after another.
    names: Box<str>,
}

impl std::fmt::Debug for Segment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Segment")
            .field("words", &self.dictionary.len())
            .field("posting_bytes", &self.postings.len())
            .field("movies", &self.docs.len())
            .finish()
    }
}

/// Builds a [`Segment`] from movies added in ascending id order.
#[derive(Default)]
pub(crate) struct SegmentBuilder {
    ids: HashMap<Box<str>, u32>,
    /// Every occurrence, movie after movie: its word (in order of first sight) and spot.
    occurrence_words: Vec<u32>,
    occurrence_spots: Vec<u16>,
    /// Per movie, where its occurrences end.
    doc_ends: Vec<u32>,
    docs: Vec<DocInfo>,
    names: String,
}

impl SegmentBuilder {
    /// Adds a movie; ids must ascend.
    pub fn add(&mut self, doc: &Doc) {
        let mut title_words = 0u16;
        let text = |builder: &mut Self, field: Field, text: &str, from: u16| -> u16 {
            let mut position = from;
            for word in words(text) {
                let next = u32::try_from(builder.ids.len()).unwrap_or(u32::MAX);
                let id = *builder.ids.entry(word.into_boxed_str()).or_insert(next);
                builder.occurrence_words.push(id);
                builder.occurrence_spots.push(spot(field, position));
                position = position.saturating_add(1);
            }
            position
        };
        title_words = title_words.max(text(self, Field::Title, &doc.name, 0));
        text(self, Field::Actors, &doc.actors, 0);
        text(self, Field::Directors, &doc.directors, 0);
        let mut position = 0;
        for genre in &doc.genres {
            position = text(self, Field::Genres, genre, position).saturating_add(GAP);
        }
        text(self, Field::Description, &doc.description, 0);
        self.doc_ends
            .push(u32::try_from(self.occurrence_words.len()).unwrap_or(u32::MAX));
        self.docs.push(DocInfo {
            id: doc.id,
            votes: doc.votes,
            year: doc.year,
            title_words,
            name_at: u32::try_from(self.names.len()).unwrap_or(u32::MAX),
        });
        self.names.push_str(&doc.name);
    }

    /// The segment: words sorted into the dictionary, occurrences grouped by word (a counting
    /// sort over bytes, so each word's postings stay in movie order). The builder's own arrays
    /// are released as soon as they have been read.
    pub fn finish(self) -> Segment {
        let SegmentBuilder {
            ids,
            occurrence_words,
            occurrence_spots,
            doc_ends,
            docs,
            names,
        } = self;
        let mut sorted: Vec<(Box<str>, u32)> = ids.into_iter().collect();
        sorted.sort_unstable();
        let mut rank = vec![0u32; sorted.len()];
        for (new, (_, old)) in sorted.iter().enumerate() {
            rank[*old as usize] = new as u32;
        }
        // Each movie's occurrences, word by word.
        let each = |visit: &mut dyn FnMut(usize, u32, u16)| {
            let mut from = 0usize;
            for (doc, end) in doc_ends.iter().enumerate() {
                let end = *end as usize;
                for at in from..end {
                    let word = rank[occurrence_words[at] as usize] as usize;
                    visit(word, doc as u32, occurrence_spots[at]);
                }
                from = end;
            }
        };
        // First the bytes each word's postings take, then the postings themselves.
        let mut starts = vec![0u32; sorted.len() + 1];
        let mut last = vec![0u32; sorted.len()];
        each(&mut |word, doc, spot| {
            starts[word + 1] += (size(doc - last[word]) + size(u32::from(spot))) as u32;
            last[word] = doc;
        });
        for i in 1..starts.len() {
            starts[i] += starts[i - 1];
        }
        let mut postings = vec![0u8; starts.last().copied().unwrap_or(0) as usize];
        let mut cursor = starts.clone();
        last.fill(0);
        let mut scratch = Vec::with_capacity(10);
        each(&mut |word, doc, spot| {
            scratch.clear();
            put(&mut scratch, doc - last[word]);
            put(&mut scratch, u32::from(spot));
            last[word] = doc;
            let at = cursor[word] as usize;
            postings[at..at + scratch.len()].copy_from_slice(&scratch);
            cursor[word] += scratch.len() as u32;
        });
        drop((occurrence_words, occurrence_spots));
        let dictionary = Map::from_iter(
            sorted
                .iter()
                .enumerate()
                .map(|(i, (word, _))| (word.as_bytes(), i as u64)),
        )
        .unwrap_or_default();
        Segment {
            dictionary,
            starts: starts.into(),
            postings: postings.into(),
            docs: docs.into(),
            names: names.into_boxed_str(),
        }
    }
}

/// One segment of `parts`, whose movies follow one another in id order: the dictionaries'
/// union, each word's postings in part order with their movie slots moved past the parts
/// before. Built part by part, a large segment never needs the builder's per-occurrence
/// arrays for the whole catalog at once.
pub(crate) fn merge(parts: &[Segment]) -> Segment {
    let mut bases = Vec::with_capacity(parts.len());
    let mut total_docs = 0u32;
    for part in parts {
        bases.push(total_docs);
        total_docs += part.docs.len() as u32;
    }
    let bytes: usize = parts.iter().map(|p| p.postings.len()).sum();
    let mut postings = Vec::with_capacity(bytes + bytes / 16);
    let mut starts = vec![0u32];
    let mut dictionary = fst::MapBuilder::memory();
    let mut union = parts
        .iter()
        .fold(fst::map::OpBuilder::new(), |op, part| {
            op.add(&part.dictionary)
        })
        .union();
    let mut word = 0u64;
    while let Some((key, found)) = union.next() {
        let mut found = found.to_vec();
        found.sort_by_key(|f| f.index);
        let mut last = 0u32;
        for f in &found {
            for (doc, spot) in parts[f.index].postings(f.value as u32) {
                let doc = bases[f.index] + doc;
                put(&mut postings, doc - last);
                put(&mut postings, u32::from(spot));
                last = doc;
            }
        }
        starts.push(u32::try_from(postings.len()).unwrap_or(u32::MAX));
        // Keys come sorted and once each: inserting cannot fail.
        let _ = dictionary.insert(key, word);
        word += 1;
    }
    let mut docs = Vec::with_capacity(total_docs as usize);
    let mut names = String::with_capacity(parts.iter().map(|p| p.names.len()).sum());
    for part in parts {
        let offset = u32::try_from(names.len()).unwrap_or(u32::MAX);
        docs.extend(part.docs.iter().map(|d| DocInfo {
            name_at: d.name_at + offset,
            ..*d
        }));
        names.push_str(&part.names);
    }
    Segment {
        dictionary: dictionary.into_map(),
        starts: starts.into(),
        postings: postings.into(),
        docs: docs.into(),
        names: names.into_boxed_str(),
    }
}

/// A dictionary word a query word stands for.
#[derive(Debug, Clone, Copy)]
struct Derived {
    word: u32,
    typos: u8,
    whole: bool,
}

/// An occurrence of a query word in a movie.
#[derive(Debug, Clone, Copy)]
struct Occurrence {
    doc: u32,
    spot: u16,
    typos: u8,
    whole: bool,
}

/// A match of a query in a segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Hit {
    pub key: RankKey,
    pub slot: u32,
}

/// A bit per movie slot.
struct Bits(Vec<u64>);

impl Bits {
    fn all(n: usize, except: Option<&[u64]>) -> Self {
        let mut bits = vec![u64::MAX; n.div_ceil(64)];
        if let Some(except) = except {
            for (b, e) in bits.iter_mut().zip(except) {
                *b &= !e;
            }
        }
        Self(bits)
    }

    fn has(&self, i: u32) -> bool {
        self.0
            .get(i as usize / 64)
            .is_some_and(|b| b & (1 << (i % 64)) != 0)
    }

    fn keep_only(&mut self, docs: impl Iterator<Item = u32>) {
        self.0.fill(0);
        for d in docs {
            if let Some(b) = self.0.get_mut(d as usize / 64) {
                *b |= 1 << (d % 64);
            }
        }
    }
}

impl Segment {
    /// The number of movies.
    pub fn len(&self) -> usize {
        self.docs.len()
    }

    /// The slot of a movie, if this segment holds it.
    pub fn slot_of(&self, id: i64) -> Option<u32> {
        self.docs
            .binary_search_by_key(&id, |d| d.id)
            .ok()
            .map(|s| s as u32)
    }

    /// Bytes held, roughly.
    pub fn bytes(&self) -> usize {
        self.dictionary.as_fst().as_bytes().len()
            + self.starts.len() * 4
            + self.postings.len()
            + self.docs.len() * std::mem::size_of::<DocInfo>()
            + self.names.len()
    }

    /// The title of the movie in `slot`.
    pub fn name(&self, slot: usize) -> &str {
        let at = |slot: usize| {
            self.docs
                .get(slot)
                .map_or(self.names.len(), |d| d.name_at as usize)
        };
        self.names.get(at(slot)..at(slot + 1)).unwrap_or_default()
    }

    fn derive(&self, word: &QueryWord) -> Vec<Derived> {
        let mut out = Vec::new();
        let text = word.text.as_bytes();
        let mut push = |key: &[u8], value: u64, typos: u8| {
            out.push(Derived {
                word: value as u32,
                typos,
                whole: key == text,
            });
        };
        match &word.finder {
            Finder::Exact => {
                if let Some(value) = self.dictionary.get(text) {
                    push(text, value, 0);
                }
            }
            Finder::Prefix => {
                let mut found = self
                    .dictionary
                    .search(Str::new(&word.text).starts_with())
                    .into_stream();
                while let Some((key, value)) = found.next() {
                    push(key, value, 0);
                }
            }
            Finder::Typos(dfa) => {
                let mut found = self.dictionary.search_with_state(dfa).into_stream();
                while let Some((key, value, state)) = found.next() {
                    if let levenshtein_automata::Distance::Exact(typos) = dfa.distance(state) {
                        push(key, value, typos);
                    }
                }
            }
        }
        out
    }

    fn postings(&self, word: u32) -> Postings<'_> {
        let at = |i: usize| self.starts.get(i).map_or(0, |s| *s as usize);
        Postings {
            bytes: self
                .postings
                .get(at(word as usize)..at(word as usize + 1))
                .unwrap_or_default(),
            at: 0,
            doc: 0,
        }
    }

    /// The occurrences of these words in the wanted fields of the movies still `alive`,
    /// grouped by movie.
    fn occurrences(&self, derived: &[Derived], fields: u8, alive: &Bits) -> Vec<Occurrence> {
        let mut out = Vec::new();
        for d in derived {
            for (doc, spot) in self.postings(d.word) {
                if fields & (1 << field_of(spot)) != 0 && alive.has(doc) {
                    out.push(Occurrence {
                        doc,
                        spot,
                        typos: d.typos,
                        whole: d.whole,
                    });
                }
            }
        }
        if derived.len() > 1 {
            group_by_doc(&mut out, self.docs.len());
        }
        out
    }

    /// Every match of `query` outside the `stale` slots, ranked; the `k` best when `k` is
    /// given. Answers the number of matches too.
    pub fn search(
        &self,
        query: &Prepared,
        stale: Option<&[u64]>,
        k: Option<usize>,
    ) -> (usize, Vec<Hit>) {
        let n = query.words.len();
        if n == 0 || self.docs.is_empty() {
            return (0, Vec::new());
        }
        let derived: Vec<Vec<Derived>> = query.words.iter().map(|w| self.derive(w)).collect();
        let weight =
            |d: &[Derived]| -> usize { d.iter().map(|d| self.postings(d.word).bytes.len()).sum() };
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by_key(|&i| weight(&derived[i]));
        let mut alive = Bits::all(self.docs.len(), stale);
        let mut lists: Vec<Vec<Occurrence>> = (0..n).map(|_| Vec::new()).collect();
        for &i in &order {
            let list = self.occurrences(&derived[i], query.fields, &alive);
            if list.is_empty() {
                return (0, Vec::new());
            }
            alive.keep_only(list.iter().map(|o| o.doc));
            lists[i] = list;
        }
        let mut cursors = vec![0usize; n];
        let mut hits = Best::new(k);
        let mut previous = None;
        for o in &lists[order[n - 1]] {
            if previous == Some(o.doc) {
                continue;
            }
            previous = Some(o.doc);
            let slices: Vec<&[Occurrence]> = lists
                .iter()
                .zip(cursors.iter_mut())
                .map(|(list, at)| {
                    while list.get(*at).is_some_and(|x| x.doc < o.doc) {
                        *at += 1;
                    }
                    let from = *at;
                    while list.get(*at).is_some_and(|x| x.doc == o.doc) {
                        *at += 1;
                    }
                    &list[from..*at]
                })
                .collect();
            hits.push(Hit {
                key: self.rank(o.doc, &slices),
                slot: o.doc,
            });
        }
        hits.sorted()
    }

    fn rank(&self, slot: u32, words: &[&[Occurrence]]) -> RankKey {
        let doc = &self.docs[slot as usize];
        let (mut exact, mut typos, mut field) = (0u8, 0u8, 0u16);
        for occurrences in words {
            let best = occurrences.iter().map(|o| o.typos).min().unwrap_or(0);
            exact += u8::from(best == 0);
            typos = typos.saturating_add(best);
            field += occurrences
                .iter()
                .map(|o| u16::from(Field::rank_of(field_of(o.spot))))
                .min()
                .unwrap_or(3);
        }
        let proximity = words
            .windows(2)
            .map(|pair| proximity(pair[0], pair[1]))
            .sum();
        let whole_title = usize::from(doc.title_words) == words.len()
            && words.iter().enumerate().all(|(i, occurrences)| {
                occurrences.iter().any(|o| {
                    o.whole
                        && o.typos == 0
                        && field_of(o.spot) == Field::Title as u8
                        && usize::from(position_of(o.spot)) == i
                })
            });
        RankKey {
            exact: Reverse(exact),
            typos,
            proximity,
            field,
            whole_title: Reverse(whole_title),
            votes: Reverse(doc.votes),
            id: doc.id,
        }
    }
}

/// How far the second word stands from the first in the nearest pair of their occurrences in
/// one field: 1 next to it, one more when it comes before it, [`FAR`] at most.
fn proximity(first: &[Occurrence], second: &[Occurrence]) -> u16 {
    let mut best = FAR;
    for a in first.iter().take(MAX_WEIGHED) {
        for b in second.iter().take(MAX_WEIGHED) {
            if field_of(a.spot) != field_of(b.spot) {
                continue;
            }
            let (pa, pb) = (position_of(a.spot), position_of(b.spot));
            let cost = match pb.cmp(&pa) {
                std::cmp::Ordering::Greater => pb - pa,
                std::cmp::Ordering::Less => pa - pb + 1,
                std::cmp::Ordering::Equal => continue,
            };
            best = best.min(cost);
        }
    }
    best
}

/// Groups occurrences by movie: a counting sort when they are many (a short prefix's
/// thousands of words), a plain sort when few.
fn group_by_doc(list: &mut Vec<Occurrence>, docs: usize) {
    if list.len() < docs / 16 {
        list.sort_by_key(|o| o.doc);
        return;
    }
    let mut starts = vec![0usize; docs + 1];
    for o in list.iter() {
        starts[o.doc as usize + 1] += 1;
    }
    for i in 1..starts.len() {
        starts[i] += starts[i - 1];
    }
    let mut out = vec![
        Occurrence {
            doc: 0,
            spot: 0,
            typos: 0,
            whole: false
        };
        list.len()
    ];
    for o in list.iter() {
        let at = &mut starts[o.doc as usize];
        out[*at] = *o;
        *at += 1;
    }
    *list = out;
}
