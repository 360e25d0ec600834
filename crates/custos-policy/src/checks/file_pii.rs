//! `openai-file-pii`: personal data uploaded to OpenAI. custos cannot read the source this needs yet, so the policy reports
//! what is missing instead of passing.

use crate::meta::{Need, ParamKind, ParamSpec, PolicyMeta, Severity, controls};
use crate::outcome::Outcomes;
use crate::registry::Builtin;
use crate::settings::Params;
use crate::shared::unavailable;
use custos_model::inventory::Snapshot;

pub static META: PolicyMeta = PolicyMeta {
    id: "openai-file-pii",
    title: "File contains personal data",
    severity: Severity::High,
    category: "data",
    resource_kind: "file",
    needs: &[Need::Files, Need::Dlp],
    params: &[ParamSpec {
        name: "min_matches",
        doc: "How many personal-data matches a file must contain to fire.",
        default: "1",
        kind: ParamKind::Integer {
            min: 1,
            max: i64::MAX,
        },
    }],
    description: "A file's content contains personal data (names with contact data, emails, phone numbers, national ids, IBAN, credit card numbers passing the Luhn check) in more than `min_matches` matches.",
    remediation: "Delete the file or replace it with a redacted copy; check the purpose it was uploaded for.",
    controls: controls::DATA_PROTECTION,
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
