//! Snapshot files: the server's whole state after input seq `seq`, so recovery reads only the
//! journal after it.
//!
//! ## Layout (little-endian)
//! ```text
//! snapshot := "BRSSNAP1" | seq u64 | payload_len u64 | payload_crc u32 | payload
//! ```
//! The payload is the server's (see `crates/server`); this module only stores it. A snapshot is
//! written to `snapshot-<seq>.bin.tmp`, synced, renamed to `snapshot-<seq>.bin`, and the
//! directory synced: a crash leaves either the old set of snapshots or the new one, never a
//! half-written file under a final name. (A stray `.tmp` is deleted by the next write.)

use crate::dir::sync_dir;
use crate::error::JournalError;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Magic bytes of a snapshot file.
pub const SNAPSHOT_MAGIC: [u8; 8] = *b"BRSSNAP1";

/// A snapshot read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadedSnapshot {
    /// The last input seq it contains.
    pub seq: u64,
    /// The payload.
    pub payload: Vec<u8>,
    /// The file.
    pub path: PathBuf,
    /// Newer snapshot files that failed their checks and were passed over, with why.
    pub skipped: Vec<(PathBuf, String)>,
}

fn name(seq: u64) -> String {
    format!("snapshot-{seq:020}.bin")
}

/// The snapshot files in `dir`, oldest first: (seq, path).
///
/// # Errors
/// [`JournalError::Io`].
pub fn list_snapshots(dir: &Path) -> Result<Vec<(u64, PathBuf)>, JournalError> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(JournalError::io(dir))? {
        let entry = entry.map_err(JournalError::io(dir))?;
        let file = entry.file_name();
        let Some(n) = file.to_str() else { continue };
        if let Some(seq) = n
            .strip_prefix("snapshot-")
            .and_then(|r| r.strip_suffix(".bin"))
            .and_then(|d| d.parse::<u64>().ok())
        {
            out.push((seq, entry.path()));
        }
    }
    out.sort();
    Ok(out)
}

/// Write the snapshot of state after input seq `seq` atomically (see the module docs); returns
/// its path.
///
/// # Errors
/// [`JournalError::Io`].
pub fn write_snapshot(dir: &Path, seq: u64, payload: &[u8]) -> Result<PathBuf, JournalError> {
    let final_path = dir.join(name(seq));
    let tmp = dir.join(format!("{}.tmp", name(seq)));
    let mut f = std::fs::File::create(&tmp).map_err(JournalError::io(&tmp))?;
    let mut head = Vec::with_capacity(28);
    head.extend_from_slice(&SNAPSHOT_MAGIC);
    head.extend_from_slice(&seq.to_le_bytes());
    head.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    head.extend_from_slice(&crc32c::crc32c(payload).to_le_bytes());
    f.write_all(&head).map_err(JournalError::io(&tmp))?;
    f.write_all(payload).map_err(JournalError::io(&tmp))?;
    f.sync_all().map_err(JournalError::io(&tmp))?;
    drop(f);
    std::fs::rename(&tmp, &final_path).map_err(JournalError::io(&final_path))?;
    sync_dir(dir)?;
    Ok(final_path)
}

/// Check and read one snapshot file.
fn read_one(path: &Path, named_seq: u64) -> Result<Vec<u8>, String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    if bytes.len() < 28 || bytes[..8] != SNAPSHOT_MAGIC {
        return Err("not a Bourse snapshot (bad magic or too short)".into());
    }
    let seq = u64::from_le_bytes(bytes[8..16].try_into().expect("8 bytes"));
    let len = u64::from_le_bytes(bytes[16..24].try_into().expect("8 bytes"));
    let crc = u32::from_le_bytes(bytes[24..28].try_into().expect("4 bytes"));
    if seq != named_seq {
        return Err(format!("holds seq {seq}, named {named_seq}"));
    }
    if bytes.len() as u64 != 28 + len {
        return Err(format!(
            "payload of {} bytes, header says {len}",
            bytes.len() - 28
        ));
    }
    let payload = &bytes[28..];
    if crc32c::crc32c(payload) != crc {
        return Err("checksum mismatch".into());
    }
    Ok(payload.to_vec())
}

/// The newest snapshot in `dir` that passes its checks (`None`: none does, or there are none);
/// newer ones that fail are listed in [`LoadedSnapshot::skipped`], never loaded.
///
/// # Errors
/// [`JournalError::Io`] when the directory cannot be read.
pub fn load_newest_snapshot(dir: &Path) -> Result<Option<LoadedSnapshot>, JournalError> {
    let mut skipped = Vec::new();
    for (seq, path) in list_snapshots(dir)?.into_iter().rev() {
        match read_one(&path, seq) {
            Ok(payload) => {
                return Ok(Some(LoadedSnapshot {
                    seq,
                    payload,
                    path,
                    skipped,
                }))
            }
            Err(why) => skipped.push((path, why)),
        }
    }
    Ok(None)
}

/// Delete all but the newest `keep` snapshots (and stray temporary files); returns how many
/// were deleted.
///
/// # Errors
/// [`JournalError::Io`].
pub fn prune_snapshots(dir: &Path, keep: usize) -> Result<usize, JournalError> {
    let all = list_snapshots(dir)?;
    let mut n = 0;
    for (_, path) in all.iter().take(all.len().saturating_sub(keep)) {
        std::fs::remove_file(path).map_err(JournalError::io(path))?;
        n += 1;
    }
    for entry in std::fs::read_dir(dir).map_err(JournalError::io(dir))? {
        let entry = entry.map_err(JournalError::io(dir))?;
        if entry
            .file_name()
            .to_str()
            .is_some_and(|n| n.ends_with(".bin.tmp"))
        {
            let _ = std::fs::remove_file(entry.path());
        }
    }
    if n > 0 {
        sync_dir(dir)?;
    }
    Ok(n)
}
