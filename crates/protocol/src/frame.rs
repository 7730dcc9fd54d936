//! The coalesced frame: everything that changed since the previous frame, in integers only (so
//! that postcard, which cannot decode `Decimal`, can carry it).
//!
//! Two kinds of content:
//! - **Logs** (trades, execution reports, candles): what happened since the previous frame,
//!   bounded, oldest first, with a count of what was dropped.
//! - **Snapshots** (L2, L1, 24h ticker, open orders, L3 queue): `Some(current state)` when it differs
//!   from what the previous frame sent, `None` when unchanged. After a subscription change or a
//!   reset every snapshot is `Some` and [`Frame::full`] is true.

use crate::session::{SimState, Subscription};
use bourse_core::{
    AssetId, BookTicker, Candle, ExecutionReport, Lots, OpenOrder, OrderId, Side, Ticker24h, Ticks,
    Trade, TradingPhase, Units,
};
use serde::{Deserialize, Serialize};

/// One L2 row after price grouping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct L2Row {
    /// Grouped price, ticks (a multiple of the grouping).
    pub price: Ticks,
    /// Aggregate quantity of the ungrouped levels in this bucket, lots.
    pub qty: Lots,
    /// The part of `qty` that is the human's resting orders, lots.
    pub own: Lots,
}

/// The L2 book of the subscribed instrument after grouping.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Depth {
    /// Grouping in ticks these rows were built with.
    pub grouping_ticks: u32,
    /// Bids, best (highest) first, strictly descending; at most
    /// [`Subscription::depth_levels`] rows, fewer only when the book has fewer.
    pub bids: Vec<L2Row>,
    /// Asks, best (lowest) first, strictly ascending, every price above every bid; at most
    /// [`Subscription::depth_levels`] rows.
    pub asks: Vec<L2Row>,
}

/// A public trade with the time it printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TradePrint {
    /// Time of the command that caused it, ns since the Unix epoch.
    pub ts_ns: u64,
    /// Output sequence number of the trade event.
    pub seq: u64,
    /// The trade (prices in ticks, quantities in lots, notional in quote units).
    pub trade: Trade,
}

/// One of the human's execution reports with the time and sequence number of its event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecutionPrint {
    /// Time of the command that caused it (virtual time), ns since the Unix epoch.
    pub ts_ns: u64,
    /// Output sequence number of the execution event.
    pub seq: u64,
    /// Input sequence number of the command that caused it.
    pub input_seq: u64,
    /// The report (prices in ticks, quantities in lots, amounts in asset units).
    pub report: ExecutionReport,
}

/// The latest balance of one of the human's assets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BalanceChange {
    /// Asset.
    pub asset: AssetId,
    /// Available, asset units.
    pub available: Units,
    /// Locked by open orders, asset units.
    pub locked: Units,
}

/// The human's open orders (resting and pending stops) on all instruments.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct OpenOrders {
    /// Ascending order id, at most [`crate::MAX_FRAME_OPEN_ORDERS`].
    pub orders: Vec<OpenOrder>,
    /// Open orders left out (those with the highest ids).
    pub omitted: u32,
}

/// One order of an L3 queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct L3Order {
    /// Order id.
    pub id: OrderId,
    /// Its price level, ticks (several levels appear when the queue is a grouped bucket).
    pub price: Ticks,
    /// Remaining visible quantity, lots.
    pub qty: Lots,
    /// True for the human's own order.
    pub own: bool,
}

/// The FIFO queue of one price level, or of every level of one grouped bucket
/// ([`crate::Subscription::l3_level`] with [`crate::Subscription::grouping_ticks`] above 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct L3Queue {
    /// Side.
    pub side: Side,
    /// Price, ticks: the level, or the bucket's grouped price (see [`crate::bucket_price`]).
    pub price: Ticks,
    /// Grouping in ticks the bucket was built with (1: one ungrouped level).
    pub grouping_ticks: u32,
    /// Orders level by level from the best price outwards, each level in time priority (earliest
    /// first), at most [`crate::MAX_L3_ORDERS`] (empty when no level of the bucket exists).
    pub orders: Vec<L3Order>,
    /// Orders at the back of the queue left out.
    pub omitted: u32,
}

