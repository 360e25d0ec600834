//! Errors of the Admin API client.
//!
//! Every message says what failed (method and path), what the API answered (status, its error
//! `type`, `code`, `message`, `param` and the request id to quote to OpenAI support) and, where
//! the status has one, what to do next. No message ever holds the API key, an `Authorization`
//! header or a query string: paths are carried without their query, because query values (emails,
//! cursors) are data, not diagnostics.

use std::fmt;

/// The result of every client call.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a call to the Admin API failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The API answered with a non-success status (after any retries).
    #[error(transparent)]
    Api(ApiError),

    /// No usable answer: connection refused or reset, DNS, TLS, timeout (after any retries).
    #[error(
        "{method} {path}: no answer from the API: {message}; check the base URL, the network \
         (proxy, firewall, DNS) and the timeouts"
    )]
    Transport {
        method: String,
        path: String,
        message: String,
    },

    /// A success status whose body is not JSON of the expected shape (after any retries; a
    /// truncated body is retried first, never half-parsed).
    #[error(
        "{method} {path}: the answer is not the expected JSON{}: {message}",
        request_id_suffix(request_id.as_deref())
    )]
    Decode {
        method: String,
        path: String,
        request_id: Option<String>,
        message: String,
    },

    /// A paged list handed back a cursor already used: following it would loop forever.
    #[error(
        "GET {path}: the API returned the page cursor {cursor:?} a second time; stopped paging \
         to avoid a loop (the list is incomplete)"
    )]
    RepeatingCursor { path: String, cursor: String },

    /// A paged list said `has_more: true` on an empty page: there is nothing to continue from.
    #[error(
        "GET {path}: the API said `has_more: true` on an empty page; stopped paging (the list \
         may be incomplete)"
    )]
    EmptyPageWithMore { path: String },

    /// An id meant for a request path cannot name one object (see [`crate::check_id`]); the
    /// request was not sent.
    #[error("{method} {path}: the id {id} cannot name one object ({reason}); nothing was sent")]
    InvalidId {
        method: String,
        /// The operation's path template.
        path: String,
        /// The id, quoted with control characters escaped.
        id: String,
        reason: &'static str,
    },

    /// The answer is larger than `max_response_bytes`: refused from its `Content-Length`, or
    /// as soon as the body crossed the limit. Not retried: the same request would get the same
    /// answer.
    #[error(
        "{method} {path}: the answer is larger than the limit of {limit} bytes ({size}); stopped \
         reading it (not retried). If the organization really answers this much, raise \
         `[scan] max_response_bytes` in custos.toml"
    )]
    ResponseTooLarge {
        method: String,
        path: String,
        /// `it declares N bytes`, or `the body passed it while streaming`.
        size: String,
        limit: u64,
    },

    /// A paged list went on past `max_list_items`: a server answering `has_more: true` with
    /// new items forever would otherwise fill the memory.
    #[error(
        "GET {path}: the list has more than {limit} items; stopped reading it (the list is \
         unknown). If the organization really has that many, raise \
         `[scan] max_items_per_list` in custos.toml"
    )]
    ListTooLong { path: String, limit: u64 },

    /// A request (every attempt, and the waits between them) took longer than
    /// `max_request_time`.
    #[error(
        "{method} {path}: no complete answer within {limit_ms} ms over {attempts} attempt(s) \
         (connect, headers and body, and the waits between retries); gave up. The API or the \
         network is too slow: retry later, or raise `[scan] max_request_time` in custos.toml"
    )]
    RequestTimeLimit {
        method: String,
        path: String,
        limit_ms: u64,
        attempts: u32,
    },

    /// The client or a request was configured wrongly; nothing was sent.
    #[error("invalid client configuration: {0}")]
    Config(String),
}

impl Error {
    /// The HTTP status of an API error answer.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api(api) => Some(api.status),
            _ => None,
        }
    }

    /// Whether the API answered 404 Not Found.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }
}

