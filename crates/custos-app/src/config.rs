//! The configuration, validated once at start: `custos.toml` parsed and range-checked
//! (custos-config), every organization's provider resolved, the policies loaded (built-in and
//! custom) and their settings resolved for every configured organization. Whatever can be wrong
//! in the file is found here, before any store is opened or request sent; what is built here is
//! then only read.

use crate::provider::{Providers, Source};
use crate::{Error, Result};
use custos_config::{Config, PolicyOverride};
use custos_policy::custom::PolicyError;
use custos_policy::{PolicySettings, Registry, ResolvedPolicy, SettingsMap};
use std::collections::BTreeMap;
use std::path::Path;

/// The file read when `--config` is not given, if it exists.
pub const DEFAULT_CONFIG_FILE: &str = "custos.toml";

/// A configuration in which every part has been checked against the others.
///
/// It is only built by validating a file (or the defaults):
/// ```
/// let config = custos_app::ValidConfig::parse(std::path::Path::new("custos.toml"), "").unwrap();
/// assert_eq!(config.source_for("org-any").name(), "openai");
/// ```
/// Its parts are private, so no code can assemble one from an unchecked `Config`:
/// ```compile_fail
/// let config = custos_app::ValidConfig {
///     config: custos_config::Config::default(),
///     ..custos_app::ValidConfig::parse(std::path::Path::new("custos.toml"), "").unwrap()
/// };
/// ```
#[derive(Debug)]
pub struct ValidConfig {
    config: Config,
    registry: Registry,
    /// Custom policy files that did not load: not fatal (the other policies run), but a scan
    /// keeps the findings of their policies open and says so.
    policy_errors: Vec<PolicyError>,
    /// The settings of organizations the file does not list (registered with `orgs add`).
    global_policies: Vec<ResolvedPolicy>,
    org_policies: BTreeMap<String, Vec<ResolvedPolicy>>,
    org_sources: BTreeMap<String, &'static dyn Source>,
    providers: Providers,
}

impl ValidConfig {
    /// `explicit` (`--config`), else `./custos.toml` when it exists, else the defaults.
    pub fn discover(explicit: Option<&Path>) -> Result<ValidConfig> {
        match explicit {
            Some(path) => ValidConfig::load(path),
            None if Path::new(DEFAULT_CONFIG_FILE).exists() => {
                ValidConfig::load(Path::new(DEFAULT_CONFIG_FILE))
            }
            None => ValidConfig::parse(Path::new("(defaults)"), ""),
        }
    }

    /// Reads and validates `path`.
    pub fn load(path: &Path) -> Result<ValidConfig> {
        let text =
            std::fs::read_to_string(path).map_err(|source| custos_config::ConfigError::Read {
                path: path.to_owned(),
                source,
            })?;
        ValidConfig::parse(path, &text)
    }

    /// Validates config `text`; `path` names it in errors.
    pub fn parse(path: &Path, text: &str) -> Result<ValidConfig> {
        let config = Config::parse(path, text)?;
        let providers = Providers::builtin();
        let mut org_sources = BTreeMap::new();
        for (index, org) in config.organizations.iter().enumerate() {
            let name = org.provider_name();
            let Some(source) = providers.get(name) else {
                let offset = org.provider.as_ref().map_or(0, |p| p.span().start);
                return Err(Error::UnknownProvider {
                    path: path.to_owned(),
                    line: line_of(text, offset),
                    index,
                    name: name.to_owned(),
                    known: providers.names().join(", "),
                });
            };
            org_sources.insert(org.id.clone(), source);
        }
        let (registry, policy_errors) = load_policies(&config)?;
        let global = settings(&config.policies);
        let resolve = |per_org: &SettingsMap, scope: String| {
            registry.resolve(&global, per_org).map_err(|errors| {
                let errors = errors
                    .iter()
                    .map(|e| format!("{}: {scope}: {e}", path.display()))
                    .collect();
                Error::PolicySettings { errors }
            })
        };
        let global_policies = resolve(&SettingsMap::new(), "[policies]".to_owned())?;
        let mut org_policies = BTreeMap::new();
        for (index, org) in config.organizations.iter().enumerate() {
            let scope = format!("organizations[{index}] ({}) policies", org.id);
            org_policies.insert(org.id.clone(), resolve(&settings(&org.policies), scope)?);
        }
        Ok(ValidConfig {
            config,
            registry,
            policy_errors,
            global_policies,
            org_policies,
            org_sources,
            providers,
        })
    }

    /// The parsed file.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Every policy that runs: the built-in ones and the custom ones that loaded.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The custom policy files that did not load.
    pub fn policy_errors(&self) -> &[PolicyError] {
        &self.policy_errors
    }

