//! The operation table: every operation of `openapi.admin.yaml` (119), plus the project-key
//! endpoints custos reads (files, vector stores) and the reads of the newest SDK that the public
//! spec lacks ([`SDK_OPERATIONS`]). It lives beside the kind registry
//! ([`crate::kind`]), which names the operations that provide and re-read each kind; the
//! client (`custos-openai`, which fills the paths with encoded ids) builds every URL from one of
//! these constants, so the table, the kinds and the client cannot drift apart.

/// One HTTP operation: `method` and `path` exactly as the spec writes them (the path relative to
/// the base URL, which ends in `/v1`, with `{name}` placeholders).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Operation {
    /// The spec's `operationId`.
    pub operation_id: &'static str,
    /// `GET`, `POST` or `DELETE`.
    pub method: &'static str,
    /// The path template, e.g. `/organization/projects/{project_id}/users/{user_id}`.
    pub path: &'static str,
    /// `true` for `POST` and `DELETE`: the operation changes the organization.
    pub write: bool,
}

impl Operation {
    const fn new(operation_id: &'static str, method: &'static str, path: &'static str) -> Self {
        Operation {
            operation_id,
            method,
            path,
            write: matches!(method.as_bytes(), b"POST" | b"DELETE"),
        }
    }

    /// How many `{placeholder}`s the path has: the ids a request for it needs.
    pub fn placeholders(&self) -> usize {
        self.path.matches('{').count()
    }
}

/// GET `/organization/admin_api_keys` — List all organization and project API keys.
pub const LIST_ADMIN_API_KEYS: Operation =
    Operation::new("admin-api-keys-list", "GET", "/organization/admin_api_keys");

/// POST `/organization/admin_api_keys` — Create admin API key.
pub const CREATE_ADMIN_API_KEY: Operation = Operation::new(
    "admin-api-keys-create",
    "POST",
    "/organization/admin_api_keys",
);

/// DELETE `/organization/admin_api_keys/{key_id}` — Delete admin API key.
pub const DELETE_ADMIN_API_KEY: Operation = Operation::new(
    "admin-api-keys-delete",
    "DELETE",
    "/organization/admin_api_keys/{key_id}",
);

/// GET `/organization/admin_api_keys/{key_id}` — Retrieve admin API key.
pub const RETRIEVE_ADMIN_API_KEY: Operation = Operation::new(
    "admin-api-keys-get",
    "GET",
    "/organization/admin_api_keys/{key_id}",
);

/// GET `/organization/audit_logs` — List audit logs.
pub const LIST_AUDIT_LOGS: Operation =
    Operation::new("list-audit-logs", "GET", "/organization/audit_logs");

/// GET `/organization/certificates` — List organization certificates.
pub const LIST_ORGANIZATION_CERTIFICATES: Operation = Operation::new(
    "listOrganizationCertificates",
    "GET",
    "/organization/certificates",
);

/// POST `/organization/certificates` — Upload certificate.
pub const UPLOAD_CERTIFICATE: Operation =
    Operation::new("uploadCertificate", "POST", "/organization/certificates");

/// POST `/organization/certificates/activate` — Activate certificates for organization.
pub const ACTIVATE_ORGANIZATION_CERTIFICATES: Operation = Operation::new(
    "activateOrganizationCertificates",
    "POST",
    "/organization/certificates/activate",
);

/// POST `/organization/certificates/deactivate` — Deactivate certificates for organization.
pub const DEACTIVATE_ORGANIZATION_CERTIFICATES: Operation = Operation::new(
    "deactivateOrganizationCertificates",
    "POST",
    "/organization/certificates/deactivate",
);

/// DELETE `/organization/certificates/{certificate_id}` — Delete certificate.
pub const DELETE_CERTIFICATE: Operation = Operation::new(
    "deleteCertificate",
    "DELETE",
    "/organization/certificates/{certificate_id}",
);

/// GET `/organization/certificates/{certificate_id}` — Get certificate.
pub const RETRIEVE_CERTIFICATE: Operation = Operation::new(
    "getCertificate",
    "GET",
    "/organization/certificates/{certificate_id}",
);

/// POST `/organization/certificates/{certificate_id}` — Modify certificate.
pub const MODIFY_CERTIFICATE: Operation = Operation::new(
    "modifyCertificate",
    "POST",
    "/organization/certificates/{certificate_id}",
);

/// GET `/organization/costs` — Costs.
pub const COSTS: Operation = Operation::new("usage-costs", "GET", "/organization/costs");

/// GET `/organization/data_retention` — Retrieve organization data retention.
pub const RETRIEVE_ORGANIZATION_DATA_RETENTION: Operation = Operation::new(
    "retrieve-organization-data-retention",
    "GET",
    "/organization/data_retention",
);

/// POST `/organization/data_retention` — Update organization data retention.
pub const UPDATE_ORGANIZATION_DATA_RETENTION: Operation = Operation::new(
    "update-organization-data-retention",
    "POST",
    "/organization/data_retention",
);

/// GET `/organization/groups` — List groups.
pub const LIST_GROUPS: Operation = Operation::new("list-groups", "GET", "/organization/groups");

/// POST `/organization/groups` — Create group.
pub const CREATE_GROUP: Operation = Operation::new("create-group", "POST", "/organization/groups");

/// DELETE `/organization/groups/{group_id}` — Delete group.
pub const DELETE_GROUP: Operation =
    Operation::new("delete-group", "DELETE", "/organization/groups/{group_id}");

