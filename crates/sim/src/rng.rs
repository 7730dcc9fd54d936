//! Seeded, platform-independent random numbers: one independent ChaCha8 stream per agent.
//!
//! Every stream is `ChaCha8Rng::seed_from_u64(seed)` with its own stream number
//! ([`ChaCha8Rng::set_stream`]), so a stream depends only on `(seed, stream number)`: adding an agent
//! never changes the draws of another. Stream numbers: agent `i` (0-based, in scenario order) uses
//! [`agent_stream`]`(i)`; the fundamental-value process of the `k`-th scenario instrument uses
//! [`fundamental_stream`]`(k)`.
//!
//! Floating-point draws use only IEEE basic arithmetic and [`libm`] (never `std`'s `ln`/`exp`/...),
//! so they are bit-identical natively and in WebAssembly.

use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

/// Stream number of agent `index` (0-based, in the order agents are created).
#[inline]
pub fn agent_stream(index: u32) -> u64 {
    index as u64
}

/// Stream number of the fundamental-value process of the `k`-th instrument of a scenario.
#[inline]
pub fn fundamental_stream(k: u32) -> u64 {
    (1u64 << 32) | k as u64
}

/// A deterministic random number generator (ChaCha8, one stream) with the distributions the agents
/// need. Cloning it forks an identical copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimRng {
    inner: ChaCha8Rng,
}

impl SimRng {
    /// The generator for `(seed, stream)`.
    pub fn new(seed: u64, stream: u64) -> Self {
        let mut inner = ChaCha8Rng::seed_from_u64(seed);
        inner.set_stream(stream);
        SimRng { inner }
    }

    /// The generator of agent `index` for `seed` (see [`agent_stream`]).
    pub fn for_agent(seed: u64, index: u32) -> Self {
        Self::new(seed, agent_stream(index))
    }

    /// 64 uniformly random bits.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.inner.next_u64()
    }

    /// Uniform in `[0, 1)`, 53 bits of precision.
    #[inline]
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in `(0, 1)` (never 0, so its logarithm is finite).
    #[inline]
    pub fn open01(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) * (1.0 / (1u64 << 53) as f64)
    }

    /// `true` with probability `p`.
    #[inline]
    pub fn chance(&mut self, p: f64) -> bool {
        self.uniform() < p
    }

    /// Uniform integer in `[0, n)` (`0` when `n == 0`), by multiply-shift.
    #[inline]
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }

    /// Exponential with the given mean (`-mean × ln U`).
    #[inline]
    pub fn exponential(&mut self, mean: f64) -> f64 {
        -mean * libm::log(self.open01())
    }

    /// Standard normal (Box–Muller, one value per call).
    #[inline]
    pub fn normal(&mut self) -> f64 {
        let u1 = self.open01();
        let u2 = self.uniform();
        libm::sqrt(-2.0 * libm::log(u1)) * libm::cos(2.0 * core::f64::consts::PI * u2)
    }

    /// Log-normal with median `median` and log-standard deviation `sigma`.
    #[inline]
    pub fn lognormal(&mut self, median: f64, sigma: f64) -> f64 {
        median * libm::exp(sigma * self.normal())
    }

    /// An exponentially distributed waiting time in ns with mean `mean_ns` (at least 1 ns).
    #[inline]
    pub fn exp_ns(&mut self, mean_ns: u64) -> u64 {
        let x = self.exponential(mean_ns as f64);
        if x >= 1.0e18 {
            1_000_000_000_000_000_000
        } else {
            (x as u64).max(1)
        }
    }

    /// `base_ns` scaled by a uniform factor in `[1 − jitter, 1 + jitter]` (at least 1 ns).
    #[inline]
    pub fn jittered_ns(&mut self, base_ns: u64, jitter: f64) -> u64 {
        let f = 1.0 + jitter * (2.0 * self.uniform() - 1.0);
        ((base_ns as f64 * f) as u64).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_independent_and_reproducible() {
        let a: Vec<u64> = (0..8)
            .map({
                let mut r = SimRng::for_agent(7, 3);
                move |_| r.next_u64()
            })
            .collect();
        let mut r = SimRng::for_agent(7, 3);
        let b: Vec<u64> = (0..8).map(|_| r.next_u64()).collect();
        assert_eq!(a, b);
        let mut r4 = SimRng::for_agent(7, 4);
        assert_ne!(a[0], r4.next_u64());
    }

    #[test]
    fn distributions_are_sane() {
        let mut r = SimRng::new(1, 0);
        let n = 20_000;
        let mut s = 0.0;
        let mut s2 = 0.0;
        let mut e = 0.0;
        for _ in 0..n {
            let z = r.normal();
            s += z;
            s2 += z * z;
            e += r.exponential(2.0);
            let u = r.uniform();
            assert!((0.0..1.0).contains(&u));
            assert!(r.below(10) < 10);
        }
        let n = n as f64;
        assert!((s / n).abs() < 0.05);
        assert!((s2 / n - 1.0).abs() < 0.05);
        assert!((e / n - 2.0).abs() < 0.1);
    }
}
