//! Shared helpers for the exchange-level tests: a small harness around [`Exchange`], order
//! builders, event filters, a public-API view of the whole state (for "nothing changed" checks),
//! local L2/L3 book reconstruction from events, and a command generator (proptest strategy and a
//! deterministic seeded variant).

#![allow(dead_code)]

use bourse_core::*;
use proptest::prelude::*;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

pub const BTC: AssetId = 0;
pub const ETH: AssetId = 1;
pub const USDT: AssetId = 2;
pub const BTC_USDT: InstrumentId = 0;
pub const ETH_USDT: InstrumentId = 1;

/// 1 ms, the default time step between harness commands.
pub const MS: u64 = 1_000_000;
pub const SEC: u64 = 1_000_000_000;
pub const MIN: u64 = 60 * SEC;
pub const DAY: u64 = 86_400 * SEC;

pub fn d(s: &str) -> Decimal {
    s.parse().expect("decimal literal")
}

// ------------------------------------------------------------------ order builders

pub fn order(account: AccountId, side: Side, order_type: OrderType) -> NewOrder {
    NewOrder {
        account,
        spec: OrderSpec {
            instrument: BTC_USDT,
            side,
            order_type,
            tif: TimeInForce::Gtc,
            price: None,
            quantity: None,
            quote_quantity: None,
            stop_price: None,
            post_only: false,
            stp: StpMode::None,
            client_order_id: None,
        },
    }
}

pub fn limit(account: AccountId, side: Side, price: &str, qty: &str) -> NewOrder {
    {
        let mut o = order(account, side, OrderType::Limit);
        o.spec.price = Some(d(price));
        o.spec.quantity = Some(d(qty));
        o
    }
}

pub fn market(account: AccountId, side: Side, qty: &str) -> NewOrder {
    {
        let mut o = order(account, side, OrderType::Market);
        o.spec.quantity = Some(d(qty));
        o
    }
}

pub fn market_quote(account: AccountId, quote: &str) -> NewOrder {
    {
        let mut o = order(account, Side::Buy, OrderType::Market);
        o.spec.quote_quantity = Some(d(quote));
        o
    }
}

pub fn stop_limit(account: AccountId, side: Side, stop: &str, price: &str, qty: &str) -> NewOrder {
    {
        let mut o = order(account, side, OrderType::StopLimit);
        o.spec.stop_price = Some(d(stop));
        o.spec.price = Some(d(price));
        o.spec.quantity = Some(d(qty));
        o
    }
}

pub fn stop_market(account: AccountId, side: Side, stop: &str, qty: &str) -> NewOrder {
    {
        let mut o = order(account, side, OrderType::StopMarket);
        o.spec.stop_price = Some(d(stop));
        o.spec.quantity = Some(d(qty));
        o
    }
}

/// Builder-style modifiers for [`NewOrder`].
pub trait OrderExt: Sized {
    fn tif(self, tif: TimeInForce) -> Self;
    fn cid(self, cid: ClientOrderId) -> Self;
    fn stp(self, stp: StpMode) -> Self;
    fn post_only(self) -> Self;
    fn on(self, instrument: InstrumentId) -> Self;
}

impl OrderExt for NewOrder {
    fn tif(mut self, tif: TimeInForce) -> Self {
        self.spec.tif = tif;
        self
    }
    fn cid(mut self, cid: ClientOrderId) -> Self {
        self.spec.client_order_id = Some(cid);
        self
    }
    fn stp(mut self, stp: StpMode) -> Self {
        self.spec.stp = stp;
        self
    }
    fn post_only(mut self) -> Self {
        self.spec.post_only = true;
        self
    }
    fn on(mut self, instrument: InstrumentId) -> Self {
        self.spec.instrument = instrument;
        self
    }
}

pub fn cancel(account: AccountId, id: OrderId) -> Command {
    Command::CancelOrder {
        account,
        instrument: BTC_USDT,
        order: OrderRef::OrderId(id),
    }
}

pub fn amend(account: AccountId, id: OrderId, price: Option<&str>, qty: Option<&str>) -> Command {
    Command::AmendOrder {
        account,
        instrument: BTC_USDT,
        order: OrderRef::OrderId(id),
        price: price.map(d),
        quantity: qty.map(d),
    }
}

pub fn deposit(account: AccountId, asset: AssetId, amount: &str) -> Command {
    Command::Deposit {
        account,
        asset,
        amount: d(amount),
    }
}

pub fn withdraw(account: AccountId, asset: AssetId, amount: &str) -> Command {
    Command::Withdraw {
        account,
        asset,
        amount: d(amount),
    }
}

