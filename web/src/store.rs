//! The terminal's state: one [`Store`], filled only from protocol messages
//! ([`Store::apply_message`], [`Store::apply_frame`], called by [`crate::api`]). Components read
//! it; none of them sees the exchange, and the store calls nobody back (no transport, no drawing).
//!
//! ## Two rates
//! - **Every frame** (every animation frame at any speed) the plain [`MarketView`] and the
//!   [`Model`] are updated and [`Store::frame_tick`] moves: the canvases (ladder, tape, depth) and
//!   the candle chart redraw from that one state, so every panel shows the same frame (its output
//!   sequence number is on each panel as `data-seq`).
//! - **The accessible mirror** (the ladder's table, the tape's table, the depth's text, the L3
//!   queue) is refreshed from the same state at most every [`MIRROR_INTERVAL_MS`] while playing,
//!   and on every frame while paused. DOM text costs layout, canvas text does not: this keeps the
//!   main thread's work per frame small at maximum speed without hiding anything.
//!
//! ## Invariants
//! - A signal is set only when its value changed, so a quiet frame re-renders nothing.
//! - Every collection is bounded: [`MAX_LADDER_ROWS`] mirror rows per side, the model's bounds,
//!   [`MAX_TOASTS`] toasts, [`MAX_PENDING_CANDLES`] candle updates.

use crate::form::{explain_reject, reason_text};
use crate::format::{hms, Fmt};
use crate::intent::Intent;
use crate::model::{FillRow, HistoryRow, Model, Position, TAPE_MIRROR_ROWS};
use bourse_core::{
    rules_of, BookTicker, Candle, ExchangeConfig, ExecType, InstrumentRules, Lots, OpenOrder,
    OrderStatus, OrderType, Reason, Side, Ticker24h, Ticks,
};
use bourse_protocol::{
    wire_name, BalanceChange, Depth, ExecutionPrint, Frame, L3Queue, LessonProgress, LessonSummary,
    MarketInfo, ReceiptCheck, RejectReason, ScenarioInfo, ServerMessage, SimControl, SimState,
    Subscription, TradePrint,
};
use leptos::prelude::*;
use std::collections::BTreeMap;

/// Most ladder rows per side (the canvas draws as many as fit; the subscription asks for
/// [`DEPTH_LEVELS`]).
pub const MAX_LADDER_ROWS: usize = 40;
/// L2 rows per side the page subscribes to (the ladder, the depth chart and the market-order
/// estimate use them).
pub const DEPTH_LEVELS: u16 = 40;
/// Candles asked for on an interval or instrument change.
pub const HISTORY_CANDLES: u32 = 600;
/// Most candle updates held between two chart draws (the oldest go first).
pub const MAX_PENDING_CANDLES: usize = 2048;
/// Shortest wall time between two refreshes of the accessible mirror while playing, ms.
pub const MIRROR_INTERVAL_MS: f64 = 250.0;
/// Most toasts on screen (the oldest go first).
pub const MAX_TOASTS: usize = 6;

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

/// Ladder rows of one side with cumulative sizes, best first.
pub fn ladder_rows(rows: &[bourse_protocol::L2Row]) -> impl Iterator<Item = LadderRow> + '_ {
    let mut cum = 0;
    rows.iter().map(move |r| {
        cum += r.qty;
        LadderRow {
            price: r.price,
            qty: r.qty,
            cum,
            own: r.own,
        }
    })
}

/// One row of the tape: the print and whether it was one of the human's fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TapeRow {
    /// The print.
    pub print: TradePrint,
    /// True when the human was the maker or the taker.
    pub own: bool,
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
    /// Scenarios the home runs.
    pub scenarios: Vec<ScenarioInfo>,
    /// The running market: hand-over, script, instruments with participants.
    pub market: MarketInfo,
}

impl Venue {
    /// Build from a `Ready`'s configuration.
    ///
    /// # Errors
    /// A message naming what the page cannot use (the configuration is the home's; a bad one is
    /// a bug there, shown to the user instead of aborting).
    pub fn new(
        config: ExchangeConfig,
        human: u32,
        scenarios: Vec<ScenarioInfo>,
        market: MarketInfo,
    ) -> Result<Venue, String> {
        config.validate().map_err(|e| e.to_string())?;
        let mut rules = Vec::new();
        let mut fmts = Vec::new();
        for s in &config.instruments {
            let r = rules_of(&config, s).map_err(|e| format!("instrument {}: {e}", s.symbol))?;
            let (Some(b), Some(q)) = (
                config.assets.get(s.base as usize),
                config.assets.get(s.quote as usize),
            ) else {
                return Err(format!("instrument {} names an unknown asset", s.symbol));
            };
            rules.push(r);
            fmts.push(Fmt::new(s, b, q));
        }
        if config.instruments.is_empty() {
            return Err("the exchange lists no instrument".into());
        }
        Ok(Venue {
            config,
            rules,
            fmts,
            human,
            scenarios,
            market,
        })
    }

