//! Fixtures shared by the behaviour tests: a store with one organization's history around a
//! period, a key, and tools to take packs apart and put (tampered) archives back together.

#![allow(dead_code)]

use custos_evidence::{ExportRequest, SigningKey, keygen};
pub use custos_model::unix::DAY;
use custos_store::{AuditEventRecord, ObjectRecord, ScanStatus, Store};
use serde_json::{Value, json};
use std::io::{Read, Write};

pub const ORG: &str = "org-evidence";
/// 2026-10-01T00:00:00Z and 2026-11-01T00:00:00Z.
pub const FROM: i64 = 1_790_812_800;
pub const TO: i64 = FROM + 31 * DAY;
/// When the tests export: after every period they ask for.
pub const NOW: i64 = TO + DAY;
/// A key value planted in a stored object: it must never reach a pack.
pub const CANARY: &str = "sk-proj-canary-value-0123456789";
/// A clear email planted as a store configured with `store_emails` would keep it.
pub const CLEAR_EMAIL: &str = "Carol@Example.org";

fn object(kind: &str, id: &str, project: Option<&str>, data: Value) -> ObjectRecord {
    ObjectRecord {
        kind: kind.into(),
        id: id.into(),
        project_id: project.map(Into::into),
        data,
    }
}

fn user(id: &str, role: &str) -> ObjectRecord {
    object(
        "user",
        id,
        None,
        json!({"object": "organization.user", "id": id, "name": id, "role": role,
               "email": null, "email_sha256": format!("{id:0>64}"), "email_prefix": "abcd",
               "email_domain": "example.com", "added_at": FROM - DAY}),
    )
}

/// The snapshot a scan writes: users and keys change between scans, so tests can tell which
/// snapshot a pack used.
fn snapshot(users: &[(&str, &str)]) -> Vec<ObjectRecord> {
    let mut objects: Vec<ObjectRecord> = users.iter().map(|(id, role)| user(id, role)).collect();
    objects.push(object(
        "user",
        "user_clear",
        None,
        json!({"object": "organization.user", "id": "user_clear", "email": CLEAR_EMAIL}),
    ));
    objects.push(object(
        "project",
        "proj_1",
        Some("proj_1"),
        json!({"object": "organization.project", "id": "proj_1", "name": "Default", "status": "active"}),
    ));
    objects.push(object(
        "project_api_key",
        "key_1",
        Some("proj_1"),
        json!({"object": "organization.project.api_key", "id": "key_1",
               "redacted_value": "sk-proj-...abcd", "value": CANARY,
               "owner": {"type": "user", "user": {"id": "user_clear", "email": CLEAR_EMAIL}}}),
    ));
    objects.push(object(
        "admin_api_key",
        "admin_1",
        None,
        json!({"object": "organization.admin_api_key", "id": "admin_1",
               "redacted_value": "sk-admin-...wxyz"}),
    ));
    // Kinds a pack does not carry.
    objects.push(object(
        "invite",
        "invite_1",
        None,
        json!({"object": "organization.invite", "id": "invite_1"}),
    ));
    objects
}

async fn scan(store: &dyn Store, started: i64, status: ScanStatus, objects: &[ObjectRecord]) {
    let id = store.begin_scan(ORG, started).await.unwrap();
    if status != ScanStatus::Abandoned {
        store.put_objects(id, objects).await.unwrap();
    }
    if status == ScanStatus::Partial {
        let failed = custos_store::EndpointRun {
            endpoint: "GET /organization/invites".into(),
            scope: None,
            kinds: vec!["invite".into()],
            ok: false,
            error: Some("HTTP 500".into()),
            status: Some(500),
            requests: 4,
            items: 0,
        };
        store.record_endpoint(id, &failed).await.unwrap();
    }
    store.finish_scan(id, started + 60, status).await.unwrap();
}

pub fn event(id: &str, at: i64, kind: &str) -> AuditEventRecord {
    AuditEventRecord {
        id: id.into(),
        effective_at: at,
        kind: kind.into(),
        data: json!({"id": id, "type": kind, "effective_at": at,
                     "actor": {"type": "session", "session": {"user": {"id": "user_clear", "email": CLEAR_EMAIL}}}}),
    }
}

/// One organization: a scan before the period, one inside it (the snapshot at its end), an
/// abandoned one inside it, one after it; audit events before, inside (over several hours and
/// at both edges) and after the period.
pub async fn store() -> Box<dyn Store> {
    let store = custos_store::open("sqlite::memory:").await.unwrap();
    scan(
        &*store,
        FROM - DAY,
        ScanStatus::Complete,
        &snapshot(&[("user_old", "owner")]),
    )
    .await;
    scan(
        &*store,
        FROM + 10 * DAY,
        ScanStatus::Partial,
        &snapshot(&[("user_a", "owner"), ("user_b", "reader")]),
    )
    .await;
    scan(&*store, FROM + 20 * DAY, ScanStatus::Abandoned, &[]).await;
    scan(
        &*store,
        TO + 3_600,
        ScanStatus::Complete,
        &snapshot(&[("user_after", "owner")]),
    )
    .await;
    let events = vec![
        event("evt_before", FROM - 1, "login.succeeded"),
        event("evt_first", FROM, "api_key.created"),
        event("evt_b", FROM + 7_200, "project.created"),
        event("evt_a", FROM + 7_200, "user.added"),
        event("evt_late", TO - 1, "api_key.deleted"),
        event("evt_after", TO, "login.failed"),
    ];
    store.append_audit_events(ORG, &events).await.unwrap();
    store
}

