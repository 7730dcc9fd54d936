//! The order book and matching layer, usable on its own (no accounts, no wallet), in the manner of
//! exchange-core's `IOrderBook`. [`crate::Exchange`] composes it with risk checks and balances.
//!
//! # Model
//! One instrument, two sides. Prices are [`Ticks`], quantities [`Lots`]. Orders are identified by a
//! caller-chosen [`OrderId`] and carry an opaque `owner` (the account) used only for self-trade
//! prevention. Input is a [`BookCommand`]; output is a sequence of [`BookEvent`]s appended to a
//! caller-owned buffer (no allocation per command once the buffer has grown).
//!
//! # Matching rules (price-time priority)
//! - The best price matches first; within a price level, the earliest resting order matches first (FIFO).
//! - A trade prints at the resting (maker) order's price.
//! - A limit order never trades through its own limit; its remainder rests (GTC) or expires (IOC).
//! - FOK fills entirely or expires with no side effects (no fills, no STP expiries).
//! - A market order walks the book and expires what it cannot fill; with a `budget` (tick·lots) it
//!   also stops when the next lot would exceed the budget.
//! - Post-only: rejected (not modified) when its price would match the opposite best price.
//! - Self-trade prevention follows Binance: the taker's [`StpMode`] decides, see there.
//! - Amend: same price and a smaller quantity keeps queue priority; any other change removes the order
//!   and re-enters it as a new arrival (loses priority, and may trade if it now crosses).
//!
//! # Call auction
//! After [`BookCommand::StartAuction`] the book is in an auction phase: GTC limit orders rest
//! without matching, even when they cross (market, IOC, FOK and post-only orders are refused with
//! [`BookReject::NotAllowedInAuction`]); amends re-enter without matching; cancels work as
//! always. [`MatchingEngine::indicative`] gives the price and volume an uncross would have now
//! (rule in [`crate::auction`]). [`BookCommand::Uncross`] then trades everything crossable at
//! that one price and returns the book to continuous trading:
//! - allocation is price-time priority on both sides: the best-priced bid and ask match first,
//!   FIFO within a level, each pair trading `min` of their remainders at the uncross price
//!   ([`BookEvent::UncrossFill`]);
//! - of each pair the order with the smaller id (placed earlier) is the maker, the other the
//!   taker; with the exchange's increasing ids this is "the later order takes", as in
//!   continuous trading;
//! - self-trade prevention follows the taker's mode as in continuous trading; an expired order is
//!   reported as [`BookEvent::MakerExpired`] (both orders were resting). Because an expiry changes
//!   the curves, the uncross is then computed again on what is left, until a round passes without
//!   one, so the book is never left crossed. Without self-trade prevention there is one round,
//!   and it executes exactly the indicative volume: if a bid and an ask still crossed after it,
//!   a price between them would have had more volume.
//!
//! # Data structure and costs
//! Orders live in a slab (`Vec`) with an intrusive doubly-linked FIFO list per level, found by id
//! through an `FxHashMap<OrderId, slot>` (never iterated, so its order cannot reach an output).
//! Each side keeps its levels in a `Vec` sorted worst → best, so the best level is the last element:
//! best bid/ask is O(1) and cancel by id is O(1) when the level survives. Finding a level costs one
//! probe when the ladder is dense between it and the touch (keys are integers, so the level `d`
//! ticks from the best sits at index `n − 1 − d` or later, exactly there when dense) and otherwise a
//! binary search over those `d` levels. Inserting or removing a level adds a `memmove` of the
//! (better-priced) levels behind it, which is short because activity concentrates near the touch;
//! removing the best level (sweeps) is a pop. A GTC limit order that cannot trade on arrival, and an
//! amend whose new price cannot trade, go straight to the tail of their level without entering the
//! matching loop (the amend keeps its slot and index entry).
//!
//! # Invariants (checked by [`OrderBook::check_invariants`])
//! - The book is not crossed: best bid < best ask.
//! - Each level's aggregate quantity and order count equal the sum over its orders; no level is empty.
//! - Every indexed order is linked in exactly the level of its price and side.
//! - Each side's ladder keys are strictly increasing and match their levels' prices (the level
//!   search above relies on it).

use crate::auction::{uncross_price, Indicative};
use crate::types::{Lots, OrderId, Side, StpMode, Ticks, TimeInForce};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use std::collections::hash_map::Entry;

/// A new order for the book layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookOrder {
    /// Caller-chosen id, unique among the book's resting orders.
    pub id: OrderId,
    /// Opaque owner (account) for self-trade prevention.
    pub owner: u32,
    /// Buy or sell.
    pub side: Side,
    /// Limit price in ticks; `None` for a market order.
    pub price: Option<Ticks>,
    /// Quantity in lots (> 0).
    pub qty: Lots,
    /// Time in force. Market orders behave as IOC whatever is given here (FOK is honoured).
    pub tif: TimeInForce,
    /// Reject rather than take liquidity.
    pub post_only: bool,
    /// Self-trade prevention mode.
    pub stp: StpMode,
    /// Optional spending cap in tick·lots (Σ price × qty of its fills may not exceed it), used by the
    /// exchange for market buys sized by quote amount or by available balance.
    pub budget: Option<u128>,
}

