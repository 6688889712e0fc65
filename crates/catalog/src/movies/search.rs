//! The search a list asks for ([`SearchQuery`]): the words typed, whether the last one is
//! still being typed, and the fields to look in. It is answered by the catalog's index
//! ([`crate::search`]); this module also keeps the old phrase terms PostgreSQL stores per movie
//! ([`terms`], [`reindex`]) written by every movie write until a migration drops them.

use sea_orm::{
    ConnectionTrait, DbBackend, FromQueryResult, Statement, Value,
    sea_query::{Expr, ExprTrait, Query},
};

use crate::{
    Result,
    entity::movie,
    search::{Field, query::Prepared, text},
};

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
    /// The genres' names.
    Genres,
}

impl SearchField {
    /// Every field.
    pub const ALL: [SearchField; 5] = [
        SearchField::Title,
        SearchField::Description,
        SearchField::Actors,
        SearchField::Directors,
        SearchField::Genres,
    ];

    /// The field's name on the wire, e.g. `title`.
    pub fn as_str(self) -> &'static str {
        match self {
            SearchField::Title => "title",
            SearchField::Description => "description",
            SearchField::Actors => "actors",
            SearchField::Directors => "directors",
            SearchField::Genres => "genres",
        }
    }

    /// The field named `s` on the wire.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == s)
    }

    fn field(self) -> Field {
        match self {
            SearchField::Title => Field::Title,
            SearchField::Description => Field::Description,
            SearchField::Actors => Field::Actors,
            SearchField::Directors => Field::Directors,
            SearchField::Genres => Field::Genres,
        }
    }

    /// The old phrase terms' tag for the field.
    fn tag(self) -> char {
        match self {
            SearchField::Title => 't',
            SearchField::Actors => 'a',
            SearchField::Directors => 'd',
            SearchField::Description | SearchField::Genres => 'p',
        }
    }
}

/// A search: the words typed and the fields they are looked for in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    words: Vec<String>,
    /// The text ended inside its last word: it may be the beginning of a longer one.
    last_is_prefix: bool,
    /// A bit per [`Field`]; never empty.
    fields: u8,
}

impl SearchQuery {
    /// At most this many words are searched for: more than the API's 200 characters can hold
    /// (every word of a query counts; a long query narrows as it goes, so it stays fast).
    pub const MAX_WORDS: usize = 100;

    /// The words of `q` (see [`crate::search::text`]; the first [`SearchQuery::MAX_WORDS`]);
    /// `fields` empty means all.
    pub fn new(q: &str, fields: &[SearchField]) -> Self {
        let tokens = text::tokens(q);
        let last_is_prefix = tokens
            .last()
            .is_some_and(|t| t.end == q.chars().count() && tokens.len() <= Self::MAX_WORDS);
        let words = tokens
            .into_iter()
            .take(Self::MAX_WORDS)
            .map(|t| t.word)
            .collect();
        let fields = if fields.is_empty() {
            &SearchField::ALL[..]
        } else {
            fields
        };
        let fields = fields
            .iter()
            .fold(0u8, |bits, f| bits | 1 << f.field() as u8);
        Self {
            words,
            last_is_prefix,
            fields,
        }
    }

    /// True when `q` held no word at all: nothing can match.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// The query as the index runs it.
    pub(crate) fn prepared(&self) -> Prepared {
        Prepared::new(&self.words, self.last_is_prefix, self.fields)
    }

    /// Appends a text naming this search exactly, for cache keys: each word with its length
    /// before it (so no word can pass for two), whether the last is a prefix, the fields.
    pub fn write_key(&self, key: &mut String) {
        use std::fmt::Write;
        for word in &self.words {
            let _ = write!(key, "{}:{word}", word.len());
        }
        let _ = write!(
            key,
            "{}@{}",
            if self.last_is_prefix { "*" } else { "" },
            self.fields
        );
    }
}

/// The words of a text as the old phrase terms saw them: runs of letters and digits,
/// lower-cased (accents kept).
fn phrase_words(text: &str) -> impl Iterator<Item = String> + '_ {
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
        for word in phrase_words(text).map(Some).chain(std::iter::once(None)) {
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
    fn words_are_plain_and_the_last_is_a_prefix_while_typed() {
        let q = SearchQuery::new("Haunted  LIGHT-house %_ 'x' & |!", &[]);
        assert_eq!(q.words, ["haunted", "light", "house", "x"]);
        assert!(!q.last_is_prefix, "ends with signs");
        assert!(SearchQuery::new("nolan incep", &[]).last_is_prefix);
        assert!(!SearchQuery::new("nolan ", &[]).last_is_prefix);
        assert!(SearchQuery::new("%_%", &[]).is_empty());
    }

    #[test]
    fn keys_tell_queries_apart() {
        let key = |q: &str, f: &[SearchField]| {
            let mut k = String::new();
            SearchQuery::new(q, f).write_key(&mut k);
            k
        };
        assert_ne!(key("ab c", &[]), key("a bc", &[]));
        assert_ne!(key("nolan", &[]), key("nolan ", &[]));
        assert_ne!(key("nolan", &[]), key("nolan", &[SearchField::Title]));
        assert_eq!(key("Nolan", &[]), key("nolan", &[]));
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
