//! The simulated participants. Each agent is an ordinary exchange account that reads public state
//! from the [`Exchange`], learns about its own orders only from its execution reports, and sends
//! ordinary [`Command`]s. Decisions may use `f64` (with [`libm`] for transcendental functions);
//! everything sent to the core is built from integer ticks and lots.

use crate::rng::SimRng;
use crate::scenario::{
    AgentKind, AgentParams, MarketMakerParams, MomentumParams, NoiseParams, StopLossParams,
    ValueParams,
};
use bourse_core::{
    AccountId, Command, Exchange, ExchangeConfig, ExecType, ExecutionReport, InstrumentId,
    InstrumentRules, Lots, NewOrder, OrderRef, OrderSpec, OrderStatus, OrderType, Side, StpMode,
    Ticks, TimeInForce, Units,
};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

/// Static facts about one instrument, with exact conversions from the integer grid to the decimals
/// a [`Command`] carries.
#[derive(Debug, Clone)]
pub(crate) struct Market {
    pub instrument: InstrumentId,
    pub rules: InstrumentRules,
    lot_size: Decimal,
    tick_m: i128,
    tick_s: u32,
    lot_m: i128,
    lot_s: u32,
}

impl Market {
    pub fn new(config: &ExchangeConfig, ex: &Exchange, instrument: InstrumentId) -> Self {
        let spec = &config.instruments[instrument as usize];
        Market {
            instrument,
            rules: *ex.rules(instrument).expect("instrument exists"),
            lot_size: spec.lot_size,
            tick_m: spec.tick_size.mantissa(),
            tick_s: spec.tick_size.scale(),
            lot_m: spec.lot_size.mantissa(),
            lot_s: spec.lot_size.scale(),
        }
    }

    /// `ticks × tick_size`, exactly.
    #[inline]
    pub fn price(&self, ticks: Ticks) -> Decimal {
        // Out of range only for absurd grids: the order is then refused by the exchange.
        Decimal::try_from_i128_with_scale((ticks as i128).saturating_mul(self.tick_m), self.tick_s)
            .unwrap_or(Decimal::MAX)
    }

    /// `lots × lot_size`, exactly.
    #[inline]
    pub fn qty(&self, lots: Lots) -> Decimal {
        Decimal::try_from_i128_with_scale((lots as i128).saturating_mul(self.lot_m), self.lot_s)
            .unwrap_or(Decimal::MAX)
    }

    /// Whole ticks in a price (rounded down; 0 when it does not fit).
    pub fn ticks_of(&self, price: Decimal) -> Ticks {
        let tick = Decimal::from_i128_with_scale(self.tick_m, self.tick_s);
        price
            .checked_div(tick)
            .and_then(|x| x.floor().to_i64())
            .unwrap_or(0)
    }

    /// Whole lots in a base quantity (rounded down; 0 when it does not fit, so the order is
    /// refused by the exchange instead of a `rust_decimal` overflow panicking here).
    pub fn lots_of(&self, q: Decimal) -> Lots {
        q.checked_div(self.lot_size)
            .and_then(|x| x.floor().to_u64())
            .unwrap_or(0)
    }

    /// Smallest quantity allowed at `price` by the min-quantity and min-notional rules.
    #[inline]
    pub fn min_lots_at(&self, price: Ticks) -> Lots {
        let per_lot = (price.max(1) as u128) * self.rules.quote_units_per_tick_lot as u128;
        let by_notional = (self.rules.min_notional_units as u128).div_ceil(per_lot) as Lots;
        by_notional.max(self.rules.min_lots)
    }

    /// Quantity clamped to what the rules allow at `price`.
    #[inline]
    pub fn clamp_lots(&self, lots: Lots, price: Ticks) -> Lots {
        lots.max(self.min_lots_at(price)).min(self.rules.max_lots)
    }

