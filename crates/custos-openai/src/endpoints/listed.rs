//! The one read of every kind the registry reads as JSON ([`custos_model::kind::KindInfo::json`]):
//! its list operation walked as an id-cursor list (`after` ← `last_id`, at the largest page),
//! each object kept as the API's JSON. A kind added to the registry is read here without a
//! method of its own.

use super::{MAX_PAGE, Operation, Paging};
use crate::{NextAfter, ReadClient, Result};
use futures::stream::BoxStream;
use serde_json::Value;

impl ReadClient {
    /// Every object of the id-cursor list `op` (a GET of the table), its placeholders filled
    /// with `ids` (encoded, like every id in a path).
    pub fn list_json(
        &self,
        op: &'static Operation,
        ids: &[&str],
    ) -> BoxStream<'static, Result<Value>> {
        let query = Paging::<MAX_PAGE>::default().query(op, false);
        self.walk_ids(op, ids, query, NextAfter::LastId)
    }
}