/// A command to the book layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BookCommand {
    /// Match and/or rest a new order.
    Place(BookOrder),
    /// Remove a resting order.
    Cancel {
        /// Id of the resting order.
        id: OrderId,
    },
    /// Change a resting order's price and/or remaining quantity.
    Amend {
        /// Id of the resting order.
        id: OrderId,
        /// New limit price in ticks.
        price: Ticks,
        /// New remaining quantity in lots (> 0).
        qty: Lots,
    },
    /// Enter the auction phase (a no-op when already in it). See the module documentation.
    StartAuction,
    /// Trade everything crossable at the uncross price and return to continuous trading (a no-op
    /// on a book that does not cross). `reference` (ticks) breaks ties between candidate prices.
    Uncross {
        /// Reference price, ticks (the last trade price, or the configured reference).
        reference: Ticks,
    },
}

/// Why the book layer refused a command. The book is unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BookReject {
    /// No resting order has this id (never existed, already filled, cancelled or expired).
    UnknownOrder,
    /// An order with this id is already resting.
    DuplicateOrderId,
    /// Quantity is zero.
    InvalidQuantity,
    /// Price is not positive, or a limit price is missing.
    InvalidPrice,
    /// A post-only order (or amend of one) would have matched on arrival.
    PostOnlyWouldTake,
    /// In the auction phase only GTC limit orders without post-only are accepted.
    NotAllowedInAuction,
}

/// Why the unfilled remainder of an incoming order expired instead of resting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ExpireReason {
    /// IOC limit order: nothing more to match within its limit.
    IocRemainder,
    /// FOK order could not be filled entirely; nothing happened.
    FokUnfillable,
    /// Market order: the opposite side ran out.
    NoLiquidity,
    /// Market order: the next lot would exceed its budget.
    BudgetExhausted,
    /// Self-trade prevention expired the taker (`EXPIRE_TAKER` / `EXPIRE_BOTH`).
    SelfTradePrevention,
}

/// How an incoming order (a placement or a re-entering amend) ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Outcome {
    /// Completely filled.
    Filled,
    /// The remainder rests on the book at its limit price.
    Rested,
    /// The remainder expired.
    Expired(ExpireReason),
}

/// What the book layer did, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BookEvent {
    /// The command was refused; nothing changed.
    Rejected {
        /// The order id the command named.
        id: OrderId,
        /// Why.
        reason: BookReject,
    },
    /// An amend was applied. With `kept_priority == false` the order left the book and is now
    /// matched as a new arrival: fills and a [`BookEvent::Done`] for it follow.
    Amended {
        /// Order id.
        id: OrderId,
        /// New price, ticks.
        price: Ticks,
        /// New remaining quantity, lots.
        qty: Lots,
        /// True when the order kept its place in the queue (same price, smaller quantity).
        kept_priority: bool,
    },
    /// A trade between the incoming order and a resting order, at the maker's price.
    Fill {
        /// Incoming (taker) order id.
        taker_id: OrderId,
        /// Resting (maker) order id.
        maker_id: OrderId,
        /// Owner of the maker.
        maker_owner: u32,
        /// Trade price = maker's price, ticks.
        price: Ticks,
        /// Traded quantity, lots.
        qty: Lots,
        /// Maker's remaining quantity after this fill (0 = removed from the book).
        maker_remaining: Lots,
        /// Taker's remaining quantity after this fill.
        taker_remaining: Lots,
    },
    /// A trade of the uncross between two resting orders, at the uncross price. Maker: the
    /// smaller id of the pair.
    UncrossFill {
        /// The pair's later order (larger id).
        taker_id: OrderId,
        /// The pair's earlier order (smaller id).
        maker_id: OrderId,
        /// Owner of the maker.
        maker_owner: u32,
        /// Uncross price, ticks.
        price: Ticks,
        /// Traded quantity, lots.
        qty: Lots,
        /// Maker's remaining quantity after this fill (0 = removed from the book).
        maker_remaining: Lots,
        /// Taker's remaining quantity after this fill (0 = removed from the book).
        taker_remaining: Lots,
    },
    /// A resting order expired by self-trade prevention (`EXPIRE_MAKER` / `EXPIRE_BOTH`, or in an
    /// uncross either order of the pair).
    MakerExpired {
        /// Expired resting order id.
        id: OrderId,
        /// Its owner.
        owner: u32,
        /// Its price, ticks.
        price: Ticks,
        /// The quantity that left the book, lots.
        qty: Lots,
    },
    /// The incoming order finished matching.
    Done {
        /// Order id.
        id: OrderId,
        /// Quantity filled by this command, lots.
        filled: Lots,
        /// Quantity left (resting or expired), lots.
        remaining: Lots,
        /// What happened to the remainder.
        outcome: Outcome,
    },
    /// A resting order was cancelled by a [`BookCommand::Cancel`].
    Canceled {
        /// Order id.
        id: OrderId,
        /// Its owner.
        owner: u32,
        /// Its price, ticks.
        price: Ticks,
        /// The quantity that left the book, lots.
        qty: Lots,
    },
}