    /// Decimals a reader wants for an amount of `asset`: the price decimals of an instrument it
    /// quotes (2 for USDT on a 0.01 tick), else the quantity decimals of an instrument it is the
    /// base of (5 for BTC on a 0.00001 lot), else the asset's own decimals.
    pub fn asset_places(&self, asset: u32) -> u32 {
        let quoted = self
            .config
            .instruments
            .iter()
            .zip(&self.fmts)
            .filter(|(s, _)| s.quote == asset)
            .map(|(_, f)| f.price_places)
            .max();
        let based = self
            .config
            .instruments
            .iter()
            .zip(&self.fmts)
            .filter(|(s, _)| s.base == asset)
            .map(|(_, f)| f.qty_places)
            .max();
        let own = self
            .config
            .assets
            .get(asset as usize)
            .map(|a| a.decimals)
            .unwrap_or(0);
        quoted.or(based).unwrap_or(own).min(own)
    }

    /// True when simulated participants trade `instrument`.
    pub fn is_live(&self, instrument: u32) -> bool {
        self.market.live_instruments.contains(&instrument)
    }
}

/// The latest frame's market state, plain data (no signals): what the canvases draw.
#[derive(Debug, Clone, Default)]
pub struct MarketView {
    /// Output sequence number of the frame (the moment every panel shows).
    pub seq: u64,
    /// Virtual clock of the frame, ns.
    pub clock_ns: u64,
    /// Instrument of the frame's subscription.
    pub instrument: u32,
    /// Grouped L2 with the human's sizes.
    pub depth: Depth,
    /// L1.
    pub l1: BookTicker,
    /// Last trade price, ticks (0 before the first trade).
    pub last: Ticks,
    /// True while the subscribed instrument is halted.
    pub halted: bool,
    /// Moves whenever the depth (ladder, depth chart) changed.
    pub depth_rev: u64,
    /// Moves whenever the tape changed (new prints, or new own fills to mark).
    pub tape_rev: u64,
    /// The sequencer's readouts of the frame.
    pub readouts: Readouts,
}

/// The simulation bar's readouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Readouts {
    /// Virtual clock, ns.
    pub clock_ns: u64,
    /// Simulation steps run (not exchange events).
    pub steps: u64,
    /// Last output sequence number.
    pub output_seq: u64,
    /// Running event digest.
    pub digest: u64,
}

/// A toast's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToastKind {
    /// A reject or an error: stays until dismissed.
    Error,
    /// A market event (halt, resume): stays until dismissed.
    Notice,
    /// A fill or an expiry: goes by itself after a few seconds.
    Info,
}

/// A message for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Toast {
    /// Increasing id.
    pub id: u64,
    /// Kind.
    pub kind: ToastKind,
    /// Text.
    pub text: String,
}

/// The outcome line under the order form's button: what happened to the last order sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Request number of the order.
    pub client_seq: u64,
    /// False for a reject.
    pub ok: bool,
    /// Text.
    pub text: String,
}

/// Candles of the chart's instrument and interval, handed to the chart component.
#[derive(Debug, Clone, Default)]
pub struct CandleFeed {
    /// Bumped when the history was replaced (the chart then redraws every bar).
    pub generation: u64,
    /// The latest history, oldest first.
    pub history: Vec<Candle>,
    /// Live updates since the chart last drew, by open time.
    pub updates: BTreeMap<u64, Candle>,
    /// True once the history of the current subscription arrived.
    pub ready: bool,
    /// Output sequence number and close (ticks) of the newest candle handed over.
    pub last: Option<(u64, Ticks)>,
}

/// The depth chart's accessible summary (refreshed with the mirror).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DepthSummary {
    /// Sequence number it describes.
    pub seq: u64,
    /// Text, e.g. `Depth from 59700.00 to 59950.00: 12.3 BTC bid, 10.1 BTC ask`.
    pub text: String,
}

