//! `custos findings` and `custos policies`: what the policies found, in every output format,
//! and what the policies are.

use super::context;
use super::evaluate;
use super::finding_formats;
use super::output;
use crate::cli::{FindingFormat, FindingsAction, FindingsArgs, PoliciesCommand};
use anyhow::bail;
use custos_policy::{Keep, Outcome, Registry, Severity};
use serde::Serialize;
use std::collections::HashMap;
use std::process::ExitCode;

/// Exit code when `--fail-on` finds an open finding at or above its level.
const EXIT_FINDINGS: u8 = 3;
/// Exit code when `--fail-on` finds none, but an organization has no complete scan: what was
/// not read may hold findings, so the answer is not "clean".
const EXIT_INCOMPLETE: u8 = 4;

/// A control a finding maps to.
#[derive(Debug, Clone, Serialize)]
pub struct ControlRef {
    pub framework: String,
    pub id: String,
}

/// One finding or indeterminate result, as the JSON contract has it (`docs/cli.md` "Findings as
/// JSON").
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub policy_id: String,
    pub title: String,
    pub severity: String,
    pub status: String,
    pub result: String,
    pub org_id: String,
    pub resource_kind: String,
    pub resource_id: String,
    pub project_id: Option<String>,
    pub message: String,
    pub evidence: serde_json::Value,
    pub first_seen: String,
    pub last_seen: String,
    pub controls: Vec<ControlRef>,
    pub remediation: String,
    #[serde(skip)]
    pub first_seen_unix: i64,
    #[serde(skip)]
    pub last_seen_unix: i64,
    #[serde(skip)]
    pub severity_rank: Severity,
}

impl Finding {
    /// A recorded finding.
    pub fn from_record(registry: &Registry, r: &custos_store::FindingRecord) -> Finding {
        let meta = registry.get(&r.policy_id).map(|c| c.meta());
        Finding {
            policy_id: r.policy_id.clone(),
            title: r.title.clone(),
            severity: r.severity.clone(),
            status: r.status.to_string(),
            result: r.result.clone(),
            org_id: r.org_id.clone(),
            resource_kind: r.resource_kind.clone(),
            resource_id: r.resource_id.clone(),
            project_id: r.project_id.clone(),
            message: r.message.clone(),
            evidence: r.evidence.clone(),
            first_seen: output::time(Some(r.first_seen)),
            last_seen: output::time(Some(r.last_seen)),
            controls: controls(meta),
            remediation: meta.map_or_else(String::new, |m| m.remediation.to_owned()),
            first_seen_unix: r.first_seen,
            last_seen_unix: r.last_seen,
            severity_rank: r.severity.parse().unwrap_or(Severity::Info),
        }
    }

    /// A finding from an outcome that did not pass, with its lifecycle times.
    pub fn from_outcome(
        registry: &Registry,
        org_id: &str,
        outcome: &Outcome,
        status: &str,
        first_seen: i64,
        last_seen: i64,
    ) -> Finding {
        let meta = registry.get(outcome.policy_id).map(|c| c.meta());
        Finding {
            policy_id: outcome.policy_id.to_string(),
            title: meta.map_or_else(String::new, |m| m.title.to_owned()),
            severity: outcome.severity.to_string(),
            status: status.to_owned(),
            result: evaluate::verdict_name(outcome.result).to_owned(),
            org_id: org_id.to_owned(),
            resource_kind: outcome.resource_kind.to_string(),
            resource_id: outcome.resource_id.clone(),
            project_id: outcome.project_id.clone(),
            message: outcome.message.clone(),
            evidence: outcome.evidence.to_value(),
            first_seen: output::time(Some(first_seen)),
            last_seen: output::time(Some(last_seen)),
            controls: controls(meta),
            remediation: meta.map_or_else(String::new, |m| m.remediation.to_owned()),
            first_seen_unix: first_seen,
            last_seen_unix: last_seen,
            severity_rank: outcome.severity,
        }
    }
}

