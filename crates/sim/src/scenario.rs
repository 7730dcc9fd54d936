//! Scenarios: what a simulation contains, as plain data loaded from JSON.
//!
//! A [`Scenario`] names the exchange configuration, the instruments traded, the fundamental-value
//! process, the agent populations and a script of timed actions. Presets ship as JSON files in
//! `crates/sim/scenarios/` (embedded in the binary, see [`Scenario::preset`]); a new scenario needs
//! no code, only a JSON file read with [`Scenario::from_json`].
//!
//! # JSON shape
//! ```json
//! {
//!   "name": "calm",
//!   "description": "…",
//!   "instruments": [0],
//!   "start_ns": 1700000000000000000,
//!   "duration": "10m",
//!   "fundamental": { "initial_price": "60000", "volatility": 0.01, "jump_intensity": 0.0 },
//!   "agents": [
//!     { "count": 1,  "base": "20", "quote": "1500000", "agent": { "kind": "market_maker", "levels": 5 } },
//!     { "count": 20, "base": "1",  "quote": "60000",   "agent": { "kind": "noise" } }
//!   ],
//!   "script": [ { "at": "3m", "action": "halt" }, { "at": "5m", "action": "resume" } ]
//! }
//! ```
//! Every parameter object accepts any subset of its fields (the rest take their documented
//! defaults); unknown fields are errors, so typos do not pass silently. Durations are
//! [`SimDuration`]s (`"500ms"`, `"30s"`, `"10m"` or integer ns); quantities and amounts are decimal
//! strings in whole coins; probabilities are in `[0, 1]`; `*_bps` are basis points (1/10 000).

use crate::duration::SimDuration;
use crate::error::SimError;
use bourse_core::{ExchangeConfig, InstrumentId, Side};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Default virtual start time: 2023-11-14T22:13:20Z, in ns since the Unix epoch.
pub const DEFAULT_START_NS: u64 = 1_700_000_000_000_000_000;

/// A complete simulation setup. See the module documentation for the JSON shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Short identifier, e.g. `"calm"`.
    pub name: String,
    /// One-paragraph human description.
    #[serde(default)]
    pub description: String,
    /// Exchange configuration; `None` means [`ExchangeConfig::default_spot`]. The reference price
    /// of the first scenario instrument is replaced by [`FundamentalParams::initial_price`] when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exchange: Option<ExchangeConfig>,
    /// Instruments traded (indices into the configuration's instruments); default `[0]`
    /// (BTC-USDT of the default configuration). Each has its own fundamental-value process.
    #[serde(default = "default_instruments")]
    pub instruments: Vec<InstrumentId>,
    /// Virtual start time, ns since the Unix epoch (default [`DEFAULT_START_NS`]).
    #[serde(default = "default_start")]
    pub start_ns: u64,
    /// Suggested run length (used by front ends when the user gives none); default 10 minutes.
    #[serde(default = "default_duration")]
    pub duration: SimDuration,
    /// The fundamental-value process value traders observe.
    #[serde(default)]
    pub fundamental: FundamentalParams,
    /// Agent populations, created in this order (agent indices and account ids follow it).
    pub agents: Vec<AgentGroup>,
    /// Timed scripted actions, relative to `start_ns`.
    #[serde(default)]
    pub script: Vec<ScriptedAction>,
}

fn default_instruments() -> Vec<InstrumentId> {
    vec![0]
}
fn default_start() -> u64 {
    DEFAULT_START_NS
}
fn default_duration() -> SimDuration {
    SimDuration::mins(10)
}

/// The fundamental (true) value: an Ornstein–Uhlenbeck process in log price with Poisson jumps,
/// stepped on a fixed virtual-time grid so that its path depends only on the seed.
///
/// Per step of `dt` seconds: `x ← μ + (x − μ)·e^{−κ·dt} + σ_s·√((1 − e^{−2κ·dt}) / (2κ)) · Z`, plus,
/// with probability `jump_intensity · dt / 3600`, a jump `N(jump_mean, jump_std)`; where `x` is the log
/// price, `μ` the log of the initial price, `κ = ln 2 / half-life` and `σ_s = volatility / 60` (per
/// √second). Without mean reversion (`mean_reversion_half_life` = 0) it is a random walk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FundamentalParams {
    /// Initial fundamental price of the first scenario instrument, in quote per base (must be on
    /// its tick grid; it also becomes that instrument's reference price). `None`: the configured
    /// reference price. Other instruments always start at their reference price.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initial_price: Option<Decimal>,
    /// Volatility of the log price, standard deviation per √hour (0.01 = 1 % per hour).
    pub volatility: f64,
    /// Half-life of mean reversion towards the initial price; `"0s"` disables mean reversion.
    pub mean_reversion_half_life: SimDuration,
    /// Expected number of jumps per hour.
    pub jump_intensity: f64,
    /// Mean jump size, in log price (−0.02 ≈ −2 %).
    pub jump_mean: f64,
    /// Standard deviation of the jump size, in log price.
    pub jump_std: f64,
    /// Time step of the process grid.
    pub step: SimDuration,
}

