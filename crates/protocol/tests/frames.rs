//! `FrameBuilder` on a real simulation: 30 s of the `calm` preset, a frame every simulated 100 ms,
//! checked against independent computations from the exchange's queries and the event stream.

use bourse_core::{
    AccountId, Balance, BookTicker, Candle, Command, Event, Exchange, Interval, Lots, NewOrder,
    OrderSpec, OrderType, Sequenced, Side, StpMode, Ticker24h, Ticks, TimeInForce,
};
use bourse_protocol::*;
use bourse_sim::{Scenario, Simulation};
use rust_decimal::Decimal;
use std::collections::BTreeMap;

const MS: u64 = 1_000_000;

/// What a page keeps: the frames' snapshots applied one after the other.
#[derive(Default)]
struct Page {
    depth: Option<Depth>,
    l1: Option<BookTicker>,
    ticker: Option<Ticker24h>,
    open_orders: Option<OpenOrders>,
    l3: Option<L3Queue>,
    balances: BTreeMap<u32, (u64, u64)>,
    candles: BTreeMap<u64, Candle>,
    executions: Vec<ExecutionPrint>,
    trades: Vec<TradePrint>,
}

impl Page {
    fn apply(&mut self, f: &Frame) {
        if f.full {
            assert!(f.depth.is_some() && f.l1.is_some() && f.ticker.is_some());
            assert!(f.open_orders.is_some());
            assert_eq!(f.l3.is_some(), f.subscription.l3_level.is_some());
        }
        if let Some(d) = &f.depth {
            self.depth = Some(d.clone());
        }
        if let Some(x) = f.l1 {
            self.l1 = Some(x);
        }
        if let Some(x) = f.ticker {
            self.ticker = Some(x);
        }
        if let Some(x) = &f.open_orders {
            self.open_orders = Some(x.clone());
        }
        if let Some(x) = &f.l3 {
            self.l3 = Some(x.clone());
        }
        for b in &f.balances {
            self.balances.insert(b.asset, (b.available, b.locked));
        }
        for c in &f.candles {
            self.candles.insert(c.open_time_ns, *c);
        }
        self.executions.extend(f.executions.iter().cloned());
        self.trades.extend(f.trades.iter().copied());
    }
}

/// Grouped depth computed independently from the full ungrouped snapshot.
fn expected_depth(ex: &Exchange, human: AccountId, sub: &Subscription) -> Depth {
    let g = sub.grouping_ticks as Ticks;
    let snap = ex.depth(sub.instrument, usize::MAX).unwrap();
    let book = ex.book(sub.instrument).unwrap();
    let mut own: BTreeMap<(bool, Ticks), Lots> = BTreeMap::new();
    for o in ex.open_orders_of(human) {
        if o.instrument != sub.instrument || o.pending_stop {
            continue;
        }
        let r = book.order(o.id).unwrap();
        let bucket = match r.side {
            Side::Buy => r.price / g * g,
            Side::Sell => (r.price + g - 1) / g * g,
        };
        *own.entry((r.side == Side::Buy, bucket)).or_default() += r.qty;
    }
    let mut bids: BTreeMap<Ticks, Lots> = BTreeMap::new();
    for &(p, q) in &snap.bids {
        *bids.entry(p / g * g).or_default() += q;
    }
    let mut asks: BTreeMap<Ticks, Lots> = BTreeMap::new();
    for &(p, q) in &snap.asks {
        *asks.entry((p + g - 1) / g * g).or_default() += q;
    }
    let rows = sub.depth_levels as usize;
    let row = |buy: bool, (&price, &qty): (&Ticks, &Lots)| L2Row {
        price,
        qty,
        own: own.get(&(buy, price)).copied().unwrap_or(0),
    };
    Depth {
        grouping_ticks: sub.grouping_ticks,
        bids: bids.iter().rev().take(rows).map(|e| row(true, e)).collect(),
        asks: asks.iter().take(rows).map(|e| row(false, e)).collect(),
    }
}

fn dec_ticks(ticks: Ticks) -> Decimal {
    Decimal::new(ticks, 2) // BTC-USDT tick 0.01
}

struct Client {
    builder: FrameBuilder,
    page: Page,
    /// Trades of the subscribed instrument emitted since the last frame (independent record).
    pending_trades: Vec<TradePrint>,
    /// The human's execution reports emitted since the last frame.
    pending_execs: Vec<ExecutionPrint>,
    frames: u64,
    json_bytes: Vec<usize>,
    bin_bytes: Vec<usize>,
}

