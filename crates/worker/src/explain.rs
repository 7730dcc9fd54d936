//! "Explain this fill": the worker's window of recent commands and their events, a shadow of the
//! book's price levels built from the public L3 feed, and the [`Explanation`] of one command.
//!
//! ## Invariants
//! - **Read-only.** The log only watches the events the exchange emitted; nothing it holds reaches
//!   a frame or the digest, so the worker's outputs are the same with or without it.
//! - **Bounded.** At most [`EXPLAIN_WINDOW_COMMANDS`] commands, [`EXPLAIN_WINDOW_EVENTS`] events and
//!   [`EXPLAIN_WINDOW_QUEUE_CHANGES`] queue changes are kept (the oldest whole commands go first),
//!   plus the last [`EXPLAIN_OWN_COMMANDS`] commands that concern the human; the shadow book holds
//!   one entry per resting order and per price level, as the core's book.
//! - **Queue arithmetic from the feed alone.** An order joins the back of its level (`L3 Added`),
//!   so what is ahead of it when it joins is the level's total then; afterwards an order is ahead
//!   of it exactly when it sits at the same level and joined earlier (a smaller join stamp). A
//!   reduction of an order in a command is a trade as far as that command's `Trade` events name
//!   the order (they come before the L3 change), and a cancel, an expiry or an amend otherwise.
//!   When a maker order fills, nothing is left ahead of it (price-time priority); the tests check
//!   that on every fill of a scenario run.
//!
//! ## Costs
//! Per L3 event, one ordered-map update of the order and one of its level (`O(log n)`), and one
//! push to each window; explaining a command scans the windows once (`O(window)`).

use std::collections::{BTreeMap, VecDeque};

use bourse_core::{
    fee_units, from_grid, unit_step, AccountId, Command, Event, ExchangeConfig, ExecType,
    ExecutionReport, InstrumentId, L3Event, Liquidity, Lots, OrderId, OrderRef, OrderType,
    Sequenced, SequencedCommand, Side, StpMode, Ticks, TimeInForce,
};
use bourse_protocol::{
    wire_name, ExplainTarget, ExplainedEvent, Explanation, FeeLine, FillExplanation, QueueStep,
    MAX_EXPLAIN_EVENTS, MAX_EXPLAIN_FILLS, MAX_QUEUE_STEPS,
};
use rust_decimal::Decimal;

/// Most recent commands the explain window keeps (with all their events).
pub const EXPLAIN_WINDOW_COMMANDS: usize = 10_000;

/// Most events the explain window keeps; when a step pushes it over, the oldest whole commands
/// leave.
pub const EXPLAIN_WINDOW_EVENTS: usize = 60_000;

/// Most queue changes (L3 joins, trades, reductions, departures with their level) the window
/// keeps for queue histories.
pub const EXPLAIN_WINDOW_QUEUE_CHANGES: usize = 60_000;

/// Most commands that concern the human (their own, and any other whose events include an
/// execution report to them, e.g. a fill of their resting order) kept with their events after
/// they have left the main window, so that "Explain" on a row of the Fills table still works
/// after a fast run (a queue history needs the main window's queue changes, and may then be
/// missing).
pub const EXPLAIN_OWN_COMMANDS: usize = 1_000;

/// A resting order as the L3 feed shows it.
#[derive(Debug, Clone, Copy)]
struct Resting {
    instrument: InstrumentId,
    side: Side,
    price: Ticks,
    qty: Lots,
    /// Output sequence number of the `Added` that put it at this level (its time priority).
    stamp: u64,
}

/// What happened to an order at its level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    /// Joined the back with `ahead` lots in front of it.
    Joined { qty: Lots, ahead: Lots },
    /// Traded `qty` lots.
    Traded { qty: Lots },
    /// Reduced by `qty` lots without a trade (an amend down: it keeps its place).
    Reduced { qty: Lots },
    /// Left with `qty` lots without a trade (cancelled, expired, or re-priced).
    Left { qty: Lots },
}

/// One change of one order at its level.
#[derive(Debug, Clone, Copy)]
struct QueueRecord {
    seq: u64,
    input_seq: u64,
    ts_ns: u64,
    order_id: OrderId,
    instrument: InstrumentId,
    side: Side,
    price: Ticks,
    stamp: u64,
    change: Change,
}

