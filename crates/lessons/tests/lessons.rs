//! Every built-in lesson played through the real simulation (the worker's engine, natively) with a
//! passing strategy and a failing one: the objective verdicts are asserted both ways, so none can
//! silently become always true or always false. Plus the lesson file checks.

use bourse_core::{
    from_grid, AccountId, Command, Exchange, InstrumentId, OrderSpec, OrderType, Sequenced, Side,
    StpMode, TimeInForce,
};
use bourse_lessons::{passes_over_seeds, Check, Evaluator, Lesson, LessonError, Verdict};
use bourse_sim::{Scenario, Simulation};
use rust_decimal::Decimal;

const SEC: u64 = 1_000_000_000;

fn lesson(id: &str) -> Lesson {
    Lesson::builtin().into_iter().find(|l| l.id == id).unwrap()
}

/// A lesson's market after its warm-up, paused, with the student's account (100,000 USDT, 2 BTC).
struct Run {
    sim: Simulation,
    account: AccountId,
    ev: Evaluator,
    i: InstrumentId,
    /// The lesson's warm-up, ns: the hand-over is `start_ns + warmup_ns`.
    warmup_ns: u64,
}

impl Run {
    fn new(l: &Lesson, seed: u64) -> Run {
        // As the worker builds a lesson's market: the script counts from the hand-over.
        let mut scenario = Scenario::preset(&l.scenario).unwrap();
        scenario.delay_script(bourse_sim::SimDuration(l.warmup_ns));
        let mut sim = Simulation::new(scenario, seed).unwrap();
        let (mut log, mut events) = (Vec::new(), Vec::new());
        sim.run_until(sim.start_ns() + l.warmup_ns, &mut log, &mut events);
        events.clear();
        sim.submit(
            Command::CreateAccount {
                max_open_orders: None,
                daily_notional_limit: None,
            },
            &mut log,
            &mut events,
        );
        let account = sim.exchange().account_count();
        for (asset, amount) in [(2u32, "100000"), (0, "2")] {
            sim.submit(
                Command::Deposit {
                    account,
                    asset,
                    amount: amount.parse().unwrap(),
                },
                &mut log,
                &mut events,
            );
        }
        let ev = Evaluator::new(l.clone(), account, sim.exchange(), sim.now_ns()).unwrap();
        let i = sim
            .exchange()
            .config()
            .instrument_by_symbol(&l.instrument)
            .unwrap();
        Run {
            sim,
            account,
            ev,
            i,
            warmup_ns: l.warmup_ns,
        }
    }

    fn ex(&self) -> &Exchange {
        self.sim.exchange()
    }

    fn feed(&mut self, events: &[Sequenced]) {
        let cfg = self.sim.exchange().config().clone();
        self.ev.on_events(&cfg, events);
        let now = self.sim.now_ns();
        self.ev.on_state(self.sim.exchange(), now);
    }

    /// `(best bid, best ask)` in ticks.
    fn l1(&self) -> (i64, i64) {
        let b = self.ex().book_ticker(self.i).unwrap();
        (b.bid.unwrap().0, b.ask.unwrap().0)
    }

    fn price(&self, ticks: i64) -> Decimal {
        from_grid(
            ticks,
            self.ex().config().instruments[self.i as usize].tick_size,
        )
    }

    fn order(
        &mut self,
        side: Side,
        t: OrderType,
        tif: TimeInForce,
        price: Option<i64>,
        qty: &str,
        post_only: bool,
    ) {
        self.order_stp(side, t, tif, price, qty, post_only, StpMode::None);
    }

    #[allow(clippy::too_many_arguments)]
    fn order_stp(
        &mut self,
        side: Side,
        t: OrderType,
        tif: TimeInForce,
        price: Option<i64>,
        qty: &str,
        post_only: bool,
        stp: StpMode,
    ) {
        let spec = OrderSpec {
            instrument: self.i,
            side,
            order_type: t,
            tif,
            price: price.map(|p| self.price(p)),
            quantity: Some(qty.parse().unwrap()),
            quote_quantity: None,
            stop_price: None,
            post_only,
            stp,
            client_order_id: None,
        };
        let cmd = Command::PlaceOrder(spec.for_account(self.account));
        self.submit(cmd);
    }