impl Client {
    fn new(human: AccountId, sub: Subscription) -> Self {
        Client {
            builder: FrameBuilder::new(human, sub),
            page: Page::default(),
            pending_trades: vec![],
            pending_execs: vec![],
            frames: 0,
            json_bytes: vec![],
            bin_bytes: vec![],
        }
    }

    fn feed(&mut self, events: &[Sequenced]) {
        self.builder.on_events(events);
        let sub = *self.builder.subscription();
        let human = self.builder.human_account();
        for e in events {
            match &e.event {
                Event::Trade(t) if t.instrument == sub.instrument => {
                    self.pending_trades.push(TradePrint {
                        ts_ns: e.ts_ns,
                        seq: e.seq,
                        trade: *t,
                    })
                }
                Event::Execution(r) if r.account == human => {
                    self.pending_execs.push(ExecutionPrint {
                        ts_ns: e.ts_ns,
                        seq: e.seq,
                        input_seq: e.input_seq,
                        report: r.clone(),
                    })
                }
                _ => {}
            }
        }
    }

    /// Take a frame, check it against the exchange, round-trip it through both encodings.
    fn frame(&mut self, sim: &Simulation, state: &SimState) -> Frame {
        let ex = sim.exchange();
        let now = sim.now_ns();
        let f = self.builder.take_frame(ex, now, state);
        self.frames += 1;
        let sub = f.subscription;
        let human = self.builder.human_account();

        // Header.
        assert_eq!(f.frame_no, self.frames);
        assert_eq!(f.clock_ns, now);
        assert_eq!(f.last_output_seq + 1, ex.next_output_seq());
        assert_eq!(f.last_input_seq + 1, ex.next_input_seq());
        assert_eq!(f.event_digest, ex.event_digest());
        assert_eq!(&f.sim, state);

        // Bounds.
        assert!(f.trades.len() <= MAX_FRAME_TRADES);
        assert!(f.candles.len() <= MAX_FRAME_CANDLES);
        assert!(f.executions.len() <= MAX_FRAME_EXECUTIONS);
        if let Some(d) = &f.depth {
            assert!(d.bids.len() <= sub.depth_levels as usize);
            assert!(d.asks.len() <= sub.depth_levels as usize);
        }
        if let Some(q) = &f.l3 {
            assert!(q.orders.len() <= MAX_L3_ORDERS);
        }

        // Trades: exactly those emitted since the previous frame (the newest when some dropped).
        let sent = std::mem::take(&mut self.pending_trades);
        let keep = sent.len().min(MAX_FRAME_TRADES);
        assert_eq!(f.trades_dropped as usize, sent.len() - keep);
        assert_eq!(f.trades, sent[sent.len() - keep..]);
        let execs = std::mem::take(&mut self.pending_execs);
        let keep = execs.len().min(MAX_FRAME_EXECUTIONS);
        assert_eq!(f.executions_dropped as usize, execs.len() - keep);
        assert_eq!(f.executions, execs[execs.len() - keep..]);

        // Encodings.
        let bin = encode_frame(&f);
        assert_eq!(decode_frame(&bin).unwrap(), f);
        let json = encode_server(&ServerMessage::Frame(Box::new(f.clone())));
        assert_eq!(
            decode_server(&json).unwrap(),
            ServerMessage::Frame(Box::new(f.clone()))
        );
        self.bin_bytes.push(bin.len());
        self.json_bytes.push(json.len());

        // The page's state after applying the frame equals the exchange's.
        self.page.apply(&f);
        let depth = self.page.depth.as_ref().unwrap();
        assert_eq!(
            depth,
            &expected_depth(ex, human, &sub),
            "frame {}",
            f.frame_no
        );
        assert!(depth.bids.windows(2).all(|w| w[0].price > w[1].price));
        assert!(depth.asks.windows(2).all(|w| w[0].price < w[1].price));
        if let (Some(b), Some(a)) = (depth.bids.first(), depth.asks.first()) {
            assert!(b.price < a.price, "crossed: {b:?} {a:?}");
        }
        let g = sub.grouping_ticks as Ticks;
        assert!(depth
            .bids
            .iter()
            .chain(&depth.asks)
            .all(|r| r.price % g == 0 && r.own <= r.qty));
        assert_eq!(self.page.l1, ex.book_ticker(sub.instrument));
        assert_eq!(self.page.ticker, ex.ticker_24h(sub.instrument, now));
        let open = self.page.open_orders.as_ref().unwrap();
        assert_eq!(open.orders, ex.open_orders_of(human));
        for (&asset, &(available, locked)) in &self.page.balances {
            assert_eq!(
                ex.balance(human, asset),
                Some(Balance { available, locked })
            );
        }
        if let Some((side, price)) = sub.l3_level {
            let q = self.page.l3.as_ref().unwrap();
            let book = ex.book(sub.instrument).unwrap().queue(side, price);
            assert_eq!(q.orders.len(), book.len());
            for (a, b) in q.orders.iter().zip(&book) {
                assert_eq!((a.id, a.qty, a.own), (b.id, b.qty, b.owner == human));
            }
        }
        // The page's candles end with the exchange's current candle.
        let current = ex.candles(sub.instrument, sub.candle_interval, now, 1);
        if let Some(c) = current.first() {
            assert_eq!(self.page.candles.values().next_back(), Some(c));
        }
        f
    }
}

