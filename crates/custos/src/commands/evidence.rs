//! `custos evidence`: signed, deterministic evidence packs for auditors, and their verification.

use super::{context, output};
use crate::cli::{EvidenceCommand, ExportArgs};
use anyhow::{Context, bail};
use custos_evidence::{ExportRequest, PublicKey, SigningKey, VerifiedPack};
use custos_store::{FindingEvent, FindingRecord, Store};
use secrecy::SecretString;
use std::path::Path;
use std::process::ExitCode;

/// Where the passphrase of an evidence secret key comes from, when it has one.
const PASSPHRASE_ENV: &str = "CUSTOS_EVIDENCE_PASSPHRASE";

pub async fn run(command: EvidenceCommand) -> anyhow::Result<ExitCode> {
    match command {
        EvidenceCommand::Keygen { public, secret } => {
            let passphrase = passphrase();
            let pair = custos_evidence::keygen(passphrase.as_ref())?;
            custos_evidence::write_key_pair(&pair, &public, &secret)?;
            println!(
                "wrote the public key {} (give it to auditors) and the secret key {} (mode 0600, {})",
                public.display(),
                secret.display(),
                if passphrase.is_some() {
                    format!("encrypted with the passphrase of ${PASSPHRASE_ENV}")
                } else {
                    format!("not encrypted: set ${PASSPHRASE_ENV} to encrypt it")
                }
            );
        }
        EvidenceCommand::Export(args) => export(args).await?,
        EvidenceCommand::Verify {
            file,
            pubkey,
            previous,
        } => {
            let key = PublicKey::from_file(&pubkey)?;
            let previous = previous
                .map(|path| verify_file(&path, &key, None))
                .transpose()?;
            match verify_file(&file, &key, previous.as_ref()) {
                Ok(pack) => {
                    let m = &pack.manifest;
                    // The manifest is signed, but by whoever holds the key: its strings are
                    // shown neutralised like any other outside text.
                    println!(
                        "{}: valid pack of {} for {} to {} ({} files, signature and every hash checked{})",
                        file.display(),
                        output::safe(&m.organization),
                        output::safe(&m.period.from),
                        output::safe(&m.period.to),
                        m.files.len(),
                        if pack.chain_checked {
                            ", chained to the previous pack"
                        } else {
                            ""
                        }
                    );
                    if let Some(link) = pack.unchecked_link() {
                        println!(
                            "chain link NOT checked: this pack follows the pack whose manifest has \
                             SHA-256 {}; give that pack with --previous FILE to check the link",
                            output::safe(link)
                        );
                    }
                }
                Err(error) => {
                    let message = format!("{error:#}");
                    eprintln!("{}: INVALID: {}", file.display(), output::safe(&message));
                    return Ok(ExitCode::from(1));
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn passphrase() -> Option<SecretString> {
    std::env::var(PASSPHRASE_ENV)
        .ok()
        .filter(|p| !p.is_empty())
        .map(SecretString::from)
}

fn verify_file(
    path: &Path,
    key: &PublicKey,
    previous: Option<&VerifiedPack>,
) -> anyhow::Result<VerifiedPack> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    Ok(custos_evidence::verify(
        std::io::BufReader::new(file),
        key,
        previous,
    )?)
}

async fn export(args: ExportArgs) -> anyhow::Result<()> {
    let (from, to) = match (&args.month, &args.from, &args.to) {
        (Some(month), None, None) => custos_evidence::month(month)?,
        (None, Some(from), Some(to)) => (*from, *to),
        _ => {
            bail!("give the period as --month YYYY-MM, or as --from DATE --to DATE (end excluded)")
        }
    };
    if from >= to {
        bail!("the period is empty: --from must be before --to");
    }
    let store = context::open_store(&args.store).await?;
    let org = context::org_of_store(store.as_ref(), args.org.id.as_deref()).await?;
    let key = SigningKey::from_file(&args.key, passphrase().as_ref())?;
    let mut request = ExportRequest::new(
        org.clone(),
        from,
        to,
        super::now_unix(),
        env!("CARGO_PKG_VERSION"),
    );
    if let Some(previous) = &args.previous {
        let pack = verify_file(previous, key.public_key(), None)
            .with_context(|| format!("the previous pack {} does not verify", previous.display()))?;
        request.chain_to(&pack).with_context(|| {
            format!(
                "the previous pack {} cannot come before this period",
                previous.display()
            )
        })?;
    }
    let findings = findings_of_period(store.as_ref(), &org, from, to).await?;
    let actions = journal_of_period(store.as_ref(), &org, from, to).await?;
    let out = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&args.out)
        .with_context(|| {
            format!(
                "cannot create {} (an existing pack is never overwritten)",
                args.out.display()
            )
        })?;
    let written = custos_evidence::export(
        store.as_ref(),
        &request,
        findings,
        actions,
        &key,
        std::io::BufWriter::new(out),
    )
    .await;
    let manifest = match written {
        Ok(manifest) => manifest,
        Err(error) => {
            // A half-written pack must not be mistaken for one.
            let _ = std::fs::remove_file(&args.out);
            return Err(error.into());
        }
    };
    println!(
        "wrote {} for {org}, {} to {}: {} files, signed with key {}",
        args.out.display(),
        manifest.period.from,
        manifest.period.to,
        manifest.files.len(),
        key.public_key().key_id()
    );
    if request.is_partial() {
        println!(
            "note: the period has not ended: the pack holds what the store knew at {} (its \
             generation time); export the period again once it has ended for the complete pack",
            manifest.generated_at
        );
    }
    Ok(())
}

/// Journal entries of `[from, to)` about the organization's actions, and those about custos's
/// own principals (who may act on every organization), in chain order with their hashes, so an
/// auditor can check the links.
async fn journal_of_period(
    store: &dyn Store,
    org: &str,
    from: i64,
    to: i64,
) -> anyhow::Result<Vec<serde_json::Value>> {
    let ours: std::collections::BTreeSet<_> = store
        .actions(Some(org))
        .await?
        .into_iter()
        .map(|a| a.id)
        .collect();
    store
        .journal()
        .await?
        .into_iter()
        .filter(|e| (from..to).contains(&e.at))
        .filter(|e| e.action_id.is_none_or(|id| ours.contains(&id)))
        .map(|e| Ok(serde_json::to_value(e)?))
        .collect()
}

/// Findings open at any time in `[from, to)`, each with its transitions in the period.
async fn findings_of_period(
    store: &dyn Store,
    org: &str,
    from: i64,
    to: i64,
) -> anyhow::Result<Vec<serde_json::Value>> {
    let events = store.finding_events(org, Some(from), Some(to)).await?;
    let open_in_period =
        |f: &FindingRecord| f.first_seen < to && f.resolved_at.is_none_or(|r| r >= from);
    store
        .findings(Some(org))
        .await?
        .into_iter()
        .filter(open_in_period)
        .map(|finding| {
            let history: Vec<&FindingEvent> = events
                .iter()
                .filter(|e| {
                    e.policy_id == finding.policy_id && e.resource_id == finding.resource_id
                })
                .collect();
            let mut value = serde_json::to_value(&finding)?;
            value["events"] = serde_json::to_value(history)?;
            Ok(value)
        })
        .collect()
}
