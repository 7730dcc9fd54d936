//! The debrief's measurements of one run: integers while the run goes (ticks, lots, asset units,
//! mids in half-ticks), decimals only in [`Metrics`], the finished figures.

use bourse_core::{unit_step, Exchange, InstrumentId, Liquidity, Side, Ticks};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::spec::MARKOUT_HORIZON_NS;

/// The figures of one run, as the debrief shows them and a receipt carries them. Every field is
/// a pure function of the command log (the teacher page recomputes them and refuses a receipt
/// whose figures differ). Prices are quote coins per base coin, quantities base coins, money
/// quote coins, `*_bps` basis points (positive = good for the student, except
/// `slippage_bps`: positive = cost).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metrics {
    /// The student's fills.
    pub fills: u32,
    /// Of which as maker.
    pub maker_fills: u32,
    /// Of which as taker.
    pub taker_fills: u32,
    /// Base bought, coins.
    pub bought: Decimal,
    /// Base sold, coins.
    pub sold: Decimal,
    /// VWAP of all the student's fills (None without fills).
    pub vwap: Option<Decimal>,
    /// VWAP of every public trade since the start (None without trades).
    pub market_vwap: Option<Decimal>,
    /// Taker slippage: Σ side × (fill price − arrival mid) × qty / Σ arrival mid × qty × 10⁴,
    /// the arrival mid being the mid just before the order's command (the implementation
    /// shortfall of Perold 1988, per fill). 2 decimals; None without a taker fill.
    pub slippage_bps: Option<Decimal>,
    /// Markout: Σ side × (mid [`MARKOUT_HORIZON_NS`] after − fill price) × qty / Σ price × qty
    /// × 10⁴ over the fills old enough to have one; 2 decimals; None when none is.
    pub markout_bps: Option<Decimal>,
    /// Fills with a markout.
    pub markout_fills: u32,
    /// Fees paid, quote coins.
    pub fees: Decimal,
    /// P&L: change of quote + change of base × mid at the end (last trade price without a
    /// two-sided book), quote coins.
    pub pnl: Decimal,
    /// Spread part of the P&L: Σ side × (mid at the fill − fill price) × qty, quote coins (what
    /// a maker earns, what a taker pays).
    pub pnl_spread: Decimal,
    /// Inventory part: `pnl + fees − pnl_spread` (the mid moving while holding a position).
    pub pnl_inventory: Decimal,
    /// Share of the virtual time since the start with both sides quoted within the lesson's
    /// [`crate::Check::QuotedAtLeast`] ticks (None when the lesson has no such objective), %,
    /// 2 decimals.
    pub uptime_percent: Option<Decimal>,
}

/// A fill waiting for its markout.
#[derive(Debug, Clone, Copy)]
struct Pending {
    due_ns: u64,
    sign: i128,
    price: Ticks,
    lots: i128,
}

/// Running sums (see [`Metrics`] for their meaning).
#[derive(Debug, Clone, Default)]
pub(crate) struct Meter {
    pub fills: u32,
    pub maker_fills: u32,
    pub taker_fills: u32,
    pub bought_lots: i128,
    pub sold_lots: i128,
    pub fill_quote: i128,
    pub fill_lots: i128,
    pub market_quote: i128,
    pub market_lots: i128,
    /// Σ side × (2 × price − arrival mid₂) × lots and Σ arrival mid₂ × lots (half-ticks).
    slip_num: i128,
    slip_den: i128,
    /// Σ side × (mid₂ − 2 × price) × lots over markouts, and Σ 2 × price × lots.
    mark_num: i128,
    mark_den: i128,
    pub markout_fills: u32,
    pending: Vec<Pending>,
    /// Σ side × (mid₂ at the fill − 2 × price) × lots.
    spread2: i128,
    pub fees_units: i128,
    /// Time sampled since the start, and of it with both sides quoted, ns.
    pub sampled_ns: u128,
    pub quoted_ns: u128,
}

fn sign(side: Side) -> i128 {
    match side {
        Side::Buy => 1,
        Side::Sell => -1,
    }
}

impl Meter {
    /// One of the student's fills at `price` × `lots`, at `ts_ns`; `arrival_mid2` is the mid
    /// (half-ticks) before its order's command, `mid2` the mid before this fill's command.
    #[allow(clippy::too_many_arguments)]
    pub fn on_fill(
        &mut self,
        side: Side,
        liquidity: Liquidity,
        price: Ticks,
        lots: u64,
        quote_units: u64,
        fee_units: u64,
        ts_ns: u64,
        arrival_mid2: Option<i64>,
        mid2: Option<i64>,
    ) {
        let (s, p, q) = (sign(side), i128::from(price), i128::from(lots));
        self.fills += 1;
        match liquidity {
            Liquidity::Maker => self.maker_fills += 1,
            Liquidity::Taker => {
                self.taker_fills += 1;
                if let Some(m) = arrival_mid2 {
                    self.slip_num += s * (2 * p - i128::from(m)) * q;
                    self.slip_den += i128::from(m) * q;
                }
            }
        }
        match side {
            Side::Buy => self.bought_lots += q,
            Side::Sell => self.sold_lots += q,
        }
        self.fill_quote += i128::from(quote_units);
        self.fill_lots += q;
        self.fees_units += i128::from(fee_units);
        if let Some(m) = mid2 {
            self.spread2 += s * (i128::from(m) - 2 * p) * q;
        }
        self.pending.push(Pending {
            due_ns: ts_ns.saturating_add(MARKOUT_HORIZON_NS),
            sign: s,
            price,
            lots: q,
        });
    }