    /// Accepted limit prices around `reference`, with a safety margin of a tenth of the band
    /// (at most 1 %) so that orders decided just before a trade moves the reference still pass:
    /// the core's band ([`InstrumentRules::band`]) of the narrower width.
    #[inline]
    pub fn band(&self, reference: Ticks) -> (Ticks, Ticks) {
        let b = self.rules.price_band_bps;
        let narrower = InstrumentRules {
            price_band_bps: b - (b / 10).min(100),
            ..self.rules
        };
        narrower.band(reference)
    }

    /// Quote units a buy limit order of `lots` at `price` locks ([`InstrumentRules::buy_limit_lock`]).
    #[inline]
    pub fn buy_lock(&self, price: Ticks, lots: Lots) -> u128 {
        self.rules.buy_limit_lock(price, lots) as u128
    }

    /// Base units `lots` lock when sold ([`InstrumentRules::sell_lock`]).
    #[inline]
    pub fn sell_lock(&self, lots: Lots) -> u128 {
        self.rules.sell_lock(lots)
    }
}

/// What an agent sees when it wakes up.
pub(crate) struct View<'a> {
    pub ex: &'a Exchange,
    pub m: &'a Market,
    pub now: u64,
    /// Fundamental value of the agent's instrument, ticks.
    pub fundamental: f64,
}

impl View<'_> {
    fn reference(&self) -> Ticks {
        self.ex
            .reference_price(self.m.instrument)
            .unwrap_or(self.m.rules.reference_ticks)
    }
    fn last_or_ref(&self) -> Ticks {
        self.ex
            .last_price(self.m.instrument)
            .unwrap_or_else(|| self.reference())
    }
    fn best(&self, side: Side) -> Option<Ticks> {
        self.ex
            .book(self.m.instrument)
            .and_then(|b| b.best(side))
            .map(|(p, _)| p)
    }
    /// Mid price, or the one side, or the last/reference price.
    fn mid(&self) -> f64 {
        match (self.best(Side::Buy), self.best(Side::Sell)) {
            (Some(b), Some(a)) => (b as f64 + a as f64) * 0.5,
            _ => self.last_or_ref() as f64,
        }
    }
    fn halted(&self) -> bool {
        self.ex.is_halted(self.m.instrument)
    }
}

/// An order the agent believes is open, keyed by its client order id.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tracked {
    pub cid: u64,
    pub price: Ticks,
    pub qty: Lots,
    pub cum: Lots,
    pub placed_ns: u64,
}

impl Tracked {
    fn remaining(&self) -> Lots {
        self.qty.saturating_sub(self.cum)
    }
}

#[derive(Debug, Clone)]
struct MmState {
    p: MarketMakerParams,
    clip: Lots,
    max_inv: i64,
    fair: Option<f64>,
    last_res: f64,
    /// Client order id per ladder slot: bids `0..levels`, asks `levels..2·levels`.
    slots: Vec<Option<u64>>,
}

#[derive(Debug, Clone)]
struct NoiseState {
    p: NoiseParams,
    median: f64,
}

#[derive(Debug, Clone)]
struct MomentumState {
    p: MomentumParams,
    clip: Lots,
    max_pos: i64,
    fast: f64,
    slow: f64,
    samples: u32,
}

#[derive(Debug, Clone)]
struct ValueState {
    p: ValueParams,
    clip: Lots,
    max_pos: i64,
}

#[derive(Debug, Clone)]
struct StopState {
    p: StopLossParams,
    clip: Lots,
    /// `round_to` in ticks (≥ 1).
    round: Ticks,
    /// When it found itself stopped out (ns), if it has not bought back yet.
    stopped_ns: Option<u64>,
}

#[derive(Debug, Clone)]
enum Strategy {
    Mm(MmState),
    Noise(NoiseState),
    Momentum(MomentumState),
    Value(ValueState),
    Stop(StopState),
}

/// One simulated participant.
#[derive(Debug, Clone)]
pub(crate) struct Agent {
    pub index: u32,
    pub account: AccountId,
    pub instrument: InstrumentId,
    pub kind: AgentKind,
    pub rng: SimRng,
    /// Whether a wake-up of this agent is in the queue.
    pub scheduled: bool,
    /// Market makers only: withdrawn by the script.
    pub paused: bool,
    orders: Vec<Tracked>,
    next_cid: u64,
    /// Base units held at start (available + locked).
    base0: u64,
    strat: Strategy,
}

