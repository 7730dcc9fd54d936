//! A naive reference order book and matcher for testing the fast [`OrderBook`].
//!
//! It shares no code with the fast book: each side is a plain `Vec` of resting orders in no
//! particular order, every question ("which order matches next?", "what is the best price?",
//! "where is order 7?") is answered by a linear scan, and time priority is an arrival counter.
//! It is written to be obviously correct, not fast.
//!
//! The rules it implements are the ones documented in `bourse_core::book`:
//! - best price first, then earliest arrival (price-time priority); trades print at the maker's price;
//! - a limit order never trades through its limit; GTC remainders rest, IOC remainders expire;
//! - FOK fills entirely or nothing happens at all (implemented here by trying the order on a copy of
//!   the book and throwing the copy away when it does not fill completely);
//! - a market order (no price) expires what it cannot fill (`NoLiquidity`), whatever its TIF
//!   except FOK;
//! - a budget caps Σ price × qty: each fill takes at most `budget_left / price` lots, and when that
//!   is zero the order stops (`BudgetExhausted`);
//! - post-only orders that would match the opposite best are rejected;
//! - self-trade prevention follows the taker's mode;
//! - amend: same price and not more quantity keeps priority, anything else re-enters as a new GTC
//!   arrival;
//! - call auction: while in it, GTC limit orders (not post-only) rest without matching and
//!   amends re-enter without matching; the indicative uncross tries **every tick** between the
//!   lowest and the highest resting price and keeps the best by (volume, −surplus, −distance to
//!   the reference, −price); the uncross repeatedly pairs the first-in-line bid and ask while
//!   they are on the right side of that price (the smaller id is the maker, the taker's STP mode
//!   decides), and starts over on what is left while a round expired an order.
//!
//! [`OrderBook`]: bourse_core::book::OrderBook

#![allow(dead_code)]

use bourse_core::auction::Indicative;
use bourse_core::book::{
    BookCommand, BookEvent, BookOrder, BookReject, ExpireReason, L3Book, L3Level, MatchingEngine,
    Outcome, RestingOrder,
};
use bourse_core::types::{Lots, OrderId, Side, StpMode, Ticks, TimeInForce};

/// A resting order and when it arrived (smaller = earlier = higher time priority).
#[derive(Debug, Clone)]
struct Entry {
    order: RestingOrder,
    arrival: u64,
}

/// The naive book: two unsorted vectors and an arrival counter.
#[derive(Debug, Clone, Default)]
pub struct NaiveBook {
    bids: Vec<Entry>,
    asks: Vec<Entry>,
    arrivals: u64,
    auction: bool,
}

/// Everything about an order that is about to match (a new placement or a re-entering amend).
#[derive(Debug, Clone, Copy)]
struct Incoming {
    id: OrderId,
    owner: u32,
    side: Side,
    limit: Option<Ticks>,
    qty: Lots,
    tif: TimeInForce,
    post_only: bool,
    stp: StpMode,
    budget: Option<u128>,
}

/// Why matching stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Why {
    /// Nothing (more) to match: taker filled, opposite side empty, or next price beyond the limit.
    NothingLeft,
    /// Self-trade prevention stopped the taker.
    SelfTrade,
    /// The next fill would not fit in the budget.
    Budget,
}

/// True when a taker on `side` with `limit` may trade at `price`.
fn price_ok(side: Side, limit: Option<Ticks>, price: Ticks) -> bool {
    match (limit, side) {
        (None, _) => true,
        (Some(l), Side::Buy) => price <= l,
        (Some(l), Side::Sell) => price >= l,
    }
}

/// True when resting order `a` on `side` has priority over `b` (better price, or same price and
/// earlier arrival).
fn ahead(side: Side, a: &Entry, b: &Entry) -> bool {
    if a.order.price != b.order.price {
        match side {
            Side::Buy => a.order.price > b.order.price,
            Side::Sell => a.order.price < b.order.price,
        }
    } else {
        a.arrival < b.arrival
    }
}

impl NaiveBook {
    /// An empty book.
    pub fn new() -> Self {
        Self::default()
    }

