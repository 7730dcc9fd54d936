//! # bourse-worker
//!
//! The platform-independent brain of the Bourse Web Worker: it owns one
//! [`bourse_sim::Simulation`] (and through it the [`bourse_core::Exchange`]), the human's account,
//! a virtual clock and a [`bourse_protocol::FrameBuilder`], and speaks only
//! [`bourse_protocol`] messages. The wasm glue (a `web-sys` message loop and timer) is a thin
//! shell around [`WorkerState`]; this crate has no I/O, reads no clock and draws no randomness, so
//! it builds natively and for `wasm32-unknown-unknown` and is tested natively.
//!
//! ## Driving it
//! ```text
//!   host (Web Worker glue / test)                       WorkerState
//!    │ ── handle(ClientRequest) ─────────────────────────► │  → Vec<ServerMessage> (Ready / Ack /
//!    │                                                      │    Rejected / Frame / CandleHistory)
//!    │ ── advance(wall_elapsed_ns) (timer tick) ─────────► │  runs the simulation, buffers events
//! ```
//! - [`WorkerState::handle`] answers one page request. Exchange commands of the human
//!   (`PlaceOrder`, `Cancel`, `CancelAll`, `Amend`) are applied at once, at the current virtual
//!   time, whether the simulation plays or not.
//! - [`WorkerState::advance`] is the only way virtual time moves on its own: the host calls it from
//!   its timer with the wall-clock time elapsed since the previous call (ns).
//!
//! ## Units
//! Virtual and wall times in ns; prices in ticks, quantities in lots and balances in asset units in
//! everything the worker emits (frames), as in the core; decimals only in the page's order requests.
//!
//! ## What a "step" is
//! One [`bourse_sim::Simulation::step`]: one scheduled wake-up of one agent (or one scripted
//! action) popped from the simulation's queue, with every command it produces applied at its wake
//! time. A step may apply zero, one or several commands. [`WorkerState::sim_steps`] counts them;
//! frames report the exchange's `last_input_seq`/`last_output_seq`, so the page sees how far the
//! sequencer moved.
//!
//! ## Bounds
//! - One [`WorkerState::advance`] call runs at most [`MAX_STEPS_PER_ADVANCE`] steps, at any speed
//!   (at 1×/10×/100× virtual time then lags behind the wall clock instead of flooding the page).
//! - One `Step{steps}` runs at most [`MAX_STEP_COUNT`] steps (more is refused); one
//!   `FastForward` at most [`MAX_FAST_FORWARD_STEPS`].
//! - Events are handed to the [`bourse_protocol::FrameBuilder`] after every step or command and the
//!   scratch buffers are cleared, so the worker holds at most one step's events; the command log is
//!   not kept (the exchange's running event digest stands for it), except in the explain window:
//!   the last [`EXPLAIN_WINDOW_COMMANDS`] commands with their events (at most
//!   [`EXPLAIN_WINDOW_EVENTS`]) and [`EXPLAIN_WINDOW_QUEUE_CHANGES`] queue changes, for
//!   [`WorkerState::explain`] ("explain this fill").

#![warn(missing_docs)]

mod explain;
mod lesson;
mod lesson_control;
mod state;
#[cfg(target_arch = "wasm32")]
pub mod web;

pub use explain::{
    EXPLAIN_OWN_COMMANDS, EXPLAIN_WINDOW_COMMANDS, EXPLAIN_WINDOW_EVENTS,
    EXPLAIN_WINDOW_QUEUE_CHANGES,
};
pub use lesson_control::{check_receipt, MAX_REPLAY_STEPS};
pub use state::{default_human_deposits, market_info_of, HumanDeposit, WorkerError, WorkerState};

/// Most simulation steps one [`WorkerState::advance`] call runs, at any speed. At [`Speed::Max`]
/// every call runs exactly this many (fewer when the scenario has nothing left to do), so the time
/// one call takes is bounded and the worker gets back to page requests between calls. (Not yet
/// measured in WebAssembly; tune it once the glue exists.)
///
/// [`Speed::Max`]: bourse_protocol::Speed::Max
pub const MAX_STEPS_PER_ADVANCE: u64 = 20_000;

/// Most steps a single `Sim(Step{steps})` request may ask for; larger requests are refused with
/// [`bourse_protocol::RejectReason::InvalidRequest`].
pub const MAX_STEP_COUNT: u32 = MAX_STEPS_PER_ADVANCE as u32;

/// Most simulation steps one `Sim(FastForward{..})` request runs (then it stops early, with the
/// clock at the last step): 25 × [`MAX_STEPS_PER_ADVANCE`], a fraction of a second in
/// WebAssembly for the presets.
pub const MAX_FAST_FORWARD_STEPS: u64 = 25 * MAX_STEPS_PER_ADVANCE;

/// Default human deposit of the quote asset of BTC-USDT (USDT), whole coins.
pub const DEFAULT_HUMAN_QUOTE: u64 = 100_000;

/// Default human deposit of the base asset of BTC-USDT (BTC), whole coins.
pub const DEFAULT_HUMAN_BASE: u64 = 2;

/// Default human deposit of the base asset of ETH-USDT (ETH), whole coins (when the configuration
/// has ETH-USDT).
pub const DEFAULT_HUMAN_ETH: u64 = 40;
