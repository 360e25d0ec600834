//! Certificates (mutual TLS): `/organization/certificates` and the project's.

use super::ListCertificates;
use super::operations::{
    Fill, LIST_ORGANIZATION_CERTIFICATES, LIST_PROJECT_CERTIFICATES, RETRIEVE_CERTIFICATE,
};
use crate::{NextAfter, Query, ReadClient, Result};
use custos_model::api::Certificate;
use futures::stream::BoxStream;
use serde::{Deserialize, Serialize};

/// `UploadCertificateRequest`: body of POST `/organization/certificates`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadCertificateRequest {
    /// The certificate in PEM format. First: an upload plan's hash covers its body's JSON,
    /// and plans have always written `certificate` before `name`.
    pub certificate: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
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

impl ReadClient {
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
}