impl Agent {
    pub fn new(
        index: u32,
        account: AccountId,
        m: &Market,
        params: &AgentParams,
        rng: SimRng,
        base0: Units,
    ) -> Self {
        let lots = |q: Decimal| m.lots_of(q);
        let strat = match params {
            AgentParams::MarketMaker(p) => Strategy::Mm(MmState {
                clip: lots(p.quote_size).max(1),
                max_inv: lots(p.max_inventory) as i64,
                fair: None,
                last_res: 0.0,
                slots: vec![None; 2 * p.levels as usize],
                p: p.clone(),
            }),
            AgentParams::Noise(p) => Strategy::Noise(NoiseState {
                median: lots(p.median_size).max(1) as f64,
                p: p.clone(),
            }),
            AgentParams::Momentum(p) => Strategy::Momentum(MomentumState {
                clip: lots(p.trade_size).max(1),
                max_pos: lots(p.max_position) as i64,
                fast: 0.0,
                slow: 0.0,
                samples: 0,
                p: p.clone(),
            }),
            AgentParams::Value(p) => Strategy::Value(ValueState {
                clip: lots(p.trade_size).max(1),
                max_pos: lots(p.max_position) as i64,
                p: p.clone(),
            }),
            AgentParams::StopLoss(p) => Strategy::Stop(StopState {
                clip: lots(p.trade_size).max(1),
                round: m.ticks_of(p.round_to).max(1),
                stopped_ns: None,
                p: p.clone(),
            }),
        };
        Agent {
            index,
            account,
            instrument: m.instrument,
            kind: params.kind(),
            rng,
            scheduled: false,
            paused: false,
            orders: Vec::with_capacity(16),
            next_cid: 1,
            base0,
            strat,
        }
    }

    /// Delay of the first wake-up after the start.
    pub fn first_delay(&mut self) -> u64 {
        let mean = self.mean_interval_ns();
        1 + self.rng.below(mean.max(1))
    }

    fn mean_interval_ns(&self) -> u64 {
        match &self.strat {
            Strategy::Mm(s) => s.p.requote_interval.ns(),
            Strategy::Noise(s) => s.p.mean_interval.ns(),
            Strategy::Momentum(s) => s.p.interval.ns(),
            Strategy::Value(s) => s.p.mean_interval.ns(),
            Strategy::Stop(s) => s.p.check_interval.ns(),
        }
        .max(1_000)
    }

    /// Learn from one of its own execution reports.
    #[inline]
    pub fn on_report(&mut self, r: &ExecutionReport) {
        let Some(cid) = r.client_order_id else {
            return;
        };
        let Some(i) = self.orders.iter().position(|o| o.cid == cid) else {
            return;
        };
        match r.exec_type {
            ExecType::Rejected | ExecType::Canceled | ExecType::Expired => {
                self.orders.swap_remove(i);
            }
            ExecType::Trade => {
                if r.status == OrderStatus::Filled {
                    self.orders.swap_remove(i);
                } else {
                    self.orders[i].cum = r.cum_qty;
                }
            }
            ExecType::Amended => {
                let o = &mut self.orders[i];
                o.price = r.price;
                o.qty = r.quantity;
                o.cum = r.cum_qty;
            }
            ExecType::New | ExecType::Triggered => {}
        }
    }

    /// Script: withdraw (market makers): cancel everything and stop quoting.
    pub fn withdraw(&mut self, out: &mut Vec<Command>) {
        self.paused = true;
        out.push(Command::CancelAll {
            account: self.account,
            instrument: Some(self.instrument),
        });
    }

    /// Script: come back (market makers). The caller schedules a wake-up.
    pub fn resume(&mut self) {
        self.paused = false;
        if let Strategy::Mm(s) = &mut self.strat {
            s.fair = None;
        }
    }

