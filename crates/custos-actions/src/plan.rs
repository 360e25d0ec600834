//! Planning, a pure function: a snapshot, a template, its targets and parameters, and the time
//! give a [`Plan`]: the exact API calls, the state each target must still be in, what the
//! result must read back as, the risk, and a hash that approvals are bound to.

use crate::template::{ParamKind, Risk, TargetKind, Template};
use crate::{ActionError, Result};
use custos_model::kind::Kind;
use custos_openai::WriteCall;
use custos_openai::endpoints::{
    AdminApiKeyCreateRequest, Fill, InviteProjectRequest, InviteRequest, Operation,
    ProjectCreateRequest, ProjectUserUpdateRequest, ToggleCertificatesRequest,
    UpdateSpendLimitBody, UploadCertificateRequest, UserRoleUpdateRequest, operations as ops,
};
use custos_store::ObjectRecord;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// How long a plan stays approvable and executable by default: 24 hours.
pub const DEFAULT_TTL_SECONDS: i64 = 24 * 3600;

/// The objects of one stored scan, by kind and id: what plans are made from.
#[derive(Debug, Clone, Default)]
pub struct SnapshotView {
    pub org_id: String,
    pub scan_id: i64,
    /// Unix seconds: when the scan started.
    pub collected_at: i64,
    objects: BTreeMap<(String, String), ObjectRecord>,
}

impl SnapshotView {
    pub fn new(org_id: &str, scan_id: i64, collected_at: i64, records: Vec<ObjectRecord>) -> Self {
        SnapshotView {
            org_id: org_id.to_owned(),
            scan_id,
            collected_at,
            objects: records
                .into_iter()
                .map(|r| ((r.kind.clone(), r.id.clone()), r))
                .collect(),
        }
    }

    /// The latest visible scan of `org_id` in `store`.
    pub async fn latest(store: &dyn custos_store::Store, org_id: &str) -> Result<Self> {
        let run = store
            .latest_scan(org_id)
            .await?
            .ok_or_else(|| ActionError::InvalidTarget {
                template: "any",
                reason: format!(
                    "organization {org_id} has no finished scan: run `custos scan --org {org_id}` first"
                ),
            })?;
        let records = store.objects(run.id, None).await?;
        Ok(SnapshotView::new(org_id, run.id, run.started_at, records))
    }

    /// One object.
    pub fn get(&self, kind: &str, id: &str) -> Option<&ObjectRecord> {
        self.objects.get(&(kind.to_owned(), id.to_owned()))
    }

    /// Every object of one kind.
    pub fn of_kind<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a ObjectRecord> + 'a {
        self.objects
            .range((kind.to_owned(), String::new())..)
            .take_while(move |((k, _), _)| k == kind)
            .map(|(_, r)| r)
    }
}

/// Where the targets of a request came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "from", rename_all = "snake_case")]
pub enum Source {
    /// Named with `--target`.
    Targets,
    /// One finding (`--finding`).
    Finding {
        policy_id: String,
        resource_id: String,
    },
    /// Every open finding of a policy (`--policy`).
    Policy { policy_id: String },
    /// Provisioning: nothing exists yet.
    Provisioning,
}

/// What a target must read back as once the calls are done.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "expect", rename_all = "snake_case")]
pub enum Expectation {
    /// Gone (a 404, or absent from its list).
    Absent,
    /// Present with `field` equal to `value`.
    Field { field: String, value: Value },
}

/// One object the plan changes, with the state it was planned against.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedTarget {
    pub kind: Kind,
    /// The snapshot id (composite for memberships: `proj/user`).
    pub id: String,
    pub project_id: Option<String>,
    /// The guarded fields ([`Kind::guarded_fields`]) as the snapshot had them; the
    /// execution refuses a target where any reads differently.
    pub guarded: BTreeMap<String, Value>,
    pub expect: Expectation,
}

/// What a provisioning call creates, so that it can be read back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Creates {
    Project,
    AdminApiKey,
    Certificate,
    Invite,
}

