//! List paging (`docs/admin-api-notes.md` "Paging", styles A and B): cursor parameters with
//! the API's limits, a window over any keyed list, and the two envelopes.
//!
//! Cursors are item keys. An `after` or `before` key that is not in the list is answered with
//! 400 `invalid_request_error` naming the parameter: a stale cursor must not silently look
//! like the end of the list (a missing page is never a pass).

use super::error::ApiError;
use super::query::Params;
use super::reply::{Json, write_json};
use super::state::{Collection, Doc, Keyed};

/// `order` of a list that documents it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Order {
    Asc,
    Desc,
}

/// The paging parameters one endpoint accepts, with its limits.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ListSpec {
    pub(crate) default_limit: usize,
    pub(crate) min_limit: usize,
    pub(crate) max_limit: usize,
    /// Whether `before` is documented.
    pub(crate) before: bool,
    /// `order` and its default, where documented.
    pub(crate) order: Option<Order>,
}

impl ListSpec {
    /// Style A: `limit` 1–100, default 20.
    pub(crate) const ID: ListSpec = ListSpec {
        default_limit: 20,
        min_limit: 1,
        max_limit: 100,
        before: false,
        order: None,
    };

    pub(crate) const fn limit(self, default_limit: usize, min: usize, max: usize) -> ListSpec {
        ListSpec {
            default_limit,
            min_limit: min,
            max_limit: max,
            ..self
        }
    }

    pub(crate) const fn with_before(self) -> ListSpec {
        ListSpec {
            before: true,
            ..self
        }
    }

    pub(crate) const fn ordered(self, default: Order) -> ListSpec {
        ListSpec {
            order: Some(default),
            ..self
        }
    }
}

/// The cursor of one request.
#[derive(Debug, Clone)]
pub(crate) struct Cursor<'q> {
    pub(crate) limit: usize,
    pub(crate) after: Option<&'q str>,
    pub(crate) before: Option<&'q str>,
    pub(crate) order: Order,
}

impl<'q> Cursor<'q> {
    pub(crate) fn parse(params: &'q Params, spec: ListSpec) -> Result<Cursor<'q>, ApiError> {
        let limit = match params.int("limit")? {
            None => spec.default_limit,
            Some(n) => usize::try_from(n)
                .ok()
                .filter(|n| (spec.min_limit..=spec.max_limit).contains(n))
                .ok_or_else(|| {
                    ApiError::invalid(
                        "limit",
                        format!(
                            "Invalid 'limit': {n} is not between {} and {}.",
                            spec.min_limit, spec.max_limit
                        ),
                    )
                })?,
        };
        let order = match spec.order {
            None => Order::Asc,
            Some(default) => match params.choice("order", &["asc", "desc"])? {
                Some("desc") => Order::Desc,
                Some(_) => Order::Asc,
                None => default,
            },
        };
        Ok(Cursor {
            limit,
            after: params.get("after"),
            before: if spec.before {
                params.get("before")
            } else {
                None
            },
            order,
        })
    }
}

/// One page of a list: borrowed items in answer order.
#[derive(Debug)]
pub(crate) struct Window<'a, T> {
    pub(crate) items: Vec<&'a T>,
    pub(crate) has_more: bool,
}

/// The page of `items` (in list order, ascending) that `cursor` selects among those `keep`
/// accepts. `find` maps a cursor key to its position in `items`.
pub(crate) fn window<'a, T: Keyed>(
    items: &'a [T],
    find: impl Fn(&str) -> Option<usize>,
    cursor: &Cursor,
    keep: impl Fn(&T) -> bool,
) -> Result<Window<'a, T>, ApiError> {
    let n = items.len();
    let desc = cursor.order == Order::Desc;
    // Rank = position in answer order; the same mapping converts both ways.
    let flip = |i: usize| if desc { n - 1 - i } else { i };
    let rank_of = |param: &str, key: &str| {
        find(key).map(flip).ok_or_else(|| {
            ApiError::invalid(
                param,
                format!("Invalid '{param}': no object with id '{key}' in this list."),
            )
        })
    };
    let lo = cursor
        .after
        .map(|key| rank_of("after", key).map(|r| r + 1))
        .transpose()?
        .unwrap_or(0);
    let hi = cursor
        .before
        .map(|key| rank_of("before", key))
        .transpose()?
        .unwrap_or(n);
    let wanted = cursor.limit + 1;
    let matching = |rank: &usize| keep(&items[flip(*rank)]);
    let mut ranks: Vec<usize> = if cursor.before.is_some() && cursor.after.is_none() {
        // Only `before`: the `limit` items right before it, still in answer order.
        let mut ranks: Vec<usize> = (lo..hi).rev().filter(matching).take(wanted).collect();
        ranks.reverse();
        ranks
    } else {
        (lo..hi).filter(matching).take(wanted).collect()
    };
    let has_more = ranks.len() > cursor.limit;
    if has_more {
        if cursor.before.is_some() && cursor.after.is_none() {
            ranks.remove(0);
        } else {
            ranks.truncate(cursor.limit);
        }
    }
    Ok(Window {
        items: ranks.into_iter().map(|rank| &items[flip(rank)]).collect(),
        has_more,
    })
}

