//! Re-reading targets through the API, before the calls (has anything changed since the
//! plan?) and after them (did the change happen?). Many targets of one collection are read
//! with its list, a page per hundred objects; a few are read one by one.

use crate::execute::Clients;
use crate::plan::PlannedTarget;
use crate::template::TargetKind;
use custos_model::kind::Kind;
use custos_openai::endpoints::Fill;
use custos_openai::{Query, Result};
use futures::stream::{self, StreamExt, TryStreamExt};
use serde_json::Value;
use std::collections::BTreeMap;

/// From this many targets in one collection on, reading its list costs fewer requests.
const LIST_FROM: usize = 3;

/// Requests in flight while reading targets one by one.
const READ_CONCURRENCY: usize = 8;

/// The targets of one kind in one project (or in the organization) share a list.
type Collection<'a> = (Kind, Option<&'a str>);

/// What a target reads as now: `None` when it no longer exists.
pub type Current = Option<Value>;

/// Reads every target; the key is the target's index in the plan. An error names what could
/// not be read.
pub async fn read_targets(
    clients: &Clients,
    targets: &[(usize, &PlannedTarget)],
) -> std::result::Result<BTreeMap<usize, Current>, (String, custos_openai::Error)> {
    let mut groups: BTreeMap<Collection<'_>, Vec<(usize, &PlannedTarget)>> = BTreeMap::new();
    for (index, target) in targets {
        groups
            .entry((target.kind, target.project_id.as_deref()))
            .or_default()
            .push((*index, target));
    }
    let mut current = BTreeMap::new();
    for ((kind, project), members) in groups {
        let client = clients.for_kind(kind, project);
        match list_path(kind, project) {
            Some(list) if members.len() >= LIST_FROM || item_path(kind, members[0].1).is_none() => {
                let (path, query) =
                    list.map_err(|e| (format!("the list of {}", kind.snapshot_kind()), e))?;
                let listed = read_list(client, &path, query)
                    .await
                    .map_err(|e| (format!("the list {path}"), e))?;
                let by_id: BTreeMap<String, Value> = listed
                    .into_iter()
                    .filter_map(|item| {
                        let id = item.get("id")?.as_str()?.to_owned();
                        Some((list_target_id(kind, project, &id), item))
                    })
                    .collect();
                for (index, target) in members {
                    current.insert(index, by_id.get(&target.id).cloned());
                }
            }
            _ => {
                let reads = stream::iter(members.into_iter().map(|(index, target)| async move {
                    let read = match item_path(kind, target) {
                        Some(Ok(path)) => read_item(client, &path).await,
                        Some(Err(invalid)) => Err(invalid),
                        // Only kinds with a list have no item path, and they read the list.
                        None => Ok(None),
                    };
                    read.map(|value| (index, value))
                        .map_err(|e| (format!("{} {}", kind.snapshot_kind(), target.id), e))
                }))
                .buffer_unordered(READ_CONCURRENCY)
                .try_collect::<Vec<_>>()
                .await?;
                current.extend(reads);
            }
        }
    }
    Ok(current)
}

/// GET one object; a 404 is `None`.
pub async fn read_item(client: &custos_openai::ReadClient, path: &str) -> Result<Current> {
    match client.get::<Value>(path, &Query::new()).await {
        Ok(value) => Ok(Some(value)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

/// Every item of an id-cursor list.
async fn read_list(
    client: &custos_openai::ReadClient,
    path: &str,
    base: Query,
) -> Result<Vec<Value>> {
    let mut items = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut query = base.clone();
        query.set("limit", 100);
        if let Some(after) = &after {
            query.set("after", after);
        }
        let page: Value = client.get(path, &query).await?;
        let data = page
            .get("data")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let has_more = page.get("has_more").and_then(Value::as_bool) == Some(true);
        let next = data
            .last()
            .and_then(|item| item.get("id"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        items.extend(data);
        match next {
            Some(next) if has_more && after.as_deref() != Some(next.as_str()) => after = Some(next),
            Some(next) if has_more => {
                return Err(custos_openai::Error::RepeatingCursor {
                    path: path.to_owned(),
                    cursor: next,
                });
            }
            None if has_more => {
                return Err(custos_openai::Error::EmptyPageWithMore {
                    path: path.to_owned(),
                });
            }
            _ => return Ok(items),
        }
    }
}

/// Where one object is read, if it can be read alone; refused when an id cannot name one
/// object.
fn item_path(kind: Kind, target: &PlannedTarget) -> Option<Result<String>> {
    let info = kind.info();
    let op = info.retrieve?;
    let project = target.project_id.as_deref();
    Some(op.fill(&info.path_ids(op, project, &target.id)))
}

/// The list that holds a kind's objects, if it has one.
fn list_path(kind: Kind, project: Option<&str>) -> Option<Result<(String, Query)>> {
    let op = kind.info().list?;
    let mut query = Query::new();
    match kind {
        Kind::Project => {
            query.set("include_archived", true);
        }
        Kind::ProjectApiKey => {
            // By default the API lists only keys whose owner still has access: a key absent
            // from that list is not gone.
            query.set("owner_project_access", "any");
        }
        _ => {}
    }
    let ids: Vec<&str> = project.into_iter().take(op.placeholders()).collect();
    Some(op.fill(&ids).map(|path| (path, query)))
}

/// The snapshot id of a listed item (memberships are `project/item`).
fn list_target_id(kind: Kind, project: Option<&str>, id: &str) -> String {
    match project {
        Some(project) => kind.info().record_id(project, id),
        None => id.to_owned(),
    }
}
