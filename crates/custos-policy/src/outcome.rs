//! The result of evaluating one policy against one resource.

use crate::meta::{PolicyMeta, Severity};
use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;
use std::collections::HashMap;
use std::fmt;

/// The three states of a result. A missing page of data is never a pass: it is `Indeterminate`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    strum::Display,
    strum::IntoStaticStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Verdict {
    Pass,
    Fail,
    Indeterminate,
}

impl Verdict {
    /// The name findings JSON and tables use (`pass`, `fail`, `indeterminate`).
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// One policy's result for one resource.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    /// The policy's metadata is static (custom policies' too): outcomes share its id.
    pub policy_id: &'static str,
    /// The effective severity: the policy's default, or the one settings chose.
    pub severity: Severity,
    pub resource_kind: &'static str,
    /// The API's id of the resource (the organization id for organization-wide results).
    pub resource_id: String,
    /// The project the resource belongs to, if any.
    pub project_id: Option<String>,
    pub result: Verdict,
    /// A sentence naming the resource and saying what was found.
    pub message: String,
    /// An object: the values that made the policy fire (empty for a pass); for an
    /// indeterminate result, `{"missing": [...]}` naming what was not collected.
    pub evidence: Evidence,
}

/// The evidence of an outcome: a JSON object kept as its text. A large organization has
/// hundreds of thousands of findings, and a parsed object of three fields costs several times
/// the memory of its text; the text is what the store and the output formats write anyway.
#[derive(Clone, Default)]
pub struct Evidence(
    /// `None` for `{}`, which most outcomes (the passes) have: no allocation for them.
    Option<Box<RawValue>>,
);

const EMPTY: &str = "{}";

impl Evidence {
    /// `{}`.
    pub fn empty() -> Evidence {
        Evidence(None)
    }

    /// The JSON text.
    pub fn as_str(&self) -> &str {
        self.0.as_deref().map_or(EMPTY, RawValue::get)
    }

    /// The JSON text, owned, for a store that keeps it as given.
    pub fn into_raw(self) -> Result<Box<RawValue>, serde_json::Error> {
        match self.0 {
            Some(raw) => Ok(raw),
            None => RawValue::from_string(EMPTY.to_owned()),
        }
    }

    /// The evidence parsed.
    pub fn to_value(&self) -> Value {
        // The text was written from a `Value`, so it parses.
        serde_json::from_str(self.as_str()).unwrap_or_default()
    }
}

impl From<&Value> for Evidence {
    fn from(value: &Value) -> Evidence {
        match value {
            Value::Object(fields) if fields.is_empty() => Evidence::empty(),
            // Writing a `Value` cannot fail (its keys are strings); if it did, the evidence
            // would be empty rather than the outcome lost.
            _ => Evidence(serde_json::value::to_raw_value(value).ok()),
        }
    }
}

impl Serialize for Evidence {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.0 {
            Some(raw) => raw.serialize(serializer),
            None => serde_json::Map::new().serialize(serializer),
        }
    }
}

impl PartialEq for Evidence {
    fn eq(&self, other: &Evidence) -> bool {
        self.as_str() == other.as_str()
    }
}

impl fmt::Debug for Evidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The resource a result is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Subject<'a> {
    pub kind: &'static str,
    pub id: &'a str,
    pub project_id: Option<&'a str>,
}

impl<'a> Subject<'a> {
    pub fn organization(org_id: &'a str) -> Self {
        Subject {
            kind: "organization",
            id: org_id,
            project_id: None,
        }
    }

    pub fn project(project_id: &'a str) -> Self {
        Subject {
            kind: "project",
            id: project_id,
            project_id: Some(project_id),
        }
    }

    pub fn new(kind: &'static str, id: &'a str, project_id: Option<&'a str>) -> Self {
        Subject {
            kind,
            id,
            project_id,
        }
    }

    /// "project proj_1", "admin key key_1": how messages name the resource.
    pub fn describe(&self) -> String {
        format!("{} {}", self.kind.replace('_', " "), self.id)
    }
}

/// Which results an evaluation returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// Passes too: what `policies test`, segments and fixtures compare.
    All,
    /// Failures and indeterminate results only: what findings are made of. Passes are most
    /// results of a large organization, and each needs a message; this skips writing them.
    Findings,
}

/// Collects the outcomes of one policy, filling in what every outcome of it shares.
///
/// Each resource has at most one indeterminate result per policy: a policy that walks several
/// listings (admin keys and projects, say) may find the same scope unreadable in each, and the
/// findings lifecycle records each (policy, resource) once. The reasons are merged instead.
#[derive(Debug)]
pub struct Outcomes {
    meta: &'static PolicyMeta,
    keep: Keep,
    list: Vec<Outcome>,
    /// The indeterminate results so far: resource id to their place in `list` and what is missing.
    indeterminate: HashMap<String, (usize, Vec<String>)>,
}

