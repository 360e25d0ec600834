//! Verifying a pack without trusting it: the archive is streamed through limits into hashes,
//! nothing is extracted, and every entry's header is judged before its content is read.

use crate::error::VerifyError;
use crate::keys::PublicKey;
use crate::manifest::{
    ENTRY_ORDER, FORMAT, MANIFEST, Manifest, SIGNATURE, data_files, is_sha256_hex, parse_utc,
    sha256_hex, utc,
};
use sha2::{Digest, Sha256};
use std::cell::Cell;
use std::io::{self, BufRead, BufReader, Read};
use std::rc::Rc;

/// What a reader accepts before it gives up on an archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadLimits {
    /// Largest `manifest.json`.
    pub max_manifest_bytes: u64,
    /// Largest `manifest.json.minisig`.
    pub max_signature_bytes: u64,
    /// Largest data file, whatever the manifest says.
    pub max_entry_bytes: u64,
    /// Largest decompressed archive.
    pub max_total_bytes: u64,
    /// Largest ratio of decompressed to compressed bytes...
    pub max_expansion_ratio: u64,
    /// ...once this many bytes came out (small archives have large ratios of padding).
    pub ratio_grace_bytes: u64,
    /// Zeros allowed after the tar end marker (writers pad to their record size).
    pub max_padding_bytes: u64,
}

impl Default for ReadLimits {
    /// Room for tens of millions of audit events per pack. JSON lines compress about 10 to 1;
    /// a gzip bomb (zeros) about 1000 to 1.
    fn default() -> Self {
        ReadLimits {
            max_manifest_bytes: 1 << 20,
            max_signature_bytes: 4 << 10,
            max_entry_bytes: 4 << 30,
            max_total_bytes: 8 << 30,
            max_expansion_ratio: 200,
            ratio_grace_bytes: 64 << 20,
            max_padding_bytes: 64 << 10,
        }
    }
}

/// A pack that verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedPack {
    pub manifest: Manifest,
    /// SHA-256 (hex) of `manifest.json`: what the next pack names as its previous one.
    pub manifest_sha256: String,
    /// Whether a previous pack was given and the chain link to it checked.
    pub chain_checked: bool,
    /// Size of the compressed archive.
    pub archive_bytes: u64,
}

impl VerifiedPack {
    /// The previous manifest hash this pack names when its link was not checked (no previous
    /// pack given): the chain is then unproven, and whoever verifies must say so.
    pub fn unchecked_link(&self) -> Option<&str> {
        self.manifest
            .previous_manifest_sha256
            .as_deref()
            .filter(|_| !self.chain_checked)
    }
}

/// Verifies a pack with the default [`ReadLimits`]: the signature of the manifest with `key`,
/// every file's size, SHA-256 and line count, that no file is missing, extra, duplicated or
/// out of place, and, with `previous` (a pack verified before), the chain link to it: same
/// organization, an earlier period, and its manifest hash.
pub fn verify(
    archive: impl Read,
    key: &PublicKey,
    previous: Option<&VerifiedPack>,
) -> Result<VerifiedPack, VerifyError> {
    verify_with_limits(archive, key, previous, &ReadLimits::default())
}