impl Creates {
    /// Where the created object is read back; refused when the API named it with an id that
    /// cannot name one object.
    pub fn read_path(self, id: &str) -> custos_openai::Result<String> {
        match self {
            Creates::Project => ops::RETRIEVE_PROJECT.fill(&[id]),
            Creates::AdminApiKey => ops::RETRIEVE_ADMIN_API_KEY.fill(&[id]),
            Creates::Certificate => ops::RETRIEVE_CERTIFICATE.fill(&[id]),
            Creates::Invite => ops::RETRIEVE_INVITE.fill(&[id]),
        }
    }
}

/// One API call, exactly as it will be sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedCall {
    /// Position in [`Plan::calls`].
    pub index: usize,
    /// The target it acts on (index in [`Plan::targets`]); `None` for provisioning.
    pub target: Option<usize>,
    /// A write operation of the table with its ids and body, stored and shown as the request
    /// sent: `method`, `path` (below the API root, ids percent-encoded, e.g.
    /// `/organization/admin_api_keys/key_1`) and `body` (a POST's JSON; `null`: empty). A
    /// stored plan whose call is not exactly that does not load.
    #[serde(flatten)]
    pub request: WriteCall,
    /// The project whose key sends it (files); `None`: the organization's read-write key.
    pub project_key: Option<String>,
    /// What it creates, for provisioning.
    pub creates: Option<Creates>,
}

/// A plan: everything an approver approves, bound together by [`Plan::hash`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub org_id: String,
    pub template: Template,
    pub risk: Risk,
    pub provisioning: bool,
    pub requested_by: String,
    pub reason: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds: after this the plan can be neither approved nor started.
    pub expires_at: i64,
    /// The scan it was planned from.
    pub scan_id: i64,
    pub snapshot_at: i64,
    pub source: Source,
    /// The validated parameters (never a secret).
    pub params: BTreeMap<String, String>,
    pub targets: Vec<PlannedTarget>,
    pub calls: Vec<PlannedCall>,
    /// What must hold at execution, in words.
    pub preconditions: Vec<String>,
}

impl Plan {
    /// SHA-256 (hex) of the plan's JSON: any change to any field changes it.
    pub fn hash(&self) -> String {
        let bytes = serde_json::to_vec(self).unwrap_or_default();
        hex::encode(Sha256::digest(&bytes))
    }

    /// The projects whose owners must approve (none: the organization's owners do).
    pub fn projects(&self) -> Vec<&str> {
        let mut projects: Vec<&str> = self
            .targets
            .iter()
            .filter(|t| t.kind.in_project())
            .filter_map(|t| t.project_id.as_deref())
            .collect();
        projects.sort_unstable();
        projects.dedup();
        projects
    }

    /// Whether any target is an organization-level object.
    pub fn touches_organization(&self) -> bool {
        self.targets.iter().any(|t| !t.kind.in_project())
    }
}

/// What a request asks for.
#[derive(Debug, Clone)]
pub struct PlanRequest {
    pub template: Template,
    /// Snapshot ids; empty for provisioning.
    pub targets: Vec<String>,
    pub params: BTreeMap<String, String>,
    pub source: Source,
    pub requested_by: String,
    pub reason: String,
    /// Unix seconds.
    pub now: i64,
    pub ttl_seconds: i64,
}

/// Builds the plan of `request` against `snapshot`. Pure: no I/O, no clock.
pub fn build_plan(snapshot: &SnapshotView, request: &PlanRequest) -> Result<Plan> {
    let template = request.template;
    let spec = template.spec();
    let invalid = |reason: String| ActionError::InvalidTarget {
        template: spec.name,
        reason,
    };
    if request.reason.trim().is_empty() {
        return Err(invalid(
            "give a --reason: approvers and auditors read it".into(),
        ));
    }
    let params = validate_params(template, &request.params, snapshot)?;
    let mut plan = Plan {
        org_id: snapshot.org_id.clone(),
        template,
        risk: spec.risk,
        provisioning: template.is_provisioning(),
        requested_by: request.requested_by.clone(),
        reason: request.reason.clone(),
        created_at: request.now,
        expires_at: request.now.saturating_add(request.ttl_seconds.max(1)),
        scan_id: snapshot.scan_id,
        snapshot_at: snapshot.collected_at,
        source: request.source.clone(),
        params,
        targets: Vec::new(),
        calls: Vec::new(),
        preconditions: Vec::new(),
    };
    if template.is_provisioning() {
        if !request.targets.is_empty() {
            return Err(invalid("a provisioning template takes no --target".into()));
        }
        plan_provisioning(snapshot, &mut plan)?;
        return Ok(plan);
    }
    if request.targets.is_empty() {
        return Err(invalid(
            "name what to act on with --target ID, --finding or --policy".into(),
        ));
    }
    let mut ids = request.targets.clone();
    ids.sort_unstable();
    ids.dedup();
    for id in &ids {
        plan_target(snapshot, &mut plan, id)?;
    }
    check_owners_remain(snapshot, &plan)?;
    Ok(plan)
}

