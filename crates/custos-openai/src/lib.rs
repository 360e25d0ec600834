//! The OpenAI Admin API client.
//!
//! [`Client`] speaks the wire format of `openapi.admin.yaml`: bearer authentication with a
//! [`secrecy::SecretString`] that never reaches a log line or an error, the three pagination
//! styles as async streams, query encoding as the official SDK sends it, retries with capped
//! exponential backoff and jitter that honour `Retry-After`, a client-side rate limiter and a
//! bound on concurrent requests.
//!
//! Writes live in [`endpoints`] beside the reads; custos only reaches them through an approved
//! action (`ARCHITECTURE.md`, "Nothing changes an organization without two people"), never
//! from a scan.

mod client;
pub mod endpoints;
mod error;
mod paginate;
mod path;
mod query;
mod retry;

pub use client::{
    Client, ClientConfig, ClientStats, DEFAULT_MAX_LIST_ITEMS, DEFAULT_MAX_REQUEST_TIME,
    DEFAULT_MAX_RESPONSE_BYTES, DeleteOutcome,
};
pub use error::{ApiError, Error, Result};
pub use paginate::NextAfter;
pub use path::{InvalidId, check_id};
pub use query::Query;
pub use retry::RetryPolicy;
