//! The JSON API under `/api/v1`, each handler a call into custos-app with the contract of the
//! matching command: `GET findings` answers the elements of `custos findings --format json`,
//! `GET scans` those of `custos scans --format json`, `GET inventory/{kind}` those of
//! `custos inventory show KIND --format json`.

use crate::AppState;
use crate::auth::{Operator, Signed, Viewer};
use crate::paging::{self, Params};
use crate::problem::Problem;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use custos_app::findings::{
    ControlRef, Finding, FindingsQuery, StatusFilter, list_findings, suppression_end,
};
use custos_app::formats;
use custos_model::kind::Kind;
use custos_policy::Severity;
use custos_store::{FindingRecord, ObjectRecord, ScanRun, Suppression};
use serde::{Deserialize, Serialize};
use utoipa::OpenApi;

const JSON: &str = "application/json";
const VERSION: &str = env!("CARGO_PKG_VERSION");

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/findings", get(findings))
        .route("/findings/{id}/suppress", post(suppress))
        .route("/findings/{id}/unsuppress", post(unsuppress))
        .route("/scans", get(scans).post(start_scans))
        .route("/inventory/{kind}", get(inventory))
        .route("/policies", get(policies))
        .route("/openapi.json", get(openapi))
}

/// The formats `GET findings` answers in.
#[derive(Debug, Clone, Copy)]
enum FindingsFormat {
    Json,
    Ocsf,
    Sarif,
    Csv,
}

impl FindingsFormat {
    fn parse(text: &str) -> Result<FindingsFormat, String> {
        Ok(match text {
            "json" => FindingsFormat::Json,
            "ocsf" => FindingsFormat::Ocsf,
            "sarif" => FindingsFormat::Sarif,
            "csv" => FindingsFormat::Csv,
            _ => return Err("give json, ocsf, sarif or csv".to_owned()),
        })
    }
}

const FINDINGS_PARAMS: &[&str] = &[
    "as_of", "org", "severity", "policy", "project", "status", "format", "limit", "cursor",
];