    /// Let the market run for up to `secs` virtual seconds, looking after every second; stops
    /// early when `done` holds.
    fn run(&mut self, secs: u64, done: impl Fn(&Evaluator) -> bool) {
        for _ in 0..secs {
            let (mut log, mut events) = (Vec::new(), Vec::new());
            let t = self.sim.now_ns() + SEC;
            self.sim.run_until(t, &mut log, &mut events);
            self.feed(&events);
            if done(&self.ev) {
                return;
            }
        }
    }

    fn cancel_all(&mut self) {
        let cmd = Command::CancelAll {
            account: self.account,
            instrument: Some(self.i),
        };
        self.submit(cmd);
    }

    /// Send one of the student's commands at the current virtual time and feed its events.
    fn submit(&mut self, cmd: Command) {
        let (mut log, mut events) = (Vec::new(), Vec::new());
        self.sim.submit(cmd, &mut log, &mut events);
        self.feed(&events);
    }

    /// Run until `secs` virtual seconds of the scenario's script, which counts from the
    /// hand-over as in the worker (the warm-up is `start_ns` + `warmup_ns`).
    fn run_to(&mut self, secs: u64) {
        let (mut log, mut events) = (Vec::new(), Vec::new());
        let t = self.sim.start_ns() + self.warmup_ns + secs * SEC;
        self.sim.run_until(t, &mut log, &mut events);
        self.feed(&events);
    }

    fn finish(mut self) -> Vec<Verdict> {
        let now = self.sim.now_ns();
        self.ev.finish(self.sim.exchange(), now);
        self.ev.verdicts().to_vec()
    }
}

use Verdict::{Failed, Met};

#[test]
fn builtin_lessons_are_valid_and_every_file_is_listed() {
    let scenarios = Scenario::preset_names();
    let files = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/lessons"))
        .unwrap()
        .count();
    let all = Lesson::builtin();
    assert_eq!(
        all.len(),
        files,
        "every lessons/*.json is in Lesson::builtin, and parses"
    );
    for l in &all {
        let json = serde_json::to_string(l).unwrap();
        assert_eq!(&Lesson::from_json(&json, scenarios).unwrap(), l);
    }
}

#[test]
fn a_bad_lesson_names_its_field() {
    let base = serde_json::to_value(lesson("book-anatomy")).unwrap();
    let with = |path: &[&str], v: serde_json::Value| {
        let mut j = base.clone();
        let mut cur = &mut j;
        for p in &path[..path.len() - 1] {
            cur = match p.parse::<usize>() {
                Ok(k) => &mut cur[k],
                Err(_) => &mut cur[*p],
            };
        }
        cur[path[path.len() - 1]] = v;
        Lesson::from_json(&j.to_string(), Scenario::preset_names()).unwrap_err()
    };
    let field = |e: LessonError| match e {
        LessonError::Field { field, .. } => field,
        other => panic!("{other}"),
    };
    assert_eq!(field(with(&["scenario"], "stormy".into())), "scenario");
    assert_eq!(field(with(&["pass_on"], 4.into())), "pass_on");
    assert_eq!(field(with(&["seeds"], serde_json::json!([]))), "seeds");
    assert_eq!(field(with(&["id"], "Book Anatomy".into())), "id");
    assert_eq!(
        field(with(&["objectives", "1", "check", "ticks"], 0.into())),
        "objectives[1].check.ticks"
    );
    assert_eq!(
        field(with(&["objectives", "1", "id"], "best-bid".into())),
        "objectives[1].id"
    );
    match with(&["colour"], "red".into()) {
        LessonError::Json(m) => assert!(m.contains("unknown field `colour`"), "{m}"),
        other => panic!("{other}"),
    }
    match with(&["objectives", "0", "check", "kind"], "telepathy".into()) {
        LessonError::Json(m) => assert!(m.contains("unknown variant `telepathy`"), "{m}"),
        other => panic!("{other}"),
    }
}

