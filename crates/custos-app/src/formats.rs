//! Findings in the formats other tools read: OCSF 1.x Compliance Finding (class 2003) for
//! SIEMs and data lakes, SARIF 2.1.0 for code-scanning dashboards, and rows for a table or CSV.

use crate::findings::Finding;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const OCSF_VERSION: &str = "1.1.0";
/// Compliance Finding, in the Findings category.
const OCSF_CLASS_UID: u32 = 2003;
const OCSF_CATEGORY_UID: u32 = 2;

/// A stable id for a finding's identity (policy, organization, resource).
pub fn finding_uid(f: &Finding) -> String {
    identity_uid(&f.policy_id, &f.org_id, &f.resource_id)
}

/// The id [`finding_uid`] gives the finding of `policy_id` on `resource_id` in `org_id`: 32 hex
/// digits of a SHA-256, the OCSF `finding_info.uid` and the API's finding id.
pub fn identity_uid(policy_id: &str, org_id: &str, resource_id: &str) -> String {
    let digest = Sha256::digest(format!("{policy_id}\0{org_id}\0{resource_id}"));
    hex::encode(&digest[..16])
}

/// Findings as rows under a header: the columns of `custos findings --format table`, and with
/// `with_times` the first and last seen times of its CSV.
pub fn finding_rows(
    findings: &[Finding],
    with_times: bool,
) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let mut header = vec![
        "severity", "policy", "result", "status", "org", "resource", "project", "message",
    ];
    if with_times {
        header.extend(["first seen", "last seen"]);
    }
    let rows = findings
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
            if with_times {
                row.extend([f.first_seen.clone(), f.last_seen.clone()]);
            }
            row
        })
        .collect();
    (header, rows)
}

/// Findings as CSV (`custos findings --format csv`), cells that a spreadsheet would run as a
/// formula quoted (`custos_model::text::csv_cell`).
pub fn csv(findings: &[Finding]) -> Result<String, csv::Error> {
    let (header, rows) = finding_rows(findings, true);
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(header)?;
    for row in rows {
        writer.write_record(
            row.iter()
                .map(|cell| custos_model::text::csv_cell(cell).into_owned()),
        )?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))?;
    // Every cell is a String, so the bytes are UTF-8.
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// OCSF severity_id: 1 informational .. 5 critical.
fn ocsf_severity(severity: &str) -> (u8, &'static str) {
    match severity {
        "critical" => (5, "Critical"),
        "high" => (4, "High"),
        "medium" => (3, "Medium"),
        "low" => (2, "Low"),
        _ => (1, "Informational"),
    }
}