    fn orders(&self, side: Side) -> &Vec<Entry> {
        match side {
            Side::Buy => &self.bids,
            Side::Sell => &self.asks,
        }
    }

    fn orders_mut(&mut self, side: Side) -> &mut Vec<Entry> {
        match side {
            Side::Buy => &mut self.bids,
            Side::Sell => &mut self.asks,
        }
    }

    /// Index of the highest-priority resting order on `side`, by a linear scan.
    fn first_in_line(&self, side: Side) -> Option<usize> {
        let v = self.orders(side);
        let mut best: Option<usize> = None;
        for i in 0..v.len() {
            match best {
                None => best = Some(i),
                Some(b) if ahead(side, &v[i], &v[b]) => best = Some(i),
                Some(_) => {}
            }
        }
        best
    }

    /// Best price on `side`.
    pub fn best_price(&self, side: Side) -> Option<Ticks> {
        self.first_in_line(side)
            .map(|i| self.orders(side)[i].order.price)
    }

    /// Where a resting order is.
    fn locate(&self, id: OrderId) -> Option<(Side, usize)> {
        for side in [Side::Buy, Side::Sell] {
            if let Some(i) = self.orders(side).iter().position(|e| e.order.id == id) {
                return Some((side, i));
            }
        }
        None
    }

    /// A resting order by id.
    pub fn order(&self, id: OrderId) -> Option<RestingOrder> {
        self.locate(id).map(|(side, i)| self.orders(side)[i].order)
    }

    /// Number of resting orders.
    pub fn order_count(&self) -> usize {
        self.bids.len() + self.asks.len()
    }

    /// Would a post-only order on `side` at `price` match the opposite best on arrival?
    fn would_match(&self, side: Side, price: Ticks) -> bool {
        match self.best_price(side.opposite()) {
            Some(best) => price_ok(side, Some(price), best),
            None => false,
        }
    }

    /// Put an order at the back of the time queue.
    fn rest(&mut self, order: RestingOrder) {
        self.arrivals += 1;
        let arrival = self.arrivals;
        self.orders_mut(order.side).push(Entry { order, arrival });
    }

    /// Match `inc` against the opposite side. Returns (filled, why it stopped).
    fn sweep(&mut self, inc: &Incoming, out: &mut Vec<BookEvent>) -> (Lots, Why) {
        let opp = inc.side.opposite();
        let mut remaining = inc.qty;
        let mut filled: Lots = 0;
        let mut budget_left = inc.budget;
        while remaining > 0 {
            let Some(i) = self.first_in_line(opp) else {
                return (filled, Why::NothingLeft);
            };
            let maker = self.orders(opp)[i].order;
            if !price_ok(inc.side, inc.limit, maker.price) {
                return (filled, Why::NothingLeft);
            }
            if maker.owner == inc.owner && inc.stp != StpMode::None {
                if inc.stp == StpMode::ExpireTaker {
                    return (filled, Why::SelfTrade);
                }
                // EXPIRE_MAKER or EXPIRE_BOTH: the maker leaves the book.
                self.orders_mut(opp).remove(i);
                out.push(BookEvent::MakerExpired {
                    id: maker.id,
                    owner: maker.owner,
                    price: maker.price,
                    qty: maker.qty,
                });
                if inc.stp == StpMode::ExpireBoth {
                    return (filled, Why::SelfTrade);
                }
                continue;
            }
            let mut qty = maker.qty.min(remaining);
            if let Some(left) = budget_left {
                let affordable = left / maker.price as u128;
                if affordable < qty as u128 {
                    qty = affordable as Lots;
                }
                if qty == 0 {
                    return (filled, Why::Budget);
                }
                budget_left = Some(left - qty as u128 * maker.price as u128);
            }
            remaining -= qty;
            filled += qty;
            let maker_left = maker.qty - qty;
            if maker_left == 0 {
                self.orders_mut(opp).remove(i);
            } else {
                self.orders_mut(opp)[i].order.qty = maker_left;
            }
            out.push(BookEvent::Fill {
                taker_id: inc.id,
                maker_id: maker.id,
                maker_owner: maker.owner,
                price: maker.price,
                qty,
                maker_remaining: maker_left,
                taker_remaining: remaining,
            });
        }
        (filled, Why::NothingLeft)
    }