    /// Current position in lots relative to the start.
    fn position(&self, v: &View<'_>) -> i64 {
        let b =
            v.ex.balance(self.account, v.m.rules.base)
                .unwrap_or_default();
        let units = b.available as i128 + b.locked as i128 - self.base0 as i128;
        (units / v.m.rules.base_units_per_lot as i128) as i64
    }

    fn available(&self, v: &View<'_>, side: Side) -> u128 {
        let asset = match side {
            Side::Buy => v.m.rules.quote,
            Side::Sell => v.m.rules.base,
        };
        v.ex.balance(self.account, asset)
            .map(|b| b.available as u128)
            .unwrap_or(0)
    }

    fn new_order(&self, v: &View<'_>, side: Side) -> NewOrder {
        NewOrder {
            account: self.account,
            spec: OrderSpec {
                instrument: v.m.instrument,
                side,
                order_type: OrderType::Limit,
                tif: TimeInForce::Gtc,
                price: None,
                quantity: None,
                quote_quantity: None,
                stop_price: None,
                post_only: false,
                stp: StpMode::ExpireTaker,
                client_order_id: None,
            },
        }
    }

    /// A tracked GTC limit order; returns its client order id.
    fn place_gtc(
        &mut self,
        v: &View<'_>,
        out: &mut Vec<Command>,
        side: Side,
        price: Ticks,
        lots: Lots,
        stp: StpMode,
    ) -> u64 {
        let cid = self.next_cid;
        self.next_cid += 1;
        let mut o = self.new_order(v, side);
        o.spec.price = Some(v.m.price(price));
        o.spec.quantity = Some(v.m.qty(lots));
        o.spec.client_order_id = Some(cid);
        o.spec.stp = stp;
        out.push(Command::PlaceOrder(o));
        self.orders.push(Tracked {
            cid,
            price,
            qty: lots,
            cum: 0,
            placed_ns: v.now,
        });
        cid
    }

    /// An untracked IOC limit order.
    fn place_ioc(
        &self,
        v: &View<'_>,
        out: &mut Vec<Command>,
        side: Side,
        price: Ticks,
        lots: Lots,
    ) {
        let mut o = self.new_order(v, side);
        o.spec.tif = TimeInForce::Ioc;
        o.spec.price = Some(v.m.price(price));
        o.spec.quantity = Some(v.m.qty(lots));
        out.push(Command::PlaceOrder(o));
    }

    /// An untracked market order by base quantity.
    fn place_market(&self, v: &View<'_>, out: &mut Vec<Command>, side: Side, lots: Lots) {
        let mut o = self.new_order(v, side);
        o.spec.order_type = OrderType::Market;
        o.spec.tif = TimeInForce::Ioc;
        o.spec.quantity = Some(v.m.qty(lots));
        out.push(Command::PlaceOrder(o));
    }

    fn cancel(&self, out: &mut Vec<Command>, cid: u64) {
        out.push(Command::CancelOrder {
            account: self.account,
            instrument: self.instrument,
            order: OrderRef::ClientOrderId(cid),
        });
    }

    /// Cancel tracked orders older than `ttl_ns` (at most `max` of them, oldest first by id).
    fn cancel_stale(&self, v: &View<'_>, out: &mut Vec<Command>, ttl_ns: u64, max: usize) -> usize {
        let mut n = 0;
        for o in &self.orders {
            if n >= max {
                break;
            }
            if v.now.saturating_sub(o.placed_ns) > ttl_ns {
                self.cancel(out, o.cid);
                n += 1;
            }
        }
        n
    }

    fn oldest(&self) -> Option<u64> {
        self.orders
            .iter()
            .min_by_key(|o| (o.placed_ns, o.cid))
            .map(|o| o.cid)
    }