/// A resting order as seen from outside (L3 view).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestingOrder {
    /// Order id.
    pub id: OrderId,
    /// Owner.
    pub owner: u32,
    /// Side.
    pub side: Side,
    /// Price, ticks.
    pub price: Ticks,
    /// Remaining quantity, lots.
    pub qty: Lots,
    /// Post-only flag (kept for amends).
    pub post_only: bool,
    /// STP mode (kept for amends that re-enter the book).
    pub stp: StpMode,
}

/// One price level with its FIFO queue, best-first in [`L3Book`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct L3Level {
    /// Price, ticks.
    pub price: Ticks,
    /// Orders in time priority, earliest first.
    pub orders: Vec<RestingOrder>,
}

/// The whole book, order by order: bids best (highest) first, asks best (lowest) first.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct L3Book {
    /// Bid levels, highest price first.
    pub bids: Vec<L3Level>,
    /// Ask levels, lowest price first.
    pub asks: Vec<L3Level>,
}

/// The contract shared by the fast [`OrderBook`] and the naive reference matcher in the tests:
/// the same commands must give the same events and the same [`L3Book`].
pub trait MatchingEngine {
    /// Apply one command, appending what happened to `out`.
    fn execute(&mut self, cmd: &BookCommand, out: &mut Vec<BookEvent>);
    /// The complete book, order by order.
    fn l3(&self) -> L3Book;
    /// What an uncross would do now, with `reference` in ticks (see [`crate::auction`]).
    fn indicative(&self, reference: Ticks) -> Indicative;
    /// Whether the book is in the auction phase.
    fn in_auction(&self) -> bool;
}

const NIL: u32 = u32::MAX;

#[derive(Debug, Clone, Copy)]
struct Node {
    order: RestingOrder,
    prev: u32,
    next: u32,
    level: u32,
}

#[derive(Debug, Clone, Copy)]
struct Level {
    price: Ticks,
    total: Lots,
    count: u32,
    head: u32,
    tail: u32,
}

/// Levels of one side, sorted worst → best by `key` (bids: price, asks: −price), best last.
#[derive(Debug, Clone, Default)]
struct Ladder {
    keys: Vec<Ticks>,
    levels: Vec<u32>,
}

impl Ladder {
    /// Position of `key`: `Ok(i)` when present, `Err(i)` for the insertion point.
    ///
    /// Keys are strictly increasing integers, so the key at distance `d` below the best one sits at
    /// index `n - 1 - d` or later (exactly there when the ladder is dense, as it usually is near
    /// the touch). That index is probed first; on a miss, a binary search covers the `d` levels
    /// between it and the best.
    #[inline]
    fn find(&self, key: Ticks) -> Result<usize, usize> {
        let keys = &self.keys[..];
        let n = keys.len();
        let Some(&best) = keys.last() else {
            return Err(0);
        };
        if key >= best {
            return if key == best { Ok(n - 1) } else { Err(n) };
        }
        let lo = match usize::try_from(best.abs_diff(key)) {
            Ok(d) if d < n => n - 1 - d,
            _ => 0,
        };
        if keys[lo] == key {
            return Ok(lo);
        }
        match keys[lo..n - 1].binary_search(&key) {
            Ok(i) => Ok(lo + i),
            Err(i) => Err(lo + i),
        }
    }
}

/// The fast order book. See the module documentation for rules, costs and invariants.
#[derive(Debug, Clone, Default)]
pub struct OrderBook {
    nodes: Vec<Node>,
    free_node: u32,
    levels: Vec<Level>,
    free_level: u32,
    bids: Ladder,
    asks: Ladder,
    index: FxHashMap<OrderId, u32>,
    /// In the auction phase (orders rest without matching).
    auction: bool,
}

#[inline]
fn key_of(side: Side, price: Ticks) -> Ticks {
    match side {
        Side::Buy => price,
        Side::Sell => -price,
    }
}

/// State of an incoming order while it matches.
struct Taker {
    id: OrderId,
    owner: u32,
    side: Side,
    limit: Option<Ticks>,
    remaining: Lots,
    filled: Lots,
    stp: StpMode,
    budget: Option<u128>,
}

/// Why a taker stopped matching.
enum MatchEnd {
    /// No (more) resting order it may trade with: the opposite side ran out or the next level is
    /// worse than its limit.
    OppositeExhausted,
    /// Self-trade prevention expired the taker.
    SelfTrade,
    /// Its quote budget ran out.
    BudgetSpent,
}

