//! Search by phrase, ranked by where it matched, the same on PostgreSQL and SQLite.
//!
//! A movie matches when the query's words appear one after another in one of the searched
//! fields, the last word as a prefix: `haunted lighth` finds "…a haunted lighthouse…", not a
//! movie with "haunted" in its title and "lighthouse" in its plot. That is what the systems we
//! replace did with `ILIKE '%haunted lighthouse%'`, minus the full scan. Words are runs of
//! letters and digits, lower-cased ([`words`]); everything else (`%`, `_`, quotes, operators)
//! only separates words and is never interpreted. Queries of three words or more ask for
//! every adjacent pair in the same field — exact for any phrase whose pairs occur once, and
//! the same rule on both databases.
//!
//! SQLite answers from FTS5, which keeps word positions. PostgreSQL's GIN index keeps none, so
//! a phrase query there would re-read the row of every movie holding all the words (6,690 for a
//! two-word query over the benchmark catalog, when 280 match). Its index is instead built over
//! terms that answer a phrase alone: every word joined to the next one (`p:haunted_lighthouse`)
//! and the last word of a field to nothing (`p:lighthouse_`), tagged with the field (`t`
//! title, `a` actors, `d` directors, `p` plot) so that `search_in` is an index lookup too and a
//! phrase never spans two fields. A one-word query is a prefix of the first word of a term.
//! The terms are computed here ([`terms`]) — the one tokenizer for documents and queries — and
//! stored by every write of a movie's text ([`reindex`], `cinema seed`). Triggers copy the pair
//! terms into `movie_phrases`, which answers a phrase without visiting its movies' rows
//! ([`super::phrases`]).
//!
//! Results are ranked by the best field that matched (title, then actors, directors,
//! description), then by votes, then id.

use sea_orm::{
    ConnectionTrait, DbBackend, FromQueryResult, Statement, Value,
    sea_query::{Expr, ExprTrait, Query, SimpleExpr},
};

use crate::{Result, entity::movie};

/// Where a search looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SearchField {
    /// The title.
    Title,
    /// The plot.
    Description,
    /// The stars' names.
    Actors,
    /// The directors' names.
    Directors,
}

impl SearchField {
    /// Every field, most relevant first.
    pub const ALL: [SearchField; 4] = [
        SearchField::Title,
        SearchField::Description,
        SearchField::Actors,
        SearchField::Directors,
    ];

    /// The field's name on the wire, e.g. `title`.
    pub fn as_str(self) -> &'static str {
        match self {
            SearchField::Title => "title",
            SearchField::Description => "description",
            SearchField::Actors => "actors",
            SearchField::Directors => "directors",
        }
    }

    /// The field named `s` on the wire.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == s)
    }

    /// How much a match in this field counts; higher ranks first.
    pub(super) fn relevance(self) -> u8 {
        match self {
            SearchField::Title => 4,
            SearchField::Actors => 3,
            SearchField::Directors => 2,
            SearchField::Description => 1,
        }
    }

    /// The field's tag in PostgreSQL's `search_terms`.
    fn tag(self) -> char {
        match self {
            SearchField::Title => 't',
            SearchField::Actors => 'a',
            SearchField::Directors => 'd',
            SearchField::Description => 'p',
        }
    }

    /// The field's column in SQLite's `movies_fts`.
    fn column(self) -> &'static str {
        match self {
            SearchField::Title => "name",
            SearchField::Actors => "actors",
            SearchField::Directors => "directors",
            SearchField::Description => "description",
        }
    }
}

/// A search: a phrase and the fields it is looked for in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    words: Vec<String>,
    /// Most relevant first; never empty.
    fields: Vec<SearchField>,
}

/// What a phrase asks of PostgreSQL's `movie_phrases` in one field: the field's terms for
/// every pair of the phrase but the last (`p:dark_knight`), and the last one's as a prefix
/// (`p:knight_ret`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct FieldTerms {
    pub field: SearchField,
    pub exact: Vec<String>,
    pub prefix: String,
}

