//! Custom policies: YAML files in the spirit of Cloud Custodian, each naming a kind of resource
//! and CEL filters over its JSON. A loaded policy is a [`Check`](crate::Check) like the
//! built-ins: it runs in [`evaluate_all`](crate::evaluate_all), and settings override its
//! severity and parameters. `docs/custom-policies.md` describes the format.
//!
//! ```
//! # let dir = tempfile::tempdir().unwrap();
//! # std::fs::write(dir.path().join("old.yaml"), "id: acme-old-keys\ntitle: Old key\n\
//! # resource: project_api_key\nseverity: low\nfilters: ['age_days(resource.created_at) > 90']\n\
//! # message: 'Key {{resource.id}} is old'\n").unwrap();
//! use custos_policy::{Registry, custom};
//! let (policies, errors) = custom::load_dir(dir.path());
//! assert!(errors.is_empty(), "{errors:?}");
//! let registry = Registry::builtin().with_custom(policies).unwrap();
//! assert!(registry.get("acme-old-keys").is_some());
//! ```

mod budget;
mod document;
mod expression;
mod fields;
mod fixtures;
pub mod limits;
mod policy;
mod resources;
mod template;
mod values;
mod yaml;

pub use document::Position;
pub use fixtures::{CaseReport, FileReport, TestReport, run_tests};
pub use policy::CustomPolicy;

use document::PolicyDocument;
use limits::MAX_FILE_BYTES;
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// A problem in a policy (or fixture) file, at a 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file.display(),
            self.line,
            self.column,
            self.message
        )
    }
}

impl std::error::Error for PolicyError {}

impl PolicyError {
    fn new(file: &Path, at: Position, message: impl Into<String>) -> Self {
        PolicyError {
            file: file.to_owned(),
            line: at.line,
            column: at.column,
            message: message.into(),
        }
    }

    /// A YAML error, at its position when it has one, without the position repeated in words.
    fn yaml(file: &Path, error: &serde_yaml_ng::Error) -> Self {
        let at = error
            .location()
            .map_or(Position::START, |location| Position {
                line: location.line(),
                column: location.column(),
            });
        let text = error.to_string();
        let message = match text.rsplit_once(" at line ") {
            Some((message, _)) => message.to_owned(),
            None => text,
        };
        PolicyError::new(file, at, message)
    }
}

/// Whether `path` is a fixture file (`foo.test.yaml`), not a policy.
fn is_fixture(path: &Path) -> bool {
    path.file_stem()
        .and_then(|stem| stem.to_str())
        .is_some_and(|stem| stem.ends_with(".test"))
}

fn is_yaml(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml")
    )
}

/// The policy files of `dir` (`*.yaml`, `*.yml`, fixtures excepted), sorted so that id clashes
/// are always reported on the same file.
fn policy_files(dir: &Path) -> Result<Vec<PathBuf>, PolicyError> {
    let entries = std::fs::read_dir(dir).map_err(|error| {
        PolicyError::new(
            dir,
            Position::START,
            format!("cannot read the directory: {error}"),
        )
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.is_file() && is_yaml(path) && !is_fixture(path))
        .collect();
    files.sort();
    Ok(files)
}

/// Reads a YAML file of bounded size as text.
fn read_text(path: &Path) -> Result<String, PolicyError> {
    let at_start = |message: String| PolicyError::new(path, Position::START, message);
    let size = std::fs::metadata(path)
        .map_err(|error| at_start(format!("cannot read: {error}")))?
        .len();
    if size > MAX_FILE_BYTES {
        return Err(at_start(format!(
            "the file is {size} bytes; the limit is {MAX_FILE_BYTES}"
        )));
    }
    let bytes = std::fs::read(path).map_err(|error| at_start(format!("cannot read: {error}")))?;
    String::from_utf8(bytes).map_err(|error| at_start(format!("not UTF-8: {error}")))
}

/// Loads one policy from its text. `path` names it in errors.
pub fn load_str(path: &Path, source: &str) -> Result<CustomPolicy, Vec<PolicyError>> {
    let document: PolicyDocument = yaml::parse(path, source).map_err(|error| vec![error])?;
    CustomPolicy::build(path, source, document).map_err(|issues| {
        issues
            .into_iter()
            .map(|(at, message)| PolicyError::new(path, at, message))
            .collect()
    })
}

/// Loads every policy of `dir`. Each file with a problem is left out and its problems reported;
/// the others load. A policy whose id is a built-in's, or another file's, is an error too.
pub fn load_dir(dir: &Path) -> (Vec<CustomPolicy>, Vec<PolicyError>) {
    let files = match policy_files(dir) {
        Ok(files) => files,
        Err(error) => return (Vec::new(), vec![error]),
    };
    let builtin = crate::Registry::builtin();
    let mut seen: HashMap<&'static str, PathBuf> = HashMap::new();
    let mut policies = Vec::new();
    let mut errors = Vec::new();
    for path in files {
        let loaded = read_text(&path)
            .map_err(|error| vec![error])
            .and_then(|source| load_str(&path, &source).map(|policy| (policy, source)));
        let (policy, source) = match loaded {
            Ok(loaded) => loaded,
            Err(found) => {
                errors.extend(found);
                continue;
            }
        };
        let id = crate::Check::meta(&policy).id;
        let clash = if builtin.get(id).is_some() {
            Some("a built-in policy".to_owned())
        } else {
            seen.get(id)
                .map(|other| format!("the policy in {}", other.display()))
        };
        match clash {
            Some(other) => errors.push(PolicyError::new(
                &path,
                document::key_position(&source, "id"),
                format!("id `{id}` is already used by {other}"),
            )),
            None => {
                seen.insert(id, path);
                policies.push(policy);
            }
        }
    }
    (policies, errors)
}

#[cfg(test)]
mod tests;
