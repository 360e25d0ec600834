//! Spend alerts and hard spend limits, of the organization and of projects.

use super::ListSpendAlerts;
use super::operations::{
    LIST_ORGANIZATION_SPEND_ALERTS, LIST_PROJECT_SPEND_ALERTS, RETRIEVE_ORGANIZATION_SPEND_ALERT,
    RETRIEVE_ORGANIZATION_SPEND_LIMIT, RETRIEVE_PROJECT_SPEND_ALERT, RETRIEVE_PROJECT_SPEND_LIMIT,
};
use crate::{NextAfter, ReadClient, Result};
use custos_model::api::{NotificationChannel, SpendAlert, SpendLimit};
use futures::stream::BoxStream;
use serde::{Deserialize, Serialize};

/// `CreateSpendAlertBody`: body of creating **and** updating a spend alert (organization or
/// project).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreateSpendAlertBody {
    /// In cents, `>= 0`.
    pub threshold_amount: i64,
    /// `USD`.
    pub currency: String,
    /// `month`.
    pub interval: String,
    pub notification_channel: NotificationChannel,
}

/// `UpdateOrganizationSpendLimitBody` (and the identical `UpdateProjectSpendLimitBody`): a
/// hard limit to create or replace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateSpendLimitBody {
    /// In cents, `>= 1`.
    pub threshold_amount: i64,
    /// `USD`.
    pub currency: String,
    /// `month`.
    pub interval: String,
}

impl ReadClient {
    /// GET `/organization/spend_alerts` — list organization spend alerts (every page).
    pub fn list_organization_spend_alerts(
        &self,
        params: &ListSpendAlerts,
    ) -> BoxStream<'static, Result<SpendAlert>> {
        let op = &LIST_ORGANIZATION_SPEND_ALERTS;
        self.walk_ids(op, &[], params.query(op, true), NextAfter::LastId)
    }

    /// GET `/organization/spend_alerts/{alert_id}` — retrieve an organization spend alert.
    pub async fn retrieve_organization_spend_alert(&self, alert_id: &str) -> Result<SpendAlert> {
        self.read(&RETRIEVE_ORGANIZATION_SPEND_ALERT, &[alert_id])
            .await
    }

    /// GET `/organization/projects/{project_id}/spend_alerts` — list a project's spend alerts
    /// (every page).
    pub fn list_project_spend_alerts(
        &self,
        project_id: &str,
        params: &ListSpendAlerts,
    ) -> BoxStream<'static, Result<SpendAlert>> {
        let op = &LIST_PROJECT_SPEND_ALERTS;
        self.walk_ids(op, &[project_id], params.query(op, true), NextAfter::LastId)
    }

    /// GET `/organization/projects/{project_id}/spend_alerts/{alert_id}` — retrieve a project
    /// spend alert.
    pub async fn retrieve_project_spend_alert(
        &self,
        project_id: &str,
        alert_id: &str,
    ) -> Result<SpendAlert> {
        self.read(&RETRIEVE_PROJECT_SPEND_ALERT, &[project_id, alert_id])
            .await
    }

    /// GET `/organization/spend_limit` — retrieve the organization's hard spend limit.
    pub async fn retrieve_organization_spend_limit(&self) -> Result<SpendLimit> {
        self.read(&RETRIEVE_ORGANIZATION_SPEND_LIMIT, &[]).await
    }

    /// GET `/organization/projects/{project_id}/spend_limit` — retrieve a project's hard spend
    /// limit.
    pub async fn retrieve_project_spend_limit(&self, project_id: &str) -> Result<SpendLimit> {
        self.read(&RETRIEVE_PROJECT_SPEND_LIMIT, &[project_id])
            .await
    }
}