/// The window and the shadow book (see the module docs).
#[derive(Debug, Default)]
pub(crate) struct ExplainLog {
    commands: VecDeque<SequencedCommand>,
    events: VecDeque<Sequenced>,
    queue: VecDeque<QueueRecord>,
    book: BTreeMap<OrderId, Resting>,
    levels: BTreeMap<(InstrumentId, Side, Ticks), Lots>,
    /// Scratch: lots each order traded in the command being read, not yet matched to its L3
    /// change.
    traded: BTreeMap<OrderId, Lots>,
    /// Commands that concern the human, with their events (see [`EXPLAIN_OWN_COMMANDS`]).
    own: VecDeque<(SequencedCommand, Vec<Sequenced>)>,
}

/// Who is behind an account, for the texts (`you`, `market maker (account 3)`).
pub(crate) type Namer<'a> = &'a dyn Fn(AccountId) -> String;

impl ExplainLog {
    /// Watch one step's (or one command's) commands and their events, in order, and take them
    /// (both vectors are left empty, their capacity kept); `human` is the page's account.
    pub fn on_step(
        &mut self,
        log: &mut Vec<SequencedCommand>,
        events: &mut Vec<Sequenced>,
        human: AccountId,
    ) {
        for c in log.iter() {
            let start = events.partition_point(|e| e.input_seq < c.seq);
            let end = events.partition_point(|e| e.input_seq <= c.seq);
            let evs = &events[start..end];
            let concerns = command_account(&c.cmd) == Some(human)
                || evs
                    .iter()
                    .any(|e| matches!(&e.event, Event::Execution(r) if r.account == human));
            if concerns {
                self.own.push_back((c.clone(), evs.to_vec()));
                if self.own.len() > EXPLAIN_OWN_COMMANDS {
                    self.own.pop_front();
                }
            }
        }
        self.commands.extend(log.drain(..));
        let mut current = None;
        for e in events.drain(..) {
            if current != Some(e.input_seq) {
                current = Some(e.input_seq);
                self.traded.clear();
            }
            self.watch(&e);
            self.events.push_back(e);
        }
        self.traded.clear();
        while self.commands.len() > EXPLAIN_WINDOW_COMMANDS
            || self.events.len() > EXPLAIN_WINDOW_EVENTS
        {
            let Some(c) = self.commands.pop_front() else {
                break;
            };
            while self.events.front().is_some_and(|e| e.input_seq <= c.seq) {
                self.events.pop_front();
            }
        }
        while self.queue.len() > EXPLAIN_WINDOW_QUEUE_CHANGES {
            self.queue.pop_front();
        }
    }

    fn watch(&mut self, e: &Sequenced) {
        let l3 = match &e.event {
            Event::Trade(t) => {
                *self.traded.entry(t.maker_order_id).or_default() += t.qty;
                *self.traded.entry(t.taker_order_id).or_default() += t.qty;
                return;
            }
            Event::L3(l3) => *l3,
            _ => return,
        };
        let (order_id, change, r) = match l3 {
            L3Event::Added {
                instrument,
                order_id,
                side,
                price,
                qty,
            } => {
                let level = self.levels.entry((instrument, side, price)).or_default();
                let ahead = *level;
                *level += qty;
                let r = Resting {
                    instrument,
                    side,
                    price,
                    qty,
                    stamp: e.seq,
                };
                self.book.insert(order_id, r);
                (order_id, Change::Joined { qty, ahead }, r)
            }
            L3Event::Reduced { order_id, qty, .. } => {
                let Some(r) = self.book.get_mut(&order_id) else {
                    return;
                };
                let by = r.qty.saturating_sub(qty);
                r.qty = qty;
                let r = *r;
                self.level_sub(&r, by);
                (order_id, self.split(order_id, by, false), r)
            }
            L3Event::Removed { order_id, .. } => {
                let Some(r) = self.book.remove(&order_id) else {
                    return;
                };
                self.level_sub(&r, r.qty);
                (order_id, self.split(order_id, r.qty, true), r)
            }
        };
        self.queue.push_back(QueueRecord {
            seq: e.seq,
            input_seq: e.input_seq,
            ts_ns: e.ts_ns,
            order_id,
            instrument: r.instrument,
            side: r.side,
            price: r.price,
            stamp: r.stamp,
            change,
        });
    }

    fn level_sub(&mut self, r: &Resting, by: Lots) {
        let key = (r.instrument, r.side, r.price);
        if let Some(level) = self.levels.get_mut(&key) {
            *level = level.saturating_sub(by);
            if *level == 0 {
                self.levels.remove(&key);
            }
        }
    }

