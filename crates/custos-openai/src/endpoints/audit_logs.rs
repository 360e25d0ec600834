//! Audit logs: `/organization/audit_logs`.

use super::operations::LIST_AUDIT_LOGS;
use super::{MAX_PAGE, Paging};
use crate::{NextAfter, Query, ReadClient, Result};
use custos_model::api::AuditLog;
use futures::stream::BoxStream;

/// Bounds on a Unix-seconds field, sent deepObject-style: `effective_at[gte]=...`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimeRange {
    pub gt: Option<i64>,
    pub gte: Option<i64>,
    pub lt: Option<i64>,
    pub lte: Option<i64>,
}

impl TimeRange {
    fn push(&self, query: &mut Query, name: &str) {
        let bounds = [
            ("gt", self.gt),
            ("gte", self.gte),
            ("lt", self.lt),
            ("lte", self.lte),
        ];
        for (key, value) in bounds {
            if let Some(value) = value {
                query.push_field(name, key, value);
            }
        }
    }
}

/// Query of GET `/organization/audit_logs`. Arrays go out as `project_ids[]=...` and so on,
/// the names the spec gives them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListAuditLogs {
    pub paging: Paging<MAX_PAGE>,
    pub effective_at: TimeRange,
    pub project_ids: Vec<String>,
    /// `AuditLogEventType` values, e.g. `api_key.created`.
    pub event_types: Vec<String>,
    pub actor_ids: Vec<String>,
    pub actor_emails: Vec<String>,
    pub resource_ids: Vec<String>,
    /// Required for tenant-scoped events such as `role.bound_to_resource`.
    pub tenant_only: Option<bool>,
    /// Only events before this event id; sent with every page.
    pub before: Option<String>,
}

impl ListAuditLogs {
    fn query(&self) -> Result<Query> {
        let mut query = self.paging.query(&LIST_AUDIT_LOGS, false)?;
        self.effective_at.push(&mut query, "effective_at");
        query
            .push_array("project_ids", &self.project_ids)
            .push_array("event_types", &self.event_types)
            .push_array("actor_ids", &self.actor_ids)
            .push_array("actor_emails", &self.actor_emails)
            .push_array("resource_ids", &self.resource_ids)
            .push_opt("tenant_only", self.tenant_only)
            .push_opt("before", self.before.as_deref());
        Ok(query)
    }
}

impl ReadClient {
    /// GET `/organization/audit_logs` — list audit log events, newest first (every page).
    pub fn list_audit_logs(&self, params: &ListAuditLogs) -> BoxStream<'static, Result<AuditLog>> {
        self.walk_ids(&LIST_AUDIT_LOGS, &[], params.query(), NextAfter::LastId)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_use_bracket_names_and_deep_object_bounds() {
        let params = ListAuditLogs {
            effective_at: TimeRange {
                gte: Some(10),
                lt: Some(20),
                ..TimeRange::default()
            },
            event_types: vec!["project.archived".into(), "user.added".into()],
            tenant_only: Some(true),
            ..ListAuditLogs::default()
        };
        let query = params.query().expect("valid parameters");
        let pairs: Vec<(&str, &str)> = query
            .pairs()
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("limit", "100"),
                ("effective_at[gte]", "10"),
                ("effective_at[lt]", "20"),
                ("event_types[]", "project.archived"),
                ("event_types[]", "user.added"),
                ("tenant_only", "true"),
            ]
        );
    }
}