impl<T: Keyed> Collection<T> {
    /// The page of this collection that `cursor` selects.
    pub(crate) fn page(
        &self,
        cursor: &Cursor,
        keep: impl Fn(&T) -> bool,
    ) -> Result<Window<'_, T>, ApiError> {
        window(self.items(), |key| self.position(key), cursor, keep)
    }
}

/// The page of a small derived list (no index: cursors are found by scanning).
pub(crate) fn page_of<'a, T: Keyed>(
    items: &'a [T],
    cursor: &Cursor,
    keep: impl Fn(&T) -> bool,
) -> Result<Window<'a, T>, ApiError> {
    window(
        items,
        |key| items.iter().position(|i| i.key() == key),
        cursor,
        keep,
    )
}

/// Writes the cached encoding of a stored object.
pub(crate) fn write_doc(out: &mut Vec<u8>, doc: &Doc) {
    out.extend_from_slice(doc.json());
}

fn write_data<T>(out: &mut Vec<u8>, items: &[&T], write: &mut impl FnMut(&mut Vec<u8>, &T)) {
    out.extend_from_slice(b"\"data\":[");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write(out, item);
    }
    out.push(b']');
}

/// Style A: `{"object":"list","data":[...],"first_id","last_id","has_more"}`.
pub(crate) fn id_list<T: Keyed>(
    window: &Window<T>,
    mut write: impl FnMut(&mut Vec<u8>, &T),
) -> Json {
    let mut out = Vec::with_capacity(64 + window.items.len() * 256);
    out.extend_from_slice(b"{\"object\":\"list\",");
    write_data(&mut out, &window.items, &mut write);
    out.extend_from_slice(b",\"first_id\":");
    write_json(&mut out, &window.items.first().map(|i| i.key()));
    out.extend_from_slice(b",\"last_id\":");
    write_json(&mut out, &window.items.last().map(|i| i.key()));
    out.extend_from_slice(b",\"has_more\":");
    write_json(&mut out, &window.has_more);
    out.push(b'}');
    Json(out)
}

/// Style B: `{"object":"list","data":[...],"has_more","next"}`; `next` is the key to pass as
/// `after` (with `limit=0`, the `after` that was given).
pub(crate) fn next_list<T: Keyed>(
    window: &Window<T>,
    cursor: &Cursor,
    mut write: impl FnMut(&mut Vec<u8>, &T),
) -> Json {
    let mut out = Vec::with_capacity(64 + window.items.len() * 256);
    out.extend_from_slice(b"{\"object\":\"list\",");
    write_data(&mut out, &window.items, &mut write);
    out.extend_from_slice(b",\"has_more\":");
    write_json(&mut out, &window.has_more);
    out.extend_from_slice(b",\"next\":");
    let next = window
        .has_more
        .then(|| window.items.last().map(|i| i.key()).or(cursor.after))
        .flatten();
    write_json(&mut out, &next);
    out.push(b'}');
    Json(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys<'a>(window: &Window<'a, String>) -> Vec<&'a str> {
        window.items.iter().map(|s| s.as_str()).collect()
    }

    fn cursor<'a>(
        limit: usize,
        after: Option<&'a str>,
        before: Option<&'a str>,
        order: Order,
    ) -> Cursor<'a> {
        Cursor {
            limit,
            after,
            before,
            order,
        }
    }

    #[test]
    fn after_before_and_order() {
        let items: Vec<String> = ["a", "b", "c", "d", "e"].map(String::from).to_vec();
        let page = page_of(&items, &cursor(2, None, None, Order::Asc), |_| true).unwrap();
        assert_eq!((keys(&page), page.has_more), (vec!["a", "b"], true));
        let page = page_of(&items, &cursor(2, Some("d"), None, Order::Asc), |_| true).unwrap();
        assert_eq!((keys(&page), page.has_more), (vec!["e"], false));
        let page = page_of(&items, &cursor(2, Some("d"), None, Order::Desc), |_| true).unwrap();
        assert_eq!((keys(&page), page.has_more), (vec!["c", "b"], true));
        let page = page_of(&items, &cursor(2, None, Some("d"), Order::Asc), |_| true).unwrap();
        assert_eq!((keys(&page), page.has_more), (vec!["b", "c"], true));
        let page = page_of(&items, &cursor(0, None, None, Order::Asc), |_| true).unwrap();
        assert_eq!((keys(&page), page.has_more), (vec![], true));
        assert!(page_of(&items, &cursor(2, Some("zz"), None, Order::Asc), |_| true).is_err());
    }
}
