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
use bourse_protocol::{ExecutionPrint, TradePrint};
use std::collections::{BTreeSet, VecDeque};

/// Trades kept for the tape (the canvas draws as many as fit; the accessible table lists
/// [`TAPE_MIRROR_ROWS`]).
pub const TAPE_ROWS: usize = 64;
/// Rows of the tape's accessible table.
pub const TAPE_MIRROR_ROWS: usize = 24;
/// The human's most recent trade ids remembered to mark them on the tape.
pub const OWN_TRADE_IDS: usize = 512;
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
    /// Virtual time of the latest report's event, ns.
    pub updated_ns: u64,
    /// Client order id, if given.
    pub client_order_id: Option<u64>,
    /// Quote quantity of a market buy by amount, quote units (0 otherwise).
    pub quote_quantity: u64,
}

/// One fill of the human.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FillRow {
    /// Virtual time of the fill (its event), ns.
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
    /// `(instrument, trade id)` of the human's most recent fills (at most [`OWN_TRADE_IDS`]), to
    /// mark their prints on the tape.
    pub own_trades: BTreeSet<(u32, u64)>,
    own_order: VecDeque<(u32, u64)>,
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

    /// True when the print `(instrument, trade id)` is one of the human's recent fills.
    pub fn is_own_trade(&self, instrument: u32, trade_id: u64) -> bool {
        self.own_trades.contains(&(instrument, trade_id))
    }

    /// Apply the human's execution reports (oldest first, each with its event's virtual time).
    /// Returns the fills they contained, oldest first.
    pub fn on_executions(&mut self, prints: &[ExecutionPrint]) -> Vec<FillRow> {
        let mut new_fills = Vec::new();
        for p in prints {
            let r: &ExecutionReport = &p.report;
            let clock_ns = p.ts_ns;
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
                client_order_id: r.client_order_id,
                quote_quantity: r.quote_quantity,
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
                let key = (r.instrument, r.trade_id);
                if self.own_trades.insert(key) {
                    self.own_order.push_back(key);
                    while self.own_order.len() > OWN_TRADE_IDS {
                        if let Some(old) = self.own_order.pop_front() {
                            self.own_trades.remove(&old);
                        }
                    }
                }
                new_fills.push(fill);
            }
        }
        self.fills.truncate(FILL_ROWS);
        new_fills
    }
}

/// One CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break.
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// ISO 8601 UTC time with milliseconds of a nanosecond timestamp (`2023-11-14T22:13:20.000Z`).
pub fn iso_utc(ts_ns: u64) -> String {
    bourse_core::utc_iso8601(ts_ns)
}

/// The fills as CSV (newest first, as shown), exact values: `lookup(instrument)` gives the
/// symbol and number format of an instrument (`None`: the row is skipped).
pub fn fills_csv<'a>(
    rows: impl Iterator<Item = &'a FillRow>,
    lookup: impl Fn(u32) -> Option<(String, crate::format::Fmt)>,
) -> String {
    let mut out = String::from(
        "time_utc,symbol,trade_id,order_id,side,price,quantity,value,liquidity,fee,fee_asset\n",
    );
    for r in rows {
        let Some((symbol, f)) = lookup(r.instrument) else {
            continue;
        };
        let liquidity = match r.liquidity {
            Some(Liquidity::Maker) => "MAKER",
            Some(Liquidity::Taker) => "TAKER",
            None => "",
        };
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{}\n",
            iso_utc(r.ts_ns),
            csv_field(&symbol),
            r.trade_id,
            r.order_id,
            bourse_protocol::wire_name(&r.side),
            f.price(r.price),
            f.qty(r.qty),
            f.quote_units(r.quote as i128),
            liquidity,
            f.quote_units(r.fee as i128),
            csv_field(&f.quote),
        ));
    }
    out
}

