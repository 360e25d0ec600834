//! Fixtures of custom policies: beside `foo.yaml`, `foo.test.yaml` holds cases, each a small
//! organization (resources of the policy's kind, projects, users), an evaluation time, optional
//! parameter overrides, and the results expected per resource.

use super::document::Position;
use super::{CustomPolicy, PolicyError, load_dir, read_text};
use crate::outcome::{Keep, Outcome, Verdict};
use crate::registry::Check;
use crate::settings::Params;
use custos_model::inventory::{ProjectInventory, Snapshot};
use custos_model::kind::{Kind, Scope};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FixtureFile {
    cases: Vec<Case>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    as_of: i64,
    #[serde(default = "default_org")]
    org_id: String,
    /// Overrides of the policy's parameters, as in `custos.toml`.
    #[serde(default)]
    params: BTreeMap<String, Value>,
    #[serde(default)]
    projects: Vec<Value>,
    #[serde(default)]
    users: Vec<Value>,
    /// Objects of the policy's kind. Those that live in a project say which with `project_id`
    /// (not needed when the case has one project or none).
    #[serde(default)]
    resources: Vec<Value>,
    expect: Vec<Expectation>,
}

fn default_org() -> String {
    "org-fixture".to_owned()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expectation {
    resource_id: String,
    result: Expected,
    /// A piece of text the message must contain.
    #[serde(default)]
    message_contains: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Expected {
    Pass,
    Fail,
    Indeterminate,
}

impl Expected {
    fn verdict(self) -> Verdict {
        match self {
            Expected::Pass => Verdict::Pass,
            Expected::Fail => Verdict::Fail,
            Expected::Indeterminate => Verdict::Indeterminate,
        }
    }
}

/// The result of one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseReport {
    pub name: String,
    /// Each difference between what was expected and what the policy said; empty when it passed.
    pub differences: Vec<String>,
}

impl CaseReport {
    pub fn passed(&self) -> bool {
        self.differences.is_empty()
    }
}

/// The cases of one policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileReport {
    pub policy_id: String,
    pub policy_file: PathBuf,
    /// `None`: the policy has no fixture file.
    pub fixture_file: Option<PathBuf>,
    pub cases: Vec<CaseReport>,
}

/// What `custos policies test DIR` prints.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TestReport {
    pub files: Vec<FileReport>,
    /// Policies that did not load and fixture files that did not parse.
    pub errors: Vec<PolicyError>,
}

impl TestReport {
    /// Every policy loaded, every fixture parsed and every case passed.
    pub fn passed(&self) -> bool {
        self.errors.is_empty() && self.failed_cases() == 0
    }

    pub fn total_cases(&self) -> usize {
        self.files.iter().map(|file| file.cases.len()).sum()
    }

    pub fn failed_cases(&self) -> usize {
        self.files
            .iter()
            .flat_map(|file| &file.cases)
            .filter(|case| !case.passed())
            .count()
    }
}

impl fmt::Display for TestReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for error in &self.errors {
            writeln!(f, "error: {error}")?;
        }
        for file in &self.files {
            if file.fixture_file.is_none() {
                writeln!(f, "none {}: no fixture file", file.policy_id)?;
            }
            for case in &file.cases {
                let status = if case.passed() { "ok  " } else { "FAIL" };
                writeln!(f, "{status} {}: {}", file.policy_id, case.name)?;
                for difference in &case.differences {
                    writeln!(f, "       {difference}")?;
                }
            }
        }
        write!(
            f,
            "{} cases, {} failed, {} errors",
            self.total_cases(),
            self.failed_cases(),
            self.errors.len()
        )
    }
}

/// The fixture file of a policy file: `foo.yaml` → `foo.test.yaml` (same extension).
pub fn fixture_path(policy_file: &Path) -> PathBuf {
    let stem = policy_file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let extension = policy_file
        .extension()
        .map(|e| e.to_string_lossy().into_owned())
        .unwrap_or_else(|| "yaml".to_owned());
    policy_file.with_file_name(format!("{stem}.test.{extension}"))
}

/// Loads the policies of `dir` and runs each one's fixtures.
pub fn run_tests(dir: &Path) -> TestReport {
    let (policies, errors) = load_dir(dir);
    let mut report = TestReport {
        files: Vec::new(),
        errors,
    };
    for policy in &policies {
        let fixture = fixture_path(policy.path());
        let mut file = FileReport {
            policy_id: policy.meta().id.to_owned(),
            policy_file: policy.path().to_owned(),
            fixture_file: None,
            cases: Vec::new(),
        };
        if fixture.is_file() {
            match read_fixture(&fixture) {
                Ok((cases, source)) => {
                    for case in &cases {
                        match run_case(policy, case) {
                            Ok(result) => file.cases.push(result),
                            Err(message) => report.errors.push(PolicyError::new(
                                &fixture,
                                case_position(&source, &case.name),
                                format!("case `{}`: {message}", case.name),
                            )),
                        }
                    }
                }
                Err(error) => report.errors.push(error),
            }
            file.fixture_file = Some(fixture);
        }
        report.files.push(file);
    }
    report
}

fn read_fixture(path: &Path) -> Result<(Vec<Case>, String), PolicyError> {
    let source = read_text(path)?;
    let file: FixtureFile = super::yaml::parse(path, &source)?;
    Ok((file.cases, source))
}

/// The line of `name: <case name>`.
fn case_position(source: &str, name: &str) -> Position {
    source
        .lines()
        .position(|line| {
            let line = line.trim_start().trim_start_matches("- ");
            line.strip_prefix("name:")
                .is_some_and(|rest| rest.trim().trim_matches(['"', '\'']) == name)
        })
        .map_or(Position::START, |index| Position {
            line: index + 1,
            column: 1,
        })
}

