//! The custos policy engine: the built-in catalogue (one file per check in [`checks`], each with
//! its metadata and fixtures), settings validation, and evaluation.
//!
//! Evaluation is pure: a [`Snapshot`], the evaluation time `as_of` and resolved [`Params`] in,
//! [`Outcome`]s out. Nothing reads the clock, the disk or a global. Each outcome is a pass, a
//! fail, or an indeterminate result naming the data that was not collected. [`Keep::Findings`]
//! leaves the passes out (and does not write their messages), as findings need only the rest.
//!
//! Besides the built-ins, [`custom`] loads policies written as YAML files with CEL filters.
//!
//! ```
//! use custos_policy::{Keep, Registry, evaluate_all};
//! let registry = Registry::builtin();
//! let resolved = registry.resolve(&Default::default(), &Default::default()).unwrap();
//! let snapshot = custos_model::inventory::Snapshot::default();
//! let outcomes = evaluate_all(&resolved, &snapshot, 1_750_000_000, Keep::All);
//! assert!(!outcomes.is_empty());
//! ```

pub mod checks;
pub mod custom;
pub mod docs;
pub mod meta;
pub mod outcome;
pub mod registry;
pub mod settings;
pub mod shared;

#[cfg(test)]
pub(crate) mod testing;

pub use meta::{Control, Need, ParamKind, ParamSpec, PolicyMeta, Severity, controls};
pub use outcome::{Evidence, Keep, Outcome, Outcomes, Verdict};
pub use registry::{
    Builtin, Check, DuplicateId, EvaluateFn, Registry, ResolvedPolicy, evaluate_all, evaluate_each,
};
pub use settings::{Params, PolicySettings, SettingsError, SettingsMap};

pub use custos_model::inventory::Snapshot;
