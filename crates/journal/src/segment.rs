//! Journal segments: their byte layout and [`scan`], which reads them back for recovery and
//! replay.
//!
//! ## Layout (all integers little-endian)
//! ```text
//! segment := "BRSJRNL1" | header_len u32 | header_crc u32 | header (JSON, header_len bytes) | record*
//! record  := body_len u32 | body_crc u32 | body (body_len bytes)
//! body    := kind u8 (1 = command) | input_seq u64 | ts_ns u64 | command (codec, format 1)
//! ```
//! CRCs are CRC32C (Castagnoli) of the header or body bytes. The header ([`JournalHeader`]) names
//! the format, the segment's first input seq, the exchange configuration the commands apply to,
//! and the server's metadata (scenario, seed); every segment of a journal has the same
//! configuration.

use crate::codec::{decode_command, CodecError};
use crate::error::JournalError;
use bourse_core::{Command, ExchangeConfig};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Magic bytes that open every segment.
pub const SEGMENT_MAGIC: [u8; 8] = *b"BRSJRNL1";
/// Format of segments, records and the command codec.
pub const JOURNAL_FORMAT: u32 = 1;
/// Largest record body accepted (a command is well under 200 bytes).
pub const MAX_RECORD_BYTES: u32 = 1024;
/// Largest segment header accepted.
pub const MAX_HEADER_BYTES: u32 = 1 << 20;
/// A segment is closed and a new one started after the commit that takes it past this size.
pub const DEFAULT_MAX_SEGMENT_BYTES: u64 = 64 << 20;
/// Record kind of a command.
pub(crate) const KIND_COMMAND: u8 = 1;
/// Bytes of a record before its command: body_len, body_crc, kind, input_seq, ts_ns.
pub(crate) const RECORD_OVERHEAD: usize = 4 + 4 + 1 + 8 + 8;

/// The header of a segment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalHeader {
    /// Always `"bourse-journal"`.
    pub format: String,
    /// [`JOURNAL_FORMAT`].
    pub version: u32,
    /// Input seq of the segment's first record.
    pub first_seq: u64,
    /// The configuration the commands apply to (`Exchange::new(config)` then every command in
    /// order gives the server's state).
    pub config: ExchangeConfig,
    /// What the server records about itself (scenario, seed, ...); not needed to replay.
    #[serde(default)]
    pub meta: serde_json::Value,
}

/// What [`scan`] found in one segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentInfo {
    /// The file.
    pub path: PathBuf,
    /// Input seq its header names as its first.
    pub first_seq: u64,
    /// Input seq of its last valid record (`first_seq - 1` when it has none).
    pub last_seq: u64,
    /// Bytes of it that are valid (header and whole records).
    pub valid_bytes: u64,
}

/// A torn write at the end of the last segment: the bytes from `offset` on are not a whole,
/// valid record and nothing valid follows them. [`crate::JournalWriter::resume`] cuts them off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Torn {
    /// The segment (the last one).
    pub segment: PathBuf,
    /// Where the torn record starts.
    pub offset: u64,
    /// Bytes from there to the end of the file.
    pub bytes: u64,
    /// What was wrong with it.
    pub reason: String,
}

/// The result of [`scan`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scan {
    /// The first segment's header (`None`: no journal yet).
    pub header: Option<JournalHeader>,
    /// Every segment, in order.
    pub segments: Vec<SegmentInfo>,
    /// Input seq of the first record the journal holds (1 unless old segments were pruned).
    pub first_seq: u64,
    /// Input seq of the last valid record (0: none).
    pub last_seq: u64,
    /// Records handed to the callback.
    pub delivered: u64,
    /// The torn tail cut off, if any.
    pub torn: Option<Torn>,
}

/// Segment file name for a segment whose first record is `first_seq`.
pub fn segment_name(first_seq: u64) -> String {
    format!("journal-{first_seq:020}.seg")
}

/// The segments in `journal_dir`, sorted by first seq.
pub(crate) fn list_segments(journal_dir: &Path) -> Result<Vec<(u64, PathBuf)>, JournalError> {
    let mut out = Vec::new();
    let rd = std::fs::read_dir(journal_dir).map_err(JournalError::io(journal_dir))?;
    for entry in rd {
        let entry = entry.map_err(JournalError::io(journal_dir))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if let Some(n) = name
            .strip_prefix("journal-")
            .and_then(|r| r.strip_suffix(".seg"))
            .and_then(|d| d.parse::<u64>().ok())
        {
            out.push((n, entry.path()));
        }
    }
    out.sort();
    Ok(out)
}

/// Encode a segment's header bytes (magic, length, CRC, JSON).
pub(crate) fn encode_header(h: &JournalHeader) -> Vec<u8> {
    let json = serde_json::to_vec(h).expect("a header serialises");
    let mut out = Vec::with_capacity(16 + json.len());
    out.extend_from_slice(&SEGMENT_MAGIC);
    out.extend_from_slice(&(json.len() as u32).to_le_bytes());
    out.extend_from_slice(&crc32c::crc32c(&json).to_le_bytes());
    out.extend_from_slice(&json);
    out
}