    /// Run an incoming order to its end, finishing with its `Done` event.
    fn arrive(&mut self, inc: Incoming, out: &mut Vec<BookEvent>) {
        if inc.tif == TimeInForce::Fok {
            // Try it on a throw-away copy: only a complete fill is allowed to happen for real.
            let mut trial = self.clone();
            let mut ignored = Vec::new();
            let (filled, _) = trial.sweep(&inc, &mut ignored);
            if filled < inc.qty {
                out.push(BookEvent::Done {
                    id: inc.id,
                    filled: 0,
                    remaining: inc.qty,
                    outcome: Outcome::Expired(ExpireReason::FokUnfillable),
                });
                return;
            }
        }
        let (filled, why) = self.sweep(&inc, out);
        let remaining = inc.qty - filled;
        let outcome = if remaining == 0 {
            Outcome::Filled
        } else if why == Why::SelfTrade {
            Outcome::Expired(ExpireReason::SelfTradePrevention)
        } else if why == Why::Budget {
            Outcome::Expired(ExpireReason::BudgetExhausted)
        } else if inc.limit.is_none() {
            Outcome::Expired(ExpireReason::NoLiquidity)
        } else if inc.tif == TimeInForce::Gtc {
            self.rest(RestingOrder {
                id: inc.id,
                owner: inc.owner,
                side: inc.side,
                price: inc.limit.unwrap(),
                qty: remaining,
                post_only: inc.post_only,
                stp: inc.stp,
            });
            Outcome::Rested
        } else {
            // IOC (a FOK never gets here with a remainder: it was fully fillable).
            Outcome::Expired(ExpireReason::IocRemainder)
        };
        out.push(BookEvent::Done {
            id: inc.id,
            filled,
            remaining,
            outcome,
        });
    }

    fn place(&mut self, o: &BookOrder, out: &mut Vec<BookEvent>) {
        let reject = |reason| BookEvent::Rejected { id: o.id, reason };
        if o.qty == 0 {
            return out.push(reject(BookReject::InvalidQuantity));
        }
        let bad_price = match o.price {
            Some(p) => p <= 0,
            None => o.post_only, // a market order cannot be post-only
        };
        if bad_price {
            return out.push(reject(BookReject::InvalidPrice));
        }
        if self.locate(o.id).is_some() {
            return out.push(reject(BookReject::DuplicateOrderId));
        }
        if self.auction && (o.price.is_none() || o.tif != TimeInForce::Gtc || o.post_only) {
            return out.push(reject(BookReject::NotAllowedInAuction));
        }
        if let (true, Some(p)) = (o.post_only, o.price) {
            if self.would_match(o.side, p) {
                return out.push(reject(BookReject::PostOnlyWouldTake));
            }
        }
        if let (true, Some(price)) = (self.auction, o.price) {
            self.rest(RestingOrder {
                id: o.id,
                owner: o.owner,
                side: o.side,
                price,
                qty: o.qty,
                post_only: o.post_only,
                stp: o.stp,
            });
            return out.push(BookEvent::Done {
                id: o.id,
                filled: 0,
                remaining: o.qty,
                outcome: Outcome::Rested,
            });
        }
        self.arrive(
            Incoming {
                id: o.id,
                owner: o.owner,
                side: o.side,
                limit: o.price,
                qty: o.qty,
                tif: o.tif,
                post_only: o.post_only,
                stp: o.stp,
                budget: o.budget,
            },
            out,
        );
    }

    fn cancel(&mut self, id: OrderId, out: &mut Vec<BookEvent>) {
        match self.locate(id) {
            Some((side, i)) => {
                let o = self.orders_mut(side).remove(i).order;
                out.push(BookEvent::Canceled {
                    id,
                    owner: o.owner,
                    price: o.price,
                    qty: o.qty,
                });
            }
            None => out.push(BookEvent::Rejected {
                id,
                reason: BookReject::UnknownOrder,
            }),
        }
    }

