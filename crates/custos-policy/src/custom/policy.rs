//! A loaded custom policy and its evaluation: a [`Check`] like the built-ins.

use super::document::{PolicyDocument, Position, filter_positions, key_position};
use super::expression::{Compiled, ENV, Expecting, Uses, compile};
use super::fields::FieldTree;
use super::limits::{MAX_LIST_LEN, POLICY_TIME_BUDGET};
use super::resources::{Item, for_each_group, project_json};
use super::template::Template;
use super::values::to_cel;
use crate::meta::{Control, Need, ParamKind, ParamSpec, PolicyMeta, Severity};
use crate::outcome::{Outcome, Outcomes, Subject};
use crate::registry::Check;
use crate::settings::Params;
use cel::common::types::{CelInt, CelNull};
use cel::common::value::{CowVal, Val};
use cel::context::VariableResolver;
use cel::{Context, Value as CelValue};
use custos_model::api::User;
use custos_model::inventory::{ProjectInventory, Snapshot};
use custos_model::kind::Kind;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// A custom policy, compiled and ready to run.
#[derive(Debug)]
pub struct CustomPolicy {
    meta: &'static PolicyMeta,
    path: PathBuf,
    kind: Kind,
    include_archived: bool,
    filters: Vec<Compiled>,
    message: Template,
    /// What the filters and the message read.
    uses: Uses,
    /// The parts of the resource the filters read: a failure's evidence.
    evidence: FieldTree,
}

/// Below this many resources a policy is judged on one thread: threads would cost more.
const PARALLEL_FROM: usize = 20_000;

/// A problem in a document, before the file name is attached.
pub(super) type Issue = (Position, String);

impl CustomPolicy {
    /// The file the policy was loaded from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn resource_kind(&self) -> Kind {
        self.kind
    }

    /// Builds a policy from its parsed document; every problem is returned, with its position
    /// in `source`.
    pub(super) fn build(
        path: &Path,
        source: &str,
        document: PolicyDocument,
    ) -> Result<CustomPolicy, Vec<Issue>> {
        let mut issues: Vec<Issue> = Vec::new();
        let id_at = key_position(source, "id");
        if let Some(problem) = id_problem(&document.id) {
            issues.push((id_at, problem));
        }
        let severity = document
            .severity
            .trim()
            .parse::<Severity>()
            .map_err(|error| issues.push((key_position(source, "severity"), error.to_string())))
            .unwrap_or(Severity::Info);
        if document.filters.is_empty() {
            issues.push((
                key_position(source, "filters"),
                "`filters` is empty: a policy needs at least one".to_owned(),
            ));
        }
        let params_at = key_position(source, "params");
        let mut specs = Vec::new();
        for (name, default) in &document.params {
            match param_kind(default) {
                Ok(kind) => specs.push(ParamSpec {
                    name: leak(name.clone()),
                    doc: "",
                    default: leak(default.to_string()),
                    kind,
                }),
                Err(problem) => issues.push((params_at, format!("parameter `{name}`: {problem}"))),
            }
        }
        let names: Vec<String> = document.params.keys().cloned().collect();
        let mut filters = Vec::new();
        for ((index, filter), at) in document
            .filters
            .iter()
            .enumerate()
            .zip(filter_positions(source, &document.filters))
        {
            match compile(filter, &names, Expecting::Bool) {
                Ok(compiled) => filters.push(compiled),
                Err(found) => issues.extend(found.into_iter().map(|issue| {
                    (
                        at.within(source, filter, issue.line, issue.column),
                        format!("filters[{index}]: {}", issue.message),
                    )
                })),
            }
        }
        let message_at = key_position(source, "message");
        let message = match Template::parse(&document.message, &names) {
            Ok(template) => Some(template),
            Err(found) => {
                issues.extend(found.into_iter().map(|issue| {
                    (
                        message_at.within(source, &document.message, issue.line, issue.column),
                        format!("message: {}", issue.message),
                    )
                }));
                None
            }
        };
        let (Some(message), true) = (message, issues.is_empty()) else {
            return Err(issues);
        };
        // The evidence shows the fields the filters read, not those only the message reads.
        let filter_uses = filters
            .iter()
            .fold(Uses::default(), |uses, filter| uses.union(&filter.uses));
        let evidence = filter_uses.resource.clone();
        let uses = filter_uses.union(&message.uses());
        let needs: &'static [Need] = if document.resource.info().needs_project_key() {
            &[Need::Admin, Need::Files]
        } else {
            &[Need::Admin]
        };
        let controls: Vec<Control> = document
            .controls
            .into_iter()
            .map(|control| Control {
                framework: leak(control.framework),
                id: leak(control.id),
            })
            .collect();
        let meta = PolicyMeta {
            id: leak(document.id),
            title: leak(document.title),
            severity,
            category: leak(document.category),
            resource_kind: document.resource.name(),
            needs,
            params: Box::leak(specs.into_boxed_slice()),
            description: leak(if document.description.is_empty() {
                format!(
                    "Custom policy from {}: a {} fails when all its filters hold.",
                    path.display(),
                    document.resource.name()
                )
            } else {
                document.description
            }),
            remediation: leak(document.remediation),
            controls: Box::leak(controls.into_boxed_slice()),
        };
        Ok(CustomPolicy {
            meta: Box::leak(Box::new(meta)),
            path: path.to_owned(),
            kind: document.resource,
            include_archived: document.include_archived,
            filters,
            message,
            uses,
            evidence,
        })
    }
}