// ------------------------------------------------------------------ event filters

pub fn execs(evs: &[Event]) -> Vec<ExecutionReport> {
    evs.iter()
        .filter_map(|e| match e {
            Event::Execution(r) => Some(r.clone()),
            _ => None,
        })
        .collect()
}

pub fn trades(evs: &[Event]) -> Vec<Trade> {
    evs.iter()
        .filter_map(|e| match e {
            Event::Trade(t) => Some(*t),
            _ => None,
        })
        .collect()
}

pub fn l3s(evs: &[Event]) -> Vec<L3Event> {
    evs.iter()
        .filter_map(|e| match e {
            Event::L3(x) => Some(*x),
            _ => None,
        })
        .collect()
}

pub fn depth_updates(evs: &[Event]) -> Vec<DepthUpdate> {
    evs.iter()
        .filter_map(|e| match e {
            Event::DepthUpdate(x) => Some(x.clone()),
            _ => None,
        })
        .collect()
}

pub fn book_tickers(evs: &[Event]) -> Vec<BookTicker> {
    evs.iter()
        .filter_map(|e| match e {
            Event::BookTicker(x) => Some(*x),
            _ => None,
        })
        .collect()
}

/// `(exec_type, status, reason)` of each execution report, in order.
pub fn statuses(evs: &[Event]) -> Vec<(ExecType, OrderStatus, Option<Reason>)> {
    execs(evs)
        .iter()
        .map(|r| (r.exec_type, r.status, r.reason))
        .collect()
}

/// The reason of a rejection event (a `CommandRejected` or a `REJECTED` execution report).
pub fn reject_reason(ev: &Event) -> Option<Reason> {
    match ev {
        Event::CommandRejected { reason, .. } => Some(*reason),
        Event::Execution(r) if r.exec_type == ExecType::Rejected => {
            assert_eq!(r.status, OrderStatus::Rejected);
            assert_eq!(r.order_id, 0, "a rejected placement gets no order id");
            r.reason
        }
        _ => None,
    }
}

// ------------------------------------------------------------------ state view

/// Everything observable through the public API except the sequence counters, the timestamp and
/// the event digest. Two equal views mean "no state changed".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    pub balances: Vec<Vec<Balance>>,
    pub orders: Vec<OpenOrder>,
    pub instruments: Vec<InstrumentView>,
    pub fees: Vec<u128>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstrumentView {
    pub book: L3Book,
    pub last_price: Option<Ticks>,
    pub reference: Option<Ticks>,
    pub l1: Option<BookTicker>,
    pub depth: Option<DepthSnapshot>,
    pub halted: bool,
    pub candles: Vec<(usize, Vec<Candle>)>,
}

pub fn view(ex: &Exchange) -> View {
    let n_assets = ex.config().assets.len() as AssetId;
    let n_ins = ex.config().instruments.len() as InstrumentId;
    let mut orders = Vec::new();
    let mut balances = Vec::new();
    for a in 1..=ex.account_count() {
        balances.push((0..n_assets).map(|s| ex.balance(a, s).unwrap()).collect());
        orders.extend(ex.open_orders_of(a));
    }
    View {
        balances,
        orders,
        instruments: (0..n_ins)
            .map(|i| InstrumentView {
                book: ex.book(i).unwrap().l3(),
                last_price: ex.last_price(i),
                reference: ex.reference_price(i),
                l1: ex.book_ticker(i),
                depth: ex.depth(i, usize::MAX),
                halted: ex.is_halted(i),
                candles: Interval::ALL
                    .iter()
                    .map(|&iv| (ex.candle_count(i, iv), ex.candles(i, iv, 0, 3)))
                    .collect(),
            })
            .collect(),
        fees: (0..n_assets).map(|s| ex.fees_collected(s)).collect(),
    }
}

// ------------------------------------------------------------------ harness

pub struct H {
    pub ex: Exchange,
    pub ts: u64,
    /// Every event emitted so far.
    pub log: Vec<Sequenced>,
}

impl Default for H {
    fn default() -> Self {
        H::new()
    }
}

impl H {
    pub fn new() -> H {
        H::with_config(ExchangeConfig::default_spot())
    }

    pub fn with_config(cfg: ExchangeConfig) -> H {
        H {
            ex: Exchange::new(cfg).expect("valid config"),
            ts: 1_700_000_000 * SEC,
            log: Vec::new(),
        }
    }