/// [`verify`] with explicit limits.
pub fn verify_with_limits(
    archive: impl Read,
    key: &PublicKey,
    previous: Option<&VerifiedPack>,
    limits: &ReadLimits,
) -> Result<VerifiedPack, VerifyError> {
    let progress = Rc::new(Progress::default());
    let source = BufReader::with_capacity(
        1 << 16,
        Counted {
            inner: archive,
            progress: Rc::clone(&progress),
        },
    );
    let expanded = Expanded {
        inner: flate2::bufread::GzDecoder::new(source),
        progress: Rc::clone(&progress),
        limits: limits.clone(),
    };
    let mut archive = tar::Archive::new(expanded);
    let mut reader = PackReader {
        key,
        limits,
        progress: &progress,
        placement: Placement::default(),
        manifest_bytes: None,
        signature_bytes: None,
        verified: None,
    };
    // Raw entries: GNU long names and pax headers reach us as entries (and are refused)
    // instead of being read into memory and applied by the tar crate.
    let entries = archive.entries().map_err(|e| progress.error(e))?.raw(true);
    for entry in entries {
        let mut entry = entry.map_err(|e| progress.error(e))?;
        reader.entry(&mut entry)?;
    }
    check_end(archive.into_inner(), &progress, limits)?;
    if let Some(name) = reader.placement.first_missing() {
        return Err(VerifyError::MissingFile { name: name.into() });
    }
    let (manifest, manifest_sha256) = reader.verified.ok_or_else(|| VerifyError::MissingFile {
        name: MANIFEST.into(),
    })?;
    if let Some(previous) = previous {
        check_chain(&manifest, previous)?;
    }
    Ok(VerifiedPack {
        manifest,
        manifest_sha256,
        chain_checked: previous.is_some(),
        archive_bytes: progress.compressed.get(),
    })
}

/// Shared between the reader layers, so that an I/O error from deep inside the tar crate can
/// be told apart: a limit we broke on purpose, the input ending early (gzip reports a missing
/// trailer or block as an unexpected end of file), or corruption.
#[derive(Default)]
struct Progress {
    /// Compressed bytes read from the input.
    compressed: Cell<u64>,
    /// Decompressed bytes produced.
    expanded: Cell<u64>,
    breach: Cell<Option<VerifyError>>,
}

impl Progress {
    fn error(&self, error: io::Error) -> VerifyError {
        if let Some(breach) = self.breach.take() {
            return breach;
        }
        if error.kind() == io::ErrorKind::UnexpectedEof {
            return self.truncated();
        }
        VerifyError::Corrupt {
            at: self.compressed.get(),
            reason: error.to_string(),
        }
    }

    fn truncated(&self) -> VerifyError {
        VerifyError::Truncated {
            at: self.compressed.get(),
        }
    }

    /// Records why the stream stops; the tar crate only passes an opaque I/O error up.
    fn breach(&self, error: VerifyError) -> io::Error {
        let message = error.to_string();
        self.breach.set(Some(error));
        io::Error::other(message)
    }
}

/// The compressed input, counted.
struct Counted<R> {
    inner: R,
    progress: Rc<Progress>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress
            .compressed
            .set(self.progress.compressed.get() + n as u64);
        Ok(n)
    }
}

/// The decompressed stream, stopped at the total and ratio limits.
struct Expanded<D> {
    inner: D,
    progress: Rc<Progress>,
    limits: ReadLimits,
}

impl<D: Read> Read for Expanded<D> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let expanded = self.progress.expanded.get() + n as u64;
        self.progress.expanded.set(expanded);
        let compressed = self.progress.compressed.get().max(1);
        if expanded > self.limits.max_total_bytes {
            return Err(self.progress.breach(VerifyError::ArchiveTooLarge {
                limit: self.limits.max_total_bytes,
            }));
        }
        if expanded > self.limits.ratio_grace_bytes
            && expanded / compressed > self.limits.max_expansion_ratio
        {
            return Err(self.progress.breach(VerifyError::DecompressionBomb {
                expanded,
                compressed,
                limit: self.limits.max_expansion_ratio,
            }));
        }
        Ok(n)
    }
}

/// Which expected entries were seen, and in what order.
#[derive(Default)]
struct Placement {
    seen: [bool; ENTRY_ORDER.len()],
    /// Index in [`ENTRY_ORDER`] after the last entry placed.
    next: usize,
    last: Option<&'static str>,
}

