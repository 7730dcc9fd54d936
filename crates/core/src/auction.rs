//! The call auction's uncross price: where a crossed book of resting limit orders trades all at
//! once, at one price.
//!
//! # Rule (the standard one of European call auctions: Xetra, Euronext, LSE)
//! For a candidate price `p` (any tick), demand `D(p)` is the bid quantity priced at `p` or
//! higher and supply `S(p)` the ask quantity priced at `p` or lower. The executable volume at
//! `p` is `min(D(p), S(p))` and the surplus `|D(p) − S(p)|`. The uncross price is, in turn:
//! 1. the price with the **maximum executable volume**;
//! 2. among those, the one with the **minimum surplus**;
//! 3. among those, the one **closest to the reference price** (the last trade price, or the
//!    instrument's configured reference before the first trade);
//! 4. and if two were equally close (one on each side of the reference), the **lower** one.
//!
//! Step 4 is never reached: the prices that survive steps 1 and 2 are a range of consecutive
//! ticks (for `p1 < p < p2`, `D(p) ≥ D(p2)` and `S(p) ≥ S(p1)`, so `p` executes at least as much
//! as the worse of the two and, at equal volume, leaves no larger surplus than the one on its
//! heavier side), and the point of a range closest to an integer reference is unique.
//!
//! Xetra's step 3 is "market pressure" (the highest price when the surplus is all on the buy
//! side); the reference-price rule is the one the issue asks for and LSE's last step. When the
//! book does not cross (no bid at or above an ask) there is no uncross price and the volume is 0.
//!
//! # Cost
//! [`uncross_price`] reads only the levels inside the crossing range `[best ask, best bid]` and
//! evaluates each level price and each gap between consecutive level prices once (between two
//! level prices `D` and `S` are constant, so a gap is one candidate, taken at the point closest
//! to the reference): O(levels in the range). The test suite's naive reference instead tries every
//! tick.
//!
//! # Allocation
//! How the uncross volume is shared out (price-time priority on both sides) is the book's work:
//! see [`crate::book`].

use crate::types::{Lots, Side, Ticks};
use serde::{Deserialize, Serialize};

/// The indicative uncross: what an uncross would do to the book as it is now. Published as
/// [`crate::Event::IndicativeUncross`] during an auction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Indicative {
    /// Uncross price, ticks; `None` when the book does not cross.
    pub price: Option<Ticks>,
    /// Executable volume at that price, lots (0 when it does not cross).
    pub volume: Lots,
    /// Quantity left unexecuted at that price on the heavier side, lots (`|D − S|`).
    pub surplus: Lots,
    /// Which side the surplus is on (`None` when the surplus is 0 or there is no cross).
    pub surplus_side: Option<Side>,
}

/// Candidate ordering key: larger is better (volume up, surplus down, distance down, price down).
fn better(a: &(Ticks, Lots, Lots), b: &(Ticks, Lots, Lots), reference: Ticks) -> bool {
    let (pa, va, sa) = *a;
    let (pb, vb, sb) = *b;
    if va != vb {
        return va > vb;
    }
    if sa != sb {
        return sa < sb;
    }
    let (da, db) = (pa.abs_diff(reference), pb.abs_diff(reference));
    if da != db {
        return da < db;
    }
    pa < pb
}

