//! When and how long to wait before trying a request again.
//!
//! The rules follow the official SDK (`docs/admin-api-notes.md` "Errors and retries"):
//! connection errors, timeouts, 408, 409, 429 and 5xx are retried with capped exponential
//! backoff and full jitter; the server's `retry-after-ms`, then `Retry-After` (seconds or an
//! HTTP date) replace the backoff; and `x-should-retry: true|false` overrides the decision.
//! Writes are stricter, see [`Idempotency`].

use http::{HeaderMap, Method, StatusCode};
use std::time::{Duration, SystemTime};

/// How often and how patiently the client retries a failed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (default 6); 0 disables retries.
    pub max_retries: u32,
    /// Upper bound of the first backoff (default 250 ms); it doubles with each retry.
    pub initial_backoff: Duration,
    /// Cap of the exponential backoff (default 20 s).
    pub max_backoff: Duration,
    /// The longest single wait: give up at once when the server asks to wait longer than
    /// this (default 60 s; `[scan] max_retry_wait`).
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 6,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(20),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// The pause before retry number `retry` (0 for the first retry): "full jitter", a uniform
    /// draw from zero to `min(max_backoff, initial_backoff * 2^retry)`, so that many clients
    /// failing together do not retry together.
    pub(crate) fn backoff(&self, retry: u32) -> Duration {
        let factor = 1u32.checked_shl(retry).unwrap_or(u32::MAX);
        let cap = self
            .initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff);
        let cap_ms = u64::try_from(cap.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(fastrand::u64(0..=cap_ms))
    }
}

/// Whether repeating a request is safe when its first attempt may have reached the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Idempotency {
    /// GET and DELETE: doing it twice has the effect of doing it once.
    Idempotent,
    /// POST (every write of the Admin API, including creates): a second attempt could create a
    /// second object, so it is retried only when the server surely did not act on the first:
    /// the connection was never made, the answer was 429 (refused by the rate limiter before
    /// any work), or 503 with `Retry-After` (the server shed the load and says when to return).
    /// A timeout or a 500 leaves the write in an unknown state; the caller must re-read.
    Write,
}

impl Idempotency {
    pub(crate) fn of(method: &Method) -> Self {
        if method == Method::GET || method == Method::DELETE || method == Method::HEAD {
            Idempotency::Idempotent
        } else {
            Idempotency::Write
        }
    }

    /// Whether a non-success `status` with these `headers` may be retried.
    pub(crate) fn retries_status(self, status: StatusCode, headers: &HeaderMap) -> bool {
        if let Some(verdict) = should_retry_header(headers) {
            // The server knows whether it acted; its word beats our guess for every method.
            return verdict;
        }
        match self {
            Idempotency::Idempotent => {
                matches!(status.as_u16(), 408 | 409 | 429) || status.is_server_error()
            }
            Idempotency::Write => {
                status == StatusCode::TOO_MANY_REQUESTS
                    || (status == StatusCode::SERVICE_UNAVAILABLE
                        && headers.contains_key(http::header::RETRY_AFTER))
            }
        }
    }

    /// Whether a transport failure may be retried; `connect` says the connection was never
    /// established, so the request was not sent.
    pub(crate) fn retries_transport(self, connect: bool) -> bool {
        connect || self == Idempotency::Idempotent
    }
}

/// `x-should-retry: true|false`, when present and well formed.
fn should_retry_header(headers: &HeaderMap) -> Option<bool> {
    match headers.get("x-should-retry")?.to_str().ok()?.trim() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// How long the server asked to wait: `retry-after-ms` (milliseconds, fractional allowed),
/// else `Retry-After` in seconds or as an HTTP date (relative to `now`). Unparsable or negative
/// values are ignored, as the SDK does; a date in the past means "now".
pub(crate) fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(ms) = header("retry-after-ms").and_then(|v| v.trim().parse::<f64>().ok())
        && let Ok(wait) = Duration::try_from_secs_f64(ms / 1000.0)
    {
        return Some(wait);
    }
    parse_retry_after(header("retry-after")?, now)
}

/// `Retry-After` as delta-seconds (`"20"`, also `"1.5"`) or an HTTP date
/// (`"Wed, 21 Oct 2015 07:28:00 GMT"`), relative to `now`.
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<f64>() {
        return Duration::try_from_secs_f64(seconds).ok();
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn retry_after_seconds_and_http_date() {
        let now = httpdate::parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT").unwrap();
        assert_eq!(parse_retry_after("20", now), Some(Duration::from_secs(20)));
        assert_eq!(
            parse_retry_after(" 1.5 ", now),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        // The obsolete RFC 850 and asctime forms are HTTP dates too.
        assert_eq!(
            parse_retry_after("Wednesday, 21-Oct-15 07:29:00 GMT", now),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            parse_retry_after("Wed Oct 21 07:28:05 2015", now),
            Some(Duration::from_secs(5))
        );
        // A date already past means "retry now".
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("-3", now), None);
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn retry_after_ms_wins_over_retry_after() {
        let now = SystemTime::UNIX_EPOCH;
        let both = headers(&[("retry-after-ms", "250"), ("retry-after", "9")]);
        assert_eq!(retry_after(&both, now), Some(Duration::from_millis(250)));
        let bad_ms = headers(&[("retry-after-ms", "x"), ("retry-after", "9")]);
        assert_eq!(retry_after(&bad_ms, now), Some(Duration::from_secs(9)));
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
    }

    #[test]
    fn backoff_is_capped_and_jittered() {
        let policy = RetryPolicy {
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(1000),
            ..RetryPolicy::default()
        };
        for retry in 0..40 {
            let cap = Duration::from_millis((100u64 << retry.min(10)).min(1000));
            assert!(policy.backoff(retry) <= cap);
        }
    }

    #[test]
    fn which_statuses_are_retried() {
        let none = HeaderMap::new();
        let read = Idempotency::of(&Method::GET);
        let write = Idempotency::of(&Method::POST);
        assert_eq!(Idempotency::of(&Method::DELETE), Idempotency::Idempotent);
        for status in [408, 409, 429, 500, 502, 503, 504] {
            let status = StatusCode::from_u16(status).unwrap();
            assert!(read.retries_status(status, &none), "{status}");
        }
        for status in [400, 401, 403, 404, 422] {
            let status = StatusCode::from_u16(status).unwrap();
            assert!(!read.retries_status(status, &none), "{status}");
        }
        assert!(write.retries_status(StatusCode::TOO_MANY_REQUESTS, &none));
        assert!(!write.retries_status(StatusCode::SERVICE_UNAVAILABLE, &none));
        assert!(!write.retries_status(StatusCode::INTERNAL_SERVER_ERROR, &none));
        assert!(!write.retries_status(StatusCode::CONFLICT, &none));
        let later = headers(&[("retry-after", "1")]);
        assert!(write.retries_status(StatusCode::SERVICE_UNAVAILABLE, &later));

        let no = headers(&[("x-should-retry", "false")]);
        assert!(!read.retries_status(StatusCode::SERVICE_UNAVAILABLE, &no));
        let yes = headers(&[("x-should-retry", "true")]);
        assert!(read.retries_status(StatusCode::BAD_REQUEST, &yes));
        assert!(write.retries_status(StatusCode::INTERNAL_SERVER_ERROR, &yes));

        assert!(write.retries_transport(true));
        assert!(!write.retries_transport(false));
        assert!(read.retries_transport(false));
    }
}