/// GET `/organization/groups/{group_id}` — Retrieve group.
pub const RETRIEVE_GROUP: Operation =
    Operation::new("retrieve-group", "GET", "/organization/groups/{group_id}");

/// POST `/organization/groups/{group_id}` — Update group.
pub const UPDATE_GROUP: Operation =
    Operation::new("update-group", "POST", "/organization/groups/{group_id}");

/// GET `/organization/groups/{group_id}/roles` — List group organization role assignments.
pub const LIST_GROUP_ROLE_ASSIGNMENTS: Operation = Operation::new(
    "list-group-role-assignments",
    "GET",
    "/organization/groups/{group_id}/roles",
);

/// POST `/organization/groups/{group_id}/roles` — Assign organization role to group.
pub const ASSIGN_GROUP_ROLE: Operation = Operation::new(
    "assign-group-role",
    "POST",
    "/organization/groups/{group_id}/roles",
);

/// DELETE `/organization/groups/{group_id}/roles/{role_id}` — Unassign organization role from group.
pub const UNASSIGN_GROUP_ROLE: Operation = Operation::new(
    "unassign-group-role",
    "DELETE",
    "/organization/groups/{group_id}/roles/{role_id}",
);

/// GET `/organization/groups/{group_id}/roles/{role_id}` — Retrieve group organization role.
pub const RETRIEVE_GROUP_ROLE: Operation = Operation::new(
    "retrieve-group-role",
    "GET",
    "/organization/groups/{group_id}/roles/{role_id}",
);

/// GET `/organization/groups/{group_id}/users` — List group users.
pub const LIST_GROUP_USERS: Operation = Operation::new(
    "list-group-users",
    "GET",
    "/organization/groups/{group_id}/users",
);

/// POST `/organization/groups/{group_id}/users` — Add group user.
pub const ADD_GROUP_USER: Operation = Operation::new(
    "add-group-user",
    "POST",
    "/organization/groups/{group_id}/users",
);

/// DELETE `/organization/groups/{group_id}/users/{user_id}` — Remove group user.
pub const REMOVE_GROUP_USER: Operation = Operation::new(
    "remove-group-user",
    "DELETE",
    "/organization/groups/{group_id}/users/{user_id}",
);

/// GET `/organization/groups/{group_id}/users/{user_id}` — Retrieve group user.
pub const RETRIEVE_GROUP_USER: Operation = Operation::new(
    "retrieve-group-user",
    "GET",
    "/organization/groups/{group_id}/users/{user_id}",
);

/// GET `/organization/invites` — List invites.
pub const LIST_INVITES: Operation = Operation::new("list-invites", "GET", "/organization/invites");

/// POST `/organization/invites` — Create invite.
pub const CREATE_INVITE: Operation = Operation::new("inviteUser", "POST", "/organization/invites");

/// DELETE `/organization/invites/{invite_id}` — Delete invite.
pub const DELETE_INVITE: Operation = Operation::new(
    "delete-invite",
    "DELETE",
    "/organization/invites/{invite_id}",
);

/// GET `/organization/invites/{invite_id}` — Retrieve invite.
pub const RETRIEVE_INVITE: Operation = Operation::new(
    "retrieve-invite",
    "GET",
    "/organization/invites/{invite_id}",
);

/// GET `/organization/projects` — List projects.
pub const LIST_PROJECTS: Operation =
    Operation::new("list-projects", "GET", "/organization/projects");

/// POST `/organization/projects` — Create project.
pub const CREATE_PROJECT: Operation =
    Operation::new("create-project", "POST", "/organization/projects");

/// GET `/organization/projects/{project_id}` — Retrieve project.
pub const RETRIEVE_PROJECT: Operation = Operation::new(
    "retrieve-project",
    "GET",
    "/organization/projects/{project_id}",
);

/// POST `/organization/projects/{project_id}` — Modify project.
pub const MODIFY_PROJECT: Operation = Operation::new(
    "modify-project",
    "POST",
    "/organization/projects/{project_id}",
);

/// GET `/organization/projects/{project_id}/api_keys` — List project API keys.
pub const LIST_PROJECT_API_KEYS: Operation = Operation::new(
    "list-project-api-keys",
    "GET",
    "/organization/projects/{project_id}/api_keys",
);

/// DELETE `/organization/projects/{project_id}/api_keys/{api_key_id}` — Delete project API key.
pub const DELETE_PROJECT_API_KEY: Operation = Operation::new(
    "delete-project-api-key",
    "DELETE",
    "/organization/projects/{project_id}/api_keys/{api_key_id}",
);

/// GET `/organization/projects/{project_id}/api_keys/{api_key_id}` — Retrieve project API key.
pub const RETRIEVE_PROJECT_API_KEY: Operation = Operation::new(
    "retrieve-project-api-key",
    "GET",
    "/organization/projects/{project_id}/api_keys/{api_key_id}",
);

/// POST `/organization/projects/{project_id}/archive` — Archive project.
pub const ARCHIVE_PROJECT: Operation = Operation::new(
    "archive-project",
    "POST",
    "/organization/projects/{project_id}/archive",
);

/// GET `/organization/projects/{project_id}/certificates` — List project certificates.
pub const LIST_PROJECT_CERTIFICATES: Operation = Operation::new(
    "listProjectCertificates",
    "GET",
    "/organization/projects/{project_id}/certificates",
);

/// POST `/organization/projects/{project_id}/certificates/activate` — Activate certificates for project.
pub const ACTIVATE_PROJECT_CERTIFICATES: Operation = Operation::new(
    "activateProjectCertificates",
    "POST",
    "/organization/projects/{project_id}/certificates/activate",
);