/// The uncross of a book given as aggregate levels. `bids` and `asks` are `(price ticks,
/// quantity lots)`, each **best first** (bids descending, asks ascending), quantities > 0;
/// `reference` in ticks. See the module documentation for the rule.
pub fn uncross_price(
    bids: &[(Ticks, Lots)],
    asks: &[(Ticks, Lots)],
    reference: Ticks,
) -> Indicative {
    let (Some(&(hi, _)), Some(&(lo, _))) = (bids.first(), asks.first()) else {
        return Indicative::default();
    };
    if hi < lo {
        return Indicative::default();
    }
    // Level prices inside [lo, hi], ascending, with the quantity of each side there.
    let mut pts: Vec<(Ticks, Lots, Lots)> = Vec::new();
    for &(p, q) in bids.iter().rev().filter(|&&(p, _)| p >= lo) {
        pts.push((p, q, 0));
    }
    for &(p, q) in asks.iter().filter(|&&(p, _)| p <= hi) {
        pts.push((p, 0, q));
    }
    pts.sort_unstable_by_key(|&(p, _, _)| p);
    let mut merged: Vec<(Ticks, Lots, Lots)> = Vec::with_capacity(pts.len());
    for (p, b, a) in pts {
        match merged.last_mut() {
            Some(m) if m.0 == p => {
                m.1 += b;
                m.2 += a;
            }
            _ => merged.push((p, b, a)),
        }
    }
    // Demand at a point counts the bids at or above it: everything above `lo` plus nothing
    // outside (bids above `hi` do not exist, `hi` is the best bid).
    let total_bid: Lots = merged.iter().map(|m| m.1).sum();
    let mut supply: Lots = 0; // asks at or below the current point
    let mut demand_above: Lots = total_bid; // bids at or above the current point
    let mut best: Option<(Ticks, Lots, Lots, Lots, Lots)> = None; // (p, vol, surplus, D, S)
    let consider =
        |p: Ticks, d: Lots, s: Lots, best: &mut Option<(Ticks, Lots, Lots, Lots, Lots)>| {
            let v = d.min(s);
            if v == 0 {
                return;
            }
            let cand = (p, v, d.abs_diff(s));
            if best.is_none_or(|b| better(&cand, &(b.0, b.1, b.2), reference)) {
                *best = Some((p, v, d.abs_diff(s), d, s));
            }
        };
    for i in 0..merged.len() {
        let (p, b, a) = merged[i];
        supply += a;
        consider(p, demand_above, supply, &mut best);
        demand_above -= b;
        if let Some(&(next, _, _)) = merged.get(i + 1) {
            if next - p >= 2 {
                // Inside the gap: bids at or above `next`, asks at or below `p`.
                let x = reference.clamp(p + 1, next - 1);
                consider(x, demand_above, supply, &mut best);
            }
        }
    }
    match best {
        None => Indicative::default(),
        Some((p, v, surplus, d, s)) => Indicative {
            price: Some(p),
            volume: v,
            surplus,
            surplus_side: match d.cmp(&s) {
                std::cmp::Ordering::Greater => Some(Side::Buy),
                std::cmp::Ordering::Less => Some(Side::Sell),
                std::cmp::Ordering::Equal => None,
            },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Hand-computed cases (D and S tabulated in each comment).

    #[test]
    fn no_cross_and_one_sided_books_have_no_price() {
        assert_eq!(
            uncross_price(&[(99, 5)], &[(100, 5)], 100),
            Indicative::default()
        );
        assert_eq!(uncross_price(&[(99, 5)], &[], 100), Indicative::default());
        assert_eq!(uncross_price(&[], &[(100, 5)], 100), Indicative::default());
    }

    #[test]
    fn surplus_on_the_buy_side() {
        // bids 10@102, asks 4@100 3@101.  p=100: D10 S4 -> 4; 101: D10 S7 -> 7; 102: D10 S7 -> 7.
        // Max volume 7 at 101 and 102, surplus 3 both; reference 200 is nearer 102.
        let i = uncross_price(&[(102, 10)], &[(100, 4), (101, 3)], 200);
        assert_eq!(
            i,
            Indicative {
                price: Some(102),
                volume: 7,
                surplus: 3,
                surplus_side: Some(Side::Buy)
            }
        );
        // Reference 0 is nearer 101.
        assert_eq!(
            uncross_price(&[(102, 10)], &[(100, 4), (101, 3)], 0).price,
            Some(101)
        );
    }

    #[test]
    fn minimum_surplus_beats_closeness_and_gaps_count() {
        // bids 10@105 10@100, asks 20@100 10@... :
        // bids 10@104, 10@100; asks 10@100, 10@104.
        // p=100: D20 S10 -> 10, surplus 10.  p in 101..103: D10 S10 -> 10, surplus 0.
        // p=104: D10 S20 -> 10, surplus 10.  The gap wins on surplus; reference 50 clamps to 101.
        let i = uncross_price(&[(104, 10), (100, 10)], &[(100, 10), (104, 10)], 50);
        assert_eq!(
            i,
            Indicative {
                price: Some(101),
                volume: 10,
                surplus: 0,
                surplus_side: None
            }
        );
        // A reference inside the gap is the price itself.
        assert_eq!(
            uncross_price(&[(104, 10), (100, 10)], &[(100, 10), (104, 10)], 102).price,
            Some(102)
        );
    }

    #[test]
    fn the_optimal_prices_form_a_range_and_the_reference_is_clamped_into_it() {
        // bid 5@101, ask 5@99: every p in 99..=101 gives volume 5, surplus 0.
        let (bids, asks) = ([(101, 5)], [(99, 5)]);
        assert_eq!(uncross_price(&bids, &asks, 100).price, Some(100));
        assert_eq!(uncross_price(&bids, &asks, 0).price, Some(99));
        assert_eq!(uncross_price(&bids, &asks, 500).price, Some(101));
    }

    #[test]
    fn a_single_order_or_a_touching_pair() {
        assert_eq!(uncross_price(&[(100, 3)], &[], 100), Indicative::default());
        // Bid and ask at the same price: trades there.
        assert_eq!(
            uncross_price(&[(100, 3)], &[(100, 5)], 1),
            Indicative {
                price: Some(100),
                volume: 3,
                surplus: 2,
                surplus_side: Some(Side::Sell)
            }
        );
    }
}