impl From<ApiError> for Error {
    fn from(error: ApiError) -> Self {
        Error::Api(error)
    }
}

/// A non-success answer of the API: the status and the `{"error": {...}}` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status code.
    pub status: u16,
    /// The request's method, e.g. `GET`.
    pub method: String,
    /// The request's path below the base URL, without the query string.
    pub path: String,
    /// `error.type`, e.g. `invalid_request_error`.
    pub kind: Option<String>,
    /// `error.code`.
    pub code: Option<String>,
    /// `error.message`, or a description of the body when it has no such field.
    pub message: String,
    /// `error.param`: the parameter the API refused.
    pub param: Option<String>,
    /// The `x-request-id` header of the answer.
    pub request_id: Option<String>,
}

impl ApiError {
    /// What the caller can do about this status.
    fn hint(&self) -> Option<&'static str> {
        let write = self.method == "POST";
        Some(match self.status {
            400 | 422 => "the API refused the request as invalid; check the parameters",
            401 => {
                "check the admin key: it is missing, invalid, expired or revoked, or the request \
                 came from an IP address outside the organization's allowlist"
            }
            403 => {
                "the key lacks permission or is read-only: use an organization admin key \
                 (sk-admin-...) with the permission this call needs"
            }
            404 => "the object does not exist, or is not visible to this key",
            408 | 500..=599 if write => {
                "the API failed on its side and the write may have been applied: read the \
                 object before repeating it"
            }
            408 => "the API timed out on its side; retry later",
            409 => "the object changed concurrently; re-scan and retry",
            429 => {
                "rate limited and retries did not help (or the API asked to wait longer than \
                 the retry policy allows): lower requests_per_second or max_concurrency, or \
                 retry later"
            }
            500..=599 => "the API failed on its side; retry later",
            _ => return None,
        })
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: HTTP {}", self.method, self.path, self.status)?;
        if let Some(reason) = http::StatusCode::from_u16(self.status)
            .ok()
            .and_then(|s| s.canonical_reason())
        {
            write!(f, " {reason}")?;
        }
        let labels: Vec<&str> = [self.kind.as_deref(), self.code.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        if !labels.is_empty() {
            write!(f, " ({})", labels.join(", "))?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(param) = &self.param {
            write!(f, " [param: {param}]")?;
        }
        f.write_str(&request_id_suffix(self.request_id.as_deref()))?;
        if let Some(hint) = self.hint() {
            write!(f, "; {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

/// ` (request id req_...)`, or nothing.
fn request_id_suffix(request_id: Option<&str>) -> String {
    request_id
        .map(|id| format!(" (request id {id})"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16) -> ApiError {
        ApiError {
            status,
            method: "GET".to_owned(),
            path: "/organization/users".to_owned(),
            kind: Some("invalid_request_error".to_owned()),
            code: Some("invalid_api_key".to_owned()),
            message: "Incorrect API key provided".to_owned(),
            param: None,
            request_id: Some("req_123".to_owned()),
        }
    }

    #[test]
    fn api_error_names_everything_and_advises() {
        let text = Error::Api(api(401)).to_string();
        for part in [
            "GET /organization/users",
            "HTTP 401 Unauthorized",
            "invalid_request_error",
            "invalid_api_key",
            "Incorrect API key provided",
            "req_123",
            "check the admin key",
        ] {
            assert!(text.contains(part), "{part:?} missing from {text:?}");
        }
        assert!(
            Error::Api(api(403))
                .to_string()
                .contains("lacks permission")
        );
        assert!(
            Error::Api(api(429))
                .to_string()
                .contains("requests_per_second")
        );
    }

    #[test]
    fn status_and_not_found() {
        assert_eq!(Error::Api(api(404)).status(), Some(404));
        assert!(Error::Api(api(404)).is_not_found());
        assert!(!Error::Config("x".to_owned()).is_not_found());
        assert_eq!(Error::Config("x".to_owned()).status(), None);
    }
}
