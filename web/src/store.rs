//! The terminal's reactive state: one [`Store`] of Leptos signals, filled from protocol messages
//! only ([`Store::on_server_message`], [`Store::on_frame`]). Components read signals and send
//! requests through [`crate::client`]; none of them sees the exchange itself.
//!
//! ## Invariants
//! - A signal is set only when its value changed, so a quiet frame re-renders nothing.
//! - The ladder has [`LADDER_ROWS`] fixed row slots per side: a frame updates the slots' signals
//!   in place; rows are never re-created.

use crate::chart;
use crate::client::{self, Kind};
use crate::form::reason_text;
use crate::format::Fmt;
use crate::model::{FillRow, HistoryRow, Model, Position, TAPE_ROWS};
use bourse_core::{
    rules_of, BookTicker, Candle, ExchangeConfig, InstrumentRules, Interval, Lots, OpenOrder, Side,
    Ticker24h, Ticks,
};
use bourse_protocol::{
    BalanceChange, ClientMessage, Depth, Frame, L2Row, L3Queue, RejectReason, ServerMessage,
    SimState, Subscription, TradePrint,
};
use leptos::prelude::*;

/// Rows per side of the ladder.
pub const LADDER_ROWS: usize = 15;
/// L2 rows per side the page subscribes to (the depth chart uses them all).
pub const DEPTH_LEVELS: u16 = 40;
/// Candles asked for on an interval change.
pub const HISTORY_CANDLES: u32 = 600;
/// Fill markers kept on the chart.
pub const MAX_MARKERS: usize = 100;
/// Shortest wall-clock time between two redraws of the canvas/SVG charts (candles, depth), ms:
/// at high simulation speeds frames come every animation frame, but a chart redrawn 10 times a
/// second reads the same and costs a fraction of the main thread (the ladder and tape still
/// update every frame).
pub const CHART_MIN_INTERVAL_MS: f64 = 100.0;
/// Most candle updates held back between two chart redraws (the oldest go first; at most
/// [`bourse_protocol::MAX_FRAME_CANDLES`] arrive per frame).
pub const MAX_PENDING_CANDLES: usize = 2048;

/// One ladder row: grouped price, size, cumulative size from the spread, the human's size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LadderRow {
    /// Grouped price, ticks.
    pub price: Ticks,
    /// Size, lots.
    pub qty: Lots,
    /// Cumulative size from the best level to this one, lots.
    pub cum: Lots,
    /// The human's resting size in it, lots.
    pub own: Lots,
}

/// What the page knows about the venue once `Ready` arrived.
#[derive(Debug, Clone, PartialEq)]
pub struct Venue {
    /// Assets and instruments.
    pub config: ExchangeConfig,
    /// Grid rules of each instrument (same conversion as the core).
    pub rules: Vec<InstrumentRules>,
    /// Display formats of each instrument.
    pub fmts: Vec<Fmt>,
    /// The human's account id.
    pub human: u32,
    /// Scenario names.
    pub scenarios: Vec<String>,
}

/// A message for the user (a reject, an error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// Increasing id.
    pub id: u64,
    /// Text.
    pub text: String,
    /// True for errors and rejects.
    pub error: bool,
}

