//! The tamper matrix: every change to a pack is detected, with a message that names what.

mod common;

use common::*;
use custos_evidence::{
    ENTRY_ORDER, ExportRequest, Manifest, PublicKey, SigningKey, VerifiedPack, VerifyError, verify,
};

struct Fixture {
    key: SigningKey,
    archive: Vec<u8>,
    entries: Vec<Entry>,
}

async fn fixture() -> Fixture {
    let key = signing_key();
    let archive = pack(&key).await;
    let entries = entries(&archive);
    Fixture {
        key,
        archive,
        entries,
    }
}

impl Fixture {
    fn verify(&self, archive: &[u8]) -> Result<VerifiedPack, VerifyError> {
        verify(archive, self.key.public_key(), None)
    }

    /// Verifies a changed copy and returns its error message.
    fn refused(&self, entries: &[Entry]) -> String {
        match self.verify(&repack(entries)) {
            Ok(_) => panic!("a tampered pack verified"),
            Err(e) => e.to_string(),
        }
    }
}

#[tokio::test]
async fn an_untouched_pack_verifies_and_so_does_its_repacked_copy() {
    let f = fixture().await;
    f.verify(&f.archive).unwrap();
    f.verify(&repack(&f.entries)).unwrap();
}

#[tokio::test]
async fn one_byte_flipped_in_any_file_names_that_file() {
    let f = fixture().await;
    for index in 0..f.entries.len() {
        let mut entries = f.entries.clone();
        let name = entries[index].name();
        let middle = entries[index].data.len() / 2;
        entries[index].data[middle] ^= 0x01;
        let message = f.refused(&entries);
        assert!(message.contains(&name), "{name}: {message}");
        if name.ends_with(".jsonl") {
            assert!(message.contains("SHA-256 mismatch"), "{message}");
        }
    }
}

#[tokio::test]
async fn a_removed_file_is_missing() {
    let f = fixture().await;
    for name in ENTRY_ORDER {
        let entries: Vec<Entry> = f
            .entries
            .iter()
            .filter(|e| e.name() != name)
            .cloned()
            .collect();
        assert_eq!(f.refused(&entries), format!("missing file {name}"));
    }
}

#[tokio::test]
async fn an_added_file_is_extra_wherever_it_is() {
    let f = fixture().await;
    for position in [0, 2, f.entries.len()] {
        let mut entries = f.entries.clone();
        entries.insert(position, Entry::file("evil.txt", b"hello"));
        assert_eq!(f.refused(&entries), "extra file evil.txt");
    }
    // A second copy of a real file.
    let mut entries = f.entries.clone();
    entries.push(f.entries[4].clone());
    assert_eq!(f.refused(&entries), "duplicate file events.jsonl");
}

#[tokio::test]
async fn reordered_entries_are_out_of_order() {
    let f = fixture().await;
    let swapped = |a: usize, b: usize| {
        let mut entries = f.entries.clone();
        entries.swap(a, b);
        f.refused(&entries)
    };
    assert_eq!(
        swapped(0, 1),
        "entries out of order: manifest.json comes after manifest.json.minisig"
    );
    assert_eq!(
        swapped(7, 8),
        "entries out of order: scans.jsonl comes after users.jsonl"
    );
    // The manifest moved to the end.
    let mut entries = f.entries.clone();
    let manifest = entries.remove(0);
    entries.push(manifest);
    assert_eq!(
        f.refused(&entries),
        "entries out of order: manifest.json comes after users.jsonl"
    );
}

#[tokio::test]
async fn a_manifest_rewritten_with_fresh_hashes_fails_its_signature() {
    let f = fixture().await;
    let mut entries = f.entries.clone();
    let users = entries
        .iter_mut()
        .find(|e| e.name() == "users.jsonl")
        .unwrap();
    users.data = b"{\"id\":\"user_invented\"}\n".to_vec();
    users.header.set_size(users.data.len() as u64);
    users.header.set_cksum();
    let (size, hash) = (users.data.len() as u64, sha256_hex(&users.data));
    let mut manifest: Manifest = serde_json::from_slice(&entries[0].data).unwrap();
    let record = manifest
        .files
        .iter_mut()
        .find(|r| r.name == "users.jsonl")
        .unwrap();
    (record.bytes, record.sha256, record.lines) = (size, hash, 1);
    entries[0] = Entry::file("manifest.json", &manifest.to_bytes());
    let message = f.refused(&entries);
    assert!(
        message.starts_with(
            "manifest.json: the signature in manifest.json.minisig does not verify with key RW"
        ),
        "{message}"
    );
}

#[tokio::test]
async fn another_key_is_refused_even_with_a_copied_key_id() {
    let f = fixture().await;
    let other = signing_key();
    let message = verify(f.archive.as_slice(), other.public_key(), None)
        .unwrap_err()
        .to_string();
    assert!(
        message.starts_with("manifest.json.minisig: signed by key ID ")
            && message.contains(other.public_key().to_base64()),
        "{message}"
    );
    // A forger's key that claims the signer's key id: the signature itself fails.
    let forged = forged_key(f.key.public_key(), other.public_key());
    let message = verify(f.archive.as_slice(), &forged, None)
        .unwrap_err()
        .to_string();
    assert!(message.contains("does not verify with key"), "{message}");
}

/// `other`'s Ed25519 key under `signer`'s key id.
fn forged_key(signer: &PublicKey, other: &PublicKey) -> PublicKey {
    use base64::Engine as _;
    let engine = base64::engine::general_purpose::STANDARD;
    let mut bytes = engine.decode(other.to_base64()).unwrap();
    let signer_bytes = engine.decode(signer.to_base64()).unwrap();
    bytes[2..10].copy_from_slice(&signer_bytes[2..10]);
    PublicKey::from_text(&engine.encode(bytes)).unwrap()
}