impl OrderBook {
    /// An empty book.
    pub fn new() -> Self {
        OrderBook {
            free_node: NIL,
            free_level: NIL,
            ..Default::default()
        }
    }

    /// An empty book with room for `orders` resting orders and `levels` price levels.
    pub fn with_capacity(orders: usize, levels: usize) -> Self {
        let mut b = Self::new();
        b.nodes.reserve(orders);
        b.levels.reserve(levels);
        b.index.reserve(orders);
        b
    }

    #[inline]
    fn ladder(&self, side: Side) -> &Ladder {
        match side {
            Side::Buy => &self.bids,
            Side::Sell => &self.asks,
        }
    }

    #[inline]
    fn ladder_mut(&mut self, side: Side) -> &mut Ladder {
        match side {
            Side::Buy => &mut self.bids,
            Side::Sell => &mut self.asks,
        }
    }

    /// Best price and aggregate quantity of a side, O(1).
    #[inline]
    pub fn best(&self, side: Side) -> Option<(Ticks, Lots)> {
        let ladder = self.ladder(side);
        ladder.levels.last().map(|&l| {
            let lv = &self.levels[l as usize];
            (lv.price, lv.total)
        })
    }

    /// Best bid `(price, aggregate qty)`.
    pub fn best_bid(&self) -> Option<(Ticks, Lots)> {
        self.best(Side::Buy)
    }

    /// Best ask `(price, aggregate qty)`.
    pub fn best_ask(&self) -> Option<(Ticks, Lots)> {
        self.best(Side::Sell)
    }

    /// Number of resting orders.
    pub fn order_count(&self) -> usize {
        self.index.len()
    }

    /// Number of price levels on a side.
    pub fn level_count(&self, side: Side) -> usize {
        self.ladder(side).levels.len()
    }

    /// A resting order by id, O(1).
    #[inline]
    pub fn order(&self, id: OrderId) -> Option<&RestingOrder> {
        self.index.get(&id).map(|&s| &self.nodes[s as usize].order)
    }

    /// Aggregate quantity and order count at `price` on `side` (`(0, 0)` when there is no level).
    pub fn level_at(&self, side: Side, price: Ticks) -> (Lots, u32) {
        match self.ladder(side).find(key_of(side, price)) {
            Ok(i) => {
                let lv = &self.levels[self.ladder(side).levels[i] as usize];
                (lv.total, lv.count)
            }
            Err(_) => (0, 0),
        }
    }

    /// Calls `f(price, aggregate qty, order count)` for the best `max_levels` levels of a side,
    /// best first (L2).
    pub fn for_each_level(
        &self,
        side: Side,
        max_levels: usize,
        mut f: impl FnMut(Ticks, Lots, u32),
    ) {
        let ladder = self.ladder(side);
        for &l in ladder.levels.iter().rev().take(max_levels) {
            let lv = &self.levels[l as usize];
            f(lv.price, lv.total, lv.count);
        }
    }

    /// The FIFO queue at one level, earliest first (empty when there is no level).
    pub fn queue(&self, side: Side, price: Ticks) -> Vec<RestingOrder> {
        let mut v = Vec::new();
        if let Ok(i) = self.ladder(side).find(key_of(side, price)) {
            let mut s = self.levels[self.ladder(side).levels[i] as usize].head;
            while s != NIL {
                let n = &self.nodes[s as usize];
                v.push(n.order);
                s = n.next;
            }
        }
        v
    }

    fn alloc_node(&mut self, node: Node) -> u32 {
        if self.free_node != NIL {
            let s = self.free_node;
            self.free_node = self.nodes[s as usize].next;
            self.nodes[s as usize] = node;
            s
        } else {
            self.nodes.push(node);
            (self.nodes.len() - 1) as u32
        }
    }

    fn free_node(&mut self, s: u32) {
        self.nodes[s as usize].next = self.free_node;
        self.free_node = s;
    }

    fn alloc_level(&mut self, price: Ticks) -> u32 {
        let lv = Level {
            price,
            total: 0,
            count: 0,
            head: NIL,
            tail: NIL,
        };
        if self.free_level != NIL {
            let l = self.free_level;
            self.free_level = self.levels[l as usize].head;
            self.levels[l as usize] = lv;
            l
        } else {
            self.levels.push(lv);
            (self.levels.len() - 1) as u32
        }
    }

    /// The slot the next [`Self::alloc_node`] will return.
    #[inline]
    fn next_node_slot(&self) -> u32 {
        if self.free_node != NIL {
            self.free_node
        } else {
            self.nodes.len() as u32
        }
    }

    /// The level at `price` on `side`, created empty when there is none.
    #[inline]
    fn level_for(&mut self, side: Side, price: Ticks) -> u32 {
        let key = key_of(side, price);
        match self.ladder(side).find(key) {
            Ok(i) => self.ladder(side).levels[i],
            Err(i) => {
                let l = self.alloc_level(price);
                let ladder = self.ladder_mut(side);
                ladder.keys.insert(i, key);
                ladder.levels.insert(i, l);
                l
            }
        }
    }