/// All signals of the terminal. `Copy`: pass it around freely.
#[derive(Clone, Copy)]
pub struct Store {
    /// Set once `Ready` arrived.
    pub venue: RwSignal<Option<Venue>>,
    /// Simulation control state.
    pub sim: RwSignal<SimState>,
    /// Simulation clock, ns.
    pub clock_ns: RwSignal<u64>,
    /// Last input sequence number of the exchange.
    pub input_seq: RwSignal<u64>,
    /// Last output sequence number of the exchange.
    pub output_seq: RwSignal<u64>,
    /// Running event digest.
    pub digest: RwSignal<u64>,
    /// Subscribed instrument halted.
    pub halted: RwSignal<bool>,
    /// The subscription the page wants (sent on change).
    pub sub: RwSignal<Subscription>,
    /// Ask rows, best (lowest) first.
    pub asks: [RwSignal<Option<LadderRow>>; LADDER_ROWS],
    /// Bid rows, best (highest) first.
    pub bids: [RwSignal<Option<LadderRow>>; LADDER_ROWS],
    /// Largest cumulative size shown, lots (scales the depth bars).
    pub ladder_max_cum: RwSignal<Lots>,
    /// The full grouped L2 for the depth chart, refreshed at most every
    /// [`CHART_MIN_INTERVAL_MS`].
    pub depth: RwSignal<Depth>,
    /// L1.
    pub l1: RwSignal<BookTicker>,
    /// 24h ticker.
    pub ticker: RwSignal<Ticker24h>,
    /// Trade tape, newest first: [`TAPE_ROWS`] fixed row slots updated in place.
    pub tape: [RwSignal<Option<TradePrint>>; TAPE_ROWS],
    /// The human's balances by asset.
    pub balances: RwSignal<Vec<BalanceChange>>,
    /// The human's open orders.
    pub open_orders: RwSignal<Vec<OpenOrder>>,
    /// Order history, most recent first.
    pub history: RwSignal<Vec<HistoryRow>>,
    /// Fills, newest first.
    pub fills: RwSignal<Vec<FillRow>>,
    /// Positions by instrument.
    pub positions: RwSignal<Vec<Position>>,
    /// L3 queue of the selected level.
    pub l3: RwSignal<Option<L3Queue>>,
    /// The order form's price input (the ladder writes it).
    pub form_price: RwSignal<String>,
    /// Notices, newest last (bounded).
    pub notices: RwSignal<Vec<Notice>>,
    /// A fatal error (the worker is gone).
    pub fatal_error: RwSignal<Option<String>>,
    model: StoredValue<Model>,
    markers: StoredValue<Vec<f64>>,
    chart_ready: StoredValue<bool>,
    /// Candle updates not yet drawn, by open time (ns).
    pending_candles: StoredValue<std::collections::BTreeMap<u64, Candle>>,
    /// Depth not yet drawn.
    pending_depth: StoredValue<Option<Depth>>,
    /// `performance.now()` of the last chart redraw, ms.
    last_chart_ms: StoredValue<f64>,
    next_notice: StoredValue<u64>,
}

fn set_if_changed<T: PartialEq + Send + Sync + 'static>(s: RwSignal<T>, v: T) {
    if s.with_untracked(|old| *old != v) {
        s.set(v);
    }
}

impl Store {
    /// Fresh, empty state.
    pub fn new() -> Self {
        let mut sub = Subscription::new(0);
        sub.depth_levels = DEPTH_LEVELS;
        Store {
            venue: RwSignal::new(None),
            sim: RwSignal::new(SimState::default()),
            clock_ns: RwSignal::new(0),
            input_seq: RwSignal::new(0),
            output_seq: RwSignal::new(0),
            digest: RwSignal::new(0),
            halted: RwSignal::new(false),
            sub: RwSignal::new(sub),
            asks: std::array::from_fn(|_| RwSignal::new(None)),
            bids: std::array::from_fn(|_| RwSignal::new(None)),
            ladder_max_cum: RwSignal::new(0),
            depth: RwSignal::new(Depth::default()),
            l1: RwSignal::new(BookTicker::default()),
            ticker: RwSignal::new(Ticker24h::default()),
            tape: std::array::from_fn(|_| RwSignal::new(None)),
            balances: RwSignal::new(Vec::new()),
            open_orders: RwSignal::new(Vec::new()),
            history: RwSignal::new(Vec::new()),
            fills: RwSignal::new(Vec::new()),
            positions: RwSignal::new(Vec::new()),
            l3: RwSignal::new(None),
            form_price: RwSignal::new(String::new()),
            notices: RwSignal::new(Vec::new()),
            fatal_error: RwSignal::new(None),
            model: StoredValue::new(Model::default()),
            markers: StoredValue::new(Vec::new()),
            chart_ready: StoredValue::new(false),
            pending_candles: StoredValue::new(Default::default()),
            pending_depth: StoredValue::new(None),
            last_chart_ms: StoredValue::new(f64::NEG_INFINITY),
            next_notice: StoredValue::new(1),
        }
    }