/// A snapshot object's field at a dotted path (`owner.id`), `Null` when absent.
pub fn field(data: &Value, path: &str) -> Value {
    path.split('.')
        .try_fold(data, |v, key| v.get(key))
        .cloned()
        .unwrap_or(Value::Null)
}

fn guarded(kind: Kind, data: &Value) -> BTreeMap<String, Value> {
    kind.guarded_fields()
        .iter()
        .map(|f| ((*f).to_owned(), field(data, f)))
        .collect()
}

/// The object's own id in snapshot id `id`: a membership's (`project_user`,
/// `project_certificate`) member id, read as the kind registry reads it for paths; every other
/// id is its own.
fn own_id<'a>(id: &'a str, project: Option<&str>) -> &'a str {
    project
        .and_then(|p| custos_model::kind::member_id(p, id))
        .unwrap_or(id)
}

/// Adds target `id` (with its calls) to the plan.
fn plan_target(snapshot: &SnapshotView, plan: &mut Plan, id: &str) -> Result<()> {
    let template = plan.template;
    let spec = template.spec();
    let invalid = |reason: String| ActionError::InvalidTarget {
        template: spec.name,
        reason,
    };
    let (kind, record) = spec
        .targets
        .iter()
        .find_map(|k| snapshot.get(k.snapshot_kind(), id).map(|r| (*k, r)))
        .ok_or_else(|| {
            let kinds: Vec<&str> = spec.targets.iter().map(|k| k.snapshot_kind()).collect();
            invalid(format!(
                "no {} with id {id:?} in scan {} of {}: check the id with `custos inventory {}`, or rescan",
                kinds.join(" or "),
                snapshot.scan_id,
                snapshot.org_id,
                kinds[0]
            ))
        })?;
    // An id that cannot name one object would send the calls to another path.
    custos_openai::check_id(id).map_err(|e| invalid(e.to_string()))?;
    let planned = |call: custos_openai::Result<WriteCall>| call.map_err(|e| invalid(e.to_string()));
    // A DELETE, or a POST without a body.
    let bare = |op: &'static Operation, ids: &[&str]| planned(WriteCall::new(op, ids, None));
    let data = &record.data;
    let project = record.project_id.clone();
    let p = project.as_deref().unwrap_or_default();
    let own_id = own_id(id, project.as_deref());
    let require = |field_name: &str, wanted: &str| -> Result<()> {
        let found = field(data, field_name);
        if found.as_str() == Some(wanted) {
            Ok(())
        } else {
            Err(invalid(format!(
                "{} {id} has {field_name} {found}, not {wanted:?}: nothing to do",
                kind.snapshot_kind()
            )))
        }
    };
    let target_index = plan.targets.len();
    let mut target = PlannedTarget {
        kind,
        id: id.to_owned(),
        project_id: project.clone(),
        guarded: guarded(kind, data),
        expect: Expectation::Absent,
    };
    let mut calls: Vec<WriteCall> = Vec::new();
    let mut project_key = None;
    match template {
        Template::ArchiveProject => {
            require("status", "active")?;
            calls.push(bare(&ops::ARCHIVE_PROJECT, &[id])?);
            target.expect = Expectation::Field {
                field: "status".into(),
                value: json!("archived"),
            };
        }
        Template::DeleteOrgCertificate => {
            // The API deletes only inactive certificates: deactivating first is idempotent.
            calls.push(planned(WriteCall::with_body(
                &ops::DEACTIVATE_ORGANIZATION_CERTIFICATES,
                &[],
                &ToggleCertificatesRequest {
                    certificate_ids: vec![id.to_owned()],
                },
            ))?);
            calls.push(bare(&ops::DELETE_CERTIFICATE, &[id])?);
        }
        Template::DeleteProjectCertificate => {
            require_bool(data, "active", id, spec.name)?;
            calls.push(planned(WriteCall::with_body(
                &ops::DEACTIVATE_PROJECT_CERTIFICATES,
                &[p],
                &ToggleCertificatesRequest {
                    certificate_ids: vec![own_id.to_owned()],
                },
            ))?);
            target.expect = Expectation::Field {
                field: "active".into(),
                value: json!(false),
            };
        }
        Template::DeleteUser => {
            calls.push(bare(&ops::DELETE_USER, &[id])?);
        }
        Template::DeleteInvite => {
            require("status", "pending")?;
            calls.push(bare(&ops::DELETE_INVITE, &[id])?);
        }
        Template::DeleteAdminKey => {
            calls.push(bare(&ops::DELETE_ADMIN_API_KEY, &[id])?);
        }
        Template::DeleteProjectKey => {
            // The API refuses these: a service account's key goes with its account.
            if field(data, "owner.type") == json!("service_account") {
                return Err(invalid(format!(
                    "{id} belongs to a service account: use delete-service-account on it"
                )));
            }
            calls.push(bare(&ops::DELETE_PROJECT_API_KEY, &[p, id])?);
        }
        Template::DeleteFile => {
            calls.push(bare(&ops::DELETE_FILE, &[id])?);
            project_key = project.clone();
        }
        Template::RemoveProjectUser => {
            calls.push(bare(&ops::DELETE_PROJECT_USER, &[p, own_id])?);
        }
        Template::DowngradeOwner => {
            require("role", "owner")?;
            let (call, role) = match kind {
                Kind::User => {
                    let role = "reader";
                    let body = UserRoleUpdateRequest {
                        role: Some(role.to_owned()),
                        ..UserRoleUpdateRequest::default()
                    };
                    (WriteCall::with_body(&ops::MODIFY_USER, &[id], &body), role)
                }
                _ => {
                    let role = "member";
                    let body = ProjectUserUpdateRequest {
                        role: Some(role.to_owned()),
                    };
                    let ids = [p, own_id];
                    (
                        WriteCall::with_body(&ops::MODIFY_PROJECT_USER, &ids, &body),
                        role,
                    )
                }
            };
            calls.push(planned(call)?);
            target.expect = Expectation::Field {
                field: "role".into(),
                value: json!(role),
            };
        }
        Template::DeleteServiceAccount => {
            calls.push(bare(&ops::DELETE_PROJECT_SERVICE_ACCOUNT, &[p, id])?);
        }
        Template::SetProjectSpendLimit => {
            require("status", "active")?;
            let cents = dollars_to_cents(&plan.params["amount_usd"]).unwrap_or_default();
            // The target is the limit itself, guarded as the snapshot had it (null: not set).
            target.kind = Kind::ProjectSpendLimit;
            target.project_id = Some(id.to_owned());
            target.guarded = snapshot
                .get("project_spend_limit", id)
                .map(|r| guarded(Kind::ProjectSpendLimit, &r.data))
                .unwrap_or_else(|| guarded(Kind::ProjectSpendLimit, &Value::Null));
            calls.push(planned(WriteCall::with_body(
                &ops::UPDATE_PROJECT_SPEND_LIMIT,
                &[id],
                &UpdateSpendLimitBody {
                    threshold_amount: cents,
                    currency: "USD".to_owned(),
                    interval: "month".to_owned(),
                },
            ))?);
            target.expect = Expectation::Field {
                field: "threshold_amount".into(),
                value: json!(cents),
            };
        }
        Template::CreateProject
        | Template::CreateAdminKey
        | Template::UploadOrgCertificate
        | Template::InviteUser => {
            return Err(invalid("a provisioning template takes no target".into()));
        }
    }
    let guards = target
        .guarded
        .iter()
        .map(|(k, v)| format!("{k} = {v}"))
        .collect::<Vec<_>>()
        .join(", ");
    plan.preconditions.push(format!(
        "{} {} still reads {guards}",
        target.kind.snapshot_kind(),
        target.id
    ));
    plan.targets.push(target);
    for request in calls {
        plan.calls.push(PlannedCall {
            index: plan.calls.len(),
            target: Some(target_index),
            request,
            project_key: project_key.clone(),
            creates: None,
        });
    }
    Ok(())
}

