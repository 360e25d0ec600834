//! The operation table, defined in `custos_model::operations` beside the kind registry and
//! re-exported here so that the typed methods and their callers name it as before, and
//! [`Fill`]: writing ids into an operation's path. Filling stays in the client because the
//! encoding and refusal of ids ([`crate::path`]) is the client's boundary: ids enter request
//! paths only there.

pub use custos_model::operations::*;

use crate::path::push_segment;
use crate::{Error, Result};

/// Writing ids into an operation's path.
pub trait Fill {
    /// The path with each `{placeholder}` replaced, in order, by the next of `args`, each
    /// written as one path segment by [`crate::path`] (ids are opaque: a `/` in one stays
    /// inside it). Refused, with nothing sent, when an argument cannot name one object (empty,
    /// `.`, `..`, a control character) or a placeholder has no argument.
    fn fill(&self, args: &[&str]) -> Result<String>;
}

impl Fill for Operation {
    fn fill(&self, args: &[&str]) -> Result<String> {
        let mut out = String::with_capacity(self.path.len() + 32);
        let mut args = args.iter();
        let mut rest = self.path;
        while let Some(open) = rest.find('{') {
            let Some(close) = rest[open..].find('}').map(|c| open + c) else {
                break;
            };
            out.push_str(&rest[..open]);
            let placeholder = &rest[open..=close];
            let Some(arg) = args.next() else {
                return Err(Error::Config(format!(
                    "{} {}: no value for {placeholder}",
                    self.method, self.path
                )));
            };
            push_segment(&mut out, arg).map_err(|invalid| Error::InvalidId {
                method: self.method.to_owned(),
                path: self.path.to_owned(),
                id: invalid.id,
                reason: invalid.reason,
            })?;
            rest = &rest[close + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_replaces_placeholders_in_order_and_encodes_them() {
        assert_eq!(
            RETRIEVE_PROJECT_USER.fill(&["proj_1", "user 2/x"]).unwrap(),
            "/organization/projects/proj_1/users/user%202%2Fx"
        );
        assert_eq!(LIST_USERS.fill(&[]).unwrap(), "/organization/users");
        let missing = RETRIEVE_PROJECT_USER.fill(&["proj_1"]).unwrap_err();
        assert!(missing.to_string().contains("{user_id}"), "{missing}");
    }

    #[test]
    fn fill_refuses_an_id_that_cannot_name_one_object() {
        for id in ["..", ".", "", "u\r\n1"] {
            let error = DELETE_USER.fill(&[id]).unwrap_err();
            let text = error.to_string();
            assert!(matches!(error, Error::InvalidId { .. }), "{error:?}");
            assert!(
                text.contains("DELETE /organization/users/{user_id}"),
                "{text}"
            );
            assert!(text.contains("nothing was sent"), "{text}");
        }
    }
}
