//! Ids as URL path segments: the one place that decides whether an id can name one object and
//! how it is written into a request path.
//!
//! Every character outside RFC 3986's unreserved set is percent-encoded, so a `/`, `?`, `#` or
//! `%` in an id stays inside its segment. Dot segments cannot be encoded away: a URL parser
//! that follows the WHATWG URL standard (the `url` crate, which reqwest uses, and browsers)
//! resolves `%2e%2e` exactly like `..`, so `/organization/users/..` would become
//! `/organization/` whichever way it were written. An id that cannot name one object is
//! therefore refused before any request is built: empty, `.`, `..`, or holding a control
//! character (which a server or proxy may strip or split on).

use std::fmt::{self, Write as _};

/// An id that cannot be the path segment of one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidId {
    /// The id, with control characters escaped so that it is safe to print.
    pub id: String,
    /// Why it cannot name one object.
    pub reason: &'static str,
}

impl fmt::Display for InvalidId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the id {} cannot name one object: {}",
            self.id, self.reason
        )
    }
}

impl std::error::Error for InvalidId {}

/// Whether `id` can name one object in a request path; see the module documentation.
pub fn check_id(id: &str) -> Result<(), InvalidId> {
    let reason = if id.is_empty() {
        "it is empty"
    } else if id == "." || id == ".." {
        "it is a dot segment, which a URL resolves to the current or parent path"
    } else if id.chars().any(char::is_control) {
        "it holds a control character"
    } else {
        return Ok(());
    };
    Err(InvalidId {
        // `Debug` quotes the id and escapes control characters.
        id: format!("{id:?}"),
        reason,
    })
}

/// Appends `id` to `out` as one percent-encoded path segment, after [`check_id`].
pub(crate) fn push_segment(out: &mut String, id: &str) -> Result<(), InvalidId> {
    check_id(id)?;
    for byte in id.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "%{byte:02X}");
        }
    }
    Ok(())
}

/// The id [`push_segment`] wrote as `segment`; `None` when `segment` holds a `%` not followed by
/// two hex digits or decodes to something that is not UTF-8. Re-encoding the id gives
/// `segment` back only when `segment` was written by [`push_segment`].
pub(crate) fn decode_segment(segment: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(segment.len());
    let mut rest = segment.as_bytes();
    while let Some((&byte, tail)) = rest.split_first() {
        if byte == b'%' {
            let digits = tail
                .get(..2)
                .filter(|d| d.iter().all(u8::is_ascii_hexdigit))?;
            // Two ASCII hex digits: UTF-8, and at most 0xFF.
            let hex = std::str::from_utf8(digits).ok()?;
            bytes.push(u8::from_str_radix(hex, 16).ok()?);
            rest = &tail[2..];
        } else {
            bytes.push(byte);
            rest = tail;
        }
    }
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segment(id: &str) -> Result<String, InvalidId> {
        let mut out = String::new();
        push_segment(&mut out, id).map(|()| out)
    }

    #[test]
    fn reserved_characters_are_encoded_and_dots_inside_an_id_kept() {
        assert_eq!(segment("user 2/x").unwrap(), "user%202%2Fx");
        assert_eq!(segment("a?b#c%d").unwrap(), "a%3Fb%23c%25d");
        assert_eq!(segment("..."), Ok("...".to_owned()));
        assert_eq!(segment("v1.2"), Ok("v1.2".to_owned()));
        assert_eq!(segment("é").unwrap(), "%C3%A9");
    }

    #[test]
    fn a_written_segment_decodes_to_its_id() {
        for id in ["user 2/x", "a?b#c%d", "...", "é", "proj_1"] {
            assert_eq!(decode_segment(&segment(id).unwrap()).as_deref(), Some(id));
        }
        assert_eq!(decode_segment("%2"), None);
        assert_eq!(decode_segment("%zz"), None);
        assert_eq!(decode_segment("%+1"), None);
        assert_eq!(decode_segment("%FF"), None);
    }

    #[test]
    fn ids_that_cannot_name_one_object_are_refused() {
        for (id, reason) in [
            ("", "empty"),
            (".", "dot segment"),
            ("..", "dot segment"),
            ("user\n1", "control character"),
            ("\u{1b}[2J", "control character"),
            ("a\u{7f}", "control character"),
        ] {
            let error = check_id(id).expect_err(id);
            assert!(error.reason.contains(reason), "{id:?}: {error}");
            assert!(!error.to_string().chars().any(char::is_control), "{error}");
            assert!(segment(id).is_err());
        }
    }

    #[test]
    fn encoding_a_dot_segment_would_not_help() {
        // Why the ids above are refused rather than encoded: the URL parser resolves the
        // encoded form like the plain one.
        let url = url::Url::parse("https://api.example/v1/organization/users/%2E%2E").unwrap();
        assert_eq!(url.path(), "/v1/organization/");
    }
}
