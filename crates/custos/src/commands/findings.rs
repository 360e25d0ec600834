//! `custos findings` and `custos policies`: what the policies found, in every output format,
//! and what the policies are.

use super::context;
use super::output;
use crate::cli::{FindingFormat, FindingsAction, FindingsArgs, PoliciesCommand};
use anyhow::bail;
use custos_app::findings::{Finding, FindingsQuery, list_findings};
use custos_app::formats;
use std::process::ExitCode;

/// Exit code when `--fail-on` finds an open finding at or above its level.
const EXIT_FINDINGS: u8 = 3;
/// Exit code when `--fail-on` finds none, but an organization has no complete scan: what was
/// not read may hold findings, so the answer is not "clean".
const EXIT_INCOMPLETE: u8 = 4;

pub async fn run(args: FindingsArgs) -> anyhow::Result<ExitCode> {
    if let Some(action) = args.action {
        return lifecycle(action).await;
    }
    let config = context::load_config(&args.evaluation.config)?;
    let store = context::open_store_read_only(&args.evaluation.store).await?;
    context::warn_policy_errors(&config);
    let fail_on = args.fail_on;
    let query = FindingsQuery {
        orgs: args.evaluation.org.id.iter().cloned().collect(),
        as_of: args.evaluation.as_of.time,
        min_severity: args.severity,
        policies: args.policy.clone(),
        project: args.project.clone(),
        status: args.status,
    };
    let list = list_findings(&config, store.as_ref(), &query).await?;
    print(&list.findings, args.format)?;
    for org in &list.incomplete {
        eprintln!(
            "warning: organization {org} has no complete scan: endpoints were not read, so these findings are not the whole picture (see `custos scans`)"
        );
    }
    let breach = fail_on.is_some_and(|level| list.open_failure_at_or_above(level));
    Ok(if breach {
        ExitCode::from(EXIT_FINDINGS)
    } else if let Some(unread) = list.unread().filter(|_| fail_on.is_some()) {
        eprintln!("--fail-on: {unread}: cannot say nothing is at or above the level");
        ExitCode::from(EXIT_INCOMPLETE)
    } else {
        ExitCode::SUCCESS
    })
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
            let org = context::org_of_store(store.as_ref(), id.org.id.as_deref()).await?;
            let now = super::now_unix();
            let until = custos_app::findings::suppression_end(until, now, "--until")?;
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
            let org = context::org_of_store(store.as_ref(), id.org.id.as_deref()).await?;
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

pub fn print(findings: &[Finding], format: FindingFormat) -> anyhow::Result<()> {
    let version = env!("CARGO_PKG_VERSION");
    match format {
        FindingFormat::Json => println!("{}", serde_json::to_string_pretty(findings)?),
        FindingFormat::Ocsf => println!(
            "{}",
            serde_json::to_string_pretty(&formats::ocsf(findings, version))?
        ),
        FindingFormat::Sarif => println!(
            "{}",
            serde_json::to_string_pretty(&formats::sarif(findings, version))?
        ),
        FindingFormat::Csv => print!("{}", formats::csv(findings)?),
        FindingFormat::Table => {
            let (header, rows) = formats::finding_rows(findings, false);
            println!("{}", output::table(&header, &rows));
        }
    }
    Ok(())
}

pub async fn policies(command: PoliciesCommand) -> anyhow::Result<ExitCode> {
    match command {
        PoliciesCommand::List { config } => {
            let config = context::load_config(&config)?;
            context::warn_policy_errors(&config);
            let registry = config.registry();
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
            let config = context::load_config(&config)?;
            context::warn_policy_errors(&config);
            let Some(check) = config.registry().get(&id) else {
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