impl Default for FundamentalParams {
    fn default() -> Self {
        FundamentalParams {
            initial_price: None,
            volatility: 0.01,
            mean_reversion_half_life: SimDuration::mins(30),
            jump_intensity: 0.0,
            jump_mean: 0.0,
            jump_std: 0.01,
            step: SimDuration::secs(1),
        }
    }
}

/// `count` agents of one kind with the same parameters and starting balances.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentGroup {
    /// Number of agents (per instrument when `instrument` is `None`).
    pub count: u32,
    /// Instrument they trade; `None` (default): `count` agents on every scenario instrument.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instrument: Option<InstrumentId>,
    /// Initial deposit of the instrument's base asset per agent, whole coins.
    #[serde(default)]
    pub base: Decimal,
    /// Initial deposit of the instrument's quote asset per agent, whole coins.
    #[serde(default)]
    pub quote: Decimal,
    /// Strategy and its parameters.
    pub agent: AgentParams,
}

/// The strategy of an agent, tagged by `"kind"` in JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AgentParams {
    /// Avellaneda–Stoikov style market maker quoting a ladder.
    MarketMaker(MarketMakerParams),
    /// Poisson-arrival noise trader.
    Noise(NoiseParams),
    /// Moving-average crossover trend follower.
    Momentum(MomentumParams),
    /// Trades toward a noisy observation of the fundamental value.
    Value(ValueParams),
    /// Holds base and protects it with a trailing stop-market sell.
    StopLoss(StopLossParams),
}

impl AgentParams {
    /// The strategy's kind.
    pub fn kind(&self) -> AgentKind {
        match self {
            AgentParams::MarketMaker(_) => AgentKind::MarketMaker,
            AgentParams::Noise(_) => AgentKind::Noise,
            AgentParams::Momentum(_) => AgentKind::Momentum,
            AgentParams::Value(_) => AgentKind::Value,
            AgentParams::StopLoss(_) => AgentKind::StopLoss,
        }
    }
}

/// Kind of an agent, without parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentKind {
    /// [`AgentParams::MarketMaker`].
    MarketMaker,
    /// [`AgentParams::Noise`].
    Noise,
    /// [`AgentParams::Momentum`].
    Momentum,
    /// [`AgentParams::Value`].
    Value,
    /// [`AgentParams::StopLoss`].
    StopLoss,
}

impl AgentKind {
    /// Snake-case name (`"market_maker"`, `"noise"`, `"momentum"`, `"value"`).
    pub fn as_str(self) -> &'static str {
        match self {
            AgentKind::MarketMaker => "market_maker",
            AgentKind::Noise => "noise",
            AgentKind::Momentum => "momentum",
            AgentKind::Value => "value",
            AgentKind::StopLoss => "stop_loss",
        }
    }
}

/// Market maker: quotes `levels` bids and asks around a reservation price
/// `r = s · (1 − q·γ·σ²·τ)` with half-spread `max(½·γ·σ²·τ + ln(1 + γ/k)/γ, min_half_spread_bps)`,
/// where `s` is its fair value (smoothed last trade price), `q` its inventory in clips
/// (`(base − initial base) / quote_size`), and `σ`, `τ`, `γ`, `k` below — all in relative
/// (fraction-of-price) terms. Level `i` sits `i × level_spacing_bps` further out with size
/// `quote_size × (1 + i × size_growth)`. It re-quotes every `requote_interval` by amending orders
/// whose target moved by at least `requote_threshold_bps` (or that were mostly filled), stops
/// bidding above `+max_inventory` and offering below `−max_inventory`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MarketMakerParams {
    /// Levels per side.
    pub levels: u32,
    /// Distance between consecutive levels, bps.
    pub level_spacing_bps: f64,
    /// Size of the first level, base coins.
    pub quote_size: Decimal,
    /// Size increase per level, as a fraction of `quote_size`.
    pub size_growth: f64,
    /// Risk aversion γ.
    pub gamma: f64,
    /// Volatility σ, fraction of price per √second.
    pub sigma: f64,
    /// Horizon τ, seconds.
    pub horizon_secs: f64,
    /// Order-arrival decay k (per unit of relative price).
    pub k: f64,
    /// Floor of the half-spread, bps.
    pub min_half_spread_bps: f64,
    /// Inventory limit, base coins.
    pub max_inventory: Decimal,
    /// Mean time between re-quotes (±20 % jitter).
    pub requote_interval: SimDuration,
    /// Minimum target move, bps, before an order is amended.
    pub requote_threshold_bps: f64,
    /// Weight of the newest last-trade price in the fair value (exponential smoothing, `(0, 1]`).
    pub fair_value_smoothing: f64,
}

