//! Loading and validating `custos-scenario/1` documents (`docs/scenario-format.md`).
//!
//! Every error names the source (a file name), the JSON path of the offending value and what was
//! expected, for example
//! `demo.json: organizations[0].projects[3].api_keys[1].created_at: expected an integer (Unix seconds), found a string "2024-01-01"`.
//! Loading happens in two steps:
//!
//! 1. Deserialization, with the path tracked by `serde_path_to_error`; serde's messages are
//!    rewritten into the "expected X, found Y" style. Syntax errors (including a document cut
//!    short) add `(line L, column C)`.
//! 2. Validation of what serde cannot see: the declared `format`, duplicate ids, the references
//!    that must resolve (`docs/scenario-format.md` "What must resolve"), `object` tags that
//!    contradict their kind, and usage and cost records without `start_time`. It reports every
//!    problem (up to [`MAX_PROBLEMS`]), not just the first.
//!
//! No input makes these functions panic.

use custos_model::api::{
    AdminApiKey, AuditLog, Certificate, CostResult, DataRetention, Invite, ModelPermissions,
    Project, ProjectApiKey, ProjectGroup, ProjectUser, RateLimit, Role, ServiceAccount, SpendAlert,
    SpendLimit, UsageResult, User, VectorStore,
};
use custos_model::kind::{Kind, Scope as KindScope};
use custos_model::scenario::{
    JsonObjects, Organization, RoleAssignments, SCENARIO_FORMAT, Scenario, ScenarioFile,
    ScenarioGroup, ScenarioProject,
};
use serde::Deserialize;
use std::collections::HashSet;
use std::collections::hash_map::{Entry, HashMap};
use std::fmt;
use std::io::{BufReader, Read};
use std::path::Path;

/// Validation stops collecting after this many problems (the rest are counted).
pub const MAX_PROBLEMS: usize = 20;

/// One problem found while validating a scenario: where, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// JSON path such as `organizations[0].users[5].id`; empty for the document itself.
    pub path: String,
    /// What is wrong or what was expected.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// Why a scenario could not be loaded. The `Display` text always starts with the source name.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The source could not be read.
    #[error("{file}: cannot read the scenario")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
    /// The text is not JSON (or ends early).
    #[error("{file}: {problem} (line {line}, column {column})")]
    Syntax {
        file: String,
        problem: Problem,
        line: usize,
        column: usize,
    },
    /// A value has the wrong type or shape, a field is missing or unknown.
    #[error("{file}: {problem}")]
    Data {
        file: String,
        problem: Problem,
        /// Where serde stopped (0 when unknown, e.g. inside flattened objects).
        line: usize,
        column: usize,
    },
    /// The document parsed, but validation found problems; one line per problem.
    #[error("{}", render_problems(file, problems, *omitted))]
    Invalid {
        file: String,
        problems: Vec<Problem>,
        /// Problems found beyond [`MAX_PROBLEMS`], not listed.
        omitted: usize,
    },
}

impl ScenarioError {
    /// The source name every message starts with.
    pub fn source_name(&self) -> &str {
        match self {
            ScenarioError::Io { file, .. }
            | ScenarioError::Syntax { file, .. }
            | ScenarioError::Data { file, .. }
            | ScenarioError::Invalid { file, .. } => file,
        }
    }

    /// The problems the error reports (none for an I/O error).
    pub fn problems(&self) -> &[Problem] {
        match self {
            ScenarioError::Io { .. } => &[],
            ScenarioError::Syntax { problem, .. } | ScenarioError::Data { problem, .. } => {
                std::slice::from_ref(problem)
            }
            ScenarioError::Invalid { problems, .. } => problems,
        }
    }
}

fn render_problems(file: &str, problems: &[Problem], omitted: usize) -> String {
    let mut lines: Vec<String> = problems.iter().map(|p| format!("{file}: {p}")).collect();
    if omitted > 0 {
        lines.push(format!(
            "{file}: ... and {omitted} more problem(s) not listed"
        ));
    }
    lines.join("\n")
}

