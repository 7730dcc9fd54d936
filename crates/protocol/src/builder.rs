//! [`FrameBuilder`]: turns the exchange's event stream and read-only queries into coalesced frames.

use crate::bounds::{MAX_AUCTION_CURVE_LEVELS, MAX_DEPTH_LEVELS, MAX_L3_ORDERS};
use crate::bounds::{
    MAX_FRAME_CANDLES, MAX_FRAME_EXECUTIONS, MAX_FRAME_OPEN_ORDERS, MAX_FRAME_TRADES,
};
use crate::frame::{
    AuctionView, BalanceChange, Depth, ExecutionPrint, Frame, L2Row, L3Order, L3Queue, OpenOrders,
    TradePrint,
};
use crate::session::{SimState, Subscription};
use bourse_core::{
    AccountId, BookTicker, Candle, Event, Exchange, InstrumentId, Lots, Sequenced, Side, Ticker24h,
    Ticks,
};
use std::collections::VecDeque;

/// The bucket a price falls in under `grouping` ticks: bids round **down**, asks round **up** to a
/// multiple of `grouping` (`grouping` 0 is treated as 1). Because the best bid is below the best
/// ask, `bucket(bid) ≤ bid < ask ≤ bucket(ask)`: grouped books are never crossed, and a grouped
/// row never shows a better price than any order in it.
pub fn bucket_price(side: Side, price: Ticks, grouping: u32) -> Ticks {
    let g = grouping.max(1) as Ticks;
    let floor = price.div_euclid(g) * g;
    match side {
        Side::Buy => floor,
        Side::Sell if floor == price => floor,
        Side::Sell => floor.saturating_add(g),
    }
}

/// Group ungrouped L2 levels `(price ticks, qty lots)` of one side, given best first, into at most
/// `rows` buckets of `grouping` ticks (see [`bucket_price`]), summing quantities; `own` gives the
/// human's resting `(price, qty)` on that side, summed into each row's `own`. Own orders outside
/// the rows are ignored.
pub fn group_levels(
    side: Side,
    levels: impl IntoIterator<Item = (Ticks, Lots)>,
    grouping: u32,
    rows: usize,
    own: &[(Ticks, Lots)],
) -> Vec<L2Row> {
    let mut out: Vec<L2Row> = Vec::with_capacity(rows.min(MAX_DEPTH_LEVELS as usize));
    for (price, qty) in levels {
        let b = bucket_price(side, price, grouping);
        match out.last_mut() {
            Some(r) if r.price == b => r.qty = r.qty.saturating_add(qty),
            _ => {
                if out.len() == rows {
                    break;
                }
                out.push(L2Row {
                    price: b,
                    qty,
                    own: 0,
                });
            }
        }
    }
    for &(price, qty) in own {
        let b = bucket_price(side, price, grouping);
        // Rows are sorted best first: descending for bids, ascending for asks.
        let found = match side {
            Side::Buy => out.binary_search_by(|r| b.cmp(&r.price)),
            Side::Sell => out.binary_search_by(|r| r.price.cmp(&b)),
        };
        if let Ok(i) = found {
            out[i].own = out[i].own.saturating_add(qty);
        }
    }
    out
}

/// Accumulates what changed between frames and builds them. Pure: fed with the exchange's events
/// ([`FrameBuilder::on_events`]) and given read-only access to the [`Exchange`] when a frame is
/// taken ([`FrameBuilder::take_frame`]).
///
/// # Bounds
/// Between two frames it holds at most [`MAX_FRAME_TRADES`] trades, [`MAX_FRAME_EXECUTIONS`]
/// execution reports (the oldest are dropped and counted) and one balance per asset of the
/// configuration; it remembers the last sent snapshots (at most 2 × [`MAX_DEPTH_LEVELS`] L2 rows and
/// [`MAX_L3_ORDERS`] L3 orders) to send only what changed. Building a frame scans at most
/// `depth_levels × grouping_ticks` price levels per side, the human's open orders and one L3 queue.
#[derive(Debug, Clone)]
pub struct FrameBuilder {
    human: AccountId,
    sub: Subscription,
    frame_no: u64,
    full_pending: bool,
    trades: VecDeque<TradePrint>,
    trades_dropped: u64,
    executions: VecDeque<ExecutionPrint>,
    executions_dropped: u64,
    /// Latest balance per asset since the last frame, ascending asset id.
    balances: Vec<BalanceChange>,
    orders_dirty: bool,
    last_depth: Option<Depth>,
    last_l1: Option<BookTicker>,
    last_ticker: Option<Ticker24h>,
    last_l3: Option<L3Queue>,
    last_auction: Option<AuctionView>,
    /// The newest candle sent (its open time is where the next frame's candles start).
    last_candle: Option<Candle>,
}

