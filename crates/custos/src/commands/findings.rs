//! `custos findings` and `custos policies`: what the policies found, in every output format,
//! and what the policies are.

use super::context;
use super::evaluate::evaluate_scan;
use super::finding_formats;
use super::output;
use crate::cli::{FindingFormat, FindingsArgs, PoliciesCommand};
use anyhow::bail;
use custos_policy::{Outcome, Registry, Severity, Verdict};
use serde::Serialize;
use std::process::ExitCode;

/// Exit code when `--fail-on` finds an open finding at or above its level.
const EXIT_FINDINGS: u8 = 3;

/// A control a finding maps to.
#[derive(Debug, Clone, Serialize)]
pub struct ControlRef {
    pub framework: String,
    pub id: String,
}

/// One finding or indeterminate result, as the JSON contract (DESIGN.md) has it.
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
    /// A finding from an outcome that did not pass, with its lifecycle times.
    pub fn from_outcome(
        registry: &Registry,
        org_id: &str,
        outcome: &Outcome,
        status: &str,
        first_seen: i64,
        last_seen: i64,
    ) -> Finding {
        let meta = registry.get(&outcome.policy_id).map(|c| c.meta());
        Finding {
            policy_id: outcome.policy_id.to_string(),
            title: meta.map_or_else(String::new, |m| m.title.to_owned()),
            severity: outcome.severity.to_string(),
            status: status.to_owned(),
            result: match outcome.result {
                Verdict::Fail => "fail",
                Verdict::Indeterminate => "indeterminate",
                Verdict::Pass => "pass",
            }
            .to_owned(),
            org_id: org_id.to_owned(),
            resource_kind: outcome.resource_kind.to_string(),
            resource_id: outcome.resource_id.clone(),
            project_id: outcome.project_id.clone(),
            message: outcome.message.clone(),
            evidence: outcome.evidence.clone(),
            first_seen: output::time(Some(first_seen)),
            last_seen: output::time(Some(last_seen)),
            controls: meta
                .map(|m| {
                    m.controls
                        .iter()
                        .map(|c| ControlRef {
                            framework: c.framework.to_owned(),
                            id: c.id.to_owned(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            remediation: meta.map_or_else(String::new, |m| m.remediation.to_owned()),
            first_seen_unix: first_seen,
            last_seen_unix: last_seen,
            severity_rank: outcome.severity,
        }
    }
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
    let config = context::load_config(&args.store)?;
    let store = context::open_store(&args.store).await?;
    let registry = Registry::builtin();
    let min_severity = parse_severity(args.severity.as_deref(), "--severity")?;
    let fail_on = parse_severity(args.fail_on.as_deref(), "--fail-on")?;
    let orgs: Vec<String> = match &args.org {
        Some(org) => vec![org.clone()],
        None => store
            .organizations()
            .await?
            .into_iter()
            .map(|(id, _)| id)
            .collect(),
    };
    let mut findings = Vec::new();
    for org in &orgs {
        let Some(run) = store.latest_scan(org).await? else {
            continue;
        };
        let as_of = match &args.as_of {
            Some(text) => context::as_of(Some(text))?,
            None => run.started_at,
        };
        for outcome in evaluate_scan(store.as_ref(), &config, &run, as_of).await? {
            if outcome.result == Verdict::Pass {
                continue;
            }
            findings.push(Finding::from_outcome(
                &registry, org, &outcome, "open", as_of, as_of,
            ));
        }
    }
    findings.retain(|f| {
        min_severity.is_none_or(|min| f.severity_rank <= min)
            && (args.policy.is_empty() || args.policy.contains(&f.policy_id))
            && args
                .project
                .as_ref()
                .is_none_or(|p| f.project_id.as_ref() == Some(p))
            && args
                .status
                .as_ref()
                .is_none_or(|s| s == "all" || *s == f.status)
    });
    sort(&mut findings);
    print(&findings, args.format)?;
    let breach = fail_on.is_some_and(|level| {
        findings
            .iter()
            .any(|f| f.status == "open" && f.result == "fail" && f.severity_rank <= level)
    });
    Ok(if breach {
        ExitCode::from(EXIT_FINDINGS)
    } else {
        ExitCode::SUCCESS
    })
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
    let registry = Registry::builtin();
    match command {
        PoliciesCommand::List => {
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
        PoliciesCommand::Show { id } => {
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
    }
    Ok(ExitCode::SUCCESS)
}
