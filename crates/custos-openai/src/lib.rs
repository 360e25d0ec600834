//! The OpenAI Admin API client.
//!
//! [`ReadClient`] speaks the wire format of `openapi.admin.yaml`: bearer authentication with a
//! [`secrecy::SecretString`] that never reaches a log line or an error, the three pagination
//! styles as async streams, query encoding as the official SDK sends it, retries with capped
//! exponential backoff and jitter that honour `Retry-After`, and pacing: a fixed rate or one
//! learnt from the answers, per route where the server limits per route, with a bound on
//! concurrent requests.
//!
//! The client comes in two halves ([`access`]): a [`ReadClient`], which only reads, is what
//! scans hold; a [`WriteClient`], which sends [`WriteCall`]s (an operation of the table, its
//! ids and body), only custos-actions builds, for an approved action (`ARCHITECTURE.md`,
//! "Nothing changes an organization without two people").

pub mod access;
mod client;
pub mod endpoints;
mod error;
mod pace;
mod paginate;
mod path;
mod query;
mod retry;

pub use access::{WriteCall, WriteClient, WriteOutcome};
pub use client::{
    ClientConfig, ClientStats, DEFAULT_MAX_LIST_ITEMS, DEFAULT_MAX_REQUEST_TIME,
    DEFAULT_MAX_RESPONSE_BYTES, ReadClient,
};
pub use error::{ApiError, Error, Result};
pub use pace::Pacing;
pub use paginate::NextAfter;
pub use path::{InvalidId, check_id};
pub use query::Query;
pub use retry::RetryPolicy;
