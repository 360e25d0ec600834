//! The catalogue of checks, settings resolution and evaluation of a whole catalogue.

use crate::meta::{PolicyMeta, Severity};
use crate::outcome::{Keep, Outcome, Outcomes};
use crate::settings::{Params, SettingsError, SettingsMap, parse_severity};
use custos_model::inventory::Snapshot;
use custos_model::text::closest;
use std::fmt;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

/// A policy: its metadata and a pure evaluation.
pub trait Check: Send + Sync + fmt::Debug {
    fn meta(&self) -> &'static PolicyMeta;

    /// Evaluates the policy on one organization's snapshot as of `as_of` (Unix seconds) into
    /// `out`, made for this policy's metadata. Outcomes carry the policy's default severity;
    /// [`evaluate_all`] applies overrides.
    fn evaluate(&self, snapshot: &Snapshot, as_of: i64, params: &Params, out: &mut Outcomes);

    /// The outcomes of [`Check::evaluate`], the passes too when `keep` says so.
    fn outcomes(
        &self,
        snapshot: &Snapshot,
        as_of: i64,
        params: &Params,
        keep: Keep,
    ) -> Vec<Outcome> {
        let mut out = Outcomes::new(self.meta(), keep);
        self.evaluate(snapshot, as_of, params, &mut out);
        out.into_vec()
    }
}

/// The signature of a built-in check's evaluation.
pub type EvaluateFn = fn(&Snapshot, i64, &Params, &mut Outcomes);

/// A built-in check: static metadata and a function.
#[derive(Clone, Copy)]
pub struct Builtin {
    pub meta: &'static PolicyMeta,
    pub evaluate: EvaluateFn,
}

impl Builtin {
    pub const fn new(meta: &'static PolicyMeta, evaluate: EvaluateFn) -> Self {
        Builtin { meta, evaluate }
    }
}

impl fmt::Debug for Builtin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builtin")
            .field("id", &self.meta.id)
            .finish_non_exhaustive()
    }
}

impl Check for Builtin {
    fn meta(&self) -> &'static PolicyMeta {
        self.meta
    }

    fn evaluate(&self, snapshot: &Snapshot, as_of: i64, params: &Params, out: &mut Outcomes) {
        (self.evaluate)(snapshot, as_of, params, out)
    }
}

/// An ordered set of checks with unique ids. The default is empty.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    checks: Vec<Arc<dyn Check>>,
}

/// A policy id used twice.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("policy id `{0}` is used twice")]
pub struct DuplicateId(pub String);

/// A check with its settings applied.
#[derive(Debug, Clone)]
pub struct ResolvedPolicy {
    pub check: Arc<dyn Check>,
    pub enabled: bool,
    /// The effective severity.
    pub severity: Severity,
    pub params: Params,
}

impl Registry {
    /// Every built-in policy, in the order of the catalogue (`docs/policies.md`).
    pub fn builtin() -> Registry {
        Registry {
            checks: crate::checks::BUILTIN
                .iter()
                .map(|check| Arc::new(*check) as Arc<dyn Check>)
                .collect(),
        }
    }

    /// This registry with custom policies added after its checks. Fails, adding nothing, when an
    /// id is already taken (by a check of this registry or another custom policy).
    pub fn with_custom(
        mut self,
        policies: impl IntoIterator<Item = crate::custom::CustomPolicy>,
    ) -> Result<Registry, DuplicateId> {
        let before = self.checks.len();
        for policy in policies {
            let id = policy.meta().id;
            if self.get(id).is_some() {
                self.checks.truncate(before);
                return Err(DuplicateId(id.to_owned()));
            }
            self.checks.push(Arc::new(policy));
        }
        Ok(self)
    }

    pub fn checks(&self) -> impl Iterator<Item = &dyn Check> {
        self.checks.iter().map(|c| c.as_ref())
    }

    pub fn len(&self) -> usize {
        self.checks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.checks.is_empty()
    }

    pub fn get(&self, id: &str) -> Option<&dyn Check> {
        self.checks().find(|c| c.meta().id == id)
    }