    /// Wake up: append commands to `out`; return the delay until the next wake-up (ns), or `None`
    /// to stay asleep until woken by the script.
    pub fn wake(&mut self, v: &View<'_>, out: &mut Vec<Command>) -> Option<u64> {
        match self.kind {
            AgentKind::MarketMaker => self.wake_mm(v, out),
            AgentKind::Noise => Some(self.wake_noise(v, out)),
            AgentKind::Momentum => Some(self.wake_momentum(v, out)),
            AgentKind::Value => Some(self.wake_value(v, out)),
            AgentKind::StopLoss => Some(self.wake_stop(v, out)),
        }
    }

    // ---------------------------------------------------------------- market maker

    fn wake_mm(&mut self, v: &View<'_>, out: &mut Vec<Command>) -> Option<u64> {
        if self.paused {
            return None;
        }
        let Strategy::Mm(s) = &self.strat else {
            unreachable!()
        };
        let next = self.rng.jittered_ns(s.p.requote_interval.ns(), 0.2);
        if v.halted() {
            return Some(next);
        }
        let pos = self.position(v);
        let mut avail_quote = self.available(v, Side::Buy);
        let mut avail_base = self.available(v, Side::Sell);
        let Strategy::Mm(s) = &mut self.strat else {
            unreachable!()
        };
        let obs = v.last_or_ref() as f64;
        let fair = match s.fair {
            None => obs,
            Some(f) => f + s.p.fair_value_smoothing * (obs - f),
        };
        s.fair = Some(fair);
        let p = &s.p;
        let q = pos as f64 / s.clip as f64;
        let s2t = p.sigma * p.sigma * p.horizon_secs;
        let res = fair * (1.0 - q * p.gamma * s2t);
        let half = (0.5 * p.gamma * s2t + libm::log(1.0 + p.gamma / p.k) / p.gamma)
            .max(p.min_half_spread_bps * 1e-4);
        let spacing = p.level_spacing_bps * 1e-4;
        let thr = ((fair * p.requote_threshold_bps * 1e-4) as Ticks).max(1);
        let (lo, hi) = v.m.band(v.reference());
        let levels = p.levels as usize;
        let up = res >= s.last_res;
        s.last_res = res;
        let can_bid = pos < s.max_inv;
        let can_ask = pos > -s.max_inv;
        let clip = s.clip as f64;
        let growth = p.size_growth;
        let bid0 = libm::floor(res * (1.0 - half)) as Ticks;
        let ask0 = (libm::ceil(res * (1.0 + half)) as Ticks).max(bid0 + 1);
        // Moving up: asks first (away from the bids), then bids; moving down: the reverse.
        for pass in 0..2 {
            let side = match (pass, up) {
                (0, true) | (1, false) => Side::Sell,
                _ => Side::Buy,
            };
            for lvl in 0..levels {
                let slot = if side == Side::Buy { lvl } else { levels + lvl };
                let off = lvl as f64 * spacing;
                let price = match side {
                    Side::Buy => libm::floor(bid0 as f64 * (1.0 - off)) as Ticks,
                    Side::Sell => libm::ceil(ask0 as f64 * (1.0 + off)) as Ticks,
                };
                let lots = v.m.clamp_lots(
                    libm::floor(clip * (1.0 + lvl as f64 * growth)) as Lots,
                    price,
                );
                let allowed = price >= lo
                    && price <= hi
                    && match side {
                        Side::Buy => can_bid,
                        Side::Sell => can_ask,
                    };
                let Strategy::Mm(s) = &self.strat else {
                    unreachable!()
                };
                let current = s.slots[slot]
                    .and_then(|cid| self.orders.iter().find(|o| o.cid == cid).copied());
                match (current, allowed) {
                    (Some(o), false) => self.cancel(out, o.cid),
                    (Some(o), true) => {
                        let moved = (o.price - price).abs() >= thr;
                        let depleted = o.remaining() * 2 < lots;
                        if moved || depleted {
                            let (old_lock, new_lock, avail) = match side {
                                Side::Buy => (
                                    v.m.buy_lock(o.price, o.remaining()),
                                    v.m.buy_lock(price, lots),
                                    &mut avail_quote,
                                ),
                                Side::Sell => (
                                    v.m.sell_lock(o.remaining()),
                                    v.m.sell_lock(lots),
                                    &mut avail_base,
                                ),
                            };
                            if new_lock <= old_lock + *avail {
                                *avail = *avail + old_lock - new_lock;
                                out.push(Command::AmendOrder {
                                    account: self.account,
                                    instrument: self.instrument,
                                    order: OrderRef::ClientOrderId(o.cid),
                                    price: Some(v.m.price(price)),
                                    quantity: Some(v.m.qty(o.cum + lots)),
                                });
                            } else {
                                self.cancel(out, o.cid);
                            }
                        }
                    }
                    (None, true) => {
                        let (lock, avail) = match side {
                            Side::Buy => (v.m.buy_lock(price, lots), &mut avail_quote),
                            Side::Sell => (v.m.sell_lock(lots), &mut avail_base),
                        };
                        if lock <= *avail {
                            *avail -= lock;
                            let cid =
                                self.place_gtc(v, out, side, price, lots, StpMode::ExpireMaker);
                            if let Strategy::Mm(s) = &mut self.strat {
                                s.slots[slot] = Some(cid);
                            }
                        }
                    }
                    (None, false) => {}
                }
            }
        }
        Some(next)
    }

