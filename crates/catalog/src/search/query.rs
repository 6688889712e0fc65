//! A typed query made ready for the index: its words, each with the automaton that finds the
//! dictionary words it may stand for, and the ranking key every match is sorted by.

use std::{cmp::Reverse, sync::LazyLock};

use levenshtein_automata::{DFA, Distance, LevenshteinAutomatonBuilder};

use super::text::{Token, tokens};

/// How many typos a query word of `chars` characters forgives: none up to 4, one for 5–8,
/// two from 9 (typos being insertions, deletions, substitutions and transpositions).
pub fn typos_allowed(chars: usize) -> u8 {
    match chars {
        0..=4 => 0,
        5..=8 => 1,
        _ => 2,
    }
}

/// The automaton builders for one and two typos, transpositions costing one (building them
/// takes milliseconds; building an automaton for a word from them, microseconds).
static BUILDERS: LazyLock<[LevenshteinAutomatonBuilder; 2]> = LazyLock::new(|| {
    [
        LevenshteinAutomatonBuilder::new(1, true),
        LevenshteinAutomatonBuilder::new(2, true),
    ]
});

/// How a query word finds its dictionary words.
pub(crate) enum Finder {
    /// The word itself (short words forgive no typo).
    Exact,
    /// Any word it begins (the last word of a query, short).
    Prefix,
    /// Words within the word's typo budget — of the whole word, or of some beginning of it for
    /// the last word (`interstel` → `interstellar`, `godfater` → `godfather`).
    Typos(DFA),
}

/// A word of the query.
pub(crate) struct QueryWord {
    pub text: String,
    pub finder: Finder,
}

impl QueryWord {
    fn new(text: String, prefix: bool) -> Self {
        let finder = match (typos_allowed(text.chars().count()), prefix) {
            (0, false) => Finder::Exact,
            (0, true) => Finder::Prefix,
            (n, prefix) => {
                let builder = &BUILDERS[usize::from(n - 1)];
                Finder::Typos(if prefix {
                    builder.build_prefix_dfa(&text)
                } else {
                    builder.build_dfa(&text)
                })
            }
        };
        Self { text, finder }
    }

    /// The typos `word` costs this query word (`None` if it does not stand for it), and
    /// whether it is the whole word rather than a beginning of it.
    pub fn matches(&self, word: &str) -> Option<(u8, bool)> {
        let whole = word == self.text;
        match &self.finder {
            Finder::Exact => whole.then_some((0, true)),
            Finder::Prefix => word.starts_with(&self.text).then_some((0, whole)),
            Finder::Typos(dfa) => match dfa.eval(word) {
                Distance::Exact(typos) => Some((typos, whole)),
                Distance::AtLeast(_) => None,
            },
        }
    }
}

/// A query ready to run: its words in the order typed, the fields they are looked for in
/// (a bit per [`super::Field`]).
pub(crate) struct Prepared {
    pub words: Vec<QueryWord>,
    pub fields: u8,
}

impl Prepared {
    /// `words` already normalized; the last one is also a prefix when `last_is_prefix` (the
    /// query did not end with a separator: the user may still be typing it).
    pub fn new(words: &[String], last_is_prefix: bool, fields: u8) -> Self {
        let last = words.len().saturating_sub(1);
        let words = words
            .iter()
            .enumerate()
            .map(|(i, w)| QueryWord::new(w.clone(), last_is_prefix && i == last))
            .collect();
        Self { words, fields }
    }

    /// The characters of `title` its words matched, as `(start, end)` spans: a whole word for
    /// a whole or typo match, the part typed for a prefix.
    pub fn spans(&self, title: &str) -> Vec<(usize, usize)> {
        tokens(title)
            .into_iter()
            .filter_map(|Token { word, start, end }| {
                let matched = self
                    .words
                    .iter()
                    .filter_map(|q| Some((q, q.matches(&word)?)))
                    .min_by_key(|(_, (typos, whole))| (*typos, !*whole))?;
                let (q, (typos, whole)) = matched;
                let end = if !whole && typos == 0 {
                    (start + q.text.chars().count()).min(end)
                } else {
                    end
                };
                Some((start, end))
            })
            .collect()
    }
}