/// Loads and validates a scenario file, streaming it from disk.
pub fn load_file(path: &Path) -> Result<Scenario, ScenarioError> {
    let name = path.display().to_string();
    let open = || {
        std::fs::File::open(path).map_err(|source| ScenarioError::Io {
            file: name.clone(),
            source,
        })
    };
    match load_reader(&name, open()?) {
        // A document of another format version fails on fields this version does not know;
        // the format is the better explanation, so look for it before reporting the field.
        Err(error @ ScenarioError::Data { .. }) => {
            Err(format_error(&name, declared_format(BufReader::new(open()?))).unwrap_or(error))
        }
        other => other,
    }
}

/// Loads and validates a scenario held in memory; `source_name` starts every error message.
pub fn load_str(source_name: &str, text: &str) -> Result<Scenario, ScenarioError> {
    let mut de = serde_json::Deserializer::from_str(text);
    match parse(source_name, &mut de) {
        Err(error @ ScenarioError::Data { .. }) => {
            Err(format_error(source_name, declared_format(text.as_bytes())).unwrap_or(error))
        }
        Ok(scenario) => validate(source_name, &scenario).map(|()| scenario),
        Err(error) => Err(error),
    }
}

/// Loads and validates a scenario from a reader, streaming it (large generated files).
pub fn load_reader(source_name: &str, reader: impl Read) -> Result<Scenario, ScenarioError> {
    let mut de = serde_json::Deserializer::from_reader(BufReader::new(reader));
    let scenario = parse(source_name, &mut de)?;
    validate(source_name, &scenario)?;
    Ok(scenario)
}

fn parse<'de, R: serde_json::de::Read<'de>>(
    file: &str,
    de: &mut serde_json::Deserializer<R>,
) -> Result<Scenario, ScenarioError> {
    let scenario: Scenario = serde_path_to_error::deserialize(&mut *de)
        .map_err(|e| json_error(file, e.path().to_string(), e.into_inner()))?;
    de.end().map_err(|e| json_error(file, String::new(), e))?;
    Ok(scenario)
}

/// Turns a serde_json error at `path` into a [`ScenarioError`].
fn json_error(file: &str, path: String, error: serde_json::Error) -> ScenarioError {
    use serde_json::error::Category;
    let path = if path == "." { String::new() } else { path };
    let (line, column) = (error.line(), error.column());
    let file = file.to_owned();
    match error.classify() {
        Category::Io => ScenarioError::Io {
            file,
            source: error.into(),
        },
        Category::Eof => ScenarioError::Syntax {
            file,
            problem: Problem {
                path,
                message: "the document ends early (truncated?): expected more JSON".to_owned(),
            },
            line,
            column,
        },
        Category::Syntax => ScenarioError::Syntax {
            file,
            problem: Problem {
                message: format!("invalid JSON: {}", bare_message(&error)),
                path,
            },
            line,
            column,
        },
        Category::Data => {
            let message = rewrite_serde_message(&bare_message(&error), &path);
            ScenarioError::Data {
                file,
                problem: Problem { path, message },
                line,
                column,
            }
        }
    }
}

/// serde_json's message without its `at line L column C` suffix.
fn bare_message(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    text.strip_suffix(&suffix).unwrap_or(&text).to_owned()
}

/// Rewrites serde's wording into "expected X, found Y"; `path` tells what a value is.
fn rewrite_serde_message(message: &str, path: &str) -> String {
    let invalid = message
        .strip_prefix("invalid type: ")
        .or_else(|| message.strip_prefix("invalid value: "));
    if let Some((found, expected)) = invalid.and_then(|rest| rest.split_once(", expected ")) {
        return format!(
            "expected {}, found {}",
            describe_expected(expected),
            describe_found(found)
        );
    }
    if let Some((found, expected)) = message
        .strip_prefix("invalid length ")
        .and_then(|rest| rest.split_once(", expected "))
    {
        return format!("expected {expected}, found {found} element(s)");
    }
    if let Some(rest) = message.strip_prefix("unknown field ") {
        let (name, allowed) = rest.split_once(", ").unwrap_or((rest, ""));
        return with_allowed(
            format!("unknown field {}", quoted(name)),
            "allowed fields",
            allowed,
        );
    }
    if let Some(rest) = message.strip_prefix("unknown variant ") {
        let (name, allowed) = rest.split_once(", ").unwrap_or((rest, ""));
        let what = if path.ends_with("usage") || path.contains(".usage.") {
            "unknown usage kind"
        } else {
            "unknown value"
        };
        return with_allowed(
            format!("{what} {}", quoted(name)),
            "expected one of",
            allowed,
        );
    }
    message.replace('`', "\"")
}