/// The order history as CSV (most recent first, as shown), exact values.
pub fn history_csv<'a>(
    rows: impl Iterator<Item = &'a HistoryRow>,
    lookup: impl Fn(u32) -> Option<(String, crate::format::Fmt)>,
) -> String {
    use bourse_protocol::wire_name;
    let mut out = String::from(
        "updated_utc,symbol,order_id,client_order_id,side,type,time_in_force,price,stop_price,quantity,filled,status,reason\n",
    );
    for h in rows {
        let Some((symbol, f)) = lookup(h.instrument) else {
            continue;
        };
        let opt_price = |t: Ticks| if t > 0 { f.price(t) } else { String::new() };
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
            iso_utc(h.updated_ns),
            csv_field(&symbol),
            h.order_id,
            h.client_order_id.map(|c| c.to_string()).unwrap_or_default(),
            wire_name(&h.side),
            wire_name(&h.order_type),
            wire_name(&h.tif),
            opt_price(h.price),
            opt_price(h.stop_price),
            f.qty(h.quantity),
            f.qty(h.cum_qty),
            wire_name(&h.status),
            h.reason.map(|r| wire_name(&r)).unwrap_or_default(),
        ));
    }
    out
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

    fn at(ts_ns: u64, report: ExecutionReport) -> ExecutionPrint {
        ExecutionPrint {
            ts_ns,
            seq: ts_ns,
            input_seq: ts_ns,
            report,
        }
    }

    // An order's reports update one history row in place (moved to the top), stamped with the
    // event's own virtual time; fills are listed with their own time, feed the position and mark
    // the trade as the human's.
    #[test]
    fn history_and_fills() {
        let mut m = Model::new(2);
        m.on_executions(&[at(1, report(5, ExecType::New, OrderStatus::New, 0))]);
        m.on_executions(&[at(2, report(6, ExecType::New, OrderStatus::New, 0))]);
        let fills = m.on_executions(&[at(
            3,
            report(5, ExecType::Trade, OrderStatus::PartiallyFilled, 4),
        )]);
        assert_eq!(m.history.len(), 2);
        assert_eq!(m.history[0].order_id, 5);
        assert_eq!(m.history[0].status, OrderStatus::PartiallyFilled);
        assert_eq!(m.history[0].updated_ns, 3);
        assert_eq!(fills.len(), 1);
        assert_eq!(fills[0].ts_ns, 3);
        assert_eq!(m.fills[0].qty, 4);
        assert_eq!(m.positions[0].lots, 4);
        assert_eq!(m.positions[0].fees, 4);
        assert!(m.is_own_trade(0, 77));
        assert!(!m.is_own_trade(1, 77));
        // Rejected placements (id 0) are each their own row, and keep what was sent.
        m.on_executions(&[at(
            4,
            report(0, ExecType::Rejected, OrderStatus::Rejected, 0),
        )]);
        m.on_executions(&[at(
            5,
            report(0, ExecType::Rejected, OrderStatus::Rejected, 0),
        )]);
        assert_eq!(m.history.len(), 4);
        assert_eq!((m.history[0].price, m.history[0].quantity), (100, 10));
    }

    // The own-trade set is bounded: the oldest ids go first.
    #[test]
    fn own_trades_are_bounded() {
        let mut m = Model::new(1);
        for id in 1..=(OWN_TRADE_IDS as u64 + 3) {
            let mut r = report(5, ExecType::Trade, OrderStatus::PartiallyFilled, 1);
            r.trade_id = id;
            m.on_executions(&[at(id, r)]);
        }
        assert_eq!(m.own_trades.len(), OWN_TRADE_IDS);
        assert!(!m.is_own_trade(0, 3));
        assert!(m.is_own_trade(0, 4));
    }

    // CSV of fills and order history: exact values, RFC 4180 quoting, one header line. By hand:
    // 4 lots (0.00004 BTC) at 5,982,286 ticks (59822.86) are 5,982,286 × 4 × 10 = 239,291,440
    // units = 2.39291440 USDT; the 0.1 % fee floor(239,291.44) = 239,291 units = 0.00239291 USDT;
    // 1,700,000,001 s after the epoch is 2023-11-14T22:13:21Z.
    #[test]
    fn csv_exports_are_exact() {
        let c = ExchangeConfig::default_spot();
        let s = &c.instruments[0];
        let f = crate::format::Fmt::new(s, &c.assets[0], &c.assets[2]);
        let mut m = Model::new(2);
        let mut r = report(5, ExecType::Trade, OrderStatus::PartiallyFilled, 4);
        r.last_price = 5_982_286;
        r.last_quote = 239_291_440;
        r.fee = 239_291;
        m.on_executions(&[at(1_700_000_001_000_000_000, r)]);
        let lookup = |_: u32| Some(("BTC-USDT".to_string(), f.clone()));
        let fills = fills_csv(m.fills.iter(), lookup);
        let lines: Vec<&str> = fills.lines().collect();
        assert_eq!(
            lines[0],
            "time_utc,symbol,trade_id,order_id,side,price,quantity,value,liquidity,fee,fee_asset"
        );
        assert_eq!(
            lines[1],
            "2023-11-14T22:13:21.000Z,BTC-USDT,77,5,BUY,59822.86,0.00004,2.39291440,TAKER,0.00239291,USDT"
        );
        let hist = history_csv(m.history.iter(), lookup);
        let lines: Vec<&str> = hist.lines().collect();
        assert_eq!(lines[0], "updated_utc,symbol,order_id,client_order_id,side,type,time_in_force,price,stop_price,quantity,filled,status,reason");
        assert_eq!(
            lines[1],
            "2023-11-14T22:13:21.000Z,BTC-USDT,5,,BUY,LIMIT,GTC,1.00,,0.00010,0.00004,PARTIALLY_FILLED,"
        );
        assert_eq!(iso_utc(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso_utc(951_782_400_123_000_000), "2000-02-29T00:00:00.123Z");
        assert_eq!(csv_field("a,b\"c"), "\"a,b\"\"c\"");
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
