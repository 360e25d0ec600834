//! The three list envelopes of the Admin API (`docs/admin-api-notes.md` "Paging").

use crate::Extra;
use crate::unix;
use serde::{Deserialize, Serialize};

/// Style A: `{"object":"list","data":[...],"first_id","last_id","has_more"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdCursorPage<T> {
    #[serde(default = "list_object")]
    pub object: String,
    pub data: Vec<T>,
    #[serde(default)]
    pub first_id: Option<String>,
    #[serde(default)]
    pub last_id: Option<String>,
    #[serde(default)]
    pub has_more: bool,
}

/// Style B: `{"object":"list","data":[...],"has_more","next"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NextCursorPage<T> {
    #[serde(default = "list_object")]
    pub object: String,
    pub data: Vec<T>,
    #[serde(default)]
    pub has_more: bool,
    #[serde(default)]
    pub next: Option<String>,
}

/// Style C: `{"object":"page","data":[bucket...],"has_more","next_page"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BucketPage<T> {
    #[serde(default = "page_object")]
    pub object: String,
    pub data: Vec<Bucket<T>>,
    #[serde(default)]
    pub has_more: bool,
    #[serde(default)]
    pub next_page: Option<String>,
}

/// One time bucket of a usage or cost page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bucket<T> {
    #[serde(default = "bucket_object")]
    pub object: String,
    #[serde(deserialize_with = "unix::required")]
    pub start_time: i64,
    #[serde(deserialize_with = "unix::required")]
    pub end_time: i64,
    #[serde(default = "Vec::new", alias = "result")]
    pub results: Vec<T>,
}

/// An unpaged `{"object": "...", "data": [...]}` answer (certificate activation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataList<T> {
    pub object: String,
    pub data: Vec<T>,
    #[serde(flatten)]
    pub extra: Extra,
}

fn list_object() -> String {
    "list".to_owned()
}

fn page_object() -> String {
    "page".to_owned()
}

fn bucket_object() -> String {
    "bucket".to_owned()
}