/// At most this many words of a query are used.
const MAX_WORDS: usize = 16;

impl SearchQuery {
    /// Appends a text naming this search exactly, for cache keys: each word with its length
    /// before it (so no word can pass for two), then the fields.
    pub(crate) fn write_key(&self, key: &mut String) {
        use std::fmt::Write;
        for word in &self.words {
            let _ = write!(key, "{}:{word}", word.len());
        }
        key.push('@');
        for field in &self.fields {
            key.push_str(field.as_str());
            key.push(',');
        }
    }

    /// Splits `q` into its words (runs of letters and digits, lower-cased; at most 16); `fields`
    /// empty means all.
    pub fn new(q: &str, fields: &[SearchField]) -> Self {
        let words = words(q).take(MAX_WORDS).collect();
        let mut fields = if fields.is_empty() {
            SearchField::ALL.to_vec()
        } else {
            fields.to_vec()
        };
        fields.sort_by_key(|f| std::cmp::Reverse(f.relevance()));
        fields.dedup();
        Self { words, fields }
    }

    /// True when `q` held no word at all: nothing can match.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// Two words or more: matched by word pairs, which are rare in any text (~300 of the 100k
    /// benchmark movies for a random pair), so the same plan fits every such query. A single
    /// word is a prefix and may match most of the catalog (`s`).
    pub fn is_phrase(&self) -> bool {
        self.words.len() > 1
    }

    /// Per field, most relevant first, the terms of `movie_phrases` the phrase needs; `None`
    /// for a single word (a prefix of any word, which that table does not answer).
    pub(super) fn phrase_terms(&self) -> Option<Vec<FieldTerms>> {
        if !self.is_phrase() {
            return None;
        }
        let pairs = self.pairs("_");
        Some(
            self.fields
                .iter()
                .filter_map(|field| {
                    let term = |pair: &str| format!("{}:{pair}", field.tag());
                    let (last, exact) = pairs.split_last()?;
                    Some(FieldTerms {
                        field: *field,
                        exact: exact.iter().map(|(pair, _)| term(pair)).collect(),
                        prefix: term(&last.0),
                    })
                })
                .collect(),
        )
    }

    /// The movies that match (`m` is the movies alias).
    pub(super) fn matches(&self, backend: DbBackend) -> SimpleExpr {
        match backend {
            DbBackend::Postgres => Expr::cust_with_values(
                "m.search_terms @@ $1::tsquery",
                [Value::from(self.tsquery(&self.fields))],
            ),
            _ => Expr::cust_with_values(
                "m.id IN (SELECT rowid FROM movies_fts WHERE movies_fts MATCH ?)",
                [Value::from(self.fts5(&self.fields))],
            ),
        }
    }

    /// The relevance of a matching movie: that of the best field it matched in.
    ///
    /// Each field's test is a set of ids read from the index once per query (a hashed
    /// subplan), not a test of each match's own terms: those are a ~750-byte compressed value
    /// per movie that PostgreSQL would decompress once per field per match (4× the time of
    /// the whole search on a two-word phrase).
    pub(super) fn relevance(&self, backend: DbBackend) -> Option<SimpleExpr> {
        // With one field every match ranks the same: no term at all. (A constant would not
        // do: `ORDER BY 4` means "by the fourth column" in SQL.)
        let (last, better) = self.fields.split_last()?;
        if better.is_empty() {
            return None;
        }
        let mut sql = String::from("CASE");
        let mut values = Vec::new();
        for (i, field) in better.iter().enumerate() {
            let test = match backend {
                DbBackend::Postgres => {
                    values.push(Value::from(self.tsquery(&[*field])));
                    format!(
                        "m.id IN (SELECT id FROM movies WHERE search_terms @@ ${}::tsquery)",
                        i + 1
                    )
                }
                _ => {
                    values.push(Value::from(self.fts5(&[*field])));
                    "m.id IN (SELECT rowid FROM movies_fts WHERE movies_fts MATCH ?)".to_owned()
                }
            };
            sql.push_str(&format!(" WHEN {test} THEN {}", field.relevance()));
        }
        sql.push_str(&format!(" ELSE {} END", last.relevance()));
        Some(Expr::cust_with_values(sql, values))
    }