impl Default for MarketMakerParams {
    fn default() -> Self {
        MarketMakerParams {
            levels: 5,
            level_spacing_bps: 2.0,
            quote_size: Decimal::new(5, 2),
            size_growth: 0.5,
            gamma: 300.0,
            sigma: 1.0e-4,
            horizon_secs: 60.0,
            k: 100_000.0,
            min_half_spread_bps: 1.0,
            max_inventory: Decimal::from(2),
            requote_interval: SimDuration::millis(500),
            requote_threshold_bps: 0.5,
            fair_value_smoothing: 0.5,
        }
    }
}

/// Noise trader: wakes at Poisson times (exponential gaps with mean `mean_interval`) and does one
/// thing: cancel an old order (`cancel_prob`), send a market order (`market_prob`), an IOC limit
/// across the spread (`ioc_prob`), or otherwise a GTC limit near the touch: a buy `offset` below the
/// best ask (a sell above the best bid), `offset` exponential with mean `mean_offset_bps` (or
/// `deep_offset_bps` with probability `deep_prob`), at least one tick. Sizes are log-normal with
/// median `median_size` and log-sd `size_sigma`. Orders older than `max_order_age` are cancelled;
/// at most `max_open_orders` rest at once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NoiseParams {
    /// Mean time between actions.
    pub mean_interval: SimDuration,
    /// Probability that an action is a cancel of one of its open orders.
    pub cancel_prob: f64,
    /// Probability that an action is a market order.
    pub market_prob: f64,
    /// Probability that an action is an IOC limit order crossing the spread.
    pub ioc_prob: f64,
    /// How far an IOC crosses beyond the opposite best, bps.
    pub ioc_slippage_bps: f64,
    /// Mean distance of a GTC limit from the opposite touch, bps.
    pub mean_offset_bps: f64,
    /// Probability of a deep GTC limit.
    pub deep_prob: f64,
    /// Mean distance of a deep GTC limit, bps.
    pub deep_offset_bps: f64,
    /// Median order size, base coins.
    pub median_size: Decimal,
    /// Log-standard deviation of the order size.
    pub size_sigma: f64,
    /// Most resting orders at once.
    pub max_open_orders: u32,
    /// Age after which a resting order is cancelled.
    pub max_order_age: SimDuration,
}

impl Default for NoiseParams {
    fn default() -> Self {
        NoiseParams {
            mean_interval: SimDuration::secs(2),
            cancel_prob: 0.15,
            market_prob: 0.05,
            ioc_prob: 0.08,
            ioc_slippage_bps: 5.0,
            mean_offset_bps: 4.0,
            deep_prob: 0.15,
            deep_offset_bps: 60.0,
            median_size: Decimal::new(1, 2),
            size_sigma: 0.6,
            max_open_orders: 8,
            max_order_age: SimDuration::mins(2),
        }
    }
}

/// Momentum trader: samples the last trade price every `interval` (±20 % jitter) into a fast and a
/// slow exponential moving average (windows in samples). When `fast` is above `slow` by more than
/// `threshold_bps` it buys `trade_size` with an IOC limit `slippage_bps` through the best ask (and
/// symmetrically sells), within `±max_position` of its starting inventory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MomentumParams {
    /// Sampling interval.
    pub interval: SimDuration,
    /// Fast window, samples.
    pub fast_window: u32,
    /// Slow window, samples.
    pub slow_window: u32,
    /// Signal threshold, bps.
    pub threshold_bps: f64,
    /// Probability of acting on a signal at a sample.
    pub trade_prob: f64,
    /// Order size, base coins.
    pub trade_size: Decimal,
    /// Position limit, base coins.
    pub max_position: Decimal,
    /// How far the IOC limit crosses beyond the opposite best, bps.
    pub slippage_bps: f64,
}