fn submit(
    sim: &mut Simulation,
    cmd: Command,
    log: &mut Vec<bourse_core::SequencedCommand>,
    events: &mut Vec<Sequenced>,
) -> u64 {
    sim.submit(cmd, log, events)
}

#[test]
fn frames_follow_a_real_simulation() {
    let mut sim = Simulation::new(Scenario::preset("calm").unwrap(), 7).unwrap();
    let (mut log, mut events) = (Vec::new(), Vec::new());
    // The human: an account with funds, like the worker would create.
    submit(
        &mut sim,
        Command::CreateAccount {
            max_open_orders: None,
            daily_notional_limit: None,
        },
        &mut log,
        &mut events,
    );
    let human = events
        .iter()
        .rev()
        .find_map(|e| match e.event {
            Event::AccountCreated { account } => Some(account),
            _ => None,
        })
        .unwrap();
    for (asset, amount) in [(0, "2"), (2, "200000")] {
        submit(
            &mut sim,
            Command::Deposit {
                account: human,
                asset,
                amount: amount.parse().unwrap(),
            },
            &mut log,
            &mut events,
        );
    }
    let state = SimState {
        playing: true,
        speed: Speed::Max,
        scenario: "calm".into(),
        seed: 7,
        steps: 0,
    };
    let sub = |g: u32, interval, rows| Subscription {
        instrument: 0,
        depth_levels: rows,
        grouping_ticks: g,
        candle_interval: interval,
        l3_level: None,
    };
    let mut clients = vec![
        Client::new(human, sub(1, Interval::S1, 20)),
        Client::new(human, sub(10, Interval::M1, 10)),
        Client::new(human, sub(100, Interval::S1, MAX_DEPTH_LEVELS)),
    ];
    // One that never asks for a frame until the end: its buffers must stay bounded.
    let mut lazy = Client::new(human, sub(1, Interval::S1, 5));
    let mut fed = 0;
    let start = sim.now_ns();
    let mut own_order: Option<(Ticks, Lots)> = None;
    let mut saw_own = [false; 3];
    let mut total_trades = 0;
    for k in 1..=300u64 {
        sim.run_until(start + k * 100 * MS, &mut log, &mut events);
        if k == 50 || k == 150 {
            // The human joins the bid two ticks below the best bid, and later offers above.
            let bb = sim.exchange().book(0).unwrap().best_bid().unwrap().0;
            let ba = sim.exchange().book(0).unwrap().best_ask().unwrap().0;
            let (side, price) = if k == 50 {
                (Side::Buy, bb - 2)
            } else {
                (Side::Sell, ba + 3)
            };
            let order = NewOrder {
                account: human,
                spec: OrderSpec {
                    instrument: 0,
                    side,
                    order_type: OrderType::Limit,
                    tif: TimeInForce::Gtc,
                    price: Some(dec_ticks(price)),
                    quantity: Some("0.01".parse().unwrap()),
                    quote_quantity: None,
                    stop_price: None,
                    post_only: false,
                    stp: StpMode::None,
                    client_order_id: None,
                },
            };
            submit(&mut sim, Command::PlaceOrder(order), &mut log, &mut events);
            own_order = Some((price, 1000));
            // One client watches that level's queue from now on.
            let mut s = *clients[0].builder.subscription();
            s.l3_level = Some((side, price));
            clients[0].builder.subscribe(s);
        }
        for c in clients.iter_mut().chain([&mut lazy]) {
            c.feed(&events[fed..]);
        }
        total_trades += events[fed..]
            .iter()
            .filter(|e| matches!(e.event, Event::Trade(t) if t.instrument == 0))
            .count();
        fed = events.len();
        for (i, c) in clients.iter_mut().enumerate() {
            let f = c.frame(&sim, &state);
            if let (Some((price, _)), Some(d)) =
                (own_order.filter(|_| k == 50 || k == 150), &c.page.depth)
            {
                // Right after placing: the human's quantity shows at its (grouped) level.
                let g = f.subscription.grouping_ticks as Ticks;
                let (rows, bucket) = if k == 50 {
                    (&d.bids, price / g * g)
                } else {
                    (&d.asks, (price + g - 1) / g * g)
                };
                let row = rows
                    .iter()
                    .find(|r| r.price == bucket)
                    .expect("own level shown");
                assert!(row.own >= 1000, "client {i}: {row:?}");
                saw_own[i] = true;
                if i == 0 {
                    let q = f.l3.as_ref().expect("new L3 subscription is sent");
                    assert!(q.orders.iter().any(|o| o.own && o.qty == 1000));
                    assert!(f.full);
                }
            }
        }
    }
    assert!(saw_own.iter().all(|&s| s));
    // The run is busy enough to exercise everything: trades, deep books, the human's fills.
    assert!(total_trades > 50, "{total_trades} trades");
    for c in &clients {
        let d = c.page.depth.as_ref().unwrap();
        let rows = c.builder.subscription().depth_levels.min(10) as usize;
        assert!(d.bids.len() >= rows && d.asks.len() >= rows, "{d:?}");
    }
    println!(
        "{total_trades} trades, {} human execution reports",
        clients[0].page.executions.len()
    );
    assert!(!clients[0].page.executions.is_empty());

    // The lazy client: one frame for 30 s of trading.
    let f = lazy.frame(&sim, &state);
    assert_eq!(f.frame_no, 1);
    assert_eq!(f.trades.len(), total_trades.min(MAX_FRAME_TRADES));
    assert_eq!(
        f.trades_dropped as usize,
        total_trades.saturating_sub(MAX_FRAME_TRADES)
    );
    assert_eq!(lazy.page.depth.as_ref().unwrap().bids.len(), 5);

    // Frames after pausing carry nothing new (only the header and clock).
    let paused = SimState {
        playing: false,
        ..state.clone()
    };
    for c in &mut clients {
        c.frame(&sim, &paused);
        let f = c.frame(&sim, &paused);
        assert!(f.depth.is_none() && f.l1.is_none() && f.ticker.is_none() && f.l3.is_none());
        assert!(f.trades.is_empty() && f.candles.is_empty() && f.executions.is_empty());
        assert!(f.balances.is_empty() && f.open_orders.is_none());
    }

    // After the run the page's candle history matches the exchange's.
    let c = &clients[0];
    let n = c.page.candles.len();
    let ex_candles = sim.exchange().candles(0, Interval::S1, sim.now_ns(), n);
    let page_candles: Vec<Candle> = c.page.candles.values().copied().collect();
    assert_eq!(page_candles, ex_candles);

    // Sizes (visible with --nocapture).
    println!("frame sizes over {} frames (bytes):", clients[0].frames);
    for (c, name) in clients.iter().zip(["g1/20", "g10/10", "g100/100"]) {
        let stats = |v: &[usize]| {
            let sum: usize = v.iter().sum();
            format!(
                "first {:>6} mean {:>6} max {:>6}",
                v[0],
                sum / v.len(),
                v.iter().max().unwrap()
            )
        };
        println!("  {name:<9} postcard: {}", stats(&c.bin_bytes));
        println!("  {name:<9} JSON:     {}", stats(&c.json_bytes));
    }
}