fn require_bool(data: &Value, name: &str, id: &str, template: &'static str) -> Result<()> {
    if field(data, name) == Value::Bool(true) {
        Ok(())
    } else {
        Err(ActionError::InvalidTarget {
            template,
            reason: format!("{id} is not {name}: nothing to do"),
        })
    }
}

/// Deleting or downgrading organization owners must leave at least one.
fn check_owners_remain(snapshot: &SnapshotView, plan: &Plan) -> Result<()> {
    if !matches!(
        plan.template,
        Template::DeleteUser | Template::DowngradeOwner
    ) {
        return Ok(());
    }
    let owners: Vec<&str> = snapshot
        .of_kind("user")
        .filter(|u| field(&u.data, "role") == json!("owner"))
        .map(|u| u.id.as_str())
        .collect();
    let removed = owners
        .iter()
        .filter(|o| {
            plan.targets
                .iter()
                .any(|t| t.kind == Kind::User && t.id == **o)
        })
        .count();
    if !owners.is_empty() && removed == owners.len() {
        return Err(ActionError::InvalidTarget {
            template: plan.template.name(),
            reason: "the plan would leave the organization without an owner: keep at least one"
                .into(),
        });
    }
    Ok(())
}

fn plan_provisioning(snapshot: &SnapshotView, plan: &mut Plan) -> Result<()> {
    let params = &plan.params;
    let name = params.get("name").cloned();
    let (call, creates, precondition) = match plan.template {
        Template::CreateProject => {
            let name = name.unwrap_or_default();
            let taken = snapshot.of_kind("project").any(|p| {
                field(&p.data, "name") == json!(name) && field(&p.data, "status") == json!("active")
            });
            if taken {
                return Err(ActionError::InvalidParam {
                    template: plan.template.name(),
                    param: "name".into(),
                    reason: format!("an active project is already named {name:?}"),
                });
            }
            let body = ProjectCreateRequest {
                name: name.clone(),
                residency: None,
                external_key_id: None,
            };
            (
                WriteCall::with_body(&ops::CREATE_PROJECT, &[], &body),
                Creates::Project,
                format!("no active project is named {name:?}"),
            )
        }
        Template::CreateAdminKey => {
            let body = AdminApiKeyCreateRequest {
                name: name.unwrap_or_default(),
                expires_in_seconds: params
                    .get("expires_in_seconds")
                    .map(|seconds| seconds.parse::<u32>().unwrap_or_default()),
            };
            (
                WriteCall::with_body(&ops::CREATE_ADMIN_API_KEY, &[], &body),
                Creates::AdminApiKey,
                "the secret is returned once, to the requester only".to_owned(),
            )
        }
        Template::UploadOrgCertificate => {
            let body = UploadCertificateRequest {
                certificate: params.get("pem").cloned().unwrap_or_default(),
                name,
            };
            (
                WriteCall::with_body(&ops::UPLOAD_CERTIFICATE, &[], &body),
                Creates::Certificate,
                "the certificate is valid PEM".to_owned(),
            )
        }
        Template::InviteUser => {
            let email = params.get("email").cloned().unwrap_or_default();
            let hash = custos_store::email_hash(&email).0;
            let known = |kind: &str| {
                snapshot.of_kind(kind).any(|o| {
                    field(&o.data, "email_sha256") == json!(hash)
                        || field(&o.data, "email")
                            .as_str()
                            .is_some_and(|e| custos_store::email_hash(e).0 == hash)
                })
            };
            if known("user") || known("invite") {
                return Err(ActionError::InvalidParam {
                    template: plan.template.name(),
                    param: "email".into(),
                    reason: "this address is already a user or has a pending invite".into(),
                });
            }
            let body = InviteRequest {
                email,
                role: params
                    .get("role")
                    .map_or("reader", String::as_str)
                    .to_owned(),
                projects: params.get("projects").map(|projects| {
                    project_roles(projects)
                        .into_iter()
                        .map(|(id, role)| InviteProjectRequest { id, role })
                        .collect()
                }),
            };
            (
                WriteCall::with_body(&ops::CREATE_INVITE, &[], &body),
                Creates::Invite,
                "the address is neither a user nor invited".to_owned(),
            )
        }
        _ => {
            return Err(ActionError::InvalidTarget {
                template: plan.template.name(),
                reason: "not a provisioning template".into(),
            });
        }
    };
    let request = call.map_err(|e| ActionError::InvalidTarget {
        template: plan.template.name(),
        reason: e.to_string(),
    })?;
    plan.preconditions.push(precondition);
    plan.calls.push(PlannedCall {
        index: 0,
        target: None,
        request,
        project_key: None,
        creates: Some(creates),
    });
    Ok(())
}

