//! # bourse-sim
//!
//! Simulated market participants trading on a [`bourse_core::Exchange`] in virtual time,
//! deterministic from a seed.
//!
//! ## Model
//! - **Discrete events in virtual time.** A [`Simulation`] owns the exchange, a virtual clock
//!   (ns since the Unix epoch) and a queue of wake-ups ordered by `(wake time, slot, insertion
//!   counter)`, where slot 0 is the scenario script and agent `i` is slot `i + 1`: ties always break
//!   the same way. [`Simulation::step`] pops one wake-up, lets that agent (or script action) decide,
//!   and applies the resulting commands at the wake time.
//! - **Agents are ordinary accounts.** Each agent opens an account and deposits its starting funds
//!   (`CreateAccount` + `Deposit`, in the command log like everything else), then sends ordinary
//!   [`bourse_core::Command`]s. It reads public state from the exchange (book, last price,
//!   its balances) and learns about its orders only from `Event::Execution` reports for its
//!   account. Kinds: an Avellaneda–Stoikov market maker quoting a ladder with inventory skew,
//!   Poisson noise traders, moving-average momentum traders and value traders observing a noisy,
//!   mean-reverting fundamental value with jumps (see [`scenario`]).
//! - **Seeded randomness.** One independent ChaCha8 stream per agent ([`rng`]); no OS
//!   randomness. Adding an agent never changes another agent's draws.
//! - **Exact on the way into the core.** Agents may use `f64` to decide (transcendental functions
//!   only through [`libm`], so results are bit-identical natively and in WebAssembly), but every
//!   price and quantity sent is built from integer ticks and lots. No hash-map iteration order
//!   reaches any output.
//! - **Replayable.** The command log handed out by [`Simulation::step`] (including the initial
//!   account set-up) replayed through `Exchange::new(sim.config().clone())` with
//!   `apply_sequenced` reproduces the same events and event digest.
//!
//! ## Units
//! Prices in ticks ([`bourse_core::Ticks`]), quantities in lots ([`bourse_core::Lots`]),
//! balances in asset units, times in ns — as in the core. Scenario files use decimal strings for
//! prices and quantities (whole coins), durations such as `"10m"` ([`SimDuration`]) and basis points.
//!
//! ## Scenarios
//! A [`Scenario`] is data (JSON). Presets: `calm`, `volatile`, `thin`, `flash-crash` (a large sell
//! sweep while the market maker withdraws, then returns) and `halt` (trading halted, then
//! resumed); see [`Scenario::preset`].
//!
//! ```
//! use bourse_sim::{Scenario, Simulation};
//! let mut sim = Simulation::new(Scenario::preset("calm").unwrap(), 42).unwrap();
//! let (mut log, mut events) = (Vec::new(), Vec::new());
//! sim.run_until(sim.start_ns() + 10_000_000_000, &mut log, &mut events);
//! assert!(sim.exchange().last_price(0).is_some());
//! ```

#![warn(missing_docs)]

mod agents;
pub mod duration;
mod error;
pub mod fundamental;
pub mod rng;
pub mod scenario;
mod sim;
pub mod validate;

pub use duration::SimDuration;
pub use error::{ScenarioError, SimError};
pub use rng::SimRng;
pub use scenario::{
    ActionKind, AgentGroup, AgentKind, AgentParams, FundamentalParams, MarketMakerParams,
    MomentumParams, NoiseParams, Scenario, ScriptedAction, ValueParams,
};
pub use sim::{AgentInfo, ResumePlan, Simulation};
