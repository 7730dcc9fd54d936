//! Book-layer workloads ([`BookCommand`] streams for [`OrderBook`]) and their runner.

use crate::mix::{Action, MixGen, MixParams, PlaceKind, Shadow};
use crate::rng::Rng;
use bourse_core::{
    book::Outcome, BookCommand, BookEvent, BookOrder, Lots, MatchingEngine, OrderBook, Side,
    StpMode, Ticks, TimeInForce,
};

/// What a run of book commands did (also a checksum to compare runs across platforms).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BookStats {
    /// Commands executed.
    pub commands: u64,
    /// Book events produced.
    pub events: u64,
    /// Fills (trades).
    pub fills: u64,
    /// Fills that removed the maker entirely.
    pub maker_full_fills: u64,
    /// Lots traded.
    pub filled_lots: u64,
    /// Resting orders cancelled by a cancel command.
    pub cancels: u64,
    /// Amends applied.
    pub amends: u64,
    /// Commands rejected.
    pub rejects: u64,
    /// Incoming orders whose remainder rested.
    pub rested: u64,
    /// Incoming orders whose remainder expired (IOC, FOK, market).
    pub expired: u64,
    /// Orders resting after the last command.
    pub resting_at_end: u64,
    /// A fold over every fill (price, quantity, ids): equal runs have equal checksums.
    pub checksum: u64,
}

impl BookStats {
    #[inline]
    fn absorb(&mut self, out: &[BookEvent]) {
        self.events += out.len() as u64;
        for ev in out {
            match *ev {
                BookEvent::Fill {
                    taker_id,
                    maker_id,
                    price,
                    qty,
                    maker_remaining,
                    ..
                } => {
                    self.fills += 1;
                    self.filled_lots += qty;
                    self.maker_full_fills += (maker_remaining == 0) as u64;
                    self.checksum = (self.checksum.rotate_left(5)
                        ^ (price as u64).wrapping_mul(qty)
                        ^ maker_id
                        ^ taker_id.rotate_left(32))
                    .wrapping_mul(0x9E37_79B9_7F4A_7C15);
                }
                BookEvent::Canceled { .. } => self.cancels += 1,
                BookEvent::Amended { .. } => self.amends += 1,
                BookEvent::Rejected { .. } => self.rejects += 1,
                BookEvent::Done { outcome, .. } => match outcome {
                    Outcome::Rested => self.rested += 1,
                    Outcome::Expired(_) => self.expired += 1,
                    Outcome::Filled => {}
                },
                BookEvent::MakerExpired { .. } | BookEvent::UncrossFill { .. } => {}
            }
        }
    }
}

/// A fresh book sized for the standard workloads.
pub fn new_book() -> OrderBook {
    OrderBook::with_capacity(1 << 15, 1 << 12)
}

/// Run `cmds` on a fresh [`OrderBook`], the events consumed (counted) and discarded command by
/// command, as a gateway would.
pub fn run_book(cmds: &[BookCommand]) -> BookStats {
    let mut book = new_book();
    let mut out = Vec::with_capacity(4096);
    let mut st = BookStats::default();
    for c in cmds {
        book.execute(c, &mut out);
        st.absorb(&out);
        out.clear();
    }
    st.commands = cmds.len() as u64;
    st.resting_at_end = book.order_count() as u64;
    st
}

/// [`run_book`] with a latency sample per command: `clock()` is read once before the first command
/// and once after each, and `record(ns)` gets each difference (so each sample includes one clock
/// read). The clock is the caller's (the core and this crate own none).
pub fn run_book_timed(
    cmds: &[BookCommand],
    mut clock: impl FnMut() -> u64,
    mut record: impl FnMut(u64),
) -> BookStats {
    let mut book = new_book();
    let mut out = Vec::with_capacity(4096);
    let mut st = BookStats::default();
    let mut t0 = clock();
    for c in cmds {
        book.execute(c, &mut out);
        st.absorb(&out);
        out.clear();
        let t1 = clock();
        record(t1 - t0);
        t0 = t1;
    }
    st.commands = cmds.len() as u64;
    st.resting_at_end = book.order_count() as u64;
    st
}

impl Shadow for OrderBook {
    fn resting(&self, id: u64) -> Option<(Side, Ticks, Lots)> {
        self.order(id).map(|o| (o.side, o.price, o.qty))
    }
}

fn to_book_command(a: Action) -> BookCommand {
    match a {
        Action::Place {
            id,
            owner,
            side,
            price,
            qty,
            kind,
        } => BookCommand::Place(BookOrder {
            id,
            owner,
            side,
            price: (kind != PlaceKind::Market).then_some(price),
            qty,
            tif: match kind {
                PlaceKind::Gtc | PlaceKind::PostOnly => TimeInForce::Gtc,
                PlaceKind::Ioc | PlaceKind::Market => TimeInForce::Ioc,
                PlaceKind::Fok => TimeInForce::Fok,
            },
            post_only: kind == PlaceKind::PostOnly,
            stp: StpMode::None,
            budget: None,
        }),
        Action::Cancel { id, .. } => BookCommand::Cancel { id },
        Action::Amend { id, price, qty, .. } => BookCommand::Amend { id, price, qty },
    }
}

/// The realistic mix (see [`crate::mix`]) on the book layer: `n` commands, generated against a
/// shadow book (so the generation costs about one run; it is not part of any timing).
pub fn realistic_book(seed: u64, n: usize) -> Vec<BookCommand> {
    realistic_book_with(seed, n, MixParams::default())
}