    /// The display format of the subscribed instrument (None before Ready).
    pub fn fmt(&self) -> Option<Fmt> {
        let i = self.sub.with(|s| s.instrument as usize);
        self.venue
            .with(|v| v.as_ref().and_then(|v| v.fmts.get(i).cloned()))
    }

    /// Add a notice for the user.
    pub fn notify(&self, text: String, error: bool) {
        let id = self.next_notice.get_value();
        self.next_notice.set_value(id + 1);
        self.notices.update(|n| {
            n.push(Notice { id, text, error });
            let extra = n.len().saturating_sub(4);
            n.drain(..extra);
        });
    }

    /// The worker is unusable.
    pub fn fatal(&self, text: String) {
        web_sys::console::error_1(&text.clone().into());
        self.fatal_error.set(Some(text));
    }

    /// Send the current subscription and ask for candle history.
    pub fn resubscribe(&self) {
        let sub = self.sub.get_untracked();
        client::send(ClientMessage::Subscribe(sub), Kind::Other);
        self.request_history();
    }

    /// Ask the worker for the candles of the subscribed instrument and interval.
    pub fn request_history(&self) {
        let sub = self.sub.get_untracked();
        self.chart_ready.set_value(false);
        client::send(
            ClientMessage::CandleHistory {
                instrument: sub.instrument,
                interval: sub.candle_interval,
                limit: HISTORY_CANDLES,
            },
            Kind::Other,
        );
    }

    /// Handle a control message from the worker; `kind` is what it answers.
    pub fn on_server_message(&self, msg: ServerMessage, kind: Kind) {
        match msg {
            ServerMessage::Ready {
                config,
                human_account,
                scenarios,
                sim,
                ..
            } => {
                let rules = config
                    .instruments
                    .iter()
                    .map(|s| rules_of(&config, s).expect("the worker's configuration is valid"))
                    .collect();
                let fmts = config
                    .instruments
                    .iter()
                    .map(|s| {
                        Fmt::new(
                            s,
                            &config.assets[s.base as usize],
                            &config.assets[s.quote as usize],
                        )
                    })
                    .collect();
                let n = config.instruments.len();
                self.model.set_value(Model::new(n));
                self.markers.set_value(Vec::new());
                self.history.set(Vec::new());
                self.fills.set(Vec::new());
                for slot in &self.tape {
                    slot.set(None);
                }
                self.positions.set(vec![Position::default(); n]);
                self.sim.set(sim);
                self.venue.set(Some(Venue {
                    config,
                    rules,
                    fmts,
                    human: human_account,
                    scenarios,
                }));
                crate::app::on_ready(*self);
            }
            ServerMessage::Ack { .. } => {}
            ServerMessage::Rejected {
                reason, message, ..
            } => {
                let text = match reason {
                    RejectReason::Exchange(r) => {
                        let what = match kind {
                            Kind::Order => "Order rejected",
                            Kind::Cancel => "Cancel rejected",
                            Kind::Amend => "Amend rejected",
                            Kind::Other => "Rejected",
                        };
                        format!("{what}: {}", reason_text(r))
                    }
                    _ => format!("Request refused: {message}"),
                };
                self.notify(text, true);
            }
            ServerMessage::Frame(frame) => self.on_frame(*frame),
            ServerMessage::CandleHistory {
                instrument,
                interval,
                candles,
            } => {
                let sub = self.sub.get_untracked();
                if sub.instrument == instrument && sub.candle_interval == interval {
                    self.draw_history(&candles);
                }
            }
        }
    }

    fn draw_history(&self, candles: &[Candle]) {
        let Some(f) = self.fmt() else { return };
        let mut bars = Vec::with_capacity(candles.len() * 6);
        // Candles before the first trade have no price (0): nothing to draw.
        for c in candles.iter().filter(|c| c.close > 0) {
            bars.extend(bar(&f, c));
        }
        chart::log_err(chart::chart_set_candles(&bars));
        // Updates queued for the previous interval or before the history arrived are stale or
        // already in it.
        self.pending_candles.update_value(|p| p.clear());
        self.chart_ready.set_value(true);
    }

