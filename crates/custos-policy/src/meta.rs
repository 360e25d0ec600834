//! What a policy declares about itself: severity, the data it needs, its parameters, its rule in
//! words, the remedy and the compliance controls it evidences. The same metadata drives the
//! settings validation, the `policies` commands and `docs/policies.md`.

use serde::Serialize;
use std::fmt;

/// How urgent a failing policy is. The derived order puts `Critical` first, so sorting a list of
/// findings by severity lists the most urgent first.
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
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantArray,
)]
#[serde(rename_all = "snake_case")]
#[strum(
    serialize_all = "snake_case",
    ascii_case_insensitive,
    parse_err_ty = UnknownSeverity,
    parse_err_fn = UnknownSeverity::from
)]
pub enum Severity {
    Critical,
    High,
    Medium,
    Low,
    Info,
}

impl Severity {
    /// Every severity, most urgent first.
    pub const ALL: &'static [Severity] = <Severity as strum::VariantArray>::VARIANTS;

    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// A severity name that is not one of the five.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown severity `{0}`: expected one of critical, high, medium, low, info")]
pub struct UnknownSeverity(pub String);

impl From<&str> for UnknownSeverity {
    fn from(name: &str) -> Self {
        UnknownSeverity(name.to_owned())
    }
}

/// A source of data a policy reads. Without it the policy can only be indeterminate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Need {
    /// The Admin API inventory.
    Admin,
    /// The `/organization/usage/*` endpoints.
    Usage,
    /// `/organization/costs`.
    Costs,
    /// `/organization/audit_logs`.
    Audit,
    /// An identity directory (HR export or SCIM).
    Directory,
    /// A project key, to read the project's files and vector stores.
    Files,
    /// The content scanner.
    Dlp,
    /// The ChatGPT Enterprise Compliance API.
    Chatgpt,
}

impl Need {
    pub fn as_str(self) -> &'static str {
        match self {
            Need::Admin => "admin",
            Need::Usage => "usage",
            Need::Costs => "costs",
            Need::Audit => "audit",
            Need::Directory => "directory",
            Need::Files => "files",
            Need::Dlp => "dlp",
            Need::Chatgpt => "chatgpt",
        }
    }
}

impl fmt::Display for Need {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A compliance control a policy provides evidence for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Control {
    pub framework: &'static str,
    pub id: &'static str,
}

impl fmt::Display for Control {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.framework, self.id)
    }
}

/// The controls the catalogue maps to, by framework.
pub mod controls {
    use super::Control;

    const SOC2: &str = "SOC 2";
    const ISO: &str = "ISO/IEC 27001:2022";
    const NIST: &str = "NIST SP 800-53";

    const fn soc2(id: &'static str) -> Control {
        Control {
            framework: SOC2,
            id,
        }
    }
    const fn iso(id: &'static str) -> Control {
        Control { framework: ISO, id }
    }
    const fn nist(id: &'static str) -> Control {
        Control {
            framework: NIST,
            id,
        }
    }

    /// Logical access security: restricting access to what is needed.
    pub const SOC2_CC6_1: Control = soc2("CC6.1");
    /// Registering, authorizing and removing users.
    pub const SOC2_CC6_2: Control = soc2("CC6.2");
    /// Role-based access, least privilege, timely removal.
    pub const SOC2_CC6_3: Control = soc2("CC6.3");
    /// Monitoring for anomalies.
    pub const SOC2_CC7_2: Control = soc2("CC7.2");
    /// Access control.
    pub const ISO_A_5_15: Control = iso("A.5.15");
    /// Identity management.
    pub const ISO_A_5_16: Control = iso("A.5.16");
    /// Access rights.
    pub const ISO_A_5_18: Control = iso("A.5.18");
    /// Privileged access rights.
    pub const ISO_A_8_2: Control = iso("A.8.2");
    /// Secure authentication.
    pub const ISO_A_8_5: Control = iso("A.8.5");
    /// Data leakage prevention.
    pub const ISO_A_8_12: Control = iso("A.8.12");
    /// Logging.
    pub const ISO_A_8_15: Control = iso("A.8.15");
    /// Monitoring activities.
    pub const ISO_A_8_16: Control = iso("A.8.16");
    /// Account management.
    pub const NIST_AC_2: Control = nist("AC-2");
    /// Least privilege.
    pub const NIST_AC_6: Control = nist("AC-6");
    /// Authenticator management.
    pub const NIST_IA_5: Control = nist("IA-5");
    /// Audit record review, analysis and reporting.
    pub const NIST_AU_6: Control = nist("AU-6");
    /// Protection of information at rest.
    pub const NIST_SC_28: Control = nist("SC-28");

