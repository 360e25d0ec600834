//! Parsing policy and fixture YAML. The YAML parser's cost grows with the square of the nesting
//! depth (100,000 `[` took 35 s to refuse), so nesting is measured first by a linear scan of the
//! text and a document deeper than [`MAX_YAML_DEPTH`] is refused unparsed.
//!
//! The scan over-counts rather than under-counts: block levels are the indentations open at
//! once (each `- ` of a compact sequence is one more), flow levels are the `[` and `{` open at
//! once; quoted scalars, block scalars (`|`, `>`) and comments are skipped, as brackets in them
//! are text. A quote opens a quoted scalar only where a scalar can start, so an apostrophe in
//! plain text cannot hide the brackets after it.

use super::PolicyError;
use super::document::Position;
use super::limits::MAX_YAML_DEPTH;
use serde::de::DeserializeOwned;
use std::path::Path;

/// Parses `source` (the text of `path`) after checking its nesting.
pub(super) fn parse<T: DeserializeOwned>(path: &Path, source: &str) -> Result<T, PolicyError> {
    if let Some(at) = too_deep(source) {
        return Err(PolicyError::new(
            path,
            at,
            format!(
                "the YAML nests deeper than the limit of {MAX_YAML_DEPTH} levels; flatten the document"
            ),
        ));
    }
    serde_yaml_ng::from_str(source).map_err(|error| PolicyError::yaml(path, &error))
}

/// What the scanner is inside of, across lines.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Inside {
    Nothing,
    SingleQuoted,
    DoubleQuoted,
    /// A block scalar whose lines are indented more than this.
    BlockScalar(usize),
}

/// Where nesting first exceeds [`MAX_YAML_DEPTH`], if it does.
fn too_deep(source: &str) -> Option<Position> {
    // Indentations of the block nodes open at the current line.
    let mut blocks: Vec<usize> = Vec::new();
    let mut flow = 0usize;
    let mut inside = Inside::Nothing;
    for (index, line) in source.lines().enumerate() {
        let indent = line.len() - line.trim_start_matches(' ').len();
        if let Inside::BlockScalar(parent) = inside {
            if line.trim().is_empty() || indent > parent {
                continue;
            }
            inside = Inside::Nothing;
        }
        let bytes = line.as_bytes();
        let mut column = 0;
        if inside == Inside::Nothing && flow == 0 {
            let content = line.trim_start_matches(' ');
            if content.is_empty() || content.starts_with('#') {
                continue;
            }
            while blocks.last().is_some_and(|&open| open >= indent) {
                blocks.pop();
            }
            column = indent;
            // `- - x`: each entry indicator opens a sequence level of its own.
            while bytes.get(column) == Some(&b'-')
                && matches!(bytes.get(column + 1), None | Some(b' '))
            {
                blocks.push(column);
                column += 1;
                while bytes.get(column) == Some(&b' ') {
                    column += 1;
                }
            }
            blocks.push(column);
        }
        // Whether a scalar may start here: after indentation, an indicator or a separator.
        let mut token_start = true;
        while column < bytes.len() {
            let byte = bytes[column];
            match inside {
                Inside::SingleQuoted => {
                    if byte == b'\'' {
                        if bytes.get(column + 1) == Some(&b'\'') {
                            column += 1;
                        } else {
                            inside = Inside::Nothing;
                            token_start = false;
                        }
                    }
                }
                Inside::DoubleQuoted => match byte {
                    b'\\' => column += 1,
                    b'"' => {
                        inside = Inside::Nothing;
                        token_start = false;
                    }
                    _ => {}
                },
                Inside::Nothing | Inside::BlockScalar(_) => match byte {
                    b'#' if token_start || bytes[column - 1] == b' ' => break,
                    b'\'' if token_start => inside = Inside::SingleQuoted,
                    b'"' if token_start => inside = Inside::DoubleQuoted,
                    b'[' | b'{' if token_start || flow > 0 => {
                        flow += 1;
                        if blocks.len() + flow > MAX_YAML_DEPTH {
                            return Some(Position {
                                line: index + 1,
                                column: line[..column].chars().count() + 1,
                            });
                        }
                        token_start = true;
                    }
                    b']' | b'}' if flow > 0 => {
                        flow -= 1;
                        token_start = false;
                    }
                    b',' if flow > 0 => token_start = true,
                    b'|' | b'>' if token_start && flow == 0 => {
                        inside = Inside::BlockScalar(indent);
                        break;
                    }
                    b' ' => token_start = token_start || bytes[column - 1] == b':',
                    b'-' | b'?' | b':' if token_start => {}
                    _ => token_start = false,
                },
            }
            column += 1;
        }
        if blocks.len() + flow > MAX_YAML_DEPTH {
            return Some(Position {
                line: index + 1,
                column: indent + 1,
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depth_ok(source: &str) -> bool {
        too_deep(source).is_none()
    }

    #[test]
    fn flow_and_block_nesting_are_both_counted() {
        let flow = |depth: usize| format!("a: {}x{}\n", "[".repeat(depth), "]".repeat(depth));
        assert!(depth_ok(&flow(MAX_YAML_DEPTH - 1)));
        assert!(!depth_ok(&flow(MAX_YAML_DEPTH + 1)));
        let block = |depth: usize| {
            (0..depth)
                .map(|level| format!("{}k{level}:\n", " ".repeat(level)))
                .collect::<String>()
        };
        assert!(depth_ok(&block(MAX_YAML_DEPTH)));
        assert_eq!(
            too_deep(&block(MAX_YAML_DEPTH + 1)),
            Some(Position {
                line: MAX_YAML_DEPTH + 1,
                column: MAX_YAML_DEPTH + 1
            })
        );
        let compact = format!("{}x\n", "- ".repeat(MAX_YAML_DEPTH + 1));
        assert!(!depth_ok(&compact));
    }

    #[test]
    fn brackets_in_text_are_not_nesting() {
        let deep = "[".repeat(MAX_YAML_DEPTH * 2);
        for source in [
            format!("a: '{deep}'\n"),
            format!("a: \"{deep}\\\"\"\n"),
            format!("a: |\n  {deep}\n  more\nb: 1\n"),
            format!("a: 1 # {deep}\n"),
            format!("a: x{deep}\n"),
            format!("a: 'it''s {deep}'\n"),
        ] {
            assert!(depth_ok(&source), "{source}");
        }
    }

    #[test]
    fn an_apostrophe_in_plain_text_hides_nothing() {
        let deep = "[".repeat(MAX_YAML_DEPTH * 2);
        assert!(!depth_ok(&format!("a: it's\nb: {deep}\n")));
        assert!(!depth_ok(&format!("a: x |\nb: {deep}\n")));
        assert!(!depth_ok(&format!("a: '{deep}'\nb: {deep}\n")));
    }
}