    /// Each word joined to the next by `glue`, and whether it is open-ended (the last pair,
    /// whose second word is a prefix); a single word alone, open-ended.
    fn pairs(&self, glue: &str) -> Vec<(String, bool)> {
        if let [word] = self.words.as_slice() {
            return vec![(word.clone(), true)];
        }
        let last = self.words.len().saturating_sub(2);
        self.words
            .windows(2)
            .enumerate()
            .map(|(i, pair)| (format!("{}{glue}{}", pair[0], pair[1]), i == last))
            .collect()
    }

    /// `('t:dark_knight' & 't:knight_ret':*) | ('p:dark_knight' & …)` over `search_terms`; a
    /// single word is `'t:dark':*`. Words hold only letters and digits: no quoting needed.
    fn tsquery(&self, fields: &[SearchField]) -> String {
        let terms = self.pairs("_");
        fields
            .iter()
            .map(|field| {
                let all: Vec<String> = terms
                    .iter()
                    .map(|(term, open)| {
                        let prefix = if *open { ":*" } else { "" };
                        format!("'{}:{term}'{prefix}", field.tag())
                    })
                    .collect();
                format!("({})", all.join(" & "))
            })
            .collect::<Vec<_>>()
            .join(" | ")
    }

    /// `(name : ("dark knight" AND "knight ret"*)) OR (description : (…))` for FTS5.
    fn fts5(&self, fields: &[SearchField]) -> String {
        let phrase = self
            .pairs(" ")
            .iter()
            .map(|(pair, open)| format!("\"{pair}\"{}", if *open { "*" } else { "" }))
            .collect::<Vec<_>>()
            .join(" AND ");
        fields
            .iter()
            .map(|field| format!("({} : ({phrase}))", field.column()))
            .collect::<Vec<_>>()
            .join(" OR ")
    }
}

/// The words of a text as search sees them: runs of letters and digits, lower-cased.
pub(crate) fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
}

/// Longer words are not indexed on PostgreSQL (a lexeme holds at most 2 KiB); a query word
/// cannot be longer anyway (the API takes 200 characters).
const MAX_WORD_CHARS: usize = 200;

/// What PostgreSQL's `search_terms` holds for a movie, as a `tsvector` literal: per field, each word joined to the next
/// and the last to nothing, tagged with the field. A word too long to index ends a phrase.
pub fn terms(name: &str, actors: &str, directors: &str, description: &str) -> String {
    let mut out = String::new();
    for (field, text) in [
        (SearchField::Title, name),
        (SearchField::Actors, actors),
        (SearchField::Directors, directors),
        (SearchField::Description, description),
    ] {
        let mut previous: Option<String> = None;
        for word in words(text).map(Some).chain(std::iter::once(None)) {
            let word = word.filter(|w| w.chars().count() <= MAX_WORD_CHARS);
            if let Some(before) = previous.take() {
                let after = word.as_deref().unwrap_or("");
                out.push_str(&format!("'{}:{before}_{after}' ", field.tag()));
            }
            previous = word;
        }
    }
    out
}