    /// Apply at `ts`; checks the sequencing of what came out; returns the events.
    pub fn run_at(&mut self, ts: u64, cmd: Command) -> Vec<Event> {
        let seq0 = self.ex.next_output_seq();
        let in_seq = self.ex.next_input_seq();
        let mut out = Vec::new();
        let got = self.ex.apply(ts, &cmd, &mut out);
        assert_eq!(got, in_seq);
        for (k, s) in out.iter().enumerate() {
            assert_eq!(s.seq, seq0 + k as u64, "output seq dense");
            assert_eq!(s.input_seq, in_seq);
            assert_eq!(s.ts_ns, ts);
        }
        if ts >= self.ts {
            self.ts = ts;
        }
        self.ex.check_invariants().expect("invariants");
        let evs = out.iter().map(|s| s.event.clone()).collect();
        self.log.extend(out);
        evs
    }

    /// Apply one millisecond after the previous command.
    pub fn run(&mut self, cmd: Command) -> Vec<Event> {
        let ts = self.ts + MS;
        self.run_at(ts, cmd)
    }

    pub fn place(&mut self, o: NewOrder) -> Vec<Event> {
        self.run(Command::PlaceOrder(o))
    }

    /// Place an order that must be accepted; returns its id and the events.
    pub fn place_ok(&mut self, o: NewOrder) -> (OrderId, Vec<Event>) {
        let evs = self.place(o);
        let first = execs(&evs).into_iter().next().expect("an execution report");
        assert_eq!(
            (first.exec_type, first.status),
            (ExecType::New, OrderStatus::New),
            "placement accepted: {evs:?}"
        );
        assert!(first.order_id > 0);
        (first.order_id, evs)
    }

    /// A new account with the given USDT and BTC deposits (whole coins, "0" for none).
    pub fn account(&mut self, usdt: &str, btc: &str) -> AccountId {
        self.account_with(None, None, &[(USDT, usdt), (BTC, btc)])
    }

    pub fn account_with(
        &mut self,
        max_open_orders: Option<u32>,
        daily_notional_limit: Option<&str>,
        deposits: &[(AssetId, &str)],
    ) -> AccountId {
        let evs = self.run(Command::CreateAccount {
            max_open_orders,
            daily_notional_limit: daily_notional_limit.map(d),
        });
        let Event::AccountCreated { account } = evs[0] else {
            panic!("account not created: {evs:?}")
        };
        for &(asset, amount) in deposits {
            if d(amount).is_zero() {
                continue;
            }
            let evs = self.run(deposit(account, asset, amount));
            assert!(matches!(evs[..], [Event::BalanceUpdate { .. }]), "{evs:?}");
        }
        account
    }

    pub fn bal(&self, account: AccountId, asset: AssetId) -> Balance {
        self.ex.balance(account, asset).expect("account and asset")
    }

    /// `(available, locked)` of an account in an asset.
    pub fn al(&self, account: AccountId, asset: AssetId) -> (Units, Units) {
        let b = self.bal(account, asset);
        (b.available, b.locked)
    }

    pub fn view(&self) -> View {
        view(&self.ex)
    }

    /// Apply `cmd`, which must be refused with `reason` by exactly one event and change nothing
    /// but the sequence counters.
    pub fn assert_rejected(&mut self, cmd: Command, reason: Reason) {
        let before = self.view();
        let next_in = self.ex.next_input_seq();
        let evs = self.run(cmd.clone());
        assert_eq!(evs.len(), 1, "one reject event for {cmd:?}: {evs:?}");
        assert_eq!(reject_reason(&evs[0]), Some(reason), "{cmd:?}: {evs:?}");
        assert_eq!(self.view(), before, "state changed by rejected {cmd:?}");
        assert_eq!(self.ex.next_input_seq(), next_in + 1);
    }

    /// Queue at a BTC-USDT level: `(order id, remaining lots)`, earliest first.
    pub fn queue(&self, side: Side, price_ticks: Ticks) -> Vec<(OrderId, Lots)> {
        self.ex
            .book(BTC_USDT)
            .unwrap()
            .queue(side, price_ticks)
            .iter()
            .map(|o| (o.id, o.qty))
            .collect()
    }
}

// ------------------------------------------------------------------ extra invariants

