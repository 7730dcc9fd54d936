//! Lessons as data and their objectives, checked exactly.
//!
//! A lesson is JSON beside the scenarios ([`Lesson`], files in `crates/lessons/lessons/`, listed
//! by [`Lesson::builtin`]): which market (a preset scenario and one or more seeds), what the
//! student is asked, and **objectives**, each an exact predicate ([`Check`]) over the student's
//! execution reports and the exchange's state (L1, L3 queue, balances). An [`Evaluator`] follows
//! one run: [`Evaluator::on_events`] with every batch of the exchange's output,
//! [`Evaluator::on_state`] whenever the page draws (or after each step), and
//! [`Evaluator::finish`] when the student ends the lesson. Every verdict is a pure function of the
//! command log, so the same run gives the same verdicts natively and in WebAssembly, and a
//! teacher can recompute them from a receipt.
//!
//! # Invariants
//! - No I/O, clock or randomness (like the core); integers (ticks, lots, asset units) only.
//! - Every objective can fail: event objectives ([`Check::Fill`], [`Check::FinalStatus`],
//!   [`Check::Rejected`], [`Check::QueueFront`]) that never happened are failed at `finish`;
//!   state objectives ([`Check::BestBidMine`], [`Check::SpreadAtMost`],
//!   [`Check::PositionBetween`], …) are judged on the state at `finish`; [`Check::NoFills`] and
//!   [`Check::NoSelfTrade`] fail at the first such trade. Each built-in lesson has a passing and a failing strategy
//!   in `tests/` (issue: "so no objective can silently become always true or always false").
//! - A fill whose fee is not `floor(notional × rate_ppm / 10^6)` of its liquidity's rate fails
//!   the fill objectives (the fee rule of `bourse-core`).

mod eval;
mod metrics;
mod receipt;
mod spec;

pub use eval::{Evaluator, Verdict};
pub use metrics::Metrics;
pub use receipt::{
    Receipt, ReceiptCommand, ReceiptEnd, MAX_RECEIPT_BYTES, MAX_RECEIPT_COMMANDS, RECEIPT_VERSION,
};
pub use spec::*;
