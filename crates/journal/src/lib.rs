//! # bourse-journal
//!
//! The durable form of the command log for `bourse serve`: what the engine appends before anything
//! leaves the server, what recovery reads back, and the snapshots that shorten recovery. Pure file
//! I/O on a data directory; it knows the core's [`bourse_core::Command`] and nothing of the
//! server, the simulation or the network.
//!
//! ## Data directory
//! ```text
//! DATA_DIR/
//!   LOCK                                  held (advisory lock) by the one process using the dir
//!   journal/journal-00000000000000000001.seg   segments, named by their first input seq
//!   snapshots/snapshot-00000000000000123456.bin  named by the last input seq they contain
//! ```
//! Formats (byte layouts) are in `docs/FORMATS.md` ("The server's journal") and in [`segment`],
//! [`codec`] and [`snapshot`].
//!
//! ## Invariants
//! - **Dense and ordered.** Records carry input sequence numbers dense from the first segment's
//!   first seq, in file order across segments; [`JournalWriter::append`] asserts it and
//!   [`scan`] refuses a gap.
//! - **Durable when told.** [`JournalWriter::commit`] returns only after one `write` of every
//!   appended record and one `fdatasync` of the segment (group commit: the caller appends a batch
//!   and commits once); a new segment's header and directory entry are synced before any record
//!   goes into it. The caller may release what depends on a record only after `commit` returned.
//! - **Checked on the way back.** Every record has a CRC32C; a record that fails it (or is cut
//!   short) at the end of the last segment is a torn write and is cut off ([`Scan::torn`]);
//!   anywhere else it stops recovery with [`JournalError::Corrupt`] naming the segment and offset.
//!   Nothing is skipped silently.
//! - **Snapshots are atomic.** Written to a temporary file, synced, renamed, and the directory
//!   synced; a snapshot that fails its checksum is never loaded ([`load_newest_snapshot`] falls
//!   back to the previous one and says so).
//!
//! ## Bounds
//! [`MAX_RECORD_BYTES`] per record, [`DEFAULT_MAX_SEGMENT_BYTES`] per segment (rotation after the
//! commit that crosses it), [`MAX_HEADER_BYTES`] per segment header.

#![warn(missing_docs)]

pub mod codec;
mod dir;
mod error;
pub mod segment;
pub mod snapshot;
mod writer;

pub use codec::{decode_command, encode_command, CodecError};
pub use dir::DataDir;
pub use error::JournalError;
pub use segment::{
    encode_record, scan, segment_name, JournalHeader, Scan, SegmentInfo, Torn,
    DEFAULT_MAX_SEGMENT_BYTES, JOURNAL_FORMAT, MAX_HEADER_BYTES, MAX_RECORD_BYTES,
};
pub use snapshot::{
    list_snapshots, load_newest_snapshot, prune_snapshots, write_snapshot, LoadedSnapshot,
};
pub use writer::{CommitInfo, JournalWriter};
