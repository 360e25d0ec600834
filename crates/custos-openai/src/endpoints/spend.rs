//! Spend alerts and hard spend limits, of the organization and of projects.

use super::ListSpendAlerts;
use super::operations::{
    CREATE_ORGANIZATION_SPEND_ALERT, CREATE_PROJECT_SPEND_ALERT, DELETE_ORGANIZATION_SPEND_ALERT,
    DELETE_ORGANIZATION_SPEND_LIMIT, DELETE_PROJECT_SPEND_ALERT, DELETE_PROJECT_SPEND_LIMIT,
    LIST_ORGANIZATION_SPEND_ALERTS, LIST_PROJECT_SPEND_ALERTS, RETRIEVE_ORGANIZATION_SPEND_ALERT,
    RETRIEVE_ORGANIZATION_SPEND_LIMIT, RETRIEVE_PROJECT_SPEND_ALERT, RETRIEVE_PROJECT_SPEND_LIMIT,
    UPDATE_ORGANIZATION_SPEND_ALERT, UPDATE_ORGANIZATION_SPEND_LIMIT, UPDATE_PROJECT_SPEND_ALERT,
    UPDATE_PROJECT_SPEND_LIMIT,
};
use crate::{Client, DeleteOutcome, NextAfter, Result};
use custos_model::api::{Deleted, NotificationChannel, SpendAlert, SpendLimit};
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

impl Client {
    /// GET `/organization/spend_alerts` — list organization spend alerts (every page).
    pub fn list_organization_spend_alerts(
        &self,
        params: &ListSpendAlerts,
    ) -> BoxStream<'static, Result<SpendAlert>> {
        let op = &LIST_ORGANIZATION_SPEND_ALERTS;
        self.walk_ids(op, &[], params.query(op, true), NextAfter::LastId)
    }

    /// POST `/organization/spend_alerts` — create an organization spend alert.
    pub async fn create_organization_spend_alert(
        &self,
        body: &CreateSpendAlertBody,
    ) -> Result<SpendAlert> {
        self.write(&CREATE_ORGANIZATION_SPEND_ALERT, &[], body)
            .await
    }

    /// GET `/organization/spend_alerts/{alert_id}` — retrieve an organization spend alert.
    pub async fn retrieve_organization_spend_alert(&self, alert_id: &str) -> Result<SpendAlert> {
        self.read(&RETRIEVE_ORGANIZATION_SPEND_ALERT, &[alert_id])
            .await
    }

    /// POST `/organization/spend_alerts/{alert_id}` — update an organization spend alert.
    pub async fn update_organization_spend_alert(
        &self,
        alert_id: &str,
        body: &CreateSpendAlertBody,
    ) -> Result<SpendAlert> {
        self.write(&UPDATE_ORGANIZATION_SPEND_ALERT, &[alert_id], body)
            .await
    }

    /// DELETE `/organization/spend_alerts/{alert_id}` — delete an organization spend alert.
    pub async fn delete_organization_spend_alert(
        &self,
        alert_id: &str,
    ) -> Result<DeleteOutcome<Deleted>> {
        self.remove(&DELETE_ORGANIZATION_SPEND_ALERT, &[alert_id])
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

    /// POST `/organization/projects/{project_id}/spend_alerts` — create a project spend alert.
    pub async fn create_project_spend_alert(
        &self,
        project_id: &str,
        body: &CreateSpendAlertBody,
    ) -> Result<SpendAlert> {
        self.write(&CREATE_PROJECT_SPEND_ALERT, &[project_id], body)
            .await
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

    /// POST `/organization/projects/{project_id}/spend_alerts/{alert_id}` — update a project
    /// spend alert.
    pub async fn update_project_spend_alert(
        &self,
        project_id: &str,
        alert_id: &str,
        body: &CreateSpendAlertBody,
    ) -> Result<SpendAlert> {
        self.write(&UPDATE_PROJECT_SPEND_ALERT, &[project_id, alert_id], body)
            .await
    }

    /// DELETE `/organization/projects/{project_id}/spend_alerts/{alert_id}` — delete a project
    /// spend alert.
    pub async fn delete_project_spend_alert(
        &self,
        project_id: &str,
        alert_id: &str,
    ) -> Result<DeleteOutcome<Deleted>> {
        self.remove(&DELETE_PROJECT_SPEND_ALERT, &[project_id, alert_id])
            .await
    }

    /// GET `/organization/spend_limit` — retrieve the organization's hard spend limit.
    pub async fn retrieve_organization_spend_limit(&self) -> Result<SpendLimit> {
        self.read(&RETRIEVE_ORGANIZATION_SPEND_LIMIT, &[]).await
    }

    /// POST `/organization/spend_limit` — create or replace the organization's hard spend limit.
    pub async fn update_organization_spend_limit(
        &self,
        body: &UpdateSpendLimitBody,
    ) -> Result<SpendLimit> {
        self.write(&UPDATE_ORGANIZATION_SPEND_LIMIT, &[], body)
            .await
    }

    /// DELETE `/organization/spend_limit` — delete the organization's hard spend limit.
    pub async fn delete_organization_spend_limit(&self) -> Result<DeleteOutcome<Deleted>> {
        self.remove(&DELETE_ORGANIZATION_SPEND_LIMIT, &[]).await
    }

    /// GET `/organization/projects/{project_id}/spend_limit` — retrieve a project's hard spend
    /// limit.
    pub async fn retrieve_project_spend_limit(&self, project_id: &str) -> Result<SpendLimit> {
        self.read(&RETRIEVE_PROJECT_SPEND_LIMIT, &[project_id])
            .await
    }

    /// POST `/organization/projects/{project_id}/spend_limit` — create or replace a project's
    /// hard spend limit.
    pub async fn update_project_spend_limit(
        &self,
        project_id: &str,
        body: &UpdateSpendLimitBody,
    ) -> Result<SpendLimit> {
        self.write(&UPDATE_PROJECT_SPEND_LIMIT, &[project_id], body)
            .await
    }

    /// DELETE `/organization/projects/{project_id}/spend_limit` — delete a project's hard
    /// spend limit.
    pub async fn delete_project_spend_limit(
        &self,
        project_id: &str,
    ) -> Result<DeleteOutcome<Deleted>> {
        self.remove(&DELETE_PROJECT_SPEND_LIMIT, &[project_id])
            .await
    }
}
