//! Segments: named, saved filters over an organization's snapshot (`docs/conventions.md`
//! "Segments").
//!
//! A segment with the same meaning as a policy is that policy's failures: one definition, two
//! uses, so "external users" can never disagree with `openai-user-external`. The others are
//! plain filters over the inventory.

use custos_model::inventory::Snapshot;
use custos_policy::{Keep, ResolvedPolicy, Verdict, evaluate_each};
use serde::Serialize;

use custos_model::unix::DAY;

/// How a segment picks its members.
#[derive(Debug)]
enum Rule {
    /// The resources these policies fail on.
    Policies(&'static [&'static str]),
    /// A filter over the snapshot at `as_of`.
    Filter(fn(&Snapshot, i64) -> Vec<Member>),
}

/// A named segment.
#[derive(Debug)]
pub struct Segment {
    pub name: &'static str,
    pub description: &'static str,
    rule: Rule,
}

/// One member of a segment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Member {
    pub kind: String,
    pub id: String,
    pub project_id: Option<String>,
    pub name: Option<String>,
    /// Why it is in the segment.
    pub detail: String,
}

/// A segment's members for one organization, and what could not be decided.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SegmentResult {
    pub segment: String,
    pub org_id: String,
    pub members: Vec<Member>,
    /// Resources (or whole scopes) whose membership is unknown because data was missing.
    pub unknown: Vec<String>,
}

/// Every segment, in the order of `docs/conventions.md` "Segments".
pub const SEGMENTS: &[Segment] = &[
    Segment {
        name: "active-projects",
        description: "projects that are not archived",
        rule: Rule::Filter(active_projects),
    },
    Segment {
        name: "archived-projects",
        description: "archived projects",
        rule: Rule::Filter(archived_projects),
    },
    Segment {
        name: "external-users",
        description: "users outside the allowed email domains, or guests in the directory (openai-user-external, openai-user-guest)",
        rule: Rule::Policies(&["openai-user-external", "openai-user-guest"]),
    },
    Segment {
        name: "high-cost-projects",
        description: "projects over their cost budget (openai-project-cost-over-budget)",
        rule: Rule::Policies(&["openai-project-cost-over-budget"]),
    },
    Segment {
        name: "fine-tuning-files",
        description: "files with purpose fine-tune (projects with a project key)",
        rule: Rule::Filter(fine_tuning_files),
    },
    Segment {
        name: "pending-invites",
        description: "invites not yet accepted",
        rule: Rule::Filter(pending_invites),
    },
    Segment {
        name: "owner-service-accounts",
        description: "service accounts with the owner role (openai-service-account-owner)",
        rule: Rule::Policies(&["openai-service-account-owner"]),
    },
    Segment {
        name: "recently-created-projects",
        description: "projects created within the last 30 days",
        rule: Rule::Filter(recently_created_projects),
    },
    Segment {
        name: "admin-keys",
        description: "every admin API key",
        rule: Rule::Filter(admin_keys),
    },
    Segment {
        name: "unused-keys",
        description: "admin and project keys unused for 90 days (openai-admin-key-unused, openai-project-key-unused)",
        rule: Rule::Policies(&["openai-admin-key-unused", "openai-project-key-unused"]),
    },
    Segment {
        name: "keys-without-owner",
        description: "keys whose owner left or lost access (openai-key-orphaned)",
        rule: Rule::Policies(&["openai-key-orphaned"]),
    },
];

/// A segment by name.
pub fn segment(name: &str) -> Option<&'static Segment> {
    SEGMENTS.iter().find(|s| s.name == name)
}

impl Segment {
    /// The policies this segment is made of (empty for plain filters).
    pub fn policies(&self) -> &'static [&'static str] {
        match self.rule {
            Rule::Policies(ids) => ids,
            Rule::Filter(_) => &[],
        }
    }

    /// The members in `snapshot` at `as_of`; `resolved` are the organization's policies with
    /// their settings, so a segment uses the same parameters as its policy.
    pub fn evaluate(
        &self,
        snapshot: &Snapshot,
        as_of: i64,
        resolved: &[ResolvedPolicy],
    ) -> SegmentResult {
        let (members, unknown) = match self.rule {
            Rule::Filter(filter) => (filter(snapshot, as_of), Vec::new()),
            Rule::Policies(ids) => {
                let chosen: Vec<ResolvedPolicy> = resolved
                    .iter()
                    .filter(|p| ids.contains(&p.check.meta().id))
                    .cloned()
                    .collect();
                let mut members = Vec::new();
                let mut unknown = Vec::new();
                evaluate_each(
                    &chosen,
                    snapshot,
                    as_of,
                    Keep::Findings,
                    |outcome| match outcome.result {
                        Verdict::Fail => members.push(Member {
                            kind: outcome.resource_kind.to_string(),
                            id: outcome.resource_id.to_string(),
                            project_id: outcome.project_id.as_deref().map(str::to_owned),
                            name: None,
                            detail: outcome.message.to_string(),
                        }),
                        Verdict::Indeterminate => unknown.push(outcome.message.to_string()),
                        Verdict::Pass => {}
                    },
                );
                (members, unknown)
            }
        };
        SegmentResult {
            segment: self.name.to_owned(),
            org_id: snapshot.org_id.clone(),
            members,
            unknown,
        }
    }
}