/// Checks stronger than [`Exchange::check_invariants`], from the outside: exact locks per open
/// order, books consistent with open orders, L1 equal to the book's best prices.
pub fn check_exact_locks(ex: &Exchange) -> Result<(), String> {
    for a in 1..=ex.account_count() {
        for o in ex.open_orders_of(a) {
            let r = ex.rules(o.instrument).unwrap();
            let remaining = o.quantity.saturating_sub(o.cum_qty);
            let expected: Option<u128> = match (o.side, o.order_type) {
                (Side::Sell, _) => Some(remaining as u128 * r.base_units_per_lot as u128),
                (Side::Buy, OrderType::Limit | OrderType::StopLimit) => {
                    let n = r.notional(o.price, remaining);
                    Some((n + fee_units(n, r.max_fee_ppm())) as u128)
                }
                (Side::Buy, OrderType::StopMarket) if o.pending_stop => {
                    if o.quote_quantity > 0 {
                        let q = o.quote_quantity as i128;
                        Some((q + fee_units(q, r.taker_fee_ppm)) as u128)
                    } else {
                        Some(0)
                    }
                }
                _ => None,
            };
            if let Some(e) = expected {
                if o.locked as u128 != e {
                    return Err(format!(
                        "order {} locks {} expected {e}: {o:?}",
                        o.id, o.locked
                    ));
                }
            }
            if o.pending_stop {
                // Stops are triggered by the last trade (the reference before any trade), and
                // the trigger loop runs after every trade, so no pending stop is triggerable.
                let reference = ex.reference_price(o.instrument).unwrap();
                let triggerable = match o.side {
                    Side::Buy => reference >= o.stop_price,
                    Side::Sell => reference <= o.stop_price,
                };
                if triggerable {
                    return Err(format!(
                        "stop {} is triggerable at {reference}: {o:?}",
                        o.id
                    ));
                }
            }
            if o.order_type == OrderType::Market
                || (o.order_type == OrderType::StopMarket && !o.pending_stop)
            {
                return Err(format!("market order {} left open after its command", o.id));
            }
            let in_book = ex.book(o.instrument).unwrap().order(o.id);
            match in_book {
                Some(b) if !o.pending_stop => {
                    if b.qty != remaining
                        || b.price != o.price
                        || b.side != o.side
                        || b.owner != o.account
                    {
                        return Err(format!("order {} differs from the book: {o:?} {b:?}", o.id));
                    }
                }
                None if o.pending_stop => {}
                _ => return Err(format!("order {} pending_stop/book mismatch", o.id)),
            }
        }
    }
    for i in 0..ex.config().instruments.len() as InstrumentId {
        let book = ex.book(i).unwrap();
        let l1 = ex.book_ticker(i).unwrap();
        if l1.bid != book.best_bid() || l1.ask != book.best_ask() {
            return Err(format!("instrument {i}: L1 {l1:?} differs from the book"));
        }
        if ex.depth(i, 0).unwrap().last_update_id != l1.update_id {
            return Err(format!("instrument {i}: L1 update id is not the latest"));
        }
        let total: usize = [book.l3().bids, book.l3().asks]
            .iter()
            .flatten()
            .map(|l| l.orders.len())
            .sum();
        let open = (1..=ex.account_count())
            .flat_map(|a| ex.open_orders_of(a))
            .filter(|o| o.instrument == i && !o.pending_stop)
            .count();
        if total != open {
            return Err(format!(
                "instrument {i}: {total} resting orders but {open} open"
            ));
        }
    }
    Ok(())
}

// ------------------------------------------------------------------ local books from events

/// Price levels best first, each with its queue of `(order id, remaining lots)`.
pub type Levels = Vec<(Ticks, Vec<(OrderId, Lots)>)>;

/// An L3 book rebuilt from [`L3Event`]s only.
#[derive(Debug, Default, Clone)]
pub struct LocalL3 {
    /// order id -> (side, price, qty, arrival counter)
    orders: BTreeMap<OrderId, (Side, Ticks, Lots, u64)>,
    counter: u64,
}

impl LocalL3 {
    pub fn apply(&mut self, ev: &L3Event) -> Result<(), String> {
        match *ev {
            L3Event::Added {
                order_id,
                side,
                price,
                qty,
                ..
            } => {
                if qty == 0 {
                    return Err(format!("Added {order_id} with qty 0"));
                }
                self.counter += 1;
                if self
                    .orders
                    .insert(order_id, (side, price, qty, self.counter))
                    .is_some()
                {
                    return Err(format!("Added {order_id} twice"));
                }
            }
            L3Event::Reduced { order_id, qty, .. } => {
                let o = self
                    .orders
                    .get_mut(&order_id)
                    .ok_or(format!("Reduced unknown {order_id}"))?;
                if qty == 0 || qty > o.2 {
                    return Err(format!("Reduced {order_id} from {} to {qty}", o.2));
                }
                o.2 = qty;
            }
            L3Event::Removed { order_id, .. } => {
                self.orders
                    .remove(&order_id)
                    .ok_or(format!("Removed unknown {order_id}"))?;
            }
        }
        Ok(())
    }