    /// Who holds administrative power (owners, privileged invites).
    pub const PRIVILEGED_ACCESS: &[Control] = &[
        SOC2_CC6_1, SOC2_CC6_3, ISO_A_5_15, ISO_A_5_18, ISO_A_8_2, NIST_AC_2, NIST_AC_6,
    ];
    /// Whether accounts still belong to the people and purposes they were made for.
    pub const ACCOUNT_LIFECYCLE: &[Control] =
        &[SOC2_CC6_2, SOC2_CC6_3, ISO_A_5_16, ISO_A_5_18, NIST_AC_2];
    /// Secrets and certificates: rotation, expiry, ownership.
    pub const CREDENTIALS: &[Control] = &[SOC2_CC6_1, ISO_A_8_5, NIST_IA_5];
    /// Credentials whose owner or purpose is gone.
    pub const CREDENTIAL_LIFECYCLE: &[Control] = &[
        SOC2_CC6_2, SOC2_CC6_3, ISO_A_5_18, ISO_A_8_5, NIST_AC_2, NIST_IA_5,
    ];
    /// What a project may use.
    pub const LEAST_FUNCTIONALITY: &[Control] = &[SOC2_CC6_1, ISO_A_5_15, NIST_AC_6];
    /// Spending and usage anomalies.
    pub const MONITORING: &[Control] = &[SOC2_CC7_2, ISO_A_8_16, NIST_AU_6];
    /// Audit logging itself.
    pub const LOGGING: &[Control] = &[SOC2_CC7_2, ISO_A_8_15, ISO_A_8_16, NIST_AU_6];
    /// Data stored with the provider.
    pub const DATA_PROTECTION: &[Control] = &[SOC2_CC6_1, ISO_A_8_12, NIST_SC_28];
    /// Sharing with the outside world.
    pub const DATA_EXPOSURE: &[Control] = &[SOC2_CC6_1, ISO_A_5_15, ISO_A_8_12, NIST_AC_6];
}

/// The type of a parameter, with the bounds a value must respect.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum ParamKind {
    /// A whole number in `min..=max`.
    Integer { min: i64, max: i64 },
    /// A number, at least `min`.
    Number { min: f64 },
    /// A string.
    String,
    /// A list of strings (domains, for instance).
    StringList,
    /// A list of glob patterns (`gpt-4o*`), each checked to compile.
    GlobList,
    /// Exchange rates, `{"USD": {"EUR": 0.92}}`: one unit of the outer currency is worth the
    /// given amount of the inner one. Rates are positive.
    FxRates,
}

impl ParamKind {
    /// What a value of this kind looks like, for error messages and the docs.
    pub fn expected(self) -> String {
        match self {
            ParamKind::Integer { min, max: i64::MAX } => format!("an integer >= {min}"),
            ParamKind::Integer { min, max } => format!("an integer from {min} to {max}"),
            ParamKind::Number { min } => format!("a number >= {min}"),
            ParamKind::String => "a string".to_owned(),
            ParamKind::StringList => "a list of strings".to_owned(),
            ParamKind::GlobList => "a list of glob patterns".to_owned(),
            ParamKind::FxRates => {
                "an object of exchange rates, e.g. {\"USD\": {\"EUR\": 0.92}}, with positive rates"
                    .to_owned()
            }
        }
    }
}

/// A tunable parameter of a policy. The default is JSON text so that the metadata stays a
/// `const`; it is parsed (and tested to be valid) when parameters are resolved.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ParamSpec {
    pub name: &'static str,
    pub doc: &'static str,
    /// The default value as JSON text.
    pub default: &'static str,
    pub kind: ParamKind,
}

impl ParamSpec {
    /// The default as a JSON value. Defaults are checked by a test to parse and validate.
    pub fn default_value(&self) -> serde_json::Value {
        serde_json::from_str(self.default).unwrap_or(serde_json::Value::Null)
    }
}

/// Everything a policy declares about itself.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PolicyMeta {
    /// Stable id, used in output, config, suppressions and overrides.
    pub id: &'static str,
    pub title: &'static str,
    /// The default severity; settings may override it.
    pub severity: Severity,
    pub category: &'static str,
    /// The kind of resource a result is about (`organization`, `project`, `user`...).
    pub resource_kind: &'static str,
    pub needs: &'static [Need],
    pub params: &'static [ParamSpec],
    /// When the policy fires, in words.
    pub description: &'static str,
    pub remediation: &'static str,
    pub controls: &'static [Control],
}

impl PolicyMeta {
    pub fn param(&self, name: &str) -> Option<&'static ParamSpec> {
        self.params.iter().find(|p| p.name == name)
    }
}