/// `` `name` `` → `"name"`.
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.trim_matches('`'))
}

/// Appends the names serde listed (`` expected one of `a`, `b` ``) as `label: a, b`.
fn with_allowed(head: String, label: &str, serde_list: &str) -> String {
    let names: Vec<&str> = serde_list.split('`').skip(1).step_by(2).collect();
    if names.is_empty() {
        head
    } else {
        format!("{head}; {label}: {}", names.join(", "))
    }
}

/// serde's `Unexpected` text → plain words (`string "x"` → `a string "x"`).
fn describe_found(found: &str) -> String {
    let unticked = |rest: &str| rest.trim_matches('`').to_owned();
    if let Some(rest) = found.strip_prefix("string ") {
        format!("a string {rest}")
    } else if let Some(rest) = found
        .strip_prefix("integer ")
        .or_else(|| found.strip_prefix("floating point "))
    {
        format!("the number {}", unticked(rest))
    } else if let Some(rest) = found.strip_prefix("boolean ") {
        unticked(rest)
    } else {
        match found {
            "map" => "an object".to_owned(),
            "sequence" => "an array".to_owned(),
            "unit value" | "null" => "null".to_owned(),
            other => other.to_owned(),
        }
    }
}

/// serde's `expecting` text → plain words (`struct User` → `an object`).
fn describe_expected(expected: &str) -> String {
    if expected.starts_with("struct ") || expected == "a map" {
        return "an object".to_owned();
    }
    match expected {
        "a sequence" => "an array".to_owned(),
        "i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32" | "u64" | "usize" => {
            "an integer".to_owned()
        }
        "f32" | "f64" => "a number".to_owned(),
        "unit" => "null".to_owned(),
        other => other.replace('`', "\""),
    }
}

/// The `format` a document declares, read without deserializing the rest.
fn declared_format(reader: impl Read) -> Option<serde_json::Value> {
    #[derive(Deserialize)]
    struct Probe {
        format: Option<serde_json::Value>,
    }
    serde_json::from_reader::<_, Probe>(reader).ok()?.format
}

/// The error for a document whose `format` is not ours (`None` when it is, or is absent).
fn format_error(file: &str, declared: Option<serde_json::Value>) -> Option<ScenarioError> {
    let problem = format_problem(declared.as_ref()?)?;
    Some(ScenarioError::Invalid {
        file: file.to_owned(),
        problems: vec![problem],
        omitted: 0,
    })
}

fn format_problem(declared: &serde_json::Value) -> Option<Problem> {
    if declared.as_str() == Some(SCENARIO_FORMAT) {
        return None;
    }
    Some(Problem {
        path: "format".to_owned(),
        message: format!(
            "expected \"{SCENARIO_FORMAT}\", found {declared} (a document of another format or version)"
        ),
    })
}

/// Validates a deserialized scenario (what serde cannot check).
pub fn validate(file: &str, scenario: &Scenario) -> Result<(), ScenarioError> {
    let mut v = Validator::default();
    if let Some(problem) = format_problem(&serde_json::Value::from(scenario.format.as_str())) {
        v.problems.push(problem);
    } else {
        v.document(scenario);
    }
    if v.problems.is_empty() {
        Ok(())
    } else {
        Err(ScenarioError::Invalid {
            file: file.to_owned(),
            problems: v.problems,
            omitted: v.omitted,
        })
    }
}

/// Collects problems; paths are only formatted when something is wrong.
#[derive(Default)]
struct Validator {
    problems: Vec<Problem>,
    omitted: usize,
    /// Secret → path of the credential that first used it.
    secrets: HashMap<String, String>,
}

