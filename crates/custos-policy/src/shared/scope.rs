//! Which projects a policy looks at. Archived projects, and everything in them, are out of scope
//! unless a policy says otherwise; a project whose listing failed is indeterminate, never empty.

use crate::outcome::{Outcomes, Subject};
use crate::shared::data::{endpoint_gap, endpoints};
use custos_model::inventory::{ProjectInventory, Snapshot};
use std::collections::HashSet;

/// Which projects to visit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProjectState {
    Active,
    Archived,
}

/// Calls `visit` for every project in `state` whose `listings` (endpoint paths) all answered.
/// A project with a failed listing gets one indeterminate result instead. When the project list
/// itself failed, the organization gets one too: projects may be missing from the inventory.
pub fn for_projects<'s>(
    snapshot: &'s Snapshot,
    out: &mut Outcomes,
    state: ProjectState,
    listings: &[&str],
    mut visit: impl FnMut(&'s ProjectInventory, &mut Outcomes),
) {
    if let Some(gap) = endpoint_gap(snapshot, endpoints::PROJECTS, None) {
        out.indeterminate(Subject::organization(&snapshot.org_id), vec![gap]);
    }
    let wanted = |project: &ProjectInventory| match state {
        ProjectState::Active => !project.project.is_archived(),
        ProjectState::Archived => project.project.is_archived(),
    };
    for project in snapshot.inventory.projects.iter().filter(|p| wanted(p)) {
        let id = project.project.id.as_str();
        let gaps: Vec<String> = listings
            .iter()
            .filter_map(|path| endpoint_gap(snapshot, path, Some(id)))
            .collect();
        if gaps.is_empty() {
            visit(project, out);
        } else {
            out.indeterminate(Subject::project(id), gaps);
        }
    }
}

/// Active projects with their listings answered (see [`for_projects`]).
pub fn for_active_projects<'s>(
    snapshot: &'s Snapshot,
    out: &mut Outcomes,
    listings: &[&str],
    visit: impl FnMut(&'s ProjectInventory, &mut Outcomes),
) {
    for_projects(snapshot, out, ProjectState::Active, listings, visit);
}

/// Ids of archived projects, to drop records (usage, costs) that belong to them.
pub fn archived_project_ids(snapshot: &Snapshot) -> HashSet<&str> {
    snapshot
        .inventory
        .projects
        .iter()
        .filter(|p| p.project.is_archived())
        .map(|p| p.project.id.as_str())
        .collect()
}

/// `project proj_1 ("Name")`: how messages name a project.
pub fn project_label(project: &ProjectInventory) -> String {
    match project.project.name.as_deref() {
        Some(name) => format!("Project {} (\"{name}\")", project.project.id),
        None => format!("Project {}", project.project.id),
    }
}