#[test]
fn grouping_rounds_bids_down_and_asks_up() {
    assert_eq!(bucket_price(Side::Buy, 12_345, 100), 12_300);
    assert_eq!(bucket_price(Side::Sell, 12_345, 100), 12_400);
    assert_eq!(bucket_price(Side::Sell, 12_300, 100), 12_300);
    assert_eq!(bucket_price(Side::Buy, 12_345, 1), 12_345);
    assert_eq!(bucket_price(Side::Buy, -5, 10), -10);
    assert_eq!(bucket_price(Side::Sell, -5, 10), 0);
    let rows = group_levels(
        Side::Buy,
        [
            (1009, 1),
            (1001, 2),
            (1000, 3),
            (999, 4),
            (990, 5),
            (985, 6),
        ],
        10,
        2,
        &[(1005, 1), (995, 4), (980, 9)],
    );
    assert_eq!(
        rows,
        vec![
            L2Row {
                price: 1000,
                qty: 6,
                own: 1
            },
            L2Row {
                price: 990,
                qty: 9,
                own: 4
            }
        ]
    );
    let rows = group_levels(Side::Sell, [(1001, 1), (1010, 2), (1011, 3)], 10, 5, &[]);
    assert_eq!(
        rows.iter().map(|r| (r.price, r.qty)).collect::<Vec<_>>(),
        vec![(1010, 3), (1020, 3)]
    );
}

