//! Errors as RFC 9457 problem documents (`application/problem+json`): `type` (always
//! `about:blank`: the status says what kind of problem it is), `title` (the status's phrase),
//! `status`, `detail` (what went wrong and what to do), and, for a bad query or body value,
//! `parameter` naming it.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// The media type of a problem document.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// One problem document.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub title: String,
    #[schema(value_type = u16)]
    #[serde(serialize_with = "status_code")]
    pub status: StatusCode,
    pub detail: String,
    /// The query parameter or body field that is wrong.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameter: Option<String>,
}

fn status_code<S: serde::Serializer>(status: &StatusCode, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u16(status.as_u16())
}

impl Problem {
    pub fn new(status: StatusCode, detail: String) -> Problem {
        Problem {
            kind: "about:blank",
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status,
            detail,
            parameter: None,
        }
    }

    /// A 400 about `parameter`.
    pub fn bad_parameter(parameter: &str, detail: String) -> Problem {
        Problem {
            parameter: Some(parameter.to_owned()),
            ..Problem::new(StatusCode::BAD_REQUEST, detail)
        }
    }

    /// A 500 whose cause is logged, not shown: it may name files or connections.
    pub fn internal(error: &(dyn std::error::Error + 'static)) -> Problem {
        tracing::error!(error = %custos_app::error_chain(error), "request failed");
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the server could not answer; its log says why".to_owned(),
        )
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.status;
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl From<custos_app::Error> for Problem {
    fn from(error: custos_app::Error) -> Problem {
        use custos_app::Error as App;
        match &error {
            App::Selection(detail) => Problem::new(StatusCode::NOT_FOUND, detail.clone()),
            App::Invalid(detail) => Problem::new(StatusCode::BAD_REQUEST, detail.clone()),
            App::Store(store) => {
                Problem::from_store(store).unwrap_or_else(|| Problem::internal(&error))
            }
            _ => Problem::internal(&error),
        }
    }
}

impl From<custos_store::Error> for Problem {
    fn from(error: custos_store::Error) -> Problem {
        Problem::from_store(&error).unwrap_or_else(|| Problem::internal(&error))
    }
}

impl Problem {
    /// The store errors that are the caller's to fix; `None` for the server's own.
    fn from_store(error: &custos_store::Error) -> Option<Problem> {
        use custos_store::Error as Store;
        let status = match error {
            Store::FindingNotFound { .. } | Store::ScanNotFound(_) => StatusCode::NOT_FOUND,
            Store::InvalidInput(_) | Store::ScanNotVisible { .. } => StatusCode::BAD_REQUEST,
            Store::ScanInProgress { .. } => StatusCode::CONFLICT,
            _ => return None,
        };
        Some(Problem::new(status, error.to_string()))
    }
}

impl From<custos_actions::ActionError> for Problem {
    fn from(error: custos_actions::ActionError) -> Problem {
        use custos_actions::ActionError as Action;
        match error {
            Action::Unauthenticated(detail) => Problem::new(StatusCode::UNAUTHORIZED, detail),
            forbidden @ Action::Forbidden { .. } => {
                Problem::new(StatusCode::FORBIDDEN, forbidden.to_string())
            }
            Action::Store(store) => store.into(),
            other => Problem::internal(&other),
        }
    }
}
