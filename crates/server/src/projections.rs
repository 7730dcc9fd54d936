//! Read models: order history, executions per account and recent trades, projected from the
//! event stream (never from the exchange's internals), rebuilt on recovery by replaying the
//! journal (or restored from a snapshot, which holds them).
//!
//! # Invariant
//! Every record is the fold of the events seen so far, and each collection is bounded:
//! - open orders are always kept; closed ones (filled, canceled, rejected, expired) are kept
//!   for the [`MAX_CLOSED_ORDERS_PER_ACCOUNT`] most recently closed per account;
//! - [`MAX_EXECUTIONS_PER_ACCOUNT`] most recent fills per account;
//! - [`MAX_TRADES_PER_INSTRUMENT`] most recent public trades per instrument.
//!
//! Older history is gone, and the API says so (its `limit` is capped at these numbers).

use bourse_core::{
    AccountId, AssetId, ClientOrderId, Event, ExecType, InstrumentId, Liquidity, Lots, OrderId,
    OrderStatus, OrderType, Reason, Sequenced, Side, Ticks, TimeInForce, Units,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// Closed orders kept per account.
pub const MAX_CLOSED_ORDERS_PER_ACCOUNT: usize = 1_000;
/// Executions (fills) kept per account.
pub const MAX_EXECUTIONS_PER_ACCOUNT: usize = 10_000;
/// Public trades kept per instrument.
pub const MAX_TRADES_PER_INSTRUMENT: usize = 1_000;

/// An order as its execution reports describe it now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRecord {
    /// Exchange order id.
    pub id: OrderId,
    /// Owner.
    pub account: AccountId,
    /// Instrument.
    pub instrument: InstrumentId,
    /// Client order id.
    pub client_order_id: Option<ClientOrderId>,
    /// Side.
    pub side: Side,
    /// Type.
    pub order_type: OrderType,
    /// Time in force.
    pub tif: TimeInForce,
    /// Limit price, ticks (0 for market orders).
    pub price: Ticks,
    /// Stop price, ticks (0: none).
    pub stop_price: Ticks,
    /// Quantity, lots (0 for quote-sized market buys).
    pub quantity: Lots,
    /// Quote budget of a quote-sized market buy, quote units.
    pub quote_quantity: Units,
    /// Status.
    pub status: OrderStatus,
    /// Why it was canceled, rejected or expired.
    pub reason: Option<Reason>,
    /// Filled, lots.
    pub cum_qty: Lots,
    /// Filled notional, quote units.
    pub cum_quote: Units,
    /// Time of its first report, ns.
    pub created_ns: u64,
    /// Time of its last report, ns.
    pub updated_ns: u64,
}

/// True for a status no further report changes.
pub fn is_closed(s: OrderStatus) -> bool {
    !matches!(s, OrderStatus::New | OrderStatus::PartiallyFilled)
}

/// One fill of one account's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecutionRecord {
    /// Trade id (per instrument).
    pub trade_id: u64,
    /// Order.
    pub order_id: OrderId,
    /// Instrument.
    pub instrument: InstrumentId,
    /// Side of the order.
    pub side: Side,
    /// Type of the order.
    pub order_type: OrderType,
    /// Fill price, ticks.
    pub price: Ticks,
    /// Fill quantity, lots.
    pub qty: Lots,
    /// Fill notional, quote units.
    pub quote: Units,
    /// Fee, units of `fee_asset`.
    pub fee: Units,
    /// Fee asset.
    pub fee_asset: AssetId,
    /// Maker or taker.
    pub liquidity: Liquidity,
    /// Time, ns.
    pub ts_ns: u64,
}

/// One public trade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TradeRecord {
    /// Trade id (per instrument, dense from 1).
    pub trade_id: u64,
    /// Price, ticks.
    pub price: Ticks,
    /// Quantity, lots.
    pub qty: Lots,
    /// Notional, quote units.
    pub quote: Units,
    /// Aggressor side.
    pub aggressor: Side,
    /// Time, ns.
    pub ts_ns: u64,
}