    /// Apply one frame.
    pub fn on_frame(&self, frame: Frame) {
        set_if_changed(self.sim, frame.sim.clone());
        set_if_changed(self.clock_ns, frame.clock_ns);
        set_if_changed(self.input_seq, frame.last_input_seq);
        set_if_changed(self.output_seq, frame.last_output_seq);
        set_if_changed(self.digest, frame.event_digest);
        set_if_changed(self.halted, frame.halted);
        let current = self.sub.get_untracked();
        let same_sub = frame.subscription == current;
        if let Some(depth) = frame.depth {
            if frame.subscription.instrument == current.instrument {
                self.set_ladder(&depth);
                self.pending_depth.set_value(Some(depth));
            }
        }
        if let Some(l1) = frame.l1 {
            set_if_changed(self.l1, l1);
        }
        if let Some(t) = frame.ticker {
            set_if_changed(self.ticker, t);
        }
        // Trades of another instrument (frames built before a switch took effect) are skipped; the
        // tape is cleared by `set_instrument` and on `Ready`, not by full frames (a full frame
        // follows any subscription change, e.g. clicking a level for its L3 queue).
        if !frame.trades.is_empty() && frame.subscription.instrument == current.instrument {
            self.model.update_value(|m| m.on_trades(&frame.trades));
            self.model.with_value(|m| {
                for (i, slot) in self.tape.iter().enumerate() {
                    set_if_changed(*slot, m.tape.get(i).copied());
                }
            });
        }
        if same_sub && self.chart_ready.get_value() && !frame.candles.is_empty() {
            self.pending_candles.update_value(|p| {
                for c in frame.candles.iter().filter(|c| c.close > 0) {
                    p.insert(c.open_time_ns, *c);
                }
                while p.len() > MAX_PENDING_CANDLES {
                    p.pop_first();
                }
            });
        }
        self.flush_charts(false);
        if !frame.executions.is_empty() {
            let fills = self
                .model
                .try_update_value(|m| m.on_executions(&frame.executions, frame.clock_ns))
                .unwrap_or_default();
            self.history.set(
                self.model
                    .with_value(|m| m.history.iter().cloned().collect()),
            );
            if !fills.is_empty() {
                self.fills
                    .set(self.model.with_value(|m| m.fills.iter().cloned().collect()));
                self.positions
                    .set(self.model.with_value(|m| m.positions.clone()));
                self.add_markers(&fills);
            }
        }
        if !frame.balances.is_empty() {
            self.balances.update(|all| {
                for b in &frame.balances {
                    match all.iter_mut().find(|x| x.asset == b.asset) {
                        Some(x) => *x = *b,
                        None => all.push(*b),
                    }
                }
                all.sort_by_key(|b| b.asset);
            });
        }
        if let Some(oo) = frame.open_orders {
            set_if_changed(self.open_orders, oo.orders);
            self.draw_price_lines();
        }
        if frame.l3.is_some() || current.l3_level.is_none() {
            set_if_changed(self.l3, frame.l3);
        }
    }

    /// Draw held-back candle and depth updates if [`CHART_MIN_INTERVAL_MS`] passed (or `force`).
    pub fn flush_charts(&self, force: bool) {
        let now = now_ms();
        if !force && now - self.last_chart_ms.get_value() < CHART_MIN_INTERVAL_MS {
            return;
        }
        self.last_chart_ms.set_value(now);
        if let Some(d) = self.pending_depth.try_update_value(|d| d.take()).flatten() {
            set_if_changed(self.depth, d);
        }
        let pending = self
            .pending_candles
            .try_update_value(std::mem::take)
            .unwrap_or_default();
        if pending.is_empty() || !self.chart_ready.get_value() {
            return;
        }
        if let Some(f) = self.fmt() {
            for c in pending.values() {
                let b = bar(&f, c);
                chart::log_err(chart::chart_update_candle(
                    b[0], b[1], b[2], b[3], b[4], b[5],
                ));
            }
        }
    }