/// Where a match ranks: compared field by field in the order of the ranking rule, smaller
/// first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct RankKey {
    /// Query words matched without a typo (more first).
    pub exact: Reverse<u8>,
    /// Typos over all words (fewer first).
    pub typos: u8,
    /// How far apart consecutive query words stand (closer, and in order, first).
    pub proximity: u16,
    /// The fields the words were found in (title, then people, genres, description).
    pub field: u16,
    /// The query is the whole title (first).
    pub whole_title: Reverse<bool>,
    /// IMDb votes (more first).
    pub votes: Reverse<i64>,
    /// The movie's id (lower first): every order is total.
    pub id: i64,
}

/// The `k` best of a stream of hits (every one when `k` is `None`), and how many were offered:
/// a bounded heap whose top is the worst kept, so a query matching most of the catalog holds
/// `k` hits, not all of them. Used per segment, then to merge the segments' lists.
pub(crate) struct Best<T> {
    k: Option<usize>,
    seen: usize,
    heap: std::collections::BinaryHeap<T>,
}

impl<T: Ord> Best<T> {
    pub(crate) fn new(k: Option<usize>) -> Self {
        Self {
            k,
            seen: 0,
            heap: std::collections::BinaryHeap::new(),
        }
    }

    pub(crate) fn push(&mut self, hit: T) {
        self.seen += 1;
        match self.k {
            Some(0) => {}
            Some(k) if self.heap.len() >= k => {
                if self.heap.peek().is_some_and(|worst| hit < *worst) {
                    self.heap.pop();
                    self.heap.push(hit);
                }
            }
            _ => self.heap.push(hit),
        }
    }

    /// How many hits were offered, and the best, sorted.
    pub(crate) fn sorted(self) -> (usize, Vec<T>) {
        (self.seen, self.heap.into_sorted_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(text: &str, prefix: bool) -> QueryWord {
        QueryWord::new(text.to_owned(), prefix)
    }

    #[test]
    fn typos_are_forgiven_by_length() {
        assert_eq!(word("dark", false).matches("dark"), Some((0, true)));
        assert_eq!(
            word("dark", false).matches("bark"),
            None,
            "4 letters: exact"
        );
        assert_eq!(
            word("godfater", false).matches("godfather"),
            Some((1, false))
        );
        assert_eq!(
            word("inceptoin", false).matches("inception"),
            Some((1, false))
        );
        assert_eq!(
            word("mcconaughy", false).matches("mcconaughey"),
            Some((1, false))
        );
        assert_eq!(
            word("mcconaugy", false).matches("mcconaughey"),
            Some((2, false))
        );
        assert_eq!(
            word("godfatr", false).matches("godfather"),
            None,
            "7 letters: one typo"
        );
        assert_eq!(
            word("interstel", true).matches("interstellar"),
            Some((0, false))
        );
        assert_eq!(
            word("intrstel", true).matches("interstellar"),
            Some((1, false))
        );
        assert_eq!(word("inc", true).matches("inception"), Some((0, false)));
        assert_eq!(word("inc", true).matches("nic"), None);
    }

    #[test]
    fn spans_cover_what_matched() {
        let q = Prepared::new(&["dark".into(), "kni".into()], true, 0xff);
        assert_eq!(q.spans("The Dark Knight"), [(4, 8), (9, 12)]);
        let q = Prepared::new(&["amelie".into()], false, 0xff);
        assert_eq!(q.spans("Le Destin d'Amélie"), [(12, 18)]);
    }

    #[test]
    fn best_keeps_the_smallest_in_order() {
        let offer = |k, v: &[i32]| {
            let mut best = Best::new(k);
            v.iter().for_each(|&x| best.push(x));
            best.sorted()
        };
        assert_eq!(offer(Some(2), &[5, 3, 9, 1, 7]), (5, vec![1, 3]));
        assert_eq!(offer(None, &[5, 3, 9]), (3, vec![3, 5, 9]));
        assert_eq!(offer(Some(0), &[5, 3]), (2, vec![]));
    }
}
