//! [`Evaluator`]: follows one run of a lesson and decides each objective.

use std::collections::{BTreeMap, BTreeSet};

use bourse_core::{
    AccountId, Event, Exchange, ExchangeConfig, ExecType, InstrumentId, Liquidity, OrderId,
    OrderType, Sequenced, Side,
};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::metrics::Metrics;
use crate::metrics::{mid2, Meter};
use crate::spec::{Check, Lesson, LessonError};

/// An objective's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Not decided yet.
    Open,
    /// Holds.
    Met,
    /// Cannot hold any more (or did not at the end).
    Failed,
}

/// Sums of one [`Check::BeatVwap`] window: the market's and the student's (on its side), in
/// quote units and lots.
#[derive(Debug, Clone, Copy, Default)]
struct VwapWindow {
    market_quote: i128,
    market_lots: i128,
    mine_quote: i128,
    mine_lots: i128,
}

/// Follows one run of a lesson for the student's account (see the crate docs).
///
/// Feed it, in the order things happened: [`Evaluator::on_events`] with every batch of the
/// exchange's output and [`Evaluator::on_state`] after every simulation step and every command
/// (the worker does both in one place, so a replay of the same command log feeds it the same).
#[derive(Debug, Clone)]
pub struct Evaluator {
    lesson: Lesson,
    account: AccountId,
    instrument: InstrumentId,
    base_start: u64,
    quote_start: u64,
    start_ns: u64,
    now_ns: u64,
    verdicts: Vec<Verdict>,
    why: Vec<Option<String>>,
    fills: Vec<(Liquidity, bool)>,
    trade_ids: BTreeSet<u64>,
    /// The mid (half-ticks) as of the last L1 update seen, and as of the start of the command
    /// being read (what "before the order" means for slippage).
    mid2_now: Option<i64>,
    mid2_at_cmd: Option<i64>,
    last_trade: Option<i64>,
    cmd_seen: u64,
    /// The lesson's instrument is in a call auction (from `Event::TradingPhase`); the uncross's
    /// fills come before its `Continuous` phase event, so they are seen with this still set.
    in_auction: bool,
    arrival: BTreeMap<OrderId, Option<i64>>,
    meter: Meter,
    uptime_ticks: Option<i64>,
    quoted: bool,
    vwap: BTreeMap<usize, VwapWindow>,
    finished: bool,
}

impl Evaluator {
    /// Start following `account` on `lesson`'s instrument, from the exchange's current state at
    /// virtual time `now_ns` (ns since the Unix epoch; the lesson's windows count from it).
    ///
    /// # Errors
    /// [`LessonError::Field`] `instrument` when the exchange has no such symbol.
    pub fn new(
        lesson: Lesson,
        account: AccountId,
        ex: &Exchange,
        now_ns: u64,
    ) -> Result<Evaluator, LessonError> {
        let instrument = ex
            .config()
            .instrument_by_symbol(&lesson.instrument)
            .ok_or_else(|| LessonError::Field {
                lesson: lesson.id.clone(),
                field: "instrument".into(),
                problem: format!("{:?} is not traded here", lesson.instrument),
            })?;
        let spec = &ex.config().instruments[instrument as usize];
        let held = |asset| {
            ex.balance(account, asset)
                .map_or(0, |b| b.available + b.locked)
        };
        let n = lesson.objectives.len();
        let uptime_ticks = lesson.objectives.iter().find_map(|o| match o.check {
            Check::QuotedAtLeast { ticks, .. } => Some(ticks),
            _ => None,
        });
        let mid = mid2(ex, instrument);
        let mut ev = Evaluator {
            base_start: held(spec.base),
            quote_start: held(spec.quote),
            lesson,
            account,
            instrument,
            start_ns: now_ns,
            now_ns,
            verdicts: vec![Verdict::Open; n],
            why: vec![None; n],
            fills: Vec::new(),
            trade_ids: BTreeSet::new(),
            mid2_now: mid,
            mid2_at_cmd: mid,
            last_trade: ex.last_price(instrument),
            cmd_seen: 0,
            in_auction: false,
            arrival: BTreeMap::new(),
            meter: Meter::default(),
            uptime_ticks,
            quoted: false,
            vwap: BTreeMap::new(),
            finished: false,
        };
        ev.on_state(ex, now_ns);
        Ok(ev)
    }