    /// Every policy with the settings of organization `org_id`: the file's global settings and
    /// the organization's on top, or the global ones for an organization the file does not list.
    pub fn policies_for(&self, org_id: &str) -> &[ResolvedPolicy] {
        self.org_policies
            .get(org_id)
            .unwrap_or(&self.global_policies)
    }

    /// The provider organization `org_id` is read through: its entry's, else the default.
    pub fn source_for(&self, org_id: &str) -> &'static dyn Source {
        self.org_sources
            .get(org_id)
            .copied()
            .unwrap_or_else(|| self.providers.default_source())
    }
}

/// The built-in policies and the custom ones of the config's `custom_policies` folder. A
/// custom policy file that does not load is kept as an error and left out: the others run.
fn load_policies(config: &Config) -> Result<(Registry, Vec<PolicyError>)> {
    let builtin = Registry::builtin();
    let Some(dir) = &config.custom_policies else {
        return Ok((builtin, Vec::new()));
    };
    let (policies, errors) = custos_policy::custom::load_dir(dir);
    Ok((builtin.with_custom(policies)?, errors))
}

fn settings(overrides: &BTreeMap<String, PolicyOverride>) -> SettingsMap {
    overrides
        .iter()
        .map(|(id, o)| {
            (
                id.clone(),
                PolicySettings {
                    enabled: o.enabled,
                    severity: o.severity.clone(),
                    params: o.params.clone(),
                },
            )
        })
        .collect()
}

/// The 1-based line of byte `offset` of `text`.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ValidConfig> {
        ValidConfig::parse(Path::new("custos.toml"), text)
    }

    const TWO_ORGS: &str = r#"
[policies.openai-org-too-many-owners]
params = { max_owners = 3 }

[[organizations]]
id = "org-a"
read_key = { env = "A" }

[[organizations]]
id = "org-b"
provider = "openai"
read_key = { env = "B" }
[organizations.policies.openai-org-too-many-owners]
params = { max_owners = 9 }
"#;

    fn max_owners(config: &ValidConfig, org: &str) -> i64 {
        let policy = config
            .policies_for(org)
            .iter()
            .find(|p| p.check.meta().id == "openai-org-too-many-owners")
            .unwrap();
        policy.params.integer("max_owners")
    }

    #[test]
    fn settings_are_resolved_per_organization_at_start() {
        let config = parse(TWO_ORGS).unwrap();
        assert_eq!(max_owners(&config, "org-a"), 3);
        assert_eq!(max_owners(&config, "org-b"), 9);
        // An organization the file does not list gets the global settings.
        assert_eq!(max_owners(&config, "org-elsewhere"), 3);
        assert_eq!(config.source_for("org-b").name(), "openai");
        assert_eq!(config.source_for("org-elsewhere").name(), "openai");
    }

    #[test]
    fn an_unknown_provider_names_its_line_and_the_known_ones() {
        let text = TWO_ORGS.replace("provider = \"openai\"", "provider = \"anthropic\"");
        let message = parse(&text).unwrap_err().to_string();
        let line = text.lines().position(|l| l.contains("anthropic")).unwrap() + 1;
        assert_eq!(
            message,
            format!(
                "custos.toml: line {line}: organizations[1].provider = \"anthropic\" is not a known provider; known providers: openai"
            )
        );
    }

    #[test]
    fn bad_policy_settings_name_the_file_and_the_organization() {
        let text = TWO_ORGS.replace("max_owners = 9", "max_ownres = 9");
        let message = parse(&text).unwrap_err().to_string();
        assert!(
            message.starts_with("the policy settings in the config are invalid:\n"),
            "{message}"
        );
        assert!(
            message.contains("custos.toml: organizations[1] (org-b) policies: "),
            "{message}"
        );
        assert!(message.contains("max_ownres"), "{message}");

        let text = TWO_ORGS.replace(
            "[policies.openai-org-too-many-owners]",
            "[policies.openai-org-too-many-ownerz]",
        );
        let message = parse(&text).unwrap_err().to_string();
        assert!(
            message
                .contains("custos.toml: [policies]: unknown policy `openai-org-too-many-ownerz`"),
            "{message}"
        );
    }

    #[test]
    fn the_defaults_are_valid() {
        let config = parse("").unwrap();
        assert_eq!(
            config.policies_for("org-any").len(),
            config.registry().len()
        );
        assert!(config.policy_errors().is_empty());
    }

    #[test]
    fn lines_count_from_one() {
        assert_eq!(line_of("a\nb\nc", 0), 1);
        assert_eq!(line_of("a\nb\nc", 2), 2);
        assert_eq!(line_of("a\nb\nc", 99), 3);
    }
}
