use std::path::PathBuf;
use thiserror::Error;

/// Why the journal or a snapshot cannot be written or read back.
#[derive(Debug, Error)]
pub enum JournalError {
    /// An operating-system error on `path`.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A record or header that fails its checks somewhere other than the torn tail of the last
    /// segment: recovery stops here rather than skip it.
    #[error("journal corrupt in {segment} at byte offset {offset}: {reason}")]
    Corrupt {
        /// The segment file.
        segment: PathBuf,
        /// Byte offset of the bad record or header in it.
        offset: u64,
        /// What is wrong.
        reason: String,
    },
    /// Input sequence numbers are not dense.
    #[error("journal gap in {segment} at byte offset {offset}: expected input seq {expected}, found {found}")]
    Gap {
        /// The segment file.
        segment: PathBuf,
        /// Byte offset of the record.
        offset: u64,
        /// The next sequence number.
        expected: u64,
        /// The one found.
        found: u64,
    },
    /// Segments that do not belong to one journal (different configuration or format).
    #[error("{segment}: {reason}")]
    Mismatch {
        /// The segment file.
        segment: PathBuf,
        /// What differs.
        reason: String,
    },
    /// Another process holds the data directory.
    #[error("{0} is in use by another process (its LOCK is held)")]
    Locked(PathBuf),
    /// What a caller's callback refused while scanning (e.g. the exchange rejected a replayed
    /// sequence number).
    #[error("at input seq {seq}: {reason}")]
    Replay {
        /// The record's input seq.
        seq: u64,
        /// Why.
        reason: String,
    },
}

impl JournalError {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> JournalError {
        let path = path.into();
        move |source| JournalError::Io { path, source }
    }
}
