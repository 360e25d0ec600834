//! Text from outside (names, ids and messages of the API, scenario files, stored records) on
//! its way to a person's terminal or a spreadsheet.
//!
//! An organization's names are chosen by whoever can edit it, so they are hostile input: an
//! escape sequence in a project name could retitle the terminal or clear the screen, a newline
//! could forge a table row, and a cell starting with `=` runs as a formula when a CSV is opened
//! in a spreadsheet. Every table, message and CSV cell of custos goes through these functions;
//! JSON output needs none of them (its encoding escapes control characters already).

use std::borrow::Cow;
use std::fmt::Write as _;

/// Whether `c` changes what a terminal shows instead of being shown: control characters (C0,
/// DEL, C1, which start ANSI and OSC sequences), line and paragraph separators, and the
/// bidirectional formatting characters that reorder a line ("Trojan Source").
fn is_unsafe_for_terminal(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{2028}' | '\u{2029}' | '\u{202a}'
                ..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

/// `text` with every character that would act on the terminal written as a visible Rust-style
/// escape (`\u{1b}`), so what was sent can still be read. Newlines are escaped too: one value is
/// one line.
pub fn terminal_safe(text: &str) -> Cow<'_, str> {
    neutralise(text, false)
}

/// Like [`terminal_safe`], but keeps newlines: for a whole message (an error with its causes,
/// a parser's report quoting a line) whose lines custos wrote itself.
pub fn terminal_safe_lines(text: &str) -> Cow<'_, str> {
    neutralise(text, true)
}

fn neutralise(text: &str, keep_newlines: bool) -> Cow<'_, str> {
    let is_unsafe = |c: char| is_unsafe_for_terminal(c) && !(keep_newlines && c == '\n');
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if is_unsafe(c) {
            escape(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn escape(out: &mut String, c: char) {
    let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
}

/// The widest cell a table shows, in characters; longer values are cut (JSON and CSV keep them
/// whole). Laying out a table costs time in the width of its widest cell, so an API string of
/// megabytes would otherwise take seconds to print.
pub const MAX_TABLE_CELL_CHARS: usize = 200;

/// A table cell: [`terminal_safe`] and at most [`MAX_TABLE_CELL_CHARS`] characters, ending in
/// `…` when cut. The second value says whether it was cut. Reads at most the characters it
/// keeps, so the cost does not depend on the length of `text`.
pub fn table_cell(text: &str) -> (String, bool) {
    let mut out = String::with_capacity(text.len().min(MAX_TABLE_CELL_CHARS * 4));
    for (shown, c) in text.chars().enumerate() {
        if shown == MAX_TABLE_CELL_CHARS {
            out.push('…');
            return (out, true);
        }
        if is_unsafe_for_terminal(c) {
            escape(&mut out, c);
        } else {
            out.push(c);
        }
    }
    (out, false)
}

/// The note printed under a table when some of its cells were cut.
pub fn cut_cells_note(cut: usize) -> String {
    format!(
        "note: {cut} cell(s) longer than {MAX_TABLE_CELL_CHARS} characters were cut (…); \
         --format json or csv shows them whole"
    )
}

/// A CSV cell safe to open in a spreadsheet (OWASP "CSV injection"): a value starting with `=`,
/// `+`, `-`, `@`, a tab or a carriage return is prefixed with `'` so that it stays text, unless
/// it is a plain number (a negative amount stays a number).
pub fn csv_cell(text: &str) -> Cow<'_, str> {
    let starts_a_formula = text
        .chars()
        .next()
        .is_some_and(|c| matches!(c, '=' | '+' | '-' | '@' | '\t' | '\r'));
    if starts_a_formula && !is_plain_number(text) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// A decimal number such as `-12.5` or `1e-3`; not `inf`, `NaN` or `-1+2`.
fn is_plain_number(text: &str) -> bool {
    text.bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'e' | b'E'))
        && text.bytes().any(|b| b.is_ascii_digit())
        && text.parse::<f64>().is_ok()
}

/// The candidate closest to `word`, if it is close enough to be a likely typo of it (what a
/// "did you mean" suggests): at most half of `word`'s length (counted from 6 characters up) away
/// by edit distance, or containing `word` whole. Ties go to the first candidate.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let close_enough = word.chars().count().max(6) / 2;
    candidates
        .into_iter()
        .map(|candidate| (strsim::levenshtein(word, candidate), candidate))
        .filter(|(distance, candidate)| {
            *distance <= close_enough || (!word.is_empty() && candidate.contains(word))
        })
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_newlines_become_visible() {
        assert_eq!(
            terminal_safe("a\u{1b}]0;pwned\u{7}b\u{1b}[2Jc"),
            "a\\u{1b}]0;pwned\\u{7}b\\u{1b}[2Jc"
        );
        assert_eq!(terminal_safe("row\n│ forged"), "row\\u{a}│ forged");
        assert_eq!(
            terminal_safe("\u{9b}31m\u{202e}txt"),
            "\\u{9b}31m\\u{202e}txt"
        );
        assert_eq!(terminal_safe_lines("one\ntwo\r"), "one\ntwo\\u{d}");
        assert!(matches!(terminal_safe("Näme ✓"), Cow::Borrowed("Näme ✓")));
    }

    #[test]
    fn table_cells_are_cut_and_neutralised() {
        let (short, cut) = table_cell("x\u{1b}y");
        assert_eq!((short.as_str(), cut), ("x\\u{1b}y", false));
        let long = "é".repeat(MAX_TABLE_CELL_CHARS + 1);
        let (cell, cut) = table_cell(&long);
        assert!(cut);
        assert_eq!(cell.chars().count(), MAX_TABLE_CELL_CHARS + 1);
        assert!(cell.ends_with('…'));
        let exact = "a".repeat(MAX_TABLE_CELL_CHARS);
        assert_eq!(table_cell(&exact), (exact.clone(), false));
    }

    #[test]
    fn formulas_are_quoted_and_numbers_kept() {
        for formula in [
            "=HYPERLINK(\"http://x\")",
            "+1+cmd|' /C calc'!A0",
            "-2+3",
            "@SUM(A1)",
            "\tx",
            "\rx",
            "-",
            "-inf",
        ] {
            assert_eq!(csv_cell(formula), format!("'{formula}"), "{formula:?}");
        }
        for kept in ["-12.5", "-3", "+4", "1e-3", "-1.5E3", "plain", "", "a=b"] {
            assert_eq!(csv_cell(kept), kept, "{kept:?}");
        }
    }

    #[test]
    fn closest_suggests_typos_and_ignores_far_candidates() {
        let ids = ["openai-org-too-few-owners", "openai-org-too-many-owners"];
        assert_eq!(
            closest("openai-org-to-few-owners", ids),
            Some("openai-org-too-few-owners")
        );
        assert_eq!(closest("something-else-entirely", ids), None);
        assert_eq!(
            closest("owners", ["costs", "too-many-owners"]),
            Some("too-many-owners")
        );
        assert_eq!(closest("", ["a-long-name"]), None);
        assert_eq!(closest("a", ["b"]), Some("b"));
    }
}