impl Validator {
    fn report(&mut self, path: String, message: String) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(Problem { path, message });
        } else {
            self.omitted += 1;
        }
    }

    /// Reports every id seen before; `path(location)` is the path of an item's `id`.
    fn unique<'a, L: Copy>(
        &mut self,
        items: impl IntoIterator<Item = (L, &'a str)>,
        path: impl Fn(L) -> String,
    ) {
        let mut seen: HashMap<&str, L> = HashMap::new();
        for (location, id) in items {
            match seen.entry(id) {
                Entry::Vacant(slot) => {
                    slot.insert(location);
                }
                Entry::Occupied(first) => {
                    let first = path(*first.get());
                    let first = first.strip_suffix(".id").unwrap_or(&first).to_owned();
                    self.report(
                        path(location),
                        format!("duplicate id \"{id}\" (first at {first})"),
                    );
                }
            }
        }
    }

    /// Reports an `object` tag that contradicts the kind of object.
    fn tag(&mut self, actual: &str, expected: &[&str], path: impl FnOnce() -> String) {
        if !expected.contains(&actual) {
            let expected: Vec<String> = expected.iter().map(|e| format!("\"{e}\"")).collect();
            self.report(
                format!("{}.object", path()),
                format!(
                    "expected {}, found \"{actual}\" (an object of another kind)",
                    expected.join(" or ")
                ),
            );
        }
    }

    /// Reports `id` when it is not among `known`.
    fn reference(
        &mut self,
        known: &HashSet<&str>,
        id: &str,
        what: &str,
        path: impl FnOnce() -> String,
    ) {
        if !known.contains(id) {
            self.report(path(), format!("{what} \"{id}\" does not exist"));
        }
    }

    fn document(&mut self, scenario: &Scenario) {
        self.unique(
            scenario
                .organizations
                .iter()
                .enumerate()
                .map(|(o, org)| (o, org.id.as_str())),
            |o| format!("organizations[{o}].id"),
        );
        for (o, org) in scenario.organizations.iter().enumerate() {
            self.organization(&format!("organizations[{o}]"), org);
        }
    }

    fn organization(&mut self, at: &str, org: &Organization) {
        self.list(at, "users", &org.users, &["organization.user"]);
        self.list(at, "invites", &org.invites, &["organization.invite"]);
        self.list(
            at,
            "admin_api_keys",
            &org.admin_api_keys,
            &["organization.admin_api_key"],
        );
        self.list(at, "certificates", &org.certificates, CERTIFICATE_TAGS);
        self.list(at, "groups", &org.groups, &["group"]);
        self.list(at, "roles", &org.roles, &["role"]);
        self.list(
            at,
            "spend_alerts",
            &org.spend_alerts,
            &["organization.spend_alert"],
        );
        self.list(at, "audit_logs", &org.audit_logs, &[]);
        self.json_objects(at, &org.json_objects);
        self.one(
            at,
            "data_retention",
            org.data_retention.as_ref(),
            &["organization.data_retention"],
        );
        self.one(
            at,
            "spend_limit",
            org.spend_limit.as_ref(),
            &["organization.spend_limit"],
        );
        self.unique(enumerate_ids(&org.projects, |x| &x.project.id), |i| {
            format!("{at}.projects[{i}].project.id")
        });
        // Key, file and vector store ids are unique across the organization (the projects
        // check only their tags).
        self.unique(
            nested_ids(&org.projects, |p| &p.api_keys, |k| &k.id),
            |(p, k)| format!("{at}.projects[{p}].api_keys[{k}].id"),
        );
        self.unique(
            nested_ids(&org.projects, |p| &p.files, |f| &f.file.id),
            |(p, f)| format!("{at}.projects[{p}].files[{f}].id"),
        );
        self.unique(
            nested_ids(&org.projects, |p| &p.vector_stores, |s| &s.id),
            |(p, s)| format!("{at}.projects[{p}].vector_stores[{s}].id"),
        );

        let users: HashSet<&str> = org.users.iter().map(|u| u.id.as_str()).collect();
        let groups: HashSet<&str> = org.groups.iter().map(|g| g.group.id.as_str()).collect();
        let org_roles: HashSet<&str> = org.roles.iter().map(|r| r.id.as_str()).collect();
        let admin_keys: HashSet<&str> = org.admin_api_keys.iter().map(|k| k.id.as_str()).collect();
        let projects: HashSet<&str> = org.projects.iter().map(|p| p.project.id.as_str()).collect();
        let certificates: HashSet<&str> = org.certificates.iter().map(|c| c.id.as_str()).collect();

        self.credentials(at, org, &admin_keys, &projects);
        for (g, group) in org.groups.iter().enumerate() {
            for (u, user) in group.user_ids.iter().enumerate() {
                self.reference(&users, user, "user", || {
                    format!("{at}.groups[{g}].user_ids[{u}]")
                });
            }
        }
        let org_scope = Scope {
            users: &users,
            groups: &groups,
            roles: &org_roles,
            project_roles: None,
        };
        self.role_assignments(
            &format!("{at}.role_assignments"),
            &org.role_assignments,
            &org_scope,
        );
        for (p, project) in org.projects.iter().enumerate() {
            let project_roles: HashSet<&str> =
                project.roles.iter().map(|r| r.id.as_str()).collect();
            let scope = Scope {
                project_roles: Some(&project_roles),
                ..org_scope
            };
            self.project(
                &format!("{at}.projects[{p}]"),
                project,
                &scope,
                &certificates,
            );
        }
        self.usage(at, org);
    }

    fn credentials(
        &mut self,
        at: &str,
        org: &Organization,
        admin_keys: &HashSet<&str>,
        projects: &HashSet<&str>,
    ) {
        for (c, credential) in org.credentials.iter().enumerate() {
            let here = format!("{at}.credentials[{c}]");
            match self.secrets.entry(credential.secret.clone()) {
                Entry::Vacant(slot) => {
                    slot.insert(here.clone());
                }
                Entry::Occupied(first) => {
                    let message = format!(
                        "the same secret as {} (secrets must be unique)",
                        first.get()
                    );
                    self.report(format!("{here}.secret"), message);
                }
            }
            match (&credential.admin_api_key_id, &credential.project_id) {
                (Some(key), None) => {
                    self.reference(admin_keys, key, "admin API key", || {
                        format!("{here}.admin_api_key_id")
                    });
                    if credential.access.is_none() {
                        self.report(
                            here.clone(),
                            "missing field \"access\" (an admin credential needs \"read_write\" or \"read_only\")".to_owned(),
                        );
                    }
                }
                (None, Some(project)) => {
                    self.reference(projects, project, "project", || {
                        format!("{here}.project_id")
                    });
                }
                (Some(_), Some(_)) | (None, None) => self.report(
                    here,
                    "expected exactly one of \"admin_api_key_id\" (an admin key) or \"project_id\" (a project key)".to_owned(),
                ),
            }
        }
    }

    /// Users, groups and role ids of an assignment table must exist in `scope`.
    fn role_assignments(&mut self, at: &str, assignments: &RoleAssignments, scope: &Scope<'_>) {
        let tables = [
            ("users", "user", &assignments.users, scope.users),
            ("groups", "group", &assignments.groups, scope.groups),
        ];
        for (field, what, table, principals) in tables {
            for (principal, roles) in table {
                self.reference(principals, principal, what, || {
                    format!("{at}.{field}.{principal}")
                });
                for (r, role) in roles.iter().enumerate() {
                    let known = scope.roles.contains(role.as_str())
                        || scope
                            .project_roles
                            .is_some_and(|p| p.contains(role.as_str()));
                    if !known {
                        let kind = if scope.project_roles.is_some() {
                            "project or organization role"
                        } else {
                            "organization role"
                        };
                        self.report(
                            format!("{at}.{field}.{principal}[{r}]"),
                            format!("{kind} \"{role}\" does not exist"),
                        );
                    }
                }
            }
        }
    }

    fn project(
        &mut self,
        at: &str,
        project: &ScenarioProject,
        scope: &Scope<'_>,
        certificates: &HashSet<&str>,
    ) {
        self.one(
            at,
            "project",
            Some(&project.project),
            &["organization.project"],
        );
        self.list(at, "users", &project.users, &["organization.project.user"]);
        self.list(
            at,
            "service_accounts",
            &project.service_accounts,
            &["organization.project.service_account"],
        );
        self.tags(
            at,
            "api_keys",
            &project.api_keys,
            &["organization.project.api_key"],
        );
        self.list(
            at,
            "rate_limits",
            &project.rate_limits,
            &["project.rate_limit"],
        );
        self.list(
            at,
            "spend_alerts",
            &project.spend_alerts,
            &["project.spend_alert"],
        );
        self.list(at, "roles", &project.roles, &["role"]);
        self.list(at, "groups", &project.groups, &["project.group"]);
        self.tags(at, "files", &project.files, &["file"]);
        self.tags(
            at,
            "vector_stores",
            &project.vector_stores,
            &["vector_store"],
        );
        self.one(
            at,
            "model_permissions",
            project.model_permissions.as_ref(),
            &["project.model_permissions"],
        );
        self.one(
            at,
            "data_retention",
            project.data_retention.as_ref(),
            &["project.data_retention"],
        );
        self.one(
            at,
            "spend_limit",
            project.spend_limit.as_ref(),
            &["project.spend_limit"],
        );
        for (i, user) in project.users.iter().enumerate() {
            if !scope.users.contains(user.id.as_str()) {
                self.report(
                    format!("{at}.users[{i}].id"),
                    format!(
                        "project user \"{}\" is not an organization user (add them to the organization's users)",
                        user.id
                    ),
                );
            }
        }
        for (i, id) in project.certificate_ids.iter().enumerate() {
            self.reference(certificates, id, "organization certificate", || {
                format!("{at}.certificate_ids[{i}]")
            });
        }
        self.role_assignments(
            &format!("{at}.role_assignments"),
            &project.role_assignments,
            scope,
        );
    }

    /// The objects of the kinds read as JSON: each kind one the organization lists that way,
    /// each object with a string `id`, unique within its kind.
    fn json_objects(&mut self, at: &str, objects: &JsonObjects) {
        let organization_kind =
            |kind: &Kind| kind.info().json && kind.info().scope == KindScope::Organization;
        for (kind, list) in objects {
            let field = format!("json_objects.{kind}");
            if !organization_kind(kind) {
                let known: Vec<String> = Kind::ALL
                    .iter()
                    .filter(|kind| organization_kind(kind))
                    .map(|kind| format!("\"{kind}\""))
                    .collect();
                self.report(
                    format!("{at}.{field}"),
                    format!(
                        "\"{kind}\" is not a kind of the organization read as JSON; expected {}",
                        known.join(" or ")
                    ),
                );
                continue;
            }
            for (i, object) in list.iter().enumerate() {
                if object.id().is_none() {
                    self.report(
                        format!("{at}.{field}[{i}].id"),
                        "missing field \"id\" (a string: the object's API id)".to_owned(),
                    );
                }
            }
            self.list(at, &field, list, &[]);
        }
    }

    /// Checks a list of objects at `{at}.{field}`: ids unique within it, and [`Self::tags`].
    fn list<T: Object>(&mut self, at: &str, field: &str, items: &[T], tags: &[&str]) {
        self.unique(
            items
                .iter()
                .enumerate()
                .filter_map(|(i, x)| Some((i, x.id()?))),
            |i| format!("{at}.{field}[{i}].id"),
        );
        self.tags(at, field, items, tags);
    }

    /// Checks that the `object` tags of a list are among `tags` (nothing when `tags` is empty).
    fn tags<T: Object>(&mut self, at: &str, field: &str, items: &[T], tags: &[&str]) {
        for (i, item) in items.iter().enumerate() {
            self.object_tag(item, tags, || format!("{at}.{field}[{i}]"));
        }
    }

    /// Checks the `object` tag of a single optional object at `{at}.{field}`.
    fn one<T: Object>(&mut self, at: &str, field: &str, item: Option<&T>, tags: &[&str]) {
        if let Some(item) = item {
            self.object_tag(item, tags, || format!("{at}.{field}"));
        }
    }

    fn object_tag<T: Object>(&mut self, item: &T, tags: &[&str], path: impl FnOnce() -> String) {
        if let Some(tag) = item.object().filter(|_| !tags.is_empty()) {
            self.tag(tag, tags, path);
        }
    }

    fn usage(&mut self, at: &str, org: &Organization) {
        for (kind, records) in &org.usage {
            for (i, record) in records.iter().enumerate() {
                let path = || format!("{at}.usage.{}[{i}]", kind.name());
                self.record(record_view(record), kind.result_object(), path);
            }
        }
        for (i, record) in org.costs.iter().enumerate() {
            self.record(cost_view(record), COST_TAG, || format!("{at}.costs[{i}]"));
        }
    }

    /// A usage or cost record: its tag must match, and it needs `start_time`.
    fn record(
        &mut self,
        (object, start): (&str, Option<i64>),
        tag: &str,
        path: impl Fn() -> String,
    ) {
        self.tag(object, &[tag], &path);
        if start.is_none() {
            self.report(
                path(),
                "missing field \"start_time\" (the simulator puts each record in the bucket that holds it)"
                    .to_owned(),
            );
        }
    }
}

