//! The page's own bookkeeping built from frames: the trade tape, the human's order history, fills
//! and position. Pure (no DOM, no signals), bounded, tested natively; the reactive layer
//! ([`crate::store`]) copies what changed into signals.
//!
//! ## Invariants
//! - Every collection is bounded ([`TAPE_ROWS`], [`HISTORY_ROWS`], [`FILL_ROWS`]); the oldest rows
//!   go first.
//! - Money is integers: quote units (`i128`) and lots, as the core reports them; no floats.

use bourse_core::{
    ExecType, ExecutionReport, InstrumentRules, Liquidity, Lots, OrderId, OrderStatus, OrderType,
    Reason, Side, Ticks, TimeInForce,
};
use bourse_protocol::TradePrint;
use std::collections::VecDeque;

/// Rows kept on the trade tape.
pub const TAPE_ROWS: usize = 24;
/// Rows kept in the order history.
pub const HISTORY_ROWS: usize = 200;
/// Rows kept in the fills table.
pub const FILL_ROWS: usize = 200;

/// One order of the human's order history: its latest state.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HistoryRow {
    /// Exchange order id (0 for a rejected placement).
    pub order_id: OrderId,
    /// Instrument.
    pub instrument: u32,
    /// Side.
    pub side: Side,
    /// Type.
    pub order_type: OrderType,
    /// Time in force.
    pub tif: TimeInForce,
    /// Limit price, ticks (0 for market orders).
    pub price: Ticks,
    /// Stop price, ticks (0 for none).
    pub stop_price: Ticks,
    /// Order quantity, lots.
    pub quantity: Lots,
    /// Filled, lots.
    pub cum_qty: Lots,
    /// Filled notional, quote units.
    pub cum_quote: u64,
    /// Latest status.
    pub status: OrderStatus,
    /// Reject, cancel or expiry reason, if any.
    pub reason: Option<Reason>,
    /// Simulation time of the latest report, ns.
    pub updated_ns: u64,
}

/// One fill of the human.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FillRow {
    /// Simulation time of the frame that carried it, ns.
    pub ts_ns: u64,
    /// Trade id.
    pub trade_id: u64,
    /// Order id.
    pub order_id: OrderId,
    /// Instrument.
    pub instrument: u32,
    /// Side of the human's order.
    pub side: Side,
    /// Fill price, ticks.
    pub price: Ticks,
    /// Fill quantity, lots.
    pub qty: Lots,
    /// Fill notional, quote units.
    pub quote: u64,
    /// Maker or taker.
    pub liquidity: Option<Liquidity>,
    /// Fee, quote units.
    pub fee: u64,
}

/// The human's position in one instrument from their fills (the deposit is not a position), with
/// average-cost accounting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Position {
    /// Net lots bought minus sold.
    pub lots: i128,
    /// Cost of the open position, quote units: positive for a long (paid), negative for a short
    /// (received).
    pub cost: i128,
    /// Realised profit and loss before fees, quote units.
    pub realised: i128,
    /// Fees paid, quote units.
    pub fees: i128,
}

impl Position {
    /// Account for one fill of `lots` for `quote` quote units on `side`, paying `fee`.
    /// Closing trades realise `proceeds − average cost` of the closed part (integer division,
    /// toward zero); the rest of a fill that flips the position opens the new one.
    pub fn on_fill(&mut self, side: Side, lots: Lots, quote: u64, fee: u64) {
        if lots == 0 {
            return;
        }
        let (q, n) = (lots as i128, quote as i128);
        let dir: i128 = if side == Side::Buy { 1 } else { -1 };
        self.fees += fee as i128;
        let closing = if self.lots.signum() == -dir {
            q.min(self.lots.abs())
        } else {
            0
        };
        if closing > 0 {
            let cost_removed = self.cost * closing / self.lots.abs();
            let n_closing = n * closing / q;
            self.realised += -dir * n_closing - cost_removed;
            self.cost -= cost_removed;
            self.lots += dir * closing;
            if self.lots == 0 {
                self.cost = 0;
            }
            let rest = q - closing;
            if rest > 0 {
                self.lots += dir * rest;
                self.cost += dir * (n - n_closing);
            }
        } else {
            self.lots += dir * q;
            self.cost += dir * n;
        }
    }