pub fn findings() -> Vec<Value> {
    vec![
        json!({"policy_id": "admin-key-unused", "resource_id": "admin_1", "status": "open",
               "first_seen": FROM - DAY, "last_seen": FROM + 10 * DAY}),
        json!({"policy_id": "external-owner", "resource_id": "user_clear", "status": "resolved",
               "evidence": {"email": CLEAR_EMAIL}}),
    ]
}

pub fn actions() -> Vec<Value> {
    vec![
        json!({"id": "act_1", "at": FROM + 100, "action": "revoke_key", "target": "key_1",
                "approved_by": ["alice", "bob"]}),
    ]
}

/// An unencrypted key (scrypt in a debug build is slow; passphrases have their own tests).
pub fn signing_key() -> SigningKey {
    let pair = keygen(None).unwrap();
    SigningKey::from_text(&pair.secret, None).unwrap()
}

pub fn request() -> ExportRequest {
    ExportRequest::new(ORG, FROM, TO, NOW, "0.1.0-test")
}

pub async fn export(store: &dyn Store, request: &ExportRequest, key: &SigningKey) -> Vec<u8> {
    let mut out = Vec::new();
    custos_evidence::export(store, request, findings(), actions(), key, &mut out)
        .await
        .unwrap();
    out
}

/// A pack of the fixture store.
pub async fn pack(key: &SigningKey) -> Vec<u8> {
    export(&*store().await, &request(), key).await
}

/// One archive entry: its raw header and content.
#[derive(Clone)]
pub struct Entry {
    pub header: tar::Header,
    pub data: Vec<u8>,
}

impl Entry {
    pub fn name(&self) -> String {
        String::from_utf8_lossy(&self.header.path_bytes()).into_owned()
    }

    /// A regular file as the exporter writes it.
    pub fn file(name: &str, data: &[u8]) -> Entry {
        let mut header = tar::Header::new_ustar();
        header.set_path(name).unwrap();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_entry_type(tar::EntryType::Regular);
        header.set_cksum();
        Entry {
            header,
            data: data.to_vec(),
        }
    }

    /// An entry with any name (the tar crate refuses to write `..`) and type.
    pub fn raw(name: &[u8], kind: tar::EntryType, declared: u64, data: &[u8]) -> Entry {
        let mut header = tar::Header::new_gnu();
        header.as_old_mut().name[..name.len()].copy_from_slice(name);
        header.set_entry_type(kind);
        header.set_size(declared);
        header.set_mode(0o644);
        header.set_cksum();
        Entry {
            header,
            data: data.to_vec(),
        }
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(bytes))
}

pub fn gunzip(archive: &[u8]) -> Vec<u8> {
    let mut tar = Vec::new();
    flate2::read::GzDecoder::new(archive)
        .read_to_end(&mut tar)
        .unwrap();
    tar
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

/// The entries of a pack, in archive order.
pub fn entries(archive: &[u8]) -> Vec<Entry> {
    let tar = gunzip(archive);
    let mut reader = tar::Archive::new(tar.as_slice());
    reader
        .entries()
        .unwrap()
        .raw(true)
        .map(|entry| {
            let mut entry = entry.unwrap();
            let mut data = Vec::new();
            entry.read_to_end(&mut data).unwrap();
            Entry {
                header: entry.header().clone(),
                data,
            }
        })
        .collect()
}

/// A tar.gz of `entries`, written block by block so that a header may declare any size.
pub fn repack(entries: &[Entry]) -> Vec<u8> {
    let mut tar = Vec::new();
    for entry in entries {
        tar.extend_from_slice(entry.header.as_bytes());
        tar.extend_from_slice(&entry.data);
        tar.resize(tar.len().div_ceil(512) * 512, 0);
    }
    tar.resize(tar.len() + 1024, 0);
    gzip(&tar)
}

/// The content of one entry of a pack.
pub fn content(archive: &[u8], name: &str) -> Vec<u8> {
    entries(archive)
        .into_iter()
        .find(|e| e.name() == name)
        .map(|e| e.data)
        .unwrap_or_else(|| panic!("no {name} in the pack"))
}

pub fn lines(archive: &[u8], name: &str) -> Vec<Value> {
    String::from_utf8(content(archive, name))
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}
