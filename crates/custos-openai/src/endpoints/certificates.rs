//! Certificates (mutual TLS): `/organization/certificates` and the project's.

use super::ListCertificates;
use super::operations::{
    ACTIVATE_ORGANIZATION_CERTIFICATES, ACTIVATE_PROJECT_CERTIFICATES,
    DEACTIVATE_ORGANIZATION_CERTIFICATES, DEACTIVATE_PROJECT_CERTIFICATES, DELETE_CERTIFICATE,
    Fill, LIST_ORGANIZATION_CERTIFICATES, LIST_PROJECT_CERTIFICATES, MODIFY_CERTIFICATE,
    RETRIEVE_CERTIFICATE, UPLOAD_CERTIFICATE,
};
use crate::{Client, DeleteOutcome, NextAfter, Query, Result};
use custos_model::api::{Certificate, Deleted};
use custos_model::page::DataList;
use futures::stream::BoxStream;
use serde::{Deserialize, Serialize};

/// `UploadCertificateRequest`: body of POST `/organization/certificates`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadCertificateRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The certificate in PEM format.
    pub certificate: String,
}

/// `ToggleCertificatesRequest`: body of the four activate/deactivate operations (at most 10
/// ids; atomic and idempotent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToggleCertificatesRequest {
    pub certificate_ids: Vec<String>,
}

/// `ModifyCertificateRequest`: body of POST `/organization/certificates/{certificate_id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModifyCertificateRequest {
    pub name: String,
}

impl Client {
    /// GET `/organization/certificates` — list organization certificates (every page).
    pub fn list_organization_certificates(
        &self,
        params: &ListCertificates,
    ) -> BoxStream<'static, Result<Certificate>> {
        let op = &LIST_ORGANIZATION_CERTIFICATES;
        self.walk_ids(op, &[], params.query(op, true), NextAfter::LastId)
    }

    /// GET `/organization/projects/{project_id}/certificates` — list project certificates
    /// (every page).
    pub fn list_project_certificates(
        &self,
        project_id: &str,
        params: &ListCertificates,
    ) -> BoxStream<'static, Result<Certificate>> {
        let op = &LIST_PROJECT_CERTIFICATES;
        self.walk_ids(op, &[project_id], params.query(op, true), NextAfter::LastId)
    }

    /// POST `/organization/certificates` — upload a certificate (it is not activated).
    pub async fn upload_certificate(&self, body: &UploadCertificateRequest) -> Result<Certificate> {
        self.write(&UPLOAD_CERTIFICATE, &[], body).await
    }

    /// GET `/organization/certificates/{certificate_id}` — get a certificate; with
    /// `include_content`, `certificate_details.content` carries the PEM (`include[]=content`).
    pub async fn retrieve_certificate(
        &self,
        certificate_id: &str,
        include_content: bool,
    ) -> Result<Certificate> {
        let mut query = Query::new();
        if include_content {
            query.push_array("include", &["content"]);
        }
        let path = RETRIEVE_CERTIFICATE.fill(&[certificate_id])?;
        self.get(&path, &query).await
    }

    /// POST `/organization/certificates/{certificate_id}` — rename a certificate.
    pub async fn modify_certificate(
        &self,
        certificate_id: &str,
        body: &ModifyCertificateRequest,
    ) -> Result<Certificate> {
        self.write(&MODIFY_CERTIFICATE, &[certificate_id], body)
            .await
    }

    /// DELETE `/organization/certificates/{certificate_id}` — delete a certificate that is
    /// inactive everywhere.
    pub async fn delete_certificate(&self, certificate_id: &str) -> Result<DeleteOutcome<Deleted>> {
        self.remove(&DELETE_CERTIFICATE, &[certificate_id]).await
    }

    /// POST `/organization/certificates/activate` — activate certificates for the organization.
    pub async fn activate_organization_certificates(
        &self,
        body: &ToggleCertificatesRequest,
    ) -> Result<DataList<Certificate>> {
        self.write(&ACTIVATE_ORGANIZATION_CERTIFICATES, &[], body)
            .await
    }

    /// POST `/organization/certificates/deactivate` — deactivate certificates for the
    /// organization (this can break mTLS clients).
    pub async fn deactivate_organization_certificates(
        &self,
        body: &ToggleCertificatesRequest,
    ) -> Result<DataList<Certificate>> {
        self.write(&DEACTIVATE_ORGANIZATION_CERTIFICATES, &[], body)
            .await
    }

    /// POST `/organization/projects/{project_id}/certificates/activate` — activate
    /// certificates for a project.
    pub async fn activate_project_certificates(
        &self,
        project_id: &str,
        body: &ToggleCertificatesRequest,
    ) -> Result<DataList<Certificate>> {
        self.write(&ACTIVATE_PROJECT_CERTIFICATES, &[project_id], body)
            .await
    }

    /// POST `/organization/projects/{project_id}/certificates/deactivate` — deactivate
    /// certificates for a project.
    pub async fn deactivate_project_certificates(
        &self,
        project_id: &str,
        body: &ToggleCertificatesRequest,
    ) -> Result<DataList<Certificate>> {
        self.write(&DEACTIVATE_PROJECT_CERTIFICATES, &[project_id], body)
            .await
    }
}