impl Placement {
    /// Places an entry, refusing names outside the format, duplicates and going backwards.
    /// Skipping ahead is allowed here: the skipped names are reported missing at the end,
    /// or out of order if they turn up later.
    fn place(&mut self, name: &str) -> Result<&'static str, VerifyError> {
        let Some(index) = ENTRY_ORDER.iter().position(|n| *n == name) else {
            return Err(VerifyError::ExtraFile { name: name.into() });
        };
        let name = ENTRY_ORDER[index];
        if self.seen[index] {
            return Err(VerifyError::DuplicateFile { name: name.into() });
        }
        if index < self.next {
            return Err(VerifyError::OutOfOrder {
                name: name.into(),
                after: self.last.unwrap_or_default().into(),
            });
        }
        self.seen[index] = true;
        self.next = index + 1;
        self.last = Some(name);
        Ok(name)
    }

    fn first_missing(&self) -> Option<&'static str> {
        ENTRY_ORDER
            .iter()
            .zip(self.seen)
            .find_map(|(name, seen)| (!seen).then_some(*name))
    }
}

struct PackReader<'a> {
    key: &'a PublicKey,
    limits: &'a ReadLimits,
    progress: &'a Progress,
    placement: Placement,
    manifest_bytes: Option<Vec<u8>>,
    signature_bytes: Option<Vec<u8>>,
    /// The manifest once its signature verified, with its hash.
    verified: Option<(Manifest, String)>,
}

impl PackReader<'_> {
    /// Judges an entry by its header, then reads it.
    fn entry<R: Read>(&mut self, entry: &mut tar::Entry<'_, R>) -> Result<(), VerifyError> {
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        check_name(&name)?;
        check_type(&name, entry.header().entry_type())?;
        let declared = entry.size();
        let limit = match name.as_str() {
            MANIFEST => self.limits.max_manifest_bytes,
            SIGNATURE => self.limits.max_signature_bytes,
            _ => self.limits.max_entry_bytes,
        };
        if declared > limit {
            return Err(VerifyError::EntryTooLarge {
                name,
                declared,
                limit,
            });
        }
        match self.placement.place(&name)? {
            MANIFEST => self.manifest_bytes = Some(self.read_small(entry, declared)?),
            SIGNATURE => self.signature_bytes = Some(self.read_small(entry, declared)?),
            data => return self.data_entry(data, entry, declared),
        }
        if let (None, Some(manifest), Some(signature)) =
            (&self.verified, &self.manifest_bytes, &self.signature_bytes)
        {
            self.key.verify_minisig(manifest, signature)?;
            self.verified = Some((parse_manifest(manifest)?, sha256_hex(manifest)));
        }
        Ok(())
    }

    fn read_small<R: Read>(&self, entry: &mut R, declared: u64) -> Result<Vec<u8>, VerifyError> {
        // `declared` is under a small limit here.
        let mut bytes = Vec::with_capacity(usize::try_from(declared).unwrap_or(0));
        entry
            .read_to_end(&mut bytes)
            .map_err(|e| self.progress.error(e))?;
        if (bytes.len() as u64) < declared {
            return Err(self.progress.truncated());
        }
        Ok(bytes)
    }

    fn data_entry<R: Read>(
        &mut self,
        name: &'static str,
        entry: &mut R,
        declared: u64,
    ) -> Result<(), VerifyError> {
        // Only a manifest that came first and verified says what to expect; without one, the
        // pack fails at the end (missing manifest) and the tar reader skips this content.
        let Some((manifest, _)) = &self.verified else {
            return Ok(());
        };
        let Some(expected) = manifest.file(name) else {
            return Err(VerifyError::MalformedManifest {
                reason: format!("does not list {name}"),
            });
        };
        if declared != expected.bytes {
            return Err(VerifyError::SizeMismatch {
                name: name.into(),
                expected: expected.bytes,
                actual: declared,
            });
        }
        let measured = measure(entry).map_err(|e| self.progress.error(e))?;
        if measured.bytes < declared {
            return Err(self.progress.truncated());
        }
        if measured.sha256 != expected.sha256 {
            return Err(VerifyError::HashMismatch {
                name: name.into(),
                expected: expected.sha256.clone(),
                actual: measured.sha256,
            });
        }
        if measured.lines != expected.lines {
            return Err(VerifyError::LineCountMismatch {
                name: name.into(),
                expected: expected.lines,
                actual: measured.lines,
            });
        }
        Ok(())
    }
}

