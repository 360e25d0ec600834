//! Message templates: text with `{{ expression }}` parts, each a CEL expression over the same
//! variables as the filters. A part that fails on a resource renders as `<error: ...>`, so the
//! failure is still reported with what could be said.

use super::expression::{Compiled, Expecting, ExprIssue, Uses, compile, line_column};
use super::values::display;
use cel::Context;
use std::time::Instant;

#[derive(Debug)]
enum Part {
    Text(String),
    Expression(Compiled),
}

#[derive(Debug)]
pub struct Template {
    parts: Vec<Part>,
}

impl Template {
    /// Parses `text`. Issues carry their line and column within `text`.
    pub fn parse(text: &str, params: &[String]) -> Result<Template, Vec<ExprIssue>> {
        let mut parts = Vec::new();
        let mut issues = Vec::new();
        let mut rest = text;
        // Every slice below is part of `text`: its start is its offset there.
        let offset_of =
            |slice: &str| (slice.as_ptr() as usize).saturating_sub(text.as_ptr() as usize);
        while let Some(open) = rest.find("{{") {
            if open > 0 {
                parts.push(Part::Text(rest[..open].to_owned()));
            }
            let inner_start = &rest[open + 2..];
            let Some(close) = inner_start.find("}}") else {
                let (line, column) = char_position(text, offset_of(&rest[open..]));
                issues.push(ExprIssue {
                    line,
                    column,
                    message: "`{{` is not closed by `}}`".to_owned(),
                });
                return Err(issues);
            };
            let source = &inner_start[..close];
            let trimmed = source.trim_start();
            let start = offset_of(trimmed);
            match compile(trimmed.trim_end(), params, Expecting::Anything) {
                Ok(compiled) => parts.push(Part::Expression(compiled)),
                Err(found) => {
                    let (line, column) = char_position(text, start);
                    issues.extend(found.into_iter().map(|issue| ExprIssue {
                        line: line + issue.line - 1,
                        column: if issue.line == 1 {
                            column + issue.column - 1
                        } else {
                            issue.column
                        },
                        message: issue.message,
                    }));
                }
            }
            rest = &inner_start[close + 2..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_owned()));
        }
        if issues.is_empty() {
            Ok(Template { parts })
        } else {
            Err(issues)
        }
    }

    pub fn uses(&self) -> Uses {
        self.parts
            .iter()
            .fold(Uses::default(), |uses, part| match part {
                Part::Expression(compiled) => uses.union(&compiled.uses),
                Part::Text(_) => uses,
            })
    }

    /// The message for the resource of `context`; the policy's time ends at `deadline`.
    pub fn render(&self, context: &Context<'_, '_>, deadline: Instant) -> String {
        let mut message = String::new();
        for part in &self.parts {
            match part {
                Part::Text(text) => message.push_str(text),
                Part::Expression(compiled) => match compiled.execute(context, deadline) {
                    Ok(value) => message.push_str(&display(&value)),
                    Err(error) => {
                        message.push_str("<error: ");
                        message.push_str(&error.to_string());
                        message.push('>');
                    }
                },
            }
        }
        message
    }
}

/// The line and column of a byte offset.
fn char_position(text: &str, byte_offset: usize) -> (usize, usize) {
    line_column(text, text[..byte_offset.min(text.len())].chars().count())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn renders_text_and_expressions() {
        let template = Template::parse("Key {{ resource }} is {{ 1 + 1 }} days old", &[]).unwrap();
        let mut context = Context::with_env(Arc::clone(&super::super::expression::ENV));
        context.add_variable_from_value("resource", "k1");
        let deadline = Instant::now() + std::time::Duration::from_secs(60);
        assert_eq!(template.render(&context, deadline), "Key k1 is 2 days old");
    }

    #[test]
    fn reports_where_a_part_is_broken() {
        let issues = Template::parse("ok {{ resource.a + }} x", &[]).unwrap_err();
        assert_eq!(issues[0].line, 1);
        assert!(issues[0].column >= 7, "{issues:?}");
        let issues = Template::parse("ok {{ resource", &[]).unwrap_err();
        assert_eq!((issues[0].line, issues[0].column), (1, 4));
        assert!(Template::parse("{{ params.nope }}", &[]).is_err());
    }
}