/// All state of the terminal. `Copy`: pass it around freely.
#[derive(Clone, Copy)]
pub struct Store {
    /// Set once `Ready` arrived.
    pub venue: RwSignal<Option<Venue>>,
    /// Counts `Ready` messages (start-up and every reset react to it).
    pub ready_gen: RwSignal<u64>,
    /// Simulation control state (playing, speed, scenario, seed; its `steps` is kept 0 here
    /// so that this signal changes only when the controls do: the count is in [`Store::readouts`]).
    pub sim: RwSignal<SimState>,
    /// The signed-in session on a shared server (`None` with a Web Worker, where the page is
    /// the only user and controls the simulation).
    pub session: RwSignal<Option<bourse_protocol::SessionInfo>>,
    /// The sequencer's readouts (clock, events, sequence number, digest), refreshed with the
    /// mirror: numbers that change on every frame at high speed, shown as text.
    pub readouts: RwSignal<Readouts>,
    /// Subscribed instrument halted.
    pub halted: RwSignal<bool>,
    /// Virtual time the subscribed instrument was seen halted first, ns.
    pub halted_since: RwSignal<Option<u64>>,
    /// During a call auction on the subscribed instrument: the indicative uncross and the
    /// curves (`None` in continuous trading).
    pub auction: RwSignal<Option<bourse_protocol::AuctionView>>,
    /// The subscription the page wants (sent on change).
    pub sub: RwSignal<Subscription>,
    /// Moves on every applied frame (the canvases redraw on it).
    pub frame_tick: RwSignal<u64>,
    /// Moves when candles arrived for the chart.
    pub candle_tick: RwSignal<u64>,
    /// Ask rows of the accessible ladder, best first.
    pub mirror_asks: [RwSignal<Option<LadderRow>>; MAX_LADDER_ROWS],
    /// Bid rows of the accessible ladder, best first.
    pub mirror_bids: [RwSignal<Option<LadderRow>>; MAX_LADDER_ROWS],
    /// Rows of the tape's accessible table, newest first.
    pub mirror_tape: [RwSignal<Option<TapeRow>>; TAPE_MIRROR_ROWS],
    /// The depth chart's accessible summary.
    pub mirror_depth: RwSignal<DepthSummary>,
    /// Sequence number the mirror shows.
    pub mirror_seq: RwSignal<u64>,
    /// L3 queue of the selected level (mirror rate).
    pub l3: RwSignal<Option<L3Queue>>,
    /// L1 (every frame).
    pub l1: RwSignal<BookTicker>,
    /// 24h ticker, refreshed with the mirror (a readout; the canvases carry the exact moment).
    pub ticker: RwSignal<Ticker24h>,
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
    /// The order form's price input (the ladder writes it).
    pub form_price: RwSignal<String>,
    /// The form's outcome line.
    pub outcome: RwSignal<Option<Outcome>>,
    /// Toasts, oldest first.
    pub toasts: RwSignal<Vec<Toast>>,
    /// A fatal error (the worker is gone, or its configuration is unusable).
    pub fatal_error: RwSignal<Option<String>>,
    /// The lesson the address names (`?lesson=<id>`), if any: the page is in lesson mode.
    pub lesson_id: RwSignal<Option<String>>,
    /// The running lesson's progress (None before its `Start` is answered).
    pub lesson: RwSignal<Option<LessonProgress>>,
    /// The lesson catalog (after a `List`).
    pub lesson_catalog: RwSignal<Vec<LessonSummary>>,
    /// Receipts checked on the teacher page, in the order they were loaded.
    pub receipt_checks: RwSignal<Vec<ReceiptCheck>>,
    /// The explanation the "Explain" dialog shows (`None`: the dialog is closed).
    pub explanation: RwSignal<Option<bourse_protocol::Explanation>>,
    /// The latest frame's market state.
    pub view: StoredValue<MarketView>,
    /// Tape, history, fills, positions.
    pub model: StoredValue<Model>,
    /// Candles for the chart.
    pub candles: StoredValue<CandleFeed>,
    pending_l3: StoredValue<Option<Option<L3Queue>>>,
    pending_ticker: StoredValue<Option<Ticker24h>>,
    last_mirror_ms: StoredValue<f64>,
    next_toast: StoredValue<u64>,
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
            ready_gen: RwSignal::new(0),
            sim: RwSignal::new(SimState::default()),
            session: RwSignal::new(None),
            readouts: RwSignal::new(Readouts::default()),
            halted: RwSignal::new(false),
            halted_since: RwSignal::new(None),
            auction: RwSignal::new(None),
            sub: RwSignal::new(sub),
            frame_tick: RwSignal::new(0),
            candle_tick: RwSignal::new(0),
            mirror_asks: std::array::from_fn(|_| RwSignal::new(None)),
            mirror_bids: std::array::from_fn(|_| RwSignal::new(None)),
            mirror_tape: std::array::from_fn(|_| RwSignal::new(None)),
            mirror_depth: RwSignal::new(DepthSummary::default()),
            mirror_seq: RwSignal::new(0),
            l3: RwSignal::new(None),
            l1: RwSignal::new(BookTicker::default()),
            ticker: RwSignal::new(Ticker24h::default()),
            balances: RwSignal::new(Vec::new()),
            open_orders: RwSignal::new(Vec::new()),
            history: RwSignal::new(Vec::new()),
            fills: RwSignal::new(Vec::new()),
            positions: RwSignal::new(Vec::new()),
            form_price: RwSignal::new(String::new()),
            outcome: RwSignal::new(None),
            toasts: RwSignal::new(Vec::new()),
            fatal_error: RwSignal::new(None),
            lesson_id: RwSignal::new(None),
            lesson: RwSignal::new(None),
            lesson_catalog: RwSignal::new(Vec::new()),
            receipt_checks: RwSignal::new(Vec::new()),
            explanation: RwSignal::new(None),
            view: StoredValue::new(MarketView::default()),
            model: StoredValue::new(Model::default()),
            candles: StoredValue::new(CandleFeed::default()),
            pending_l3: StoredValue::new(None),
            pending_ticker: StoredValue::new(None),
            last_mirror_ms: StoredValue::new(f64::NEG_INFINITY),
            next_toast: StoredValue::new(1),
        }
    }

    /// The display format of the subscribed instrument (None before Ready).
    pub fn fmt(&self) -> Option<Fmt> {
        let i = self.sub.with(|s| s.instrument as usize);
        self.venue
            .with(|v| v.as_ref().and_then(|v| v.fmts.get(i).cloned()))
    }

    /// The display format of the subscribed instrument, without tracking.
    pub fn fmt_untracked(&self) -> Option<Fmt> {
        let i = self.sub.with_untracked(|s| s.instrument as usize);
        self.venue
            .with_untracked(|v| v.as_ref().and_then(|v| v.fmts.get(i).cloned()))
    }

    /// Symbol of an instrument (empty before Ready).
    pub fn symbol(&self, instrument: u32) -> String {
        self.venue.with_untracked(|v| {
            v.as_ref()
                .and_then(|v| v.config.instruments.get(instrument as usize))
                .map(|s| s.symbol.clone())
                .unwrap_or_default()
        })
    }

    /// Show a toast (errors and notices stay until dismissed; infos go after a few seconds, see
    /// [`crate::toasts`]).
    pub fn toast(&self, kind: ToastKind, text: String) {
        let id = self.next_toast.get_value();
        self.next_toast.set_value(id + 1);
        self.toasts.update(|t| {
            t.push(Toast { id, kind, text });
            let extra = t.len().saturating_sub(MAX_TOASTS);
            t.drain(..extra);
        });
    }

    /// Remove a toast.
    pub fn dismiss(&self, id: u64) {
        self.toasts.update(|t| t.retain(|x| x.id != id));
    }

    /// The home is unusable.
    pub fn fatal(&self, text: String) {
        web_sys::console::error_1(&text.clone().into());
        self.fatal_error.set(Some(text));
    }

    /// Forget the chart's candles (a new instrument or interval); the history request follows.
    pub fn reset_candles(&self) {
        self.candles.update_value(|c| {
            c.ready = false;
            c.updates.clear();
        });
    }

    /// Forget what belongs to the previous instrument (tape, L3, ticker, form price).
    pub fn reset_instrument_view(&self) {
        self.form_price.set(String::new());
        self.l3.set(None);
        self.pending_l3.set_value(None);
        self.ticker.set(Ticker24h::default());
        self.pending_ticker.set_value(None);
        self.l1.set(BookTicker::default());
        self.halted.set(false);
        self.halted_since.set(None);
        self.auction.set(None);
        self.model.update_value(|m| m.tape.clear());
        self.view.update_value(|v| {
            let (d, t) = (v.depth_rev + 1, v.tape_rev + 1);
            *v = MarketView {
                depth_rev: d,
                tape_rev: t,
                ..MarketView::default()
            };
        });
        self.last_mirror_ms.set_value(f64::NEG_INFINITY);
        self.reset_candles();
    }

    /// Note that the form sent order `client_seq` (its outcome line waits for the answer).
    pub fn order_sent(&self, client_seq: u64, summary: &str) {
        self.outcome.set(Some(Outcome {
            client_seq,
            ok: true,
            text: format!("Sent: {summary}"),
        }));
    }

    /// Handle a control message; `intent` is what it answers.
    pub fn apply_message(&self, msg: ServerMessage, intent: Intent) {
        match msg {
            ServerMessage::Ready {
                config,
                human_account,
                scenarios,
                sim,
                market,
                session,
                ..
            } => {
                self.session.set(session);
                let venue = match Venue::new(config, human_account, scenarios, market) {
                    Ok(v) => v,
                    Err(e) => {
                        self.fatal(format!("the exchange's configuration cannot be shown: {e}"));
                        return;
                    }
                };
                let n = venue.config.instruments.len();
                self.model.set_value(Model::new(n));
                self.history.set(Vec::new());
                self.fills.set(Vec::new());
                self.balances.set(Vec::new());
                self.open_orders.set(Vec::new());
                self.positions.set(vec![Position::default(); n]);
                self.outcome.set(None);
                for slot in &self.mirror_tape {
                    slot.set(None);
                }
                if self.sub.with_untracked(|s| s.instrument as usize >= n) {
                    self.sub.update(|s| {
                        s.instrument = 0;
                        s.l3_level = None;
                    });
                }
                self.reset_instrument_view();
                self.readouts.set(Readouts {
                    steps: sim.steps,
                    ..Readouts::default()
                });
                self.sim.set(SimState { steps: 0, ..sim });
                self.venue.set(Some(venue));
                self.ready_gen.update(|g| *g += 1);
            }
            ServerMessage::Ack { client_seq, .. } => {
                if let Intent::Order(o) = &intent {
                    if self
                        .outcome
                        .with_untracked(|x| x.as_ref().is_some_and(|x| x.client_seq == client_seq))
                    {
                        self.outcome.set(Some(Outcome {
                            client_seq,
                            ok: true,
                            text: format!("Accepted: {}", o.summary),
                        }));
                    }
                }
            }
            ServerMessage::Rejected {
                client_seq,
                reason,
                message,
            } => self.on_rejected(client_seq, reason, message, intent),
            ServerMessage::Frame(frame) => self.apply_frame(*frame),
            ServerMessage::Lesson(p) => {
                if p.finished {
                    crate::progress::remember_result(&p.id, p.passed);
                }
                set_if_changed(self.lesson, Some(p));
            }
            ServerMessage::LessonCatalog(c) => set_if_changed(self.lesson_catalog, c),
            ServerMessage::ReceiptChecked(c) => self.receipt_checks.update(|v| v.push(*c)),
            ServerMessage::Explained(x) => self.explanation.set(Some(*x)),
            ServerMessage::CandleHistory {
                instrument,
                interval,
                candles,
            } => {
                let sub = self.sub.get_untracked();
                if sub.instrument == instrument && sub.candle_interval == interval {
                    self.candles.update_value(|c| {
                        c.generation += 1;
                        c.history = candles.into_iter().filter(|c| c.close > 0).collect();
                        c.updates.clear();
                        c.ready = true;
                    });
                    self.candle_tick.update(|t| *t += 1);
                }
            }
        }
    }

    fn on_rejected(
        &self,
        client_seq: Option<u64>,
        reason: RejectReason,
        message: String,
        intent: Intent,
    ) {
        let text = match (&reason, &intent) {
            (RejectReason::Exchange(r), Intent::Order(o)) => {
                let why = explain_reject(*r, o);
                if let Some(seq) = client_seq {
                    if self
                        .outcome
                        .with_untracked(|x| x.as_ref().is_some_and(|x| x.client_seq == seq))
                    {
                        self.outcome.set(Some(Outcome {
                            client_seq: seq,
                            ok: false,
                            text: format!("Rejected: {why}"),
                        }));
                    }
                }
                format!("Order rejected ({}): {why}", o.summary)
            }
            (RejectReason::Exchange(r), Intent::Cancel { order_id }) => {
                format!("Cancel of order {order_id} rejected: {}", reason_text(*r))
            }
            (RejectReason::Exchange(Reason::UnknownOrder), Intent::CancelAll) => {
                "Cancel all: you have no open orders".into()
            }
            (RejectReason::Exchange(r), Intent::Amend { order_id }) => {
                format!("Amend of order {order_id} rejected: {}", reason_text(*r))
            }
            (RejectReason::Exchange(r), _) => format!("Rejected: {}", reason_text(*r)),
            (_, Intent::Sim(SimControl::Step { .. })) => format!("Step refused: {message}"),
            (_, Intent::Sim(SimControl::Reset { .. })) => format!("Reset refused: {message}"),
            (_, Intent::Explain) => format!("Cannot explain: {message}"),
            _ => format!("Request refused: {message}"),
        };
        self.toast(ToastKind::Error, text);
    }

    /// Apply one frame.
    pub fn apply_frame(&self, frame: Frame) {
        set_if_changed(
            self.sim,
            SimState {
                steps: 0,
                ..frame.sim.clone()
            },
        );
        let current = self.sub.get_untracked();
        let same_instrument = frame.subscription.instrument == current.instrument;
        if same_instrument {
            self.on_halt_state(frame.halted, frame.clock_ns, frame.full);
            self.on_auction_state(frame.phase, frame.auction.as_ref(), frame.full);
        }
        self.view.update_value(|v| {
            v.seq = frame.last_output_seq;
            v.clock_ns = frame.clock_ns;
            v.readouts = Readouts {
                clock_ns: frame.clock_ns,
                steps: frame.sim.steps,
                output_seq: frame.last_output_seq,
                digest: frame.event_digest,
            };
            if same_instrument {
                v.instrument = frame.subscription.instrument;
                v.halted = frame.halted;
                if let Some(d) = &frame.depth {
                    v.depth = d.clone();
                    v.depth_rev += 1;
                }
                if !frame.trades.is_empty() || !frame.executions.is_empty() {
                    v.tape_rev += 1;
                }
                if let Some(l1) = frame.l1 {
                    v.l1 = l1;
                }
                if let Some(t) = &frame.ticker {
                    v.last = t.last;
                }
            }
        });
        if same_instrument {
            if let Some(l1) = frame.l1 {
                set_if_changed(self.l1, l1);
            }
            if let Some(t) = frame.ticker {
                self.pending_ticker.set_value(Some(t));
            }
            if !frame.trades.is_empty() {
                self.model.update_value(|m| m.on_trades(&frame.trades));
            }
            if frame.l3.is_some() || current.l3_level.is_none() {
                self.pending_l3.set_value(Some(frame.l3.clone()));
            }
        }
        // Candles of the chart's subscription, once its history is in.
        if frame.subscription == current && !frame.candles.is_empty() {
            self.candles.update_value(|c| {
                if !c.ready {
                    return;
                }
                for k in frame.candles.iter().filter(|k| k.close > 0) {
                    c.updates.insert(k.open_time_ns, *k);
                    c.last = Some((frame.last_output_seq, k.close));
                }
                while c.updates.len() > MAX_PENDING_CANDLES {
                    c.updates.pop_first();
                }
            });
            self.candle_tick.update(|t| *t += 1);
        }
        if !frame.executions.is_empty() {
            self.on_executions(&frame.executions);
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
        }
        // The mirror: at most every MIRROR_INTERVAL_MS while playing, every frame while paused.
        let now = now_ms();
        if !frame.sim.playing
            || frame.full
            || now - self.last_mirror_ms.get_value() >= MIRROR_INTERVAL_MS
        {
            self.last_mirror_ms.set_value(now);
            self.refresh_mirror();
        }
        self.frame_tick.update(|t| *t += 1);
    }

    /// A frame's phase and auction view: kept while the auction lasts, dropped when continuous
    /// trading starts (with a toast at either edge, except on a full frame).
    fn on_auction_state(
        &self,
        phase: bourse_core::TradingPhase,
        view: Option<&bourse_protocol::AuctionView>,
        full: bool,
    ) {
        let was = self.auction.with_untracked(|a| a.is_some());
        let symbol = self.symbol(self.sub.with_untracked(|s| s.instrument));
        match phase {
            bourse_core::TradingPhase::Continuous => {
                if was {
                    self.auction.set(None);
                    if !full {
                        self.toast(
                            ToastKind::Notice,
                            format!(
                                "The call auction in {symbol} uncrossed: continuous trading again"
                            ),
                        );
                    }
                }
            }
            bourse_core::TradingPhase::Auction => {
                if let Some(v) = view {
                    self.auction.set(Some(v.clone()));
                    if !was && !full {
                        self.toast(
                            ToastKind::Notice,
                            format!("{symbol} is in a call auction: orders rest without matching until the uncross"),
                        );
                    }
                }
            }
        }
    }

    fn on_halt_state(&self, halted: bool, clock_ns: u64, full: bool) {
        let was = self.halted.get_untracked();
        if halted == was {
            return;
        }
        self.halted.set(halted);
        let symbol = self.symbol(self.sub.with_untracked(|s| s.instrument));
        if halted {
            self.halted_since.set(Some(clock_ns));
            if !full {
                self.toast(
                    ToastKind::Notice,
                    format!(
                        "Trading in {symbol} halted at {} (virtual time): new orders are refused, cancels still work",
                        hms(clock_ns)
                    ),
                );
            }
        } else {
            self.halted_since.set(None);
            if !full {
                self.toast(
                    ToastKind::Notice,
                    format!("{symbol} resumed trading at {}", hms(clock_ns)),
                );
            }
        }
    }

    /// The human's execution reports: history, fills, position, and toasts for what a trader
    /// must not miss (fills, expiries, self-trade prevention, stop triggers).
    fn on_executions(&self, prints: &[ExecutionPrint]) {
        let fills = self
            .model
            .try_update_value(|m| m.on_executions(prints))
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
        }
        for p in prints {
            if let Some((kind, text)) = self.describe(p) {
                self.toast(kind, text);
            }
        }
    }

    /// A toast for an execution report, when it says something a trader must not miss.
    fn describe(&self, p: &ExecutionPrint) -> Option<(ToastKind, String)> {
        let r = &p.report;
        let (symbol, f) = self.venue.with_untracked(|v| {
            let v = v.as_ref()?;
            Some((
                v.config
                    .instruments
                    .get(r.instrument as usize)?
                    .symbol
                    .clone(),
                v.fmts.get(r.instrument as usize)?.clone(),
            ))
        })?;
        let side = if r.side == Side::Buy {
            "Bought"
        } else {
            "Sold"
        };
        match (r.exec_type, r.reason) {
            (ExecType::Trade, _) => Some((
                ToastKind::Info,
                format!(
                    "{side} {} {} at {} ({}, fee {} {}) · order {}{}",
                    f.qty(r.last_qty),
                    f.base,
                    f.price(r.last_price),
                    match r.liquidity {
                        Some(bourse_core::Liquidity::Maker) => "maker",
                        _ => "taker",
                    },
                    crate::format::trimmed(r.fee as i128, f.quote_decimals),
                    f.quote,
                    r.order_id,
                    if r.status == OrderStatus::Filled {
                        " filled"
                    } else {
                        ""
                    }
                ),
            )),
            (ExecType::Expired, Some(Reason::SelfTradePrevention)) => Some((
                ToastKind::Notice,
                format!(
                    "Self-trade prevention ({}): your order {} on {symbol} expired instead of trading with another order of yours (no trade, no fees)",
                    wire_name(&self.open_stp(r.order_id)),
                    r.order_id
                ),
            )),
            (ExecType::Expired, Some(reason)) => {
                let why = match reason {
                    Reason::NoLiquidity => {
                        let empty = self
                            .venue
                            .with_untracked(|v| v.as_ref().map(|v| !v.is_live(r.instrument)))
                            .unwrap_or(false);
                        format!(
                            "no more {} orders in {symbol}{}",
                            if r.side == Side::Buy { "sell" } else { "buy" },
                            if empty {
                                ": nobody else trades this market in this scenario"
                            } else {
                                ""
                            }
                        )
                    }
                    Reason::FokUnfillable => {
                        "fill-or-kill: the book could not fill all of it at once, so nothing traded".into()
                    }
                    Reason::IocRemainder => {
                        "immediate-or-cancel: the part that did not fill at once was cancelled".into()
                    }
                    Reason::BudgetExhausted => "the amount to spend ran out".into(),
                    other => reason_text(other),
                };
                let filled = if r.cum_qty > 0 {
                    format!(" after filling {} {}", f.qty(r.cum_qty), f.base)
                } else {
                    String::new()
                };
                Some((
                    ToastKind::Info,
                    format!(
                        "Order {} expired{filled} ({}): {why}",
                        r.order_id,
                        wire_name(&reason)
                    ),
                ))
            }
            (ExecType::Triggered, _) => Some((
                ToastKind::Info,
                format!(
                    "Stop order {} triggered at stop price {}: it now works as a {} order",
                    r.order_id,
                    f.price(r.stop_price),
                    if r.order_type == OrderType::StopLimit {
                        "limit"
                    } else {
                        "market"
                    }
                ),
            )),
            _ => None,
        }
    }

    fn open_stp(&self, order_id: u64) -> bourse_core::StpMode {
        self.open_orders
            .with_untracked(|o| o.iter().find(|o| o.id == order_id).map(|o| o.stp))
            .unwrap_or(crate::form::DEFAULT_STP)
    }

    /// Copy the latest state into the accessible mirror (ladder table, tape table, depth text, L3).
    pub fn refresh_mirror(&self) {
        let fmt = self.fmt_untracked();
        self.view.with_value(|v| {
            for (rows, slots) in [
                (&v.depth.asks, &self.mirror_asks),
                (&v.depth.bids, &self.mirror_bids),
            ] {
                let mut it = ladder_rows(rows);
                for slot in slots.iter() {
                    set_if_changed(*slot, it.next());
                }
            }
            if let Some(f) = &fmt {
                set_if_changed(
                    self.mirror_depth,
                    DepthSummary {
                        seq: v.seq,
                        text: depth_text(&v.depth, f),
                    },
                );
            }
            set_if_changed(self.mirror_seq, v.seq);
            set_if_changed(self.readouts, v.readouts);
        });
        self.model.with_value(|m| {
            for (i, slot) in self.mirror_tape.iter().enumerate() {
                let row = m.tape.get(i).map(|t| TapeRow {
                    print: *t,
                    own: m.is_own_trade(t.trade.instrument, t.trade.trade_id),
                });
                set_if_changed(*slot, row);
            }
        });
        if let Some(l3) = self.pending_l3.try_update_value(|p| p.take()).flatten() {
            set_if_changed(self.l3, l3);
        }
        if let Some(t) = self.pending_ticker.try_update_value(|p| p.take()).flatten() {
            set_if_changed(self.ticker, t);
        }
    }
}