/// The server's read models (see the module docs).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Projections {
    orders: BTreeMap<OrderId, OrderRecord>,
    by_account: BTreeSet<(AccountId, OrderId)>,
    closed: BTreeMap<AccountId, VecDeque<OrderId>>,
    executions: BTreeMap<AccountId, VecDeque<ExecutionRecord>>,
    trades: BTreeMap<InstrumentId, VecDeque<TradeRecord>>,
}

impl Projections {
    /// Fold `events` in.
    pub fn apply(&mut self, events: &[Sequenced]) {
        for e in events {
            match &e.event {
                Event::Execution(r) if r.order_id != 0 => {
                    let existed = self.orders.contains_key(&r.order_id);
                    let rec = self
                        .orders
                        .entry(r.order_id)
                        .or_insert_with(|| OrderRecord {
                            id: r.order_id,
                            account: r.account,
                            instrument: r.instrument,
                            client_order_id: r.client_order_id,
                            side: r.side,
                            order_type: r.order_type,
                            tif: r.tif,
                            price: r.price,
                            stop_price: r.stop_price,
                            quantity: r.quantity,
                            quote_quantity: r.quote_quantity,
                            status: r.status,
                            reason: None,
                            cum_qty: 0,
                            cum_quote: 0,
                            created_ns: e.ts_ns,
                            updated_ns: e.ts_ns,
                        });
                    let was_closed = existed && is_closed(rec.status);
                    rec.price = r.price;
                    rec.quantity = r.quantity;
                    rec.status = r.status;
                    rec.reason = r.reason.or(rec.reason);
                    rec.cum_qty = r.cum_qty;
                    rec.cum_quote = r.cum_quote;
                    rec.updated_ns = e.ts_ns;
                    if r.exec_type == ExecType::Trade {
                        let q = self.executions.entry(r.account).or_default();
                        q.push_back(ExecutionRecord {
                            trade_id: r.trade_id,
                            order_id: r.order_id,
                            instrument: r.instrument,
                            side: r.side,
                            order_type: r.order_type,
                            price: r.last_price,
                            qty: r.last_qty,
                            quote: r.last_quote,
                            fee: r.fee,
                            fee_asset: r.fee_asset,
                            liquidity: r.liquidity.unwrap_or(Liquidity::Taker),
                            ts_ns: e.ts_ns,
                        });
                        if q.len() > MAX_EXECUTIONS_PER_ACCOUNT {
                            q.pop_front();
                        }
                    }
                    self.by_account.insert((r.account, r.order_id));
                    if is_closed(r.status) && !was_closed {
                        let q = self.closed.entry(r.account).or_default();
                        q.push_back(r.order_id);
                        if q.len() > MAX_CLOSED_ORDERS_PER_ACCOUNT {
                            if let Some(old) = q.pop_front() {
                                self.orders.remove(&old);
                                self.by_account.remove(&(r.account, old));
                            }
                        }
                    }
                }
                Event::Trade(t) => {
                    let q = self.trades.entry(t.instrument).or_default();
                    q.push_back(TradeRecord {
                        trade_id: t.trade_id,
                        price: t.price,
                        qty: t.qty,
                        quote: t.quote_qty,
                        aggressor: t.aggressor,
                        ts_ns: e.ts_ns,
                    });
                    if q.len() > MAX_TRADES_PER_INSTRUMENT {
                        q.pop_front();
                    }
                }
                _ => {}
            }
        }
    }

    /// The order with this id, if it is still kept.
    pub fn order(&self, id: OrderId) -> Option<&OrderRecord> {
        self.orders.get(&id)
    }

    /// The account's kept orders, newest (highest id) first.
    pub fn orders_of(&self, account: AccountId) -> impl Iterator<Item = &OrderRecord> {
        self.by_account
            .range((account, 0)..=(account, OrderId::MAX))
            .rev()
            .filter_map(|(_, id)| self.orders.get(id))
    }

    /// The account's kept fills, newest first.
    pub fn executions_of(&self, account: AccountId) -> impl Iterator<Item = &ExecutionRecord> {
        self.executions
            .get(&account)
            .into_iter()
            .flat_map(|q| q.iter().rev())
    }

    /// The instrument's kept trades, newest first.
    pub fn trades_of(&self, instrument: InstrumentId) -> impl Iterator<Item = &TradeRecord> {
        self.trades
            .get(&instrument)
            .into_iter()
            .flat_map(|q| q.iter().rev())
    }
}
