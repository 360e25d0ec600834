//! A pack is read through `custos_records::EvidenceSource` alone: a source that is not a
//! store gives the same bytes, and its errors name what could not be read.

mod common;

use common::*;
use custos_evidence::ExportError;
use custos_records::{
    AuditEventRecord, EvidenceSource, ObjectRecord, ScanId, ScanRun, SourceError,
};
use std::collections::BTreeMap;

/// What the test store holds for the period, copied into memory.
struct Copied {
    scans: Vec<ScanRun>,
    objects: BTreeMap<(ScanId, String), Vec<ObjectRecord>>,
    events: Vec<AuditEventRecord>,
}

#[async_trait::async_trait]
impl EvidenceSource for Copied {
    async fn scans_of(&self, org_id: &str) -> Result<Vec<ScanRun>, SourceError> {
        Ok(self
            .scans
            .iter()
            .filter(|s| s.org_id == org_id)
            .cloned()
            .collect())
    }

    async fn snapshot_objects(
        &self,
        scan: ScanId,
        kind: &str,
    ) -> Result<Vec<ObjectRecord>, SourceError> {
        Ok(self
            .objects
            .get(&(scan, kind.to_owned()))
            .cloned()
            .unwrap_or_default())
    }

    async fn audit_log(
        &self,
        _org_id: &str,
        from: i64,
        to: i64,
    ) -> Result<Vec<AuditEventRecord>, SourceError> {
        let inside = |e: &&AuditEventRecord| (from..to).contains(&e.effective_at);
        Ok(self.events.iter().filter(inside).cloned().collect())
    }
}

/// A source whose every read fails.
struct Broken;

#[async_trait::async_trait]
impl EvidenceSource for Broken {
    async fn scans_of(&self, _: &str) -> Result<Vec<ScanRun>, SourceError> {
        Err("the directory is offline".into())
    }

    async fn snapshot_objects(&self, _: ScanId, _: &str) -> Result<Vec<ObjectRecord>, SourceError> {
        Err("the directory is offline".into())
    }

    async fn audit_log(
        &self,
        _: &str,
        _: i64,
        _: i64,
    ) -> Result<Vec<AuditEventRecord>, SourceError> {
        Err("the directory is offline".into())
    }
}

#[tokio::test]
async fn a_source_that_is_not_a_store_gives_the_same_pack() {
    let key = signing_key();
    let store = store().await;
    let mut objects = BTreeMap::new();
    let scans = store.scans(Some(ORG)).await.unwrap();
    for scan in scans.iter().filter(|s| s.status.is_visible()) {
        for object in store.objects(scan.id, None).await.unwrap() {
            objects
                .entry((scan.id, object.kind.clone()))
                .or_insert_with(Vec::new)
                .push(object);
        }
    }
    let copied = Copied {
        scans,
        objects,
        events: store.audit_events(ORG, None, None).await.unwrap(),
    };
    let mut from_copy = Vec::new();
    custos_evidence::export(
        &copied,
        &request(),
        findings(),
        actions(),
        &key,
        &mut from_copy,
    )
    .await
    .unwrap();
    assert!(
        from_copy == export(&*store, &request(), &key).await,
        "the packs differ"
    );
}

#[tokio::test]
async fn a_failing_source_is_named_with_what_was_read() {
    let mut out = Vec::new();
    let err = custos_evidence::export(
        &Broken,
        &request(),
        findings(),
        actions(),
        &signing_key(),
        &mut out,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, ExportError::Store { .. }), "{err}");
    let source = std::error::Error::source(&err).map(ToString::to_string);
    assert_eq!(
        err.to_string(),
        format!("could not list the scans of {ORG}")
    );
    assert_eq!(source.as_deref(), Some("the directory is offline"));
}