/// Refuses names that would escape a directory if someone extracted the pack with another tool.
fn check_name(name: &str) -> Result<(), VerifyError> {
    let escapes = name.starts_with('/')
        || name.starts_with('\\')
        || name.contains(':')
        || name.split(['/', '\\']).any(|part| part == "..");
    if escapes {
        return Err(VerifyError::PathTraversal { name: name.into() });
    }
    Ok(())
}

fn check_type(name: &str, kind: tar::EntryType) -> Result<(), VerifyError> {
    use tar::EntryType as T;
    let refused = match kind {
        T::Regular => return Ok(()),
        T::Symlink => "symbolic link",
        T::Link => "hard link",
        T::Char | T::Block => "device",
        T::Fifo => "FIFO",
        T::Directory => "directory",
        T::XHeader | T::XGlobalHeader => "pax extension",
        T::GNULongName | T::GNULongLink => "GNU long name",
        T::GNUSparse => "sparse file",
        _ => "special",
    };
    Err(VerifyError::NotARegularFile {
        name: name.into(),
        kind: refused.into(),
    })
}

/// An entry's content as read.
struct Measured {
    sha256: String,
    bytes: u64,
    lines: u64,
}

/// Hashes an entry's content and counts its bytes and lines.
fn measure(reader: &mut impl Read) -> io::Result<Measured> {
    let mut hasher = Sha256::new();
    let mut buffer = vec![0; 1 << 16];
    let (mut bytes, mut lines) = (0u64, 0u64);
    loop {
        let n = match reader.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let chunk = &buffer[..n];
        hasher.update(chunk);
        bytes += n as u64;
        lines += chunk.iter().filter(|&&b| b == b'\n').count() as u64;
    }
    Ok(Measured {
        sha256: hex::encode(hasher.finalize()),
        bytes,
        lines,
    })
}

/// After the tar end marker: only zero padding, then the gzip trailer (its CRC and length are
/// checked by reading to the end), then nothing.
fn check_end<R: BufRead>(
    mut rest: Expanded<flate2::bufread::GzDecoder<R>>,
    progress: &Progress,
    limits: &ReadLimits,
) -> Result<(), VerifyError> {
    let mut padding = 0u64;
    let mut buffer = [0u8; 8192];
    loop {
        let n = match rest.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(progress.error(e)),
        };
        padding += n as u64;
        if buffer[..n].iter().any(|&b| b != 0) || padding > limits.max_padding_bytes {
            return Err(VerifyError::TrailingData {
                at: progress.compressed.get(),
            });
        }
    }
    let mut source = rest.inner.into_inner();
    let left = source.fill_buf().map_err(|e| progress.error(e))?.len() as u64;
    if left > 0 {
        return Err(VerifyError::TrailingData {
            at: progress.compressed.get() - left,
        });
    }
    Ok(())
}