impl FrameBuilder {
    /// A builder for the human's `account` and a subscription. The first frame is full.
    pub fn new(human_account: AccountId, subscription: Subscription) -> Self {
        FrameBuilder {
            human: human_account,
            sub: subscription,
            frame_no: 0,
            full_pending: true,
            trades: VecDeque::with_capacity(MAX_FRAME_TRADES),
            trades_dropped: 0,
            executions: VecDeque::new(),
            executions_dropped: 0,
            balances: Vec::new(),
            orders_dirty: true,
            last_depth: None,
            last_l1: None,
            last_ticker: None,
            last_l3: None,
            last_auction: None,
            last_candle: None,
        }
    }

    /// The current subscription.
    pub fn subscription(&self) -> &Subscription {
        &self.sub
    }

    /// The human's account.
    pub fn human_account(&self) -> AccountId {
        self.human
    }

    /// Number of the last frame taken (0 before the first).
    pub fn frame_no(&self) -> u64 {
        self.frame_no
    }

    /// Replace the subscription (validate it first, see [`Subscription::validate`]). Buffered
    /// trades of another instrument are discarded; the next frame is full.
    pub fn subscribe(&mut self, subscription: Subscription) {
        if subscription.instrument != self.sub.instrument {
            self.trades.clear();
            self.trades_dropped = 0;
        }
        self.sub = subscription;
        self.force_full();
    }

    /// Start over after a simulation reset: everything buffered is discarded (the frame counter
    /// keeps counting) and the next frame is full.
    pub fn reset(&mut self, human_account: AccountId) {
        self.human = human_account;
        self.trades.clear();
        self.trades_dropped = 0;
        self.executions.clear();
        self.executions_dropped = 0;
        self.balances.clear();
        self.force_full();
    }

    /// Make the next frame full (every snapshot sent, all balances listed).
    pub fn force_full(&mut self) {
        self.full_pending = true;
        self.orders_dirty = true;
        self.last_depth = None;
        self.last_l1 = None;
        self.last_ticker = None;
        self.last_l3 = None;
        self.last_auction = None;
        self.last_candle = None;
    }

    /// Record events in output order (each event once; pass every event the exchange emitted).
    pub fn on_events(&mut self, events: &[Sequenced]) {
        for e in events {
            match &e.event {
                Event::Trade(t) if t.instrument == self.sub.instrument => {
                    if self.trades.len() == MAX_FRAME_TRADES {
                        self.trades.pop_front();
                        self.trades_dropped += 1;
                    }
                    self.trades.push_back(TradePrint {
                        ts_ns: e.ts_ns,
                        seq: e.seq,
                        trade: *t,
                    });
                }
                Event::Execution(r) if r.account == self.human => {
                    if self.executions.len() == MAX_FRAME_EXECUTIONS {
                        self.executions.pop_front();
                        self.executions_dropped += 1;
                    }
                    self.executions.push_back(ExecutionPrint {
                        ts_ns: e.ts_ns,
                        seq: e.seq,
                        input_seq: e.input_seq,
                        report: r.clone(),
                    });
                    self.orders_dirty = true;
                }
                &Event::BalanceUpdate {
                    account,
                    asset,
                    available,
                    locked,
                } if account == self.human => {
                    let b = BalanceChange {
                        asset,
                        available,
                        locked,
                    };
                    match self.balances.binary_search_by_key(&asset, |b| b.asset) {
                        Ok(i) => self.balances[i] = b,
                        Err(i) => self.balances.insert(i, b),
                    }
                }
                _ => {}
            }
        }
    }

