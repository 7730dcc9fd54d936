//! [`Scenario::validate`]: every number of a scenario against a documented range, before a
//! simulation starts, so that no scenario (a file from anyone) can make the simulation panic,
//! overflow, allocate without bound or loop forever at one instant.
//!
//! The limits are generous for teaching and testing and each is a named constant below.

use crate::duration::SimDuration;
use crate::scenario::{ActionKind, AgentParams, Scenario};
use bourse_core::ExchangeConfig;
use rust_decimal::Decimal;

pub use crate::error::ScenarioError;

/// Most agents in a scenario (every group's count times the instruments it covers).
pub const MAX_AGENTS: u64 = 10_000;
/// Most scripted actions.
pub const MAX_SCRIPT_ACTIONS: usize = 1_000;
/// Most market orders one sweep is split into.
pub const MAX_SWEEP_SLICES: u32 = 10_000;
/// Latest time a scripted action may have, and longest duration, from the scenario start: 30 days.
pub const MAX_SCENARIO_SPAN: SimDuration = SimDuration(30 * SimDuration::D);
/// Shortest mean time between two wake-ups of an agent, and shortest fundamental-value step:
/// 1 ms (an agent waking every 0 ns would hold the clock forever).
pub const MIN_INTERVAL: SimDuration = SimDuration(SimDuration::MS);
/// Longest interval or age parameter: 1 day.
pub const MAX_INTERVAL: SimDuration = SimDuration(SimDuration::D);
/// Largest quantity or deposit, whole coins (10^12): far beyond any scenario, and small enough that
/// sums and products of such amounts with prices never overflow `rust_decimal`.
pub const MAX_COINS: i64 = 1_000_000_000_000;
/// Most ladder levels of a market maker.
pub const MAX_MM_LEVELS: u32 = 50;
/// Most resting orders of a noise trader.
pub const MAX_AGENT_OPEN_ORDERS: u32 = 1_000;
/// Longest moving-average window, samples.
pub const MAX_WINDOW: u32 = 10_000;
/// Largest basis-point parameter (10,000 bps = 100 %).
pub const MAX_BPS: f64 = 10_000.0;
/// Largest log-price jump of news or jump sizes (±1 ≈ ×2.7 or ÷2.7).
pub const MAX_LOG_JUMP: f64 = 1.0;

fn err(field: impl Into<String>, problem: impl Into<String>) -> ScenarioError {
    ScenarioError {
        field: field.into(),
        problem: problem.into(),
    }
}

fn float(field: &str, v: f64, min: f64, max: f64) -> Result<(), ScenarioError> {
    if v.is_finite() && v >= min && v <= max {
        Ok(())
    } else {
        Err(err(field, format!("{v} is outside {min}..={max}")))
    }
}

fn prob(field: &str, v: f64) -> Result<(), ScenarioError> {
    float(field, v, 0.0, 1.0)
}

fn bps(field: &str, v: f64) -> Result<(), ScenarioError> {
    float(field, v, 0.0, MAX_BPS)
}

fn coins(field: &str, v: Decimal, allow_zero: bool) -> Result<(), ScenarioError> {
    let lo = if allow_zero {
        Decimal::ZERO
    } else {
        Decimal::new(1, 28)
    };
    if v < lo || v > Decimal::from(MAX_COINS) {
        Err(err(
            field,
            format!(
                "{v} is outside {}..={MAX_COINS} coins",
                if allow_zero { "0" } else { "more than 0" }
            ),
        ))
    } else {
        Ok(())
    }
}

fn interval(field: &str, d: SimDuration) -> Result<(), ScenarioError> {
    if d < MIN_INTERVAL || d > MAX_INTERVAL {
        Err(err(
            field,
            format!("{d} is outside {MIN_INTERVAL}..={MAX_INTERVAL}"),
        ))
    } else {
        Ok(())
    }
}