/// Metadata is `&'static` for every check (built-ins are constants, and outcomes borrow their
/// policy's id). A custom policy's metadata is made so by leaking it: policies are loaded once
/// per run, a few kilobytes each.
fn leak(text: String) -> &'static str {
    Box::leak(text.into_boxed_str())
}

/// Ids are stable, lower-case, and leave the `openai-` prefix to the built-in catalogue.
fn id_problem(id: &str) -> Option<String> {
    if id.is_empty() {
        return Some("`id` is empty".to_owned());
    }
    if !id
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
    {
        return Some(format!(
            "id `{id}`: use lower-case letters, digits, `-` and `_` only"
        ));
    }
    if id.starts_with("openai-") {
        return Some(format!(
            "id `{id}`: the `openai-` prefix is reserved for built-in policies"
        ));
    }
    None
}

/// A parameter's type, from its default.
fn param_kind(default: &Value) -> Result<ParamKind, String> {
    match default {
        Value::Number(number) if number.is_i64() => Ok(ParamKind::Integer {
            min: i64::MIN,
            max: i64::MAX,
        }),
        Value::Number(_) => Ok(ParamKind::Number {
            min: f64::NEG_INFINITY,
        }),
        Value::String(_) => Ok(ParamKind::String),
        Value::Array(items) if items.len() > MAX_LIST_LEN => Err(format!(
            "a list of {} items; the limit is {MAX_LIST_LEN}",
            items.len()
        )),
        Value::Array(items) if items.iter().all(Value::is_string) => Ok(ParamKind::StringList),
        _ => Err(
            "the default must be an integer, a number, a string or a list of strings".to_owned(),
        ),
    }
}

/// The variables of one evaluation, borrowed by every resource's context.
#[derive(Debug)]
struct Shared<'a> {
    params: Box<dyn Val + 'a>,
    org: Box<dyn Val + 'a>,
    as_of: i64,
    /// When the policy's time runs out: the resources not judged by then are indeterminate.
    deadline: Instant,
}

/// The variables of one resource.
#[derive(Debug)]
struct Bindings<'a> {
    resource: &'a (dyn Val + 'a),
    project: Option<&'a (dyn Val + 'a)>,
    owner: Option<&'a (dyn Val + 'a)>,
    shared: &'a Shared<'a>,
}

impl VariableResolver for Bindings<'_> {
    fn resolve<'b>(&'b self, variable: &str) -> Option<CowVal<'b, 'b>> {
        let or_null = |value: Option<&'b (dyn Val + 'b)>| {
            value.map_or_else(|| CowVal::owned(CelNull), CowVal::from)
        };
        Some(match variable {
            "resource" => CowVal::from(self.resource),
            "project" => or_null(self.project),
            "owner" => or_null(self.owner),
            "org" => CowVal::from(&*self.shared.org),
            "params" => CowVal::from(&*self.shared.params),
            "as_of" => CowVal::owned(CelInt::from(self.shared.as_of)),
            _ => return None,
        })
    }
}

/// What the filters say about one resource.
enum Decision {
    /// Every filter is true: the resource fails the policy.
    Matches(String),
    /// A filter is false.
    DoesNotMatch,
    /// No filter is false and one could not be evaluated (CEL's `&&`: false wins over errors).
    Unknown(String),
}

impl CustomPolicy {
    fn decide(&self, context: &Context<'_, '_>, deadline: Instant) -> Decision {
        let mut first_error = None;
        for (index, filter) in self.filters.iter().enumerate() {
            match filter.execute(context, deadline) {
                Ok(CelValue::Bool(true)) => {}
                Ok(CelValue::Bool(false)) => return Decision::DoesNotMatch,
                Ok(other) => {
                    first_error.get_or_insert_with(|| {
                        format!(
                            "filters[{index}] (`{}`) evaluated to {:?}, not a bool",
                            filter.source, other
                        )
                    });
                }
                Err(error) => {
                    first_error.get_or_insert_with(|| {
                        format!("filters[{index}] (`{}`) failed: {error}", filter.source)
                    });
                }
            }
        }
        match first_error {
            Some(error) => Decision::Unknown(error),
            None => Decision::Matches(self.message.render(context, deadline)),
        }
    }

