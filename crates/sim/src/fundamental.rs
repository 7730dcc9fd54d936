//! The fundamental-value process (see [`crate::FundamentalParams`]).

use crate::rng::SimRng;
use crate::scenario::FundamentalParams;

/// An Ornstein–Uhlenbeck process in log price with Poisson jumps, stepped lazily on a fixed grid
/// (`t0 + n × step`), so its path depends only on its seed and stream, never on when it is read.
/// Prices are in ticks (as `f64`).
#[derive(Debug, Clone)]
pub struct Fundamental {
    mu: f64,
    x: f64,
    t_ns: u64,
    step_ns: u64,
    decay: f64,
    sd: f64,
    jump_p: f64,
    jump_mean: f64,
    jump_std: f64,
    rng: SimRng,
}

impl Fundamental {
    /// A process starting at `initial_ticks` at time `t0_ns`.
    pub fn new(p: &FundamentalParams, initial_ticks: f64, t0_ns: u64, rng: SimRng) -> Self {
        let step_ns = p.step.ns().max(1_000_000);
        let dt = step_ns as f64 / 1e9;
        let sigma_s = p.volatility.max(0.0) / 60.0;
        let hl = p.mean_reversion_half_life.ns() as f64 / 1e9;
        let (decay, sd) = if hl > 0.0 {
            let kappa = core::f64::consts::LN_2 / hl;
            let decay = libm::exp(-kappa * dt);
            let var = (1.0 - decay * decay) / (2.0 * kappa);
            (decay, sigma_s * libm::sqrt(var))
        } else {
            (1.0, sigma_s * libm::sqrt(dt))
        };
        let mu = libm::log(initial_ticks.max(1.0));
        Fundamental {
            mu,
            x: mu,
            t_ns: t0_ns,
            step_ns,
            decay,
            sd,
            jump_p: (p.jump_intensity.max(0.0) * dt / 3600.0).min(1.0),
            jump_mean: p.jump_mean,
            jump_std: p.jump_std.max(0.0),
            rng,
        }
    }

    /// Advance the grid up to `t_ns` (no-op when already there).
    pub fn advance_to(&mut self, t_ns: u64) {
        while self.t_ns.saturating_add(self.step_ns) <= t_ns {
            self.t_ns += self.step_ns;
            let z = self.rng.normal();
            self.x = self.mu + (self.x - self.mu) * self.decay + self.sd * z;
            if self.jump_p > 0.0 && self.rng.chance(self.jump_p) {
                self.x += self.jump_mean + self.jump_std * self.rng.normal();
            }
        }
    }

    /// Shift the log price and its long-run mean by `jump` (scripted news is permanent).
    pub fn shock(&mut self, jump: f64) {
        self.x += jump;
        self.mu += jump;
    }

    /// Current value in ticks.
    pub fn ticks(&self) -> f64 {
        libm::exp(self.x)
    }

    /// Time of the current value, ns.
    pub fn time_ns(&self) -> u64 {
        self.t_ns
    }
}