    /// As an [`L3Book`] (ids and quantities; owner, post-only and STP are not public and are
    /// compared separately).
    pub fn levels(&self) -> (Levels, Levels) {
        let mut bids: BTreeMap<Ticks, Vec<(u64, OrderId, Lots)>> = BTreeMap::new();
        let mut asks: BTreeMap<Ticks, Vec<(u64, OrderId, Lots)>> = BTreeMap::new();
        for (&id, &(side, p, q, c)) in &self.orders {
            match side {
                Side::Buy => bids.entry(p).or_default().push((c, id, q)),
                Side::Sell => asks.entry(p).or_default().push((c, id, q)),
            }
        }
        let conv = |m: BTreeMap<Ticks, Vec<(u64, OrderId, Lots)>>, rev: bool| {
            let mut v: Vec<(Ticks, Vec<(OrderId, Lots)>)> = m
                .into_iter()
                .map(|(p, mut os)| {
                    os.sort_unstable();
                    (p, os.into_iter().map(|(_, id, q)| (id, q)).collect())
                })
                .collect();
            if rev {
                v.reverse();
            }
            v
        };
        (conv(bids, true), conv(asks, false))
    }
}

pub fn l3_levels(book: &L3Book) -> (Levels, Levels) {
    let conv = |ls: &Vec<bourse_core::book::L3Level>| {
        ls.iter()
            .map(|l| (l.price, l.orders.iter().map(|o| (o.id, o.qty)).collect()))
            .collect()
    };
    (conv(&book.bids), conv(&book.asks))
}

/// An L2 book kept from a [`DepthSnapshot`] plus [`DepthUpdate`]s, Binance style.
#[derive(Debug, Clone)]
pub struct LocalL2 {
    pub last_update_id: u64,
    pub bids: BTreeMap<Ticks, Lots>,
    pub asks: BTreeMap<Ticks, Lots>,
}

impl LocalL2 {
    pub fn from_snapshot(s: &DepthSnapshot) -> Self {
        LocalL2 {
            last_update_id: s.last_update_id,
            bids: s.bids.iter().copied().collect(),
            asks: s.asks.iter().copied().collect(),
        }
    }

    /// Apply an update: updates entirely before the snapshot are dropped; otherwise the update
    /// must continue the id sequence (`U <= last + 1 <= u`).
    pub fn apply(&mut self, u: &DepthUpdate) -> Result<(), String> {
        if u.last_update_id <= self.last_update_id {
            return Ok(());
        }
        if !(u.first_update_id <= self.last_update_id + 1 && self.last_update_id < u.last_update_id)
        {
            return Err(format!(
                "gap: local at {}, update {}..={}",
                self.last_update_id, u.first_update_id, u.last_update_id
            ));
        }
        if u.first_update_id > u.last_update_id {
            return Err("empty update range".into());
        }
        if (u.last_update_id - u.first_update_id + 1) as usize != u.bids.len() + u.asks.len() {
            return Err(format!("update ids do not count the level changes: {u:?}"));
        }
        for (side, levels) in [(&mut self.bids, &u.bids), (&mut self.asks, &u.asks)] {
            if levels.windows(2).any(|w| w[0].0 >= w[1].0) {
                return Err(format!("levels not in ascending price order: {u:?}"));
            }
            for &(p, q) in levels {
                if q == 0 {
                    side.remove(&p);
                } else {
                    side.insert(p, q);
                }
            }
        }
        self.last_update_id = u.last_update_id;
        Ok(())
    }

    pub fn as_snapshot(&self, instrument: InstrumentId) -> DepthSnapshot {
        DepthSnapshot {
            instrument,
            last_update_id: self.last_update_id,
            bids: self.bids.iter().rev().map(|(&p, &q)| (p, q)).collect(),
            asks: self.asks.iter().map(|(&p, &q)| (p, q)).collect(),
        }
    }
}

// ------------------------------------------------------------------ command generation

/// A configuration with a tight price band (0.1 % = 10 bps) so that random prices near the
/// reference cross often, and a small open-order limit so that limit rejects happen.
pub fn tight_config() -> ExchangeConfig {
    let mut cfg = ExchangeConfig::default_spot();
    cfg.instruments[0].price_band_bps = 10;
    cfg.instruments[1].price_band_bps = 10;
    cfg.default_max_open_orders = 20;
    cfg
}

/// Number of accounts the generated scenarios use (ids 1..=ACCOUNTS; 0 and ACCOUNTS+1 unknown).
pub const ACCOUNTS: u32 = 3;

