//! Request bodies: a JSON object read with accessors that validate one field at a time, so that
//! every 400 names the offending field as `param`, as the API does.

use super::error::ApiError;
use super::query::one_of;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use serde_json::{Map, Value};

/// The JSON object of a POST body; an empty body is an empty object.
#[derive(Debug, Clone, Default)]
pub(crate) struct Body(Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for Body {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| ApiError::bad_request(format!("Could not read the request body: {e}")))?;
        Body::parse(&bytes)
    }
}

impl Body {
    pub(crate) fn parse(bytes: &[u8]) -> Result<Body, ApiError> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Body::default());
        }
        match serde_json::from_slice(bytes) {
            Ok(Value::Object(map)) => Ok(Body(map)),
            Ok(_) => Err(ApiError::bad_request(
                "The request body must be a JSON object.",
            )),
            Err(e) => Err(ApiError::bad_request(format!(
                "We could not parse the JSON body of your request: {e}"
            ))),
        }
    }

    /// The field, with `null` counted as absent.
    fn field(&self, name: &str) -> Option<&Value> {
        self.0.get(name).filter(|v| !v.is_null())
    }

    pub(crate) fn str(&self, name: &str) -> Result<Option<&str>, ApiError> {
        match self.field(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(wrong_type(name, "a string")),
        }
    }

    pub(crate) fn required_str(&self, name: &str) -> Result<&str, ApiError> {
        self.str(name)?.ok_or_else(|| missing(name))
    }

    /// An optional string restricted to `allowed`.
    pub(crate) fn choice(
        &self,
        name: &str,
        allowed: &[&'static str],
    ) -> Result<Option<&'static str>, ApiError> {
        self.str(name)?
            .map(|value| one_of(name, value, allowed))
            .transpose()
    }

    pub(crate) fn required_choice(
        &self,
        name: &str,
        allowed: &[&'static str],
    ) -> Result<&'static str, ApiError> {
        self.choice(name, allowed)?.ok_or_else(|| missing(name))
    }

    pub(crate) fn int(&self, name: &str) -> Result<Option<i64>, ApiError> {
        match self.field(name) {
            None => Ok(None),
            Some(value) => value
                .as_i64()
                .map(Some)
                .ok_or_else(|| wrong_type(name, "an integer")),
        }
    }

    /// An optional integer in `min..=max`.
    pub(crate) fn int_in(&self, name: &str, min: i64, max: i64) -> Result<Option<i64>, ApiError> {
        match self.int(name)? {
            Some(n) if !(min..=max).contains(&n) => Err(ApiError::invalid(
                name,
                format!("Invalid '{name}': {n} is not between {min} and {max}."),
            )),
            other => Ok(other),
        }
    }

    pub(crate) fn bool(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.field(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(wrong_type(name, "a boolean")),
        }
    }

    pub(crate) fn strings(&self, name: &str) -> Result<Option<Vec<String>>, ApiError> {
        match self.field(name) {
            None => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| {
                    item.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| wrong_type(name, "an array of strings"))
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(_) => Err(wrong_type(name, "an array of strings")),
        }
    }

    pub(crate) fn required_strings(&self, name: &str) -> Result<Vec<String>, ApiError> {
        self.strings(name)?.ok_or_else(|| missing(name))
    }

    pub(crate) fn object(&self, name: &str) -> Result<Option<&Map<String, Value>>, ApiError> {
        match self.field(name) {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(map)),
            Some(_) => Err(wrong_type(name, "an object")),
        }
    }

    /// A nested object read with the same accessors; its errors name `outer.inner`.
    pub(crate) fn nested(&self, name: &str) -> Result<Option<Nested>, ApiError> {
        Ok(self.object(name)?.map(|map| Nested {
            prefix: name.to_owned(),
            body: Body(map.clone()),
        }))
    }

    pub(crate) fn raw(&self, name: &str) -> Option<&Value> {
        self.field(name)
    }
}

/// A nested object of a body: errors are renamed to `prefix.field`.
#[derive(Debug)]
pub(crate) struct Nested {
    prefix: String,
    body: Body,
}

impl Nested {
    /// Runs an accessor on the inner object, naming the full path on error.
    pub(crate) fn read<T>(
        &self,
        read: impl FnOnce(&Body) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        read(&self.body).map_err(|e| e.with_param_prefix(&self.prefix))
    }
}

pub(crate) fn missing(name: &str) -> ApiError {
    ApiError::invalid(name, format!("Missing required parameter: '{name}'."))
}

fn wrong_type(name: &str, expected: &str) -> ApiError {
    ApiError::invalid(
        name,
        format!("Invalid type for '{name}': expected {expected}."),
    )
}
