//! The API's error body (`{"error": {message, type, param, code}}`) and the statuses the
//! simulator answers with (`docs/admin-api-notes.md` "Errors and retries").

use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

const INVALID_REQUEST: &str = "invalid_request_error";

/// An error answer. Every handler returns `Result<_, ApiError>`, so a bad request never panics.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    status: StatusCode,
    message: String,
    kind: &'static str,
    param: Option<String>,
    code: Option<&'static str>,
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl ApiError {
    fn new(status: StatusCode, kind: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
            kind,
            param: None,
            code: None,
            headers: Vec::new(),
        }
    }

    /// 400 about one request parameter or body field.
    pub(crate) fn invalid(param: &str, message: impl Into<String>) -> ApiError {
        let mut error = ApiError::new(StatusCode::BAD_REQUEST, INVALID_REQUEST, message);
        error.param = Some(param.to_owned());
        error
    }

    /// Renames the parameter of an error about a nested field to `prefix.param`.
    pub(crate) fn with_param_prefix(mut self, prefix: &str) -> ApiError {
        if let Some(param) = self.param.take() {
            self.param = Some(format!("{prefix}.{param}"));
        }
        self
    }

    /// 400 about the state of an object rather than one parameter.
    pub(crate) fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, INVALID_REQUEST, message)
    }

    /// 404 for an id that names nothing, in the API's words.
    pub(crate) fn not_found(what: &str, id: &str) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            INVALID_REQUEST,
            format!("No such {what}: '{id}'"),
        )
    }

    /// 404 for a path that matches no route.
    pub(crate) fn no_route(method: &str, path: &str) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            INVALID_REQUEST,
            format!("Invalid URL ({method} {path})"),
        )
    }

    /// 401: missing or unknown bearer secret. The secret is never echoed.
    pub(crate) fn unauthorized(message: &str) -> ApiError {
        let mut error = ApiError::new(StatusCode::UNAUTHORIZED, INVALID_REQUEST, message);
        error.code = Some("invalid_api_key");
        error
    }

    /// 403: the key is valid but may not do this.
    pub(crate) fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, INVALID_REQUEST, message)
    }

    /// 409: the object exists already.
    pub(crate) fn conflict(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, INVALID_REQUEST, message)
    }

    /// An injected (or real) server-side failure.
    pub(crate) fn server(status: StatusCode) -> ApiError {
        let reason = status.canonical_reason().unwrap_or("Server error");
        ApiError::new(
            status,
            "server_error",
            format!("{reason}: the server had an error while processing your request."),
        )
    }

    /// 429 with `Retry-After` (whole seconds, at least 1) and `retry-after-ms`.
    pub(crate) fn rate_limited(wait_ms: u64) -> ApiError {
        let mut error = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "requests",
            format!("Rate limit reached for requests. Please try again in {wait_ms}ms."),
        );
        error.code = Some("rate_limit_exceeded");
        let seconds = wait_ms.div_ceil(1000).max(1);
        error.headers.push((
            HeaderName::from_static("retry-after"),
            HeaderValue::from(seconds),
        ));
        error.headers.push((
            HeaderName::from_static("retry-after-ms"),
            HeaderValue::from(wait_ms),
        ));
        error
    }

    /// 500 for a response that could not be encoded (never expected).
    pub(crate) fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "server_error", message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({
            "error": {
                "message": self.message,
                "type": self.kind,
                "param": self.param,
                "code": self.code,
            }
        });
        let mut response = (self.status, axum::Json(body)).into_response();
        response.headers_mut().extend(self.headers);
        response
    }
}