fn project_member(p: &custos_model::api::Project, detail: String) -> Member {
    Member {
        kind: "project".into(),
        id: p.id.clone(),
        project_id: Some(p.id.clone()),
        name: p.name.clone(),
        detail,
    }
}

fn active_projects(snapshot: &Snapshot, _: i64) -> Vec<Member> {
    snapshot
        .inventory
        .projects
        .iter()
        .filter(|p| !p.project.is_archived())
        .map(|p| project_member(&p.project, "active".into()))
        .collect()
}

fn archived_projects(snapshot: &Snapshot, _: i64) -> Vec<Member> {
    snapshot
        .inventory
        .projects
        .iter()
        .filter(|p| p.project.is_archived())
        .map(|p| project_member(&p.project, "archived".into()))
        .collect()
}

/// Active projects created within the last 30 days: `as_of - 30 days <= created_at < as_of`.
fn recently_created_projects(snapshot: &Snapshot, as_of: i64) -> Vec<Member> {
    snapshot
        .inventory
        .projects
        .iter()
        .filter(|p| {
            !p.project.is_archived() && (as_of - 30 * DAY..as_of).contains(&p.project.created_at)
        })
        .map(|p| {
            let days = (as_of - p.project.created_at) / DAY;
            project_member(&p.project, format!("created {days} day(s) ago"))
        })
        .collect()
}

fn fine_tuning_files(snapshot: &Snapshot, _: i64) -> Vec<Member> {
    snapshot
        .inventory
        .projects
        .iter()
        .flat_map(|p| p.files.iter().flatten().map(move |f| (p, f)))
        .filter(|(_, f)| f.purpose.as_deref() == Some("fine-tune"))
        .map(|(p, f)| Member {
            kind: "file".into(),
            id: f.id.clone(),
            project_id: Some(p.project.id.clone()),
            name: f.filename.clone(),
            detail: "purpose fine-tune".into(),
        })
        .collect()
}

fn pending_invites(snapshot: &Snapshot, _: i64) -> Vec<Member> {
    snapshot
        .inventory
        .invites
        .iter()
        .filter(|i| i.status == "pending")
        .map(|i| Member {
            kind: "invite".into(),
            id: i.id.clone(),
            project_id: None,
            name: i.email_domain().map(|d| format!("@{d}")),
            detail: format!("pending, role {}", i.role),
        })
        .collect()
}

fn admin_keys(snapshot: &Snapshot, _: i64) -> Vec<Member> {
    snapshot
        .inventory
        .admin_api_keys
        .iter()
        .map(|k| Member {
            kind: "admin_api_key".into(),
            id: k.id.clone(),
            project_id: None,
            name: k.name.clone(),
            detail: k.redacted_value.clone().unwrap_or_default(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use custos_model::api::Project;
    use custos_model::inventory::ProjectInventory;

    fn project(id: &str, created_at: i64, archived: bool) -> ProjectInventory {
        ProjectInventory::new(Project {
            object: "organization.project".into(),
            id: id.into(),
            name: Some(id.to_uppercase()),
            created_at,
            archived_at: archived.then_some(created_at + 1),
            status: Some(if archived { "archived" } else { "active" }.into()),
            extra: Default::default(),
        })
    }

    #[test]
    fn every_segment_of_policies_md_is_defined_once() {
        let names: Vec<&str> = SEGMENTS.iter().map(|s| s.name).collect();
        assert_eq!(names.len(), 11);
        let mut unique = names.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), names.len());
        let registry = custos_policy::Registry::builtin();
        for segment in SEGMENTS {
            for id in segment.policies() {
                assert!(
                    registry.get(id).is_some(),
                    "{} uses unknown {id}",
                    segment.name
                );
            }
        }
    }

    #[test]
    fn recently_created_is_the_half_open_30_day_window() {
        let as_of = 100 * DAY;
        let mut snapshot = Snapshot::default();
        snapshot.inventory.projects = vec![
            project("at_edge", as_of - 30 * DAY, false),
            project("just_before", as_of - 30 * DAY - 1, false),
            project("now", as_of, false),
            project("archived", as_of - DAY, true),
        ];
        let ids: Vec<String> = recently_created_projects(&snapshot, as_of)
            .into_iter()
            .map(|m| m.id)
            .collect();
        assert_eq!(ids, ["at_edge"]);
        let active: Vec<String> = active_projects(&snapshot, as_of)
            .into_iter()
            .map(|m| m.id)
            .collect();
        assert_eq!(active, ["at_edge", "just_before", "now"]);
    }
}
