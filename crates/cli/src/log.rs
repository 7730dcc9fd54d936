//! The JSON Lines command log (see `docs/FORMATS.md`): a header line, one [`SequencedCommand`] per
//! line, a footer line.

use crate::{CliError, Result};
use bourse_core::{ExchangeConfig, SequencedCommand};
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;

/// `header.format` of every command log.
pub const FORMAT: &str = "bourse-command-log";
/// `header.version` written by this build (the only one it reads).
pub const VERSION: u32 = 1;

/// First line: `{"header": {...}}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Header {
    /// Always [`FORMAT`].
    pub format: String,
    /// Format version, [`VERSION`].
    pub version: u32,
    /// Scenario name.
    pub scenario: String,
    /// Simulation seed.
    pub seed: u64,
    /// Virtual start time, ns since the Unix epoch.
    pub start_ns: u64,
    /// Virtual duration simulated, ns.
    pub duration_ns: u64,
    /// The exchange configuration the commands were applied to.
    pub config: ExchangeConfig,
}

/// Last line: `{"footer": {...}}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Footer {
    /// Sequence number of the last command (= number of commands).
    pub final_input_seq: u64,
    /// Number of events the commands produced (= last output sequence number).
    pub event_count: u64,
    /// Event digest after the last command, 16 lower-case hex digits.
    pub event_digest: String,
    /// State digest after the last command, 16 lower-case hex digits.
    pub state_digest: String,
}

#[derive(Serialize, Deserialize)]
struct HeaderLine {
    header: Header,
}

#[derive(Serialize, Deserialize)]
struct FooterLine {
    footer: Footer,
}

/// 16 lower-case hex digits.
pub fn hex(v: u64) -> String {
    format!("{v:016x}")
}

/// Writes a command log.
pub struct LogWriter {
    w: BufWriter<File>,
    path: String,
}

impl LogWriter {
    /// Create `path` and write the header line.
    pub fn create(path: &Path, header: &Header) -> Result<Self> {
        let f = File::create(path)
            .map_err(|e| CliError(format!("cannot create {}: {e}", path.display())))?;
        let mut lw = LogWriter {
            w: BufWriter::with_capacity(1 << 20, f),
            path: path.display().to_string(),
        };
        lw.line(&HeaderLine {
            header: header.clone(),
        })?;
        Ok(lw)
    }

    fn line(&mut self, v: &impl Serialize) -> Result<()> {
        serde_json::to_writer(&mut self.w, v)
            .map_err(|e| CliError(format!("cannot write {}: {e}", self.path)))?;
        self.w
            .write_all(b"\n")
            .map_err(|e| CliError(format!("cannot write {}: {e}", self.path)))
    }

    /// Append commands.
    pub fn commands(&mut self, cmds: &[SequencedCommand]) -> Result<()> {
        for c in cmds {
            self.line(c)?;
        }
        Ok(())
    }

    /// Write the footer and flush.
    pub fn finish(mut self, footer: Footer) -> Result<()> {
        self.line(&FooterLine { footer })?;
        self.w
            .flush()
            .map_err(|e| CliError(format!("cannot write {}: {e}", self.path)))
    }
}

/// One parsed line after the header.
pub enum Item {
    /// A command, with its 1-based line number.
    Command(usize, SequencedCommand),
    /// The footer, with its line number.
    Footer(usize, Footer),
}

/// Reads a command log line by line, reporting errors with their line numbers.
pub struct LogReader {
    lines: std::io::Lines<BufReader<File>>,
    line_no: usize,
    path: String,
    /// The header.
    pub header: Header,
    seen_footer: bool,
}

impl LogReader {
    /// Open `path` and read its header line.
    pub fn open(path: &Path) -> Result<Self> {
        let name = path.display().to_string();
        let f = File::open(path).map_err(|e| CliError(format!("cannot open {name}: {e}")))?;
        let mut lines = BufReader::with_capacity(1 << 20, f).lines();
        let first = match lines.next() {
            None => {
                return Err(CliError(format!(
                    "{name}: empty file, expected a header line"
                )))
            }
            Some(Err(e)) => return Err(CliError(format!("{name}: line 1: {e}"))),
            Some(Ok(l)) => l,
        };
        let h: HeaderLine = serde_json::from_str(&first).map_err(|e| {
            CliError(format!(
                "{name}: line 1: malformed header ({e}); is this a bourse command log?"
            ))
        })?;
        if h.header.format != FORMAT || h.header.version != VERSION {
            return Err(CliError(format!(
                "{name}: line 1: unsupported log format {:?} version {} (this build reads {FORMAT:?} version {VERSION})",
                h.header.format, h.header.version
            )));
        }
        Ok(LogReader {
            lines,
            line_no: 1,
            path: name,
            header: h.header,
            seen_footer: false,
        })
    }

    /// An error about the current line.
    pub fn error_at(&self, line: usize, msg: impl std::fmt::Display) -> CliError {
        CliError(format!("{}: line {line}: {msg}", self.path))
    }

    /// The next command or footer; `None` at the end of the file. Blank lines are skipped.
    pub fn next_item(&mut self) -> Result<Option<Item>> {
        loop {
            let Some(line) = self.lines.next() else {
                return Ok(None);
            };
            self.line_no += 1;
            let n = self.line_no;
            let line = line.map_err(|e| self.error_at(n, e))?;
            let t = line.trim();
            if t.is_empty() {
                continue;
            }
            if self.seen_footer {
                return Err(self.error_at(n, "content after the footer line"));
            }
            if t.starts_with("{\"footer\"") {
                let f: FooterLine = serde_json::from_str(t)
                    .map_err(|e| self.error_at(n, format!("malformed footer: {e}")))?;
                self.seen_footer = true;
                return Ok(Some(Item::Footer(n, f.footer)));
            }
            let c: SequencedCommand = serde_json::from_str(t)
                .map_err(|e| self.error_at(n, format!("malformed command: {e}")))?;
            return Ok(Some(Item::Command(n, c)));
        }
    }

    /// Path as given.
    pub fn path(&self) -> &str {
        &self.path
    }
}
