//! The manifest: what a pack claims to hold, signed as a whole.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The format written in every manifest; a reader refuses any other.
pub const FORMAT: &str = "custos-evidence/1";

/// The manifest's name inside the archive.
pub const MANIFEST: &str = "manifest.json";

/// The minisign signature of the manifest's exact bytes.
pub const SIGNATURE: &str = "manifest.json.minisig";

/// Every entry of a pack, in the only order a pack may have: the manifest and its signature
/// first (so that a reader checks the signature before hashing gigabytes, and knows each data
/// file's size before reading it), then the data files by name.
pub const ENTRY_ORDER: [&str; 9] = [
    MANIFEST,
    SIGNATURE,
    "actions.jsonl",
    "api_keys.jsonl",
    "events.jsonl",
    "findings.jsonl",
    "projects.jsonl",
    "scans.jsonl",
    "users.jsonl",
];

/// The data files, in archive (and manifest) order.
pub fn data_files() -> &'static [&'static str] {
    &ENTRY_ORDER[2..]
}

/// What a pack holds and where it comes from. Times are RFC 3339 in UTC, so that an auditor
/// reads them without tools.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Always [`FORMAT`].
    pub format: String,
    /// The organization id (`org-...`).
    pub organization: String,
    pub period: Period,
    pub generated_at: String,
    pub custos_version: String,
    /// The scan whose snapshot gave `users.jsonl`, `projects.jsonl` and `api_keys.jsonl`:
    /// the latest visible scan started before the end of the period; `None` when there is none
    /// (those files are then empty).
    pub snapshot: Option<SnapshotScan>,
    /// SHA-256 (hex) of the previous pack's `manifest.json`, making packs a chain.
    pub previous_manifest_sha256: Option<String>,
    /// One record per data file, in [`data_files`] order.
    pub files: Vec<FileRecord>,
}

/// A half-open period `[from, to)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Period {
    pub from: String,
    pub to: String,
}

/// The scan a snapshot comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotScan {
    pub scan_id: i64,
    pub started_at: String,
    pub finished_at: Option<String>,
    /// `complete` or `partial`: a partial snapshot lacks what its failed endpoints provide.
    pub status: String,
    /// Object kinds whose endpoint failed in that scan (sorted): for these, an empty or short
    /// file means "unknown", not "none".
    pub unknown_kinds: Vec<String>,
}

/// One data file as the producer wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileRecord {
    pub name: String,
    /// Lower-case hex.
    pub sha256: String,
    pub bytes: u64,
    /// Newline-terminated JSON lines.
    pub lines: u64,
}

impl Manifest {
    /// The exact bytes written as `manifest.json` (pretty JSON, fields in declaration order,
    /// a final newline): the bytes that are signed and whose hash chains packs.
    pub fn to_bytes(&self) -> Vec<u8> {
        // A struct of strings and integers always serializes.
        let mut bytes = serde_json::to_vec_pretty(self).unwrap_or_default();
        bytes.push(b'\n');
        bytes
    }

    /// The record of one data file.
    pub fn file(&self, name: &str) -> Option<&FileRecord> {
        self.files.iter().find(|f| f.name == name)
    }
}

/// SHA-256 of `bytes` as lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Whether `text` is a SHA-256 in lower-case hex.
pub fn is_sha256_hex(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Unix seconds as RFC 3339 UTC (`2026-10-01T00:00:00Z`); `None` outside jiff's range
/// (years -9999 to 9999).
pub fn utc(seconds: i64) -> Option<String> {
    jiff::Timestamp::from_second(seconds)
        .ok()
        .map(|t| t.to_string())
}

/// RFC 3339 back to Unix seconds.
pub fn parse_utc(text: &str) -> Option<i64> {
    text.parse::<jiff::Timestamp>().ok().map(|t| t.as_second())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_files_follow_the_signature_in_name_order() {
        let data = data_files();
        assert_eq!(data.first(), Some(&"actions.jsonl"));
        assert!(data.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn times_round_trip() {
        assert_eq!(utc(1_790_812_800).as_deref(), Some("2026-10-01T00:00:00Z"));
        assert_eq!(parse_utc("2026-10-01T00:00:00Z"), Some(1_790_812_800));
        assert_eq!(utc(i64::MAX), None);
    }
}
