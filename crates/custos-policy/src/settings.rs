//! Policy settings from the configuration (global, then per organization on top), validated
//! against each policy's declared parameters before anything is evaluated.

use crate::meta::{ParamKind, ParamSpec, PolicyMeta, Severity};
use crate::shared::money::FxRates;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// What the configuration may say about one policy. Absent fields keep the layer below.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicySettings {
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default)]
    pub severity: Option<String>,
    #[serde(default)]
    pub params: BTreeMap<String, Value>,
}

/// Settings keyed by policy id.
pub type SettingsMap = BTreeMap<String, PolicySettings>;

/// A setting that cannot be applied. Each names the policy (and parameter) and what to do.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SettingsError {
    #[error("unknown policy `{id}`{}", suggestion.as_ref().map(|s| format!("; did you mean `{s}`?")).unwrap_or_default())]
    UnknownPolicy {
        id: String,
        suggestion: Option<String>,
    },
    #[error(
        "policy `{policy}` has no parameter `{param}`; {}",
        declared_list(declared)
    )]
    UnknownParam {
        policy: String,
        param: String,
        declared: Vec<String>,
    },
    #[error("policy `{policy}`, parameter `{param}`: expected {expected}, found {found}")]
    InvalidParam {
        policy: String,
        param: String,
        expected: String,
        found: String,
    },
    #[error(
        "policy `{policy}`: unknown severity `{value}`; expected one of critical, high, medium, low, info"
    )]
    BadSeverity { policy: String, value: String },
}

fn declared_list(declared: &[String]) -> String {
    if declared.is_empty() {
        "it takes no parameters".to_owned()
    } else {
        format!("declared parameters: {}", declared.join(", "))
    }
}

/// Resolved parameter values of one policy: the defaults with every override layer applied,
/// each value checked against its [`ParamSpec`]. Accessors therefore never see a wrong type; if
/// asked for a parameter the policy does not declare they return a neutral value, not a panic.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Params {
    values: BTreeMap<String, Value>,
}

impl Params {
    /// The declared defaults.
    pub fn defaults(meta: &PolicyMeta) -> Params {
        Params {
            values: meta
                .params
                .iter()
                .map(|spec| (spec.name.to_owned(), spec.default_value()))
                .collect(),
        }
    }

    /// The defaults with `layers` applied in order (later layers win).
    pub fn resolve(
        meta: &PolicyMeta,
        layers: &[&BTreeMap<String, Value>],
    ) -> Result<Params, Vec<SettingsError>> {
        let mut params = Params::defaults(meta);
        let mut errors = Vec::new();
        for layer in layers {
            for (name, value) in *layer {
                match meta.param(name) {
                    None => errors.push(SettingsError::UnknownParam {
                        policy: meta.id.to_owned(),
                        param: name.clone(),
                        declared: meta.params.iter().map(|p| p.name.to_owned()).collect(),
                    }),
                    Some(spec) => match validate(spec, value) {
                        Ok(()) => {
                            params.values.insert(name.clone(), value.clone());
                        }
                        Err(expected) => errors.push(SettingsError::InvalidParam {
                            policy: meta.id.to_owned(),
                            param: name.clone(),
                            expected,
                            found: abbreviate(value),
                        }),
                    },
                }
            }
        }
        if errors.is_empty() {
            Ok(params)
        } else {
            Err(errors)
        }
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        self.values.get(name)
    }

    pub fn integer(&self, name: &str) -> i64 {
        self.get(name).and_then(Value::as_i64).unwrap_or(0)
    }

    pub fn number(&self, name: &str) -> f64 {
        self.get(name).and_then(Value::as_f64).unwrap_or(0.0)
    }

    pub fn string(&self, name: &str) -> &str {
        self.get(name).and_then(Value::as_str).unwrap_or("")
    }

    pub fn strings(&self, name: &str) -> Vec<&str> {
        self.get(name)
            .and_then(Value::as_array)
            .map(|items| items.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    }

    pub fn fx_rates(&self, name: &str) -> FxRates {
        self.get(name).map(FxRates::from_json).unwrap_or_default()
    }
}

/// Checks one value; on error returns what was expected.
fn validate(spec: &ParamSpec, value: &Value) -> Result<(), String> {
    let ok = match spec.kind {
        ParamKind::Integer { min, max } => value.as_i64().is_some_and(|v| (min..=max).contains(&v)),
        ParamKind::Number { min } => value.as_f64().is_some_and(|v| v.is_finite() && v >= min),
        ParamKind::String => value.is_string(),
        ParamKind::StringList => value
            .as_array()
            .is_some_and(|items| items.iter().all(Value::is_string)),
        ParamKind::GlobList => {
            let Some(items) = value.as_array() else {
                return Err(spec.kind.expected());
            };
            for item in items {
                let Some(pattern) = item.as_str() else {
                    return Err(spec.kind.expected());
                };
                if let Err(error) = globset::Glob::new(pattern) {
                    return Err(format!("a valid glob pattern (`{pattern}`: {error})"));
                }
            }
            true
        }
        ParamKind::FxRates => FxRates::validate(value),
    };
    if ok {
        Ok(())
    } else {
        Err(spec.kind.expected())
    }
}

/// A value as an error message shows it: JSON, cut short.
fn abbreviate(value: &Value) -> String {
    const LIMIT: usize = 80;
    let text = value.to_string();
    if text.chars().count() <= LIMIT {
        text
    } else {
        format!("{}...", text.chars().take(LIMIT).collect::<String>())
    }
}

/// Parses a severity override, naming the policy on error.
pub(crate) fn parse_severity(policy: &str, value: &str) -> Result<Severity, SettingsError> {
    value
        .trim()
        .parse()
        .map_err(|_| SettingsError::BadSeverity {
            policy: policy.to_owned(),
            value: value.to_owned(),
        })
}