    /// Applies the global settings, then the organization's on top, to every check. Every
    /// problem is reported, not just the first: unknown policy ids (with the closest id),
    /// unknown parameters (with the declared ones), invalid values, unknown severities.
    pub fn resolve(
        &self,
        global: &SettingsMap,
        per_org: &SettingsMap,
    ) -> Result<Vec<ResolvedPolicy>, Vec<SettingsError>> {
        let mut errors = Vec::new();
        for id in global.keys().chain(per_org.keys()) {
            if self.get(id).is_none() {
                let error = SettingsError::UnknownPolicy {
                    id: id.clone(),
                    suggestion: closest(id, self.checks().map(|c| c.meta().id)).map(str::to_owned),
                };
                if !errors.contains(&error) {
                    errors.push(error);
                }
            }
        }
        let mut resolved = Vec::with_capacity(self.checks.len());
        for check in &self.checks {
            let meta = check.meta();
            let layers: Vec<_> = [global.get(meta.id), per_org.get(meta.id)]
                .into_iter()
                .flatten()
                .collect();
            let mut enabled = true;
            let mut severity = meta.severity;
            for layer in &layers {
                if let Some(flag) = layer.enabled {
                    enabled = flag;
                }
                if let Some(name) = &layer.severity {
                    match parse_severity(meta.id, name) {
                        Ok(parsed) => severity = parsed,
                        Err(error) => errors.push(error),
                    }
                }
            }
            let param_layers: Vec<_> = layers.iter().map(|layer| &layer.params).collect();
            match Params::resolve(meta, &param_layers) {
                Ok(params) => resolved.push(ResolvedPolicy {
                    check: Arc::clone(check),
                    enabled,
                    severity,
                    params,
                }),
                Err(param_errors) => errors.extend(param_errors),
            }
        }
        if errors.is_empty() {
            Ok(resolved)
        } else {
            Err(errors)
        }
    }
}

/// Evaluates every enabled policy on `snapshot`, in catalogue order, each policy's outcomes
/// sorted by resource (id, then kind), with the effective severity; passes only when `keep`
/// says so. Holds every outcome: for a large organization prefer [`evaluate_each`].
pub fn evaluate_all(
    resolved: &[ResolvedPolicy],
    snapshot: &Snapshot,
    as_of: i64,
    keep: Keep,
) -> Vec<Outcome> {
    let mut all = Vec::new();
    evaluate_each(resolved, snapshot, as_of, keep, |outcome| all.push(outcome));
    all
}

/// Evaluates every enabled policy on `snapshot` and hands each outcome to `sink`, in the order
/// of [`evaluate_all`], without holding them all: only the outcomes of the few policies
/// evaluated ahead of the one being handed over are in memory at once.
///
/// Policies are independent pure functions, so they run on as many threads as the machine
/// offers; the order of the outcomes does not depend on the number of threads or on their
/// timing. `sink` runs on the calling thread.
pub fn evaluate_each(
    resolved: &[ResolvedPolicy],
    snapshot: &Snapshot,
    as_of: i64,
    keep: Keep,
    mut sink: impl FnMut(Outcome),
) {
    let enabled: Vec<&ResolvedPolicy> = resolved.iter().filter(|p| p.enabled).collect();
    let workers = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(enabled.len())
        .max(1);
    if workers == 1 {
        for policy in enabled {
            evaluate_one(policy, snapshot, as_of, keep)
                .into_iter()
                .for_each(&mut sink);
        }
        return;
    }
    let pipeline = Pipeline::new(enabled.len(), workers);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                while let Some(index) = pipeline.take() {
                    // A panicking check must not leave the caller waiting for its slot: the
                    // panic is stored and raised again on the calling thread.
                    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        evaluate_one(enabled[index], snapshot, as_of, keep)
                    }));
                    pipeline.put(index, result);
                }
            });
        }
        for index in 0..enabled.len() {
            match pipeline.wait_for(index) {
                Ok(outcomes) => outcomes.into_iter().for_each(&mut sink),
                Err(panic) => {
                    pipeline.abandon();
                    std::panic::resume_unwind(panic);
                }
            }
        }
    });
}

