//! Walking an organization through the Admin API.
//!
//! [`collect`] gathers every kind the API exposes into an in-memory [`Inventory`], recording
//! the endpoints that failed so that unknown data is never mistaken for absent data.

pub mod collect;
pub mod diff;
pub mod privacy;
pub mod records;
pub mod scan;
pub mod snapshot;

pub use custos_model::inventory::{EndpointFailure, Inventory, ProjectInventory, Snapshot};