impl Default for MomentumParams {
    fn default() -> Self {
        MomentumParams {
            interval: SimDuration::secs(5),
            fast_window: 4,
            slow_window: 24,
            threshold_bps: 3.0,
            trade_prob: 0.5,
            trade_size: Decimal::new(2, 2),
            max_position: Decimal::new(5, 1),
            slippage_bps: 5.0,
        }
    }
}

/// Value trader: at Poisson times (mean `mean_interval`) observes the fundamental value times
/// `exp(N(0, observation_noise_bps))`; when the mid is more than `threshold_bps` away it trades
/// toward it: size `trade_size × min(edge / threshold, max_size_multiple)`, limit price the
/// observed value ∓ `threshold_bps`, sent as IOC with probability `aggressive_prob` or else as a
/// GTC order joining the touch; within `±max_position`. Its GTC orders live `order_ttl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ValueParams {
    /// Mean time between observations.
    pub mean_interval: SimDuration,
    /// Observation noise, bps (log-normal).
    pub observation_noise_bps: f64,
    /// Minimum mispricing to act on, bps.
    pub threshold_bps: f64,
    /// Base order size, base coins.
    pub trade_size: Decimal,
    /// Cap on the size multiple.
    pub max_size_multiple: f64,
    /// Position limit, base coins.
    pub max_position: Decimal,
    /// Probability of an IOC (taking) order rather than a resting one.
    pub aggressive_prob: f64,
    /// Lifetime of resting orders.
    pub order_ttl: SimDuration,
}

impl Default for ValueParams {
    fn default() -> Self {
        ValueParams {
            mean_interval: SimDuration::secs(10),
            observation_noise_bps: 15.0,
            threshold_bps: 15.0,
            trade_size: Decimal::new(5, 2),
            max_size_multiple: 4.0,
            max_position: Decimal::from(2),
            aggressive_prob: 0.4,
            order_ttl: SimDuration::mins(1),
        }
    }
}

/// Stop-loss trader: holds the instrument's base and protects `trade_size` of it with one
/// stop-market sell (Binance `STOP_LOSS`), its stop price `stop_offset_bps` below the last trade
/// price rounded down to a multiple of `round_to` (quote coins) and then one tick lower: stops
/// cluster just below round numbers, as real ones do, so one falling price triggers many at once
/// and each triggered sell pushes the price into the next (a stop cascade). Every
/// `check_interval` it raises (trails) the stop when the price has risen by a `round_to` step or
/// more; it never lowers it. Once stopped out it waits `rebuy_after` and buys `trade_size` back
/// with a market order, then protects it again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StopLossParams {
    /// Time between looks at the price (jittered ±25 %).
    pub check_interval: SimDuration,
    /// Size protected (and bought back), base coins.
    pub trade_size: Decimal,
    /// Distance of the stop below the last price before rounding, bps.
    pub stop_offset_bps: f64,
    /// Round-number step the stop is placed just below, quote coins.
    pub round_to: Decimal,
    /// Wait after being stopped out before buying back.
    pub rebuy_after: SimDuration,
}

impl Default for StopLossParams {
    fn default() -> Self {
        StopLossParams {
            check_interval: SimDuration::secs(5),
            trade_size: Decimal::new(5, 2),
            stop_offset_bps: 50.0,
            round_to: Decimal::from(50),
            rebuy_after: SimDuration::mins(1),
        }
    }
}

/// What a scripted action does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// `Command::Halt` on the instrument(s).
    Halt,
    /// `Command::Resume` on the instrument(s).
    Resume,
    /// `Command::StartAuction` on the instrument(s): a call auction (orders rest without
    /// matching; agents' market, IOC and post-only orders are refused until the uncross).
    StartAuction,
    /// `Command::Uncross` on the instrument(s): the auction trades at one price and continuous
    /// trading starts.
    Uncross,
    /// Market orders of `quantity` base in total, on `side`, split into `slices` orders `interval`
    /// apart, from a dedicated "sweeper" account funded at start for this purpose.
    Sweep,
    /// Every market maker on the instrument(s) cancels all its orders and stops quoting.
    MmWithdraw,
    /// Market makers on the instrument(s) resume quoting.
    MmReturn,
    /// The fundamental value of the instrument(s) jumps by `jump` (log price).
    News,
}

