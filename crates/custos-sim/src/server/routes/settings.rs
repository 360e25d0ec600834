//! Settings singletons: data retention (organization and project), project model permissions
//! and hosted-tool permissions, and project rate limits. An unset singleton (`null` in the
//! scenario) does not exist: its GET answers 404.

use super::{Ids, deleted, doc, singleton};
use crate::server::Simulator;
use crate::server::audit::Event;
use crate::server::auth::Admin;
use crate::server::body::Body;
use crate::server::error::ApiError;
use crate::server::paging::{Cursor, ListSpec, id_list, write_doc};
use crate::server::query::Params;
use crate::server::reply::Reply;
use crate::server::state::normalize::HOSTED_TOOLS;
use crate::server::state::{Doc, Scope};
use axum::Router;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use serde_json::{Map, json};

/// Retention types an organization accepts; projects also take the first two.
const PROJECT_RETENTION: &[&str] = &[
    "organization_default",
    "none",
    "zero_data_retention",
    "modified_abuse_monitoring",
    "enhanced_zero_data_retention",
    "enhanced_modified_abuse_monitoring",
];

/// Fields of `ProjectRateLimitUpdateRequest`.
const RATE_LIMIT_FIELDS: [&str; 6] = [
    "max_requests_per_1_minute",
    "max_tokens_per_1_minute",
    "max_images_per_1_minute",
    "max_audio_megabytes_per_1_minute",
    "max_requests_per_1_day",
    "batch_1_day_max_input_tokens",
];

const RATE_LIMITS: ListSpec = ListSpec::ID.limit(100, 1, 100).with_before();

pub(super) fn routes(router: Router<Simulator>) -> Router<Simulator> {
    const PROJECT: &str = "/v1/organization/projects/{project_id}";
    router
        .route(
            "/v1/organization/data_retention",
            get(retention).post(set_retention),
        )
        .route(
            &format!("{PROJECT}/data_retention"),
            get(retention).post(set_retention),
        )
        .route(
            &format!("{PROJECT}/model_permissions"),
            get(model_permissions)
                .post(set_model_permissions)
                .delete(remove_model_permissions),
        )
        .route(
            &format!("{PROJECT}/hosted_tool_permissions"),
            get(hosted_tools).post(set_hosted_tools),
        )
        .route(&format!("{PROJECT}/rate_limits"), get(list_rate_limits))
        .route(
            &format!("{PROJECT}/rate_limits/{{rate_limit_id}}"),
            post(modify_rate_limit),
        )
}

async fn retention(State(sim): State<Simulator>, admin: Admin, ids: Ids) -> Reply {
    singleton(&sim, &admin, &ids, "data retention setting", |c| {
        c.data_retention.as_ref()
    })
}

async fn set_retention(State(sim): State<Simulator>, admin: Admin, ids: Ids, body: Body) -> Reply {
    let scope = ids.scope();
    let allowed = match scope {
        Scope::Org => &PROJECT_RETENTION[2..],
        Scope::Project(_) => PROJECT_RETENTION,
    };
    let kind = body.required_choice("retention_type", allowed)?;
    sim.write(&admin, |org, ctx| {
        let mut fields = Map::new();
        fields.insert("object".into(), scope.tag("data_retention").into());
        fields.insert("type".into(), kind.into());
        let setting = Doc::new("", fields);
        let answer = doc(&setting);
        org.controls_mut(scope)?.data_retention = Some(setting);
        ctx.log(Event::updated(
            &org.id,
            scope,
            json!({"data_retention": kind}),
        ));
        answer
    })
}

async fn model_permissions(
    State(sim): State<Simulator>,
    admin: Admin,
    Path(project_id): Path<String>,
) -> Reply {
    sim.read(admin.org, |org| {
        doc(org
            .project(&project_id)?
            .model_permissions
            .as_ref()
            .ok_or_else(|| ApiError::not_found("model permissions", &project_id))?)
    })
}