/// POST `/organization/projects/{project_id}/certificates/deactivate` — Deactivate certificates for project.
pub const DEACTIVATE_PROJECT_CERTIFICATES: Operation = Operation::new(
    "deactivateProjectCertificates",
    "POST",
    "/organization/projects/{project_id}/certificates/deactivate",
);

/// GET `/organization/projects/{project_id}/data_retention` — Retrieve project data retention.
pub const RETRIEVE_PROJECT_DATA_RETENTION: Operation = Operation::new(
    "retrieve-project-data-retention",
    "GET",
    "/organization/projects/{project_id}/data_retention",
);

/// POST `/organization/projects/{project_id}/data_retention` — Update project data retention.
pub const UPDATE_PROJECT_DATA_RETENTION: Operation = Operation::new(
    "update-project-data-retention",
    "POST",
    "/organization/projects/{project_id}/data_retention",
);

/// GET `/organization/projects/{project_id}/groups` — List project groups.
pub const LIST_PROJECT_GROUPS: Operation = Operation::new(
    "list-project-groups",
    "GET",
    "/organization/projects/{project_id}/groups",
);

/// POST `/organization/projects/{project_id}/groups` — Add project group.
pub const ADD_PROJECT_GROUP: Operation = Operation::new(
    "add-project-group",
    "POST",
    "/organization/projects/{project_id}/groups",
);

/// DELETE `/organization/projects/{project_id}/groups/{group_id}` — Remove project group.
pub const REMOVE_PROJECT_GROUP: Operation = Operation::new(
    "remove-project-group",
    "DELETE",
    "/organization/projects/{project_id}/groups/{group_id}",
);

/// GET `/organization/projects/{project_id}/groups/{group_id}` — Retrieve project group.
pub const RETRIEVE_PROJECT_GROUP: Operation = Operation::new(
    "retrieve-project-group",
    "GET",
    "/organization/projects/{project_id}/groups/{group_id}",
);

/// GET `/organization/projects/{project_id}/hosted_tool_permissions` — Retrieve project hosted tool permissions.
pub const RETRIEVE_PROJECT_HOSTED_TOOL_PERMISSIONS: Operation = Operation::new(
    "retrieve-project-hosted-tool-permissions",
    "GET",
    "/organization/projects/{project_id}/hosted_tool_permissions",
);

/// POST `/organization/projects/{project_id}/hosted_tool_permissions` — Modify project hosted tool permissions.
pub const MODIFY_PROJECT_HOSTED_TOOL_PERMISSIONS: Operation = Operation::new(
    "update-project-hosted-tool-permissions",
    "POST",
    "/organization/projects/{project_id}/hosted_tool_permissions",
);

/// DELETE `/organization/projects/{project_id}/model_permissions` — Delete project model permissions.
pub const DELETE_PROJECT_MODEL_PERMISSIONS: Operation = Operation::new(
    "delete-project-model-permissions",
    "DELETE",
    "/organization/projects/{project_id}/model_permissions",
);

/// GET `/organization/projects/{project_id}/model_permissions` — Retrieve project model permissions.
pub const RETRIEVE_PROJECT_MODEL_PERMISSIONS: Operation = Operation::new(
    "retrieve-project-model-permissions",
    "GET",
    "/organization/projects/{project_id}/model_permissions",
);

/// POST `/organization/projects/{project_id}/model_permissions` — Modify project model permissions.
pub const MODIFY_PROJECT_MODEL_PERMISSIONS: Operation = Operation::new(
    "update-project-model-permissions",
    "POST",
    "/organization/projects/{project_id}/model_permissions",
);

/// GET `/organization/projects/{project_id}/rate_limits` — List project rate limits.
pub const LIST_PROJECT_RATE_LIMITS: Operation = Operation::new(
    "list-project-rate-limits",
    "GET",
    "/organization/projects/{project_id}/rate_limits",
);

/// POST `/organization/projects/{project_id}/rate_limits/{rate_limit_id}` — Modify project rate limit.
pub const MODIFY_PROJECT_RATE_LIMIT: Operation = Operation::new(
    "update-project-rate-limits",
    "POST",
    "/organization/projects/{project_id}/rate_limits/{rate_limit_id}",
);

/// GET `/organization/projects/{project_id}/service_accounts` — List project service accounts.
pub const LIST_PROJECT_SERVICE_ACCOUNTS: Operation = Operation::new(
    "list-project-service-accounts",
    "GET",
    "/organization/projects/{project_id}/service_accounts",
);

/// POST `/organization/projects/{project_id}/service_accounts` — Create project service account.
pub const CREATE_PROJECT_SERVICE_ACCOUNT: Operation = Operation::new(
    "create-project-service-account",
    "POST",
    "/organization/projects/{project_id}/service_accounts",
);

/// DELETE `/organization/projects/{project_id}/service_accounts/{service_account_id}` — Delete project service account.
pub const DELETE_PROJECT_SERVICE_ACCOUNT: Operation = Operation::new(
    "delete-project-service-account",
    "DELETE",
    "/organization/projects/{project_id}/service_accounts/{service_account_id}",
);

/// GET `/organization/projects/{project_id}/service_accounts/{service_account_id}` — Retrieve project service account.
pub const RETRIEVE_PROJECT_SERVICE_ACCOUNT: Operation = Operation::new(
    "retrieve-project-service-account",
    "GET",
    "/organization/projects/{project_id}/service_accounts/{service_account_id}",
);

