//! Text rules shared by every slice, stated so that the API's documentation can say exactly
//! the same thing (JSON Schema patterns use ECMAScript's `\s`).

/// Whether `c` is white space as ECMAScript's `\s` defines it — the definition behind every
/// `pattern` in the OpenAPI document. (Rust's `char::is_whitespace` differs: it includes
/// U+0085 and excludes U+FEFF.)
pub fn is_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202f}'
                | '\u{205f}'
                | '\u{3000}'
                | '\u{feff}'
    )
}

/// Whether `c` is a bidirectional embedding, override or isolate (U+202A–U+202E,
/// U+2066–U+2069): they make text read in another order than it is stored ("Trojan Source"),
/// so no text we keep may hold one.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Whether `c` shows nothing by itself: white space, a control character, or an invisible
/// format character (zero-width spaces and joiners, soft hyphen, word joiner, Hangul fillers…).
pub fn is_invisible(c: char) -> bool {
    is_space(c)
        || c.is_control()
        || matches!(
            c,
            '\u{ad}'
                | '\u{34f}'
                | '\u{115f}'
                | '\u{1160}'
                | '\u{180e}'
                | '\u{200b}'..='\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2060}'..='\u{2069}'
                | '\u{3164}'
                | '\u{ffa0}'
        )
}

/// Whether `s` has at least one character that shows.
pub fn has_visible(s: &str) -> bool {
    s.chars().any(|c| !is_invisible(c))
}

/// `text` safe inside HTML text and double- or single-quoted attribute values.
pub fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// `s` without white space (as [`is_space`] defines it) at either end.
pub fn trim(s: &str) -> &str {
    s.trim_matches(is_space)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn white_space_is_ecmascripts() {
        assert_eq!(trim("\u{feff} Noir\u{3000}\n"), "Noir");
        assert_eq!(trim("\u{85}"), "\u{85}", "NEL is not \\s in ECMAScript");
        assert_eq!(trim("\u{a0}\u{2009}"), "");
    }

    #[test]
    fn invisible_text_and_bidi_controls_are_recognised() {
        assert!(!has_visible("\u{200b}\u{200d} \u{feff}\u{3164}"));
        assert!(has_visible("\u{200b}a"));
        assert!(is_bidi_control('\u{202e}') && is_bidi_control('\u{2068}'));
        assert!(!is_bidi_control('\u{200f}'));
    }
}