/// Rewrites PostgreSQL's `search_terms` of these movies from their stored text, inside the
/// caller's transaction; every write of a name, description, director or star list ends
/// with it. (SQLite's FTS5 table follows the movies by triggers.)
pub(crate) async fn reindex<C: ConnectionTrait>(db: &C, movie_ids: &[i64]) -> Result<()> {
    let backend = db.get_database_backend();
    if backend != DbBackend::Postgres || movie_ids.is_empty() {
        return Ok(());
    }
    #[derive(FromQueryResult)]
    struct Text {
        id: i64,
        name: String,
        actors: String,
        directors: String,
        description: String,
    }
    for ids in movie_ids.chunks(500) {
        let select = Query::select()
            .columns([
                movie::Column::Id,
                movie::Column::Name,
                movie::Column::Actors,
                movie::Column::Directors,
                movie::Column::Description,
            ])
            .from(movie::Entity)
            .and_where(Expr::col(movie::Column::Id).is_in(ids.iter().copied()))
            .to_owned();
        let texts = Text::find_by_statement(backend.build(&select))
            .all(db)
            .await?;
        if texts.is_empty() {
            continue;
        }
        let mut rows = Vec::new();
        let mut values = Vec::new();
        for (i, t) in texts.iter().enumerate() {
            rows.push(format!(
                "(${}::bigint, ${}::tsvector)",
                2 * i + 1,
                2 * i + 2
            ));
            values.push(Value::from(t.id));
            values.push(Value::from(terms(
                &t.name,
                &t.actors,
                &t.directors,
                &t.description,
            )));
        }
        let sql = format!(
            "UPDATE movies AS m SET search_terms = v.terms FROM (VALUES {}) AS v(id, terms) \
             WHERE m.id = v.id",
            rows.join(", ")
        );
        db.execute_raw(Statement::from_sql_and_values(backend, sql, values))
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_plain_and_operators_are_inert() {
        let q = SearchQuery::new("Haunted  LIGHT-house %_ 'x' & |!", &[]);
        assert_eq!(q.words, ["haunted", "light", "house", "x"]);
        assert!(SearchQuery::new("%_%", &[]).is_empty());
    }

    #[test]
    fn a_phrase_is_its_adjacent_pairs_in_one_field() {
        let q = SearchQuery::new(
            "dark knight ret",
            &[SearchField::Description, SearchField::Title],
        );
        assert_eq!(
            q.tsquery(&q.fields),
            "('t:dark_knight' & 't:knight_ret':*) | ('p:dark_knight' & 'p:knight_ret':*)"
        );
        assert_eq!(
            q.fts5(&q.fields),
            "(name : (\"dark knight\" AND \"knight ret\"*)) OR \
             (description : (\"dark knight\" AND \"knight ret\"*))"
        );
    }

    #[test]
    fn a_phrase_asks_each_field_for_its_pairs_the_last_as_a_prefix() {
        let q = SearchQuery::new(
            "Dark knight RET",
            &[SearchField::Description, SearchField::Title],
        );
        let expect = |field, tag: char| FieldTerms {
            field,
            exact: vec![format!("{tag}:dark_knight")],
            prefix: format!("{tag}:knight_ret"),
        };
        assert_eq!(
            q.phrase_terms(),
            Some(vec![
                expect(SearchField::Title, 't'),
                expect(SearchField::Description, 'p')
            ])
        );
        assert_eq!(SearchQuery::new("knight", &[]).phrase_terms(), None);
    }

    #[test]
    fn one_word_is_a_prefix_of_a_word() {
        let q = SearchQuery::new("Nol", &[SearchField::Directors]);
        assert_eq!(q.tsquery(&q.fields), "('d:nol':*)");
        assert_eq!(q.fts5(&q.fields), "(directors : (\"nol\"*))");
    }

    #[test]
    fn terms_join_each_word_to_the_next_within_a_field() {
        assert_eq!(
            terms("The Dark", "", "Nolan", "A haunted-lighthouse."),
            "'t:the_dark' 't:dark_' 'd:nolan_' 'p:a_haunted' 'p:haunted_lighthouse' \
             'p:lighthouse_' "
        );
        let long = "x".repeat(MAX_WORD_CHARS + 1);
        assert_eq!(
            terms(&format!("one {long} two"), "", "", ""),
            "'t:one_' 't:two_' "
        );
    }
}