    fn set_ladder(&self, depth: &Depth) {
        let mut max_cum = 0;
        for (rows, slots) in [(&depth.asks, &self.asks), (&depth.bids, &self.bids)] {
            let mut cum = 0;
            for (i, slot) in slots.iter().enumerate() {
                let row = rows.get(i).map(|r: &L2Row| {
                    cum += r.qty;
                    LadderRow {
                        price: r.price,
                        qty: r.qty,
                        cum,
                        own: r.own,
                    }
                });
                set_if_changed(*slot, row);
            }
            max_cum = max_cum.max(cum);
        }
        set_if_changed(self.ladder_max_cum, max_cum);
    }

    fn add_markers(&self, fills: &[FillRow]) {
        let Some(f) = self.fmt() else { return };
        let ins = self.sub.get_untracked().instrument;
        let step = self.sub.get_untracked().candle_interval.nanos();
        self.markers.update_value(|m| {
            for fill in fills.iter().filter(|x| x.instrument == ins) {
                let t = (fill.ts_ns - fill.ts_ns % step) as f64 / 1e9;
                let side = if fill.side == Side::Buy { 1.0 } else { -1.0 };
                m.extend([t, side, f.price_f64(fill.price), f.qty_f64(fill.qty)]);
            }
            let extra = (m.len() / 4).saturating_sub(MAX_MARKERS);
            m.drain(..extra * 4);
        });
        self.markers
            .with_value(|m| chart::log_err(chart::chart_set_markers(m)));
    }

    /// Redraw the fill markers (after the chart's interval changed).
    pub fn redraw_markers(&self) {
        // Marker times were bucketed to the old interval; the chart snaps them to its bars.
        self.markers
            .with_value(|m| chart::log_err(chart::chart_set_markers(m)));
        self.draw_price_lines();
    }

    fn draw_price_lines(&self) {
        let Some(f) = self.fmt() else { return };
        let ins = self.sub.get_untracked().instrument;
        let lines: Vec<f64> = self.open_orders.with_untracked(|oo| {
            oo.iter()
                .filter(|o| o.instrument == ins && o.price > 0)
                .flat_map(|o| {
                    [
                        f.price_f64(o.price),
                        if o.side == Side::Buy { 1.0 } else { -1.0 },
                    ]
                })
                .collect()
        });
        chart::log_err(chart::chart_set_price_lines(&lines));
    }

    /// Show another instrument: resubscribe (the next frame is full), reload candle history,
    /// forget the L3 level and the form's price (it was on the other instrument's grid).
    pub fn set_instrument(&self, instrument: u32) {
        if self.sub.with_untracked(|s| s.instrument) == instrument {
            return;
        }
        self.sub.update(|s| {
            s.instrument = instrument;
            s.l3_level = None;
        });
        self.form_price.set(String::new());
        self.l3.set(None);
        self.ticker.set(Ticker24h::default());
        self.l1.set(BookTicker::default());
        self.pending_depth.set_value(None);
        // Markers and the tape are the previous instrument's.
        self.markers.set_value(Vec::new());
        self.model.update_value(|m| m.tape.clear());
        for slot in &self.tape {
            slot.set(None);
        }
        self.resubscribe();
        self.redraw_markers();
    }

    /// Change the candle interval: resubscribe and reload history.
    pub fn set_interval(&self, interval: Interval) {
        self.sub.update(|s| s.candle_interval = interval);
        self.resubscribe();
        self.redraw_markers();
    }
}

impl Default for Store {
    fn default() -> Self {
        Store::new()
    }
}

/// `performance.now()` in ms (0 where there is no window, e.g. native tests).
fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or(0.0)
}

/// A candle as chart numbers `[time_s, open, high, low, close, volume]`.
fn bar(f: &Fmt, c: &Candle) -> [f64; 6] {
    [
        (c.open_time_ns / 1_000_000_000) as f64,
        f.price_f64(c.open),
        f.price_f64(c.high),
        f.price_f64(c.low),
        f.price_f64(c.close),
        f.qty_f64(c.volume),
    ]
}
