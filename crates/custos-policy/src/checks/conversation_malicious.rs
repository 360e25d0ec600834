//! `openai-conversation-malicious`: misuse of ChatGPT by insiders. custos cannot read the source this needs yet, so the policy reports
//! what is missing instead of passing.

use crate::meta::{Need, PolicyMeta, Severity, controls};
use crate::outcome::Outcomes;
use crate::registry::Builtin;
use crate::settings::Params;
use crate::shared::unavailable;
use custos_model::inventory::Snapshot;

pub static META: PolicyMeta = PolicyMeta {
    id: "openai-conversation-malicious",
    title: "Conversation attempts data extraction or instruction override",
    severity: Severity::High,
    category: "chatgpt",
    resource_kind: "conversation",
    needs: &[Need::Chatgpt],
    params: &[],
    description: "A conversation tries to extract secrets, credentials or personal data, or to override instructions.",
    remediation: "Review the conversation with the user's manager and security; revoke access if the attempt was deliberate.",
    controls: controls::MONITORING,
};

pub const CHECK: Builtin = Builtin::new(&META, evaluate);

fn evaluate(snapshot: &Snapshot, _as_of: i64, _params: &Params, out: &mut Outcomes) {
    unavailable::evaluate(snapshot, out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::*;

    #[test]
    fn one_indeterminate_result_naming_the_missing_source() {
        let outcomes = run_default(&CHECK, &snapshot(), AS_OF);
        assert_well_formed(&META, &outcomes);
        assert_eq!(outcomes.len(), 1);
        assert_eq!(outcomes[0].resource_kind, "organization");
        assert!(missing(outcome(&outcomes, ORG)).contains("is not configured"));
    }
}