    /// A reduction of `by` lots: a trade as far as this command's trades of the order cover it.
    fn split(&mut self, order_id: OrderId, by: Lots, removed: bool) -> Change {
        let traded = self.traded.get(&order_id).copied().unwrap_or(0);
        if traded >= by && by > 0 {
            self.traded.insert(order_id, traded - by);
            Change::Traded { qty: by }
        } else if removed {
            Change::Left { qty: by }
        } else {
            Change::Reduced { qty: by }
        }
    }

    /// Input sequence numbers of the first and last commands in the window.
    fn span(&self) -> Option<(u64, u64)> {
        Some((self.commands.front()?.seq, self.commands.back()?.seq))
    }

    fn window_text(&self) -> String {
        match self.span() {
            Some((a, b)) => format!(
                "the explain window holds commands {a} to {b} (the last {EXPLAIN_WINDOW_COMMANDS} at most) and the last {EXPLAIN_OWN_COMMANDS} that concern you"
            ),
            None => "the explain window is empty".into(),
        }
    }

    /// Explain `target` (see [`ExplainTarget`]); `human` is the page's account.
    ///
    /// # Errors
    /// A text saying why: the target is not in the window (older, or not applied yet).
    pub fn explain(
        &self,
        cfg: &ExchangeConfig,
        target: &ExplainTarget,
        human: AccountId,
        namer: Namer<'_>,
    ) -> Result<Explanation, String> {
        let (input_seq, focus) = match *target {
            ExplainTarget::Command { input_seq } => (input_seq, None),
            ExplainTarget::Trade {
                instrument,
                trade_id,
            } => {
                let is_it = |e: &&Sequenced| matches!(&e.event, Event::Trade(t) if t.instrument == instrument && t.trade_id == trade_id);
                let hit = self.events.iter().rev().find(is_it).or_else(|| {
                    self.own
                        .iter()
                        .rev()
                        .find_map(|(_, evs)| evs.iter().find(is_it))
                });
                match hit {
                    Some(e) => (e.input_seq, Some(e.seq)),
                    None => {
                        return Err(format!(
                            "trade {trade_id} of instrument {instrument} is not in the window: {}",
                            self.window_text()
                        ))
                    }
                }
            }
            ExplainTarget::Own { before } => {
                let hit = self.own.iter().rev().map(|(c, _)| c).find(|c| {
                    command_account(&c.cmd) == Some(human) && before.is_none_or(|b| c.seq < b)
                });
                match hit {
                    Some(c) => (c.seq, None),
                    None => {
                        return Err(format!(
                            "none of your commands{} is in the window: {}",
                            before.map_or(String::new(), |b| format!(" before {b}")),
                            self.window_text()
                        ))
                    }
                }
            }
        };
        let (cmd, evs, prev, next) = match self.span() {
            Some((first, last)) if (first..=last).contains(&input_seq) => {
                let cmd = &self.commands[(input_seq - first) as usize];
                debug_assert_eq!(cmd.seq, input_seq, "the window's input sequence is dense");
                let start = self.events.partition_point(|e| e.input_seq < input_seq);
                let end = self.events.partition_point(|e| e.input_seq <= input_seq);
                let evs: Vec<&Sequenced> = self.events.range(start..end).collect();
                let prev = (input_seq > first).then(|| input_seq - 1);
                let next = (input_seq < last).then(|| input_seq + 1);
                (cmd, evs, prev, next)
            }
            _ => {
                let k = self.own.partition_point(|(c, _)| c.seq < input_seq);
                let Some((cmd, evs)) = self.own.get(k).filter(|(c, _)| c.seq == input_seq) else {
                    return Err(format!(
                        "command {input_seq} is not in the window: {}",
                        self.window_text()
                    ));
                };
                let prev = k.checked_sub(1).map(|j| self.own[j].0.seq);
                let next = self
                    .own
                    .get(k + 1)
                    .map(|(c, _)| c.seq)
                    .or_else(|| self.span().map(|(first, _)| first));
                (cmd, evs.iter().collect(), prev, next)
            }
        };
        let f = Formatter { cfg };
        let account = command_account(&cmd.cmd);
        let sender = match (&cmd.cmd, account) {
            (Command::CreateAccount { .. }, _) => "the exchange (a new account)".to_string(),
            (_, Some(a)) => namer(a),
            (_, None) => "the scenario (a scripted market event)".to_string(),
        };
        let events = evs
            .iter()
            .take(MAX_EXPLAIN_EVENTS)
            .map(|e| ExplainedEvent {
                seq: e.seq,
                kind: event_kind(&e.event),
                text: f.event(&e.event, namer),
            })
            .collect();
        let mut trades: Vec<&Sequenced> = evs
            .iter()
            .copied()
            .filter(|e| matches!(e.event, Event::Trade(_)))
            .collect();
        if let Some(fs) = focus {
            if let Some(k) = trades.iter().position(|e| e.seq == fs) {
                let t = trades.remove(k);
                trades.insert(0, t);
            }
        }
        let fills = trades
            .iter()
            .take(MAX_EXPLAIN_FILLS)
            .map(|e| self.fill(&f, e, &evs, namer))
            .collect();
        Ok(Explanation {
            input_seq,
            ts_ns: cmd.ts_ns,
            sender,
            command: f.command(&cmd.cmd),
            command_json: serde_json::to_string(&cmd.cmd).unwrap_or_default(),
            events_omitted: evs.len().saturating_sub(MAX_EXPLAIN_EVENTS) as u32,
            events,
            focus_seq: focus,
            fills_omitted: trades.len().saturating_sub(MAX_EXPLAIN_FILLS) as u32,
            fills,
            prev_input_seq: prev,
            next_input_seq: next,
            own: account == Some(human),
        })
    }