impl Scenario {
    /// Check every number against its documented range and the instruments against `config`
    /// (the configuration the scenario runs on; validated first). Called by
    /// [`crate::Simulation::new`] before anything runs.
    ///
    /// # Errors
    /// The first problem, naming its field.
    pub fn validate(&self) -> Result<ExchangeConfig, ScenarioError> {
        let config = self.exchange_config();
        config
            .validate()
            .map_err(|e| err("exchange", e.to_string()))?;
        if self.instruments.is_empty() {
            return Err(err(
                "instruments",
                "a scenario trades at least one instrument",
            ));
        }
        for (k, &i) in self.instruments.iter().enumerate() {
            if i as usize >= config.instruments.len() {
                return Err(err(
                    format!("instruments[{k}]"),
                    format!(
                        "instrument {i} does not exist ({} are configured)",
                        config.instruments.len()
                    ),
                ));
            }
            if self.instruments[..k].contains(&i) {
                return Err(err(
                    format!("instruments[{k}]"),
                    format!("instrument {i} listed twice"),
                ));
            }
        }
        if self.start_ns > u64::MAX - 2 * MAX_SCENARIO_SPAN.ns() {
            return Err(err(
                "start_ns",
                "too late: the scenario's span would pass the end of u64 time",
            ));
        }
        if self.duration > MAX_SCENARIO_SPAN {
            return Err(err(
                "duration",
                format!("{} is longer than {MAX_SCENARIO_SPAN}", self.duration),
            ));
        }
        let f = &self.fundamental;
        if let Some(p) = f.initial_price {
            if p <= Decimal::ZERO {
                return Err(err("fundamental.initial_price", "must be greater than 0"));
            }
        }
        float("fundamental.volatility", f.volatility, 0.0, 10.0)?;
        if f.mean_reversion_half_life > MAX_SCENARIO_SPAN {
            return Err(err(
                "fundamental.mean_reversion_half_life",
                format!("longer than {MAX_SCENARIO_SPAN}"),
            ));
        }
        float("fundamental.jump_intensity", f.jump_intensity, 0.0, 3_600.0)?;
        float(
            "fundamental.jump_mean",
            f.jump_mean,
            -MAX_LOG_JUMP,
            MAX_LOG_JUMP,
        )?;
        float("fundamental.jump_std", f.jump_std, 0.0, MAX_LOG_JUMP)?;
        interval("fundamental.step", f.step)?;

        let mut agents: u64 = 0;
        for (g, group) in self.agents.iter().enumerate() {
            let at = |x: &str| format!("agents[{g}].{x}");
            if let Some(i) = group.instrument {
                if !self.instruments.contains(&i) {
                    return Err(err(
                        at("instrument"),
                        format!("instrument {i} is not in the scenario's instruments"),
                    ));
                }
            }
            let covers = if group.instrument.is_some() {
                1
            } else {
                self.instruments.len() as u64
            };
            agents = agents.saturating_add(group.count as u64 * covers);
            if agents > MAX_AGENTS {
                return Err(err(
                    at("count"),
                    format!("more than {MAX_AGENTS} agents in all"),
                ));
            }
            coins(&at("base"), group.base, true)?;
            coins(&at("quote"), group.quote, true)?;
            let p = |x: &str| at(&format!("agent.{x}"));
            match &group.agent {
                AgentParams::MarketMaker(m) => {
                    if m.levels == 0 || m.levels > MAX_MM_LEVELS {
                        return Err(err(
                            p("levels"),
                            format!("{} is outside 1..={MAX_MM_LEVELS}", m.levels),
                        ));
                    }
                    bps(&p("level_spacing_bps"), m.level_spacing_bps)?;
                    coins(&p("quote_size"), m.quote_size, false)?;
                    float(&p("size_growth"), m.size_growth, 0.0, 10.0)?;
                    float(&p("gamma"), m.gamma, 1e-9, 1e6)?;
                    float(&p("sigma"), m.sigma, 0.0, 1.0)?;
                    float(&p("horizon_secs"), m.horizon_secs, 1e-3, 86_400.0)?;
                    float(&p("k"), m.k, 1e-9, 1e12)?;
                    bps(&p("min_half_spread_bps"), m.min_half_spread_bps)?;
                    coins(&p("max_inventory"), m.max_inventory, true)?;
                    interval(&p("requote_interval"), m.requote_interval)?;
                    bps(&p("requote_threshold_bps"), m.requote_threshold_bps)?;
                    float(
                        &p("fair_value_smoothing"),
                        m.fair_value_smoothing,
                        1e-9,
                        1.0,
                    )?;
                }
                AgentParams::Noise(n) => {
                    interval(&p("mean_interval"), n.mean_interval)?;
                    prob(&p("cancel_prob"), n.cancel_prob)?;
                    prob(&p("market_prob"), n.market_prob)?;
                    prob(&p("ioc_prob"), n.ioc_prob)?;
                    if n.cancel_prob + n.market_prob + n.ioc_prob > 1.0 {
                        return Err(err(
                            p("cancel_prob"),
                            "cancel_prob + market_prob + ioc_prob is above 1",
                        ));
                    }
                    bps(&p("ioc_slippage_bps"), n.ioc_slippage_bps)?;
                    bps(&p("mean_offset_bps"), n.mean_offset_bps)?;
                    prob(&p("deep_prob"), n.deep_prob)?;
                    bps(&p("deep_offset_bps"), n.deep_offset_bps)?;
                    coins(&p("median_size"), n.median_size, false)?;
                    float(&p("size_sigma"), n.size_sigma, 0.0, 5.0)?;
                    if n.max_open_orders > MAX_AGENT_OPEN_ORDERS {
                        return Err(err(
                            p("max_open_orders"),
                            format!("{} is above {MAX_AGENT_OPEN_ORDERS}", n.max_open_orders),
                        ));
                    }
                    interval(&p("max_order_age"), n.max_order_age)?;
                }
                AgentParams::Momentum(m) => {
                    interval(&p("interval"), m.interval)?;
                    for (name, w) in [
                        ("fast_window", m.fast_window),
                        ("slow_window", m.slow_window),
                    ] {
                        if w == 0 || w > MAX_WINDOW {
                            return Err(err(p(name), format!("{w} is outside 1..={MAX_WINDOW}")));
                        }
                    }
                    bps(&p("threshold_bps"), m.threshold_bps)?;
                    prob(&p("trade_prob"), m.trade_prob)?;
                    coins(&p("trade_size"), m.trade_size, false)?;
                    coins(&p("max_position"), m.max_position, true)?;
                    bps(&p("slippage_bps"), m.slippage_bps)?;
                }
                AgentParams::Value(v) => {
                    interval(&p("mean_interval"), v.mean_interval)?;
                    bps(&p("observation_noise_bps"), v.observation_noise_bps)?;
                    bps(&p("threshold_bps"), v.threshold_bps)?;
                    coins(&p("trade_size"), v.trade_size, false)?;
                    float(&p("max_size_multiple"), v.max_size_multiple, 1.0, 100.0)?;
                    coins(&p("max_position"), v.max_position, true)?;
                    prob(&p("aggressive_prob"), v.aggressive_prob)?;
                    interval(&p("order_ttl"), v.order_ttl)?;
                }
                AgentParams::StopLoss(x) => {
                    interval(&p("check_interval"), x.check_interval)?;
                    coins(&p("trade_size"), x.trade_size, false)?;
                    bps(&p("stop_offset_bps"), x.stop_offset_bps)?;
                    coins(&p("round_to"), x.round_to, false)?;
                    interval(&p("rebuy_after"), x.rebuy_after)?;
                }
            }
        }

        if self.script.len() > MAX_SCRIPT_ACTIONS {
            return Err(err(
                "script",
                format!(
                    "{} actions, at most {MAX_SCRIPT_ACTIONS}",
                    self.script.len()
                ),
            ));
        }
        for (k, a) in self.script.iter().enumerate() {
            let at = |x: &str| format!("script[{k}].{x}");
            if a.at > MAX_SCENARIO_SPAN {
                return Err(err(
                    at("at"),
                    format!("{} is later than {MAX_SCENARIO_SPAN}", a.at),
                ));
            }
            if let Some(i) = a.instrument {
                if !self.instruments.contains(&i) {
                    return Err(err(
                        at("instrument"),
                        format!("instrument {i} is not in the scenario's instruments"),
                    ));
                }
            }
            match a.action {
                ActionKind::Sweep => {
                    if a.side.is_none() {
                        return Err(err(at("side"), "a sweep needs a side (BUY or SELL)"));
                    }
                    let Some(q) = a.quantity else {
                        return Err(err(at("quantity"), "a sweep needs a quantity"));
                    };
                    coins(&at("quantity"), q, false)?;
                    let slices = a.slices.unwrap_or(1);
                    if slices == 0 || slices > MAX_SWEEP_SLICES {
                        return Err(err(
                            at("slices"),
                            format!("{slices} is outside 1..={MAX_SWEEP_SLICES}"),
                        ));
                    }
                    if let Some(iv) = a.interval {
                        if iv > MAX_INTERVAL {
                            return Err(err(
                                at("interval"),
                                format!("{iv} is longer than {MAX_INTERVAL}"),
                            ));
                        }
                    }
                }
                ActionKind::News => match a.jump {
                    Some(j) => float(&at("jump"), j, -MAX_LOG_JUMP, MAX_LOG_JUMP)?,
                    None => return Err(err(at("jump"), "news needs a jump (log price)")),
                },
                _ => {}
            }
        }
        Ok(config)
    }
}
