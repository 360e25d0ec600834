//! Files and vector stores of one project. These are not admin endpoints: call them on a
//! [`ReadClient`] built with that project's key (an admin key is refused there).

use super::ListVectorStores;
use super::Paging;
use super::operations::{DOWNLOAD_FILE, Fill, LIST_FILES, LIST_VECTOR_STORES, RETRIEVE_FILE};
use crate::{NextAfter, Query, ReadClient, Result};
use custos_model::api::{File, VectorStore};
use futures::stream::BoxStream;

/// Largest page of GET `/files`.
pub const MAX_FILES_PAGE: u32 = 10_000;

/// Query of GET `/files` (takes `order`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListFiles {
    pub paging: Paging<MAX_FILES_PAGE>,
    /// Only files with this purpose, e.g. `assistants` or `fine-tune`.
    pub purpose: Option<String>,
}

impl ReadClient {
    /// GET `/files` — list the project's files (every page; project key).
    pub fn list_files(&self, params: &ListFiles) -> BoxStream<'static, Result<File>> {
        let query = params.paging.query(&LIST_FILES, true).map(|mut query| {
            query.push_opt("purpose", params.purpose.as_deref());
            query
        });
        self.walk_ids(&LIST_FILES, &[], query, NextAfter::LastId)
    }

    /// GET `/files/{file_id}` — retrieve a file's metadata (project key).
    pub async fn retrieve_file(&self, file_id: &str) -> Result<File> {
        self.read(&RETRIEVE_FILE, &[file_id]).await
    }

    /// GET `/files/{file_id}/content` — a file's content as text (project key).
    pub async fn file_content(&self, file_id: &str) -> Result<String> {
        self.get_text(&DOWNLOAD_FILE.fill(&[file_id])?, &Query::new())
            .await
    }

    /// GET `/vector_stores` — list the project's vector stores (every page; project key).
    pub fn list_vector_stores(
        &self,
        params: &ListVectorStores,
    ) -> BoxStream<'static, Result<VectorStore>> {
        let op = &LIST_VECTOR_STORES;
        self.walk_ids(op, &[], params.query(op, true), NextAfter::LastId)
    }
}
