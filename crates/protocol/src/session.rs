//! The session's state both sides share: the simulation's controls ([`SimState`], [`Speed`]) and
//! what the page wants to see ([`Subscription`]).

use crate::bounds::{MAX_DEPTH_LEVELS, MAX_GROUPING_TICKS};
use bourse_core::{ExchangeConfig, InstrumentId, Interval, Side, Ticks};
use serde::{Deserialize, Serialize};

/// The simulation's control state.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SimState {
    /// True while virtual time advances on its own.
    pub playing: bool,
    /// Current speed.
    pub speed: Speed,
    /// Scenario name.
    pub scenario: String,
    /// Seed.
    pub seed: u64,
    /// Simulation steps (agent wake-ups and scripted actions) run since the scenario started;
    /// `Step{steps: n}` adds exactly `n` while the scenario has steps scheduled. Not exchange
    /// events: frames' `last_output_seq` counts those.
    #[serde(default)]
    pub steps: u64,
}

/// Simulation speed: virtual seconds per wall-clock second, or as fast as the worker can go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Speed {
    /// Real time.
    #[default]
    #[serde(rename = "1x")]
    X1,
    /// Ten times real time.
    #[serde(rename = "10x")]
    X10,
    /// A hundred times real time.
    #[serde(rename = "100x")]
    X100,
    /// Unthrottled: as many events as the worker's time budget allows.
    #[serde(rename = "max")]
    Max,
}

impl Speed {
    /// Virtual ns per wall-clock ns (`None` for [`Speed::Max`]).
    pub fn factor(self) -> Option<u32> {
        match self {
            Speed::X1 => Some(1),
            Speed::X10 => Some(10),
            Speed::X100 => Some(100),
            Speed::Max => None,
        }
    }
}

/// What the page wants to see. One subscription at a time; a new one replaces the old one and the
/// next frame is full ([`Frame::full`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    /// Instrument shown.
    pub instrument: InstrumentId,
    /// L2 rows per side after grouping, `1..=`[`MAX_DEPTH_LEVELS`].
    pub depth_levels: u16,
    /// Price grouping in ticks, `1..=`[`MAX_GROUPING_TICKS`] (the terminal offers 1, 10 and 100):
    /// bids round **down** and asks round **up** to a multiple of it (see
    /// [`crate::bucket_price`]), so grouped bids stay strictly below grouped asks.
    pub grouping_ticks: u32,
    /// Candle interval of [`Frame::candles`].
    pub candle_interval: Interval,
    /// The one ungrouped price level `(side, price ticks)` whose order queue (L3) frames carry.
    pub l3_level: Option<(Side, Ticks)>,
}

impl Subscription {
    /// A subscription to `instrument` with 20 ungrouped rows, 1-minute candles and no L3 view.
    pub fn new(instrument: InstrumentId) -> Self {
        Subscription {
            instrument,
            depth_levels: 20,
            grouping_ticks: 1,
            candle_interval: Interval::M1,
            l3_level: None,
        }
    }

    /// Check the bounds and that the instrument exists in `config`.
    pub fn validate(&self, config: &ExchangeConfig) -> Result<(), String> {
        if self.instrument as usize >= config.instruments.len() {
            return Err(format!("instrument {} does not exist", self.instrument));
        }
        if self.depth_levels == 0 || self.depth_levels > MAX_DEPTH_LEVELS {
            return Err(format!(
                "depth_levels must be in 1..={MAX_DEPTH_LEVELS}, got {}",
                self.depth_levels
            ));
        }
        if self.grouping_ticks == 0 || self.grouping_ticks > MAX_GROUPING_TICKS {
            return Err(format!(
                "grouping_ticks must be in 1..={MAX_GROUPING_TICKS}, got {}",
                self.grouping_ticks
            ));
        }
        Ok(())
    }
}