type PolicyResult = std::thread::Result<Vec<Outcome>>;

/// Hands policies to workers in catalogue order and their results back to the calling thread
/// in the same order. Workers stay at most `lookahead` policies ahead of the caller, which
/// bounds the outcomes held at once.
struct Pipeline {
    state: Mutex<PipelineState>,
    changed: Condvar,
    lookahead: usize,
}

struct PipelineState {
    next: usize,
    delivered: usize,
    slots: Vec<Option<PolicyResult>>,
    abandoned: bool,
}

impl Pipeline {
    fn new(policies: usize, workers: usize) -> Self {
        Pipeline {
            state: Mutex::new(PipelineState {
                next: 0,
                delivered: 0,
                slots: (0..policies).map(|_| None).collect(),
                abandoned: false,
            }),
            changed: Condvar::new(),
            lookahead: workers * 2,
        }
    }

    fn lock(&self) -> MutexGuard<'_, PipelineState> {
        // Nothing panics while holding the lock; a poisoned lock still holds consistent state.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn wait<'a>(&self, guard: MutexGuard<'a, PipelineState>) -> MutexGuard<'a, PipelineState> {
        self.changed
            .wait(guard)
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The next policy to evaluate, once the caller has caught up enough; `None` when done.
    fn take(&self) -> Option<usize> {
        let mut state = self.lock();
        loop {
            if state.abandoned || state.next >= state.slots.len() {
                return None;
            }
            if state.next < state.delivered + self.lookahead {
                state.next += 1;
                return Some(state.next - 1);
            }
            state = self.wait(state);
        }
    }

    fn put(&self, index: usize, result: PolicyResult) {
        self.lock().slots[index] = Some(result);
        self.changed.notify_all();
    }

    fn wait_for(&self, index: usize) -> PolicyResult {
        let mut state = self.lock();
        loop {
            if let Some(result) = state.slots[index].take() {
                state.delivered = index + 1;
                drop(state);
                self.changed.notify_all();
                return result;
            }
            state = self.wait(state);
        }
    }

    /// Stops handing out work, so that workers finish and the scope can end.
    fn abandon(&self) {
        self.lock().abandoned = true;
        self.changed.notify_all();
    }
}

