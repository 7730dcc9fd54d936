//! # bourse-workloads
//!
//! Deterministic benchmark workloads for the Bourse core, shared by `bourse bench`, the criterion
//! benches of `bourse-core` and the WebAssembly bench (`scripts/bench/wasm.mjs`).
//!
//! - Generation is seeded and integer-only ([`rng::Rng`], SplitMix64; no std randomness, no clock),
//!   so a seed gives the same stream natively and in WebAssembly.
//! - Generation is never timed: streams are built up front (against a shadow book or exchange, so
//!   that cancels and amends name live orders) and then run.
//! - The crate owns no clock: timed runners take the caller's clock.
//!
//! Workloads ([`WORKLOADS`]):
//! - `book-realistic`: the realistic mix ([`mix`]) on the book layer alone ([`run_book`]).
//! - `book-deep-sweep`: deep books, then sweeps of hundreds of levels and refills ([`deep_sweep`]).
//! - `exchange-realistic`: the realistic mix through [`bourse_core::Exchange::apply`] (sequencer,
//!   risk checks, wallet, market data, digest) with a few hundred funded accounts.

#![warn(missing_docs)]

pub mod book;
pub mod exchange;
pub mod mix;
pub mod rng;
#[cfg(target_arch = "wasm32")]
mod wasm;

pub use book::{
    deep_sweep, deep_sweep_with, new_book, realistic_book, realistic_book_with, run_book,
    run_book_timed, BookStats, SweepParams,
};
pub use exchange::{
    realistic_exchange, run_exchange, run_exchange_timed, ExchangeStats, ExchangeWorkload, Timed,
};
pub use mix::{MixGen, MixParams};

use bourse_core::{BookCommand, Exchange};

/// Names of the standard workloads, in report order.
pub const WORKLOADS: [&str; 3] = ["book-realistic", "book-deep-sweep", "exchange-realistic"];

/// Funded accounts in the standard exchange workload.
pub const EXCHANGE_ACCOUNTS: u32 = 300;

/// A generated standard workload, ready to run any number of times.
#[derive(Debug, Clone)]
pub enum Prepared {
    /// Book-layer commands.
    Book(Vec<BookCommand>),
    /// Exchange flow, with the exchange after setup (cloned for every run).
    Exchange {
        /// Exchange with accounts created and funded.
        base: Box<Exchange>,
        /// The timed flow.
        flow: Vec<Timed>,
    },
}

/// Summary of one run, equal on every platform for equal inputs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunSummary {
    /// Messages (commands) run.
    pub messages: u64,
    /// Events produced.
    pub events: u64,
    /// Fills or trades.
    pub trades: u64,
    /// Book checksum or exchange event digest.
    pub checksum: u64,
}

impl Prepared {
    /// Generate the standard workload `name` with `n` messages (`None` for an unknown name).
    pub fn generate(name: &str, seed: u64, n: usize) -> Option<Prepared> {
        Some(match name {
            "book-realistic" => Prepared::Book(realistic_book(seed, n)),
            "book-deep-sweep" => Prepared::Book(deep_sweep(seed, n)),
            "exchange-realistic" => {
                let w = realistic_exchange(seed, n, EXCHANGE_ACCOUNTS);
                Prepared::Exchange {
                    base: Box::new(w.prepared()),
                    flow: w.flow,
                }
            }
            _ => return None,
        })
    }

    /// Number of messages in one run.
    pub fn messages(&self) -> usize {
        match self {
            Prepared::Book(c) => c.len(),
            Prepared::Exchange { flow, .. } => flow.len(),
        }
    }

    /// Run once from the initial state (a fresh book, or a clone of the prepared exchange).
    pub fn run_once(&self) -> RunSummary {
        match self {
            Prepared::Book(cmds) => {
                let s = run_book(cmds);
                RunSummary {
                    messages: s.commands,
                    events: s.events,
                    trades: s.fills,
                    checksum: s.checksum,
                }
            }
            Prepared::Exchange { base, flow } => {
                let mut ex = (**base).clone();
                let s = run_exchange(&mut ex, flow);
                RunSummary {
                    messages: s.commands,
                    events: s.events,
                    trades: s.trades,
                    checksum: s.digest,
                }
            }
        }
    }

    /// Run `iters` times; returns the last run's summary.
    pub fn run(&self, iters: u32) -> RunSummary {
        let mut s = RunSummary::default();
        for _ in 0..iters.max(1) {
            s = self.run_once();
        }
        s
    }
}