/// POST `/organization/projects/{project_id}/service_accounts/{service_account_id}` — Update project service account.
pub const UPDATE_PROJECT_SERVICE_ACCOUNT: Operation = Operation::new(
    "update-project-service-account",
    "POST",
    "/organization/projects/{project_id}/service_accounts/{service_account_id}",
);

/// POST `/organization/projects/{project_id}/service_accounts/{service_account_id}/api_keys` — Create project service account API key.
pub const CREATE_PROJECT_SERVICE_ACCOUNT_API_KEY: Operation = Operation::new(
    "CreateanAPIkeyforaserviceaccount",
    "POST",
    "/organization/projects/{project_id}/service_accounts/{service_account_id}/api_keys",
);

/// GET `/organization/projects/{project_id}/spend_alerts` — List project spend alerts.
pub const LIST_PROJECT_SPEND_ALERTS: Operation = Operation::new(
    "list-project-spend-alerts",
    "GET",
    "/organization/projects/{project_id}/spend_alerts",
);

/// POST `/organization/projects/{project_id}/spend_alerts` — Create project spend alert.
pub const CREATE_PROJECT_SPEND_ALERT: Operation = Operation::new(
    "create-project-spend-alert",
    "POST",
    "/organization/projects/{project_id}/spend_alerts",
);

/// DELETE `/organization/projects/{project_id}/spend_alerts/{alert_id}` — Delete project spend alert.
pub const DELETE_PROJECT_SPEND_ALERT: Operation = Operation::new(
    "delete-project-spend-alert",
    "DELETE",
    "/organization/projects/{project_id}/spend_alerts/{alert_id}",
);

/// GET `/organization/projects/{project_id}/spend_alerts/{alert_id}` — Retrieve project spend alert.
pub const RETRIEVE_PROJECT_SPEND_ALERT: Operation = Operation::new(
    "retrieve-project-spend-alert",
    "GET",
    "/organization/projects/{project_id}/spend_alerts/{alert_id}",
);

/// POST `/organization/projects/{project_id}/spend_alerts/{alert_id}` — Update project spend alert.
pub const UPDATE_PROJECT_SPEND_ALERT: Operation = Operation::new(
    "update-project-spend-alert",
    "POST",
    "/organization/projects/{project_id}/spend_alerts/{alert_id}",
);

/// DELETE `/organization/projects/{project_id}/spend_limit` — Delete project spend limit.
pub const DELETE_PROJECT_SPEND_LIMIT: Operation = Operation::new(
    "Deleteprojectspendlimit",
    "DELETE",
    "/organization/projects/{project_id}/spend_limit",
);

/// GET `/organization/projects/{project_id}/spend_limit` — Retrieve project spend limit.
pub const RETRIEVE_PROJECT_SPEND_LIMIT: Operation = Operation::new(
    "Getprojectspendlimit",
    "GET",
    "/organization/projects/{project_id}/spend_limit",
);

/// POST `/organization/projects/{project_id}/spend_limit` — Update project spend limit.
pub const UPDATE_PROJECT_SPEND_LIMIT: Operation = Operation::new(
    "Updateprojectspendlimit",
    "POST",
    "/organization/projects/{project_id}/spend_limit",
);

/// GET `/organization/projects/{project_id}/users` — List project users.
pub const LIST_PROJECT_USERS: Operation = Operation::new(
    "list-project-users",
    "GET",
    "/organization/projects/{project_id}/users",
);

/// POST `/organization/projects/{project_id}/users` — Create project user.
pub const CREATE_PROJECT_USER: Operation = Operation::new(
    "create-project-user",
    "POST",
    "/organization/projects/{project_id}/users",
);

/// DELETE `/organization/projects/{project_id}/users/{user_id}` — Delete project user.
pub const DELETE_PROJECT_USER: Operation = Operation::new(
    "delete-project-user",
    "DELETE",
    "/organization/projects/{project_id}/users/{user_id}",
);

/// GET `/organization/projects/{project_id}/users/{user_id}` — Retrieve project user.
pub const RETRIEVE_PROJECT_USER: Operation = Operation::new(
    "retrieve-project-user",
    "GET",
    "/organization/projects/{project_id}/users/{user_id}",
);

/// POST `/organization/projects/{project_id}/users/{user_id}` — Modify project user.
pub const MODIFY_PROJECT_USER: Operation = Operation::new(
    "modify-project-user",
    "POST",
    "/organization/projects/{project_id}/users/{user_id}",
);

/// GET `/organization/roles` — List organization roles.
pub const LIST_ORGANIZATION_ROLES: Operation =
    Operation::new("list-roles", "GET", "/organization/roles");

/// POST `/organization/roles` — Create organization role.
pub const CREATE_ORGANIZATION_ROLE: Operation =
    Operation::new("create-role", "POST", "/organization/roles");

/// DELETE `/organization/roles/{role_id}` — Delete organization role.
pub const DELETE_ORGANIZATION_ROLE: Operation =
    Operation::new("delete-role", "DELETE", "/organization/roles/{role_id}");

/// GET `/organization/roles/{role_id}` — Retrieve organization role.
pub const RETRIEVE_ORGANIZATION_ROLE: Operation =
    Operation::new("retrieve-role", "GET", "/organization/roles/{role_id}");

/// POST `/organization/roles/{role_id}` — Update organization role.
pub const UPDATE_ORGANIZATION_ROLE: Operation =
    Operation::new("update-role", "POST", "/organization/roles/{role_id}");

/// GET `/organization/spend_alerts` — List organization spend alerts.
pub const LIST_ORGANIZATION_SPEND_ALERTS: Operation = Operation::new(
    "list-organization-spend-alerts",
    "GET",
    "/organization/spend_alerts",
);