    /// The fill of trade event `e` of the command whose events are `evs`.
    fn fill(
        &self,
        f: &Formatter<'_>,
        e: &Sequenced,
        evs: &[&Sequenced],
        namer: Namer<'_>,
    ) -> FillExplanation {
        let Event::Trade(t) = &e.event else {
            unreachable!("fill() is given trade events only")
        };
        let report = |order: OrderId| {
            evs.iter().find_map(|x| match &x.event {
                Event::Execution(r)
                    if r.order_id == order
                        && r.exec_type == ExecType::Trade
                        && r.trade_id == t.trade_id =>
                {
                    Some(r)
                }
                _ => None,
            })
        };
        let (maker_r, taker_r) = (report(t.maker_order_id), report(t.taker_order_id));
        let order_text = |r: Option<&ExecutionReport>, id: OrderId, role: &str| match r {
            Some(r) => format!(
                "order {id} of {}: {}; {} {} filled of it so far",
                namer(r.account),
                f.report_order(r),
                f.qty(r.instrument, r.cum_qty),
                f.base_sym(r.instrument)
            ),
            None => format!("order {id} ({role})"),
        };
        let spec = f.cfg.instruments.get(t.instrument as usize);
        let mut fees = Vec::new();
        for (role, r, rate) in [
            ("maker", maker_r, spec.map(|s| s.maker_fee_ppm)),
            ("taker", taker_r, spec.map(|s| s.taker_fee_ppm)),
        ] {
            let (Some(r), Some(rate)) = (r, rate) else {
                continue;
            };
            let fee = fee_units(r.last_quote as i128, rate);
            let q = f.quote_sym(t.instrument);
            fees.push(FeeLine {
                role: role.into(),
                who: namer(r.account),
                rate_ppm: rate,
                text: format!(
                    "{} {q} × {} % ({rate} ppm) = {} {q}, rounded down to the {q} unit ({} {q})",
                    f.quote_units(t.instrument, r.last_quote as i128),
                    Decimal::new(rate as i64, 4).normalize(),
                    f.quote_units(t.instrument, fee),
                    f.quote_units(t.instrument, 1),
                ),
                matches_report: fee == r.fee as i128,
            });
        }
        let (queue, steps_omitted, queue_summary) = self.queue_history(f, t.maker_order_id, e);
        FillExplanation {
            trade_id: t.trade_id,
            seq: e.seq,
            text: format!(
                "{} {} at {} {} = {} {}; the {} took (arrived and traded against a resting order)",
                f.qty(t.instrument, t.qty),
                f.base_sym(t.instrument),
                f.price(t.instrument, t.price),
                f.quote_sym(t.instrument),
                f.quote_units(t.instrument, t.quote_qty as i128),
                f.quote_sym(t.instrument),
                if t.aggressor == Side::Buy {
                    "buyer"
                } else {
                    "seller"
                },
            ),
            maker: order_text(maker_r, t.maker_order_id, "resting"),
            taker: order_text(taker_r, t.taker_order_id, "incoming"),
            queue,
            steps_omitted,
            queue_summary,
            fees,
        }
    }