    // ---------------------------------------------------------------- noise trader

    fn wake_noise(&mut self, v: &View<'_>, out: &mut Vec<Command>) -> u64 {
        let Strategy::Noise(s) = &self.strat else {
            unreachable!()
        };
        let p = s.p.clone();
        let median = s.median;
        let next = self.rng.exp_ns(p.mean_interval.ns());
        if v.halted() {
            return next;
        }
        let stale = self.cancel_stale(v, out, p.max_order_age.ns(), 2);
        let u = self.rng.uniform();
        let side = if self.rng.chance(0.5) {
            Side::Buy
        } else {
            Side::Sell
        };
        let size = self.rng.lognormal(median, p.size_sigma);
        if u < p.cancel_prob {
            if self.orders.len() > stale {
                let i = self.rng.below(self.orders.len() as u64) as usize;
                let o = self.orders[i];
                if v.now.saturating_sub(o.placed_ns) <= p.max_order_age.ns() {
                    self.cancel(out, o.cid);
                }
            }
            return next;
        }
        let mid = v.mid();
        let (lo, hi) = v.m.band(v.reference());
        let u = u - p.cancel_prob;
        if u < p.market_prob + p.ioc_prob {
            // Taking liquidity.
            let opp = v.best(side.opposite());
            let Some(opp) = opp else { return next };
            let slip = opp as f64 * p.ioc_slippage_bps * 1e-4;
            let price = match side {
                Side::Buy => (opp + libm::ceil(slip) as Ticks).min(hi),
                Side::Sell => (opp - libm::ceil(slip) as Ticks).max(lo),
            };
            let lots = v.m.clamp_lots(size as Lots, price);
            if !self.affordable(v, side, price, lots) {
                return next;
            }
            if u < p.market_prob {
                self.place_market(v, out, side, lots);
            } else {
                self.place_ioc(v, out, side, price, lots);
            }
            return next;
        }
        // Resting limit near the touch.
        if self.orders.len() >= p.max_open_orders as usize + stale {
            if let Some(cid) = self.oldest() {
                self.cancel(out, cid);
            }
            return next;
        }
        let mean_bps = if self.rng.chance(p.deep_prob) {
            p.deep_offset_bps
        } else {
            p.mean_offset_bps
        };
        let offset = (libm::ceil(self.rng.exponential(mean_bps) * 1e-4 * mid) as Ticks).max(1);
        // Anchor on the opposite touch while both sides are quoted; when the own side is empty
        // (e.g. swept), on the last trade price, so that prices can gap.
        let last = v.last_or_ref();
        let (bid, ask) = (v.best(Side::Buy), v.best(Side::Sell));
        let price = match side {
            Side::Buy => match (bid, ask) {
                (Some(_), Some(a)) => a - offset,
                (None, Some(a)) => a.min(last) - offset,
                _ => last - offset,
            },
            Side::Sell => match (bid, ask) {
                (Some(b), Some(_)) => b + offset,
                (Some(b), None) => b.max(last) + offset,
                _ => last + offset,
            },
        };
        if price < lo || price > hi {
            return next;
        }
        let lots = v.m.clamp_lots(size as Lots, price);
        if self.affordable(v, side, price, lots) {
            self.place_gtc(v, out, side, price, lots, StpMode::ExpireTaker);
        }
        next
    }

