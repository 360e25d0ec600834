//! Query strings as the official SDK encodes them (`docs/admin-api-notes.md` "Query
//! encoding"): arrays as `name[]=v` repeated, objects as `name[key]=v`.

/// An ordered list of query parameters, percent-encoded when the request is built.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    pub fn new() -> Self {
        Query::default()
    }

    /// `name=value`.
    pub fn push(&mut self, name: &str, value: impl ToString) -> &mut Self {
        self.pairs.push((name.to_owned(), value.to_string()));
        self
    }

    /// `name=value` when `value` is `Some`.
    pub fn push_opt<V: ToString>(&mut self, name: &str, value: Option<V>) -> &mut Self {
        if let Some(v) = value {
            self.push(name, v);
        }
        self
    }

    /// `name[]=a&name[]=b`. `name` is given without brackets.
    pub fn push_array<V: ToString>(&mut self, name: &str, values: &[V]) -> &mut Self {
        for v in values {
            self.pairs.push((format!("{name}[]"), v.to_string()));
        }
        self
    }

    /// `name[key]=value` (deepObject), e.g. `effective_at[gte]=1700000000`.
    pub fn push_field(&mut self, name: &str, key: &str, value: impl ToString) -> &mut Self {
        self.pairs
            .push((format!("{name}[{key}]"), value.to_string()));
        self
    }

    /// Replaces every `name` pair (the cursor of the next page) with one value.
    pub fn set(&mut self, name: &str, value: impl ToString) -> &mut Self {
        self.pairs.retain(|(n, _)| n != name);
        self.push(name, value)
    }

    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }
}