    /// The maker order's life at its level from its joining to its fill in trade event `fill`.
    fn queue_history(
        &self,
        f: &Formatter<'_>,
        maker: OrderId,
        fill: &Sequenced,
    ) -> (Vec<QueueStep>, u32, String) {
        let Some(join_at) = self.queue.iter().rposition(|r| {
            r.order_id == maker && r.seq < fill.seq && matches!(r.change, Change::Joined { .. })
        }) else {
            return (
                Vec::new(),
                0,
                format!("order {maker} joined the book before the explain window"),
            );
        };
        let join = self.queue[join_at];
        let Change::Joined { qty, ahead } = join.change else {
            unreachable!("found by its change")
        };
        let ins = join.instrument;
        let (mut ahead, start_ahead) = (ahead, ahead);
        let (mut by_trades, mut by_cancels) = (0u64, 0u64);
        let mut steps = vec![QueueStep {
            input_seq: join.input_seq,
            ts_ns: join.ts_ns,
            text: format!(
                "joined the back of the {} queue at {} with {} {}, {} ahead",
                if join.side == Side::Buy { "bid" } else { "ask" },
                f.price(ins, join.price),
                f.qty(ins, qty),
                f.base_sym(ins),
                f.qty(ins, ahead)
            ),
            ahead: f.qty(ins, ahead),
        }];
        for r in self.queue.range(join_at + 1..) {
            let own = r.order_id == maker;
            if r.seq > fill.seq && (r.input_seq != fill.input_seq || !own) {
                break;
            }
            let same_level = (r.instrument, r.side, r.price) == (ins, join.side, join.price);
            if !same_level || !(own || r.stamp < join.stamp) {
                continue;
            }
            let q = |n: Lots| format!("{} {}", f.qty(ins, n), f.base_sym(ins));
            let text = match (own, r.change) {
                (true, Change::Traded { qty }) if r.input_seq == fill.input_seq => {
                    format!("filled {} (this fill)", q(qty))
                }
                (true, Change::Traded { qty }) => format!("filled {} (an earlier fill)", q(qty)),
                (true, Change::Reduced { qty }) => {
                    format!("reduced by {} by its owner: it keeps its place", q(qty))
                }
                (true, Change::Left { .. } | Change::Joined { .. }) => continue,
                (false, Change::Traded { qty }) => {
                    ahead = ahead.saturating_sub(qty);
                    by_trades += qty;
                    format!("{} ahead traded (order {})", q(qty), r.order_id)
                }
                (false, Change::Reduced { qty }) => {
                    ahead = ahead.saturating_sub(qty);
                    by_cancels += qty;
                    format!(
                        "{} ahead was cancelled (order {} reduced, keeping its place)",
                        q(qty),
                        r.order_id
                    )
                }
                (false, Change::Left { qty }) => {
                    ahead = ahead.saturating_sub(qty);
                    by_cancels += qty;
                    format!(
                        "{} ahead left without trading (order {} cancelled, expired or re-priced)",
                        q(qty),
                        r.order_id
                    )
                }
                (false, Change::Joined { .. }) => continue,
            };
            steps.push(QueueStep {
                input_seq: r.input_seq,
                ts_ns: r.ts_ns,
                text,
                ahead: f.qty(ins, ahead),
            });
        }
        let summary = format!(
            "{} {b} ahead when it joined: {} {b} left by trades, {} {b} by cancels; {} {b} ahead at the fill",
            f.qty(ins, start_ahead),
            f.qty(ins, by_trades),
            f.qty(ins, by_cancels),
            f.qty(ins, ahead),
            b = f.base_sym(ins),
        );
        let omitted = steps.len().saturating_sub(MAX_QUEUE_STEPS);
        if omitted > 0 {
            steps.drain(1..1 + omitted);
        }
        (steps, omitted as u32, summary)
    }
}

/// The account a command names, if any.
fn command_account(cmd: &Command) -> Option<AccountId> {
    match cmd {
        Command::PlaceOrder(o) => Some(o.account),
        Command::CancelOrder { account, .. }
        | Command::CancelAll { account, .. }
        | Command::AmendOrder { account, .. }
        | Command::Deposit { account, .. }
        | Command::Withdraw { account, .. } => Some(*account),
        Command::CreateAccount { .. }
        | Command::Halt { .. }
        | Command::Resume { .. }
        | Command::StartAuction { .. }
        | Command::Uncross { .. } => None,
    }
}

