//! Crafted archives: each is refused from its header, before its content is read, or as soon
//! as its decompression outgrows the limits.

mod common;

use common::*;
use custos_evidence::{ReadLimits, VerifyError, verify, verify_with_limits};
use std::io::Write;
use tar::EntryType;

fn refused(archive: &[u8]) -> VerifyError {
    verify(archive, signing_key().public_key(), None).unwrap_err()
}

#[test]
fn path_traversal_is_refused() {
    for name in [
        &b"../x"[..],
        b"../../etc/passwd",
        b"/etc/passwd",
        b"a/../../x",
    ] {
        let archive = repack(&[Entry::raw(name, EntryType::Regular, 1, b"x")]);
        let shown = String::from_utf8_lossy(name).into_owned();
        assert_eq!(
            refused(&archive),
            VerifyError::PathTraversal { name: shown }
        );
    }
    assert_eq!(
        refused(&repack(&[Entry::raw(b"../x", EntryType::Regular, 1, b"x")])).to_string(),
        "path traversal in ../x"
    );
}

#[test]
fn links_devices_and_extension_headers_are_refused() {
    let cases = [
        (EntryType::Symlink, "symbolic link"),
        (EntryType::Link, "hard link"),
        (EntryType::Char, "device"),
        (EntryType::Block, "device"),
        (EntryType::Fifo, "FIFO"),
        (EntryType::Directory, "directory"),
        (EntryType::XHeader, "pax extension"),
        (EntryType::GNULongName, "GNU long name"),
    ];
    for (kind, shown) in cases {
        let archive = repack(&[Entry::raw(b"users.jsonl", kind, 0, b"")]);
        assert_eq!(
            refused(&archive).to_string(),
            format!("users.jsonl: {shown} entries are refused, a pack holds regular files only")
        );
    }
}

#[test]
fn oversized_entries_are_refused_from_their_header() {
    // Declared sizes only: no content follows, and none is read.
    let ten_gb = 10_000_000_000;
    let archive = repack(&[Entry::raw(b"events.jsonl", EntryType::Regular, ten_gb, b"")]);
    assert_eq!(
        refused(&archive),
        VerifyError::EntryTooLarge {
            name: "events.jsonl".into(),
            declared: ten_gb,
            limit: ReadLimits::default().max_entry_bytes,
        }
    );
    let archive = repack(&[Entry::raw(
        b"manifest.json",
        EntryType::Regular,
        2 << 20,
        b"",
    )]);
    assert!(matches!(
        refused(&archive),
        VerifyError::EntryTooLarge { ref name, .. } if name == "manifest.json"
    ));
}

#[test]
fn a_gzip_bomb_is_stopped_by_the_expansion_ratio() {
    // An entry declaring 3 GiB of zeros (under the entry limit); 80 MiB of them are enough for
    // the ratio check, which triggers after 64 MiB.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let header = Entry::raw(b"events.jsonl", EntryType::Regular, 3 << 30, b"").header;
    gz.write_all(header.as_bytes()).unwrap();
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..80 {
        gz.write_all(&zeros).unwrap();
    }
    let bomb = gz.finish().unwrap();
    assert!(bomb.len() < 200_000, "{}", bomb.len());
    let error = refused(&bomb);
    assert!(
        matches!(error, VerifyError::DecompressionBomb { .. }),
        "{error}"
    );
}

#[test]
fn the_total_expansion_is_bounded() {
    let limits = ReadLimits {
        max_total_bytes: 1 << 20,
        ..ReadLimits::default()
    };
    let noise: Vec<u8> = (0..2u32 << 20)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let archive = repack(&[Entry::raw(
        b"events.jsonl",
        EntryType::Regular,
        noise.len() as u64,
        &noise,
    )]);
    let error = verify_with_limits(
        archive.as_slice(),
        signing_key().public_key(),
        None,
        &limits,
    )
    .unwrap_err();
    assert_eq!(error, VerifyError::ArchiveTooLarge { limit: 1 << 20 });
}

#[test]
fn zeros_after_the_end_marker_are_bounded() {
    // A tar end marker followed by a megabyte of zeros: refused long before any ratio.
    let bomb = gzip(&vec![0u8; 1 << 20]);
    assert!(matches!(refused(&bomb), VerifyError::TrailingData { .. }));
}

#[test]
fn not_an_archive_at_all() {
    assert!(matches!(
        refused(b"PK\x03\x04 this is a zip file, longer than a gzip header"),
        VerifyError::Corrupt { .. }
    ));
    assert!(matches!(
        refused(&gzip(
            b"not a tar archive, but long enough to fill a block?"
        )),
        VerifyError::Truncated { .. } | VerifyError::Corrupt { .. }
    ));
    // An empty tar: every file is missing, the manifest first.
    assert_eq!(
        refused(&repack(&[])),
        VerifyError::MissingFile {
            name: "manifest.json".into()
        }
    );
}