/// The fixed prefix of every generated scenario: accounts and deposits.
pub fn setup_commands() -> Vec<Command> {
    let mut v = vec![
        Command::CreateAccount {
            max_open_orders: None,
            daily_notional_limit: None,
        },
        Command::CreateAccount {
            max_open_orders: Some(6),
            daily_notional_limit: None,
        },
        Command::CreateAccount {
            max_open_orders: None,
            daily_notional_limit: Some(d("200000")),
        },
    ];
    for a in 1..=ACCOUNTS {
        v.push(deposit(a, USDT, "100000"));
        v.push(deposit(a, BTC, "3"));
        v.push(deposit(a, ETH, "30"));
    }
    v
}

/// One generated step: a concrete command, or a cancel/amend of whatever order is open when the
/// step runs (so that most cancels and amends hit a live order).
#[derive(Debug, Clone)]
pub enum Step {
    Cmd(Command),
    /// Cancel the `pick mod n`-th open order (ascending id over all accounts).
    CancelOpen {
        pick: usize,
        by_cid: bool,
    },
    /// Amend the `pick mod n`-th open order: price moved by `price_off` ticks; quantity mode
    /// 0 = down (keeps priority), 1 = up, 2 = down to the filled quantity (invalid), 3 = unchanged.
    AmendOpen {
        pick: usize,
        by_cid: bool,
        price_off: Option<i64>,
        qty_mode: u8,
        qty_lots: u64,
    },
}

fn dec(mantissa: i64, scale: u32) -> Decimal {
    Decimal::new(mantissa, scale)
}

/// Turn a step into the command it means in the current state.
pub fn resolve(ex: &Exchange, step: &Step) -> Command {
    let (pick, by_cid) = match step {
        Step::Cmd(c) => return c.clone(),
        Step::CancelOpen { pick, by_cid } | Step::AmendOpen { pick, by_cid, .. } => {
            (*pick, *by_cid)
        }
    };
    let open: Vec<OpenOrder> = (1..=ex.account_count())
        .flat_map(|a| ex.open_orders_of(a))
        .collect();
    let Some(o) = (!open.is_empty()).then(|| open[pick % open.len()]) else {
        return cancel(1, pick as OrderId);
    };
    let order = match (by_cid, o.client_order_id) {
        (true, Some(c)) => OrderRef::ClientOrderId(c),
        _ => OrderRef::OrderId(o.id),
    };
    match *step {
        Step::CancelOpen { .. } => Command::CancelOrder {
            account: o.account,
            instrument: o.instrument,
            order,
        },
        Step::AmendOpen {
            price_off,
            qty_mode,
            qty_lots,
            ..
        } => {
            let spec = &ex.config().instruments[o.instrument as usize];
            let lots = match qty_mode {
                0 => Some(o.cum_qty + (o.quantity.saturating_sub(o.cum_qty) / 2).max(1)),
                1 => Some(o.quantity + qty_lots),
                2 => Some(o.cum_qty),
                _ => None,
            };
            Command::AmendOrder {
                account: o.account,
                instrument: o.instrument,
                order,
                price: price_off.map(|off| Decimal::from(o.price.max(1) + off) * spec.tick_size),
                quantity: lots.map(|l| Decimal::from(l) * spec.lot_size),
            }
        }
        Step::Cmd(_) => unreachable!(),
    }
}

/// Price offsets in ticks around the BTC-USDT reference 60000 (±0.1 % = ±6000 ticks band).
fn offset_strategy() -> impl Strategy<Value = i64> {
    prop_oneof![
        10 => -300i64..=300,
        3 => -3000i64..=3000,
        1 => prop_oneof![-8000i64..=-6001, 6001i64..=8000],
    ]
}

fn qty_lots_strategy() -> impl Strategy<Value = i64> {
    prop_oneof![
        10 => 5i64..=400,
        3 => 400i64..=20_000,
    ]
}

fn account_strategy() -> impl Strategy<Value = AccountId> {
    prop_oneof![40 => 1u32..=ACCOUNTS, 1 => Just(0u32), 1 => Just(ACCOUNTS + 1)]
}

fn instrument_strategy() -> impl Strategy<Value = InstrumentId> {
    prop_oneof![30 => Just(BTC_USDT), 3 => Just(ETH_USDT), 1 => Just(2u32)]
}

fn side_strategy() -> impl Strategy<Value = Side> {
    prop_oneof![Just(Side::Buy), Just(Side::Sell)]
}

fn stp_strategy() -> impl Strategy<Value = StpMode> {
    prop_oneof![
        3 => Just(StpMode::None),
        1 => Just(StpMode::ExpireTaker),
        1 => Just(StpMode::ExpireMaker),
        1 => Just(StpMode::ExpireBoth),
    ]
}

