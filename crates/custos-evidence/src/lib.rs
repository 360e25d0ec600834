//! Evidence packs: one organization's period as a deterministic, signed `tar.gz` that an
//! auditor can check with custos or with the `minisign` tool alone.
//!
//! # Format `custos-evidence/1`
//!
//! A gzip stream (no file name, mtime 0) of a ustar archive whose entries come in exactly this
//! order ([`ENTRY_ORDER`]), each a regular file with mode 0644, uid/gid 0, no owner names and
//! mtime = the generation time (the end of the period, or the export time when the period has
//! not ended: nothing in a pack is dated in the future):
//!
//! | entry | holds |
//! |---|---|
//! | `manifest.json` | [`Manifest`]: format, organization, period, generation time, custos version, snapshot scan, previous pack's manifest hash, and each data file's SHA-256, size and line count |
//! | `manifest.json.minisig` | minisign signature (prehashed Ed25519) of `manifest.json`'s exact bytes |
//! | `actions.jsonl` | journal entries of the period, as given by the caller |
//! | `api_keys.jsonl` | `admin_api_key` and `project_api_key` objects of the snapshot, without `value` |
//! | `events.jsonl` | audit events with `from <= effective_at < to`, by time then id |
//! | `findings.jsonl` | findings open at any time in the period, as given by the caller |
//! | `projects.jsonl` | `project` objects of the snapshot |
//! | `scans.jsonl` | scan runs started in the period, whatever their status |
//! | `users.jsonl` | `user` objects of the snapshot |
//!
//! The manifest comes first so that a reader checks the signature before hashing anything and
//! knows each file's size before reading it. The snapshot is the latest visible scan started
//! before the end of the period (the state at the end of the period). Snapshot lines are
//! `{"scan_id", "kind", "id", "project_id", "data"}`; event lines are the store's records.
//! Every record is redacted on the way out: emails hashed as at ingest, key values dropped.
//!
//! A pack chained to a previous one ([`ExportRequest::chain_to`]) must follow it: same
//! organization, a period that starts after the previous one ended; export refuses what
//! verification would. A pack verified without its previous one says its link is unchecked
//! ([`VerifiedPack::unchecked_link`]).
//!
//! The same store and [`ExportRequest`] give a byte-identical archive: Ed25519 signatures are
//! deterministic, and nothing depends on the clock or the machine.
//!
//! # Reading safely
//!
//! [`verify`] streams the archive into hashes and never writes to disk. Before reading an
//! entry's content it refuses path traversal, links, devices and other non-regular entries,
//! names outside the format, duplicates, misordered entries and sizes above [`ReadLimits`]
//! or different from the signed manifest; while reading, it stops a decompression that grows
//! past a total or a ratio limit.

mod error;
mod export;
mod keys;
mod manifest;
mod period;
mod redact;
mod verify;

pub use error::{ExportError, KeyError, VerifyError};
pub use export::{ExportRequest, export};
pub use keys::{
    KeyPairText, PublicKey, PublicKeyText, SecretKeyText, SigningKey, keygen, write_key_pair,
    write_new_file,
};
pub use manifest::{
    ENTRY_ORDER, FORMAT, FileRecord, MANIFEST, Manifest, Period, SIGNATURE, SnapshotScan,
    data_files,
};
pub use period::{PeriodError, month};
pub use verify::{ReadLimits, VerifiedPack, verify, verify_with_limits};