    /// Unrealised profit and loss at `mark` ticks, quote units (0 when flat).
    pub fn unrealised(&self, rules: &InstrumentRules, mark: Ticks) -> i128 {
        if self.lots == 0 {
            return 0;
        }
        let value = rules.notional(mark, self.lots.unsigned_abs() as u64) * self.lots.signum();
        value - self.cost
    }

    /// Average entry price in ticks, rounded to the nearest tick (`None` when flat).
    pub fn avg_entry_ticks(&self, rules: &InstrumentRules) -> Option<Ticks> {
        if self.lots == 0 {
            return None;
        }
        let den = self.lots.abs() * rules.quote_units_per_tick_lot as i128;
        let num = self.cost.abs();
        Some(((num * 2 + den) / (den * 2)) as Ticks)
    }
}

/// Everything the page derives from frames on its own.
#[derive(Debug, Clone, Default)]
pub struct Model {
    /// Latest public trades, newest first.
    pub tape: VecDeque<TradePrint>,
    /// The human's orders, most recently updated first.
    pub history: VecDeque<HistoryRow>,
    /// The human's fills, newest first.
    pub fills: VecDeque<FillRow>,
    /// Position per instrument index.
    pub positions: Vec<Position>,
}

impl Model {
    /// An empty model for `instruments` instruments.
    pub fn new(instruments: usize) -> Self {
        Model {
            positions: vec![Position::default(); instruments],
            ..Model::default()
        }
    }

    /// Add public trades (oldest first, as frames carry them).
    pub fn on_trades(&mut self, trades: &[TradePrint]) {
        for t in trades {
            self.tape.push_front(*t);
        }
        self.tape.truncate(TAPE_ROWS);
    }

