//! Words as search sees them, in documents and queries alike: runs of letters and digits,
//! lower-cased, with accents stripped (`Amélie` → `amelie`, `ﬁlm` → `film`). Every other
//! character (spaces, hyphens, apostrophes, `%`, quotes) separates words and means nothing, so
//! `Spider-Man` is the two words `spider man` and no query text is ever interpreted.

use unicode_normalization::{UnicodeNormalization, char::is_combining_mark};

/// A word of a text and where it stands in it, in characters (Unicode scalar values).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The normalized word.
    pub word: String,
    /// The first character of the word in the original text.
    pub start: usize,
    /// One past its last character.
    pub end: usize,
}

/// The normalized words of `text`, each with its span in the original.
pub fn tokens(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut current: Option<Token> = None;
    for (at, c) in text.chars().enumerate() {
        // A letter with its accent decomposed (NFKD) keeps the letter; a lone combining mark
        // (an accent typed after its letter) continues the word it follows.
        let mut plain = c.nfkd().filter(|d| !is_combining_mark(*d)).peekable();
        if plain.peek().is_none() {
            if let Some(token) = current.as_mut() {
                token.end = at + 1;
            }
            continue;
        }
        for d in plain {
            if d.is_alphanumeric() {
                let token = current.get_or_insert_with(|| Token {
                    word: String::new(),
                    start: at,
                    end: at,
                });
                token.word.extend(d.to_lowercase());
                token.end = at + 1;
            } else if let Some(token) = current.take() {
                out.push(token);
            }
        }
    }
    out.extend(current);
    out
}

/// The normalized words of `text`.
pub fn words(text: &str) -> impl Iterator<Item = String> {
    tokens(text).into_iter().map(|t| t.word)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(text: &str) -> Vec<String> {
        words(text).collect()
    }

    #[test]
    fn case_accents_and_punctuation_do_not_matter() {
        assert_eq!(
            all("Le Fabuleux Destin d'Amélie"),
            ["le", "fabuleux", "destin", "d", "amelie"]
        );
        assert_eq!(all("SPIDER-MAN: No Way"), ["spider", "man", "no", "way"]);
        assert_eq!(all("Ame\u{301}lie"), ["amelie"], "a decomposed accent");
        assert_eq!(all("ÜBER-schüchterne ﬁlm"), ["uber", "schuchterne", "film"]);
        assert_eq!(all("100% 'x' & |!"), ["100", "x"]);
        assert_eq!(all("%_% ..."), Vec::<String>::new());
        assert_eq!(all("東京 物語"), ["東京", "物語"]);
    }

    #[test]
    fn spans_are_characters_of_the_original() {
        let t = tokens("Amélie, Spider-Man");
        let spans: Vec<_> = t
            .iter()
            .map(|t| (t.word.as_str(), t.start, t.end))
            .collect();
        assert_eq!(
            spans,
            [("amelie", 0, 6), ("spider", 8, 14), ("man", 15, 18)]
        );
        let t = tokens("Ame\u{301}lie!");
        assert_eq!((t[0].start, t[0].end), (0, 7));
    }
}
