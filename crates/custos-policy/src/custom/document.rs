//! The YAML form of a custom policy, and where things are in its text. Unknown keys are errors
//! (`deny_unknown_fields`): a misspelt `filter:` must not silently drop every filter.

use custos_model::kind::Kind;
use serde::{Deserialize, Deserializer, de};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::LazyLock;

/// The kind a custom policy judges (`resource:`): a kind of the registry that custom policies
/// see; any other name is refused as serde refuses an unknown variant, listing those kinds.
/// (A visitor, so that the error keeps the position of the value.)
fn resource_kind<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Kind, D::Error> {
    deserializer.deserialize_str(ResourceKind)
}

struct ResourceKind;

impl de::Visitor<'_> for ResourceKind {
    type Value = Kind;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a kind of resource custom policies judge")
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<Kind, E> {
        static SEEN: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
            Kind::ALL
                .iter()
                .filter(|kind| kind.info().custom_policies)
                .map(|kind| kind.name())
                .collect()
        });
        name.parse::<Kind>()
            .ok()
            .filter(|kind| kind.info().custom_policies)
            .ok_or_else(|| E::unknown_variant(name, &SEEN))
    }
}

/// A policy file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyDocument {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default = "default_category")]
    pub category: String,
    #[serde(deserialize_with = "resource_kind")]
    pub resource: Kind,
    /// A severity name, checked when the policy is built (so that the error has a position).
    pub severity: String,
    /// CEL expressions; the resource fails when all are true.
    pub filters: Vec<String>,
    /// Declared parameters and their defaults.
    #[serde(default)]
    pub params: BTreeMap<String, serde_json::Value>,
    /// The failure message: text with `{{ expression }}` parts.
    pub message: String,
    #[serde(default)]
    pub remediation: String,
    #[serde(default)]
    pub controls: Vec<ControlDocument>,
    /// Archived projects and their contents are out of scope unless this is true.
    #[serde(default)]
    pub include_archived: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ControlDocument {
    pub framework: String,
    pub id: String,
}

fn default_category() -> String {
    "custom".to_owned()
}

/// A 1-based line and column in a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

impl Position {
    pub const START: Position = Position { line: 1, column: 1 };

    /// The position of a point of an expression (1-based `line`, `column` in the expression's
    /// own text), given where the expression's text starts in the file. Lines after the first
    /// are found by their text, as a block scalar indents them.
    pub fn within(self, source: &str, expression: &str, line: usize, column: usize) -> Position {
        if line <= 1 {
            return Position {
                line: self.line,
                column: self.column + column.saturating_sub(1),
            };
        }
        let wanted = expression.lines().nth(line - 1).unwrap_or("").trim_start();
        let file_line = self.line + line - 1;
        let indent = source
            .lines()
            .nth(file_line - 1)
            .and_then(|text| (!wanted.is_empty()).then(|| text.find(wanted)).flatten())
            .map_or(0, |byte| byte);
        Position {
            line: file_line,
            column: indent
                + 1
                + column
                    .saturating_sub(1)
                    .saturating_sub(leading(expression, line)),
        }
    }
}

/// Leading spaces of the expression's `line` (1-based), which the file's text also has.
fn leading(expression: &str, line: usize) -> usize {
    expression
        .lines()
        .nth(line - 1)
        .map_or(0, |text| text.len() - text.trim_start().len())
}

/// Where a top-level key's value starts (`key: value`), or the key itself if the value is on
/// the following lines; the file's start when the key is absent.
pub fn key_position(source: &str, key: &str) -> Position {
    for (index, line) in source.lines().enumerate() {
        let Some(rest) = line.strip_prefix(key) else {
            continue;
        };
        let Some(value) = rest.strip_prefix(':') else {
            continue;
        };
        let quote = usize::from(value.trim_start().starts_with(['"', '\'']));
        // The content of a quoted scalar starts after its quote.
        let value_offset = key.len() + 1 + (value.len() - value.trim_start().len()) + quote;
        let column = if value.trim().is_empty() || value.trim_start().starts_with('#') {
            1
        } else {
            value_offset + 1
        };
        return Position {
            line: index + 1,
            column,
        };
    }
    Position::START
}

/// Where the text of each filter starts, found by searching for its first line after the
/// `filters:` key, each after the previous one. A filter whose text is written differently (a
/// quoted scalar with escapes) falls back to the line after the previous one.
pub fn filter_positions(source: &str, filters: &[String]) -> Vec<Position> {
    let lines: Vec<&str> = source.lines().collect();
    let mut cursor = key_position(source, "filters").line; // 1-based: the key's line
    let mut positions = Vec::with_capacity(filters.len());
    for filter in filters {
        let first = filter.lines().next().unwrap_or("").trim();
        let found = (!first.is_empty())
            .then(|| {
                lines
                    .iter()
                    .enumerate()
                    .skip(cursor)
                    .find_map(|(index, line)| line.find(first).map(|byte| (index, byte)))
            })
            .flatten();
        let position = match found {
            Some((index, byte)) => Position {
                line: index + 1,
                column: byte + 1 - leading(filter, 1).min(byte),
            },
            None => Position {
                line: (cursor + 1).min(lines.len().max(1)),
                column: 1,
            },
        };
        cursor = position.line;
        positions.push(position);
    }
    positions
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCE: &str = "id: acme-x\nfilters:\n  - 'resource.a == 1'\n  - |\n    resource.b &&\n      resource.c\nmessage: \"hi\"\n";

    #[test]
    fn keys_and_filters_are_found_in_the_text() {
        assert_eq!(key_position(SOURCE, "id"), Position { line: 1, column: 5 });
        assert_eq!(
            key_position(SOURCE, "message"),
            Position {
                line: 7,
                column: 11
            }
        );
        let filters = vec![
            "resource.a == 1".to_owned(),
            "resource.b &&\n  resource.c\n".to_owned(),
        ];
        let positions = filter_positions(SOURCE, &filters);
        assert_eq!(positions[0], Position { line: 3, column: 6 });
        assert_eq!(positions[1], Position { line: 5, column: 5 });
        // Column 3 of the second line of the block scalar: the `r` of `resource.c`.
        assert_eq!(
            positions[1].within(SOURCE, &filters[1], 2, 3),
            Position { line: 6, column: 7 }
        );
    }
}