/// One OCSF Compliance Finding per finding; `time` is the last time it was seen.
pub fn ocsf(findings: &[Finding], version: &str) -> Value {
    let events: Vec<Value> = findings
        .iter()
        .map(|f| {
            let (severity_id, severity) = ocsf_severity(&f.severity);
            // activity: 1 Create (first seen now), 2 Update (seen before), 3 Close (resolved).
            let (activity_id, activity) = match f.status.as_str() {
                "resolved" => (3, "Close"),
                _ if f.first_seen == f.last_seen => (1, "Create"),
                _ => (2, "Update"),
            };
            let (status_id, status) = match f.status.as_str() {
                "resolved" => (4, "Resolved"),
                "suppressed" => (3, "Suppressed"),
                _ => (1, "New"),
            };
            // compliance.status_id: 3 Fail, 99 Other (indeterminate: the data was missing).
            let (compliance_status_id, compliance_status) = match f.result.as_str() {
                "fail" => (3, "Fail"),
                _ => (99, "Indeterminate"),
            };
            let mut standards: Vec<&str> = f.controls.iter().map(|c| c.framework.as_str()).collect();
            standards.dedup();
            json!({
                "activity_id": activity_id,
                "activity_name": activity,
                "category_uid": OCSF_CATEGORY_UID,
                "category_name": "Findings",
                "class_uid": OCSF_CLASS_UID,
                "class_name": "Compliance Finding",
                "type_uid": OCSF_CLASS_UID * 100 + activity_id,
                "severity_id": severity_id,
                "severity": severity,
                "status_id": status_id,
                "status": status,
                "time": f.last_seen_unix * 1000,
                "message": f.message,
                "metadata": {
                    "version": OCSF_VERSION,
                    "product": {"name": "custos", "vendor_name": "custos", "version": version},
                    "uid": finding_uid(f),
                },
                "finding_info": {
                    "uid": finding_uid(f),
                    "title": f.title,
                    "desc": f.message,
                    "types": [f.policy_id],
                    "first_seen_time": f.first_seen_unix * 1000,
                    "last_seen_time": f.last_seen_unix * 1000,
                },
                "compliance": {
                    "control": f.policy_id,
                    "standards": standards,
                    "requirements": f.controls.iter().map(|c| format!("{} {}", c.framework, c.id)).collect::<Vec<_>>(),
                    "status_id": compliance_status_id,
                    "status": compliance_status,
                },
                "remediation": {"desc": f.remediation},
                "resources": [{
                    "uid": f.resource_id,
                    "type": f.resource_kind,
                    "group": {"name": f.project_id},
                    "owner": {"account": {"uid": f.org_id, "type": "OpenAI organization"}},
                }],
                "cloud": {"provider": "OpenAI", "account": {"uid": f.org_id}},
                "unmapped": {"evidence": f.evidence},
            })
        })
        .collect();
    Value::Array(events)
}

/// SARIF level: an open high or critical finding is an error.
fn sarif_level(f: &Finding) -> &'static str {
    match (f.result.as_str(), f.severity.as_str()) {
        ("indeterminate", _) => "note",
        (_, "critical" | "high") => "error",
        (_, "medium") => "warning",
        _ => "note",
    }
}

/// One SARIF run: a rule per policy that has findings, a result per finding.
pub fn sarif(findings: &[Finding], version: &str) -> Value {
    let mut rules: Vec<&Finding> = Vec::new();
    for f in findings {
        if !rules.iter().any(|r| r.policy_id == f.policy_id) {
            rules.push(f);
        }
    }
    rules.sort_by(|a, b| a.policy_id.cmp(&b.policy_id));
    let rule_index = |id: &str| rules.iter().position(|r| r.policy_id == id).unwrap_or(0);
    let rules_json: Vec<Value> = rules
        .iter()
        .map(|r| {
            json!({
                "id": r.policy_id,
                "name": r.policy_id,
                "shortDescription": {"text": r.title},
                "help": {"text": r.remediation},
                "defaultConfiguration": {"level": sarif_level(r)},
                "properties": {
                    "tags": r.controls.iter().map(|c| format!("{} {}", c.framework, c.id)).collect::<Vec<_>>(),
                },
            })
        })
        .collect();
    let results: Vec<Value> = findings
        .iter()
        .map(|f| {
            let location = match &f.project_id {
                Some(project) => format!("{}/{project}/{}", f.org_id, f.resource_id),
                None => format!("{}/{}", f.org_id, f.resource_id),
            };
            json!({
                "ruleId": f.policy_id,
                "ruleIndex": rule_index(&f.policy_id),
                "level": sarif_level(f),
                "kind": if f.result == "fail" { "fail" } else { "review" },
                "message": {"text": f.message},
                "locations": [{
                    "logicalLocations": [{
                        "name": f.resource_id,
                        "kind": f.resource_kind,
                        "fullyQualifiedName": location,
                    }],
                }],
                "partialFingerprints": {"custosFinding/v1": finding_uid(f)},
                "properties": {
                    "severity": f.severity,
                    "status": f.status,
                    "org_id": f.org_id,
                    "first_seen": f.first_seen,
                    "last_seen": f.last_seen,
                    "evidence": f.evidence,
                },
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "custos",
                "version": version,
                "informationUri": "https://github.com/custos-governance/custos",
                "rules": rules_json,
            }},
            "results": results,
        }],
    })
}
