//! Stored API objects and keyed collections of them.
//!
//! Every object is kept as the JSON the API would send (a [`Doc`]), together with its encoding,
//! so that a list page is a concatenation of cached bytes instead of a fresh serialization.
//! A [`Collection`] keeps its items in list order with an index from key to position, so that
//! cursors and lookups are O(1) and nothing is cloned per request.

use serde_json::{Map, Value};
use std::collections::HashMap;

/// One API object: its key (usually `id`), its fields and their cached encoding.
#[derive(Debug, Clone)]
pub(crate) struct Doc {
    key: String,
    fields: Map<String, Value>,
    json: Vec<u8>,
}

impl Doc {
    pub(crate) fn new(key: impl Into<String>, fields: Map<String, Value>) -> Doc {
        let json = encode(&fields);
        Doc {
            key: key.into(),
            fields,
            json,
        }
    }

    /// A doc keyed by its own `id` field (empty when it has none).
    pub(crate) fn with_id(fields: Map<String, Value>) -> Doc {
        let key = fields
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        Doc::new(key, fields)
    }

    pub(crate) fn key(&self) -> &str {
        &self.key
    }

    pub(crate) fn fields(&self) -> &Map<String, Value> {
        &self.fields
    }

    pub(crate) fn get(&self, field: &str) -> Option<&Value> {
        self.fields.get(field)
    }

    pub(crate) fn str(&self, field: &str) -> Option<&str> {
        self.get(field).and_then(Value::as_str)
    }

    pub(crate) fn json(&self) -> &[u8] {
        &self.json
    }

    /// Changes fields and refreshes the cached encoding.
    pub(crate) fn update(&mut self, change: impl FnOnce(&mut Map<String, Value>)) {
        change(&mut self.fields);
        self.json = encode(&self.fields);
    }

    pub(crate) fn set(&mut self, field: &str, value: impl Into<Value>) {
        let value = value.into();
        self.update(|fields| {
            fields.insert(field.to_owned(), value);
        });
    }
}

fn encode(fields: &Map<String, Value>) -> Vec<u8> {
    // A map of JSON values always encodes.
    serde_json::to_vec(fields).unwrap_or_else(|_| b"{}".to_vec())
}

/// Anything stored in a [`Collection`].
pub(crate) trait Keyed {
    fn key(&self) -> &str;
}

impl Keyed for Doc {
    fn key(&self) -> &str {
        &self.key
    }
}

impl Keyed for String {
    fn key(&self) -> &str {
        self
    }
}

/// Items in list order, indexed by key. The first of duplicate keys wins lookups.
#[derive(Debug, Clone)]
pub(crate) struct Collection<T> {
    items: Vec<T>,
    index: HashMap<String, usize>,
}

impl<T> Default for Collection<T> {
    fn default() -> Self {
        Collection {
            items: Vec::new(),
            index: HashMap::new(),
        }
    }
}

impl<T: Keyed> Collection<T> {
    pub(crate) fn new(items: Vec<T>) -> Collection<T> {
        let mut collection = Collection {
            items,
            index: HashMap::new(),
        };
        collection.reindex();
        collection
    }

    fn reindex(&mut self) {
        self.index.clear();
        for (position, item) in self.items.iter().enumerate() {
            self.index.entry(item.key().to_owned()).or_insert(position);
        }
    }

    pub(crate) fn items(&self) -> &[T] {
        &self.items
    }

    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = &mut T> {
        self.items.iter_mut()
    }

    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }

    pub(crate) fn position(&self, key: &str) -> Option<usize> {
        self.index.get(key).copied()
    }

    pub(crate) fn contains(&self, key: &str) -> bool {
        self.index.contains_key(key)
    }

    pub(crate) fn get(&self, key: &str) -> Option<&T> {
        self.position(key).map(|p| &self.items[p])
    }

    pub(crate) fn get_mut(&mut self, key: &str) -> Option<&mut T> {
        self.position(key).map(|p| &mut self.items[p])
    }

    /// Appends, or replaces the item with the same key in place.
    pub(crate) fn upsert(&mut self, item: T) {
        match self.position(item.key()) {
            Some(position) => self.items[position] = item,
            None => {
                self.index.insert(item.key().to_owned(), self.items.len());
                self.items.push(item);
            }
        }
    }

    /// Inserts at the front (newest-first lists such as audit logs).
    pub(crate) fn push_front(&mut self, item: T) {
        self.items.insert(0, item);
        self.reindex();
    }

    pub(crate) fn remove(&mut self, key: &str) -> Option<T> {
        let position = self.position(key)?;
        let item = self.items.remove(position);
        self.reindex();
        Some(item)
    }

    pub(crate) fn retain(&mut self, keep: impl FnMut(&T) -> bool) {
        self.items.retain(keep);
        self.reindex();
    }
}