/// Runs one case. An `Err` is a fixture that cannot be built (an object that does not parse).
fn run_case(policy: &CustomPolicy, case: &Case) -> Result<CaseReport, String> {
    let snapshot = build_snapshot(policy.resource_kind(), case)?;
    let params = Params::resolve(policy.meta(), &[&case.params]).map_err(|errors| {
        errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    })?;
    let outcomes = policy.outcomes(&snapshot, case.as_of, &params, Keep::All);
    Ok(CaseReport {
        name: case.name.clone(),
        differences: compare(&case.expect, &outcomes),
    })
}

fn parse<T: DeserializeOwned>(what: &str, index: usize, value: &Value) -> Result<T, String> {
    serde_json::from_value(value.clone()).map_err(|error| format!("{what}[{index}]: {error}"))
}

/// A project object, whose `spend_limit` (as expressions see it) is the project's limit.
fn parse_project(what: &str, index: usize, value: &Value) -> Result<ProjectInventory, String> {
    let mut value = value.clone();
    let spend_limit = value
        .as_object_mut()
        .and_then(|fields| fields.remove("spend_limit"))
        .filter(|limit| !limit.is_null());
    let mut project = ProjectInventory::new(parse(what, index, &value)?);
    if let Some(limit) = spend_limit {
        project.spend_limit = Some(parse(&format!("{what}[{index}].spend_limit"), 0, &limit)?);
    }
    Ok(project)
}

fn build_snapshot(kind: Kind, case: &Case) -> Result<Snapshot, String> {
    let mut snapshot = Snapshot {
        org_id: case.org_id.clone(),
        collected_at: case.as_of,
        ..Default::default()
    };
    let inventory = &mut snapshot.inventory;
    for (index, project) in case.projects.iter().enumerate() {
        inventory
            .projects
            .push(parse_project("projects", index, project)?);
    }
    for (index, user) in case.users.iter().enumerate() {
        inventory.users.push(parse("users", index, user)?);
    }
    if kind.info().scope == Scope::Project && inventory.projects.is_empty() {
        inventory.projects.push(ProjectInventory::new(parse(
            "projects",
            0,
            &serde_json::json!({"id": "proj-fixture", "created_at": 0, "status": "active"}),
        )?));
    }
    for (index, resource) in case.resources.iter().enumerate() {
        let mut resource = resource.clone();
        let project_id = resource
            .as_object_mut()
            .and_then(|fields| fields.remove("project_id"))
            .and_then(|id| id.as_str().map(str::to_owned));
        let what = "resources";
        if kind.info().scope != Scope::Project {
            match kind {
                Kind::User => inventory.users.push(parse(what, index, &resource)?),
                Kind::Invite => inventory.invites.push(parse(what, index, &resource)?),
                Kind::AdminApiKey => inventory
                    .admin_api_keys
                    .push(parse(what, index, &resource)?),
                Kind::Certificate => inventory.certificates.push(parse(what, index, &resource)?),
                Kind::Group => inventory.groups.push(parse(what, index, &resource)?),
                _ => inventory
                    .projects
                    .push(parse_project(what, index, &resource)?),
            }
            continue;
        }
        let found = match &project_id {
            Some(id) => inventory.projects.iter().position(|p| &p.project.id == id),
            None if inventory.projects.len() == 1 => Some(0),
            None => None,
        };
        let Some(project) = found.and_then(|found| inventory.projects.get_mut(found)) else {
            return Err(format!(
                "resources[{index}]: name its project with `project_id`, one of the case's projects"
            ));
        };
        match kind {
            Kind::ProjectUser => project.users.push(parse(what, index, &resource)?),
            Kind::ServiceAccount => project
                .service_accounts
                .push(parse(what, index, &resource)?),
            Kind::File => project
                .files
                .get_or_insert_with(Vec::new)
                .push(parse(what, index, &resource)?),
            Kind::VectorStore => project
                .vector_stores
                .get_or_insert_with(Vec::new)
                .push(parse(what, index, &resource)?),
            _ => project.api_keys.push(parse(what, index, &resource)?),
        }
    }
    Ok(snapshot)
}

/// Each expectation not met, and each result that is not a pass and was not expected.
fn compare(expected: &[Expectation], outcomes: &[Outcome]) -> Vec<String> {
    let mut differences = Vec::new();
    for expectation in expected {
        let want = expectation.result.verdict();
        match outcomes
            .iter()
            .find(|o| o.resource_id == expectation.resource_id)
        {
            None => differences.push(format!(
                "{}: expected {}, got no result",
                expectation.resource_id,
                Verdict::as_str(want)
            )),
            Some(outcome) if outcome.result != want => differences.push(format!(
                "{}: expected {}, got {} ({})",
                expectation.resource_id,
                Verdict::as_str(want),
                Verdict::as_str(outcome.result),
                outcome.message
            )),
            Some(outcome) => {
                if let Some(text) = &expectation.message_contains
                    && !outcome.message.contains(text.as_str())
                {
                    differences.push(format!(
                        "{}: expected the message to contain {text:?}, got {:?}",
                        expectation.resource_id, outcome.message
                    ));
                }
            }
        }
    }
    for outcome in outcomes {
        let listed = expected
            .iter()
            .any(|e| e.resource_id == outcome.resource_id);
        if !listed && outcome.result != Verdict::Pass {
            differences.push(format!(
                "{}: not expected, got {} ({})",
                outcome.resource_id,
                Verdict::as_str(outcome.result),
                outcome.message
            ));
        }
    }
    differences
}