/// One policy's outcomes, sorted, with the effective severity.
fn evaluate_one(
    policy: &ResolvedPolicy,
    snapshot: &Snapshot,
    as_of: i64,
    keep: Keep,
) -> Vec<Outcome> {
    let mut outcomes = policy.check.outcomes(snapshot, as_of, &policy.params, keep);
    // Stable sort: outcomes mostly come out in resource order already, which it detects.
    outcomes.sort_by(|a, b| {
        (a.resource_id.as_str(), a.resource_kind).cmp(&(b.resource_id.as_str(), b.resource_kind))
    });
    for outcome in &mut outcomes {
        outcome.severity = policy.severity;
    }
    outcomes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meta::ParamKind;
    use crate::outcome::Verdict;
    use crate::settings::PolicySettings;
    use crate::testing::{AS_OF, obj, snapshot, user};
    use custos_model::unix::DAY;
    use serde_json::json;
    use std::collections::{BTreeMap, HashSet};

    /// The catalogue (`docs/policies.md`), in its order.
    const CATALOGUE: [&str; 44] = [
        "openai-org-too-few-owners",
        "openai-org-too-many-owners",
        "openai-project-too-many-owners",
        "openai-project-no-owner",
        "openai-service-account-owner",
        "openai-invite-high-privilege",
        "openai-invite-stale",
        "openai-invite-external-domain",
        "openai-user-external",
        "openai-user-inactive",
        "openai-admin-key-not-rotated",
        "openai-project-key-not-rotated",
        "openai-admin-key-unused",
        "openai-project-key-unused",
        "openai-admin-key-no-expiry",
        "openai-key-orphaned",
        "openai-key-in-archived-project",
        "openai-project-key-sprawl",
        "openai-certificate-expiring",
        "openai-certificate-expired",
        "openai-org-no-spend-limit",
        "openai-project-no-spend-limit",
        "openai-project-cost-over-budget",
        "openai-project-cost-spike",
        "openai-org-cost-forecast-over-limit",
        "openai-key-usage-spike",
        "openai-model-not-allowed",
        "openai-project-unrestricted-models",
        "openai-project-stale",
        "openai-audit-logs-unavailable",
        "openai-audit-login-failures",
        "openai-user-not-in-directory",
        "openai-user-offboarded",
        "openai-user-guest",
        "openai-file-pii",
        "openai-file-sensitive",
        "openai-vector-store-no-expiry",
        "openai-gpt-custom-actions",
        "openai-gpt-code-interpreter",
        "openai-gpt-web-browsing",
        "openai-gpt-public-store",
        "openai-gpt-public-link",
        "openai-conversation-malicious",
        "openai-chatgpt-file-dlp",
    ];

    fn settings(entries: &[(&str, serde_json::Value)]) -> SettingsMap {
        entries
            .iter()
            .map(|(id, value)| ((*id).to_owned(), obj::<PolicySettings>(value.clone())))
            .collect()
    }

    #[test]
    fn builtin_lists_the_catalogue_in_order() {
        let registry = Registry::builtin();
        let ids: Vec<&str> = registry.checks().map(|c| c.meta().id).collect();
        assert_eq!(ids, CATALOGUE);
        assert_eq!(
            registry.get("openai-user-guest").map(|c| c.meta().title),
            Some("Guest user")
        );
        assert!(registry.get("nope").is_none());
    }

    #[test]
    fn metadata_is_complete_and_defaults_are_valid() {
        for check in Registry::builtin().checks() {
            let meta = check.meta();
            assert!(
                !meta.title.is_empty() && !meta.description.is_empty(),
                "{}",
                meta.id
            );
            assert!(
                !meta.remediation.is_empty() && !meta.needs.is_empty(),
                "{}",
                meta.id
            );
            assert!(!meta.controls.is_empty(), "{}", meta.id);
            let frameworks: HashSet<&str> = meta.controls.iter().map(|c| c.framework).collect();
            assert_eq!(
                frameworks.len(),
                3,
                "{} maps to all three frameworks",
                meta.id
            );
            for spec in meta.params {
                assert!(!spec.doc.is_empty());
                let default: serde_json::Value = serde_json::from_str(spec.default)
                    .unwrap_or_else(|e| panic!("{} {}: {e}", meta.id, spec.name));
                let layer = BTreeMap::from([(spec.name.to_owned(), default)]);
                assert!(
                    Params::resolve(meta, &[&layer]).is_ok(),
                    "{} {}",
                    meta.id,
                    spec.name
                );
            }
        }
    }

    #[test]
    fn resolve_applies_global_then_organization_settings() {
        let registry = Registry::builtin();
        let global = settings(&[
            (
                "openai-org-too-many-owners",
                json!({"severity": "low", "params": {"max_owners": 3}}),
            ),
            ("openai-user-guest", json!({"enabled": false})),
        ]);
        let per_org = settings(&[
            (
                "openai-org-too-many-owners",
                json!({"params": {"max_owners": 4}}),
            ),
            (
                "openai-user-guest",
                json!({"enabled": true, "severity": "Critical"}),
            ),
        ]);
        let resolved = registry.resolve(&global, &per_org).unwrap();
        let find = |id: &str| resolved.iter().find(|r| r.check.meta().id == id).unwrap();
        let owners = find("openai-org-too-many-owners");
        assert_eq!(owners.severity, Severity::Low);
        assert_eq!(owners.params.integer("max_owners"), 4);
        let guest = find("openai-user-guest");
        assert!(guest.enabled);
        assert_eq!(guest.severity, Severity::Critical);
        assert_eq!(find("openai-invite-stale").params.integer("stale_days"), 30);
    }

    #[test]
    fn resolve_reports_every_problem_with_names() {
        let registry = Registry::builtin();
        let global = settings(&[
            ("openai-org-to-many-owners", json!({})),
            ("openai-invite-stale", json!({"params": {"stale_day": 3, }})),
            (
                "openai-org-too-many-owners",
                json!({"params": {"max_owners": -1}}),
            ),
            (
                "openai-project-cost-over-budget",
                json!({"params": {"currency": 5, "fx_rates": {"USD": {"EUR": 0}}}}),
            ),
            (
                "openai-model-not-allowed",
                json!({"params": {"allowed_models": ["gpt-[4"]}}),
            ),
            ("openai-user-guest", json!({"severity": "urgent"})),
        ]);
        let errors = registry.resolve(&global, &SettingsMap::new()).unwrap_err();
        let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
        let all = messages.join("\n");
        assert_eq!(errors.len(), 7, "{all}");
        assert!(all.contains("unknown policy `openai-org-to-many-owners`; did you mean `openai-org-too-many-owners`?"), "{all}");
        assert!(all.contains("policy `openai-invite-stale` has no parameter `stale_day`; declared parameters: stale_days"), "{all}");
        assert!(
            all.contains("parameter `max_owners`: expected an integer >= 0, found -1"),
            "{all}"
        );
        assert!(
            all.contains("parameter `currency`: expected a string, found 5"),
            "{all}"
        );
        assert!(
            all.contains("parameter `fx_rates`: expected an object of exchange rates"),
            "{all}"
        );
        assert!(
            all.contains("parameter `allowed_models`: expected a valid glob pattern (`gpt-[4`"),
            "{all}"
        );
        assert!(
            all.contains("policy `openai-user-guest`: unknown severity `urgent`"),
            "{all}"
        );
    }

    #[test]
    fn evaluate_all_orders_skips_disabled_and_applies_severity() {
        let registry = Registry::builtin();
        let global = settings(&[
            ("openai-org-too-few-owners", json!({"severity": "info"})),
            ("openai-org-too-many-owners", json!({"enabled": false})),
        ]);
        let resolved = registry.resolve(&global, &SettingsMap::new()).unwrap();
        let mut snapshot = snapshot();
        snapshot.inventory.users = vec![user("b", "owner", 0), user("a", "reader", 0)];
        let outcomes = evaluate_all(&resolved, &snapshot, AS_OF, Keep::All);
        assert_eq!(outcomes[0].policy_id, "openai-org-too-few-owners");
        assert_eq!(outcomes[0].severity, Severity::Info);
        assert_eq!(outcomes[0].result, Verdict::Fail);
        assert!(
            outcomes
                .iter()
                .all(|o| o.policy_id != "openai-org-too-many-owners")
        );
        // Policy order first, then resource id.
        let position = |id: &str| CATALOGUE.iter().position(|c| *c == id).unwrap();
        for pair in outcomes.windows(2) {
            let (a, b) = (position(pair[0].policy_id), position(pair[1].policy_id));
            assert!(a < b || (a == b && pair[0].resource_id <= pair[1].resource_id));
        }
        let inactive: Vec<&str> = outcomes
            .iter()
            .filter(|o| o.policy_id == "openai-user-inactive")
            .map(|o| o.resource_id.as_str())
            .collect();
        assert_eq!(inactive, ["a", "b"]);
        // Every outcome serializes with snake_case states.
        let json = serde_json::to_value(&outcomes[0]).unwrap();
        assert_eq!(json["result"], "fail");
        assert_eq!(json["severity"], "info");
    }

    #[test]
    fn no_policy_panics_on_odd_input() {
        let registry = Registry::builtin();
        let mut resolved = registry
            .resolve(&SettingsMap::new(), &SettingsMap::new())
            .unwrap();
        // Extreme parameter values must not overflow.
        for policy in &mut resolved {
            let meta = policy.check.meta();
            let layer: BTreeMap<String, serde_json::Value> = meta
                .params
                .iter()
                .filter_map(|spec| match spec.kind {
                    ParamKind::Integer { max, .. } => Some((spec.name.to_owned(), json!(max))),
                    _ => None,
                })
                .collect();
            policy.params = Params::resolve(meta, &[&layer]).unwrap();
        }
        let mut odd = snapshot();
        odd.inventory.users = vec![user("u", "owner", i64::MIN)];
        odd.inventory.admin_api_keys = vec![obj(
            json!({"id": "k", "created_at": i64::MAX, "last_used_at": i64::MIN}),
        )];
        odd.inventory.projects = vec![crate::testing::project("p")];
        for as_of in [i64::MIN, -1, 0, AS_OF, i64::MAX] {
            let _ = evaluate_all(&resolved, &odd, as_of, Keep::All);
            let _ = evaluate_all(&resolved, &Snapshot::default(), as_of, Keep::All);
        }
    }

    #[test]
    fn keeping_findings_only_gives_exactly_the_failures_and_indeterminates() {
        let resolved = Registry::builtin()
            .resolve(&SettingsMap::new(), &SettingsMap::new())
            .unwrap();
        let mut snapshot = snapshot();
        snapshot.inventory.users = vec![
            user("owner", "owner", 0),
            user("recent", "reader", AS_OF - DAY),
        ];
        snapshot.inventory.admin_api_keys = vec![
            obj(json!({"id": "old", "created_at": 0, "last_used_at": AS_OF - 60})),
            obj(json!({"id": "new", "created_at": AS_OF - 60, "last_used_at": null})),
        ];
        let mut project = crate::testing::project("p");
        project.api_keys = vec![
            obj(
                json!({"id": "pk-old", "created_at": 0, "owner": {"type": "user", "user": {"id": "gone"}}}),
            ),
            obj(
                json!({"id": "pk-new", "created_at": AS_OF - 60, "owner": {"type": "user", "user": {"id": "owner"}}}),
            ),
        ];
        snapshot.inventory.projects = vec![project, crate::testing::archived_project("a")];
        let all = evaluate_all(&resolved, &snapshot, AS_OF, Keep::All);
        assert!(all.iter().any(|o| o.result == Verdict::Pass));
        assert!(all.iter().any(|o| o.result == Verdict::Fail));
        let findings: Vec<Outcome> = all
            .into_iter()
            .filter(|o| o.result != Verdict::Pass)
            .collect();
        assert_eq!(
            evaluate_all(&resolved, &snapshot, AS_OF, Keep::Findings),
            findings
        );
    }
    /// A first scan with a wrong key: every listing failed and the inventory is empty. Policies
    /// that walk several listings (keys of the organization and of its projects) find the
    /// organization unreadable in each; it must still get one result per policy, naming every
    /// failure, or the findings cannot be recorded.
    #[test]
    fn an_unreadable_organization_gets_one_result_per_policy() {
        use crate::shared::data::endpoints;
        let resolved = Registry::builtin()
            .resolve(&SettingsMap::new(), &SettingsMap::new())
            .unwrap();
        let mut failed = Snapshot {
            org_id: crate::testing::ORG.to_owned(),
            ..Default::default()
        };
        failed.failures = [
            endpoints::USERS,
            endpoints::INVITES,
            endpoints::ADMIN_API_KEYS,
            endpoints::CERTIFICATES,
            endpoints::SPEND_LIMIT,
            endpoints::PROJECTS,
            endpoints::AUDIT_LOGS,
            endpoints::COSTS,
        ]
        .iter()
        .map(|path| crate::testing::failure(path, None, 401))
        .collect();
        let outcomes = evaluate_all(&resolved, &failed, AS_OF, Keep::Findings);
        let mut seen = std::collections::HashSet::new();
        for outcome in &outcomes {
            assert!(
                seen.insert((outcome.policy_id, outcome.resource_id.as_str())),
                "{} has two results for {}",
                outcome.policy_id,
                outcome.resource_id
            );
        }
        let orphaned = outcomes
            .iter()
            .find(|o| o.policy_id == "openai-key-orphaned")
            .expect("the organization is indeterminate");
        assert_eq!(orphaned.result, Verdict::Indeterminate);
        let missing = orphaned.evidence.to_value()["missing"].clone();
        assert_eq!(missing.as_array().map(Vec::len), Some(2), "{missing}");
        assert!(orphaned.message.contains(endpoints::ADMIN_API_KEYS));
        assert!(orphaned.message.contains(endpoints::PROJECTS));
    }
}