#[test]
fn book_anatomy_passes_a_post_only_bid_inside_the_spread_and_fails_a_cross_or_a_far_bid() {
    let l = lesson("book-anatomy");
    let mut passed = Vec::new();
    for &seed in &l.seeds {
        let mut r = Run::new(&l, seed);
        let (_, ask) = r.l1();
        r.order(
            Side::Buy,
            OrderType::Limit,
            TimeInForce::Gtc,
            Some(ask - 1),
            "0.001",
            true,
        );
        let v = r.finish();
        assert_eq!(v, [Met, Met, Met], "seed {seed}");
        passed.push(v.iter().all(|x| *x == Met));
    }
    assert!(passes_over_seeds(&l, &passed));

    // Crossing the spread trades: "no-trade" fails at once and stays failed.
    let mut r = Run::new(&l, 7);
    let (_, ask) = r.l1();
    r.order(
        Side::Buy,
        OrderType::Limit,
        TimeInForce::Gtc,
        Some(ask + 5),
        "0.001",
        false,
    );
    assert_eq!(r.ev.verdicts()[2], Failed);
    let v = r.finish();
    assert_eq!(v[2], Failed);
    // A bid far below the best bid is not the best bid and leaves the spread wide.
    let mut r = Run::new(&l, 7);
    let (bid, ask) = r.l1();
    assert!(
        ask - bid > 2,
        "the warmed-up market's spread is wider than 2 ticks ({bid}, {ask})"
    );
    r.order(
        Side::Buy,
        OrderType::Limit,
        TimeInForce::Gtc,
        Some(bid - 100),
        "0.001",
        false,
    );
    assert_eq!(r.finish(), [Failed, Failed, Met]);
    assert!(!passes_over_seeds(&l, &[true, false, false]));
}

#[test]
fn queue_priority_passes_by_waiting_at_the_best_bid_and_fails_by_taking() {
    let l = lesson("queue-priority");
    let mut passed = Vec::new();
    for &seed in &l.seeds {
        let mut r = Run::new(&l, seed);
        let (bid, _) = r.l1();
        r.order(
            Side::Buy,
            OrderType::Limit,
            TimeInForce::Gtc,
            Some(bid),
            "0.001",
            true,
        );
        r.run(1800, |e| e.verdicts()[1] == Met);
        let v = r.finish();
        passed.push(v == [Met, Met, Met]);
    }
    assert!(passes_over_seeds(&l, &passed), "{passed:?}");

    // The front of the queue is seen in the book itself: alone at a new best bid, the order is
    // first at once; behind others at the best bid, with no time to move up, it is not.
    let mut r = Run::new(&l, 7);
    let (bid, ask) = r.l1();
    assert!(ask - bid > 1);
    r.order(
        Side::Buy,
        OrderType::Limit,
        TimeInForce::Gtc,
        Some(bid + 1),
        "0.001",
        true,
    );
    assert_eq!(r.ev.verdicts()[0], Met);
    let mut r = Run::new(&l, 7);
    let (bid, _) = r.l1();
    r.order(
        Side::Buy,
        OrderType::Limit,
        TimeInForce::Gtc,
        Some(bid),
        "0.001",
        true,
    );
    assert_eq!(
        r.ev.verdicts()[0],
        Verdict::Open,
        "others were at the best bid first"
    );
    assert_eq!(r.finish(), [Failed, Failed, Met]);

    let mut r = Run::new(&l, 7);
    r.order(
        Side::Buy,
        OrderType::Market,
        TimeInForce::Ioc,
        None,
        "0.001",
        false,
    );
    r.run(60, |_| false);
    let v = r.finish();
    assert_eq!((v[1], v[2]), (Failed, Failed), "{v:?}");
}