    /// Build the frame of everything that changed since the previous one, at simulation clock
    /// `clock_ns` (ns; not before the exchange's last command), and start a new accumulation.
    pub fn take_frame(&mut self, ex: &Exchange, clock_ns: u64, sim: &SimState) -> Frame {
        self.frame_no += 1;
        let full = std::mem::take(&mut self.full_pending);
        let ins = self.sub.instrument;

        // Logs.
        let trades: Vec<TradePrint> = self.trades.drain(..).collect();
        let executions: Vec<ExecutionPrint> = self.executions.drain(..).collect();
        let mut balances = std::mem::take(&mut self.balances);
        if full {
            balances = (0..ex.config().assets.len() as u32)
                .filter_map(|asset| {
                    ex.balance(self.human, asset).map(|b| BalanceChange {
                        asset,
                        available: b.available,
                        locked: b.locked,
                    })
                })
                .collect();
        }
        let (candles, candles_dropped) = self.changed_candles(ex, clock_ns);

        // Snapshots, sent when they differ from the last ones sent.
        let depth_now = self.depth(ex);
        let depth = changed(&mut self.last_depth, depth_now);
        let l1 = changed(&mut self.last_l1, ex.book_ticker(ins).unwrap_or_default());
        let ticker = changed(
            &mut self.last_ticker,
            ex.ticker_24h(ins, clock_ns).unwrap_or_default(),
        );
        let l3 = match self.sub.l3_level {
            Some((side, price)) => {
                let queue = self.l3(ex, side, price);
                changed(&mut self.last_l3, queue)
            }
            None => None,
        };
        let phase = ex.trading_phase(ins);
        let auction = match ex.indicative_uncross(ins) {
            Some(ind) => {
                let view = auction_view(ex, ins, ind);
                changed(&mut self.last_auction, view)
            }
            None => {
                self.last_auction = None;
                None
            }
        };
        let open_orders = if std::mem::take(&mut self.orders_dirty) {
            let mut orders = ex.open_orders_of(self.human);
            let omitted = orders.len().saturating_sub(MAX_FRAME_OPEN_ORDERS);
            orders.truncate(MAX_FRAME_OPEN_ORDERS);
            Some(OpenOrders {
                orders,
                omitted: omitted as u32,
            })
        } else {
            None
        };

        Frame {
            frame_no: self.frame_no,
            full,
            clock_ns,
            last_input_seq: ex.next_input_seq().saturating_sub(1),
            last_output_seq: ex.next_output_seq().saturating_sub(1),
            event_digest: ex.event_digest(),
            sim: sim.clone(),
            subscription: self.sub,
            halted: ex.is_halted(ins),
            phase,
            auction,
            depth,
            l1,
            trades,
            trades_dropped: std::mem::take(&mut self.trades_dropped),
            candles,
            candles_dropped,
            ticker,
            executions,
            executions_dropped: std::mem::take(&mut self.executions_dropped),
            balances,
            open_orders,
            l3,
        }
    }

    /// The grouped L2 of the subscribed instrument with the human's own quantities.
    fn depth(&self, ex: &Exchange) -> Depth {
        let rows = self.sub.depth_levels.min(MAX_DEPTH_LEVELS) as usize;
        let g = self.sub.grouping_ticks.max(1);
        let mut depth = Depth {
            grouping_ticks: g,
            ..Depth::default()
        };
        let Some(book) = ex.book(self.sub.instrument) else {
            return depth;
        };
        // A bucket spans `g` ticks, so it holds at most `g` distinct levels: `rows × g` levels
        // always fill `rows` buckets.
        let scan = rows.saturating_mul(g as usize);
        let (mut own_bids, mut own_asks) = (Vec::new(), Vec::new());
        for o in ex.open_orders_of(self.human) {
            if o.instrument != self.sub.instrument || o.pending_stop {
                continue;
            }
            if let Some(r) = book.order(o.id) {
                match r.side {
                    Side::Buy => own_bids.push((r.price, r.qty)),
                    Side::Sell => own_asks.push((r.price, r.qty)),
                }
            }
        }
        for (side, own, out) in [
            (Side::Buy, &own_bids, &mut depth.bids),
            (Side::Sell, &own_asks, &mut depth.asks),
        ] {
            let mut levels = Vec::with_capacity(scan.min(book.level_count(side)));
            book.for_each_level(side, scan, |p, q, _| levels.push((p, q)));
            *out = group_levels(side, levels, g, rows, own);
        }
        depth
    }