    /// Append slot `s`, whose order is already set, at the tail of level `l`.
    #[inline]
    fn link(&mut self, s: u32, l: u32) {
        let lv = &mut self.levels[l as usize];
        let tail = lv.tail;
        if tail == NIL {
            lv.head = s;
        }
        lv.tail = s;
        lv.total += self.nodes[s as usize].order.qty;
        lv.count += 1;
        let node = &mut self.nodes[s as usize];
        node.prev = tail;
        node.next = NIL;
        node.level = l;
        if tail != NIL {
            self.nodes[tail as usize].next = s;
        }
    }

    /// Put an order in a new slot at the tail of its level (creating the level) without indexing
    /// it; returns the slot, which is [`Self::next_node_slot`].
    #[inline]
    fn link_new(&mut self, order: RestingOrder) -> u32 {
        let l = self.level_for(order.side, order.price);
        let s = self.alloc_node(Node {
            order,
            prev: NIL,
            next: NIL,
            level: l,
        });
        self.link(s, l);
        s
    }

    /// Append an order at the tail of its level (creating the level). Caller guarantees a new id.
    fn rest(&mut self, order: RestingOrder) {
        let s = self.link_new(order);
        self.index.insert(order.id, s);
    }

    /// Take slot `s` out of its level's queue and drop the level if it empties. The slot and the
    /// index entry are left alone.
    #[inline]
    fn detach(&mut self, s: u32) {
        let Node {
            order,
            prev,
            next,
            level,
        } = self.nodes[s as usize];
        if prev != NIL {
            self.nodes[prev as usize].next = next;
        }
        if next != NIL {
            self.nodes[next as usize].prev = prev;
        }
        let lv = &mut self.levels[level as usize];
        if lv.head == s {
            lv.head = next;
        }
        if lv.tail == s {
            lv.tail = prev;
        }
        lv.total -= order.qty;
        lv.count -= 1;
        if lv.count == 0 {
            let key = key_of(order.side, order.price);
            let ladder = self.ladder_mut(order.side);
            // The emptied level is usually the best one (sweeps) or near it.
            if ladder.keys.last() == Some(&key) {
                ladder.keys.pop();
                ladder.levels.pop();
            } else if let Ok(i) = ladder.find(key) {
                ladder.keys.remove(i);
                ladder.levels.remove(i);
            }
            self.levels[level as usize].head = self.free_level;
            self.free_level = level;
        }
    }

    /// Unlink slot `s` from its level, drop an emptied level, free the slot and the index entry.
    fn unlink(&mut self, s: u32) -> RestingOrder {
        self.detach(s);
        let order = self.nodes[s as usize].order;
        self.index.remove(&order.id);
        self.free_node(s);
        order
    }

    /// Fillable quantity for a FOK check: walks without changing anything, honouring limit, STP and
    /// budget exactly as [`Self::match_taker`] would. Stops as soon as `want` is reached.
    fn fillable(&self, t: &Taker, want: Lots) -> Lots {
        let ladder = self.ladder(t.side.opposite());
        let mut got: Lots = 0;
        let mut budget = t.budget;
        for &l in ladder.levels.iter().rev() {
            let lv = &self.levels[l as usize];
            if let Some(limit) = t.limit {
                if worse_than_limit(t.side, lv.price, limit) {
                    break;
                }
            }
            let mut s = lv.head;
            while s != NIL {
                let o = &self.nodes[s as usize].order;
                if o.owner == t.owner && t.stp != StpMode::None {
                    match t.stp {
                        StpMode::ExpireMaker => {
                            s = self.nodes[s as usize].next;
                            continue;
                        }
                        _ => return got,
                    }
                }
                let q = o.qty.min(want - got);
                if let Some(b) = budget.as_mut() {
                    let afford = (*b / lv.price as u128).min(q as u128) as Lots;
                    if afford < q {
                        // The budget runs out on this order: matching stops after this fill.
                        return got + afford;
                    }
                    *b -= q as u128 * lv.price as u128;
                }
                got += q;
                if got == want {
                    return got;
                }
                s = self.nodes[s as usize].next;
            }
        }
        got
    }