#[test]
fn maker_or_taker_passes_all_four_order_behaviours_and_fails_an_ioc_only_run() {
    let l = lesson("maker-or-taker");
    let mut passed = Vec::new();
    for &seed in &l.seeds {
        let mut r = Run::new(&l, seed);
        let (bid, ask) = r.l1();
        let ask_size = r.ex().book_ticker(r.i).unwrap().ask.unwrap().1;
        let lot = r.ex().config().instruments[r.i as usize].lot_size;
        let more = (Decimal::from(ask_size + 1_000) * lot).to_string();
        r.order(
            Side::Buy,
            OrderType::Limit,
            TimeInForce::Fok,
            Some(ask),
            &more,
            false,
        );
        r.order(
            Side::Buy,
            OrderType::Limit,
            TimeInForce::Gtc,
            Some(ask),
            "0.001",
            true,
        );
        r.order(
            Side::Buy,
            OrderType::Limit,
            TimeInForce::Ioc,
            Some(ask),
            "0.001",
            false,
        );
        r.order(
            Side::Buy,
            OrderType::Limit,
            TimeInForce::Gtc,
            Some(bid),
            "0.001",
            true,
        );
        r.run(1800, |e| e.verdicts()[0] == Met);
        let v = r.finish();
        assert_eq!(&v[1..], [Met, Met, Met], "seed {seed}");
        passed.push(v.iter().all(|x| *x == Met));
    }
    assert!(passes_over_seeds(&l, &passed), "{passed:?}");

    let mut r = Run::new(&l, 11);
    let (_, ask) = r.l1();
    r.order(
        Side::Buy,
        OrderType::Limit,
        TimeInForce::Ioc,
        Some(ask),
        "0.001",
        false,
    );
    assert_eq!(r.finish(), [Failed, Met, Failed, Failed]);
}