/// Parses a manifest whose signature verified, and checks that it describes this format.
fn parse_manifest(bytes: &[u8]) -> Result<Manifest, VerifyError> {
    let malformed = |reason: String| VerifyError::MalformedManifest { reason };
    // Format first, so that a newer format is reported as such rather than as unknown fields.
    let format = serde_json::from_slice::<serde_json::Value>(bytes)
        .map_err(|e| malformed(format!("not JSON: {e}")))?
        .get("format")
        .and_then(|f| f.as_str().map(str::to_owned))
        .unwrap_or_default();
    if format != FORMAT {
        return Err(VerifyError::UnsupportedFormat {
            format,
            supported: FORMAT.into(),
        });
    }
    let manifest: Manifest = serde_json::from_slice(bytes).map_err(|e| malformed(e.to_string()))?;
    let listed: Vec<&str> = manifest.files.iter().map(|f| f.name.as_str()).collect();
    if listed != data_files() {
        return Err(malformed(format!(
            "lists {listed:?}, the format has {:?}",
            data_files()
        )));
    }
    if let Some(file) = manifest.files.iter().find(|f| !is_sha256_hex(&f.sha256)) {
        return Err(malformed(format!(
            "the SHA-256 of {} is not lower-case hex",
            file.name
        )));
    }
    if let Some(hash) = &manifest.previous_manifest_sha256
        && !is_sha256_hex(hash)
    {
        return Err(malformed(
            "previous_manifest_sha256 is not lower-case hex".into(),
        ));
    }
    let (from, to) = period_seconds(&manifest)?;
    if from >= to {
        return Err(malformed(format!(
            "the period {}/{} is empty",
            manifest.period.from, manifest.period.to
        )));
    }
    Ok(manifest)
}

fn period_seconds(manifest: &Manifest) -> Result<(i64, i64), VerifyError> {
    let time = |text: &str| {
        parse_utc(text).ok_or_else(|| VerifyError::MalformedManifest {
            reason: format!("{text:?} is not an RFC 3339 time"),
        })
    };
    Ok((time(&manifest.period.from)?, time(&manifest.period.to)?))
}

fn check_chain(manifest: &Manifest, previous: &VerifiedPack) -> Result<(), VerifyError> {
    let chain = |reason: String| Err(VerifyError::Chain { reason });
    let Some(link) = &manifest.previous_manifest_sha256 else {
        return chain("manifest.json names no previous pack, but one was given".into());
    };
    if *link != previous.manifest_sha256 {
        return chain(format!(
            "manifest.json names previous manifest {link}, the given previous pack's manifest is {}",
            previous.manifest_sha256
        ));
    }
    let (from, _) = period_seconds(manifest)?;
    check_order(&previous.manifest, &manifest.organization, from).or_else(chain)
}

/// Whether a pack of `organization` starting at `from` may follow the pack of `previous`:
/// same organization, and the previous period ended by then. Export and verification share it,
/// so that no pack is written that its verification would refuse.
pub(crate) fn check_order(
    previous: &Manifest,
    organization: &str,
    from: i64,
) -> Result<(), String> {
    if previous.organization != organization {
        return Err(format!(
            "the previous pack is of organization {}, this one of {organization}",
            previous.organization
        ));
    }
    let previous_to = parse_utc(&previous.period.to).ok_or_else(|| {
        format!(
            "the previous pack's period end {:?} is not a time",
            previous.period.to
        )
    })?;
    if previous_to > from {
        return Err(format!(
            "the previous pack's period ends at {}, after this one starts at {}",
            previous.period.to,
            utc(from).unwrap_or_else(|| from.to_string())
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placement_reports_duplicates_order_and_gaps() {
        let mut placement = Placement::default();
        assert!(placement.place(MANIFEST).is_ok());
        assert_eq!(
            placement.place("evil.txt"),
            Err(VerifyError::ExtraFile {
                name: "evil.txt".into()
            })
        );
        assert!(placement.place("events.jsonl").is_ok());
        assert_eq!(
            placement.place(SIGNATURE),
            Err(VerifyError::OutOfOrder {
                name: SIGNATURE.into(),
                after: "events.jsonl".into()
            })
        );
        assert!(matches!(
            placement.place("events.jsonl"),
            Err(VerifyError::DuplicateFile { .. })
        ));
        assert_eq!(placement.first_missing(), Some(SIGNATURE));
    }

    #[test]
    fn names_that_escape_are_traversal() {
        for name in ["../x", "a/../../x", "/etc/passwd", "..\\x", "C:x"] {
            assert!(
                matches!(check_name(name), Err(VerifyError::PathTraversal { .. })),
                "{name}"
            );
        }
        assert!(check_name("users.jsonl").is_ok());
    }
}