#[test]
fn buffers_stay_bounded_between_rare_frames() {
    let mut sim = Simulation::new(Scenario::preset("calm").unwrap(), 3).unwrap();
    let (mut log, mut events) = (Vec::new(), Vec::new());
    sim.submit(
        Command::CreateAccount {
            max_open_orders: None,
            daily_notional_limit: None,
        },
        &mut log,
        &mut events,
    );
    let human = sim.exchange().account_count();
    sim.submit(
        Command::Deposit {
            account: human,
            asset: 2,
            amount: "100000".parse().unwrap(),
        },
        &mut log,
        &mut events,
    );
    let state = SimState::default();
    let mut c = Client::new(
        human,
        Subscription {
            candle_interval: Interval::S1,
            ..Subscription::new(0)
        },
    );
    let start = sim.now_ns();
    sim.run_until(start + 10 * 1_000 * MS, &mut log, &mut events);
    c.feed(&events);
    let mut fed = events.len();
    let first = c.frame(&sim, &state);
    assert_eq!(first.candles.len(), 1);
    assert!(first.full);

    // Five minutes of trading and 300 IOC orders far below the market (each: NEW + EXPIRED).
    let mut trades = 0;
    let mut reports = 0;
    for k in 1..=300u64 {
        sim.run_until(start + (10 + k) * 1_000 * MS, &mut log, &mut events);
        let order = NewOrder {
            account: human,
            spec: OrderSpec {
                instrument: 0,
                side: Side::Buy,
                order_type: OrderType::Limit,
                tif: TimeInForce::Ioc,
                price: Some(dec_ticks(5_000_000)),
                quantity: Some("0.001".parse().unwrap()),
                quote_quantity: None,
                stop_price: None,
                post_only: false,
                stp: StpMode::None,
                client_order_id: Some(u64::MAX - k),
            },
        };
        sim.submit(Command::PlaceOrder(order), &mut log, &mut events);
        c.feed(&events[fed..]);
        for e in &events[fed..] {
            match &e.event {
                Event::Trade(t) if t.instrument == 0 => trades += 1,
                Event::Execution(r) if r.account == human => reports += 1,
                _ => {}
            }
        }
        fed = events.len();
    }
    assert!(trades > MAX_FRAME_TRADES, "{trades} trades");
    assert!(reports > MAX_FRAME_EXECUTIONS, "{reports} reports");
    // `Client::frame` checks the kept trades and reports are the newest and the counts add up.
    let f = c.frame(&sim, &state);
    assert_eq!(f.trades.len(), MAX_FRAME_TRADES);
    assert_eq!(f.trades_dropped as usize, trades - MAX_FRAME_TRADES);
    assert_eq!(f.executions.len(), MAX_FRAME_EXECUTIONS);
    assert_eq!(
        f.executions_dropped as usize,
        reports - MAX_FRAME_EXECUTIONS
    );
    // 300 one-second candles changed; the newest 64 are sent, the rest counted.
    assert_eq!(f.candles.len(), MAX_FRAME_CANDLES);
    assert_eq!(f.candles_dropped, 301 - MAX_FRAME_CANDLES as u64);
    assert_eq!(
        f.candles,
        sim.exchange()
            .candles(0, Interval::S1, sim.now_ns(), MAX_FRAME_CANDLES)
    );
    assert!(!f.full);
}