/// POST `/organization/spend_alerts` — Create organization spend alert.
pub const CREATE_ORGANIZATION_SPEND_ALERT: Operation = Operation::new(
    "create-organization-spend-alert",
    "POST",
    "/organization/spend_alerts",
);

/// DELETE `/organization/spend_alerts/{alert_id}` — Delete organization spend alert.
pub const DELETE_ORGANIZATION_SPEND_ALERT: Operation = Operation::new(
    "delete-organization-spend-alert",
    "DELETE",
    "/organization/spend_alerts/{alert_id}",
);

/// GET `/organization/spend_alerts/{alert_id}` — Retrieve organization spend alert.
pub const RETRIEVE_ORGANIZATION_SPEND_ALERT: Operation = Operation::new(
    "retrieve-organization-spend-alert",
    "GET",
    "/organization/spend_alerts/{alert_id}",
);

/// POST `/organization/spend_alerts/{alert_id}` — Update organization spend alert.
pub const UPDATE_ORGANIZATION_SPEND_ALERT: Operation = Operation::new(
    "update-organization-spend-alert",
    "POST",
    "/organization/spend_alerts/{alert_id}",
);

/// DELETE `/organization/spend_limit` — Delete organization spend limit.
pub const DELETE_ORGANIZATION_SPEND_LIMIT: Operation = Operation::new(
    "Deleteorganizationspendlimit",
    "DELETE",
    "/organization/spend_limit",
);

/// GET `/organization/spend_limit` — Retrieve organization spend limit.
pub const RETRIEVE_ORGANIZATION_SPEND_LIMIT: Operation = Operation::new(
    "Getorganizationspendlimit",
    "GET",
    "/organization/spend_limit",
);

/// POST `/organization/spend_limit` — Update organization spend limit.
pub const UPDATE_ORGANIZATION_SPEND_LIMIT: Operation = Operation::new(
    "Updateorganizationspendlimit",
    "POST",
    "/organization/spend_limit",
);

/// GET `/organization/usage/audio_speeches` — Audio speeches.
pub const USAGE_AUDIO_SPEECHES: Operation = Operation::new(
    "usage-audio-speeches",
    "GET",
    "/organization/usage/audio_speeches",
);

/// GET `/organization/usage/audio_transcriptions` — Audio transcriptions.
pub const USAGE_AUDIO_TRANSCRIPTIONS: Operation = Operation::new(
    "usage-audio-transcriptions",
    "GET",
    "/organization/usage/audio_transcriptions",
);

/// GET `/organization/usage/code_interpreter_sessions` — Code interpreter sessions.
pub const USAGE_CODE_INTERPRETER_SESSIONS: Operation = Operation::new(
    "usage-code-interpreter-sessions",
    "GET",
    "/organization/usage/code_interpreter_sessions",
);

/// GET `/organization/usage/completions` — Completions.
pub const USAGE_COMPLETIONS: Operation = Operation::new(
    "usage-completions",
    "GET",
    "/organization/usage/completions",
);

/// GET `/organization/usage/embeddings` — Embeddings.
pub const USAGE_EMBEDDINGS: Operation =
    Operation::new("usage-embeddings", "GET", "/organization/usage/embeddings");

/// GET `/organization/usage/file_search_calls` — File search calls.
pub const USAGE_FILE_SEARCH_CALLS: Operation = Operation::new(
    "usage-file-search-calls",
    "GET",
    "/organization/usage/file_search_calls",
);

/// GET `/organization/usage/images` — Images.
pub const USAGE_IMAGES: Operation =
    Operation::new("usage-images", "GET", "/organization/usage/images");

/// GET `/organization/usage/moderations` — Moderations.
pub const USAGE_MODERATIONS: Operation = Operation::new(
    "usage-moderations",
    "GET",
    "/organization/usage/moderations",
);

/// GET `/organization/usage/vector_stores` — Vector stores.
pub const USAGE_VECTOR_STORES: Operation = Operation::new(
    "usage-vector-stores",
    "GET",
    "/organization/usage/vector_stores",
);

/// GET `/organization/usage/web_search_calls` — Web search calls.
pub const USAGE_WEB_SEARCH_CALLS: Operation = Operation::new(
    "usage-web-search-calls",
    "GET",
    "/organization/usage/web_search_calls",
);

/// GET `/organization/users` — List users.
pub const LIST_USERS: Operation = Operation::new("list-users", "GET", "/organization/users");

/// DELETE `/organization/users/{user_id}` — Delete user.
pub const DELETE_USER: Operation =
    Operation::new("delete-user", "DELETE", "/organization/users/{user_id}");

/// GET `/organization/users/{user_id}` — Retrieve user.
pub const RETRIEVE_USER: Operation =
    Operation::new("retrieve-user", "GET", "/organization/users/{user_id}");

/// POST `/organization/users/{user_id}` — Modify user.
pub const MODIFY_USER: Operation =
    Operation::new("modify-user", "POST", "/organization/users/{user_id}");

/// GET `/organization/users/{user_id}/roles` — List user organization role assignments.
pub const LIST_USER_ROLE_ASSIGNMENTS: Operation = Operation::new(
    "list-user-role-assignments",
    "GET",
    "/organization/users/{user_id}/roles",
);

/// POST `/organization/users/{user_id}/roles` — Assign organization role to user.
pub const ASSIGN_USER_ROLE: Operation = Operation::new(
    "assign-user-role",
    "POST",
    "/organization/users/{user_id}/roles",
);

