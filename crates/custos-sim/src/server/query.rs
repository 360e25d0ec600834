//! The query string, parsed by hand so that repeated keys, `name[]=v` arrays and
//! `name[key]=v` objects all work (`docs/admin-api-notes.md` "Query encoding"): the SDK sends
//! every array as `name[]=v`, other clients send `name=v` repeated, and the simulator accepts
//! both everywhere.

use super::error::ApiError;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;

/// All `(name, value)` pairs of the query string, in order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Params(Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Params::parse(parts.uri.query().unwrap_or(""))
    }
}

impl Params {
    pub(crate) fn parse(query: &str) -> Result<Params, ApiError> {
        serde_urlencoded::from_str(query)
            .map(Params)
            .map_err(|e| ApiError::bad_request(format!("Invalid query string: {e}")))
    }

    /// The first value of a scalar parameter; an empty value counts as absent.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, value)| key == name && !value.is_empty())
            .map(|(_, value)| value.as_str())
    }

    /// Every value of an array parameter, sent as `name[]=v` or `name=v`, repeated.
    pub(crate) fn list(&self, name: &str) -> Vec<&str> {
        let bare = name.strip_suffix("[]").unwrap_or(name);
        self.0
            .iter()
            .filter(|(key, value)| {
                !value.is_empty() && key.strip_suffix("[]").unwrap_or(key) == bare
            })
            .map(|(_, value)| value.as_str())
            .collect()
    }

    /// `name[key]=v` (deepObject style).
    pub(crate) fn member(&self, name: &str, key: &str) -> Option<&str> {
        self.0.iter().find_map(|(k, value)| {
            let inner = k.strip_prefix(name)?.strip_prefix('[')?.strip_suffix(']')?;
            (inner == key && !value.is_empty()).then_some(value.as_str())
        })
    }

    pub(crate) fn int(&self, name: &str) -> Result<Option<i64>, ApiError> {
        self.get(name)
            .map(|value| parse_int(name, value))
            .transpose()
    }

    pub(crate) fn member_int(&self, name: &str, key: &str) -> Result<Option<i64>, ApiError> {
        self.member(name, key)
            .map(|value| parse_int(&format!("{name}[{key}]"), value))
            .transpose()
    }

    pub(crate) fn bool(&self, name: &str) -> Result<Option<bool>, ApiError> {
        self.get(name)
            .map(|value| match value {
                "true" | "True" | "1" => Ok(true),
                "false" | "False" | "0" => Ok(false),
                _ => Err(ApiError::invalid(
                    name,
                    format!("Invalid value for '{name}': expected a boolean, got '{value}'."),
                )),
            })
            .transpose()
    }

    /// A scalar restricted to `allowed`.
    pub(crate) fn choice(
        &self,
        name: &str,
        allowed: &[&'static str],
    ) -> Result<Option<&'static str>, ApiError> {
        self.get(name)
            .map(|value| one_of(name, value, allowed))
            .transpose()
    }

    /// Every value of an array parameter restricted to `allowed`.
    pub(crate) fn choices(
        &self,
        name: &str,
        allowed: &[&'static str],
    ) -> Result<Vec<&'static str>, ApiError> {
        self.list(name)
            .into_iter()
            .map(|value| one_of(name, value, allowed))
            .collect()
    }
}

fn parse_int(name: &str, value: &str) -> Result<i64, ApiError> {
    value.parse().map_err(|_| {
        ApiError::invalid(
            name,
            format!("Invalid value for '{name}': expected an integer, got '{value}'."),
        )
    })
}

/// `value` if it is one of `allowed`, else 400 naming `name`.
pub(crate) fn one_of(
    name: &str,
    value: &str,
    allowed: &[&'static str],
) -> Result<&'static str, ApiError> {
    allowed
        .iter()
        .copied()
        .find(|a| *a == value)
        .ok_or_else(|| {
            ApiError::invalid(
                name,
                format!(
                    "Invalid value for '{name}': '{value}' is not one of {}.",
                    allowed.join(", ")
                ),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrays_accept_brackets_and_repetition() {
        let params = Params::parse("ids[]=a&ids=b&ids%5B%5D=c&other=x").unwrap();
        assert_eq!(params.list("ids"), ["a", "b", "c"]);
        assert_eq!(params.list("ids[]"), ["a", "b", "c"]);
    }

    #[test]
    fn deep_objects_and_scalars() {
        let params = Params::parse("effective_at[gte]=5&effective_at%5Blt%5D=9&limit=3").unwrap();
        assert_eq!(params.member_int("effective_at", "gte").unwrap(), Some(5));
        assert_eq!(params.member_int("effective_at", "lt").unwrap(), Some(9));
        assert_eq!(params.int("limit").unwrap(), Some(3));
        assert!(Params::parse("limit=x").unwrap().int("limit").is_err());
    }
}