    fn amend(&mut self, id: OrderId, price: Ticks, qty: Lots, out: &mut Vec<BookEvent>) {
        let reject = |reason| BookEvent::Rejected { id, reason };
        let Some((side, i)) = self.locate(id) else {
            return out.push(reject(BookReject::UnknownOrder));
        };
        if qty == 0 {
            return out.push(reject(BookReject::InvalidQuantity));
        }
        if price <= 0 {
            return out.push(reject(BookReject::InvalidPrice));
        }
        let cur = self.orders(side)[i].order;
        if price == cur.price && qty <= cur.qty {
            // Same place in the queue, less (or the same) quantity.
            self.orders_mut(side)[i].order.qty = qty;
            return out.push(BookEvent::Amended {
                id,
                price,
                qty,
                kept_priority: true,
            });
        }
        if cur.post_only && price != cur.price && self.would_match(side, price) {
            return out.push(reject(BookReject::PostOnlyWouldTake));
        }
        self.orders_mut(side).remove(i);
        out.push(BookEvent::Amended {
            id,
            price,
            qty,
            kept_priority: false,
        });
        if self.auction {
            self.rest(RestingOrder { price, qty, ..cur });
            return out.push(BookEvent::Done {
                id,
                filled: 0,
                remaining: qty,
                outcome: Outcome::Rested,
            });
        }
        self.arrive(
            Incoming {
                id,
                owner: cur.owner,
                side,
                limit: Some(price),
                qty,
                tif: TimeInForce::Gtc,
                post_only: cur.post_only,
                stp: cur.stp,
                budget: None,
            },
            out,
        );
    }

    /// Brute force: every tick from the lowest to the highest resting price.
    fn naive_indicative(&self, reference: Ticks) -> Indicative {
        let all = || {
            self.bids
                .iter()
                .chain(self.asks.iter())
                .map(|e| e.order.price)
        };
        let (Some(lo), Some(hi)) = (all().min(), all().max()) else {
            return Indicative::default();
        };
        // (volume, surplus, distance, price, demand, supply) of the best price so far.
        let mut best: Option<(Lots, Lots, u64, Ticks, Lots, Lots)> = None;
        for p in lo..=hi {
            let demand: Lots = self
                .bids
                .iter()
                .filter(|e| e.order.price >= p)
                .map(|e| e.order.qty)
                .sum();
            let supply: Lots = self
                .asks
                .iter()
                .filter(|e| e.order.price <= p)
                .map(|e| e.order.qty)
                .sum();
            let volume = demand.min(supply);
            if volume == 0 {
                continue;
            }
            let surplus = demand.max(supply) - volume;
            let dist = p.abs_diff(reference);
            let wins = match best {
                None => true,
                Some((v, s, d, bp, _, _)) => {
                    volume > v
                        || (volume == v && surplus < s)
                        || (volume == v && surplus == s && dist < d)
                        || (volume == v && surplus == s && dist == d && p < bp)
                }
            };
            if wins {
                best = Some((volume, surplus, dist, p, demand, supply));
            }
        }
        match best {
            None => Indicative::default(),
            Some((volume, surplus, _, price, demand, supply)) => Indicative {
                price: Some(price),
                volume,
                surplus,
                surplus_side: if demand > supply {
                    Some(Side::Buy)
                } else if supply > demand {
                    Some(Side::Sell)
                } else {
                    None
                },
            },
        }
    }

    /// Remove the order with this id and report it expired by self-trade prevention.
    fn expire(&mut self, id: OrderId, out: &mut Vec<BookEvent>) {
        let (side, i) = self.locate(id).expect("resting");
        let o = self.orders_mut(side).remove(i).order;
        out.push(BookEvent::MakerExpired {
            id,
            owner: o.owner,
            price: o.price,
            qty: o.qty,
        });
    }