const CERTIFICATE_TAGS: &[&str] = &[
    "certificate",
    "organization.certificate",
    "organization.project.certificate",
];
const COST_TAG: &str = "organization.costs.result";

fn record_view(r: &UsageResult) -> (&str, Option<i64>) {
    (&r.object, r.start_time)
}

fn cost_view(r: &CostResult) -> (&str, Option<i64>) {
    (&r.object, r.start_time)
}

/// What the validator reads of an object: its `object` tag and its id, when it has them.
trait Object {
    fn object(&self) -> Option<&str>;
    fn id(&self) -> Option<&str>;
}

/// `Object` for model types, from two functions of the object: its tag and its id.
macro_rules! objects {
    ($($ty:ty => ($object:expr, $id:expr);)*) => {$(
        impl Object for $ty {
            fn object(&self) -> Option<&str> {
                let object: fn(&$ty) -> Option<&str> = $object;
                object(self)
            }
            fn id(&self) -> Option<&str> {
                let id: fn(&$ty) -> Option<&str> = $id;
                id(self)
            }
        }
    )*};
}

objects! {
    User => (|x| Some(&x.object), |x| Some(&x.id));
    Invite => (|x| Some(&x.object), |x| Some(&x.id));
    AdminApiKey => (|x| Some(&x.object), |x| Some(&x.id));
    Certificate => (|x| Some(&x.object), |x| Some(&x.id));
    Role => (|x| Some(&x.object), |x| Some(&x.id));
    SpendAlert => (|x| Some(&x.object), |x| Some(&x.id));
    ProjectUser => (|x| Some(&x.object), |x| Some(&x.id));
    ServiceAccount => (|x| Some(&x.object), |x| Some(&x.id));
    ProjectApiKey => (|x| Some(&x.object), |x| Some(&x.id));
    RateLimit => (|x| Some(&x.object), |x| Some(&x.id));
    VectorStore => (|x| Some(&x.object), |x| Some(&x.id));
    Project => (|x| Some(&x.object), |x| Some(&x.id));
    AuditLog => (|_| None, |x| Some(&x.id));
    ProjectGroup => (|x| Some(&x.object), |_| None);
    ModelPermissions => (|x| Some(&x.object), |_| None);
    DataRetention => (|x| Some(&x.object), |_| None);
    SpendLimit => (|x| Some(&x.object), |_| None);
    // Flattened: the group's tag, if any, sits in `extra`.
    ScenarioGroup => (|x| x.group.extra.get("object").and_then(|t| t.as_str()), |x| Some(&x.group.id));
    ScenarioFile => (|x| Some(&x.file.object), |x| Some(&x.file.id));
}