#[test]
fn check_kinds_round_trip_as_documented() {
    let c: Check =
        serde_json::from_str(r#"{"kind": "fill", "liquidity": "MAKER", "at_least": 2}"#).unwrap();
    assert_eq!(
        c,
        Check::Fill {
            liquidity: Some(bourse_core::Liquidity::Maker),
            at_least: 2
        }
    );
    let c: Check = serde_json::from_str(r#"{"kind": "no_fills"}"#).unwrap();
    assert_eq!(c, Check::NoFills { liquidity: None });
    assert!(
        serde_json::from_str::<Check>(r#"{"kind": "fill"}"#).is_err(),
        "at_least is required"
    );
}

#[test]
fn halts_and_bands_passes_the_four_behaviours_and_fails_a_plain_trade() {
    let l = lesson("halts-and-bands");
    let mut passed = Vec::new();
    for &seed in &l.seeds {
        let mut r = Run::new(&l, seed);
        let (bid, ask) = r.l1();
        // A fat finger: 30 % above the market, outside the 20 % band.
        r.order(
            Side::Buy,
            OrderType::Limit,
            TimeInForce::Gtc,
            Some(ask * 13 / 10),
            "0.001",
            false,
        );
        r.order(
            Side::Buy,
            OrderType::Limit,
            TimeInForce::Gtc,
            Some(bid - 50_000),
            "0.001",
            false,
        );
        r.run_to(200);
        assert!(r.ex().is_halted(r.i), "the script halts at 3 minutes");
        let (bid, _) = r.l1();
        r.order(
            Side::Buy,
            OrderType::Limit,
            TimeInForce::Gtc,
            Some(bid),
            "0.001",
            false,
        );
        r.cancel_all();
        r.run_to(310);
        assert!(!r.ex().is_halted(r.i), "resumed at 5 minutes");
        let (_, ask) = r.l1();
        r.order(
            Side::Buy,
            OrderType::Limit,
            TimeInForce::Ioc,
            Some(ask),
            "0.001",
            false,
        );
        let v = r.finish();
        assert_eq!(v, [Met, Met, Met, Met], "seed {seed}");
        passed.push(true);
    }
    assert!(passes_over_seeds(&l, &passed));

    let mut r = Run::new(&l, 7);
    let (_, ask) = r.l1();
    r.order(
        Side::Buy,
        OrderType::Limit,
        TimeInForce::Ioc,
        Some(ask),
        "0.001",
        false,
    );
    assert_eq!(r.finish(), [Failed, Failed, Failed, Met]);
}

#[test]
fn self_trade_prevention_passes_with_expire_taker_and_fails_a_wash_trade() {
    let l = lesson("self-trade-prevention");
    for &seed in &l.seeds {
        for stp in [
            StpMode::ExpireTaker,
            StpMode::ExpireMaker,
            StpMode::ExpireBoth,
        ] {
            let mut r = Run::new(&l, seed);
            let (bid, ask) = r.l1();
            assert!(ask - bid > 1, "seed {seed}: room inside the spread");
            // Alone at a new best ask, then a buy at that price meets only the student's sell.
            r.order(
                Side::Sell,
                OrderType::Limit,
                TimeInForce::Gtc,
                Some(ask - 1),
                "0.001",
                false,
            );
            r.order_stp(
                Side::Buy,
                OrderType::Limit,
                TimeInForce::Gtc,
                Some(ask - 1),
                "0.001",
                false,
                stp,
            );
            assert_eq!(r.finish(), [Met, Met], "seed {seed} {stp:?}");
        }
    }
    let mut r = Run::new(&l, 7);
    let (_, ask) = r.l1();
    r.order(
        Side::Sell,
        OrderType::Limit,
        TimeInForce::Gtc,
        Some(ask - 1),
        "0.001",
        false,
    );
    r.order(
        Side::Buy,
        OrderType::Limit,
        TimeInForce::Gtc,
        Some(ask - 1),
        "0.001",
        false,
    );
    assert_eq!(r.ev.verdicts()[1], Failed, "the wash trade fails at once");
    assert_eq!(r.finish(), [Failed, Failed]);
}

// ---- measured lessons: slippage, VWAP, market making, markouts, stops ----

impl Run {
    /// Best bid and ask with their sizes: `((bid ticks, bid lots), (ask ticks, ask lots))`.
    fn l1_sizes(&self) -> ((i64, i64), (i64, i64)) {
        let b = self.ex().book_ticker(self.i).unwrap();
        let (bid, ask) = (b.bid.unwrap(), b.ask.unwrap());
        ((bid.0, bid.1 as i64), (ask.0, ask.1 as i64))
    }

    fn lots(&self, lots: i64) -> String {
        from_grid(
            lots,
            self.ex().config().instruments[self.i as usize].lot_size,
        )
        .to_string()
    }

    fn stop(&mut self, t: OrderType, stop: i64, limit: Option<i64>, qty: &str) {
        let spec = OrderSpec {
            instrument: self.i,
            side: Side::Sell,
            order_type: t,
            tif: TimeInForce::Gtc,
            price: limit.map(|p| self.price(p)),
            quantity: Some(qty.parse().unwrap()),
            quote_quantity: None,
            stop_price: Some(self.price(stop)),
            post_only: false,
            stp: StpMode::None,
            client_order_id: None,
        };
        let cmd = Command::PlaceOrder(spec.for_account(self.account));
        self.submit(cmd);
    }

    /// The student's base change since the start, lots.
    fn bought_lots(&self) -> i64 {
        let m = self.ev.metrics(self.ex());
        let lot = self.ex().config().instruments[self.i as usize].lot_size;
        let g = |d: Decimal| bourse_core::to_grid(d, lot).unwrap();
        g(m.bought) - g(m.sold)
    }

    fn finish_with_metrics(mut self) -> (Vec<Verdict>, bourse_lessons::Metrics) {
        let now = self.sim.now_ns();
        self.ev.finish(self.sim.exchange(), now);
        (
            self.ev.verdicts().to_vec(),
            self.ev.metrics(self.sim.exchange()),
        )
    }
}

/// Walking the book, sliced: IOC buys at the best ask no larger than its size, 3 s apart.
fn buy_in_slices(r: &mut Run, total_lots: i64) {
    for _ in 0..200 {
        let left = total_lots - r.bought_lots();
        if left <= 0 {
            break;
        }
        let (_, (ask, ask_lots)) = r.l1_sizes();
        let q = r.lots(left.min(ask_lots));
        r.order(
            Side::Buy,
            OrderType::Limit,
            TimeInForce::Ioc,
            Some(ask),
            &q,
            false,
        );
        r.run(3, |_| false);
    }
}

#[test]
fn walking_the_book_passes_in_slices_and_fails_one_market_order() {
    let l = lesson("walking-the-book");
    let mut passed = Vec::new();
    for &seed in &l.seeds {
        // Slices no larger than the best ask, 3 s apart: about 0.2 bps (measured 0.19–0.28).
        let mut r = Run::new(&l, seed);
        buy_in_slices(&mut r, 100_000);
        let (v, m) = r.finish_with_metrics();
        assert_eq!(v, [Met, Met], "seed {seed}: {m:?}");
        assert!(m.taker_fills >= 10, "{m:?}");
        passed.push(true);
        // One 1 BTC market order walks the book: 2.1–3.8 bps.
        let mut r = Run::new(&l, seed);
        r.order(
            Side::Buy,
            OrderType::Market,
            TimeInForce::Ioc,
            None,
            "1",
            false,
        );
        let (v, m) = r.finish_with_metrics();
        assert_eq!(v, [Met, Failed], "seed {seed}: {m:?}");
        assert!(m.slippage_bps.unwrap() > Decimal::ONE, "{m:?}");
    }
    assert!(passes_over_seeds(&l, &passed));
    // Buying too little fails the quantity, and no taker fill at all fails the slippage too.
    let mut r = Run::new(&l, 7);
    buy_in_slices(&mut r, 20_000);
    assert_eq!(r.finish(), [Failed, Met]);
    let r = Run::new(&l, 7);
    assert_eq!(r.finish(), [Failed, Failed]);
}

#[test]
fn vwap_deadline_passes_resting_slices_on_two_seeds_and_fails_one_early_market_order() {
    let l = lesson("vwap-deadline");
    let (mut passive, mut market) = (Vec::new(), Vec::new());
    for &seed in &l.seeds {
        // Eleven 0.025 BTC post-only bids at the best bid, 10 s each, the rest taken at 110 s.
        let mut r = Run::new(&l, seed);
        for _ in 0..11 {
            let ((bid, _), _) = r.l1_sizes();
            r.cancel_all();
            r.order(
                Side::Buy,
                OrderType::Limit,
                TimeInForce::Gtc,
                Some(bid),
                "0.025",
                true,
            );
            r.run(10, |_| false);
        }
        r.cancel_all();
        let left = 30_000 - r.bought_lots();
        if left > 0 {
            let q = r.lots(left);
            r.order(
                Side::Buy,
                OrderType::Market,
                TimeInForce::Ioc,
                None,
                &q,
                false,
            );
        }
        r.run(15, |_| false);
        let (v, m) = r.finish_with_metrics();
        assert!(m.maker_fills > 0 && m.bought == Decimal::new(3, 1), "{m:?}");
        passive.push(v == [Met]);
        // The whole 0.3 BTC in one market order at the start.
        let mut r = Run::new(&l, seed);
        r.order(
            Side::Buy,
            OrderType::Market,
            TimeInForce::Ioc,
            None,
            "0.3",
            false,
        );
        r.run(125, |_| false);
        let (v, _) = r.finish_with_metrics();
        market.push(v == [Met]);
    }
    // Measured (hand-checked against the printed VWAPs): resting beats the market's VWAP on
    // seeds 7 and 13 and misses by 0.08 bps on 11; the market order misses by 1.8 and 0.4 bps
    // on 7 and 11 and beats it on 13 (its own trades are most of the window's volume).
    assert_eq!(passive, [true, false, true]);
    assert_eq!(market, [false, false, true]);
    assert!(passes_over_seeds(&l, &passive));
    assert!(!passes_over_seeds(&l, &market));
    // Too little bought by the deadline fails, judged at the deadline.
    let mut r = Run::new(&l, 7);
    r.order(
        Side::Buy,
        OrderType::Market,
        TimeInForce::Ioc,
        None,
        "0.1",
        false,
    );
    r.run(121, |_| false);
    assert_eq!(r.ev.verdicts(), [Failed]);
}

/// Quote one lot size `q` at (best bid − `off`, best ask + `off`) ticks every `every` seconds for
/// `secs`, skipping the side that would push the position past `max_lots`.
fn make_market(r: &mut Run, off: i64, q: &str, every: u64, secs: u64, max_lots: i64) {
    for _ in 0..secs / every {
        r.cancel_all();
        let ((bid, _), (ask, _)) = r.l1_sizes();
        let pos = r.bought_lots();
        if pos < max_lots {
            r.order(
                Side::Buy,
                OrderType::Limit,
                TimeInForce::Gtc,
                Some(bid - off),
                q,
                true,
            );
        }
        if pos > -max_lots {
            r.order(
                Side::Sell,
                OrderType::Limit,
                TimeInForce::Gtc,
                Some(ask + off),
                q,
                true,
            );
        }
        r.run(every, |_| false);
    }
}

#[test]
fn market_making_passes_small_fresh_quotes_and_fails_stale_or_large_ones() {
    let l = lesson("market-making");
    for &seed in &l.seeds {
        // 0.01 BTC at the touch, re-quoted every second for 3 minutes: uptime 60.5–82.8 %,
        // P&L −23 to −28 USDT (fees 23–28), inventory within 0.05 BTC.
        let mut r = Run::new(&l, seed);
        make_market(&mut r, 0, "0.01", 1, 180, 5_000);
        let (v, m) = r.finish_with_metrics();
        assert_eq!(v, [Met, Met, Met, Met], "seed {seed}: {m:?}");
        // P&L is its parts: spread + inventory − fees (all in USDT).
        assert_eq!(m.pnl, m.pnl_spread + m.pnl_inventory - m.fees, "{m:?}");
        // Quoted once and left: the market walks away (uptime 0.5–2.2 %), too few fills.
        let mut r = Run::new(&l, seed);
        make_market(&mut r, 0, "0.01", 180, 180, 5_000);
        let (v, m) = r.finish_with_metrics();
        assert_eq!(v, [Failed, Met, Met, Failed], "seed {seed}: {m:?}");
        // 0.1 BTC quotes with no inventory limit: the position runs past 0.2 BTC and the fees
        // past 35 USDT.
        let mut r = Run::new(&l, seed);
        make_market(&mut r, 0, "0.1", 1, 180, 1_000_000);
        let (v, m) = r.finish_with_metrics();
        assert_eq!(v, [Met, Failed, Failed, Met], "seed {seed}: {m:?}");
    }
}

#[test]
fn adverse_selection_passes_fresh_quotes_and_fails_quotes_left_far_away() {
    let l = lesson("adverse-selection");
    let (mut fresh, mut far) = (Vec::new(), Vec::new());
    for &seed in &l.seeds {
        let mut r = Run::new(&l, seed);
        make_market(&mut r, 0, "0.01", 2, 240, 5_000);
        r.cancel_all();
        r.run(10, |_| false);
        let (v, m) = r.finish_with_metrics();
        assert!(m.markout_fills >= 10, "{m:?}");
        fresh.push(v == [Met, Met]);
        // 30 USDT (3000 ticks) away: fills only in runs, markouts −7 to −22 bps.
        let mut r = Run::new(&l, seed);
        make_market(&mut r, 3000, "0.01", 2, 240, 5_000);
        r.cancel_all();
        r.run(10, |_| false);
        let (v, m) = r.finish_with_metrics();
        assert_eq!(v, [Met, Failed], "seed {seed}: {m:?}");
        assert!(m.markout_bps.unwrap() < Decimal::from(-5), "{m:?}");
        far.push(false);
    }
    // Fresh quotes: +0.11 and −0.11 bps on seeds 7 and 11, −2.54 on 13.
    assert_eq!(fresh, [true, true, false]);
    assert!(passes_over_seeds(&l, &fresh));
    assert!(!passes_over_seeds(&l, &far));
    // No fills: both fail.
    assert_eq!(Run::new(&l, 7).finish(), [Failed, Failed]);
}

#[test]
fn stop_orders_pass_when_both_stops_trigger_and_fail_when_set_too_far_or_when_panic_selling() {
    let l = lesson("stop-orders");
    for &seed in &l.seeds {
        let mut r = Run::new(&l, seed);
        let ((bid, _), (ask, _)) = r.l1_sizes();
        let s = (bid + ask) / 2 * 995 / 1000;
        r.stop(OrderType::StopMarket, s, None, "0.1");
        r.stop(OrderType::StopLimit, s, Some(s), "0.1");
        r.run_to(320);
        let (v, m) = r.finish_with_metrics();
        assert_eq!(v, [Met, Met, Met], "seed {seed}: {m:?}");
        // What happened (from the execution reports, printed once by hand): the stop-market
        // triggered in the sweep's first slice, found no bid and expired (NO_LIQUIDITY); the
        // stop-limit rested at its limit and sold 0.1 BTC there.
        assert_eq!(m.sold, Decimal::new(1, 1), "{m:?}");
        assert!(m.maker_fills >= 1 && m.taker_fills == 0, "{m:?}");
        // Stops 20 % below never trigger.
        let mut r = Run::new(&l, seed);
        let s = (bid + ask) / 2 * 800 / 1000;
        r.stop(OrderType::StopMarket, s, None, "0.1");
        r.stop(OrderType::StopLimit, s, Some(s), "0.1");
        r.run_to(320);
        assert_eq!(r.finish(), [Failed, Failed, Met], "seed {seed}");
    }
    // Panic: one market sell of 1 BTC after the crash, once the market maker is back (during
    // the sweep a market sell finds no bid and expires).
    let mut r = Run::new(&l, 7);
    r.run_to(305);
    r.order(
        Side::Sell,
        OrderType::Market,
        TimeInForce::Ioc,
        None,
        "1",
        false,
    );
    assert_eq!(r.finish(), [Failed, Failed, Failed]);
}

#[test]
fn call_auction_passes_a_bid_above_the_indicative_price_and_fails_one_below_it() {
    let l = lesson("call-auction");
    let mut pass = Vec::new();
    let mut fail = Vec::new();
    for &seed in &l.seeds {
        // Passing: 30 s into the auction, a market buy (refused), then a limit buy 300 USDT
        // (30,000 ticks, 0.5 %) above the indicative price; run past the uncross. (100 USDT was
        // not enough on seed 11: the indicative rose past it, 60,057.84 -> about 60,159, as the
        // agents' marketable buys at +0.3 % arrived.)
        let mut r = Run::new(&l, seed);
        r.run_to(90);
        assert_eq!(
            r.ex().trading_phase(r.i),
            bourse_core::TradingPhase::Auction
        );
        r.order(
            Side::Buy,
            OrderType::Market,
            TimeInForce::Gtc,
            None,
            "0.01",
            false,
        );
        let p = r
            .ex()
            .indicative_uncross(r.i)
            .and_then(|i| i.price)
            .expect("the agents' orders cross 30 s into the auction");
        r.order(
            Side::Buy,
            OrderType::Limit,
            TimeInForce::Gtc,
            Some(p + 30_000),
            "0.01",
            false,
        );
        r.run_to(200);
        assert_eq!(
            r.ex().trading_phase(r.i),
            bourse_core::TradingPhase::Continuous
        );
        let v = r.finish();
        assert_eq!(v, vec![Met, Met, Met], "seed {seed}");
        pass.push(v.iter().all(|x| *x == Met));
        // Failing: a limit buy 200 USDT below the indicative price that misses the uncross, and
        // a market buy after it (continuous trading again): no uncross fill, no refusal.
        let mut r = Run::new(&l, seed);
        r.run_to(90);
        let p = r
            .ex()
            .indicative_uncross(r.i)
            .and_then(|i| i.price)
            .unwrap();
        r.order(
            Side::Buy,
            OrderType::Limit,
            TimeInForce::Gtc,
            Some(p - 20_000),
            "0.01",
            false,
        );
        r.run_to(200);
        r.order(
            Side::Buy,
            OrderType::Market,
            TimeInForce::Gtc,
            None,
            "0.01",
            false,
        );
        let v = r.finish();
        assert_eq!(v[0], Failed, "seed {seed}: no market order was refused");
        assert_eq!(v[1], Failed, "seed {seed}: nothing filled in the uncross");
        fail.push(v.iter().all(|x| *x == Met));
    }
    assert!(passes_over_seeds(&l, &pass));
    assert!(!passes_over_seeds(&l, &fail));
}
