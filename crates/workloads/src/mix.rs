//! The "realistic mix" order-flow model shared by the book-layer and full-exchange workloads.
//!
//! The model decides *what* a participant does next ([`Action`]) in ticks and lots; the workload
//! modules turn actions into [`bourse_core::BookCommand`]s or [`bourse_core::Command`]s and run them
//! on a shadow book/exchange during generation, so that cancels and amends name orders that really
//! are resting (as a real client's would), and the generated stream is valid for the same seed
//! everywhere.
//!
//! Flow, per message (before adaptive correction, in per mille):
//! - 420 passive GTC limit orders within `max_passive_distance` ticks of the mid (1 in 10 post-only),
//! - 350 cancels of a random resting order,
//! - 160 amends of a resting order: reprice by 1–3 ticks, towards the mid (never past it) or away
//!   (loses priority), or a quantity change (a reduction keeps priority, an increase does not),
//! - 40 IOC limit orders crossing the mid by 1–3 ticks,
//! - 15 marketable GTC limits (the remainder rests),
//! - 10 market orders,
//! - 5 FOK limits.
//!
//! Cancels and placements are rebalanced so that about `target_resting` orders rest. The mid price
//! drifts (a random walk of 1–3 ticks on `drift_per_mille` of the messages) and sometimes crashes:
//! with probability `crash_per_million` per message it jumps `crash_min..=crash_max` ticks and a large
//! IOC order sweeps every level between the old and the new price. Most resting orders end cancelled,
//! not filled (see [`crate::BookStats`]).

use crate::rng::Rng;
use bourse_core::{Lots, Side, Ticks};

/// Parameters of the realistic mix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MixParams {
    /// Initial mid price, ticks.
    pub start_mid: Ticks,
    /// Resting orders the flow hovers around.
    pub target_resting: usize,
    /// Distinct owners (accounts).
    pub owners: u32,
    /// Passive orders are placed at `mid ± (1 + d)` with `d < max_passive_distance`.
    pub max_passive_distance: u64,
    /// Per mille of messages on which the mid moves by 1–3 ticks.
    pub drift_per_mille: u32,
    /// Per million of messages on which the price crashes (or spikes).
    pub crash_per_million: u32,
    /// Smallest crash, ticks.
    pub crash_min: u64,
    /// Largest crash, ticks.
    pub crash_max: u64,
    /// Smallest order quantity, lots.
    pub min_lots: Lots,
    /// Largest order quantity, lots (crash sweeps excepted).
    pub max_lots: Lots,
}

impl Default for MixParams {
    fn default() -> Self {
        MixParams {
            start_mid: 1_000_000,
            target_resting: 4_000,
            owners: 1_000,
            max_passive_distance: 48,
            drift_per_mille: 20,
            crash_per_million: 20,
            crash_min: 150,
            crash_max: 600,
            min_lots: 1,
            max_lots: 100,
        }
    }
}

/// Kind of a new order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlaceKind {
    /// GTC limit (rests if it does not fill).
    Gtc,
    /// GTC post-only limit.
    PostOnly,
    /// IOC limit.
    Ioc,
    /// FOK limit.
    Fok,
    /// Market order (no price).
    Market,
}

/// What a participant does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// A new order with a fresh id.
    Place {
        /// Fresh id (dense from 1).
        id: u64,
        /// Owner, `1..=owners`.
        owner: u32,
        /// Side.
        side: Side,
        /// Limit price (ignored for market orders).
        price: Ticks,
        /// Quantity, lots.
        qty: Lots,
        /// Kind.
        kind: PlaceKind,
    },
    /// Cancel a resting order.
    Cancel {
        /// Its id.
        id: u64,
        /// Its owner.
        owner: u32,
    },
    /// Change a resting order's price and/or remaining quantity.
    Amend {
        /// Its id.
        id: u64,
        /// Its owner.
        owner: u32,
        /// New price.
        price: Ticks,
        /// New remaining quantity.
        qty: Lots,
    },
}

/// What the generator needs to know about the shadow venue.
pub trait Shadow {
    /// `(side, price, remaining)` of a resting order, `None` when it is not resting.
    fn resting(&self, id: u64) -> Option<(Side, Ticks, Lots)>;
}

/// The order-flow model. Call [`MixGen::next`] with the shadow venue's state, apply the action to
/// the shadow, repeat.
#[derive(Debug, Clone)]
pub struct MixGen {
    /// Parameters.
    pub params: MixParams,
    rng: Rng,
    mid: Ticks,
    next_id: u64,
    /// Candidate resting ids (validated lazily against the shadow).
    live: Vec<u64>,
    /// Owner of every id, indexed by id.
    owner_of: Vec<u32>,
    steps: u64,
}

impl MixGen {
    /// A new model.
    pub fn new(seed: u64, params: MixParams) -> Self {
        MixGen {
            params,
            rng: Rng::new(seed),
            mid: params.start_mid,
            next_id: 1,
            live: Vec::with_capacity(params.target_resting * 4),
            owner_of: vec![0],
            steps: 0,
        }
    }

    /// The model's current mid price, ticks.
    pub fn mid(&self) -> Ticks {
        self.mid
    }

    /// Owner of an id handed out by this model.
    pub fn owner_of(&self, id: u64) -> u32 {
        self.owner_of[id as usize]
    }

    /// Drop candidates that no longer rest (keeps the candidate list honest for rebalancing).
    fn compact(&mut self, shadow: &impl Shadow) {
        self.live.retain(|&id| shadow.resting(id).is_some());
    }