    /// The L3 queue at one level, or of every level in one grouped bucket: with grouping `g`, the
    /// bucket at `price` holds the levels `price − g + 1 ..= price` of asks rounded up and
    /// `price ..= price + g − 1` of bids rounded down (see [`bucket_price`]). Scans the same
    /// bounded number of levels as the depth (`depth_levels × g`, best first).
    fn l3(&self, ex: &Exchange, side: Side, price: Ticks) -> L3Queue {
        let g = self.sub.grouping_ticks.max(1);
        let mut queue = L3Queue {
            side,
            price,
            grouping_ticks: g,
            orders: Vec::new(),
            omitted: 0,
        };
        let Some(book) = ex.book(self.sub.instrument) else {
            return queue;
        };
        let scan =
            (self.sub.depth_levels.min(MAX_DEPTH_LEVELS) as usize).saturating_mul(g as usize);
        let mut levels = Vec::new();
        book.for_each_level(side, scan, |p, _, _| {
            if bucket_price(side, p, g) == price {
                levels.push(p);
            }
        });
        let mut total = 0usize;
        for p in levels {
            for o in book.queue(side, p) {
                total += 1;
                if queue.orders.len() < MAX_L3_ORDERS {
                    queue.orders.push(L3Order {
                        id: o.id,
                        price: p,
                        qty: o.qty,
                        own: o.owner == self.human,
                    });
                }
            }
        }
        queue.omitted = (total - queue.orders.len()) as u32;
        queue
    }

    /// Candles from the last one sent (which may have changed since) up to the one containing
    /// `clock_ns`, minus the last one sent if it did not change.
    fn changed_candles(&mut self, ex: &Exchange, clock_ns: u64) -> (Vec<Candle>, u64) {
        let interval = self.sub.candle_interval;
        let step = interval.nanos();
        let now_bucket = clock_ns - clock_ns % step;
        let wanted = match self.last_candle {
            Some(c) if now_bucket >= c.open_time_ns => (now_bucket - c.open_time_ns) / step + 1,
            _ => 1,
        };
        let limit = wanted.min(MAX_FRAME_CANDLES as u64);
        let mut candles = ex.candles(self.sub.instrument, interval, clock_ns, limit as usize);
        if let (Some(first), Some(last)) = (candles.first(), self.last_candle) {
            if *first == last {
                candles.remove(0);
            }
        }
        if let Some(&c) = candles.last() {
            self.last_candle = Some(c);
        }
        (candles, wanted - limit)
    }
}

/// `Some(now)` if it differs from `*last` (and remember it), else `None`.
/// The auction view of `ins` with its indicative uncross `ind`.
fn auction_view(
    ex: &Exchange,
    ins: InstrumentId,
    ind: bourse_core::auction::Indicative,
) -> AuctionView {
    let curve = |side: Side| {
        let mut v = Vec::new();
        let mut cum: Lots = 0;
        if let Some(book) = ex.book(ins) {
            book.for_each_level(side, MAX_AUCTION_CURVE_LEVELS, |p, q, _| {
                cum += q;
                v.push((p, cum));
            });
        }
        v
    };
    AuctionView {
        price: ind.price,
        volume: ind.volume,
        surplus: ind.surplus,
        surplus_side: ind.surplus_side,
        demand: curve(Side::Buy),
        supply: curve(Side::Sell),
    }
}

fn changed<T: PartialEq + Clone>(last: &mut Option<T>, now: T) -> Option<T> {
    if last.as_ref() == Some(&now) {
        None
    } else {
        *last = Some(now.clone());
        Some(now)
    }
}
