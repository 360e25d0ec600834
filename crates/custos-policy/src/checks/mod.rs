//! The built-in catalogue: one module per policy, each declaring its metadata, its evaluation
//! and its fixtures. [`BUILTIN`] lists them in the catalogue's order (`docs/policies.md`).

use crate::registry::Builtin;

pub mod admin_key_no_expiry;
pub mod admin_key_not_rotated;
pub mod admin_key_unused;
pub mod audit_login_failures;
pub mod audit_logs_unavailable;
pub mod certificate_expired;
pub mod certificate_expiring;
pub mod chatgpt_file_dlp;
pub mod conversation_malicious;
pub mod file_pii;
pub mod file_sensitive;
pub mod gpt_code_interpreter;
pub mod gpt_custom_actions;
pub mod gpt_public_link;
pub mod gpt_public_store;
pub mod gpt_web_browsing;
pub mod invite_external_domain;
pub mod invite_high_privilege;
pub mod invite_stale;
pub mod key_in_archived_project;
pub mod key_orphaned;
pub mod key_usage_spike;
pub mod model_not_allowed;
pub mod org_cost_forecast_over_limit;
pub mod org_no_spend_limit;
pub mod org_too_few_owners;
pub mod org_too_many_owners;
pub mod project_cost_over_budget;
pub mod project_cost_spike;
pub mod project_key_not_rotated;
pub mod project_key_sprawl;
pub mod project_key_unused;
pub mod project_no_owner;
pub mod project_no_spend_limit;
pub mod project_stale;
pub mod project_too_many_owners;
pub mod project_unrestricted_models;
pub mod service_account_owner;
pub mod user_external;
pub mod user_guest;
pub mod user_inactive;
pub mod user_not_in_directory;
pub mod user_offboarded;
pub mod vector_store_no_expiry;

/// Every built-in check, in catalogue order.
pub const BUILTIN: &[Builtin] = &[
    org_too_few_owners::CHECK,
    org_too_many_owners::CHECK,
    project_too_many_owners::CHECK,
    project_no_owner::CHECK,
    service_account_owner::CHECK,
    invite_high_privilege::CHECK,
    invite_stale::CHECK,
    invite_external_domain::CHECK,
    user_external::CHECK,
    user_inactive::CHECK,
    admin_key_not_rotated::CHECK,
    project_key_not_rotated::CHECK,
    admin_key_unused::CHECK,
    project_key_unused::CHECK,
    admin_key_no_expiry::CHECK,
    key_orphaned::CHECK,
    key_in_archived_project::CHECK,
    project_key_sprawl::CHECK,
    certificate_expiring::CHECK,
    certificate_expired::CHECK,
    org_no_spend_limit::CHECK,
    project_no_spend_limit::CHECK,
    project_cost_over_budget::CHECK,
    project_cost_spike::CHECK,
    org_cost_forecast_over_limit::CHECK,
    key_usage_spike::CHECK,
    model_not_allowed::CHECK,
    project_unrestricted_models::CHECK,
    project_stale::CHECK,
    audit_logs_unavailable::CHECK,
    audit_login_failures::CHECK,
    user_not_in_directory::CHECK,
    user_offboarded::CHECK,
    user_guest::CHECK,
    file_pii::CHECK,
    file_sensitive::CHECK,
    vector_store_no_expiry::CHECK,
    gpt_custom_actions::CHECK,
    gpt_code_interpreter::CHECK,
    gpt_web_browsing::CHECK,
    gpt_public_store::CHECK,
    gpt_public_link::CHECK,
    conversation_malicious::CHECK,
    chatgpt_file_dlp::CHECK,
];