impl Outcomes {
    pub fn new(meta: &'static PolicyMeta, keep: Keep) -> Self {
        Outcomes {
            meta,
            keep,
            list: Vec::new(),
            indeterminate: HashMap::new(),
        }
    }

    /// The policy whose outcomes these are.
    pub fn meta(&self) -> &'static PolicyMeta {
        self.meta
    }

    pub fn keep(&self) -> Keep {
        self.keep
    }

    fn push(&mut self, subject: Subject<'_>, result: Verdict, message: String, evidence: Evidence) {
        self.list.push(Outcome {
            policy_id: self.meta.id,
            severity: self.meta.severity,
            resource_kind: subject.kind,
            resource_id: subject.id.to_owned(),
            project_id: subject.project_id.map(str::to_owned),
            result,
            message,
            evidence,
        });
    }

    /// A pass carries an empty evidence object: evidence is what made a policy fire, and the
    /// message already says what was checked. Keeping passes light matters at scale (an
    /// organization has hundreds of thousands of keys that pass). The message is only written
    /// when passes are kept.
    pub(crate) fn pass(&mut self, subject: Subject<'_>, message: impl FnOnce() -> String) {
        if self.keep == Keep::All {
            self.push(subject, Verdict::Pass, message(), Evidence::empty());
        }
    }

    pub(crate) fn fail(&mut self, subject: Subject<'_>, message: String, evidence: Value) {
        self.push(subject, Verdict::Fail, message, Evidence::from(&evidence));
    }

    /// Fail (with the evidence) or pass, depending on `fires`. The evidence is only built for a
    /// failure.
    pub(crate) fn judge(
        &mut self,
        subject: Subject<'_>,
        fires: bool,
        message: impl FnOnce(bool) -> String,
        evidence: impl FnOnce() -> Value,
    ) {
        if fires {
            self.fail(subject, message(true), evidence());
        } else {
            self.pass(subject, || message(false));
        }
    }

    /// The data needed for `subject` was not collected; `missing` says what.
    pub(crate) fn indeterminate(&mut self, subject: Subject<'_>, missing: Vec<String>) {
        if let Some((index, known)) = self.indeterminate.get_mut(subject.id) {
            for reason in missing {
                if !known.contains(&reason) {
                    known.push(reason);
                }
            }
            let (message, evidence) = indeterminate_text(self.meta, &subject, known);
            let outcome = &mut self.list[*index];
            outcome.message = message;
            outcome.evidence = evidence;
            return;
        }
        let (message, evidence) = indeterminate_text(self.meta, &subject, &missing);
        self.indeterminate
            .insert(subject.id.to_owned(), (self.list.len(), missing));
        self.push(subject, Verdict::Indeterminate, message, evidence);
    }

    /// Adds outcomes collected elsewhere (by another thread) for the same policy.
    pub(crate) fn append(&mut self, mut outcomes: Vec<Outcome>) {
        self.list.append(&mut outcomes);
    }

    pub fn into_vec(self) -> Vec<Outcome> {
        self.list
    }
}

/// The message and evidence of an indeterminate result: what is missing, in words and as a list.
fn indeterminate_text(
    meta: &PolicyMeta,
    subject: &Subject<'_>,
    missing: &[String],
) -> (String, Evidence) {
    let message = format!(
        "{}: cannot evaluate {} because {}",
        meta.title,
        subject.describe(),
        missing.join("; ")
    );
    let evidence = Evidence::from(&serde_json::json!({ "missing": missing }));
    (message, evidence)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn evidence_keeps_the_object_as_text_and_writes_it_back_as_an_object() {
        let value = json!({"created_at": 1, "owner": {"type": "user"}, "ids": ["a", "b"]});
        let evidence = Evidence::from(&value);
        assert_eq!(evidence.to_value(), value);
        assert_eq!(evidence, Evidence::from(&value.clone()));
        assert_eq!(
            serde_json::to_value(&evidence).unwrap(),
            value,
            "serialized as the object, not as a string"
        );
        assert_eq!(
            evidence.clone().into_raw().unwrap().get(),
            evidence.as_str()
        );
        for empty in [Evidence::empty(), Evidence::from(&json!({}))] {
            assert_eq!(empty.clone().into_raw().unwrap().get(), "{}");
            assert_eq!(empty.as_str(), "{}");
            assert_eq!(serde_json::to_string(&empty).unwrap(), "{}");
            assert_eq!(empty, Evidence::default());
        }
        assert_ne!(evidence, Evidence::empty());
    }
}
