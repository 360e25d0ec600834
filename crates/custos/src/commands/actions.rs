//! `custos actions templates|request|approve|reject|execute|list|show|journal verify`: approved
//! remediation and provisioning. Every command acts as the principal of CUSTOS_TOKEN or
//! --token-file; execution uses the organization's read-write key, never the scan's key.

use super::context::{load_config, open_store, org_of_store, read_key, stored_key_name, target};
use super::output;
use super::users::{AuthArgs, authenticate};
use crate::cli::FormatArgs;
use anyhow::{Context, bail};
use custos_actions::{
    Actions, Clients, ExecutionKeys, PlanRequest, SnapshotView, Source, Template,
};
use custos_config::{DEFAULT_BASE_URL, KeySource};
use custos_store::{FindingStatus, Store};
use secrecy::ExposeSecret;
use std::collections::BTreeMap;
use std::process::ExitCode;

#[derive(Debug, clap::Subcommand)]
pub enum ActionsCommand {
    /// List the templates with their parameters and risk.
    Templates,
    /// Plan an action from the latest scan and store it for approval.
    Request(RequestArgs),
    /// Approve a pending action (another principal than the requester, by default an owner
    /// of the target in OpenAI, or the requester's manager for provisioning).
    Approve(DecideArgs),
    /// Reject a pending action.
    Reject(DecideArgs),
    /// Execute (or resume) an approved action with the organization's read-write key.
    Execute(ExecuteArgs),
    /// List actions.
    List(ListArgs),
    /// Show one action: its plan, approvals and calls.
    Show(ShowArgs),
    /// The journal of every request, decision, call and verification.
    Journal {
        #[command(subcommand)]
        command: JournalCommand,
    },
}

#[derive(Debug, clap::Subcommand)]
pub enum JournalCommand {
    /// Check the hash chain: any edit, deletion or reordering is reported. Prints the head
    /// (SEQ:HASH): keep it outside the store and pass it back with --expect, so that a journal
    /// cut short or rewritten by someone who can write to the store is found out too.
    Verify {
        #[command(flatten)]
        auth: AuthArgs,
        /// An anchor printed by an earlier verify, SEQ:HASH (repeatable).
        #[arg(long = "expect", value_name = "SEQ:HASH")]
        expect: Vec<custos_store::JournalAnchor>,
    },
}

#[derive(Debug, clap::Args)]
pub struct RequestArgs {
    #[command(flatten)]
    pub auth: AuthArgs,
    /// The template, e.g. delete-project-key (`custos actions templates`).
    pub template: String,
    /// The object to act on (repeatable), as `custos inventory` shows its id.
    #[arg(long = "target")]
    pub targets: Vec<String>,
    /// Act on one finding: POLICY_ID:RESOURCE_ID.
    #[arg(long)]
    pub finding: Option<String>,
    /// Act on every open finding of this policy, in one request.
    #[arg(long)]
    pub policy: Option<String>,
    /// A template parameter (repeatable): name=value.
    #[arg(long = "param")]
    pub params: Vec<String>,
    /// Why: approvers and auditors read it.
    #[arg(long)]
    pub reason: String,
    #[command(flatten)]
    pub org: crate::cli::OrgArgs,
    /// Hours until the plan expires, up to 30 days.
    #[arg(long, default_value_t = 24, value_parser = clap::value_parser!(i64).range(1..=720))]
    pub ttl_hours: i64,
    #[command(flatten)]
    pub json: crate::cli::JsonArgs,
}

#[derive(Debug, clap::Args)]
pub struct DecideArgs {
    #[command(flatten)]
    pub auth: AuthArgs,
    pub id: i64,
    #[arg(long, default_value = "")]
    pub comment: String,
}

#[derive(Debug, clap::Args)]
pub struct ExecuteArgs {
    #[command(flatten)]
    pub auth: AuthArgs,
    #[command(flatten)]
    pub config: crate::cli::ConfigArgs,
    pub id: i64,
    /// Print the calls that would be sent, and send nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub api: crate::cli::ApiArgs,
    #[command(flatten)]
    pub json: crate::cli::JsonArgs,
}

#[derive(Debug, clap::Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub auth: AuthArgs,
    #[command(flatten)]
    pub org: crate::cli::OrgFilterArgs,
    #[command(flatten)]
    pub output: FormatArgs,
}

#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    #[command(flatten)]
    pub auth: AuthArgs,
    pub id: i64,
    #[command(flatten)]
    pub json: crate::cli::JsonArgs,
}

