//! `openai-gpt-public-store`: internal GPTs exposed to the public. custos cannot read the source this needs yet, so the policy reports
//! what is missing instead of passing.

use crate::meta::{Need, PolicyMeta, Severity, controls};
use crate::outcome::Outcomes;
use crate::registry::Builtin;
use crate::settings::Params;
use crate::shared::unavailable;
use custos_model::inventory::Snapshot;

pub static META: PolicyMeta = PolicyMeta {
    id: "openai-gpt-public-store",
    title: "Custom GPT published to the GPT Store",
    severity: Severity::High,
    category: "chatgpt",
    resource_kind: "gpt",
    needs: &[Need::Chatgpt],
    params: &[],
    description: "A custom GPT is published to the GPT Store.",
    remediation: "Unpublish the GPT or restrict it to the workspace.",
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
