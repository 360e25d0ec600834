//! Policies whose data source custos cannot read yet (an identity directory, the content scanner,
//! the ChatGPT Compliance API): one indeterminate result per organization naming what is missing.

use crate::meta::Need;
use crate::outcome::{Outcomes, Subject};
use custos_model::inventory::Snapshot;

/// What an unconfigured source is, in words.
pub fn missing_source(need: Need) -> Option<&'static str> {
    match need {
        Need::Directory => Some("an identity directory (HR export or SCIM) is not configured"),
        Need::Dlp => Some("the content scanner (DLP) is not configured"),
        Need::Chatgpt => Some("the ChatGPT Enterprise Compliance API is not configured"),
        Need::Admin | Need::Usage | Need::Costs | Need::Audit | Need::Files => None,
    }
}

/// One indeterminate result for the organization, listing each unconfigured source the policy
/// needs.
pub fn evaluate(snapshot: &Snapshot, out: &mut Outcomes) {
    let missing: Vec<String> = out
        .meta()
        .needs
        .iter()
        .filter_map(|need| missing_source(*need))
        .map(str::to_owned)
        .collect();
    out.indeterminate(Subject::organization(&snapshot.org_id), missing);
}