/// `"12.5"` → 1250 cents; `None` when not a positive amount with at most two decimals.
pub fn dollars_to_cents(text: &str) -> Option<i64> {
    let (whole, cents) = match text.trim().split_once('.') {
        Some((w, c)) if !c.is_empty() && c.len() <= 2 && c.bytes().all(|b| b.is_ascii_digit()) => {
            (w, format!("{c:0<2}"))
        }
        Some(_) => return None,
        None => (text.trim(), "00".to_owned()),
    };
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let total = whole.parse::<i64>().ok()?.checked_mul(100)? + cents.parse::<i64>().ok()?;
    (total > 0).then_some(total)
}

fn project_roles(text: &str) -> Vec<(String, String)> {
    text.split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|item| {
            let (id, role) = item.split_once(':').unwrap_or((item, "member"));
            (id.trim().to_owned(), role.trim().to_owned())
        })
        .collect()
}

/// Checks each parameter against its declaration; unknown ones are refused.
fn validate_params(
    template: Template,
    given: &BTreeMap<String, String>,
    snapshot: &SnapshotView,
) -> Result<BTreeMap<String, String>> {
    let spec = template.spec();
    let bad = |param: &str, reason: String| ActionError::InvalidParam {
        template: spec.name,
        param: param.to_owned(),
        reason,
    };
    if let Some(unknown) = given
        .keys()
        .find(|k| !spec.params.iter().any(|p| p.name == k.as_str()))
    {
        let known: Vec<&str> = spec.params.iter().map(|p| p.name).collect();
        return Err(bad(
            unknown,
            format!(
                "not a parameter of this template (it takes: {})",
                if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                }
            ),
        ));
    }
    let mut valid = BTreeMap::new();
    for p in spec.params {
        let Some(value) = given.get(p.name) else {
            if p.required {
                return Err(bad(p.name, format!("required: {}", p.help)));
            }
            continue;
        };
        let value = value.trim();
        let ok = match p.kind {
            ParamKind::OneOf(words) => words
                .contains(&value)
                .then_some(())
                .ok_or_else(|| format!("{value:?} is not one of {}", words.join(", "))),
            ParamKind::Name => (!value.is_empty()
                && value.chars().count() <= 256
                && !value.chars().any(char::is_control))
            .then_some(())
            .ok_or_else(|| "give 1 to 256 printable characters".to_owned()),
            ParamKind::Dollars => dollars_to_cents(value)
                .map(|_| ())
                .ok_or_else(|| format!("{value:?} is not an amount in dollars like 250 or 99.50")),
            ParamKind::Seconds => value
                .parse::<u32>()
                .ok()
                .filter(|s| (1..=31_536_000).contains(s))
                .map(|_| ())
                .ok_or_else(|| format!("{value:?} is not 1 to 31536000 seconds")),
            ParamKind::Email => check_email(value),
            ParamKind::Pem => check_pem(value),
            ParamKind::ProjectRoles => check_project_roles(value, snapshot),
        };
        ok.map_err(|reason| bad(p.name, reason))?;
        valid.insert(p.name.to_owned(), value.to_owned());
    }
    Ok(valid)
}