fn tif_strategy() -> impl Strategy<Value = TimeInForce> {
    prop_oneof![
        8 => Just(TimeInForce::Gtc),
        1 => Just(TimeInForce::Ioc),
        1 => Just(TimeInForce::Fok),
    ]
}

fn cid_strategy() -> impl Strategy<Value = Option<ClientOrderId>> {
    prop_oneof![2 => Just(None), 3 => (1u64..=8).prop_map(Some)]
}

/// How a generated order is malformed (0 = well formed).
fn defect_strategy() -> impl Strategy<Value = u8> {
    prop_oneof![40 => Just(0u8), 1 => 1u8..=8]
}

fn new_order_strategy() -> impl Strategy<Value = NewOrder> {
    (
        (
            account_strategy(),
            instrument_strategy(),
            side_strategy(),
            0u8..15,
            tif_strategy(),
            defect_strategy(),
        ),
        (
            offset_strategy(),
            qty_lots_strategy(),
            (1i64..=3000, any::<bool>()),
            (1i64..=30_000).prop_map(|u| dec(u, 1)),
            stp_strategy(),
            cid_strategy(),
        ),
    )
        .prop_map(
            |(
                (account, instrument, side, kind, tif, defect),
                (off, lots, (stop_off, stop_wrong), quote, stp, cid),
            )| {
                let eth = instrument == ETH_USDT;
                // ETH-USDT: reference 3000 (300_000 ticks), lot 0.0001; BTC-USDT: 6_000_000, 0.00001.
                let (ref_ticks, lot_scale, off_div) = if eth {
                    (300_000, 4, 20)
                } else {
                    (6_000_000, 5, 1)
                };
                let price = dec(ref_ticks + off / off_div, 2);
                let qty = dec(lots, lot_scale);
                // Stops mostly on the side where they do not trigger at once.
                let sign = match (side, stop_wrong) {
                    (Side::Buy, false) | (Side::Sell, true) => 1,
                    _ => -1,
                };
                let stop = dec(ref_ticks + sign * stop_off / off_div, 2);
                let mut o = NewOrder {
                    account,
                    spec: OrderSpec {
                        instrument,
                        side,
                        order_type: OrderType::Limit,
                        tif,
                        price: None,
                        quantity: None,
                        quote_quantity: None,
                        stop_price: None,
                        post_only: false,
                        stp,
                        client_order_id: cid,
                    },
                };
                match kind {
                    0..=6 => {
                        o.spec.price = Some(price);
                        o.spec.quantity = Some(qty);
                    }
                    7 => {
                        o.spec.price = Some(price);
                        o.spec.quantity = Some(qty);
                        o.spec.post_only = true;
                        o.spec.tif = TimeInForce::Gtc;
                    }
                    8 | 9 => {
                        o.spec.order_type = OrderType::Market;
                        o.spec.quantity = Some(qty);
                    }
                    10 => {
                        o.spec.order_type = OrderType::Market;
                        o.spec.side = Side::Buy;
                        o.spec.quote_quantity = Some(quote);
                    }
                    11 | 12 => {
                        o.spec.order_type = OrderType::StopLimit;
                        o.spec.stop_price = Some(stop);
                        o.spec.price = Some(price);
                        o.spec.quantity = Some(qty);
                    }
                    13 => {
                        o.spec.order_type = OrderType::StopMarket;
                        o.spec.stop_price = Some(stop);
                        o.spec.quantity = Some(qty);
                    }
                    _ => {
                        o.spec.order_type = OrderType::StopMarket;
                        o.spec.side = Side::Buy;
                        o.spec.stop_price = Some(dec(ref_ticks + stop_off / off_div, 2));
                        o.spec.quote_quantity = Some(quote);
                    }
                }
                match defect {
                    0 => {}
                    1 => o.spec.price = Some(dec(60_000_005, 3)), // off the tick grid
                    2 => o.spec.quantity = Some(dec(lots * 10 + 5, lot_scale + 1)), // off the lot grid
                    3 => o.spec.quantity = Some(Decimal::ZERO),
                    4 => o.spec.quote_quantity = Some(dec(1, 9)), // off the asset grid
                    5 => o.spec.price = None,
                    6 => o.spec.stop_price = Some(price),
                    7 => o.spec.post_only = true,
                    _ => o.spec.quantity = Some(d("9000.00001")),
                }
                o
            },
        )
}

fn amount_strategy() -> impl Strategy<Value = Decimal> {
    prop_oneof![
        12 => (1i64..=2_000_000).prop_map(|u| dec(u, 2)),
        1 => (1i64..=9).prop_map(|u| dec(u, 9)),
        1 => Just(Decimal::ZERO),
        1 => Just(dec(i64::MAX, 8)),
    ]
}

