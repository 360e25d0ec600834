//! Query parameters checked by name, and lists paged with a cursor.
//!
//! A list is sorted by a key; a page holds at most `limit` items after the `cursor` (the key of
//! the last item of the previous page, opaque to clients) and, when more follow, a
//! `Link: <...>; rel="next"` header with the same query and the next cursor. Pages are joined
//! by following the links; a key, unlike an offset, does not skip or repeat an item when the
//! list changes between two pages.

use crate::problem::Problem;
use axum::http::{HeaderValue, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Items of a page when `limit` is not given.
pub const DEFAULT_LIMIT: usize = 500;
/// The most items of one page.
pub const MAX_LIMIT: usize = 5_000;

/// The paging parameters of every list, read ([`Params::paging`]) and documented (in the
/// OpenAPI document, as the client writes them).
#[derive(Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Items per page, 1 to 5000 (default 500).
    #[param(value_type = Option<usize>)]
    limit: usize,
    /// From the previous page's `Link` header.
    #[param(value_type = Option<String>)]
    cursor: Option<Vec<String>>,
}

/// The query parameters of a request, each known to its endpoint and given at most once.
#[derive(Debug)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    /// The query of `uri`; an unknown or repeated parameter is a problem naming it.
    pub fn parse(uri: &Uri, known: &[&str]) -> Result<Params, Problem> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(uri.query().unwrap_or(""))
            .map_err(|e| {
                Problem::bad_parameter("query", format!("the query does not parse: {e}"))
            })?;
        for (index, (name, _)) in pairs.iter().enumerate() {
            if !known.contains(&name.as_str()) {
                return Err(Problem::bad_parameter(
                    name,
                    format!(
                        "unknown query parameter {name:?}; this endpoint takes {}",
                        known.join(", ")
                    ),
                ));
            }
            if pairs[..index].iter().any(|(earlier, _)| earlier == name) {
                return Err(Problem::bad_parameter(
                    name,
                    format!("{name} is given twice; give it once (lists are comma-separated)"),
                ));
            }
        }
        Ok(Params { pairs })
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Parameter `name` parsed by `parse`, whose error says what was expected.
    pub fn parsed<T>(
        &self,
        name: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<Option<T>, Problem> {
        self.get(name)
            .map(|text| {
                parse(text)
                    .map_err(|why| Problem::bad_parameter(name, format!("{name}={text:?}: {why}")))
            })
            .transpose()
    }

    /// `limit` ([`DEFAULT_LIMIT`] when absent, 1 to [`MAX_LIMIT`]) and `cursor` (the key
    /// parts of the last item of the previous page).
    pub fn paging(&self) -> Result<PageParams, Problem> {
        let limit = self.parsed("limit", |text| {
            text.parse::<usize>()
                .ok()
                .filter(|n| (1..=MAX_LIMIT).contains(n))
                .ok_or_else(|| format!("give a whole number from 1 to {MAX_LIMIT}"))
        })?;
        let cursor = self.parsed("cursor", |text| {
            URL_SAFE_NO_PAD
                .decode(text)
                .ok()
                .and_then(|bytes| serde_json::from_slice::<Vec<String>>(&bytes).ok())
                .ok_or_else(|| {
                    "not a cursor of this API: follow the Link header of the previous page"
                        .to_owned()
                })
        })?;
        Ok(PageParams {
            limit: limit.unwrap_or(DEFAULT_LIMIT),
            cursor,
        })
    }

    /// The query with `cursor` set to `cursor`, for the next page's link.
    fn with_cursor(&self, cursor: &str) -> String {
        let mut pairs: Vec<(&str, &str)> = self
            .pairs
            .iter()
            .filter(|(n, _)| n != "cursor")
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        pairs.push(("cursor", cursor));
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

/// One page of a sorted list.
#[derive(Debug)]
pub struct Page<'a, T> {
    pub items: &'a [T],
    /// The query of the next page, if more items follow.
    next: Option<String>,
}

/// The page of `items` (sorted by `key`, ascending) after the cursor of `params`. `key`
/// gives an item's key as text parts, `parse_key` reads the parts back into a comparable key
/// (`None`: not a key of this list).
pub fn page<'a, T, K: Ord>(
    items: &'a [T],
    params: &Params,
    key: impl Fn(&T) -> (K, Vec<String>),
    parse_key: impl Fn(&[String]) -> Option<K>,
) -> Result<Page<'a, T>, Problem> {
    let PageParams { limit, cursor } = params.paging()?;
    let start = match cursor {
        None => 0,
        Some(parts) => {
            let after = parse_key(&parts).ok_or_else(|| {
                Problem::bad_parameter(
                    "cursor",
                    "the cursor is not one of this list: follow the Link header of the previous page"
                        .to_owned(),
                )
            })?;
            items.partition_point(|item| key(item).0 <= after)
        }
    };
    let end = start.saturating_add(limit).min(items.len());
    let page = &items[start..end];
    let next = match page.last() {
        Some(last) if end < items.len() => {
            let parts = key(last).1;
            let cursor = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&parts).unwrap_or_default());
            Some(params.with_cursor(&cursor))
        }
        _ => None,
    };
    Ok(Page { items: page, next })
}

impl<T> Page<'_, T> {
    /// `body` with its content type and, when more items follow, the link to them.
    pub fn respond(&self, uri: &Uri, content_type: &'static str, body: String) -> Response {
        let mut response = body.into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        if let Some(query) = &self.next {
            let link = format!("<{}?{query}>; rel=\"next\"", uri.path());
            if let Ok(value) = HeaderValue::from_str(&link) {
                headers.insert(header::LINK, value);
            }
        }
        response
    }
}