    /// The lesson.
    pub fn lesson(&self) -> &Lesson {
        &self.lesson
    }

    /// The student's account.
    pub fn account(&self) -> AccountId {
        self.account
    }

    /// Virtual time the run started, ns.
    pub fn start_ns(&self) -> u64 {
        self.start_ns
    }

    /// Each objective's verdict, in the lesson's order.
    pub fn verdicts(&self) -> &[Verdict] {
        &self.verdicts
    }

    /// Why an objective failed, when there is more to say than its text.
    pub fn why(&self, k: usize) -> Option<&str> {
        self.why.get(k).and_then(|w| w.as_deref())
    }

    /// True after [`Evaluator::finish`].
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// True when every objective is met.
    pub fn passed(&self) -> bool {
        self.verdicts.iter().all(|v| *v == Verdict::Met)
    }

    fn set(&mut self, k: usize, v: Verdict, why: Option<String>) {
        if self.finished || self.verdicts[k] == Verdict::Failed {
            return;
        }
        self.verdicts[k] = v;
        if why.is_some() {
            self.why[k] = why;
        }
    }

    /// Set every objective whose check satisfies `pick` to `v`.
    fn set_where(&mut self, pick: impl Fn(&Check) -> bool, v: Verdict, why: Option<String>) {
        for k in 0..self.lesson.objectives.len() {
            if pick(&self.lesson.objectives[k].check) {
                self.set(k, v, why.clone());
            }
        }
    }