async fn set_model_permissions(
    State(sim): State<Simulator>,
    admin: Admin,
    Path(project_id): Path<String>,
    body: Body,
) -> Reply {
    let mode = body.required_choice("mode", &["allow_list", "deny_list"])?;
    let model_ids = body.required_strings("model_ids")?;
    let scope = Scope::Project(&project_id);
    sim.write(&admin, |org, ctx| {
        let mut fields = Map::new();
        fields.insert("object".into(), "project.model_permissions".into());
        fields.insert("mode".into(), mode.into());
        fields.insert("model_ids".into(), model_ids.clone().into());
        let permissions = Doc::new("", fields);
        let answer = doc(&permissions);
        org.project_mut(&project_id)?.model_permissions = Some(permissions);
        let changes = json!({"model_permissions": {"mode": mode, "model_ids": model_ids}});
        ctx.log(Event::updated(&org.id, scope, changes));
        answer
    })
}

async fn remove_model_permissions(
    State(sim): State<Simulator>,
    admin: Admin,
    Path(project_id): Path<String>,
) -> Reply {
    let scope = Scope::Project(&project_id);
    sim.write(&admin, |org, ctx| {
        org.project_mut(&project_id)?
            .model_permissions
            .take()
            .ok_or_else(|| ApiError::not_found("model permissions", &project_id))?;
        ctx.log(Event::updated(
            &org.id,
            scope,
            json!({"model_permissions": null}),
        ));
        deleted("project.model_permissions.deleted", None)
    })
}

async fn hosted_tools(
    State(sim): State<Simulator>,
    admin: Admin,
    Path(project_id): Path<String>,
) -> Reply {
    sim.read(admin.org, |org| {
        doc(&org.project(&project_id)?.hosted_tools)
    })
}

async fn set_hosted_tools(
    State(sim): State<Simulator>,
    admin: Admin,
    Path(project_id): Path<String>,
    body: Body,
) -> Reply {
    let mut changes = Map::new();
    for tool in HOSTED_TOOLS {
        if let Some(update) = body.nested(tool)? {
            let enabled = update.read(|b| {
                b.bool("enabled")?
                    .ok_or_else(|| crate::server::body::missing("enabled"))
            })?;
            changes.insert(tool.into(), json!({"enabled": enabled}));
        }
    }
    let scope = Scope::Project(&project_id);
    sim.write(&admin, |org, ctx| {
        let project = org.project_mut(&project_id)?;
        project
            .hosted_tools
            .update(|fields| fields.extend(changes.clone()));
        let answer = doc(&project.hosted_tools);
        let requested = json!({"hosted_tool_permissions": changes});
        ctx.log(Event::updated(&org.id, scope, requested));
        answer
    })
}

async fn list_rate_limits(
    State(sim): State<Simulator>,
    admin: Admin,
    Path(project_id): Path<String>,
    params: Params,
) -> Reply {
    let cursor = Cursor::parse(&params, RATE_LIMITS)?;
    sim.read(admin.org, |org| {
        let page = org
            .project(&project_id)?
            .rate_limits
            .page(&cursor, |_| true)?;
        Ok(id_list(&page, write_doc))
    })
}

async fn modify_rate_limit(
    State(sim): State<Simulator>,
    admin: Admin,
    Path((project_id, rate_limit_id)): Path<(String, String)>,
    body: Body,
) -> Reply {
    let mut changes = Map::new();
    for field in RATE_LIMIT_FIELDS {
        if let Some(value) = body.int_in(field, 0, i64::MAX)? {
            changes.insert(field.into(), value.into());
        }
    }
    sim.write(&admin, |org, ctx| {
        let project = org.project_mut(&project_id)?;
        project.ensure_active()?;
        let limit = project
            .rate_limits
            .get_mut(&rate_limit_id)
            .ok_or_else(|| ApiError::not_found("rate limit", &rate_limit_id))?;
        limit.update(|fields| fields.extend(changes.clone()));
        let answer = doc(limit);
        ctx.log(
            Event::new(
                "rate_limit.updated",
                json!({"id": rate_limit_id, "changes_requested": changes}),
            )
            .in_project(&project_id),
        );
        answer
    })
}
