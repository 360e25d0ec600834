//! The OpenAI Admin API simulator: it serves a `custos-scenario/1` document over HTTP exactly as
//! the Admin API would, with latency, rate limiting and faults, so that every test, benchmark and
//! the demo run without a real organization.
//!
//! - [`scenario`]: loading and validating scenario files, with errors that name the file, the JSON
//!   path and what was expected.
//! - [`server`]: the axum server (all 119 spec operations plus the project-key endpoints).
//! - [`generate`]: large, realistic, deterministic scenarios for benchmarks.
//! - [`demo`]: the built-in demo organization embedded in the binary.

pub mod demo;
pub mod generate;
pub mod scenario;
pub mod server;