pub async fn run(cmd: ActionsCommand) -> anyhow::Result<ExitCode> {
    let now = super::now_unix();
    match cmd {
        ActionsCommand::Templates => templates(),
        ActionsCommand::Request(args) => request(args, now).await,
        ActionsCommand::Approve(args) => decide(args, now, true).await,
        ActionsCommand::Reject(args) => decide(args, now, false).await,
        ActionsCommand::Execute(args) => execute(args, now).await,
        ActionsCommand::List(args) => list(args).await,
        ActionsCommand::Show(args) => show(args).await,
        ActionsCommand::Journal {
            command: JournalCommand::Verify { auth, expect },
        } => {
            let store = open_store(&auth.store).await?;
            let anchor = auth.anchor()?;
            authenticate(&*store, auth.token_file.as_deref()).await?;
            match Actions::new(&*store, anchor)
                .verify_journal(&expect)
                .await?
            {
                Ok(verified) if !verified.inconsistencies.is_empty() => {
                    eprintln!(
                        "journal INCONSISTENT: its hash chain holds ({} entries), but its signed statements contradict the store:",
                        verified.entries
                    );
                    for inconsistency in &verified.inconsistencies {
                        eprintln!("  {inconsistency}");
                    }
                    Ok(ExitCode::FAILURE)
                }
                Ok(verified) => {
                    let anchors = if expect.is_empty() {
                        String::new()
                    } else {
                        format!(", {} anchor(s) found unchanged", expect.len())
                    };
                    println!(
                        "journal intact: {} entries, hash chain and signatures verified, every action matches its signed request and approvals{anchors}",
                        verified.entries
                    );
                    if verified.legacy_actions > 0 {
                        println!(
                            "{} action(s) from before signed approvals are unverifiable and can never be executed",
                            verified.legacy_actions
                        );
                    }
                    if let Some(head) = verified.head {
                        println!(
                            "head: {head} (keep it elsewhere; check later with --expect {head})"
                        );
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Err(broken) => {
                    eprintln!("journal TAMPERED: {broken}");
                    Ok(ExitCode::FAILURE)
                }
            }
        }
    }
}

fn templates() -> anyhow::Result<ExitCode> {
    let rows: Vec<Vec<String>> = Template::ALL
        .iter()
        .map(|t| {
            let spec = t.spec();
            let params = spec
                .params
                .iter()
                .map(|p| format!("{}{}", p.name, if p.required { "" } else { "?" }))
                .collect::<Vec<_>>()
                .join(", ");
            vec![
                spec.name.to_owned(),
                if t.is_provisioning() {
                    "provisioning"
                } else {
                    "remediation"
                }
                .to_owned(),
                format!("{:?}", spec.risk).to_lowercase(),
                params,
                spec.title.to_owned(),
            ]
        })
        .collect();
    println!(
        "{}",
        output::table(&["template", "kind", "risk", "params", "what"], &rows)
    );
    Ok(ExitCode::SUCCESS)
}

async fn request(args: RequestArgs, now: i64) -> anyhow::Result<ExitCode> {
    let store = open_store(&args.auth.store).await?;
    let principal = authenticate(&*store, args.auth.token_file.as_deref()).await?;
    let org = org_of_store(&*store, args.org.id.as_deref()).await?;
    let template: Template = args.template.parse()?;
    let mut params = BTreeMap::new();
    for param in &args.params {
        let (name, value) = param
            .split_once('=')
            .with_context(|| format!("--param {param:?}: write name=value"))?;
        params.insert(name.trim().to_owned(), value.to_owned());
    }
    let (targets, source) = resolve_targets(&*store, &org, &args).await?;
    let snapshot = SnapshotView::latest(&*store, &org).await?;
    let request = PlanRequest {
        template,
        targets,
        params,
        source,
        requested_by: principal.name.clone(),
        reason: args.reason.clone(),
        now,
        ttl_seconds: args.ttl_hours * 3600,
    };
    let (id, plan) = Actions::new(&*store, args.auth.anchor()?)
        .request(&principal, &snapshot, &request)
        .await?;
    if args.json.enabled {
        println!(
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({"id": id, "plan_hash": plan.hash(), "plan": plan})
            )?
        );
    } else {
        println!(
            "action {id}: {} on {} target(s), {} call(s), risk {:?}, expires {}",
            plan.template,
            plan.targets.len(),
            plan.calls.len(),
            plan.risk,
            output::time(Some(plan.expires_at))
        );
        print_calls(&plan.calls);
        println!("plan hash {}", plan.hash());
        println!("next: another approver runs `custos actions approve {id}`");
    }
    Ok(ExitCode::SUCCESS)
}

/// `--target`s, or the resource of `--finding`, or every open finding of `--policy`.
async fn resolve_targets(
    store: &dyn Store,
    org: &str,
    args: &RequestArgs,
) -> anyhow::Result<(Vec<String>, Source)> {
    let given = [
        !args.targets.is_empty(),
        args.finding.is_some(),
        args.policy.is_some(),
    ];
    if given.iter().filter(|g| **g).count() > 1 {
        bail!("give one of --target, --finding or --policy");
    }
    if let Some(finding) = &args.finding {
        let (policy_id, resource_id) = finding
            .split_once(':')
            .context("--finding: write POLICY_ID:RESOURCE_ID (as `custos findings` shows them)")?;
        let found = store.findings(Some(org)).await?.into_iter().any(|f| {
            f.policy_id == policy_id
                && f.resource_id == resource_id
                && f.status == FindingStatus::Open
        });
        if !found {
            bail!(
                "no open finding of {policy_id} on {resource_id} in {org}: `custos findings` lists them"
            );
        }
        return Ok((
            vec![resource_id.to_owned()],
            Source::Finding {
                policy_id: policy_id.to_owned(),
                resource_id: resource_id.to_owned(),
            },
        ));
    }
    if let Some(policy_id) = &args.policy {
        let targets: Vec<String> = store
            .findings(Some(org))
            .await?
            .into_iter()
            .filter(|f| &f.policy_id == policy_id && f.status == FindingStatus::Open)
            .map(|f| f.resource_id)
            .collect();
        if targets.is_empty() {
            bail!("policy {policy_id} has no open finding in {org}: nothing to do");
        }
        return Ok((
            targets,
            Source::Policy {
                policy_id: policy_id.clone(),
            },
        ));
    }
    let source = if args.targets.is_empty() {
        Source::Provisioning
    } else {
        Source::Targets
    };
    Ok((args.targets.clone(), source))
}

async fn decide(args: DecideArgs, now: i64, approve: bool) -> anyhow::Result<ExitCode> {
    let store = open_store(&args.auth.store).await?;
    let principal = authenticate(&*store, args.auth.token_file.as_deref()).await?;
    let actions = Actions::new(&*store, args.auth.anchor()?);
    if approve {
        let (action, _) = actions.load(args.id).await?;
        let snapshot = SnapshotView::latest(&*store, &action.org_id).await?;
        actions
            .approve(&principal, args.id, &snapshot, now, &args.comment)
            .await?;
        println!(
            "action {} approved by {} for plan {}",
            args.id, principal.name, action.plan_hash
        );
    } else {
        actions
            .reject(&principal, args.id, now, &args.comment)
            .await?;
        println!("action {} rejected by {}", args.id, principal.name);
    }
    Ok(ExitCode::SUCCESS)
}

async fn execute(args: ExecuteArgs, now: i64) -> anyhow::Result<ExitCode> {
    let store = open_store(&args.auth.store).await?;
    let principal = authenticate(&*store, args.auth.token_file.as_deref()).await?;
    let actions = Actions::new(&*store, args.auth.anchor()?);
    if args.dry_run {
        let calls = actions.dry_run(args.id).await?;
        println!(
            "dry run of action {}: {} call(s) would be sent",
            args.id,
            calls.len()
        );
        print_calls(&calls);
        return Ok(ExitCode::SUCCESS);
    }
    let (action, _) = actions.load(args.id).await?;
    let keys = execution_keys(&args, &*store, &action.org_id).await?;
    let clients = Clients::build(&keys, |_| {})?;
    let report = actions.execute(&principal, args.id, &clients, now).await?;
    if args.json.enabled {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        let rows: Vec<Vec<String>> = report
            .targets
            .iter()
            .map(|t| {
                vec![
                    t.kind.name().to_owned(),
                    t.id.clone(),
                    serde_json::to_value(&t.status)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default(),
                    t.message.clone().unwrap_or_default(),
                ]
            })
            .collect();
        println!(
            "{}",
            output::table(&["kind", "id", "status", "message"], &rows)
        );
        println!(
            "action {}: {} ({} call(s) sent)",
            report.action_id, report.status, report.calls_sent
        );
    }
    for created in &report.created {
        if let Some(secret) = &created.secret {
            // Shown once, to the requester (the only principal allowed to execute it).
            eprintln!(
                "the secret of {} is printed once below; it is stored nowhere",
                created.id
            );
            println!("{}", secret.expose_secret());
        }
    }
    Ok(if report.status == custos_store::ActionStatus::Verified {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The organization's read-write key (config `write_key`, else stored `org/ORG/write`), with
/// its read key (to refuse using the same key) and project keys.
async fn execution_keys(
    args: &ExecuteArgs,
    store: &dyn Store,
    org_id: &str,
) -> anyhow::Result<ExecutionKeys> {
    let config = load_config(&args.config)?;
    let configured = config
        .config()
        .organizations
        .iter()
        .find(|o| o.id == org_id);
    let scan_target = target(
        &config,
        store,
        Some(org_id),
        args.api.base_url.as_deref(),
        &args.api.master_key.file,
    )
    .await
    .ok();
    let write_source = match configured.and_then(|o| o.write_key.clone()) {
        Some(source) => Some(source),
        None => {
            let name = stored_key_name(org_id, "write");
            store
                .secret(&name)
                .await?
                .is_some()
                .then_some(KeySource::Stored(name))
        }
    };
    let write_key = match write_source {
        Some(source) => Some(read_key(store, &source, &args.api.master_key.file).await?),
        None => None,
    };
    let base_url = args
        .api
        .base_url
        .clone()
        .or_else(|| scan_target.as_ref().map(|t| t.base_url.clone()))
        .or_else(|| configured.map(|o| o.base_url.clone()))
        .unwrap_or_else(|| DEFAULT_BASE_URL.to_owned());
    Ok(ExecutionKeys {
        org_id: org_id.to_owned(),
        base_url,
        read_key: scan_target.as_ref().map(|t| t.read_key.clone()),
        write_key,
        project_keys: scan_target
            .map(|t| t.project_keys.into_iter().collect())
            .unwrap_or_default(),
    })
}

fn print_calls(calls: &[custos_actions::PlannedCall]) {
    for call in calls {
        let body = call
            .request
            .body()
            .map(|b| format!(" {b}"))
            .unwrap_or_default();
        let key = call
            .project_key
            .as_deref()
            .map(|p| format!(" (with the key of {p})"))
            .unwrap_or_default();
        println!(
            "  {:>4}  {} {}{body}{key}",
            call.index,
            call.request.method(),
            call.request.path()
        );
    }
}

async fn list(args: ListArgs) -> anyhow::Result<ExitCode> {
    let store = open_store(&args.auth.store).await?;
    authenticate(&*store, args.auth.token_file.as_deref()).await?;
    let actions = store.actions(args.org.id.as_deref()).await?;
    let rows: Vec<Vec<String>> = actions
        .iter()
        .map(|a| {
            vec![
                a.id.to_string(),
                a.org_id.clone(),
                a.template.clone(),
                a.status.to_string(),
                a.requested_by.clone(),
                output::time(Some(a.created_at)),
                output::time(Some(a.expires_at)),
                a.reason.clone(),
            ]
        })
        .collect();
    let json: Vec<serde_json::Value> = actions
        .iter()
        .map(|a| {
            serde_json::json!({"id": a.id, "org_id": a.org_id, "template": a.template,
                "status": a.status, "requested_by": a.requested_by, "created_at": a.created_at,
                "expires_at": a.expires_at, "reason": a.reason, "plan_hash": a.plan_hash})
        })
        .collect();
    output::print(
        args.output.format,
        &[
            "id",
            "org",
            "template",
            "status",
            "requested by",
            "created",
            "expires",
            "reason",
        ],
        &rows,
        &json,
    )?;
    Ok(ExitCode::SUCCESS)
}

async fn show(args: ShowArgs) -> anyhow::Result<ExitCode> {
    let store = open_store(&args.auth.store).await?;
    authenticate(&*store, args.auth.token_file.as_deref()).await?;
    let (action, plan) = custos_actions::load(&*store, args.id).await?;
    let approvals = store.approvals(args.id).await?;
    let calls = store.calls(args.id).await?;
    if args.json.enabled {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "id": action.id, "status": action.status, "plan_hash": action.plan_hash,
                "plan": plan, "approvals": approvals, "calls": calls,
            }))?
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "action {} ({}) {} by {}: {}",
        action.id, action.status, action.template, action.requested_by, action.reason
    );
    println!(
        "organization {}, scan {}, risk {:?}, expires {}",
        plan.org_id,
        plan.scan_id,
        plan.risk,
        output::time(Some(plan.expires_at))
    );
    println!("plan hash {}", action.plan_hash);
    for precondition in &plan.preconditions {
        println!("  requires: {precondition}");
    }
    print_calls(&plan.calls);
    for a in &approvals {
        println!(
            "  {} by {} at {}: {}",
            a.decision,
            a.principal,
            output::time(Some(a.at)),
            a.comment
        );
    }
    for c in &calls {
        println!(
            "  call {}: {}{}",
            c.call_index,
            c.status,
            c.http_status
                .map(|s| format!(" (HTTP {s})"))
                .unwrap_or_default()
        );
    }
    Ok(ExitCode::SUCCESS)
}