fn controls(meta: Option<&custos_policy::PolicyMeta>) -> Vec<ControlRef> {
    meta.map(|m| {
        m.controls
            .iter()
            .map(|c| ControlRef {
                framework: c.framework.to_owned(),
                id: c.id.to_owned(),
            })
            .collect()
    })
    .unwrap_or_default()
}

/// Most severe first, then by policy, organization and resource: the order every format uses.
pub fn sort(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        (a.severity_rank, &a.policy_id, &a.org_id, &a.resource_id).cmp(&(
            b.severity_rank,
            &b.policy_id,
            &b.org_id,
            &b.resource_id,
        ))
    });
}

pub async fn run(args: FindingsArgs) -> anyhow::Result<ExitCode> {
    if let Some(action) = args.action {
        return lifecycle(action).await;
    }
    let config = context::load_config(&args.config)?;
    let store = context::open_store_read_only(&args.store).await?;
    let registry = evaluate::registry(&config)?;
    let min_severity = parse_severity(args.severity.as_deref(), "--severity")?;
    let fail_on = parse_severity(args.fail_on.as_deref(), "--fail-on")?;
    let status = args.status.clone().unwrap_or_else(|| "open".to_owned());
    if !["open", "resolved", "suppressed", "all"].contains(&status.as_str()) {
        bail!("--status {status:?}: give open, resolved, suppressed or all");
    }
    let orgs = context::orgs_or_all(store.as_ref(), args.org.as_deref()).await?;
    let mut findings = Vec::new();
    let mut incomplete = Vec::new();
    for org in &orgs {
        let scans = store.scans(Some(org)).await?;
        if !scans
            .iter()
            .any(|s| s.status == custos_store::ScanStatus::Complete)
        {
            incomplete.push(org.as_str());
        }
        let stored = store.findings(Some(org)).await?;
        match args.as_of {
            // The recorded lifecycle, as the scans left it.
            None => findings.extend(stored.iter().map(|r| Finding::from_record(&registry, r))),
            // A fresh evaluation of the latest scan at another time; lifecycle times come from
            // the record where the finding is known.
            Some(as_of) => {
                let Some(run) = store.latest_scan(org).await? else {
                    continue;
                };
                let by_identity: HashMap<(&str, &str), _> = stored
                    .iter()
                    .map(|r| ((r.policy_id.as_str(), r.resource_id.as_str()), r))
                    .collect();
                let outcomes = evaluate::evaluate_scan(
                    store.as_ref(),
                    &registry,
                    &config,
                    &run,
                    as_of,
                    Keep::Findings,
                )
                .await?;
                for outcome in outcomes {
                    let known = by_identity
                        .get(&(outcome.policy_id, outcome.resource_id.as_str()))
                        .copied();
                    let (first, last) = known.map_or((as_of, as_of), |r| (r.first_seen, as_of));
                    let status = known
                        .filter(|r| r.suppression.as_ref().is_some_and(|s| s.applies_at(as_of)))
                        .map_or("open", |_| "suppressed");
                    findings.push(Finding::from_outcome(
                        &registry, org, &outcome, status, first, last,
                    ));
                }
            }
        }
    }
    findings.retain(|f| {
        min_severity.is_none_or(|min| f.severity_rank <= min)
            && (args.policy.is_empty() || args.policy.contains(&f.policy_id))
            && args
                .project
                .as_ref()
                .is_none_or(|p| f.project_id.as_ref() == Some(p))
            && (status == "all" || status == f.status)
    });
    sort(&mut findings);
    print(&findings, args.format)?;
    for org in &incomplete {
        eprintln!(
            "warning: organization {org} has no complete scan: endpoints were not read, so these findings are not the whole picture (see `custos scans`)"
        );
    }
    let breach = fail_on.is_some_and(|level| {
        findings
            .iter()
            .any(|f| f.status == "open" && f.result == "fail" && f.severity_rank <= level)
    });
    Ok(if breach {
        ExitCode::from(EXIT_FINDINGS)
    } else if fail_on.is_some() && (orgs.is_empty() || !incomplete.is_empty()) {
        let unread = if orgs.is_empty() {
            "no organization has been scanned".to_owned()
        } else {
            format!("no complete scan of {}", incomplete.join(", "))
        };
        eprintln!("--fail-on: {unread}: cannot say nothing is at or above the level");
        ExitCode::from(EXIT_INCOMPLETE)
    } else {
        ExitCode::SUCCESS
    })
}