/// DELETE `/organization/users/{user_id}/roles/{role_id}` — Unassign organization role from user.
pub const UNASSIGN_USER_ROLE: Operation = Operation::new(
    "unassign-user-role",
    "DELETE",
    "/organization/users/{user_id}/roles/{role_id}",
);

/// GET `/organization/users/{user_id}/roles/{role_id}` — Retrieve user organization role.
pub const RETRIEVE_USER_ROLE: Operation = Operation::new(
    "retrieve-user-role",
    "GET",
    "/organization/users/{user_id}/roles/{role_id}",
);

/// GET `/projects/{project_id}/groups/{group_id}/roles` — List project group role assignments.
pub const LIST_PROJECT_GROUP_ROLE_ASSIGNMENTS: Operation = Operation::new(
    "list-project-group-role-assignments",
    "GET",
    "/projects/{project_id}/groups/{group_id}/roles",
);

/// POST `/projects/{project_id}/groups/{group_id}/roles` — Assign project role to group.
pub const ASSIGN_PROJECT_GROUP_ROLE: Operation = Operation::new(
    "assign-project-group-role",
    "POST",
    "/projects/{project_id}/groups/{group_id}/roles",
);

/// DELETE `/projects/{project_id}/groups/{group_id}/roles/{role_id}` — Unassign project role from group.
pub const UNASSIGN_PROJECT_GROUP_ROLE: Operation = Operation::new(
    "unassign-project-group-role",
    "DELETE",
    "/projects/{project_id}/groups/{group_id}/roles/{role_id}",
);

/// GET `/projects/{project_id}/groups/{group_id}/roles/{role_id}` — Retrieve project group role.
pub const RETRIEVE_PROJECT_GROUP_ROLE: Operation = Operation::new(
    "retrieve-project-group-role",
    "GET",
    "/projects/{project_id}/groups/{group_id}/roles/{role_id}",
);

/// GET `/projects/{project_id}/roles` — List project roles.
pub const LIST_PROJECT_ROLES: Operation =
    Operation::new("list-project-roles", "GET", "/projects/{project_id}/roles");

/// POST `/projects/{project_id}/roles` — Create project role.
pub const CREATE_PROJECT_ROLE: Operation = Operation::new(
    "create-project-role",
    "POST",
    "/projects/{project_id}/roles",
);

/// DELETE `/projects/{project_id}/roles/{role_id}` — Delete project role.
pub const DELETE_PROJECT_ROLE: Operation = Operation::new(
    "delete-project-role",
    "DELETE",
    "/projects/{project_id}/roles/{role_id}",
);

/// GET `/projects/{project_id}/roles/{role_id}` — Retrieve project role.
pub const RETRIEVE_PROJECT_ROLE: Operation = Operation::new(
    "retrieve-project-role",
    "GET",
    "/projects/{project_id}/roles/{role_id}",
);

/// POST `/projects/{project_id}/roles/{role_id}` — Update project role.
pub const UPDATE_PROJECT_ROLE: Operation = Operation::new(
    "update-project-role",
    "POST",
    "/projects/{project_id}/roles/{role_id}",
);

/// GET `/projects/{project_id}/users/{user_id}/roles` — List project user role assignments.
pub const LIST_PROJECT_USER_ROLE_ASSIGNMENTS: Operation = Operation::new(
    "list-project-user-role-assignments",
    "GET",
    "/projects/{project_id}/users/{user_id}/roles",
);

/// POST `/projects/{project_id}/users/{user_id}/roles` — Assign project role to user.
pub const ASSIGN_PROJECT_USER_ROLE: Operation = Operation::new(
    "assign-project-user-role",
    "POST",
    "/projects/{project_id}/users/{user_id}/roles",
);

/// DELETE `/projects/{project_id}/users/{user_id}/roles/{role_id}` — Unassign project role from user.
pub const UNASSIGN_PROJECT_USER_ROLE: Operation = Operation::new(
    "unassign-project-user-role",
    "DELETE",
    "/projects/{project_id}/users/{user_id}/roles/{role_id}",
);

/// GET `/projects/{project_id}/users/{user_id}/roles/{role_id}` — Retrieve project user role.
pub const RETRIEVE_PROJECT_USER_ROLE: Operation = Operation::new(
    "retrieve-project-user-role",
    "GET",
    "/projects/{project_id}/users/{user_id}/roles/{role_id}",
);