    /// Fold one batch of the exchange's output (any account's events; the student's are picked).
    pub fn on_events(&mut self, cfg: &ExchangeConfig, events: &[Sequenced]) {
        for e in events {
            if e.input_seq != self.cmd_seen {
                self.cmd_seen = e.input_seq;
                self.mid2_at_cmd = self.mid2_now;
            }
            match &e.event {
                Event::BookTicker(t) if t.instrument == self.instrument => {
                    self.mid2_now = match (t.bid, t.ask) {
                        (Some((b, _)), Some((a, _))) => Some(b + a),
                        _ => self.last_trade.map(|p| 2 * p),
                    };
                    continue;
                }
                Event::Trade(t) if t.instrument == self.instrument => {
                    self.last_trade = Some(t.price);
                    self.meter.on_trade(t.quote_qty, t.qty);
                    let start = self.start_ns;
                    for (k, o) in self.lesson.objectives.iter().enumerate() {
                        if let Check::BeatVwap { within_ns, .. } = o.check {
                            if e.ts_ns <= start.saturating_add(within_ns) {
                                let w = self.vwap.entry(k).or_default();
                                w.market_quote += i128::from(t.quote_qty);
                                w.market_lots += i128::from(t.qty);
                            }
                        }
                    }
                    continue;
                }
                Event::TradingPhase { instrument, phase } if *instrument == self.instrument => {
                    self.in_auction = *phase == bourse_core::TradingPhase::Auction;
                    continue;
                }
                Event::Execution(_) => {}
                _ => continue,
            }
            let Event::Execution(r) = &e.event else {
                continue;
            };
            if r.account != self.account || r.instrument != self.instrument {
                continue;
            }
            if r.order_id != 0 {
                let mid = self.mid2_at_cmd;
                self.arrival.entry(r.order_id).or_insert(mid);
            }
            if r.exec_type == ExecType::Trade {
                let spec = &cfg.instruments[r.instrument as usize];
                let liq = r.liquidity.unwrap_or(Liquidity::Taker);
                let ppm = match liq {
                    Liquidity::Maker => spec.maker_fee_ppm,
                    Liquidity::Taker => spec.taker_fee_ppm,
                };
                let want = (u128::from(r.last_quote) * u128::from(ppm) / 1_000_000) as u64;
                self.fills
                    .push((liq, want == r.fee && r.fee_asset == spec.quote));
                let arrival = self.arrival.get(&r.order_id).copied().flatten();
                self.meter.on_fill(
                    r.side,
                    liq,
                    r.last_price,
                    r.last_qty,
                    r.last_quote,
                    r.fee,
                    e.ts_ns,
                    arrival,
                    self.mid2_at_cmd,
                );
                let start = self.start_ns;
                for (k, o) in self.lesson.objectives.iter().enumerate() {
                    if let Check::BeatVwap {
                        side, within_ns, ..
                    } = o.check
                    {
                        if side == r.side && e.ts_ns <= start.saturating_add(within_ns) {
                            let w = self.vwap.entry(k).or_default();
                            w.mine_quote += i128::from(r.last_quote);
                            w.mine_lots += i128::from(r.last_qty);
                        }
                    }
                }
                if !self.trade_ids.insert(r.trade_id) {
                    let why = format!("trade {} was with yourself", r.trade_id);
                    self.set_where(|c| *c == Check::NoSelfTrade, Verdict::Failed, Some(why));
                }
            }
            for k in 0..self.lesson.objectives.len() {
                let check = self.lesson.objectives[k].check.clone();
                match check {
                    Check::Fill {
                        liquidity,
                        at_least,
                    } if r.exec_type == ExecType::Trade => {
                        let mine: Vec<bool> = self
                            .fills
                            .iter()
                            .filter(|(l, _)| liquidity.is_none_or(|w| w == *l))
                            .map(|(_, ok)| *ok)
                            .collect();
                        if mine.iter().any(|ok| !ok) {
                            self.set(
                                k,
                                Verdict::Failed,
                                Some("a fill's fee is not the exchange's rate".into()),
                            );
                        } else if mine.len() >= at_least as usize {
                            self.set(k, Verdict::Met, None);
                        }
                    }
                    Check::FinalStatus {
                        status,
                        order_type,
                        tif,
                        filled,
                        exec_type,
                    } => {
                        let ok = r.status == status
                            && exec_type.is_none_or(|x| x == r.exec_type)
                            && order_type.is_none_or(|t| t == r.order_type)
                            && tif.is_none_or(|t| t == r.tif)
                            && filled.is_none_or(|f| f == (r.cum_qty > 0));
                        if ok {
                            self.set(k, Verdict::Met, None);
                        }
                    }
                    Check::UncrossFill { side }
                        if r.exec_type == ExecType::Trade
                            && self.in_auction
                            && side.is_none_or(|s| s == r.side) =>
                    {
                        self.set(k, Verdict::Met, None);
                    }
                    Check::Rejected { reason }
                        if r.exec_type == ExecType::Rejected
                            && reason.is_none_or(|w| Some(w) == r.reason) =>
                    {
                        self.set(k, Verdict::Met, None);
                    }
                    Check::QueueFront
                        if r.exec_type == ExecType::Trade
                            && r.liquidity == Some(Liquidity::Maker) =>
                    {
                        self.set(k, Verdict::Met, None);
                    }
                    Check::NoFills { liquidity } if r.exec_type == ExecType::Trade => {
                        let liq = r.liquidity.unwrap_or(Liquidity::Taker);
                        if liquidity.is_none_or(|w| w == liq) {
                            self.set(k, Verdict::Failed, Some("you traded".into()));
                        }
                    }
                    _ => {}
                }
            }
        }
    }