/// One timed action of a scenario script, e.g. `{"at": "4m", "action": "sweep", "side": "SELL",
/// "quantity": "20", "slices": 10, "interval": "2s"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptedAction {
    /// When, relative to the scenario start.
    pub at: SimDuration,
    /// What.
    pub action: ActionKind,
    /// Instrument; `None` (default): every scenario instrument.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instrument: Option<InstrumentId>,
    /// Sweep: side of the market orders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub side: Option<Side>,
    /// Sweep: total quantity, base coins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<Decimal>,
    /// Sweep: number of orders (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slices: Option<u32>,
    /// Sweep: time between orders (default 1 s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<SimDuration>,
    /// News: log-price jump of the fundamental value (−0.05 ≈ −5 %).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jump: Option<f64>,
}

const PRESETS: &[(&str, &str)] = &[
    ("calm", include_str!("../scenarios/calm.json")),
    ("volatile", include_str!("../scenarios/volatile.json")),
    ("thin", include_str!("../scenarios/thin.json")),
    ("flash-crash", include_str!("../scenarios/flash-crash.json")),
    (
        "stop-cascade",
        include_str!("../scenarios/stop-cascade.json"),
    ),
    ("halt", include_str!("../scenarios/halt.json")),
    (
        "call-auction",
        include_str!("../scenarios/call-auction.json"),
    ),
];

impl Scenario {
    /// Parse a scenario from JSON (see the module documentation for the shape).
    pub fn from_json(json: &str) -> Result<Scenario, SimError> {
        serde_json::from_str(json).map_err(|e| SimError::Json(e.to_string()))
    }

    /// Pretty JSON of this scenario (round-trips through [`Scenario::from_json`]).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("scenario serialises")
    }

    /// A built-in scenario by name (see [`Scenario::preset_names`]).
    pub fn preset(name: &str) -> Option<Scenario> {
        PRESETS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, json)| Scenario::from_json(json).expect("preset JSON is valid"))
    }

    /// Names of the built-in scenarios: `calm`, `volatile`, `thin`, `flash-crash`, `stop-cascade`,
    /// `halt`, `call-auction`.
    pub fn preset_names() -> &'static [&'static str] {
        &[
            "calm",
            "volatile",
            "thin",
            "flash-crash",
            "stop-cascade",
            "halt",
            "call-auction",
        ]
    }

    /// Move every scripted action `by` later (saturating), leaving the agents alone: a front end
    /// that runs a warm-up of `by` before it shows the market (the browser terminal runs 15
    /// virtual minutes) calls this so that the script's times count from the moment the user
    /// arrives, and a halt "at 3 minutes" happens 3 minutes after the hand-over, in front of the
    /// user. `bourse simulate` does not call it: there the script counts from the start.
    pub fn delay_script(&mut self, by: SimDuration) {
        for a in &mut self.script {
            a.at = SimDuration(a.at.ns().saturating_add(by.ns()));
        }
    }

    /// The exchange configuration this scenario runs on: its own or
    /// [`ExchangeConfig::default_spot`], with the first instrument's reference price set to the
    /// initial fundamental price when one is given.
    pub fn exchange_config(&self) -> ExchangeConfig {
        let mut config = self
            .exchange
            .clone()
            .unwrap_or_else(ExchangeConfig::default_spot);
        if let (Some(p), Some(&first)) = (self.fundamental.initial_price, self.instruments.first())
        {
            if let Some(spec) = config.instruments.get_mut(first as usize) {
                spec.reference_price = p;
            }
        }
        config
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_parse_and_round_trip() {
        for name in Scenario::preset_names() {
            let s = Scenario::preset(name).unwrap();
            assert_eq!(&s.name, name);
            let back = Scenario::from_json(&s.to_json()).unwrap();
            assert_eq!(back, s);
        }
        assert!(Scenario::preset("nope").is_none());
    }

    #[test]
    fn unknown_fields_are_rejected() {
        let bad =
            r#"{"name":"x","agents":[{"count":1,"agent":{"kind":"noise","mean_intervl":"1s"}}]}"#;
        assert!(Scenario::from_json(bad).is_err());
        let ok =
            r#"{"name":"x","agents":[{"count":1,"agent":{"kind":"noise","mean_interval":"1s"}}]}"#;
        let s = Scenario::from_json(ok).unwrap();
        assert_eq!(s.instruments, vec![0]);
        match &s.agents[0].agent {
            AgentParams::Noise(p) => assert_eq!(p.mean_interval, SimDuration::secs(1)),
            _ => panic!(),
        }
    }
}