    /// A random resting order, removing dead candidates on the way.
    fn pick_live(&mut self, shadow: &impl Shadow) -> Option<(u64, Side, Ticks, Lots)> {
        while !self.live.is_empty() {
            let i = self.rng.below(self.live.len() as u64) as usize;
            let id = self.live[i];
            match shadow.resting(id) {
                Some((side, price, qty)) => return Some((id, side, price, qty)),
                None => {
                    self.live.swap_remove(i);
                }
            }
        }
        None
    }

    fn fresh_id(&mut self, owner: u32) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.owner_of.push(owner);
        id
    }

    fn qty(&mut self, scale: u64) -> Lots {
        let p = &self.params;
        let (lo, hi) = (p.min_lots, p.max_lots * scale);
        // Skewed towards small orders: the smaller of two uniform draws.
        let a = self.rng.range(lo, hi);
        let b = self.rng.range(lo, hi);
        a.min(b)
    }

    fn place(&mut self, side: Side, price: Ticks, qty: Lots, kind: PlaceKind) -> Action {
        let owner = 1 + self.rng.below(self.params.owners as u64) as u32;
        let id = self.fresh_id(owner);
        if matches!(kind, PlaceKind::Gtc | PlaceKind::PostOnly) {
            self.live.push(id);
        }
        Action::Place {
            id,
            owner,
            side,
            price: price.max(1),
            qty,
            kind,
        }
    }

    fn passive(&mut self) -> Action {
        let side = if self.rng.coin() {
            Side::Buy
        } else {
            Side::Sell
        };
        // Distance from the mid: the smaller of two draws, so the touch is the busiest.
        let d = self
            .rng
            .below(self.params.max_passive_distance)
            .min(self.rng.below(self.params.max_passive_distance)) as Ticks;
        let price = match side {
            Side::Buy => self.mid - 1 - d,
            Side::Sell => self.mid + 1 + d,
        };
        let qty = self.qty(1);
        let kind = if self.rng.below(10) == 0 {
            PlaceKind::PostOnly
        } else {
            PlaceKind::Gtc
        };
        self.place(side, price, qty, kind)
    }

    fn aggressive(&mut self, kind: PlaceKind) -> Action {
        let side = if self.rng.coin() {
            Side::Buy
        } else {
            Side::Sell
        };
        let k = 1 + self.rng.below(3) as Ticks;
        let price = match side {
            Side::Buy => self.mid + k,
            Side::Sell => self.mid - k,
        };
        let qty = self.qty(1);
        self.place(side, price, qty, kind)
    }

    /// The next action.
    pub fn next(&mut self, shadow: &impl Shadow) -> Action {
        self.steps += 1;
        if self.steps.is_multiple_of(4096) {
            self.compact(shadow);
        }
        if self.rng.below(1000) < self.params.drift_per_mille as u64 {
            let step = 1 + self.rng.below(3) as Ticks;
            self.mid = if self.rng.coin() {
                self.mid + step
            } else {
                (self.mid - step).max(self.params.max_passive_distance as Ticks + 8)
            };
        }
        if self.rng.chance_ppm(self.params.crash_per_million) {
            let size = self.rng.range(self.params.crash_min, self.params.crash_max) as Ticks;
            let floor = self.params.max_passive_distance as Ticks + 8;
            // The jump and the sweep that causes it: one large IOC order takes every level
            // between the old and the new price.
            let side = if self.rng.below(4) == 0 || self.mid - size < floor {
                self.mid += size; // spike up: buyers lift the asks
                Side::Buy
            } else {
                self.mid -= size; // crash: sellers hit the bids
                Side::Sell
            };
            let qty = self.params.max_lots * 10_000;
            return self.place(side, self.mid, qty, PlaceKind::Ioc);
        }
        let target = self.params.target_resting;
        let n = self.live.len();
        let mut r = self.rng.below(1000);
        // Rebalance: too few resting orders turns cancels into placements, too many the reverse.
        if (420..770).contains(&r) && n < target / 2 {
            r = 0;
        } else if r < 420 && n > target * 2 {
            r = 420;
        }
        match r {
            0..420 => self.passive(),
            420..770 => match self.pick_live(shadow) {
                Some((id, ..)) => Action::Cancel {
                    id,
                    owner: self.owner_of(id),
                },
                None => self.passive(),
            },
            770..930 => match self.pick_live(shadow) {
                Some((id, side, price, qty)) => {
                    let (price, qty) = if self.rng.below(10) < 6 {
                        // Reprice: mostly towards the mid, sometimes away.
                        let step = 1 + self.rng.below(3) as Ticks;
                        let towards = self.rng.below(3) != 0;
                        let p = match (side, towards) {
                            (Side::Buy, true) => (price + step).min(self.mid - 1).max(price),
                            (Side::Sell, true) => (price - step).max(self.mid + 1).min(price),
                            (Side::Buy, false) => price - step,
                            (Side::Sell, false) => price + step,
                        };
                        (p.max(1), qty)
                    } else if self.rng.coin() && qty > 1 {
                        (price, 1 + self.rng.below(qty - 1))
                    } else {
                        (price, qty + 1 + self.rng.below(self.params.max_lots))
                    };
                    Action::Amend {
                        id,
                        owner: self.owner_of(id),
                        price,
                        qty,
                    }
                }
                None => self.passive(),
            },
            930..970 => self.aggressive(PlaceKind::Ioc),
            970..985 => self.aggressive(PlaceKind::Gtc),
            985..995 => self.aggressive(PlaceKind::Market),
            _ => self.aggressive(PlaceKind::Fok),
        }
    }
}
