//! `openai-gpt-code-interpreter`: code execution on uploaded data. custos cannot read the source this needs yet, so the policy reports
//! what is missing instead of passing.

use crate::meta::{Need, PolicyMeta, Severity, controls};
use crate::outcome::Outcomes;
use crate::registry::Builtin;
use crate::settings::Params;
use crate::shared::unavailable;
use custos_model::inventory::Snapshot;

pub static META: PolicyMeta = PolicyMeta {
    id: "openai-gpt-code-interpreter",
    title: "Custom GPT runs code",
    severity: Severity::Medium,
    category: "chatgpt",
    resource_kind: "gpt",
    needs: &[Need::Chatgpt],
    params: &[],
    description: "A custom GPT has code interpreter enabled.",
    remediation: "Disable code interpreter unless the GPT needs it.",
    controls: controls::DATA_EXPOSURE,
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
