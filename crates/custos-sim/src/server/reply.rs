//! Successful answers: JSON bytes written once, straight from cached item encodings where possible.

use super::error::ApiError;
use axum::http::HeaderValue;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// A JSON body that is already encoded.
#[derive(Debug)]
pub(crate) struct Json(pub(crate) Vec<u8>);

/// What every handler returns.
pub(crate) type Reply = Result<Json, ApiError>;

impl IntoResponse for Json {
    fn into_response(self) -> Response {
        let mut response = self.0.into_response();
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        response
    }
}

/// Encodes any serializable answer.
pub(crate) fn json<T: Serialize + ?Sized>(value: &T) -> Reply {
    serde_json::to_vec(value)
        .map(Json)
        .map_err(|e| ApiError::internal(format!("cannot encode the answer: {e}")))
}

/// Appends the JSON encoding of `value` to `out`.
pub(crate) fn write_json<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    // Encoding plain JSON values and strings into a Vec cannot fail.
    if serde_json::to_writer(&mut *out, value).is_err() {
        out.extend_from_slice(b"null");
    }
}