    /// Apply the human's execution reports (oldest first) received in a frame taken at `clock_ns`.
    /// Returns the fills they contained, oldest first.
    pub fn on_executions(&mut self, reports: &[ExecutionReport], clock_ns: u64) -> Vec<FillRow> {
        let mut new_fills = Vec::new();
        for r in reports {
            let row = HistoryRow {
                order_id: r.order_id,
                instrument: r.instrument,
                side: r.side,
                order_type: r.order_type,
                tif: r.tif,
                price: r.price,
                stop_price: r.stop_price,
                quantity: r.quantity,
                cum_qty: r.cum_qty,
                cum_quote: r.cum_quote,
                status: r.status,
                reason: r.reason,
                updated_ns: clock_ns,
            };
            let existing = (r.order_id != 0)
                .then(|| self.history.iter().position(|h| h.order_id == r.order_id))
                .flatten();
            if let Some(i) = existing {
                self.history.remove(i);
            }
            self.history.push_front(row);
            self.history.truncate(HISTORY_ROWS);
            if r.exec_type == ExecType::Trade {
                let fill = FillRow {
                    ts_ns: clock_ns,
                    trade_id: r.trade_id,
                    order_id: r.order_id,
                    instrument: r.instrument,
                    side: r.side,
                    price: r.last_price,
                    qty: r.last_qty,
                    quote: r.last_quote,
                    liquidity: r.liquidity,
                    fee: r.fee,
                };
                if let Some(p) = self.positions.get_mut(r.instrument as usize) {
                    p.on_fill(r.side, r.last_qty, r.last_quote, r.fee);
                }
                self.fills.push_front(fill.clone());
                new_fills.push(fill);
            }
        }
        self.fills.truncate(FILL_ROWS);
        new_fills
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bourse_core::{Exchange, ExchangeConfig};

    fn rules() -> InstrumentRules {
        *Exchange::new(ExchangeConfig::default_spot())
            .unwrap()
            .rules(0)
            .unwrap()
    }

    // Hand-computed: buy 2 @ 100, buy 2 @ 110 (avg 105), sell 3 @ 120 → realised 3×15 = 45;
    // 1 left at cost 105; mark 100 → unrealised −5. Quote amounts are the notionals.
    #[test]
    fn average_cost_long() {
        let mut p = Position::default();
        p.on_fill(Side::Buy, 2, 200, 1);
        p.on_fill(Side::Buy, 2, 220, 1);
        assert_eq!((p.lots, p.cost), (4, 420));
        p.on_fill(Side::Sell, 3, 360, 2);
        assert_eq!((p.lots, p.cost, p.realised, p.fees), (1, 105, 45, 4));
    }

    // Hand-computed flip: short 2 @ 50 (received 100), then buy 5 @ 40 (200): closes 2 for 80
    // (realised +20) and opens a long of 3 at cost 120.
    #[test]
    fn flip_short_to_long() {
        let mut p = Position::default();
        p.on_fill(Side::Sell, 2, 100, 0);
        assert_eq!((p.lots, p.cost), (-2, -100));
        p.on_fill(Side::Buy, 5, 200, 0);
        assert_eq!((p.lots, p.cost, p.realised), (3, 120, 20));
    }

    // With the real BTC-USDT grid (one tick × one lot = 1e-7 USDT = 10 units): 100 lots (0.001 BTC)
    // at 6_000_000 ticks (60000.00) cost 60 USDT = 6e9 units; at a mark of 6_100_000 ticks they are
    // worth 61 USDT: unrealised +1 USDT = 1e8 units.
    #[test]
    fn unrealised_and_average_entry_on_the_real_grid() {
        let r = rules();
        let n = r.notional(6_000_000, 100) as u64;
        assert_eq!(n, 6_000_000_000);
        let mut p = Position::default();
        p.on_fill(Side::Buy, 100, n, 0);
        assert_eq!(p.unrealised(&r, 6_100_000), 100_000_000);
        assert_eq!(p.avg_entry_ticks(&r), Some(6_000_000));
        assert_eq!(Position::default().avg_entry_ticks(&r), None);
    }

    fn report(id: OrderId, exec: ExecType, status: OrderStatus, last_qty: Lots) -> ExecutionReport {
        ExecutionReport {
            account: 9,
            instrument: 0,
            order_id: id,
            client_order_id: None,
            side: Side::Buy,
            order_type: OrderType::Limit,
            tif: TimeInForce::Gtc,
            price: 100,
            stop_price: 0,
            quantity: 10,
            quote_quantity: 0,
            exec_type: exec,
            status,
            reason: None,
            trade_id: if last_qty > 0 { 77 } else { 0 },
            last_price: if last_qty > 0 { 100 } else { 0 },
            last_qty,
            last_quote: last_qty * 100,
            liquidity: (last_qty > 0).then_some(Liquidity::Taker),
            fee: last_qty,
            fee_asset: 2,
            cum_qty: last_qty,
            cum_quote: last_qty * 100,
        }
    }

    // An order's reports update one history row in place (moved to the top); fills are listed and
    // feed the position.
    #[test]
    fn history_and_fills() {
        let mut m = Model::new(2);
        m.on_executions(&[report(5, ExecType::New, OrderStatus::New, 0)], 1);
        m.on_executions(&[report(6, ExecType::New, OrderStatus::New, 0)], 2);
        let fills = m.on_executions(
            &[report(5, ExecType::Trade, OrderStatus::PartiallyFilled, 4)],
            3,
        );
        assert_eq!(m.history.len(), 2);
        assert_eq!(m.history[0].order_id, 5);
        assert_eq!(m.history[0].status, OrderStatus::PartiallyFilled);
        assert_eq!(m.history[0].updated_ns, 3);
        assert_eq!(fills.len(), 1);
        assert_eq!(m.fills[0].qty, 4);
        assert_eq!(m.positions[0].lots, 4);
        assert_eq!(m.positions[0].fees, 4);
        // Rejected placements (id 0) are each their own row.
        m.on_executions(
            &[report(0, ExecType::Rejected, OrderStatus::Rejected, 0)],
            4,
        );
        m.on_executions(
            &[report(0, ExecType::Rejected, OrderStatus::Rejected, 0)],
            5,
        );
        assert_eq!(m.history.len(), 4);
    }

    // The tape is newest first and bounded.
    #[test]
    fn tape_is_bounded() {
        let mut m = Model::new(1);
        let t = |id| TradePrint {
            ts_ns: id,
            seq: id,
            trade: bourse_core::Trade {
                instrument: 0,
                trade_id: id,
                price: 1,
                qty: 1,
                quote_qty: 1,
                aggressor: Side::Sell,
                maker_order_id: 1,
                taker_order_id: 2,
            },
        };
        let batch: Vec<_> = (1..=(TAPE_ROWS as u64 + 5)).map(t).collect();
        m.on_trades(&batch);
        assert_eq!(m.tape.len(), TAPE_ROWS);
        assert_eq!(m.tape[0].trade.trade_id, TAPE_ROWS as u64 + 5);
    }
}
