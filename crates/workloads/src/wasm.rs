//! WebAssembly exports for `scripts/bench/wasm.mjs` (built with `wasm-bindgen --target nodejs`).
//!
//! ```js
//! const b = prepare("book-realistic", 42, 1_000_000); // generate (not timed)
//! const t0 = performance.now(); b.run(5); const ms = performance.now() - t0;
//! b.messages(); b.events(); b.checksum(); // the last run's summary
//! ```

use crate::{Prepared, RunSummary, WORKLOADS};
use wasm_bindgen::prelude::*;

/// A generated workload.
#[wasm_bindgen]
pub struct WasmBench {
    prepared: Prepared,
    last: RunSummary,
}

/// Generate the standard workload `name` with `n` messages; `undefined` for an unknown name.
#[wasm_bindgen]
pub fn prepare(name: &str, seed: u32, n: u32) -> Option<WasmBench> {
    Prepared::generate(name, seed as u64, n as usize).map(|prepared| WasmBench {
        prepared,
        last: RunSummary::default(),
    })
}

/// The standard workload names, comma-separated.
#[wasm_bindgen]
pub fn workload_names() -> String {
    WORKLOADS.join(",")
}

#[wasm_bindgen]
impl WasmBench {
    /// Run the workload `iters` times from its initial state.
    pub fn run(&mut self, iters: u32) {
        self.last = self.prepared.run(iters);
    }

    /// Messages per run.
    pub fn messages(&self) -> f64 {
        self.prepared.messages() as f64
    }

    /// Events of the last run.
    pub fn events(&self) -> f64 {
        self.last.events as f64
    }

    /// Fills or trades of the last run.
    pub fn trades(&self) -> f64 {
        self.last.trades as f64
    }

    /// Checksum (book) or event digest (exchange) of the last run, 16 hex digits.
    pub fn checksum(&self) -> String {
        format!("{:016x}", self.last.checksum)
    }
}