/// An object of a kind read as JSON: what it says of itself.
impl Object for serde_json::Map<String, serde_json::Value> {
    fn object(&self) -> Option<&str> {
        self.get("object").and_then(serde_json::Value::as_str)
    }
    fn id(&self) -> Option<&str> {
        self.get("id").and_then(serde_json::Value::as_str)
    }
}

/// What ids a role-assignment table may name.
#[derive(Clone, Copy)]
struct Scope<'a> {
    users: &'a HashSet<&'a str>,
    groups: &'a HashSet<&'a str>,
    roles: &'a HashSet<&'a str>,
    /// Project roles, at project level.
    project_roles: Option<&'a HashSet<&'a str>>,
}

/// `(index, id)` of each item.
fn enumerate_ids<T>(
    items: &[T],
    id: impl Fn(&T) -> &String,
) -> impl Iterator<Item = (usize, &str)> {
    items
        .iter()
        .enumerate()
        .map(move |(i, x)| (i, id(x).as_str()))
}

/// `((project index, item index), id)` of each item inside each project.
fn nested_ids<'a, T: 'a>(
    projects: &'a [ScenarioProject],
    list: impl Fn(&'a ScenarioProject) -> &'a [T] + 'a,
    id: impl Fn(&'a T) -> &'a String + Copy + 'a,
) -> impl Iterator<Item = ((usize, usize), &'a str)> + 'a {
    projects.iter().enumerate().flat_map(move |(p, project)| {
        list(project)
            .iter()
            .enumerate()
            .map(move |(i, x)| ((p, i), id(x).as_str()))
    })
}