/// The event's kind as on the wire, with its execution type or L3 change.
fn event_kind(e: &Event) -> String {
    match e {
        Event::CommandRejected { .. } => "command_rejected".into(),
        Event::AccountCreated { .. } => "account_created".into(),
        Event::BalanceUpdate { .. } => "balance_update".into(),
        Event::Execution(r) => format!("execution:{}", wire_name(&r.exec_type)),
        Event::Trade(_) => "trade".into(),
        Event::BookTicker(_) => "book_ticker".into(),
        Event::DepthUpdate(_) => "depth_update".into(),
        Event::L3(L3Event::Added { .. }) => "l3:Added".into(),
        Event::L3(L3Event::Reduced { .. }) => "l3:Reduced".into(),
        Event::L3(L3Event::Removed { .. }) => "l3:Removed".into(),
        Event::TradingStatus { .. } => "trading_status".into(),
        Event::TradingPhase { .. } => "trading_phase".into(),
        Event::IndicativeUncross { .. } => "indicative_uncross".into(),
    }
}

/// Words for the one plain-text kind name of a simulated participant (`market_maker`).
pub(crate) fn agent_words(kind: &str) -> &'static str {
    match kind {
        "market_maker" => "market maker",
        "noise" => "noise trader",
        "momentum" => "momentum trader",
        "value" => "value trader",
        "stop_loss" => "stop-loss trader",
        _ => "participant",
    }
}

/// Decimal texts of ticks, lots and units with the configuration.
struct Formatter<'a> {
    cfg: &'a ExchangeConfig,
}