    /// A public trade (any account's).
    pub fn on_trade(&mut self, quote_units: u64, lots: u64) {
        self.market_quote += i128::from(quote_units);
        self.market_lots += i128::from(lots);
    }

    /// The clock reached `now_ns` with mid `mid2` (half-ticks): take the markouts that are due.
    pub fn on_clock(&mut self, now_ns: u64, mid2: Option<i64>) {
        let Some(m) = mid2 else { return };
        let m = i128::from(m);
        let (due, rest): (Vec<Pending>, Vec<Pending>) =
            self.pending.iter().partition(|f| f.due_ns <= now_ns);
        for f in due {
            self.mark_num += f.sign * (m - 2 * i128::from(f.price)) * f.lots;
            self.mark_den += 2 * i128::from(f.price) * f.lots;
            self.markout_fills += 1;
        }
        self.pending = rest;
    }

    /// Taker slippage in bps (2 decimals), if any taker fill.
    pub fn slippage_bps(&self) -> Option<Decimal> {
        ratio_bps(self.slip_num, self.slip_den)
    }

    /// Markout in bps (2 decimals), if any markout.
    pub fn markout_bps(&self) -> Option<Decimal> {
        ratio_bps(self.mark_num, self.mark_den)
    }

    /// The finished figures, with `base_change`/`quote_change` the student's holdings change in
    /// units and `mark2` the marking price in half-ticks.
    pub fn metrics(
        &self,
        ex: &Exchange,
        instrument: InstrumentId,
        base_change: i128,
        quote_change: i128,
        mark2: Option<i64>,
        uptime: bool,
    ) -> Metrics {
        let cfg = ex.config();
        let spec = &cfg.instruments[instrument as usize];
        let rules = ex.rules(instrument).copied();
        let qutl = rules.map_or(1, |r| i128::from(r.quote_units_per_tick_lot));
        let quote_step = unit_step(cfg.assets[spec.quote as usize].decimals);
        let base_step = unit_step(cfg.assets[spec.base as usize].decimals);
        let qdp = cfg.assets[spec.quote as usize].decimals;
        let dec = |x: i128| Decimal::from_i128_with_scale(x, 0);
        let coins = |units: i128, step: Decimal| dec(units) * step;
        let lots = |l: i128| dec(l) * spec.lot_size;
        let vwap = |quote: i128, l: i128| {
            (l > 0)
                .then(|| (coins(quote, quote_step) / lots(l)).round_dp(spec.tick_size.scale() + 2))
        };
        let mark = mark2.map(|m| dec(i128::from(m)) * spec.tick_size / Decimal::TWO);
        let pnl = (coins(quote_change, quote_step)
            + mark.map_or(Decimal::ZERO, |m| coins(base_change, base_step) * m))
        .round_dp(qdp);
        let pnl_spread = (dec(self.spread2 * qutl) / Decimal::TWO * quote_step).round_dp(qdp);
        let fees = coins(self.fees_units, quote_step);
        Metrics {
            fills: self.fills,
            maker_fills: self.maker_fills,
            taker_fills: self.taker_fills,
            bought: lots(self.bought_lots),
            sold: lots(self.sold_lots),
            vwap: vwap(self.fill_quote, self.fill_lots),
            market_vwap: vwap(self.market_quote, self.market_lots),
            slippage_bps: self.slippage_bps(),
            markout_bps: self.markout_bps(),
            markout_fills: self.markout_fills,
            fees,
            pnl,
            pnl_spread,
            pnl_inventory: pnl + fees - pnl_spread,
            uptime_percent: uptime.then(|| self.uptime_percent()),
        }
    }

    /// Quoted share of the sampled time, % (2 decimals).
    pub fn uptime_percent(&self) -> Decimal {
        if self.sampled_ns == 0 {
            return Decimal::ZERO;
        }
        let x = self.quoted_ns * 10_000 / self.sampled_ns;
        Decimal::from_i128_with_scale(x as i128, 2)
    }
}

/// `num / den × 10⁴` to 2 decimals (den > 0), as a decimal; None when `den` is 0.
fn ratio_bps(num: i128, den: i128) -> Option<Decimal> {
    (den > 0).then(|| {
        (Decimal::from_i128_with_scale(num, 0) * Decimal::from(10_000)
            / Decimal::from_i128_with_scale(den, 0))
        .round_dp(2)
    })
}

/// Mid of a two-sided book in half-ticks (bid + ask), else the last trade price × 2, else None.
pub(crate) fn mid2(ex: &Exchange, instrument: InstrumentId) -> Option<i64> {
    let l1 = ex.book_ticker(instrument)?;
    match (l1.bid, l1.ask) {
        (Some((b, _)), Some((a, _))) => Some(b + a),
        _ => ex.last_price(instrument).map(|p| 2 * p),
    }
}