/// The 119 operations of `openapi.admin.yaml`, sorted by path and method.
pub const OPERATIONS: &[Operation] = &[
    LIST_ADMIN_API_KEYS,
    CREATE_ADMIN_API_KEY,
    DELETE_ADMIN_API_KEY,
    RETRIEVE_ADMIN_API_KEY,
    LIST_AUDIT_LOGS,
    LIST_ORGANIZATION_CERTIFICATES,
    UPLOAD_CERTIFICATE,
    ACTIVATE_ORGANIZATION_CERTIFICATES,
    DEACTIVATE_ORGANIZATION_CERTIFICATES,
    DELETE_CERTIFICATE,
    RETRIEVE_CERTIFICATE,
    MODIFY_CERTIFICATE,
    COSTS,
    RETRIEVE_ORGANIZATION_DATA_RETENTION,
    UPDATE_ORGANIZATION_DATA_RETENTION,
    LIST_GROUPS,
    CREATE_GROUP,
    DELETE_GROUP,
    RETRIEVE_GROUP,
    UPDATE_GROUP,
    LIST_GROUP_ROLE_ASSIGNMENTS,
    ASSIGN_GROUP_ROLE,
    UNASSIGN_GROUP_ROLE,
    RETRIEVE_GROUP_ROLE,
    LIST_GROUP_USERS,
    ADD_GROUP_USER,
    REMOVE_GROUP_USER,
    RETRIEVE_GROUP_USER,
    LIST_INVITES,
    CREATE_INVITE,
    DELETE_INVITE,
    RETRIEVE_INVITE,
    LIST_PROJECTS,
    CREATE_PROJECT,
    RETRIEVE_PROJECT,
    MODIFY_PROJECT,
    LIST_PROJECT_API_KEYS,
    DELETE_PROJECT_API_KEY,
    RETRIEVE_PROJECT_API_KEY,
    ARCHIVE_PROJECT,
    LIST_PROJECT_CERTIFICATES,
    ACTIVATE_PROJECT_CERTIFICATES,
    DEACTIVATE_PROJECT_CERTIFICATES,
    RETRIEVE_PROJECT_DATA_RETENTION,
    UPDATE_PROJECT_DATA_RETENTION,
    LIST_PROJECT_GROUPS,
    ADD_PROJECT_GROUP,
    REMOVE_PROJECT_GROUP,
    RETRIEVE_PROJECT_GROUP,
    RETRIEVE_PROJECT_HOSTED_TOOL_PERMISSIONS,
    MODIFY_PROJECT_HOSTED_TOOL_PERMISSIONS,
    DELETE_PROJECT_MODEL_PERMISSIONS,
    RETRIEVE_PROJECT_MODEL_PERMISSIONS,
    MODIFY_PROJECT_MODEL_PERMISSIONS,
    LIST_PROJECT_RATE_LIMITS,
    MODIFY_PROJECT_RATE_LIMIT,
    LIST_PROJECT_SERVICE_ACCOUNTS,
    CREATE_PROJECT_SERVICE_ACCOUNT,
    DELETE_PROJECT_SERVICE_ACCOUNT,
    RETRIEVE_PROJECT_SERVICE_ACCOUNT,
    UPDATE_PROJECT_SERVICE_ACCOUNT,
    CREATE_PROJECT_SERVICE_ACCOUNT_API_KEY,
    LIST_PROJECT_SPEND_ALERTS,
    CREATE_PROJECT_SPEND_ALERT,
    DELETE_PROJECT_SPEND_ALERT,
    RETRIEVE_PROJECT_SPEND_ALERT,
    UPDATE_PROJECT_SPEND_ALERT,
    DELETE_PROJECT_SPEND_LIMIT,
    RETRIEVE_PROJECT_SPEND_LIMIT,
    UPDATE_PROJECT_SPEND_LIMIT,
    LIST_PROJECT_USERS,
    CREATE_PROJECT_USER,
    DELETE_PROJECT_USER,
    RETRIEVE_PROJECT_USER,
    MODIFY_PROJECT_USER,
    LIST_ORGANIZATION_ROLES,
    CREATE_ORGANIZATION_ROLE,
    DELETE_ORGANIZATION_ROLE,
    RETRIEVE_ORGANIZATION_ROLE,
    UPDATE_ORGANIZATION_ROLE,
    LIST_ORGANIZATION_SPEND_ALERTS,
    CREATE_ORGANIZATION_SPEND_ALERT,
    DELETE_ORGANIZATION_SPEND_ALERT,
    RETRIEVE_ORGANIZATION_SPEND_ALERT,
    UPDATE_ORGANIZATION_SPEND_ALERT,
    DELETE_ORGANIZATION_SPEND_LIMIT,
    RETRIEVE_ORGANIZATION_SPEND_LIMIT,
    UPDATE_ORGANIZATION_SPEND_LIMIT,
    USAGE_AUDIO_SPEECHES,
    USAGE_AUDIO_TRANSCRIPTIONS,
    USAGE_CODE_INTERPRETER_SESSIONS,
    USAGE_COMPLETIONS,
    USAGE_EMBEDDINGS,
    USAGE_FILE_SEARCH_CALLS,
    USAGE_IMAGES,
    USAGE_MODERATIONS,
    USAGE_VECTOR_STORES,
    USAGE_WEB_SEARCH_CALLS,
    LIST_USERS,
    DELETE_USER,
    RETRIEVE_USER,
    MODIFY_USER,
    LIST_USER_ROLE_ASSIGNMENTS,
    ASSIGN_USER_ROLE,
    UNASSIGN_USER_ROLE,
    RETRIEVE_USER_ROLE,
    LIST_PROJECT_GROUP_ROLE_ASSIGNMENTS,
    ASSIGN_PROJECT_GROUP_ROLE,
    UNASSIGN_PROJECT_GROUP_ROLE,
    RETRIEVE_PROJECT_GROUP_ROLE,
    LIST_PROJECT_ROLES,
    CREATE_PROJECT_ROLE,
    DELETE_PROJECT_ROLE,
    RETRIEVE_PROJECT_ROLE,
    UPDATE_PROJECT_ROLE,
    LIST_PROJECT_USER_ROLE_ASSIGNMENTS,
    ASSIGN_PROJECT_USER_ROLE,
    UNASSIGN_PROJECT_USER_ROLE,
    RETRIEVE_PROJECT_USER_ROLE,
];

/// GET `/files` — list the files of the key's project (project key).
pub const LIST_FILES: Operation = Operation::new("listFiles", "GET", "/files");

/// GET `/files/{file_id}` — retrieve a file (project key).
pub const RETRIEVE_FILE: Operation = Operation::new("retrieveFile", "GET", "/files/{file_id}");

/// GET `/files/{file_id}/content` — a file's content (project key).
pub const DOWNLOAD_FILE: Operation =
    Operation::new("downloadFile", "GET", "/files/{file_id}/content");