/// The longest a suppression may last: a finding accepted for good is re-examined at least
/// once a year.
const MAX_SUPPRESSION_DAYS: i64 = 365;
/// How long a suppression lasts when `--until` is not given.
const DEFAULT_SUPPRESSION_DAYS: i64 = 90;

/// `--until` as Unix seconds: after `now`, at most [`MAX_SUPPRESSION_DAYS`] ahead.
fn suppression_end(until: Option<i64>, now: i64) -> anyhow::Result<i64> {
    let Some(end) = until else {
        return Ok(now + DEFAULT_SUPPRESSION_DAYS * 86_400);
    };
    let shown = output::time(Some(end));
    if end <= now {
        bail!(
            "--until {shown} is in the past: give a date after now, at most {MAX_SUPPRESSION_DAYS} days ahead"
        );
    }
    if end - now > MAX_SUPPRESSION_DAYS * 86_400 {
        bail!(
            "--until {shown} is more than {MAX_SUPPRESSION_DAYS} days ahead: suppress for at most {MAX_SUPPRESSION_DAYS} days, and again then if the finding is still accepted"
        );
    }
    Ok(end)
}

/// The principal who changes a finding's lifecycle: signed in, an operator or above.
async fn lifecycle_author(
    store: &dyn custos_store::Store,
    auth: &super::users::AuthArgs,
    what: &'static str,
) -> anyhow::Result<String> {
    let principal = super::users::authenticate(store, auth.token_file.as_deref()).await?;
    custos_actions::principal::require(&principal, custos_store::PrincipalRole::Operator, what)?;
    Ok(principal.record.name)
}

