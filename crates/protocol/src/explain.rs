//! "Explain this fill": what the page asks ([`ExplainTarget`]) and what the home answers
//! ([`Explanation`]): the command behind a trade (by its input sequence number), every event the
//! sequencer produced for it in output order, the resting (maker) order's queue history up to the
//! fill, and the fee computation of both sides.
//!
//! Texts are ready to show; quantities and prices in them are decimals of the instrument's assets
//! (the worker formats them from ticks, lots and asset units with the exchange configuration).
//! Sequence numbers and times stay integers (`seq`, `input_seq`, `ts_ns`: ns since the Unix epoch).

use bourse_core::InstrumentId;
use serde::{Deserialize, Serialize};

/// Most events one [`Explanation`] lists (a command's first ones; the rest count in
/// [`Explanation::events_omitted`]).
pub const MAX_EXPLAIN_EVENTS: usize = 400;

/// Most fills one [`Explanation`] explains (the command's first trades; the rest count in
/// [`Explanation::fills_omitted`]).
pub const MAX_EXPLAIN_FILLS: usize = 20;

/// Most steps of one maker order's queue history (its placement and the last ones before the
/// fill; the ones between count in [`FillExplanation::steps_omitted`]).
pub const MAX_QUEUE_STEPS: usize = 60;

/// What to explain ([`crate::ClientMessage::Explain`]). The home keeps a bounded window of recent
/// commands and their events (the Web Worker: see `bourse_worker::EXPLAIN_WINDOW_COMMANDS`); a
/// target older than the window, or not yet applied, is refused with
/// [`crate::RejectReason::InvalidRequest`] and a message saying which commands it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExplainTarget {
    /// A trade print (tape row or fill): the command that caused trade `trade_id` of
    /// `instrument` (trade ids are dense from 1 per instrument).
    Trade {
        /// Instrument of the trade.
        instrument: InstrumentId,
        /// Trade id.
        trade_id: u64,
    },
    /// The command with this input sequence number (any participant's).
    Command {
        /// Input sequence number, as in every event's `input_seq`.
        input_seq: u64,
    },
    /// The human's own latest command, or the latest one before `before` (an input sequence
    /// number): stepping back through one's own commands.
    Own {
        /// Only commands with a smaller input sequence number (`None`: the latest).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        before: Option<u64>,
    },
}

/// One event of the explained command, in the sequencer's output order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExplainedEvent {
    /// Output sequence number.
    pub seq: u64,
    /// The event's kind as on the wire (`execution`, `trade`, `l3`, `balance_update`,
    /// `book_ticker`, `depth_update`, `command_rejected`, …), with the execution type or the L3
    /// change after a colon (`execution:TRADE`, `l3:Reduced`).
    pub kind: String,
    /// What it says, in words (e.g. `Trade 17: 0.004 BTC at 65000.5 USDT, the buyer took`).
    pub text: String,
}

/// One step of a resting order's life at its price level, as the L3 feed showed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueStep {
    /// Input sequence number of the command that caused the step.
    pub input_seq: u64,
    /// Time of that command, ns since the Unix epoch.
    pub ts_ns: u64,
    /// What happened (`joined the back of the queue with 0.5 BTC ahead`, `0.1 BTC ahead traded`,
    /// `0.2 BTC ahead was cancelled`, `filled 0.004 BTC (this fill)`, …).
    pub text: String,
    /// Quantity still ahead of the order after the step, base-asset decimal.
    pub ahead: String,
}

/// The computation of one side's fee on a fill (see `bourse_core::fee_units`: fees round down to
/// the quote asset's smallest unit, per fill).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeLine {
    /// `maker` or `taker`.
    pub role: String,
    /// Who paid it (`you`, `market maker (account 3)`, …).
    pub who: String,
    /// The rate, parts per million of the notional.
    pub rate_ppm: u32,
    /// The computation in words, e.g.
    /// `floor(260.002 USDT × 1000 ppm) = 0.260002 USDT`.
    pub text: String,
    /// True when the fee the execution report charged equals the computation (always, unless the
    /// core and this explanation disagree).
    pub matches_report: bool,
}

/// One fill of the explained command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FillExplanation {
    /// Trade id (per instrument).
    pub trade_id: u64,
    /// Output sequence number of the trade event.
    pub seq: u64,
    /// The trade in words (`0.004 BTC at 65000.5 USDT = 260.002 USDT; the buyer took`).
    pub text: String,
    /// The resting (maker) order in words: its id, owner and the order it was.
    pub maker: String,
    /// The incoming (taker) order in words.
    pub taker: String,
    /// The maker order's queue history at the fill's price: its joining and every change ahead of
    /// it or of its own quantity, oldest first, up to and including this fill. Empty when the
    /// order joined before the explain window.
    pub queue: Vec<QueueStep>,
    /// Steps left out of `queue` (between the first and the last kept ones), see
    /// [`MAX_QUEUE_STEPS`].
    pub steps_omitted: u32,
    /// One line: what was ahead when the order joined and where it went (`0.5 BTC ahead at
    /// joining: 0.3 left by trades, 0.2 by cancels`).
    pub queue_summary: String,
    /// Maker's fee, then taker's.
    pub fees: Vec<FeeLine>,
}

/// The answer to an [`ExplainTarget`] ([`crate::ServerMessage::Explained`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Explanation {
    /// Input sequence number of the command.
    pub input_seq: u64,
    /// Its timestamp (virtual time), ns since the Unix epoch.
    pub ts_ns: u64,
    /// Who sent it: `you`, a simulated participant's kind and account (`market maker (account
    /// 3)`), or `the scenario` for scripted market events.
    pub sender: String,
    /// The command in words (`buy 0.004 BTC at market (IOC)`).
    pub command: String,
    /// The command as the core's JSON (`Command`, see `docs/FORMATS.md`).
    pub command_json: String,
    /// Its events in output order (the first [`MAX_EXPLAIN_EVENTS`]).
    pub events: Vec<ExplainedEvent>,
    /// Events left out of `events`.
    pub events_omitted: u32,
    /// Output sequence number of the trade asked about ([`ExplainTarget::Trade`]), to start the
    /// step-through there.
    pub focus_seq: Option<u64>,
    /// The command's fills (the first [`MAX_EXPLAIN_FILLS`]; with a trade target, that trade's
    /// fill first).
    pub fills: Vec<FillExplanation>,
    /// Fills left out of `fills`.
    pub fills_omitted: u32,
    /// The previous command in the window (`None` at its start).
    pub prev_input_seq: Option<u64>,
    /// The next command in the window (`None` at its end).
    pub next_input_seq: Option<u64>,
    /// True when the command is the human's own.
    pub own: bool,
}