    fn affordable(&self, v: &View<'_>, side: Side, price: Ticks, lots: Lots) -> bool {
        let need = match side {
            Side::Buy => v.m.buy_lock(price, lots),
            Side::Sell => v.m.sell_lock(lots),
        };
        need <= self.available(v, side)
    }

    // ---------------------------------------------------------------- momentum trader

    fn wake_momentum(&mut self, v: &View<'_>, out: &mut Vec<Command>) -> u64 {
        let pos = self.position(v);
        let Strategy::Momentum(s) = &mut self.strat else {
            unreachable!()
        };
        let next = self.rng.jittered_ns(s.p.interval.ns(), 0.2);
        let Some(last) = v.ex.last_price(v.m.instrument) else {
            return next;
        };
        let last = last as f64;
        if s.samples == 0 {
            s.fast = last;
            s.slow = last;
        } else {
            let af = 2.0 / (s.p.fast_window.max(1) as f64 + 1.0);
            let aslow = 2.0 / (s.p.slow_window.max(1) as f64 + 1.0);
            s.fast += af * (last - s.fast);
            s.slow += aslow * (last - s.slow);
        }
        s.samples = s.samples.saturating_add(1);
        if s.samples < s.p.slow_window || v.halted() {
            return next;
        }
        let signal = (s.fast - s.slow) / s.slow * 1e4;
        let side = if signal > s.p.threshold_bps && pos < s.max_pos {
            Side::Buy
        } else if signal < -s.p.threshold_bps && pos > -s.max_pos {
            Side::Sell
        } else {
            return next;
        };
        let (clip, slip_bps, prob) = (s.clip, s.p.slippage_bps, s.p.trade_prob);
        if !self.rng.chance(prob) {
            return next;
        }
        let Some(opp) = v.best(side.opposite()) else {
            return next;
        };
        let (lo, hi) = v.m.band(v.reference());
        let slip = libm::ceil(opp as f64 * slip_bps * 1e-4) as Ticks;
        let price = match side {
            Side::Buy => (opp + slip).min(hi),
            Side::Sell => (opp - slip).max(lo),
        };
        let lots = v.m.clamp_lots(clip, price);
        if self.affordable(v, side, price, lots) {
            self.place_ioc(v, out, side, price, lots);
        }
        next
    }

    // ---------------------------------------------------------------- value trader

    fn wake_value(&mut self, v: &View<'_>, out: &mut Vec<Command>) -> u64 {
        let pos = self.position(v);
        let Strategy::Value(s) = &self.strat else {
            unreachable!()
        };
        let p = s.p.clone();
        let (clip, max_pos) = (s.clip, s.max_pos);
        let next = self.rng.exp_ns(p.mean_interval.ns());
        if v.halted() {
            return next;
        }
        let stale = self.cancel_stale(v, out, p.order_ttl.ns(), 4);
        let noise = self.rng.normal() * p.observation_noise_bps * 1e-4;
        let value = v.fundamental * libm::exp(noise);
        let mid = v.mid();
        let edge = (value - mid) / mid;
        let thr = p.threshold_bps * 1e-4;
        let aggressive = self.rng.chance(p.aggressive_prob);
        if libm::fabs(edge) <= thr {
            return next;
        }
        let side = if edge > 0.0 { Side::Buy } else { Side::Sell };
        match side {
            Side::Buy if pos >= max_pos => return next,
            Side::Sell if pos <= -max_pos => return next,
            _ => {}
        }
        if self.orders.len() >= 4 + stale {
            if let Some(cid) = self.oldest() {
                self.cancel(out, cid);
            }
            return next;
        }
        let mult = (libm::fabs(edge) / thr).min(p.max_size_multiple.max(1.0));
        let (lo, hi) = v.m.band(v.reference());
        let limit = match side {
            Side::Buy => (libm::floor(value * (1.0 - thr)) as Ticks).min(hi),
            Side::Sell => (libm::ceil(value * (1.0 + thr)) as Ticks).max(lo),
        };
        if limit < lo || limit > hi {
            return next;
        }
        let price = if aggressive {
            limit
        } else {
            match (side, v.best(side)) {
                (Side::Buy, Some(b)) => limit.min(b + 1),
                (Side::Sell, Some(a)) => limit.max(a - 1),
                _ => limit,
            }
        };
        let lots =
            v.m.clamp_lots(libm::floor(clip as f64 * mult) as Lots, price);
        if !self.affordable(v, side, price, lots) {
            return next;
        }
        if aggressive {
            self.place_ioc(v, out, side, price, lots);
        } else {
            self.place_gtc(v, out, side, price, lots, StpMode::ExpireTaker);
        }
        next
    }

