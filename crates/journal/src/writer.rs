use crate::dir::sync_dir;
use crate::error::JournalError;
use crate::segment::{encode_header, encode_record, segment_name, JournalHeader, Scan};
use bourse_core::{Command, ExchangeConfig};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// What one [`JournalWriter::commit`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CommitInfo {
    /// Records written and synced.
    pub records: u64,
    /// Bytes written.
    pub bytes: u64,
}

/// Appends records to the journal with group commit: [`append`](Self::append) buffers,
/// [`commit`](Self::commit) writes the buffer in one `write` and `fdatasync`s once.
///
/// Invariant: records are appended with dense input seqs starting at [`next_seq`](Self::next_seq)
/// (a debug assertion; the engine is the only writer), and nothing appended is durable until
/// `commit` returns `Ok`.
#[derive(Debug)]
pub struct JournalWriter {
    dir: PathBuf,
    config: ExchangeConfig,
    meta: serde_json::Value,
    file: File,
    path: PathBuf,
    len: u64,
    buf: Vec<u8>,
    buffered: u64,
    next_seq: u64,
    max_segment_bytes: u64,
    /// Records committed to the current segment.
    segment_records: u64,
}

impl JournalWriter {
    /// Continue the journal that `scan` (of `journal_dir`) found: cut off its torn tail, if any,
    /// and append to its last segment; with no journal yet, start one whose first record will be
    /// input seq `scan.last_seq + 1` (1 for a new server).
    ///
    /// # Errors
    /// [`JournalError::Io`]; [`JournalError::Mismatch`] when `config` is not the journal's.
    pub fn resume(
        journal_dir: &Path,
        scan: &Scan,
        config: ExchangeConfig,
        meta: serde_json::Value,
        max_segment_bytes: u64,
    ) -> Result<JournalWriter, JournalError> {
        if let Some(h) = &scan.header {
            if h.config != config {
                return Err(JournalError::Mismatch {
                    segment: journal_dir.to_path_buf(),
                    reason: "the journal was written for another exchange configuration".into(),
                });
            }
        }
        if let Some(t) = &scan.torn {
            if t.offset == 0 {
                std::fs::remove_file(&t.segment).map_err(JournalError::io(&t.segment))?;
                sync_dir(journal_dir)?;
            } else {
                let f = OpenOptions::new()
                    .write(true)
                    .open(&t.segment)
                    .map_err(JournalError::io(&t.segment))?;
                f.set_len(t.offset).map_err(JournalError::io(&t.segment))?;
                f.sync_all().map_err(JournalError::io(&t.segment))?;
            }
        }
        let next_seq = scan.last_seq + 1;
        match scan.segments.last() {
            Some(last) => {
                let file = OpenOptions::new()
                    .append(true)
                    .open(&last.path)
                    .map_err(JournalError::io(&last.path))?;
                let len = file.metadata().map_err(JournalError::io(&last.path))?.len();
                Ok(JournalWriter {
                    dir: journal_dir.to_path_buf(),
                    config,
                    meta,
                    file,
                    path: last.path.clone(),
                    len,
                    buf: Vec::with_capacity(1 << 16),
                    buffered: 0,
                    next_seq,
                    max_segment_bytes,
                    segment_records: last.last_seq + 1 - last.first_seq,
                })
            }
            None => {
                let (file, path, len) =
                    Self::new_segment(journal_dir, &config, &meta, next_seq.max(1))?;
                Ok(JournalWriter {
                    dir: journal_dir.to_path_buf(),
                    config,
                    meta,
                    file,
                    path,
                    len,
                    buf: Vec::with_capacity(1 << 16),
                    buffered: 0,
                    next_seq: next_seq.max(1),
                    max_segment_bytes,
                    segment_records: 0,
                })
            }
        }
    }

    fn new_segment(
        dir: &Path,
        config: &ExchangeConfig,
        meta: &serde_json::Value,
        first_seq: u64,
    ) -> Result<(File, PathBuf, u64), JournalError> {
        let path = dir.join(segment_name(first_seq));
        let header = encode_header(&JournalHeader {
            format: "bourse-journal".into(),
            version: crate::segment::JOURNAL_FORMAT,
            first_seq,
            config: config.clone(),
            meta: meta.clone(),
        });
        let mut file = OpenOptions::new()
            .create_new(true)
            .append(true)
            .open(&path)
            .map_err(JournalError::io(&path))?;
        file.write_all(&header).map_err(JournalError::io(&path))?;
        file.sync_all().map_err(JournalError::io(&path))?;
        sync_dir(dir)?;
        Ok((file, path, header.len() as u64))
    }

    /// Input seq the next appended record must carry.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// Records appended since the last commit.
    pub fn pending(&self) -> u64 {
        self.buffered
    }

    /// The segment being written.
    pub fn segment(&self) -> &Path {
        &self.path
    }

    /// Buffer the record of command `seq` (stamped `ts_ns`); durable only after
    /// [`commit`](Self::commit).
    pub fn append(&mut self, seq: u64, ts_ns: u64, cmd: &Command) {
        debug_assert_eq!(seq, self.next_seq, "journal records must be dense");
        encode_record(seq, ts_ns, cmd, &mut self.buf);
        self.next_seq = seq + 1;
        self.buffered += 1;
    }

    /// Write everything appended since the last commit in one `write` and `fdatasync` the
    /// segment; then, if the segment has grown past its maximum, start the next one. With
    /// nothing appended it does nothing.
    ///
    /// # Errors
    /// [`JournalError::Io`]: the records are then not known to be durable, and the caller must
    /// not release anything that depends on them (the server stops).
    pub fn commit(&mut self) -> Result<CommitInfo, JournalError> {
        if self.buffered == 0 {
            return Ok(CommitInfo::default());
        }
        let info = CommitInfo {
            records: self.buffered,
            bytes: self.buf.len() as u64,
        };
        self.file
            .write_all(&self.buf)
            .map_err(JournalError::io(&self.path))?;
        self.file
            .sync_data()
            .map_err(JournalError::io(&self.path))?;
        self.len += info.bytes;
        self.segment_records += info.records;
        self.buf.clear();
        self.buffered = 0;
        if self.len >= self.max_segment_bytes {
            self.rotate()?;
        }
        Ok(info)
    }

    /// Start a new segment at [`next_seq`](Self::next_seq) (nothing may be pending). The server
    /// rotates after each snapshot, so that the segments a snapshot covers can be pruned whole.
    ///
    /// # Errors
    /// [`JournalError::Io`].
    pub fn rotate(&mut self) -> Result<(), JournalError> {
        debug_assert_eq!(self.buffered, 0, "rotate with records pending");
        if self.segment_records == 0 {
            return Ok(()); // the current segment is still empty
        }
        let (file, path, len) =
            Self::new_segment(&self.dir, &self.config, &self.meta, self.next_seq)?;
        self.file = file;
        self.path = path;
        self.len = len;
        self.segment_records = 0;
        Ok(())
    }
}
