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
}