    /// The student's holdings change since the start, `(base, quote)` in asset units.
    fn holdings_change(&self, ex: &Exchange) -> (i128, i128) {
        let spec = &ex.config().instruments[self.instrument as usize];
        let held = |asset| {
            ex.balance(self.account, asset)
                .map_or(0, |b| b.available + b.locked)
        };
        (
            i128::from(held(spec.base)) - i128::from(self.base_start),
            i128::from(held(spec.quote)) - i128::from(self.quote_start),
        )
    }

    /// Look at the exchange's state at virtual time `now_ns` (after every step and every
    /// command): queue position, the state objectives (their verdict follows the state until
    /// [`Evaluator::finish`]), the inventory limit, quoting time, due markouts and VWAP deadlines.
    pub fn on_state(&mut self, ex: &Exchange, now_ns: u64) {
        if self.finished {
            return;
        }
        let i = self.instrument;
        let l1 = ex.book_ticker(i).unwrap_or_default();
        let mine = ex.open_orders_of(self.account);
        let mine_at = |side: Side, best: Option<(i64, u64)>| {
            best.is_some_and(|(p, _)| {
                mine.iter().any(|o| {
                    o.instrument == i
                        && o.side == side
                        && o.order_type == OrderType::Limit
                        && o.price == p
                })
            })
        };
        let front = [(Side::Buy, l1.bid), (Side::Sell, l1.ask)]
            .iter()
            .any(|&(side, best)| {
                let Some((p, _)) = best else { return false };
                ex.book(i)
                    .and_then(|b| b.queue(side, p).first().copied())
                    .is_some_and(|o| mine.iter().any(|m| m.id == o.id))
            });
        // Quoting time: the state since the previous sample held until now.
        let dt = u128::from(now_ns.saturating_sub(self.now_ns));
        self.meter.sampled_ns += dt;
        if self.quoted {
            self.meter.quoted_ns += dt;
        }
        self.now_ns = self.now_ns.max(now_ns);
        if let Some(t) = self.uptime_ticks {
            let near = |side: Side, best: Option<(i64, u64)>| {
                best.is_some_and(|(p, _)| {
                    mine.iter().any(|o| {
                        o.instrument == i
                            && o.side == side
                            && o.order_type == OrderType::Limit
                            && (o.price - p).abs() <= t
                    })
                })
            };
            self.quoted = near(Side::Buy, l1.bid) && near(Side::Sell, l1.ask);
        }
        let mid = mid2(ex, i);
        self.mid2_now = mid;
        self.meter.on_clock(now_ns, mid);
        let base = ex.config().instruments[i as usize].base;
        let step = bourse_core::unit_step(ex.config().assets[base as usize].decimals);
        let (base_change, _) = self.holdings_change(ex);
        let change = Decimal::from_i128_with_scale(base_change, 0) * step;
        for k in 0..self.lesson.objectives.len() {
            let holds = match &self.lesson.objectives[k].check {
                Check::BestBidMine => mine_at(Side::Buy, l1.bid),
                Check::BestAskMine => mine_at(Side::Sell, l1.ask),
                Check::SpreadAtMost { ticks } => match (l1.bid, l1.ask) {
                    (Some((b, _)), Some((a, _))) => a - b <= *ticks,
                    _ => false,
                },
                Check::PositionBetween { min, max } => *min <= change && change <= *max,
                Check::QueueFront => {
                    if front {
                        self.set(k, Verdict::Met, None);
                    }
                    continue;
                }
                Check::InventoryWithin { max } => {
                    if change.abs() > *max {
                        let why = format!("your position moved {change} from the start");
                        self.set(k, Verdict::Failed, Some(why));
                    }
                    continue;
                }
                Check::BeatVwap { within_ns, .. } => {
                    if now_ns >= self.start_ns.saturating_add(*within_ns) {
                        self.judge(k, ex);
                    }
                    continue;
                }
                _ => continue,
            };
            self.set(k, if holds { Verdict::Met } else { Verdict::Open }, None);
        }
    }