/// Findings, in the order of `custos findings`: the recorded lifecycle, or with `as_of` the
/// latest scans evaluated afresh at that time. Paged: follow the `Link` header's `next`.
/// Organizations without a complete scan are named in the `Custos-Incomplete` header.
#[utoipa::path(
    get,
    path = "/api/v1/findings",
    params(
        paging::PageParams,
        ("as_of" = Option<String>, Query, description = "Evaluate at this time (RFC 3339 or a date) instead of the scan's"),
        ("org" = Option<String>, Query, description = "Only this organization"),
        ("severity" = Option<String>, Query, description = "At least this severe: critical, high, medium, low, info"),
        ("policy" = Option<String>, Query, description = "Only these policies, comma-separated"),
        ("project" = Option<String>, Query, description = "Only findings in this project"),
        ("status" = Option<String>, Query, description = "open (default), resolved, suppressed or all"),
        ("format" = Option<String>, Query, description = "json (default), ocsf, sarif or csv; each page a whole document"),
    ),
    responses(
        (status = 200, description = "A page of findings", body = [Finding]),
        (status = 400, description = "A bad parameter, named", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or a bad token", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
async fn findings(
    _: Signed<Viewer>,
    State(shared): State<AppState>,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, Problem> {
    let params = Params::parse(&uri, FINDINGS_PARAMS)?;
    let query = FindingsQuery {
        orgs: params
            .parsed("org", |t| {
                custos_config::check_organization_id(t).map(|()| t.to_owned())
            })?
            .into_iter()
            .collect(),
        as_of: params.parsed("as_of", custos_model::unix::parse_time)?,
        min_severity: params.parsed("severity", |t| {
            t.parse::<Severity>()
                .map_err(|_| "give one of critical, high, medium, low, info".to_owned())
        })?,
        policies: params
            .get("policy")
            .map(|t| t.split(',').map(str::to_owned).collect())
            .unwrap_or_default(),
        project: params.get("project").map(str::to_owned),
        status: params
            .parsed("status", |t| {
                t.parse::<StatusFilter>()
                    .map_err(|_| "give open, resolved, suppressed or all".to_owned())
            })?
            .unwrap_or(StatusFilter::Open),
    };
    let format = params
        .parsed("format", FindingsFormat::parse)?
        .unwrap_or(FindingsFormat::Json);
    let permit = shared
        .lists
        .acquire()
        .await
        .map_err(|e| Problem::internal(&e))?;
    let list = list_findings(&shared.config, shared.store.as_ref(), &query).await?;
    drop(permit);
    let page = paging::page(&list.findings, &params, finding_key, parse_finding_key)?;
    let (content_type, body) = match format {
        FindingsFormat::Json => (JSON, json(&page.items)?),
        FindingsFormat::Ocsf => (JSON, json(&formats::ocsf(page.items, VERSION))?),
        FindingsFormat::Sarif => (
            "application/sarif+json",
            json(&formats::sarif(page.items, VERSION))?,
        ),
        FindingsFormat::Csv => (
            "text/csv; charset=utf-8",
            formats::csv(page.items).map_err(|e| Problem::internal(&e))?,
        ),
    };
    let mut response = page.respond(&uri, content_type, body);
    if !list.incomplete.is_empty()
        && let Ok(value) = HeaderValue::from_str(&list.incomplete.join(", "))
    {
        response.headers_mut().insert("custos-incomplete", value);
    }
    Ok(response)
}

/// The sort key of a finding (`custos_app::findings::sort`) and its text.
fn finding_key(f: &Finding) -> ((Severity, String, String, String), Vec<String>) {
    (
        (
            f.severity_rank,
            f.policy_id.clone(),
            f.org_id.clone(),
            f.resource_id.clone(),
        ),
        vec![
            f.severity_rank.to_string(),
            f.policy_id.clone(),
            f.org_id.clone(),
            f.resource_id.clone(),
        ],
    )
}

fn parse_finding_key(parts: &[String]) -> Option<(Severity, String, String, String)> {
    let [severity, policy, org, resource] = parts else {
        return None;
    };
    Some((
        severity.parse().ok()?,
        policy.clone(),
        org.clone(),
        resource.clone(),
    ))
}

fn json<T: Serialize + ?Sized>(value: &T) -> Result<String, Problem> {
    serde_json::to_string(value).map_err(|e| Problem::internal(&e))
}

/// A suppression: why, and until when (RFC 3339 or a date; at most 365 days ahead, 90 days
/// when absent).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct SuppressBody {
    reason: String,
    until: Option<String>,
}

/// The finding whose id (`formats::identity_uid`, the OCSF `finding_info.uid`) is `id`.
async fn finding_by_id(shared: &AppState, id: &str) -> Result<FindingRecord, Problem> {
    shared
        .store
        .findings(None)
        .await?
        .into_iter()
        .find(|f| formats::identity_uid(&f.policy_id, &f.org_id, &f.resource_id) == id)
        .ok_or_else(|| {
            Problem::new(
                StatusCode::NOT_FOUND,
                format!("no finding has the id {id:?}: it is the finding_info.uid of GET findings?format=ocsf"),
            )
        })
}

/// Accept a finding for a while: it stays recorded but is not listed as open. The author is
/// the signed-in operator.
#[utoipa::path(
    post,
    path = "/api/v1/findings/{id}/suppress",
    params(("id" = String, Path, description = "The finding's id: finding_info.uid of format=ocsf")),
    request_body = SuppressBody,
    responses(
        (status = 204, description = "Suppressed"),
        (status = 400, description = "A bad body", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an operator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such finding", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
async fn suppress(
    signed: Signed<Operator>,
    State(shared): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<StatusCode, Problem> {
    let body: SuppressBody = serde_json::from_slice(&body).map_err(|e| {
        Problem::bad_parameter("body", format!("the body is not a suppression: {e}"))
    })?;
    let until = body
        .until
        .as_deref()
        .map(custos_model::unix::parse_time)
        .transpose()
        .map_err(|why| Problem::bad_parameter("until", why))?;
    let now = crate::now_unix();
    let until = suppression_end(until, now, "until")
        .map_err(|e| Problem::bad_parameter("until", e.to_string()))?;
    let finding = finding_by_id(&shared, &id).await?;
    let suppression = Suppression {
        reason: body.reason,
        author: signed.principal.name,
        at: now,
        until: Some(until),
    };
    shared
        .store
        .suppress_finding(
            &finding.org_id,
            &finding.policy_id,
            &finding.resource_id,
            &suppression,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Lift a finding's suppression.
#[utoipa::path(
    post,
    path = "/api/v1/findings/{id}/unsuppress",
    params(("id" = String, Path, description = "The finding's id: finding_info.uid of format=ocsf")),
    responses(
        (status = 204, description = "The suppression is lifted"),
        (status = 400, description = "The finding is not suppressed", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an operator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such finding", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
async fn unsuppress(
    signed: Signed<Operator>,
    State(shared): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    let finding = finding_by_id(&shared, &id).await?;
    shared
        .store
        .unsuppress_finding(
            &finding.org_id,
            &finding.policy_id,
            &finding.resource_id,
            crate::now_unix(),
            &signed.principal.name,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The recorded scans, oldest first, with their status (`complete`, `partial`, `failed`, ...)
/// and endpoints, as `custos scans --format json`.
#[utoipa::path(
    get,
    path = "/api/v1/scans",
    params(
        paging::PageParams,
        ("org" = Option<String>, Query, description = "Only this organization"),
    ),
    responses(
        (status = 200, description = "A page of scans", body = [Object]),
        (status = 401, description = "No or a bad token", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
async fn scans(
    _: Signed<Viewer>,
    State(shared): State<AppState>,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, Problem> {
    let params = Params::parse(&uri, &["org", "limit", "cursor"])?;
    let runs = shared.store.scans(params.get("org")).await?;
    let page = paging::page(
        &runs,
        &params,
        |run: &ScanRun| (run.id, vec![run.id.to_string()]),
        |parts| parts.first()?.parse().ok(),
    )?;
    Ok(page.respond(&uri, JSON, json(page.items)?))
}

/// Which organization to scan now; all of the configuration's when absent.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ScanNow {
    org: Option<String>,
}

/// What `POST scans` queued.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct Queued {
    /// The organizations whose scan was queued (each runs once its running scan, if any, ends).
    queued: Vec<String>,
}

/// Scan now: the scheduler scans the organization (or every one) as soon as it is free.
#[utoipa::path(
    post,
    path = "/api/v1/scans",
    request_body(content = Option<ScanNow>, description = "Empty for every organization"),
    responses(
        (status = 202, description = "Queued", body = Queued),
        (status = 403, description = "Not an operator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The organization is not in the configuration", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "This process does not schedule scans (--api-only)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
async fn start_scans(
    _: Signed<Operator>,
    State(shared): State<AppState>,
    body: Bytes,
) -> Result<Response, Problem> {
    let request: ScanNow = if body.iter().all(u8::is_ascii_whitespace) {
        ScanNow::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            Problem::bad_parameter("body", format!("the body is not a scan request: {e}"))
        })?
    };
    let scheduler = shared.scheduler.as_ref().ok_or_else(|| {
        Problem::new(
            StatusCode::CONFLICT,
            "this server runs with --api-only: the custos serve that schedules scans on this store takes them".to_owned(),
        )
    })?;
    let queued = scheduler.queue(request.org.as_deref())?;
    let mut response = axum::Json(Queued { queued }).into_response();
    *response.status_mut() = StatusCode::ACCEPTED;
    Ok(response)
}

/// The objects of one kind in a snapshot (the organization's latest by default), by id, as
/// `custos inventory show KIND --format json`. A partial scan that could not read every
/// object of the kind says so in the `Custos-Incomplete` header.
#[utoipa::path(
    get,
    path = "/api/v1/inventory/{kind}",
    params(
        paging::PageParams,
        ("kind" = String, Path, description = "An object kind: user, project, project_api_key, ..."),
        ("org" = Option<String>, Query, description = "The organization; optional when the store holds one"),
        ("scan" = Option<i64>, Query, description = "The scan to read (default: the latest)"),
        ("project" = Option<String>, Query, description = "Only objects of this project"),
    ),
    responses(
        (status = 200, description = "A page of objects", body = [Object]),
        (status = 400, description = "A bad parameter, named", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such kind, organization or scan", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
async fn inventory(
    _: Signed<Viewer>,
    State(shared): State<AppState>,
    Path(kind): Path<String>,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, Problem> {
    let params = Params::parse(&uri, &["org", "scan", "project", "limit", "cursor"])?;
    let kind: Kind = kind.parse().map_err(|_| {
        let known: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
        Problem::new(
            StatusCode::NOT_FOUND,
            format!("unknown kind {kind:?}; the kinds are {}", known.join(", ")),
        )
    })?;
    let scan = params.parsed("scan", |t| {
        t.parse::<i64>()
            .ok()
            .filter(|id| *id >= 1)
            .ok_or_else(|| "give a scan id (GET scans lists them)".to_owned())
    })?;
    let store = shared.store.as_ref();
    let org = custos_app::context::org_of_store(store, params.get("org")).await?;
    let read = custos_app::context::kind_objects(store, &org, kind.name(), scan).await?;
    let project = params.get("project");
    let objects: Vec<ObjectRecord> = read
        .objects
        .into_iter()
        .filter(|o| project.is_none() || o.project_id.as_deref() == project)
        .collect();
    let page = paging::page(
        &objects,
        &params,
        |o: &ObjectRecord| (o.id.clone(), vec![o.id.clone()]),
        |parts| parts.first().cloned(),
    )?;
    let mut response = page.respond(&uri, JSON, json(page.items)?);
    let headers = response.headers_mut();
    headers.insert("custos-scan-id", HeaderValue::from(read.run.id));
    if read.incomplete {
        headers.insert("custos-incomplete", HeaderValue::from_static("true"));
    }
    Ok(response)
}

/// Every policy that runs (built-in, and custom ones of the configuration's folder) with its
/// metadata: id, title, severity, resource kind, parameters, remediation, controls.
#[utoipa::path(
    get,
    path = "/api/v1/policies",
    responses(
        (status = 200, description = "The policies", body = [Object]),
        (status = 401, description = "No or a bad token", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
async fn policies(_: Signed<Viewer>, State(shared): State<AppState>) -> Result<Response, Problem> {
    let metas: Vec<_> = shared
        .config
        .registry()
        .checks()
        .map(|c| c.meta())
        .collect();
    Ok(([(header::CONTENT_TYPE, JSON)], json(&metas)?).into_response())
}

/// This document: OpenAPI 3.1, generated from the handlers.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    responses((status = 200, description = "The OpenAPI document", body = Object)),
    security(("bearer" = []))
)]
async fn openapi(_: Signed<Viewer>) -> Result<Response, Problem> {
    Ok(([(header::CONTENT_TYPE, JSON)], json(&document())?).into_response())
}

/// The OpenAPI document of every endpoint.
pub(crate) fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

#[derive(OpenApi)]
#[openapi(
    info(title = "custos", description = "Governance for OpenAI organizations: the API of custos serve"),
    paths(
        findings,
        suppress,
        unsuppress,
        scans,
        start_scans,
        inventory,
        policies,
        openapi,
        crate::healthz,
        crate::readyz,
        crate::metrics::scrape,
    ),
    components(schemas(Finding, ControlRef, Problem, SuppressBody, ScanNow, Queued)),
    modifiers(&BearerToken)
)]
struct ApiDoc;

/// The `bearer` scheme every endpoint but the health checks names.
struct BearerToken;

impl utoipa::Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}