#[tokio::test]
async fn a_cut_archive_is_truncated_at_every_offset() {
    let f = fixture().await;
    let len = f.archive.len();
    for cut in [
        0,
        1,
        9,
        10,
        100,
        len / 3,
        len / 2,
        len - 9,
        len - 8,
        len - 1,
    ] {
        let error = f.verify(&f.archive[..cut]).unwrap_err();
        assert!(
            matches!(error, VerifyError::Truncated { .. }),
            "cut at {cut} of {len}: {error}"
        );
        assert!(error.to_string().starts_with("archive truncated at byte "));
    }
}

#[tokio::test]
async fn bytes_after_the_archive_are_refused() {
    let f = fixture().await;
    let mut archive = f.archive.clone();
    archive.extend_from_slice(b"appended");
    assert_eq!(
        f.verify(&archive).unwrap_err(),
        VerifyError::TrailingData {
            at: f.archive.len() as u64
        }
    );
    // A second gzip member (another tar stream) is trailing data too.
    let mut archive = f.archive.clone();
    archive.extend_from_slice(&gzip(b"more"));
    assert!(matches!(
        f.verify(&archive),
        Err(VerifyError::TrailingData { .. })
    ));
}

/// A flipped bit in the compressed stream either breaks it, or (in a Huffman table entry no
/// symbol uses, say) decodes to the very same archive: the signed content never changes
/// unnoticed.
#[tokio::test]
async fn flipping_any_compressed_byte_breaks_the_pack_or_changes_nothing() {
    let f = fixture().await;
    let original = gunzip(&f.archive);
    // Every 97th byte: gzip header, deflate data and trailer (CRC, length).
    for index in (0..f.archive.len())
        .step_by(97)
        .chain([f.archive.len() - 1])
    {
        let mut archive = f.archive.clone();
        archive[index] ^= 0x40;
        if f.verify(&archive).is_ok() {
            assert!(
                gunzip(&archive) == original,
                "byte {index} flipped changed the content and verified"
            );
        }
    }
}

#[tokio::test]
async fn packs_chain_by_manifest_hash() {
    let key = signing_key();
    let store = store().await;
    let september = ExportRequest::new(ORG, FROM - 30 * DAY, FROM, NOW, "0.1.0");
    let first = export(&*store, &september, &key).await;
    let first = verify(first.as_slice(), key.public_key(), None).unwrap();
    let october = ExportRequest {
        previous_manifest_sha256: Some(first.manifest_sha256.clone()),
        ..request()
    };
    let second = export(&*store, &october, &key).await;
    let verified = verify(second.as_slice(), key.public_key(), Some(&first)).unwrap();
    assert!(verified.chain_checked);
    assert_eq!(
        verified.manifest.previous_manifest_sha256,
        Some(first.manifest_sha256.clone())
    );

    // Another pack given as the previous one.
    let unrelated = pack(&key).await;
    let unrelated = verify(unrelated.as_slice(), key.public_key(), None).unwrap();
    let message = verify(second.as_slice(), key.public_key(), Some(&unrelated))
        .unwrap_err()
        .to_string();
    assert!(
        message.starts_with("chain: manifest.json names previous manifest"),
        "{message}"
    );
    // A pack without a link, checked against a previous one.
    let unlinked = pack(&key).await;
    let message = verify(unlinked.as_slice(), key.public_key(), Some(&first))
        .unwrap_err()
        .to_string();
    assert_eq!(
        message,
        "chain: manifest.json names no previous pack, but one was given"
    );
}

/// `--previous` must be an earlier pack of the same organization: export refuses a later one
/// (or another organization's) before writing anything, as verification would refuse the link.
#[tokio::test]
async fn a_pack_cannot_be_chained_to_a_later_or_foreign_one() {
    let key = signing_key();
    let store = store().await;
    let november = ExportRequest::new(ORG, TO, TO + 30 * DAY, NOW + 40 * DAY, "0.1.0");
    let november = verify(
        export(&*store, &november, &key).await.as_slice(),
        key.public_key(),
        None,
    )
    .unwrap();
    let mut october = request();
    let refused = october.chain_to(&november).unwrap_err().to_string();
    assert!(
        refused.contains("the previous pack's period ends at 2026-12-01T00:00:00Z, after this one starts at 2026-10-01T00:00:00Z"),
        "{refused}"
    );
    assert_eq!(
        october.previous_manifest_sha256, None,
        "nothing was chained"
    );

    let mut other_org = ExportRequest::new("org-other", TO + 30 * DAY, TO + 60 * DAY, NOW, "0.1.0");
    let refused = other_org.chain_to(&november).unwrap_err().to_string();
    assert!(
        refused.contains("of organization org-evidence"),
        "{refused}"
    );

    let mut december =
        ExportRequest::new(ORG, TO + 30 * DAY, TO + 61 * DAY, NOW + 90 * DAY, "0.1.0");
    december.chain_to(&november).unwrap();
    let december = export(&*store, &december, &key).await;
    let alone = verify(december.as_slice(), key.public_key(), None).unwrap();
    assert_eq!(
        alone.unchecked_link(),
        Some(november.manifest_sha256.as_str())
    );
    let linked = verify(december.as_slice(), key.public_key(), Some(&november)).unwrap();
    assert_eq!(linked.unchecked_link(), None);
    assert_eq!(
        november.unchecked_link(),
        None,
        "a first pack has no link to check"
    );
}