async fn lifecycle(action: FindingsAction) -> anyhow::Result<ExitCode> {
    match action {
        FindingsAction::Suppress {
            id,
            reason,
            until,
            auth,
        } => {
            let store = context::open_store(&auth.store).await?;
            let author = lifecycle_author(&*store, &auth, "suppress findings").await?;
            let org = context::org_of_store(store.as_ref(), id.org.as_deref()).await?;
            let now = super::now_unix();
            let until = suppression_end(until, now)?;
            let suppression = custos_store::Suppression {
                reason,
                author,
                at: now,
                until: Some(until),
            };
            store
                .suppress_finding(&org, &id.policy, &id.resource, &suppression)
                .await?;
            println!(
                "suppressed {} on {} in {org} until {}",
                id.policy,
                id.resource,
                output::time(Some(until))
            );
        }
        FindingsAction::Unsuppress { id, auth } => {
            let store = context::open_store(&auth.store).await?;
            let author = lifecycle_author(&*store, &auth, "lift suppressions").await?;
            let org = context::org_of_store(store.as_ref(), id.org.as_deref()).await?;
            store
                .unsuppress_finding(&org, &id.policy, &id.resource, super::now_unix(), &author)
                .await?;
            println!(
                "lifted the suppression of {} on {} in {org}",
                id.policy, id.resource
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn parse_severity(text: Option<&str>, flag: &str) -> anyhow::Result<Option<Severity>> {
    text.map(|t| {
        t.parse::<Severity>().map_err(|_| {
            anyhow::anyhow!("{flag} {t:?}: give one of critical, high, medium, low, info")
        })
    })
    .transpose()
}

pub fn print(findings: &[Finding], format: FindingFormat) -> anyhow::Result<()> {
    let version = env!("CARGO_PKG_VERSION");
    match format {
        FindingFormat::Json => println!("{}", serde_json::to_string_pretty(findings)?),
        FindingFormat::Ocsf => println!(
            "{}",
            serde_json::to_string_pretty(&finding_formats::ocsf(findings, version))?
        ),
        FindingFormat::Sarif => println!(
            "{}",
            serde_json::to_string_pretty(&finding_formats::sarif(findings, version))?
        ),
        FindingFormat::Table | FindingFormat::Csv => {
            let table = format == FindingFormat::Table;
            let mut header = vec![
                "severity", "policy", "result", "status", "org", "resource", "project", "message",
            ];
            if !table {
                header.extend(["first seen", "last seen"]);
            }
            let rows: Vec<Vec<String>> = findings
                .iter()
                .map(|f| {
                    let mut row = vec![
                        f.severity.clone(),
                        f.policy_id.clone(),
                        f.result.clone(),
                        f.status.clone(),
                        f.org_id.clone(),
                        format!("{} {}", f.resource_kind, f.resource_id),
                        f.project_id.clone().unwrap_or_default(),
                        f.message.clone(),
                    ];
                    if !table {
                        row.extend([f.first_seen.clone(), f.last_seen.clone()]);
                    }
                    row
                })
                .collect();
            let format = if table {
                crate::cli::Format::Table
            } else {
                crate::cli::Format::Csv
            };
            output::print(format, &header, &rows, &rows)?;
        }
    }
    Ok(())
}

pub async fn policies(command: PoliciesCommand) -> anyhow::Result<ExitCode> {
    match command {
        PoliciesCommand::List { config } => {
            let registry = evaluate::registry(&context::load_config(&config)?)?;
            let rows: Vec<Vec<String>> = registry
                .checks()
                .map(|c| {
                    let m = c.meta();
                    vec![
                        m.id.to_owned(),
                        m.severity.to_string(),
                        m.resource_kind.to_owned(),
                        m.needs
                            .iter()
                            .map(|n| format!("{n:?}").to_lowercase())
                            .collect::<Vec<_>>()
                            .join(", "),
                        m.title.to_owned(),
                    ]
                })
                .collect();
            println!(
                "{}",
                output::table(&["id", "severity", "resource", "needs", "title"], &rows)
            );
        }
        PoliciesCommand::Show { id, config } => {
            let registry = evaluate::registry(&context::load_config(&config)?)?;
            let Some(check) = registry.get(&id) else {
                bail!("no policy {id:?}: `custos policies list` names them");
            };
            let m = check.meta();
            println!("{} ({}, {})\n{}\n", m.id, m.severity, m.category, m.title);
            println!(
                "resource: {}\nfires when: {}\n",
                m.resource_kind, m.description
            );
            if !m.params.is_empty() {
                println!("parameters:");
                for p in m.params {
                    println!("  {} = {}  {}", p.name, p.default, p.doc);
                }
                println!();
            }
            println!("remediation: {}\n", m.remediation);
            let controls: Vec<String> = m
                .controls
                .iter()
                .map(|c| format!("{} {}", c.framework, c.id))
                .collect();
            println!("controls: {}", controls.join(", "));
        }
        PoliciesCommand::Validate { dir } => {
            let (policies, errors) = custos_policy::custom::load_dir(&dir);
            for error in &errors {
                eprintln!("{error}");
            }
            println!(
                "{}: {} polic{} valid, {} error(s)",
                dir.display(),
                policies.len(),
                if policies.len() == 1 { "y" } else { "ies" },
                errors.len()
            );
            if !errors.is_empty() {
                return Ok(ExitCode::from(1));
            }
        }
        PoliciesCommand::Test { dir } => {
            let report = custos_policy::custom::run_tests(&dir);
            println!("{report}");
            if !report.passed() {
                return Ok(ExitCode::from(1));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
