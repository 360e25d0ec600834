//! Domain types shared by every custos crate.
//!
//! [`api`] holds the OpenAI Admin API objects exactly as they travel on the wire: typed where
//! custos reads a field, with every field the API may add kept as raw JSON in `extra`, so that a
//! newer API never breaks parsing and nothing the API said is lost. [`scenario`] is the
//! `custos-scenario/1` document the simulator serves. [`inventory`] is one organization's
//! collected objects, as policies and reports read them. [`text`] makes outside text safe for a
//! terminal or a spreadsheet.

pub mod api;
pub mod inventory;
pub mod kind;
pub mod money;
pub mod operations;
pub mod page;
pub mod redact;
pub mod scenario;
pub mod text;
pub mod unix;
pub mod usage;

/// Fields of an API object that custos does not model, kept verbatim.
pub type Extra = serde_json::Map<String, serde_json::Value>;