    /// Match `t` against the opposite side until exhausted, limit reached, STP or budget stop.
    fn match_taker(&mut self, t: &mut Taker, out: &mut Vec<BookEvent>) -> MatchEnd {
        let opp = t.side.opposite();
        while t.remaining > 0 {
            let Some(&l) = self.ladder(opp).levels.last() else {
                break;
            };
            let price = self.levels[l as usize].price;
            if let Some(limit) = t.limit {
                if worse_than_limit(t.side, price, limit) {
                    break;
                }
            }
            // Take from the head of this level's queue until the level or the taker runs out.
            loop {
                let lv = &self.levels[l as usize];
                let (s, last_in_level) = (lv.head, lv.count == 1);
                let maker = &self.nodes[s as usize].order;
                let (maker_id, maker_owner, maker_qty) = (maker.id, maker.owner, maker.qty);
                let removed = if t.stp != StpMode::None && maker_owner == t.owner {
                    if t.stp == StpMode::ExpireTaker {
                        return MatchEnd::SelfTrade;
                    }
                    // ExpireMaker or ExpireBoth.
                    self.unlink(s);
                    out.push(BookEvent::MakerExpired {
                        id: maker_id,
                        owner: maker_owner,
                        price,
                        qty: maker_qty,
                    });
                    if t.stp == StpMode::ExpireBoth {
                        return MatchEnd::SelfTrade;
                    }
                    true
                } else {
                    let mut q = maker_qty.min(t.remaining);
                    if let Some(b) = t.budget.as_mut() {
                        q = (*b / price as u128).min(q as u128) as Lots;
                        if q == 0 {
                            return MatchEnd::BudgetSpent;
                        }
                        *b -= q as u128 * price as u128;
                    }
                    t.remaining -= q;
                    t.filled += q;
                    let maker_remaining = maker_qty - q;
                    if maker_remaining == 0 {
                        self.unlink(s);
                    } else {
                        self.nodes[s as usize].order.qty = maker_remaining;
                        self.levels[l as usize].total -= q;
                    }
                    out.push(BookEvent::Fill {
                        taker_id: t.id,
                        maker_id,
                        maker_owner,
                        price,
                        qty: q,
                        maker_remaining,
                        taker_remaining: t.remaining,
                    });
                    maker_remaining == 0
                };
                if removed && last_in_level {
                    break; // the level is gone: on to the next one
                }
                if t.remaining == 0 {
                    return MatchEnd::OppositeExhausted;
                }
            }
        }
        MatchEnd::OppositeExhausted
    }

    /// Run an incoming order (new placement or re-entering amend) to completion.
    fn run_incoming(
        &mut self,
        mut t: Taker,
        tif: TimeInForce,
        post_only: bool,
        out: &mut Vec<BookEvent>,
    ) {
        let market = t.limit.is_none();
        if tif == TimeInForce::Fok && self.fillable(&t, t.remaining) < t.remaining {
            out.push(BookEvent::Done {
                id: t.id,
                filled: 0,
                remaining: t.remaining,
                outcome: Outcome::Expired(ExpireReason::FokUnfillable),
            });
            return;
        }
        let stop = self.match_taker(&mut t, out);
        let outcome = if t.remaining == 0 {
            Outcome::Filled
        } else {
            match stop {
                MatchEnd::SelfTrade => Outcome::Expired(ExpireReason::SelfTradePrevention),
                MatchEnd::BudgetSpent => Outcome::Expired(ExpireReason::BudgetExhausted),
                MatchEnd::OppositeExhausted if market => {
                    Outcome::Expired(ExpireReason::NoLiquidity)
                }
                MatchEnd::OppositeExhausted if tif == TimeInForce::Gtc => {
                    self.rest(RestingOrder {
                        id: t.id,
                        owner: t.owner,
                        side: t.side,
                        price: t.limit.expect("limit order"),
                        qty: t.remaining,
                        post_only,
                        stp: t.stp,
                    });
                    Outcome::Rested
                }
                MatchEnd::OppositeExhausted => Outcome::Expired(ExpireReason::IocRemainder),
            }
        };
        out.push(BookEvent::Done {
            id: t.id,
            filled: t.filled,
            remaining: t.remaining,
            outcome,
        });
    }

    /// Would a post-only order at `price` on `side` match on arrival?
    #[inline]
    fn would_take(&self, side: Side, price: Ticks) -> bool {
        match self.best(side.opposite()) {
            Some((best, _)) => !worse_than_limit(side, best, price),
            None => false,
        }
    }

