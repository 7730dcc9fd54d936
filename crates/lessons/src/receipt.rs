//! [`Receipt`]: what a student hands in at the end of a lesson, and what a teacher replays.

use bourse_core::Command;
use serde::{Deserialize, Serialize};

use crate::eval::Verdict;
use crate::metrics::Metrics;

/// Version of the receipt format ([`Receipt::bourse_receipt`]).
pub const RECEIPT_VERSION: u32 = 1;

/// One of the student's commands, where it happened in the run: after `steps` simulation steps
/// (the count since the market was built), at virtual time `ts_ns`, given input sequence number
/// `input_seq`. A replay runs exactly `steps` steps, moves the clock to `ts_ns` and applies the
/// command; it must get `input_seq` again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiptCommand {
    /// Simulation steps run before it.
    pub steps: u64,
    /// Virtual time, ns since the Unix epoch.
    pub ts_ns: u64,
    /// Input sequence number the sequencer gave it.
    pub input_seq: u64,
    /// The command (as in the JSON Lines command log, `docs/FORMATS.md`).
    pub cmd: Command,
}

/// Where the run ended (the student pressed Finish): steps run and virtual time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiptEnd {
    /// Simulation steps run.
    pub steps: u64,
    /// Virtual time, ns since the Unix epoch.
    pub ts_ns: u64,
}

/// A lesson result as a small JSON file (`docs/FORMATS.md`, "Lesson receipts"): the lesson, its
/// market (scenario, seed, warm-up), the student's own commands with their places in the run,
/// where it ended, and what it claims: the final event digest, the verdicts and the figures.
///
/// A receipt proves nothing by itself: the teacher page replays the commands against the same
/// market in the same WebAssembly core and accepts it only when the digest, the verdicts and
/// the figures it gets are the ones claimed (so a changed command or a changed figure is
/// refused). It does not prove who the student is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    /// Format version, [`RECEIPT_VERSION`].
    pub bourse_receipt: u32,
    /// The student's name as typed (free text, at most 60 characters).
    pub student: String,
    /// Lesson id.
    pub lesson: String,
    /// Scenario preset.
    pub scenario: String,
    /// Seed.
    pub seed: u64,
    /// Warm-up, ns.
    pub warmup_ns: u64,
    /// The student's commands in order.
    pub commands: Vec<ReceiptCommand>,
    /// Where the run ended.
    pub end: ReceiptEnd,
    /// Final event digest (`Exchange::event_digest`), 16 lowercase hex digits.
    pub digest: String,
    /// Verdict per objective, in the lesson's order.
    pub verdicts: Vec<Verdict>,
    /// Whether every objective was met.
    pub passed: bool,
    /// The figures.
    pub metrics: Metrics,
}

/// Most commands a receipt may carry (a replay is bounded).
pub const MAX_RECEIPT_COMMANDS: usize = 10_000;

/// Most bytes of receipt JSON accepted.
pub const MAX_RECEIPT_BYTES: usize = 2 * 1024 * 1024;

impl Receipt {
    /// Parse receipt JSON.
    ///
    /// # Errors
    /// A message naming what is wrong: too large, not JSON of this shape (serde names the
    /// field), another version, too many commands.
    pub fn from_json(json: &str) -> Result<Receipt, String> {
        if json.len() > MAX_RECEIPT_BYTES {
            return Err(format!("a receipt is at most {MAX_RECEIPT_BYTES} bytes"));
        }
        let r: Receipt =
            serde_json::from_str(json).map_err(|e| format!("not a Bourse receipt: {e}"))?;
        if r.bourse_receipt != RECEIPT_VERSION {
            return Err(format!(
                "receipt version {} (this page reads {RECEIPT_VERSION})",
                r.bourse_receipt
            ));
        }
        if r.commands.len() > MAX_RECEIPT_COMMANDS {
            return Err(format!(
                "{} commands (at most {MAX_RECEIPT_COMMANDS})",
                r.commands.len()
            ));
        }
        Ok(r)
    }

    /// Pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}