impl Default for Store {
    fn default() -> Self {
        Store::new()
    }
}

/// The depth chart's words: its price range and the total size on each side.
pub fn depth_text(d: &Depth, f: &Fmt) -> String {
    let (Some(lo), Some(hi)) = (d.bids.last(), d.asks.last()) else {
        return "Depth: the book is empty".into();
    };
    let total = |rows: &[bourse_protocol::L2Row]| rows.iter().map(|r| r.qty).sum::<u64>();
    format!(
        "Depth from {} to {} {}: {} {} bid, {} {} ask",
        f.price(lo.price),
        f.price(hi.price),
        f.quote,
        f.qty(total(&d.bids)),
        f.base,
        f.qty(total(&d.asks)),
        f.base
    )
}

/// `performance.now()` in ms (0 where there is no window, e.g. native tests).
pub fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or(0.0)
}

/// A candle as chart numbers `[time_s, open, high, low, close, volume]`.
pub fn bar(f: &Fmt, c: &Candle) -> [f64; 6] {
    [
        (c.open_time_ns / 1_000_000_000) as f64,
        f.price_f64(c.open),
        f.price_f64(c.high),
        f.price_f64(c.low),
        f.price_f64(c.close),
        f.qty_f64(c.volume),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    // A Ready carrying a configuration the page cannot use is an error the page shows (naming the
    // field), not a panic.
    #[test]
    fn an_unusable_configuration_is_a_message() {
        let mut c = ExchangeConfig::default_spot();
        c.assets[2].decimals = 40;
        let e = Venue::new(c, 1, vec![], MarketInfo::default()).unwrap_err();
        assert!(e.contains("assets[2].decimals"), "{e}");
        let mut c = ExchangeConfig::default_spot();
        c.instruments.clear();
        let e = Venue::new(c, 1, vec![], MarketInfo::default()).unwrap_err();
        assert!(e.contains("no instrument"), "{e}");
        assert!(Venue::new(
            ExchangeConfig::default_spot(),
            1,
            vec![],
            MarketInfo::default()
        )
        .is_ok());
    }
}