    fn place(&mut self, o: &BookOrder, out: &mut Vec<BookEvent>) {
        if o.qty == 0 {
            out.push(BookEvent::Rejected {
                id: o.id,
                reason: BookReject::InvalidQuantity,
            });
            return;
        }
        if matches!(o.price, Some(p) if p <= 0) || (o.price.is_none() && o.post_only) {
            out.push(BookEvent::Rejected {
                id: o.id,
                reason: BookReject::InvalidPrice,
            });
            return;
        }
        // Does a limit order reach the opposite side? (Market orders always try.)
        let reaches = o.price.is_none_or(|p| self.would_take(o.side, p));
        let slot = self.next_node_slot();
        // One hash probe for both the duplicate check and, on the fast path, the insertion.
        let Entry::Vacant(vacant) = self.index.entry(o.id) else {
            out.push(BookEvent::Rejected {
                id: o.id,
                reason: BookReject::DuplicateOrderId,
            });
            return;
        };
        if self.auction && (o.price.is_none() || o.tif != TimeInForce::Gtc || o.post_only) {
            out.push(BookEvent::Rejected {
                id: o.id,
                reason: BookReject::NotAllowedInAuction,
            });
            return;
        }
        if o.post_only && reaches {
            out.push(BookEvent::Rejected {
                id: o.id,
                reason: BookReject::PostOnlyWouldTake,
            });
            return;
        }
        if let (false, Some(price), TimeInForce::Gtc) = (reaches && !self.auction, o.price, o.tif) {
            // Fast path: a GTC limit order that cannot trade just rests.
            vacant.insert(slot);
            let linked = self.link_new(RestingOrder {
                id: o.id,
                owner: o.owner,
                side: o.side,
                price,
                qty: o.qty,
                post_only: o.post_only,
                stp: o.stp,
            });
            debug_assert_eq!(linked, slot);
            out.push(BookEvent::Done {
                id: o.id,
                filled: 0,
                remaining: o.qty,
                outcome: Outcome::Rested,
            });
            return;
        }
        let t = Taker {
            id: o.id,
            owner: o.owner,
            side: o.side,
            limit: o.price,
            remaining: o.qty,
            filled: 0,
            stp: o.stp,
            budget: o.budget,
        };
        self.run_incoming(t, o.tif, o.post_only, out);
    }