/// A call auction as the page shows it: the indicative uncross (rule in `bourse_core::auction`)
/// and the cumulative curves it comes from. Prices in ticks, quantities in lots.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuctionView {
    /// Indicative uncross price; `None` while the book does not cross.
    pub price: Option<Ticks>,
    /// Executable volume at that price.
    pub volume: Lots,
    /// Unexecuted quantity at that price on the heavier side.
    pub surplus: Lots,
    /// The heavier side (`None` when balanced or not crossing).
    pub surplus_side: Option<Side>,
    /// Demand curve: `(bid level price, bid quantity at that price or higher)`, highest price
    /// first, at most [`crate::MAX_AUCTION_CURVE_LEVELS`] levels.
    pub demand: Vec<(Ticks, Lots)>,
    /// Supply curve: `(ask level price, ask quantity at that price or lower)`, lowest price first,
    /// at most [`crate::MAX_AUCTION_CURVE_LEVELS`] levels.
    pub supply: Vec<(Ticks, Lots)>,
}

/// Everything that changed since the previous frame. See the module documentation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Frame {
    /// Frame number, dense from 1 per [`crate::FrameBuilder`].
    pub frame_no: u64,
    /// True when every snapshot field is `Some` (first frame, after a subscription change or a
    /// reset): the page replaces its state instead of patching it.
    pub full: bool,
    /// Simulation clock, ns since the Unix epoch.
    pub clock_ns: u64,
    /// Last input sequence number the exchange assigned (0 before the first command).
    pub last_input_seq: u64,
    /// Last output sequence number the exchange assigned (0 before the first event).
    pub last_output_seq: u64,
    /// Running event digest of the exchange after `last_output_seq`.
    pub event_digest: u64,
    /// Simulation control state.
    pub sim: SimState,
    /// The subscription this frame was built for (frames built before a `Subscribe` took effect
    /// carry the old one).
    pub subscription: Subscription,
    /// True while the subscribed instrument is halted.
    pub halted: bool,
    /// The subscribed instrument's trading phase (every frame).
    pub phase: TradingPhase,
    /// During a call auction: the indicative uncross and the curves, if changed (a snapshot
    /// field; the page drops it when `phase` is continuous).
    pub auction: Option<AuctionView>,
    /// Grouped L2 (with the human's own quantities), if changed.
    pub depth: Option<Depth>,
    /// L1 (best bid and ask, ticks and lots), if changed.
    pub l1: Option<BookTicker>,
    /// Public trades of the subscribed instrument since the previous frame, oldest first, at most
    /// [`crate::MAX_FRAME_TRADES`].
    pub trades: Vec<TradePrint>,
    /// Trades since the previous frame left out (the oldest ones).
    pub trades_dropped: u64,
    /// Candles of the subscribed interval that changed since the previous frame, oldest first: the
    /// one in progress and any completed since; at most [`crate::MAX_FRAME_CANDLES`], empty when
    /// nothing changed.
    pub candles: Vec<Candle>,
    /// Changed candles left out (the oldest ones).
    pub candles_dropped: u64,
    /// Rolling 24h ticker of the subscribed instrument, if changed.
    pub ticker: Option<Ticker24h>,
    /// The human's execution reports since the previous frame (all instruments), oldest first,
    /// each with its virtual time, at most [`crate::MAX_FRAME_EXECUTIONS`].
    pub executions: Vec<ExecutionPrint>,
    /// Execution reports left out (the oldest ones).
    pub executions_dropped: u64,
    /// The latest balance of each of the human's assets that changed since the previous frame, by
    /// ascending asset id (at most one per asset).
    pub balances: Vec<BalanceChange>,
    /// The human's open orders, if they may have changed.
    pub open_orders: Option<OpenOrders>,
    /// The L3 queue of [`Subscription::l3_level`], if subscribed and changed.
    pub l3: Option<L3Queue>,
}