    /// Judges the resources of one project (or of the organization).
    fn judge_group(
        &self,
        project: Option<&ProjectInventory>,
        items: &[Item<'_>],
        users: &HashMap<&str, &User>,
        shared: &Shared<'_>,
        out: &mut Outcomes,
    ) {
        let project_json = project
            .filter(|_| self.uses.project)
            .and_then(|p| project_json(p, &FieldTree::Whole).ok());
        let project_value = match project_json.as_ref().map(to_cel).transpose() {
            Ok(value) => value,
            Err(too_large) => {
                if let Some(project) = project {
                    out.indeterminate(Subject::project(&project.project.id), vec![too_large.0]);
                }
                return;
            }
        };
        let project_id = project.map(|p| p.project.id.as_str());
        for item in items {
            let subject = Subject::new(self.kind.name(), item.id(), project_id);
            if Instant::now() >= shared.deadline {
                out.indeterminate(
                    subject,
                    vec![format!(
                        "the policy ran out of its time ({} s) before judging it",
                        POLICY_TIME_BUDGET.as_secs()
                    )],
                );
                continue;
            }
            let mut json = match item.to_json(&self.uses.resource) {
                Ok(json) => json,
                Err(error) => {
                    out.indeterminate(subject, vec![format!("cannot represent it: {error}")]);
                    continue;
                }
            };
            let owner_json = if self.uses.owner.is_empty() {
                None
            } else {
                item.owner_json(users, project, &self.uses.owner)
            };
            let decision = match (to_cel(&json), owner_json.as_ref().map(to_cel).transpose()) {
                (Ok(resource), Ok(owner)) => {
                    let bindings = Bindings {
                        resource: &*resource,
                        project: project_value.as_deref(),
                        owner: owner.as_deref(),
                        shared,
                    };
                    let mut context = Context::with_env(Arc::clone(&ENV));
                    context.set_variable_resolver(&bindings);
                    // The interpreter panics on a few malformed trees; such a bug must cost
                    // this resource its verdict, not the other policies or the findings.
                    std::panic::catch_unwind(AssertUnwindSafe(|| {
                        self.decide(&context, shared.deadline)
                    }))
                    .unwrap_or_else(|_| {
                        Decision::Unknown("the CEL interpreter failed on this resource".to_owned())
                    })
                }
                (Err(too_large), _) | (_, Err(too_large)) => Decision::Unknown(too_large.0),
            };
            match decision {
                Decision::Matches(message) => {
                    out.fail(subject, message, self.evidence.take(&mut json));
                }
                Decision::DoesNotMatch => out.pass(subject, || {
                    format!("{} passes \"{}\"", subject.describe(), self.meta.title)
                }),
                Decision::Unknown(reason) => out.indeterminate(subject, vec![reason]),
            }
        }
    }
}

impl Check for CustomPolicy {
    fn meta(&self) -> &'static PolicyMeta {
        self.meta
    }

    fn evaluate(&self, snapshot: &Snapshot, as_of: i64, params: &Params, out: &mut Outcomes) {
        let params_json: serde_json::Map<String, Value> = self
            .meta
            .params
            .iter()
            .map(|spec| {
                let value = params.get(spec.name).cloned().unwrap_or(Value::Null);
                (spec.name.to_owned(), value)
            })
            .collect();
        let params_json = Value::Object(params_json);
        let org_json = json!({ "id": snapshot.org_id });
        let shared = match (to_cel(&params_json), to_cel(&org_json)) {
            (Ok(params), Ok(org)) => Shared {
                params,
                org,
                as_of,
                deadline: Instant::now() + POLICY_TIME_BUDGET,
            },
            (Err(too_large), _) | (_, Err(too_large)) => {
                out.indeterminate(
                    Subject::organization(&snapshot.org_id),
                    vec![format!("parameters: {}", too_large.0)],
                );
                return;
            }
        };
        let users: HashMap<&str, &User> = if !self.uses.owner.is_empty() {
            snapshot
                .inventory
                .users
                .iter()
                .map(|user| (user.id.as_str(), user))
                .collect()
        } else {
            HashMap::new()
        };
        let mut groups: Vec<(Option<&ProjectInventory>, Vec<Item<'_>>)> = Vec::new();
        for_each_group(
            snapshot,
            self.kind,
            self.include_archived,
            out,
            |project, items, _| groups.push((project, items.to_vec())),
        );
        let judge = |groups: &[(Option<&ProjectInventory>, Vec<Item<'_>>)], out: &mut Outcomes| {
            for (project, items) in groups {
                self.judge_group(*project, items, &users, &shared, out);
            }
        };
        let resources: usize = groups.iter().map(|(_, items)| items.len()).sum();
        let workers = if resources < PARALLEL_FROM {
            1
        } else {
            std::thread::available_parallelism().map_or(1, usize::from)
        };
        if workers == 1 {
            judge(&groups, out);
        } else {
            // Resources are independent: chunks of projects are judged on several threads and
            // their outcomes appended; `evaluate_all` sorts a policy's outcomes anyway.
            let chunk = groups.len().div_ceil(workers).max(1);
            let parts: Vec<Vec<Outcome>> = std::thread::scope(|scope| {
                let handles: Vec<_> = groups
                    .chunks(chunk)
                    .map(|part| {
                        scope.spawn(|| {
                            let mut part_out = Outcomes::new(self.meta, out.keep());
                            judge(part, &mut part_out);
                            part_out.into_vec()
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|handle| {
                        handle
                            .join()
                            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                    })
                    .collect()
            });
            for part in parts {
                out.append(part);
            }
        }
    }
}