impl Formatter<'_> {
    fn price(&self, ins: InstrumentId, ticks: Ticks) -> String {
        match self.cfg.instruments.get(ins as usize) {
            Some(s) => from_grid(ticks, s.tick_size).to_string(),
            None => format!("{ticks} ticks"),
        }
    }

    fn qty(&self, ins: InstrumentId, lots: Lots) -> String {
        match self.cfg.instruments.get(ins as usize) {
            Some(s) => from_grid(lots as i64, s.lot_size).to_string(),
            None => format!("{lots} lots"),
        }
    }

    fn asset_units(&self, asset: u32, units: i128) -> String {
        match self.cfg.assets.get(asset as usize) {
            Some(a) => match i64::try_from(units) {
                Ok(u) => from_grid(u, unit_step(a.decimals)).to_string(),
                Err(_) => format!("{units} units"),
            },
            None => format!("{units} units"),
        }
    }

    fn asset_sym(&self, asset: u32) -> String {
        self.cfg
            .assets
            .get(asset as usize)
            .map(|a| a.symbol.clone())
            .unwrap_or_else(|| format!("asset {asset}"))
    }

    fn quote_units(&self, ins: InstrumentId, units: i128) -> String {
        match self.cfg.instruments.get(ins as usize) {
            Some(s) => self.asset_units(s.quote, units),
            None => format!("{units} units"),
        }
    }

    fn base_sym(&self, ins: InstrumentId) -> String {
        self.cfg
            .instruments
            .get(ins as usize)
            .map(|s| self.asset_sym(s.base))
            .unwrap_or_default()
    }

    fn quote_sym(&self, ins: InstrumentId) -> String {
        self.cfg
            .instruments
            .get(ins as usize)
            .map(|s| self.asset_sym(s.quote))
            .unwrap_or_default()
    }

    fn symbol(&self, ins: InstrumentId) -> String {
        self.cfg
            .instruments
            .get(ins as usize)
            .map(|s| s.symbol.clone())
            .unwrap_or_else(|| format!("instrument {ins}"))
    }

    fn decimal_in(&self, d: &Option<Decimal>) -> String {
        d.map_or("unchanged".into(), |d| d.normalize().to_string())
    }

    /// An order as its report states it: `sell 0.5 BTC at 65000.5 USDT (LIMIT GTC)`.
    fn report_order(&self, r: &ExecutionReport) -> String {
        let ins = r.instrument;
        let side = side_word(r.side);
        let size = if r.quantity == 0 && r.quote_quantity > 0 {
            format!(
                "for {} {}",
                self.quote_units(ins, r.quote_quantity as i128),
                self.quote_sym(ins)
            )
        } else {
            format!("{} {}", self.qty(ins, r.quantity), self.base_sym(ins))
        };
        let at = match r.order_type {
            OrderType::Market | OrderType::StopMarket => "at market".to_string(),
            _ => format!("at {} {}", self.price(ins, r.price), self.quote_sym(ins)),
        };
        format!(
            "{side} {size} {at} ({} {})",
            wire_name(&r.order_type),
            tif_word(r.tif)
        )
    }

    /// A command in words.
    fn command(&self, cmd: &Command) -> String {
        match cmd {
            Command::CreateAccount { .. } => "open an account".into(),
            Command::Deposit {
                account,
                asset,
                amount,
            } => format!(
                "deposit {} {} to account {account}",
                amount.normalize(),
                self.asset_sym(*asset)
            ),
            Command::Withdraw {
                account,
                asset,
                amount,
            } => format!(
                "withdraw {} {} from account {account}",
                amount.normalize(),
                self.asset_sym(*asset)
            ),
            Command::PlaceOrder(o) => {
                let s = &o.spec;
                let ins = s.instrument;
                let size = match (s.quantity, s.quote_quantity) {
                    (Some(q), _) => format!("{} {}", q.normalize(), self.base_sym(ins)),
                    (None, Some(q)) => {
                        format!("for {} {}", q.normalize(), self.quote_sym(ins))
                    }
                    (None, None) => "(no quantity)".into(),
                };
                let at = match (s.order_type, s.price) {
                    (OrderType::Market | OrderType::StopMarket, _) | (_, None) => {
                        "at market".to_string()
                    }
                    (_, Some(p)) => format!("at {} {}", p.normalize(), self.quote_sym(ins)),
                };
                let mut extra = vec![wire_name(&s.order_type), tif_word(s.tif).to_string()];
                if let Some(sp) = s.stop_price {
                    extra.push(format!("stop at {}", sp.normalize()));
                }
                if s.post_only {
                    extra.push("post-only".into());
                }
                if s.stp != StpMode::None {
                    extra.push(format!("self-trade prevention {}", wire_name(&s.stp)));
                }
                format!(
                    "{} {size} {at} on {} ({})",
                    side_word(s.side),
                    self.symbol(ins),
                    extra.join(", ")
                )
            }
            Command::CancelOrder {
                instrument, order, ..
            } => format!(
                "cancel {} on {}",
                order_ref(order),
                self.symbol(*instrument)
            ),
            Command::CancelAll { instrument, .. } => match instrument {
                Some(i) => format!("cancel all open orders on {}", self.symbol(*i)),
                None => "cancel all open orders".into(),
            },
            Command::AmendOrder {
                instrument,
                order,
                price,
                quantity,
                ..
            } => format!(
                "amend {} on {}: price {}, quantity {}",
                order_ref(order),
                self.symbol(*instrument),
                self.decimal_in(price),
                self.decimal_in(quantity)
            ),
            Command::Halt { instrument } => format!("halt {}", self.symbol(*instrument)),
            Command::Resume { instrument } => format!("resume {}", self.symbol(*instrument)),
            Command::StartAuction { instrument } => {
                format!("start a call auction on {}", self.symbol(*instrument))
            }
            Command::Uncross { instrument } => {
                format!("uncross the call auction on {}", self.symbol(*instrument))
            }
        }
    }

    /// An event in words.
    fn event(&self, e: &Event, namer: Namer<'_>) -> String {
        match e {
            Event::CommandRejected { reason, .. } => {
                format!("The command was rejected: {}", wire_name(reason))
            }
            Event::AccountCreated { account } => format!("Account {account} was opened"),
            Event::BalanceUpdate {
                account,
                asset,
                available,
                locked,
            } => format!(
                "Balance of {}: {} {s} available, {} {s} locked",
                namer(*account),
                self.asset_units(*asset, *available as i128),
                self.asset_units(*asset, *locked as i128),
                s = self.asset_sym(*asset)
            ),
            Event::Execution(r) => {
                let ins = r.instrument;
                let mut t = format!(
                    "Execution report to {}: order {} {} ({}), now {}",
                    namer(r.account),
                    r.order_id,
                    wire_name(&r.exec_type),
                    self.report_order(r),
                    wire_name(&r.status)
                );
                if r.exec_type == ExecType::Trade {
                    t.push_str(&format!(
                        "; filled {} {} at {} {} as {}, fee {} {}",
                        self.qty(ins, r.last_qty),
                        self.base_sym(ins),
                        self.price(ins, r.last_price),
                        self.quote_sym(ins),
                        match r.liquidity {
                            Some(Liquidity::Maker) => "maker",
                            Some(Liquidity::Taker) => "taker",
                            None => "—",
                        },
                        self.asset_units(r.fee_asset, r.fee as i128),
                        self.asset_sym(r.fee_asset)
                    ));
                }
                if let Some(reason) = r.reason {
                    t.push_str(&format!("; reason {}", wire_name(&reason)));
                }
                t
            }
            Event::Trade(t) => format!(
                "Trade {}: {} {} at {} {}, the {} took (incoming order {} against resting order {})",
                t.trade_id,
                self.qty(t.instrument, t.qty),
                self.base_sym(t.instrument),
                self.price(t.instrument, t.price),
                self.quote_sym(t.instrument),
                if t.aggressor == Side::Buy { "buyer" } else { "seller" },
                t.taker_order_id,
                t.maker_order_id
            ),
            Event::BookTicker(b) => {
                let side = |x: Option<(Ticks, Lots)>| match x {
                    Some((p, q)) => format!(
                        "{} × {}",
                        self.price(b.instrument, p),
                        self.qty(b.instrument, q)
                    ),
                    None => "none".into(),
                };
                format!(
                    "Best bid and ask (L1) of {}: bid {}, ask {}",
                    self.symbol(b.instrument),
                    side(b.bid),
                    side(b.ask)
                )
            }
            Event::DepthUpdate(d) => {
                let levels = |v: &[(Ticks, Lots)]| {
                    v.iter()
                        .take(4)
                        .map(|(p, q)| {
                            format!(
                                "{} → {}",
                                self.price(d.instrument, *p),
                                self.qty(d.instrument, *q)
                            )
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                        + if v.len() > 4 { ", …" } else { "" }
                };
                let mut parts = Vec::new();
                if !d.bids.is_empty() {
                    parts.push(format!("bids {}", levels(&d.bids)));
                }
                if !d.asks.is_empty() {
                    parts.push(format!("asks {}", levels(&d.asks)));
                }
                format!(
                    "Depth (L2) of {}, updates {}–{}: {}",
                    self.symbol(d.instrument),
                    d.first_update_id,
                    d.last_update_id,
                    parts.join("; ")
                )
            }
            Event::L3(L3Event::Added {
                instrument,
                order_id,
                side,
                price,
                qty,
            }) => format!(
                "Order {order_id} joined the back of the {} queue at {} with {} {} (L3)",
                if *side == Side::Buy { "bid" } else { "ask" },
                self.price(*instrument, *price),
                self.qty(*instrument, *qty),
                self.base_sym(*instrument)
            ),
            Event::L3(L3Event::Reduced {
                instrument,
                order_id,
                qty,
            }) => format!(
                "Order {order_id} now rests with {} {} (L3; it keeps its place)",
                self.qty(*instrument, *qty),
                self.base_sym(*instrument)
            ),
            Event::L3(L3Event::Removed { order_id, .. }) => {
                format!("Order {order_id} left the book (L3)")
            }
            Event::TradingStatus { instrument, halted } => format!(
                "{} is {}",
                self.symbol(*instrument),
                if *halted {
                    "halted: new orders are refused"
                } else {
                    "trading again"
                }
            ),
            Event::TradingPhase { instrument, phase } => format!(
                "{} is now in the {} phase",
                self.symbol(*instrument),
                wire_name(phase)
            ),
            Event::IndicativeUncross {
                instrument,
                price,
                volume,
                surplus,
                surplus_side,
            } => match price {
                Some(p) => format!(
                    "Indicative uncross of {}: {} at {}, surplus {}{}",
                    self.symbol(*instrument),
                    self.qty(*instrument, *volume),
                    self.price(*instrument, *p),
                    self.qty(*instrument, *surplus),
                    match surplus_side {
                        Some(s) => format!(" on the {} side", side_word(*s)),
                        None => String::new(),
                    }
                ),
                None => format!(
                    "Indicative uncross of {}: the book does not cross",
                    self.symbol(*instrument)
                ),
            },
        }
    }
}

fn side_word(s: Side) -> &'static str {
    match s {
        Side::Buy => "buy",
        Side::Sell => "sell",
    }
}

fn tif_word(t: TimeInForce) -> &'static str {
    match t {
        TimeInForce::Gtc => "GTC",
        TimeInForce::Ioc => "IOC",
        TimeInForce::Fok => "FOK",
    }
}

fn order_ref(r: &OrderRef) -> String {
    match r {
        OrderRef::OrderId(id) => format!("order {id}"),
        OrderRef::ClientOrderId(c) => format!("the order with client id {c}"),
    }
}