/// One random step (any command kind, including malformed ones).
pub fn step_strategy() -> impl Strategy<Value = Step> {
    prop_oneof![
        50 => new_order_strategy().prop_map(|o| Step::Cmd(Command::PlaceOrder(o))),
        3 => (any::<usize>(), any::<bool>()).prop_map(|(pick, by_cid)| Step::CancelOpen { pick, by_cid }),
        8 => (
            any::<usize>(),
            any::<bool>(),
            proptest::option::of(-300i64..=300),
            0u8..4,
            1u64..=500,
        )
            .prop_map(|(pick, by_cid, price_off, qty_mode, qty_lots)| Step::AmendOpen {
                pick,
                by_cid,
                price_off,
                qty_mode,
                qty_lots,
            }),
        2 => (account_strategy(), instrument_strategy(), (1u64..=300).prop_map(OrderRef::OrderId))
            .prop_map(|(account, instrument, order)| Step::Cmd(Command::CancelOrder {
                account,
                instrument,
                order
            })),
        1 => (account_strategy(), proptest::option::of(instrument_strategy()))
            .prop_map(|(account, instrument)| Step::Cmd(Command::CancelAll { account, instrument })),
        3 => (account_strategy(), 0u32..4, amount_strategy()).prop_map(|(account, asset, amount)| {
            Step::Cmd(Command::Deposit { account, asset, amount })
        }),
        2 => (account_strategy(), 0u32..4, amount_strategy()).prop_map(|(account, asset, amount)| {
            Step::Cmd(Command::Withdraw { account, asset, amount })
        }),
        1 => instrument_strategy().prop_map(|instrument| Step::Cmd(Command::Halt { instrument })),
        10 => instrument_strategy().prop_map(|instrument| Step::Cmd(Command::Resume { instrument })),
        // Call auctions: started now and then, uncrossed a few steps later on average.
        1 => instrument_strategy().prop_map(|instrument| Step::Cmd(Command::StartAuction { instrument })),
        3 => instrument_strategy().prop_map(|instrument| Step::Cmd(Command::Uncross { instrument })),
        1 => (proptest::option::of(0u32..3), proptest::option::of(amount_strategy())).prop_map(
            |(max_open_orders, daily_notional_limit)| Step::Cmd(Command::CreateAccount {
                max_open_orders,
                daily_notional_limit,
            })
        ),
    ]
}

/// Time step before a command: mostly small, sometimes a minute or so, sometimes a day (daily
/// limits reset), sometimes backwards (a timestamp regression).
pub fn dt_strategy() -> impl Strategy<Value = i64> {
    prop_oneof![
        40 => 0i64..2_000_000_000,
        3 => 30_000_000_000i64..200_000_000_000,
        1 => Just(DAY as i64),
        1 => Just(-1i64),
    ]
}

/// A scenario: setup plus random `(absolute timestamp, step)` pairs.
pub fn scenario_strategy(len: std::ops::Range<usize>) -> impl Strategy<Value = Vec<(u64, Step)>> {
    proptest::collection::vec((dt_strategy(), step_strategy()), len).prop_map(|steps| {
        let mut ts = 1_700_000_000 * SEC;
        let mut v: Vec<(u64, Step)> = setup_commands()
            .into_iter()
            .map(|c| {
                ts += MS;
                (ts, Step::Cmd(c))
            })
            .collect();
        for (dt, c) in steps {
            ts = (ts as i64 + dt) as u64;
            v.push((ts, c));
        }
        v
    })
}

/// A deterministic scenario from a seed (proptest's generator driven by a fixed-seed RNG).
pub fn seeded_scenario(seed: u64, len: usize) -> Vec<(u64, Step)> {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &bytes);
    let mut runner = TestRunner::new_with_rng(Config::default(), rng);
    scenario_strategy(len..len + 1)
        .new_tree(&mut runner)
        .expect("generate")
        .current()
}

/// Run a scenario on a fresh exchange; returns the exchange, the concrete commands that ran and
/// every event.
pub fn run_scenario(
    cfg: ExchangeConfig,
    steps: &[(u64, Step)],
) -> (Exchange, Vec<(u64, Command)>, Vec<Sequenced>) {
    let mut ex = Exchange::new(cfg).unwrap();
    let mut out = Vec::new();
    let mut cmds = Vec::with_capacity(steps.len());
    for (ts, step) in steps {
        let c = resolve(&ex, step);
        ex.apply(*ts, &c, &mut out);
        cmds.push((*ts, c));
    }
    (ex, cmds, out)
}
