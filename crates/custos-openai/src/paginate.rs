//! The three pagination styles of the Admin API (`docs/admin-api-notes.md` "Paging") as streams.
//!
//! Each stream owns a clone of the client, fetches one page at a time, yields its items in API
//! order and stops after the page with `has_more: false`. A page that cannot be continued ends
//! the stream with an error after the items already read: a cursor seen before
//! ([`Error::RepeatingCursor`], which would loop forever), `has_more` on an empty page
//! ([`Error::EmptyPageWithMore`]), `has_more` without a cursor ([`Error::Decode`]), or more
//! items than the client's `max_list_items` ([`Error::ListTooLong`]: a server answering
//! `has_more: true` with new items forever would otherwise fill the memory, since each new
//! cursor is kept to detect loops and the consumer usually keeps the items). A consumer
//! therefore never mistakes a cut-short list for a complete one.

use crate::{Error, Query, ReadClient, Result};
use custos_model::page::{Bucket, BucketPage, IdCursorPage, NextCursorPage};
use futures::StreamExt;
use futures::stream::BoxStream;
use serde::de::DeserializeOwned;
use std::collections::HashSet;
use std::fmt;

/// Where a style-A (id cursor) list continues.
pub enum NextAfter<T> {
    /// `after` = the page's `last_id` (most lists).
    LastId,
    /// `after` = this function of the page's last item, e.g. its `id` (admin API keys, as the
    /// SDK does).
    LastItem(fn(&T) -> String),
}

impl<T> Clone for NextAfter<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for NextAfter<T> {}

impl<T> fmt::Debug for NextAfter<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NextAfter::LastId => f.write_str("LastId"),
            NextAfter::LastItem(_) => f.write_str("LastItem(..)"),
        }
    }
}

/// One page reduced to what paging needs.
struct Page<T> {
    items: Vec<T>,
    has_more: bool,
    cursor: Option<String>,
}

/// How to walk one style.
struct Style {
    /// The query parameter the cursor goes into.
    param: &'static str,
    /// Where the cursor comes from in the response (for errors).
    field: &'static str,
}

impl ReadClient {
    /// Every item of a style-A list (`{data, first_id, last_id, has_more}`): the next page is
    /// requested with `after` = `last_id`, or the last item's id (see [`NextAfter`]).
    pub fn paginate_id<T: DeserializeOwned + Send + 'static>(
        &self,
        path: &str,
        query: Query,
        next: NextAfter<T>,
    ) -> BoxStream<'static, Result<T>> {
        let style = Style {
            param: "after",
            field: match next {
                NextAfter::LastId => "`last_id`",
                NextAfter::LastItem(_) => "the last item's id",
            },
        };
        self.walk(path, query, style, move |page: IdCursorPage<T>| Page {
            cursor: match next {
                NextAfter::LastId => page.last_id,
                NextAfter::LastItem(id) => page.data.last().map(id),
            },
            has_more: page.has_more,
            items: page.data,
        })
    }

    /// Every item of a style-B list (`{data, has_more, next}`): `after` = `next`.
    pub fn paginate_next<T: DeserializeOwned + Send + 'static>(
        &self,
        path: &str,
        query: Query,
    ) -> BoxStream<'static, Result<T>> {
        let style = Style {
            param: "after",
            field: "`next`",
        };
        self.walk(path, query, style, |page: NextCursorPage<T>| Page {
            items: page.data,
            has_more: page.has_more,
            cursor: page.next,
        })
    }

    /// Every bucket of a style-C usage or cost report (`{data: [bucket], has_more,
    /// next_page}`): `page` = `next_page`.
    pub fn paginate_buckets<T: DeserializeOwned + Send + 'static>(
        &self,
        path: &str,
        query: Query,
    ) -> BoxStream<'static, Result<Bucket<T>>> {
        let style = Style {
            param: "page",
            field: "`next_page`",
        };
        self.walk(path, query, style, |page: BucketPage<T>| Page {
            items: page.data,
            has_more: page.has_more,
            cursor: page.next_page,
        })
    }

    /// The loop shared by the three styles: fetch, yield, check the cursor, continue.
    fn walk<P, T, F>(
        &self,
        path: &str,
        mut query: Query,
        style: Style,
        split: F,
    ) -> BoxStream<'static, Result<T>>
    where
        P: DeserializeOwned + Send + 'static,
        T: Send + 'static,
        F: Fn(P) -> Page<T> + Send + 'static,
    {
        let client = self.clone();
        let path = path.to_owned();
        async_stream::stream! {
            // A cursor given by the caller (to resume a walk) counts as used: the API handing
            // it back would restart the same page forever.
            let mut used: HashSet<String> = query
                .pairs()
                .iter()
                .filter(|(name, _)| name == style.param)
                .map(|(_, value)| value.clone())
                .collect();
            let limit = client.max_list_items();
            let mut listed: u64 = 0;
            loop {
                let (page, request_id) = match client.get_with_request_id::<P>(&path, &query).await {
                    Ok(answer) => answer,
                    Err(error) => {
                        yield Err(error);
                        return;
                    }
                };
                let Page { items, has_more, cursor } = split(page);
                let empty = items.is_empty();
                listed = listed.saturating_add(u64::try_from(items.len()).unwrap_or(u64::MAX));
                if listed > limit {
                    // Refused before any item of the page is handed on: the list is unknown.
                    yield Err(Error::ListTooLong { path, limit });
                    return;
                }
                for item in items {
                    yield Ok(item);
                }
                if !has_more {
                    return;
                }
                if empty {
                    yield Err(Error::EmptyPageWithMore { path });
                    return;
                }
                let Some(cursor) = cursor.filter(|c| !c.is_empty()) else {
                    yield Err(Error::Decode {
                        method: "GET".to_owned(),
                        path,
                        request_id,
                        message: format!(
                            "`has_more` is true but {} is missing or empty, so the next page \
                             cannot be requested",
                            style.field
                        ),
                    });
                    return;
                };
                if !used.insert(cursor.clone()) {
                    yield Err(Error::RepeatingCursor { path, cursor });
                    return;
                }
                query.set(style.param, cursor);
            }
        }
        .boxed()
    }
}