/// DELETE `/files/{file_id}` — delete a file (project key).
pub const DELETE_FILE: Operation = Operation::new("deleteFile", "DELETE", "/files/{file_id}");

/// GET `/vector_stores` — list the vector stores of the key's project (project key).
pub const LIST_VECTOR_STORES: Operation =
    Operation::new("listVectorStores", "GET", "/vector_stores");

/// GET `/organization/workload_identity_providers` — list the organization's workload
/// identity providers (OIDC issuers whose tokens act as service accounts). From openai-python
/// 3.54.0, not the public spec; the schema is `spec/openai-admin-api/sdk-additions.json`.
pub const LIST_WORKLOAD_IDENTITY_PROVIDERS: Operation = Operation::new(
    "admin.organization.workload_identity_providers.list",
    "GET",
    "/organization/workload_identity_providers",
);

/// GET `/organization/workload_identity_providers/{workload_identity_provider_id}` — retrieve
/// one (openai-python 3.54.0, not the public spec).
pub const RETRIEVE_WORKLOAD_IDENTITY_PROVIDER: Operation = Operation::new(
    "admin.organization.workload_identity_providers.retrieve",
    "GET",
    "/organization/workload_identity_providers/{workload_identity_provider_id}",
);

/// GET `/organization/external_keys` — list the customer-managed KMS keys registered with the
/// organization (EKM). From openai-python 3.54.0, not the public spec.
pub const LIST_EXTERNAL_KEYS: Operation = Operation::new(
    "admin.organization.external_keys.list",
    "GET",
    "/organization/external_keys",
);

/// GET `/organization/external_keys/{external_key_id}` — retrieve one (openai-python 3.54.0,
/// not the public spec).
pub const RETRIEVE_EXTERNAL_KEY: Operation = Operation::new(
    "admin.organization.external_keys.retrieve",
    "GET",
    "/organization/external_keys/{external_key_id}",
);

/// GET `/organization/external_storage` — list the external storage configurations: buckets
/// of the customer's cloud a project keeps its data in. From openai-python 3.54.0, not the
/// public spec.
pub const LIST_EXTERNAL_STORAGE: Operation = Operation::new(
    "admin.organization.external_storage.list",
    "GET",
    "/organization/external_storage",
);

/// GET `/organization/external_storage/{external_storage_id}` — retrieve one (openai-python
/// 3.54.0, not the public spec).
pub const RETRIEVE_EXTERNAL_STORAGE: Operation = Operation::new(
    "admin.organization.external_storage.retrieve",
    "GET",
    "/organization/external_storage/{external_storage_id}",
);

/// Operations of openai-python 3.54.0 (`openai/resources/admin/organization/**`) that the
/// vendored public spec does not have yet; their operation ids are the SDK's method paths.
pub const SDK_OPERATIONS: &[Operation] = &[
    LIST_WORKLOAD_IDENTITY_PROVIDERS,
    RETRIEVE_WORKLOAD_IDENTITY_PROVIDER,
    LIST_EXTERNAL_KEYS,
    RETRIEVE_EXTERNAL_KEY,
    LIST_EXTERNAL_STORAGE,
    RETRIEVE_EXTERNAL_STORAGE,
];

/// Operations outside the admin spec that custos calls with a project key (OpenAI's
/// `openapi.yaml` operation ids).
pub const PROJECT_KEY_OPERATIONS: &[Operation] = &[
    LIST_FILES,
    RETRIEVE_FILE,
    DOWNLOAD_FILE,
    DELETE_FILE,
    LIST_VECTOR_STORES,
];

/// The operation a request is for: `method` (`GET`, ...) and a concrete `path` below the API
/// root (`/organization/projects/proj_1/users`). Where a literal segment and a parameter could
/// both match (`/organization/certificates/activate`), the literal wins.
pub fn operation_of(method: &str, path: &str) -> Option<&'static Operation> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let literal_matches = |template: &str| -> Option<usize> {
        let parts: Vec<&str> = template.trim_matches('/').split('/').collect();
        if parts.len() != segments.len() {
            return None;
        }
        let mut literals = 0;
        for (part, segment) in parts.iter().zip(&segments) {
            if part.starts_with('{') {
                continue;
            }
            if part != segment {
                return None;
            }
            literals += 1;
        }
        Some(literals)
    };
    OPERATIONS
        .iter()
        .chain(PROJECT_KEY_OPERATIONS)
        .chain(SDK_OPERATIONS)
        .filter(|op| op.method.eq_ignore_ascii_case(method))
        .filter_map(|op| literal_matches(op.path).map(|literals| (literals, op)))
        .max_by_key(|(literals, _)| *literals)
        .map(|(_, op)| op)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_concrete_path_finds_its_operation_and_literals_win() {
        let path = |m, p| operation_of(m, p).map(|op| op.path);
        assert_eq!(
            path("GET", "/organization/projects/proj_1/users"),
            Some("/organization/projects/{project_id}/users")
        );
        assert_eq!(
            path("POST", "/organization/certificates/activate"),
            Some("/organization/certificates/activate")
        );
        assert_eq!(
            path("GET", "/organization/usage/completions"),
            Some("/organization/usage/completions")
        );
        assert_eq!(path("GET", "/files"), Some("/files"));
        assert_eq!(
            path("GET", "/organization/external_keys/ek_1"),
            Some("/organization/external_keys/{external_key_id}")
        );
        assert_eq!(path("PATCH", "/organization/users"), None);
        assert_eq!(path("GET", "/nowhere"), None);
    }
}