/// Append one record (the layout above) of command `seq` stamped `ts_ns` to `out`.
pub fn encode_record(seq: u64, ts_ns: u64, cmd: &Command, out: &mut Vec<u8>) {
    let start = out.len();
    out.extend_from_slice(&[0; 8]);
    out.push(KIND_COMMAND);
    out.extend_from_slice(&seq.to_le_bytes());
    out.extend_from_slice(&ts_ns.to_le_bytes());
    crate::codec::encode_command(cmd, out);
    let body_len = out.len() - start - 8;
    debug_assert!(body_len as u32 <= MAX_RECORD_BYTES, "command too large");
    let crc = crc32c::crc32c(&out[start + 8..]);
    out[start..start + 4].copy_from_slice(&(body_len as u32).to_le_bytes());
    out[start + 4..start + 8].copy_from_slice(&crc.to_le_bytes());
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

/// Parse the header at the start of `bytes`; returns it and its length in bytes.
fn parse_header(bytes: &[u8]) -> Result<(JournalHeader, usize), String> {
    if bytes.len() < 16 {
        return Err(format!("{} bytes: shorter than a header", bytes.len()));
    }
    if bytes[..8] != SEGMENT_MAGIC {
        return Err("not a Bourse journal segment (bad magic)".into());
    }
    let len = u32_at(bytes, 8);
    if len > MAX_HEADER_BYTES {
        return Err(format!(
            "header of {len} bytes (at most {MAX_HEADER_BYTES})"
        ));
    }
    let end = 16 + len as usize;
    if bytes.len() < end {
        return Err("header cut short".into());
    }
    let json = &bytes[16..end];
    if crc32c::crc32c(json) != u32_at(bytes, 12) {
        return Err("header checksum mismatch".into());
    }
    let h: JournalHeader =
        serde_json::from_slice(json).map_err(|e| format!("header is not valid JSON: {e}"))?;
    if h.format != "bourse-journal" || h.version != JOURNAL_FORMAT {
        return Err(format!(
            "format {:?} version {} (this build reads bourse-journal version {JOURNAL_FORMAT})",
            h.format, h.version
        ));
    }
    Ok((h, end))
}

/// The header bytes of a segment (and nothing after them), for segments [`scan`] skips.
fn read_header_bytes(path: &Path) -> Result<Vec<u8>, JournalError> {
    use std::io::Read;
    let mut f = std::fs::File::open(path).map_err(JournalError::io(path))?;
    let mut head = [0u8; 16];
    f.read_exact(&mut head).map_err(JournalError::io(path))?;
    let len = u32_at(&head, 8).min(MAX_HEADER_BYTES) as usize;
    let mut out = head.to_vec();
    out.resize(16 + len, 0);
    f.read_exact(&mut out[16..])
        .map_err(JournalError::io(path))?;
    Ok(out)
}

/// One record parsed at an offset: (seq, ts, command, total bytes), or why not.
enum Parsed {
    Ok(u64, u64, Command, usize),
    /// Cut short or checksum mismatch: possibly a torn write.
    Bad(String),
    /// Checksum fine but the content is not format 1: corruption, never a torn write.
    Invalid(String),
}

fn parse_record(b: &[u8]) -> Parsed {
    if b.len() < 8 {
        return Parsed::Bad(format!("{} bytes: shorter than a record header", b.len()));
    }
    let len = u32_at(b, 0);
    if !(17..=MAX_RECORD_BYTES).contains(&len) {
        return Parsed::Bad(format!("record length {len} out of range"));
    }
    let end = 8 + len as usize;
    if b.len() < end {
        return Parsed::Bad(format!(
            "record of {len} bytes cut short at {}",
            b.len() - 8
        ));
    }
    let body = &b[8..end];
    if crc32c::crc32c(body) != u32_at(b, 4) {
        return Parsed::Bad("record checksum mismatch".into());
    }
    if body[0] != KIND_COMMAND {
        return Parsed::Invalid(format!("unknown record kind {}", body[0]));
    }
    let (seq, ts) = (u64_at(body, 1), u64_at(body, 9));
    match decode_command(&body[17..]) {
        Ok(c) => Parsed::Ok(seq, ts, c, end),
        Err(e) => Parsed::Invalid(format!("record is not a command: {}", e as CodecError)),
    }
}

/// True when a valid record (whole, checksum right) starts anywhere after `from` in `b`: then a
/// bad record before it is corruption, not a torn tail.
fn valid_record_after(b: &[u8], from: usize) -> Option<usize> {
    (from + 1..b.len().saturating_sub(RECORD_OVERHEAD - 1)).find(|&p| {
        let r = &b[p..];
        let len = u32_at(r, 0);
        (17..=MAX_RECORD_BYTES).contains(&len)
            && r.len() >= 8 + len as usize
            && r[8] == KIND_COMMAND
            && crc32c::crc32c(&r[8..8 + len as usize]) == u32_at(r, 4)
    })
}

/// Read the journal in `journal_dir` and hand every record with input seq ≥ `from_seq` to
/// `on_record(seq, ts_ns, command)`, in order. Segments wholly before `from_seq` are skipped
/// without being read past their header.
///
/// # Errors
/// [`JournalError::Corrupt`] for a bad header or record anywhere but the torn tail of the last
/// segment (see the crate docs), [`JournalError::Gap`] for sequence numbers that are not dense,
/// [`JournalError::Mismatch`] for segments with another configuration, [`JournalError::Replay`]
/// when `on_record` refuses a record, [`JournalError::Io`].
pub fn scan(
    journal_dir: &Path,
    from_seq: u64,
    mut on_record: impl FnMut(u64, u64, Command) -> Result<(), String>,
) -> Result<Scan, JournalError> {
    let files = list_segments(journal_dir)?;
    let mut out = Scan::default();
    let mut expected: Option<u64> = None;
    let count = files.len();
    for (i, (named_first, path)) in files.iter().enumerate() {
        let is_last = i + 1 == count;
        // A segment whose successor starts at or before `from_seq` holds nothing wanted.
        let skip = files
            .get(i + 1)
            .is_some_and(|(next_first, _)| *next_first <= from_seq);
        let bytes = if skip {
            read_header_bytes(path)?
        } else {
            std::fs::read(path).map_err(JournalError::io(path))?
        };
        let corrupt = |offset: usize, reason: String| JournalError::Corrupt {
            segment: path.clone(),
            offset: offset as u64,
            reason,
        };
        let (header, mut at) = match parse_header(&bytes) {
            Ok(h) => h,
            // A header torn while the segment was being created holds no acknowledged record.
            // (Headers are synced before any record goes in, so nothing valid can follow one.)
            Err(reason) if is_last && valid_record_after(&bytes, 0).is_none() => {
                out.torn = Some(Torn {
                    segment: path.clone(),
                    offset: 0,
                    bytes: bytes.len() as u64,
                    reason,
                });
                break;
            }
            Err(reason) => return Err(corrupt(0, reason)),
        };
        if header.first_seq != *named_first {
            return Err(corrupt(
                0,
                format!(
                    "header names first seq {} but the file name {named_first}",
                    header.first_seq
                ),
            ));
        }
        match &out.header {
            None => {
                out.first_seq = header.first_seq;
                out.header = Some(header.clone());
            }
            Some(first) if first.config != header.config => {
                return Err(JournalError::Mismatch {
                    segment: path.clone(),
                    reason: "exchange configuration differs from the first segment's".into(),
                })
            }
            Some(_) => {}
        }
        let expect = expected.unwrap_or(header.first_seq);
        if header.first_seq != expect {
            return Err(JournalError::Gap {
                segment: path.clone(),
                offset: 0,
                expected: expect,
                found: header.first_seq,
            });
        }
        let mut next = expect;
        if skip {
            // Trust the successor's header for the count: it must start where this one ends.
            let succ = files[i + 1].0;
            next = succ;
            out.segments.push(SegmentInfo {
                path: path.clone(),
                first_seq: header.first_seq,
                last_seq: succ - 1,
                valid_bytes: bytes.len() as u64,
            });
            expected = Some(next);
            continue;
        }
        while at < bytes.len() {
            match parse_record(&bytes[at..]) {
                Parsed::Ok(seq, ts, cmd, len) => {
                    if seq != next {
                        return Err(JournalError::Gap {
                            segment: path.clone(),
                            offset: at as u64,
                            expected: next,
                            found: seq,
                        });
                    }
                    if seq >= from_seq {
                        on_record(seq, ts, cmd)
                            .map_err(|reason| JournalError::Replay { seq, reason })?;
                        out.delivered += 1;
                    }
                    next += 1;
                    at += len;
                }
                Parsed::Invalid(reason) => return Err(corrupt(at, reason)),
                Parsed::Bad(reason) => {
                    if !is_last {
                        return Err(corrupt(at, reason));
                    }
                    if let Some(p) = valid_record_after(&bytes, at) {
                        return Err(corrupt(
                            at,
                            format!("{reason}, followed by a valid record at offset {p}"),
                        ));
                    }
                    out.torn = Some(Torn {
                        segment: path.clone(),
                        offset: at as u64,
                        bytes: (bytes.len() - at) as u64,
                        reason,
                    });
                    break;
                }
            }
        }
        let valid = out.torn.as_ref().map_or(bytes.len() as u64, |t| t.offset);
        out.segments.push(SegmentInfo {
            path: path.clone(),
            first_seq: header.first_seq,
            last_seq: next - 1,
            valid_bytes: valid,
        });
        expected = Some(next);
    }
    out.last_seq = expected.map_or(0, |n| n - 1);
    Ok(out)
}