    fn cancel(&mut self, id: OrderId, out: &mut Vec<BookEvent>) {
        // One hash probe: take the index entry first, then the slot.
        match self.index.remove(&id) {
            Some(s) => {
                self.detach(s);
                let o = self.nodes[s as usize].order;
                self.free_node(s);
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
        let Some(&s) = self.index.get(&id) else {
            out.push(BookEvent::Rejected {
                id,
                reason: BookReject::UnknownOrder,
            });
            return;
        };
        if qty == 0 {
            out.push(BookEvent::Rejected {
                id,
                reason: BookReject::InvalidQuantity,
            });
            return;
        }
        if price <= 0 {
            out.push(BookEvent::Rejected {
                id,
                reason: BookReject::InvalidPrice,
            });
            return;
        }
        let cur = self.nodes[s as usize].order;
        if price == cur.price && qty <= cur.qty {
            let node = &mut self.nodes[s as usize];
            node.order.qty = qty;
            let l = node.level;
            self.levels[l as usize].total -= cur.qty - qty;
            out.push(BookEvent::Amended {
                id,
                price,
                qty,
                kept_priority: true,
            });
            return;
        }
        // The order itself is on its own side, so it never affects this check.
        let reaches = self.would_take(cur.side, price);
        if cur.post_only && price != cur.price && reaches {
            out.push(BookEvent::Rejected {
                id,
                reason: BookReject::PostOnlyWouldTake,
            });
            return;
        }
        if !reaches || self.auction {
            // Fast path: the re-entering order cannot trade (or the auction holds it), so it just moves to the tail of its
            // new level, keeping its slot and index entry.
            self.detach(s);
            let node = &mut self.nodes[s as usize];
            node.order.price = price;
            node.order.qty = qty;
            let l = self.level_for(cur.side, price);
            self.link(s, l);
            out.push(BookEvent::Amended {
                id,
                price,
                qty,
                kept_priority: false,
            });
            out.push(BookEvent::Done {
                id,
                filled: 0,
                remaining: qty,
                outcome: Outcome::Rested,
            });
            return;
        }
        self.unlink(s);
        out.push(BookEvent::Amended {
            id,
            price,
            qty,
            kept_priority: false,
        });
        let t = Taker {
            id,
            owner: cur.owner,
            side: cur.side,
            limit: Some(price),
            remaining: qty,
            filled: 0,
            stp: cur.stp,
            budget: None,
        };
        self.run_incoming(t, TimeInForce::Gtc, cur.post_only, out);
    }

    /// Set the auction phase without events (used to rebuild a book from a snapshot).
    pub fn restore_auction(&mut self, auction: bool) {
        self.auction = auction;
    }

    /// Aggregate levels of a side, best first, as `(price ticks, quantity lots)`.
    pub fn levels(&self, side: Side) -> Vec<(Ticks, Lots)> {
        let mut v = Vec::with_capacity(self.level_count(side));
        self.for_each_level(side, usize::MAX, |p, q, _| v.push((p, q)));
        v
    }

    /// Take `q` lots from the resting order in slot `s`; returns what is left (0: it left the book).
    fn take(&mut self, s: u32, q: Lots) -> Lots {
        let left = self.nodes[s as usize].order.qty - q;
        if left == 0 {
            self.unlink(s);
        } else {
            self.nodes[s as usize].order.qty = left;
            let l = self.nodes[s as usize].level;
            self.levels[l as usize].total -= q;
        }
        left
    }

    /// Expire the resting order in slot `s` by self-trade prevention.
    fn expire_resting(&mut self, s: u32, out: &mut Vec<BookEvent>) {
        let o = self.unlink(s);
        out.push(BookEvent::MakerExpired {
            id: o.id,
            owner: o.owner,
            price: o.price,
            qty: o.qty,
        });
    }

    /// The uncross (see the module documentation): rounds of price-time allocation at the
    /// uncross price until one passes without a self-trade expiry.
    fn uncross(&mut self, reference: Ticks, out: &mut Vec<BookEvent>) {
        while let Some(price) = self.indicative(reference).price {
            let mut expired = false;
            while let (Some(&bl), Some(&al)) = (self.bids.levels.last(), self.asks.levels.last()) {
                let (bid, ask) = (&self.levels[bl as usize], &self.levels[al as usize]);
                if bid.price < price || ask.price > price {
                    break;
                }
                let (bs, as_) = (bid.head, ask.head);
                let (b, a) = (
                    self.nodes[bs as usize].order,
                    self.nodes[as_ as usize].order,
                );
                let ((ms, maker), (ts, taker)) = if b.id < a.id {
                    ((bs, b), (as_, a))
                } else {
                    ((as_, a), (bs, b))
                };
                if maker.owner == taker.owner && taker.stp != StpMode::None {
                    expired = true;
                    match taker.stp {
                        StpMode::ExpireTaker => self.expire_resting(ts, out),
                        StpMode::ExpireMaker => self.expire_resting(ms, out),
                        _ => {
                            self.expire_resting(ms, out);
                            self.expire_resting(ts, out);
                        }
                    }
                    continue;
                }
                let q = maker.qty.min(taker.qty);
                let maker_remaining = self.take(ms, q);
                let taker_remaining = self.take(ts, q);
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

    /// Rest an order without matching (used to rebuild a book from a snapshot). The caller
    /// guarantees the result is not crossed (unless the book is in the auction phase) and the id
    /// is new.
    pub fn restore_order(&mut self, order: RestingOrder) {
        debug_assert!(!self.index.contains_key(&order.id));
        self.rest(order);
    }

    /// Check the invariants listed in the module documentation; returns a description of the
    /// first violation.
    pub fn check_invariants(&self) -> Result<(), String> {
        if let (Some((b, _)), Some((a, _)), false) =
            (self.best_bid(), self.best_ask(), self.auction)
        {
            if b >= a {
                return Err(format!("book crossed: bid {b} >= ask {a}"));
            }
        }
        let mut seen = 0usize;
        for side in [Side::Buy, Side::Sell] {
            let ladder = self.ladder(side);
            if ladder.keys.windows(2).any(|w| w[0] >= w[1]) {
                return Err(format!("{side:?} ladder not strictly sorted"));
            }
            for (i, &l) in ladder.levels.iter().enumerate() {
                let lv = &self.levels[l as usize];
                if key_of(side, lv.price) != ladder.keys[i] {
                    return Err(format!("level key mismatch at {}", lv.price));
                }
                let (mut total, mut count, mut s, mut prev) = (0u64, 0u32, lv.head, NIL);
                while s != NIL {
                    let n = &self.nodes[s as usize];
                    if n.prev != prev || n.level != l {
                        return Err(format!("broken links at level {}", lv.price));
                    }
                    if n.order.price != lv.price || n.order.side != side || n.order.qty == 0 {
                        return Err(format!("order {} misplaced", n.order.id));
                    }
                    if self.index.get(&n.order.id) != Some(&s) {
                        return Err(format!("order {} not indexed", n.order.id));
                    }
                    total += n.order.qty;
                    count += 1;
                    prev = s;
                    s = n.next;
                }
                if prev != lv.tail {
                    return Err(format!("tail mismatch at level {}", lv.price));
                }
                if count == 0 || total != lv.total || count != lv.count {
                    return Err(format!(
                        "level {} aggregate {}/{} but orders sum {}/{}",
                        lv.price, lv.total, lv.count, total, count
                    ));
                }
                seen += count as usize;
            }
        }
        if seen != self.index.len() {
            return Err(format!(
                "index has {} orders, levels {}",
                self.index.len(),
                seen
            ));
        }
        Ok(())
    }
}

/// True when `price` is worse than a `side` taker's `limit` (above it for a buy, below it for a
/// sell): the taker may not trade there.
#[inline]
fn worse_than_limit(side: Side, price: Ticks, limit: Ticks) -> bool {
    match side {
        Side::Buy => price > limit,
        Side::Sell => price < limit,
    }
}

impl MatchingEngine for OrderBook {
    #[inline]
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
        uncross_price(&self.levels(Side::Buy), &self.levels(Side::Sell), reference)
    }

    fn in_auction(&self) -> bool {
        self.auction
    }

    fn l3(&self) -> L3Book {
        let side_levels = |side: Side| {
            let ladder = self.ladder(side);
            ladder
                .levels
                .iter()
                .rev()
                .map(|&l| L3Level {
                    price: self.levels[l as usize].price,
                    orders: self.queue(side, self.levels[l as usize].price),
                })
                .collect()
        };
        L3Book {
            bids: side_levels(Side::Buy),
            asks: side_levels(Side::Sell),
        }
    }
}
