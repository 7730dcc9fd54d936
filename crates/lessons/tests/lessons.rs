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
}

impl Run {
    fn new(l: &Lesson, seed: u64) -> Run {
        let mut sim = Simulation::new(Scenario::preset(&l.scenario).unwrap(), seed).unwrap();
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
        let (mut log, mut events) = (Vec::new(), Vec::new());
        self.sim.submit(
            Command::PlaceOrder(spec.for_account(self.account)),
            &mut log,
            &mut events,
        );
        self.feed(&events);
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
        let (mut log, mut events) = (Vec::new(), Vec::new());
        let cmd = Command::CancelAll {
            account: self.account,
            instrument: Some(self.i),
        };
        self.sim.submit(cmd, &mut log, &mut events);
        self.feed(&events);
    }

    /// Run until `secs` virtual seconds after the market's start.
    fn run_to(&mut self, secs: u64) {
        let (mut log, mut events) = (Vec::new(), Vec::new());
        let t = self.sim.start_ns() + secs * SEC;
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