    /// Decide a measured objective (or a VWAP window) now.
    fn judge(&mut self, k: usize, ex: &Exchange) {
        if self.verdicts[k] != Verdict::Open {
            return;
        }
        let check = self.lesson.objectives[k].check.clone();
        let m = self.metrics(ex);
        let (ok, why) = match check {
            Check::SlippageAtMost { bps } => match m.slippage_bps {
                None => (false, "you took no liquidity".to_string()),
                Some(s) => (
                    s <= Decimal::from(bps),
                    format!("your slippage was {s} bps"),
                ),
            },
            Check::PnlAtLeast { quote } => (m.pnl >= quote, format!("your P&L was {}", m.pnl)),
            Check::QuotedAtLeast { percent, .. } => {
                let u = m.uptime_percent.unwrap_or_default();
                (
                    u >= Decimal::from(percent),
                    format!("you quoted both sides {u} % of the time"),
                )
            }
            Check::MarkoutAtLeast { bps, min_fills } => match m.markout_bps {
                Some(x) if m.markout_fills >= min_fills => {
                    (x >= Decimal::from(bps), format!("your markout was {x} bps"))
                }
                _ => (
                    false,
                    format!(
                        "{} of your fills had a markout, {min_fills} needed",
                        m.markout_fills
                    ),
                ),
            },
            Check::BeatVwap { side, qty, bps, .. } => {
                let w = self.vwap.get(&k).copied().unwrap_or_default();
                let spec = &ex.config().instruments[self.instrument as usize];
                let need = ((qty / spec.lot_size).ceil() * spec.lot_size).normalize();
                let need = bourse_core::to_grid(need, spec.lot_size).map_or(i128::MAX, i128::from);
                if w.mine_lots < need {
                    (false, "you did not trade the whole quantity in time".into())
                } else if w.market_lots == 0 {
                    (false, "the market did not trade".into())
                } else {
                    // mine/mine_lots vs market/market_lots, tolerance bps.
                    let lhs = w.mine_quote * w.market_lots * 10_000;
                    let tol = i128::from(bps);
                    let ok = match side {
                        Side::Buy => lhs <= w.market_quote * w.mine_lots * (10_000 + tol),
                        Side::Sell => lhs >= w.market_quote * w.mine_lots * (10_000 - tol),
                    };
                    (ok, "your VWAP was worse than the market's".into())
                }
            }
            _ => return,
        };
        if ok {
            self.set(k, Verdict::Met, None);
        } else {
            self.set(k, Verdict::Failed, Some(why));
        }
    }

    /// The figures of the run so far (see [`Metrics`]).
    pub fn metrics(&self, ex: &Exchange) -> Metrics {
        let (base, quote) = self.holdings_change(ex);
        let mark = mid2(ex, self.instrument);
        self.meter.metrics(
            ex,
            self.instrument,
            base,
            quote,
            mark,
            self.uptime_ticks.is_some(),
        )
    }

    /// End the run at virtual time `now_ns`: the state objectives are judged on `ex` now, the
    /// measured ones on the whole run, open event objectives fail, [`Check::NoFills`],
    /// [`Check::NoSelfTrade`] and [`Check::InventoryWithin`] still open are met. Verdicts do
    /// not change afterwards.
    pub fn finish(&mut self, ex: &Exchange, now_ns: u64) {
        self.on_state(ex, now_ns);
        for k in 0..self.verdicts.len() {
            let c = &self.lesson.objectives[k].check;
            if c.is_measure() || matches!(c, Check::BeatVwap { .. }) {
                self.judge(k, ex);
            }
        }
        for k in 0..self.verdicts.len() {
            if self.verdicts[k] == Verdict::Open {
                let v = match self.lesson.objectives[k].check {
                    Check::NoFills { .. } | Check::NoSelfTrade | Check::InventoryWithin { .. } => {
                        Verdict::Met
                    }
                    _ => Verdict::Failed,
                };
                self.set(k, v, None);
            }
        }
        self.finished = true;
    }
}