/// [`realistic_book`] with explicit parameters.
pub fn realistic_book_with(seed: u64, n: usize, params: MixParams) -> Vec<BookCommand> {
    let mut gen = MixGen::new(seed, params);
    let mut shadow = new_book();
    let mut out = Vec::with_capacity(4096);
    let mut cmds = Vec::with_capacity(n);
    for _ in 0..n {
        let c = to_book_command(gen.next(&shadow));
        shadow.execute(&c, &mut out);
        out.clear();
        cmds.push(c);
    }
    cmds
}

/// Parameters of the deep-sweep workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SweepParams {
    /// Levels per side built at the start and refilled after each sweep.
    pub levels: u64,
    /// Orders per level.
    pub orders_per_level: u64,
    /// Fewest levels one sweep takes.
    pub sweep_min: u64,
    /// Most levels one sweep takes.
    pub sweep_max: u64,
    /// Mid price, ticks.
    pub mid: Ticks,
}

impl Default for SweepParams {
    fn default() -> Self {
        SweepParams {
            levels: 2_000,
            orders_per_level: 4,
            sweep_min: 200,
            sweep_max: 1_000,
            mid: 1_000_000,
        }
    }
}

/// Deep books, then large sweeps: `levels × orders_per_level` orders per side are placed in random
/// order; then, until `n` commands: one IOC order takes `sweep_min..=sweep_max` levels of a random
/// side in one go, and the swept levels are refilled (in random order) with as many new orders.
pub fn deep_sweep(seed: u64, n: usize) -> Vec<BookCommand> {
    deep_sweep_with(seed, n, SweepParams::default())
}

/// [`deep_sweep`] with explicit parameters.
pub fn deep_sweep_with(seed: u64, n: usize, p: SweepParams) -> Vec<BookCommand> {
    let mut rng = Rng::new(seed);
    let mut cmds = Vec::with_capacity(n);
    let mut next_id = 1u64;
    let mut place = |rng: &mut Rng, cmds: &mut Vec<BookCommand>, side, price, qty, tif| {
        let id = next_id;
        next_id += 1;
        cmds.push(BookCommand::Place(BookOrder {
            id,
            owner: 1 + rng.below(1000) as u32,
            side,
            price: Some(price),
            qty,
            tif,
            post_only: false,
            stp: StpMode::None,
            budget: None,
        }));
    };
    // (side, distance from mid) slots, shuffled.
    let mut slots: Vec<(Side, u64)> = Vec::new();
    for side in [Side::Buy, Side::Sell] {
        for d in 1..=p.levels {
            for _ in 0..p.orders_per_level {
                slots.push((side, d));
            }
        }
    }
    shuffle(&mut rng, &mut slots);
    let price_at = |side: Side, d: u64| match side {
        Side::Buy => p.mid - d as Ticks,
        Side::Sell => p.mid + d as Ticks,
    };
    for &(side, d) in &slots {
        if cmds.len() >= n {
            return cmds;
        }
        let q = rng.range(1, 100);
        place(
            &mut rng,
            &mut cmds,
            side,
            price_at(side, d),
            q,
            TimeInForce::Gtc,
        );
    }
    while cmds.len() < n {
        let depth = rng.range(p.sweep_min, p.sweep_max.min(p.levels));
        // The aggressor takes the resting side `resting`.
        let resting = if rng.coin() { Side::Buy } else { Side::Sell };
        place(
            &mut rng,
            &mut cmds,
            resting.opposite(),
            price_at(resting, depth),
            u64::MAX / 4,
            TimeInForce::Ioc,
        );
        let mut refill: Vec<u64> = (1..=depth)
            .flat_map(|d| std::iter::repeat_n(d, p.orders_per_level as usize))
            .collect();
        shuffle(&mut rng, &mut refill);
        for d in refill {
            if cmds.len() >= n {
                break;
            }
            let q = rng.range(1, 100);
            place(
                &mut rng,
                &mut cmds,
                resting,
                price_at(resting, d),
                q,
                TimeInForce::Gtc,
            );
        }
    }
    cmds
}

fn shuffle<T>(rng: &mut Rng, v: &mut [T]) {
    for i in (1..v.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        v.swap(i, j);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn realistic_is_deterministic_and_mostly_cancelled() {
        let a = realistic_book(1, 50_000);
        let b = realistic_book(1, 50_000);
        assert_eq!(a, b);
        let st = run_book(&a);
        eprintln!("{st:?}");
        assert_eq!(st, run_book(&b));
        assert!(st.fills > 1000, "{st:?}");
        // Most resting orders end cancelled rather than filled.
        assert!(st.cancels > st.maker_full_fills, "{st:?}");
        assert!(st.amends > 5000, "{st:?}");
        // Almost every cancel or amend names a live order.
        assert!(st.rejects < st.commands / 20, "{st:?}");
        let mut book = new_book();
        let mut out = Vec::new();
        for c in &a {
            book.execute(c, &mut out);
        }
        book.check_invariants().unwrap();
    }

    #[test]
    fn deep_sweep_sweeps() {
        let cmds = deep_sweep(3, 40_000);
        assert_eq!(cmds.len(), 40_000);
        let st = run_book(&cmds);
        assert!(st.fills > 10_000, "{st:?}");
        assert_eq!(st.rejects, 0);
    }
}