fn check_email(value: &str) -> std::result::Result<(), String> {
    let (local, domain) = value.split_once('@').unwrap_or(("", ""));
    let valid = !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !value.chars().any(|c| c.is_whitespace() || c == ',')
        && value.matches('@').count() == 1;
    valid
        .then_some(())
        .ok_or_else(|| format!("{value:?} is not an email address"))
}

/// One or more `CERTIFICATE` blocks whose bodies are base64 of a DER sequence.
pub fn check_pem(value: &str) -> std::result::Result<(), String> {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let text = value.trim();
    let body = text
        .strip_prefix(BEGIN)
        .and_then(|rest| rest.strip_suffix(END))
        .ok_or_else(|| format!("a PEM certificate starts with {BEGIN} and ends with {END}"))?;
    let base64: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    let alphabet = |c: char| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=');
    if base64.len() < 64 || !base64.len().is_multiple_of(4) || !base64.chars().all(alphabet) {
        return Err("the PEM body is not base64 of a certificate".into());
    }
    // DER certificates start with a SEQUENCE tag (0x30), which base64 writes as "M".
    if !base64.starts_with('M') {
        return Err("the PEM body is not a DER certificate (it must start with MII...)".into());
    }
    Ok(())
}

fn check_project_roles(value: &str, snapshot: &SnapshotView) -> std::result::Result<(), String> {
    let roles = project_roles(value);
    if roles.is_empty() {
        return Err("give proj_id:member or proj_id:owner, comma-separated".into());
    }
    for (id, role) in roles {
        if role != "member" && role != "owner" {
            return Err(format!(
                "project role {role:?} for {id} is not member or owner"
            ));
        }
        let active = snapshot
            .get("project", &id)
            .is_some_and(|p| field(&p.data, "status") == json!("active"));
        if !active {
            return Err(format!("{id} is not an active project in the latest scan"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(kind: &str, id: &str, project: Option<&str>, data: Value) -> ObjectRecord {
        ObjectRecord {
            kind: kind.into(),
            id: id.into(),
            project_id: project.map(Into::into),
            data,
        }
    }

    fn snapshot() -> SnapshotView {
        SnapshotView::new(
            "org-1",
            7,
            1000,
            vec![
                record(
                    "project",
                    "proj_a",
                    Some("proj_a"),
                    json!({"id": "proj_a", "name": "A", "status": "active"}),
                ),
                record(
                    "project_api_key",
                    "key_1",
                    Some("proj_a"),
                    json!({"id": "key_1", "name": "ci", "owner": {"type": "user"}}),
                ),
                record(
                    "user",
                    "user_1",
                    None,
                    json!({"id": "user_1", "role": "owner"}),
                ),
                record(
                    "user",
                    "user_2",
                    None,
                    json!({"id": "user_2", "role": "reader"}),
                ),
            ],
        )
    }

    fn request(template: Template, targets: &[&str]) -> PlanRequest {
        PlanRequest {
            template,
            targets: targets.iter().map(|s| (*s).to_owned()).collect(),
            params: BTreeMap::new(),
            source: Source::Targets,
            requested_by: "bob".into(),
            reason: "leaked".into(),
            now: 2000,
            ttl_seconds: DEFAULT_TTL_SECONDS,
        }
    }

    #[test]
    fn a_delete_plan_has_its_call_guard_and_hash() {
        let plan = build_plan(
            &snapshot(),
            &request(Template::DeleteProjectKey, &["key_1"]),
        )
        .unwrap();
        assert_eq!(plan.calls.len(), 1);
        assert_eq!(plan.calls[0].request.method(), "DELETE");
        assert_eq!(
            plan.calls[0].request.path(),
            "/organization/projects/proj_a/api_keys/key_1"
        );
        assert_eq!(plan.targets[0].guarded["name"], json!("ci"));
        assert_eq!(plan.expires_at, 2000 + DEFAULT_TTL_SECONDS);
        assert_eq!(plan.projects(), ["proj_a"]);
        let mut changed = plan.clone();
        changed.calls[0].request =
            WriteCall::new(&ops::DELETE_PROJECT_API_KEY, &["proj_a", "key_1x"], None).unwrap();
        assert_ne!(plan.hash(), changed.hash());
        assert_eq!(plan.hash(), plan.clone().hash());
    }

    #[test]
    fn refusals_name_the_problem() {
        let s = snapshot();
        let err = build_plan(&s, &request(Template::DeleteProjectKey, &["key_9"])).unwrap_err();
        assert!(
            err.to_string()
                .contains("no project_api_key with id \"key_9\""),
            "{err}"
        );
        let err = build_plan(&s, &request(Template::DeleteUser, &["user_1"])).unwrap_err();
        assert!(err.to_string().contains("without an owner"), "{err}");
        let err = build_plan(&s, &request(Template::DowngradeOwner, &["user_2"])).unwrap_err();
        assert!(err.to_string().contains("nothing to do"), "{err}");
        let mut r = request(Template::SetProjectSpendLimit, &["proj_a"]);
        r.params.insert("amount_usd".into(), "-3".into());
        let err = build_plan(&s, &r).unwrap_err();
        assert!(err.to_string().contains("amount_usd"), "{err}");
        let mut r = request(Template::DeleteProjectKey, &["key_1"]);
        r.params.insert("force".into(), "yes".into());
        assert!(
            build_plan(&s, &r)
                .unwrap_err()
                .to_string()
                .contains("takes: none")
        );
    }

    #[test]
    fn dollars_and_pem_are_checked() {
        assert_eq!(dollars_to_cents("250"), Some(25_000));
        assert_eq!(dollars_to_cents("99.5"), Some(9_950));
        assert_eq!(dollars_to_cents("0"), None);
        assert_eq!(dollars_to_cents("1.234"), None);
        assert!(check_pem("hello").is_err());
        let body = "MII".to_owned() + &"A".repeat(64);
        assert!(
            check_pem(&format!(
                "-----BEGIN CERTIFICATE-----\n{body}=\n-----END CERTIFICATE-----"
            ))
            .is_ok()
        );
    }

    #[test]
    fn a_members_own_id_is_what_follows_its_project_even_with_a_slash() {
        assert_eq!(own_id("proj a/1/user 1/%", Some("proj a/1")), "user 1/%");
        assert_eq!(own_id("proj_a/user_1", Some("proj_a")), "user_1");
        assert_eq!(own_id("key_1", Some("proj_a")), "key_1");
        assert_eq!(own_id("user/1", None), "user/1");
    }

    #[test]
    fn a_target_id_that_cannot_name_one_object_is_refused_and_ids_are_encoded() {
        // A snapshot written before ids were checked at ingest may hold such objects; a plan
        // on them would DELETE `/organization/users/..`, which a URL resolves to the list.
        let user = |id: &str| record("user", id, None, json!({"id": id, "role": "reader"}));
        let member = |id: &str| {
            let own = id.rsplit('/').next().unwrap_or(id);
            record(
                "project_user",
                id,
                Some("proj_a"),
                json!({"id": own, "role": "owner"}),
            )
        };
        let snapshot = SnapshotView::new(
            "org-1",
            7,
            1000,
            vec![user(".."), user("u\n1"), user("u/1?x"), member("proj_a/..")],
        );
        for (template, id) in [
            (Template::DeleteUser, ".."),
            (Template::DeleteUser, "u\n1"),
            (Template::RemoveProjectUser, "proj_a/.."),
        ] {
            let error = build_plan(&snapshot, &request(template, &[id])).unwrap_err();
            assert!(
                error.to_string().contains("cannot name one object"),
                "{id:?}: {error}"
            );
        }
        let plan = build_plan(&snapshot, &request(Template::DeleteUser, &["u/1?x"])).unwrap();
        assert_eq!(
            plan.calls[0].request.path(),
            "/organization/users/u%2F1%3Fx"
        );
        assert!(Creates::Project.read_path("..").is_err());
        assert_eq!(
            Creates::Invite.read_path("inv_1").unwrap(),
            "/organization/invites/inv_1"
        );
    }
}