    fn uncross(&mut self, reference: Ticks, out: &mut Vec<BookEvent>) {
        while let Some(price) = self.naive_indicative(reference).price {
            let mut expired = false;
            loop {
                let (Some(bi), Some(ai)) = (
                    self.first_in_line(Side::Buy),
                    self.first_in_line(Side::Sell),
                ) else {
                    break;
                };
                let (b, a) = (self.bids[bi].order, self.asks[ai].order);
                if b.price < price || a.price > price {
                    break;
                }
                let (maker, taker) = if b.id < a.id { (b, a) } else { (a, b) };
                if maker.owner == taker.owner && taker.stp != StpMode::None {
                    expired = true;
                    match taker.stp {
                        StpMode::ExpireTaker => self.expire(taker.id, out),
                        StpMode::ExpireMaker => self.expire(maker.id, out),
                        _ => {
                            self.expire(maker.id, out);
                            self.expire(taker.id, out);
                        }
                    }
                    continue;
                }
                let q = maker.qty.min(taker.qty);
                let mut left = |id: OrderId| {
                    let (side, i) = self.locate(id).expect("resting");
                    let v = self.orders_mut(side);
                    v[i].order.qty -= q;
                    let r = v[i].order.qty;
                    if r == 0 {
                        v.remove(i);
                    }
                    r
                };
                let maker_remaining = left(maker.id);
                let taker_remaining = left(taker.id);
                out.push(BookEvent::UncrossFill {
                    taker_id: taker.id,
                    maker_id: maker.id,
                    maker_owner: maker.owner,
                    price,
                    qty: q,
                    maker_remaining,
                    taker_remaining,
                });
            }
            if !expired {
                break;
            }
        }
        self.auction = false;
    }

    /// The reference's own sanity checks: not crossed, no empty orders, ids unique, every order on
    /// the side it says.
    pub fn check_invariants(&self) -> Result<(), String> {
        if let (Some(b), Some(a), false) = (
            self.best_price(Side::Buy),
            self.best_price(Side::Sell),
            self.auction,
        ) {
            if b >= a {
                return Err(format!("reference book crossed: bid {b} >= ask {a}"));
            }
        }
        let mut ids = Vec::new();
        for e in self.bids.iter().chain(self.asks.iter()) {
            if e.order.qty == 0 || e.order.price <= 0 {
                return Err(format!(
                    "reference order {} is empty or unpriced",
                    e.order.id
                ));
            }
            ids.push(e.order.id);
        }
        ids.sort_unstable();
        if let Some(w) = ids.windows(2).find(|w| w[0] == w[1]) {
            return Err(format!("reference id {} rests twice", w[0]));
        }
        if self.bids.iter().any(|e| e.order.side != Side::Buy)
            || self.asks.iter().any(|e| e.order.side != Side::Sell)
        {
            return Err("reference order on the wrong side".into());
        }
        Ok(())
    }
}

impl MatchingEngine for NaiveBook {
    fn execute(&mut self, cmd: &BookCommand, out: &mut Vec<BookEvent>) {
        match *cmd {
            BookCommand::Place(ref o) => self.place(o, out),
            BookCommand::Cancel { id } => self.cancel(id, out),
            BookCommand::Amend { id, price, qty } => self.amend(id, price, qty, out),
            BookCommand::StartAuction => self.auction = true,
            BookCommand::Uncross { reference } => self.uncross(reference, out),
        }
    }

    fn indicative(&self, reference: Ticks) -> Indicative {
        self.naive_indicative(reference)
    }

    fn in_auction(&self) -> bool {
        self.auction
    }

    fn l3(&self) -> L3Book {
        let side_view = |side: Side| {
            let mut entries: Vec<&Entry> = self.orders(side).iter().collect();
            // Priority order: best price first, then arrival.
            entries.sort_by(|a, b| {
                if ahead(side, a, b) {
                    std::cmp::Ordering::Less
                } else if ahead(side, b, a) {
                    std::cmp::Ordering::Greater
                } else {
                    std::cmp::Ordering::Equal
                }
            });
            let mut levels: Vec<L3Level> = Vec::new();
            for e in entries {
                match levels.last_mut() {
                    Some(l) if l.price == e.order.price => l.orders.push(e.order),
                    _ => levels.push(L3Level {
                        price: e.order.price,
                        orders: vec![e.order],
                    }),
                }
            }
            levels
        };
        L3Book {
            bids: side_view(Side::Buy),
            asks: side_view(Side::Sell),
        }
    }
}