    // ---------------------------------------------------------------- stop-loss trader

    fn wake_stop(&mut self, v: &View<'_>, out: &mut Vec<Command>) -> u64 {
        let pos = self.position(v);
        let Strategy::Stop(s) = &self.strat else {
            unreachable!()
        };
        let (p, clip, round, stopped) = (s.p.clone(), s.clip, s.round, s.stopped_ns);
        let every = p.check_interval.ns();
        let next = every - every / 4 + self.rng.below((every / 2).max(1));
        if v.halted() {
            return next;
        }
        if pos < 0 {
            // Stopped out (the stop has filled, at least in part): buy back after the wait.
            if !self.orders.is_empty() {
                return next;
            }
            match stopped {
                None => self.set_stopped(Some(v.now)),
                Some(t) if v.now.saturating_sub(t) >= p.rebuy_after.ns() => {
                    let lots = (-pos) as Lots;
                    if let Some(ask) = v.best(Side::Sell) {
                        if self.affordable(v, Side::Buy, ask, lots) {
                            self.place_market(v, out, Side::Buy, lots);
                            self.set_stopped(None);
                        }
                    }
                }
                Some(_) => {}
            }
            return next;
        }
        let last = v.last_or_ref();
        let raw = libm::floor(last as f64 * (1.0 - p.stop_offset_bps * 1e-4)) as Ticks;
        let target = raw / round * round - 1;
        if target <= 0 {
            return next;
        }
        match self.orders.first().map(|o| (o.cid, o.price)) {
            None => {
                if self.affordable(v, Side::Sell, target, clip) {
                    self.place_stop(v, out, target, clip);
                }
            }
            Some((cid, stop)) if target >= stop + round => {
                // Trail: cancel the old stop (forgotten now, so its report is ignored) and raise.
                self.cancel(out, cid);
                self.orders.retain(|o| o.cid != cid);
                self.place_stop(v, out, target, clip);
            }
            Some(_) => {}
        }
        next
    }

    fn set_stopped(&mut self, at: Option<u64>) {
        if let Strategy::Stop(s) = &mut self.strat {
            s.stopped_ns = at;
        }
    }

    /// A tracked stop-market sell of `lots` with its stop at `stop` ticks.
    fn place_stop(&mut self, v: &View<'_>, out: &mut Vec<Command>, stop: Ticks, lots: Lots) {
        let cid = self.next_cid;
        self.next_cid += 1;
        let mut o = self.new_order(v, Side::Sell);
        o.spec.order_type = OrderType::StopMarket;
        o.spec.tif = TimeInForce::Gtc;
        o.spec.stop_price = Some(v.m.price(stop));
        o.spec.quantity = Some(v.m.qty(lots));
        o.spec.client_order_id = Some(cid);
        out.push(Command::PlaceOrder(o));
        self.orders.push(Tracked {
            cid,
            price: stop,
            qty: lots,
            cum: 0,
            placed_ns: v.now,
        });
    }
}
