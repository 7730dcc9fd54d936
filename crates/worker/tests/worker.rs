//! Native tests of the worker's brain: handshake, the human's orders, the virtual clock, bounds
//! and determinism.

use bourse_core::OrderSpec;
use bourse_core::{
    from_grid, to_grid, unit_step, ExecType, Interval, Lots, OrderType, Reason, Side, StpMode,
    Ticks, TimeInForce,
};
use bourse_protocol::{
    encode_frame, ClientMessage, ClientRequest, Frame, RejectReason, ServerMessage, SimControl,
    Speed, Subscription, PROTOCOL_VERSION,
};
use bourse_worker::{HumanDeposit, WorkerState, MAX_STEPS_PER_ADVANCE};

const SECOND: u64 = 1_000_000_000;

fn req(client_seq: u64, message: ClientMessage) -> ClientRequest {
    ClientRequest {
        client_seq,
        message,
    }
}

/// A worker on `calm` after the handshake.
fn started(seed: u64) -> WorkerState {
    let mut w = WorkerState::new("calm", seed, None).unwrap();
    let out = w.handle(req(
        1,
        ClientMessage::Hello {
            version: PROTOCOL_VERSION,
            market: None,
            login: None,
        },
    ));
    assert!(matches!(out.as_slice(), [ServerMessage::Ready { .. }]));
    w
}

fn ack(out: &[ServerMessage], seq: u64) {
    assert!(
        matches!(out, [ServerMessage::Ack { client_seq, .. }] if *client_seq == seq),
        "expected Ack for {seq}, got {out:?}"
    );
}

fn sim(w: &mut WorkerState, seq: u64, c: SimControl) {
    let out = w.handle(req(seq, ClientMessage::Sim(c)));
    ack(&out, seq);
}

fn frame(w: &mut WorkerState, seq: u64) -> Frame {
    match w.handle(req(seq, ClientMessage::RequestFrame)).as_slice() {
        [ServerMessage::Frame(f)] => (**f).clone(),
        other => panic!("expected a frame, got {other:?}"),
    }
}

/// Play `secs` virtual seconds at 1× in 100 ms ticks, then pause, so the book has both sides.
fn warm(w: &mut WorkerState, secs: u64) {
    sim(w, 100, SimControl::Play);
    for _ in 0..secs * 10 {
        w.advance(SECOND / 10);
    }
    sim(w, 101, SimControl::Pause);
    let l1 = w.exchange().book_ticker(0).unwrap();
    assert!(l1.bid.is_some() && l1.ask.is_some(), "book not two-sided");
}

fn limit(side: Side, w: &WorkerState, price: Ticks, lots: Lots, tif: TimeInForce) -> OrderSpec {
    let spec = &w.exchange().config().instruments[0];
    OrderSpec {
        instrument: 0,
        side,
        order_type: OrderType::Limit,
        tif,
        price: Some(from_grid(price, spec.tick_size)),
        quantity: Some(from_grid(lots as i64, spec.lot_size)),
        quote_quantity: None,
        stop_price: None,
        post_only: false,
        stp: StpMode::None,
        client_order_id: None,
    }
}

#[test]
fn ready_is_first_and_carries_version_config_and_funded_human() {
    let mut w = WorkerState::new("calm", 7, None).unwrap();
    // Nothing but Hello before the handshake.
    let out = w.handle(req(1, ClientMessage::RequestFrame));
    assert!(matches!(
        out.as_slice(),
        [ServerMessage::Rejected {
            client_seq: Some(1),
            reason: RejectReason::HelloRequired,
            ..
        }]
    ));
    let out = w.handle(req(
        2,
        ClientMessage::Hello {
            version: PROTOCOL_VERSION,
            market: None,
            login: None,
        },
    ));
    let [ServerMessage::Ready {
        version,
        config,
        human_account,
        scenarios,
        sim,
        market,
        session,
    }] = out.as_slice()
    else {
        panic!("expected Ready, got {out:?}");
    };
    assert_eq!(
        *session, None,
        "the worker's page is the only user: no shared session"
    );
    assert_eq!(*version, PROTOCOL_VERSION);
    assert_eq!(config, w.exchange().config());
    assert_eq!(*human_account, w.human_account());
    assert!(scenarios
        .iter()
        .any(|s| s.name == "calm" && !s.description.is_empty()));
    assert_eq!(market.handover_ns, w.now_ns());
    assert_eq!(market.live_instruments, vec![0, 1]);
    assert!(!sim.playing);
    assert_eq!(sim.scenario, "calm");
    assert_eq!(sim.seed, 7);
    assert_eq!(out[0], w.ready());
    // Funded with 100,000 USDT and 2 BTC.
    let ins = &config.instruments[config.instrument_by_symbol("BTC-USDT").unwrap() as usize];
    let coin = |asset: u32| 10u64.pow(config.assets[asset as usize].decimals);
    let ex = w.exchange();
    assert_eq!(
        ex.balance(*human_account, ins.quote).unwrap().available,
        100_000 * coin(ins.quote)
    );
    assert_eq!(
        ex.balance(*human_account, ins.base).unwrap().available,
        2 * coin(ins.base)
    );
    // The first frame is full and lists the balances.
    let f = frame(&mut w, 3);
    assert!(f.full && f.depth.is_some() && f.open_orders.is_some());
    assert!(f
        .balances
        .iter()
        .any(|b| b.asset == ins.quote && b.available == 100_000 * coin(ins.quote)));
}

#[test]
fn custom_deposits_are_credited() {
    let w = WorkerState::new(
        "calm",
        1,
        Some(vec![HumanDeposit {
            asset: 2,
            units: 12_345,
        }]),
    )
    .unwrap();
    assert_eq!(
        w.exchange()
            .balance(w.human_account(), 2)
            .unwrap()
            .available,
        12_345
    );
    assert_eq!(
        w.exchange()
            .balance(w.human_account(), 0)
            .unwrap()
            .available,
        0
    );
    assert!(WorkerState::new("no-such-scenario", 1, None).is_err());
}

#[test]
fn wrong_version_hello_is_rejected_clearly() {
    let mut w = WorkerState::new("calm", 1, None).unwrap();
    let out = w.handle(req(
        1,
        ClientMessage::Hello {
            version: PROTOCOL_VERSION + 1,
            market: None,
            login: None,
        },
    ));
    let [ServerMessage::Rejected {
        reason: RejectReason::UnsupportedVersion,
        message,
        ..
    }] = out.as_slice()
    else {
        panic!("expected Rejected, got {out:?}");
    };
    assert!(
        message.contains(&format!("version {}", PROTOCOL_VERSION + 1)),
        "{message}"
    );
    assert!(
        message.contains(&format!("version {PROTOCOL_VERSION}")),
        "{message}"
    );
    assert!(!w.handshake_done());
}

#[test]
fn resting_limit_order_is_acked_and_shows_in_next_frame() {
    let mut w = started(11);
    warm(&mut w, 5);
    frame(&mut w, 2);
    let (bid, _) = w.exchange().book_ticker(0).unwrap().bid.unwrap();
    let price = bid - 100;
    let o = limit(Side::Buy, &w, price, 100, TimeInForce::Gtc);
    let out = w.handle(req(3, ClientMessage::PlaceOrder(o)));
    let [ServerMessage::Ack {
        client_seq: 3,
        input_seq: Some(input_seq),
    }] = out.as_slice()
    else {
        panic!("expected Ack, got {out:?}");
    };
    let f = frame(&mut w, 4);
    assert_eq!(f.last_input_seq, *input_seq);
    let depth = f.depth.expect("depth changed");
    let row = depth.bids.iter().find(|r| r.price == price).expect("row");
    assert_eq!(row.own, 100);
    assert!(row.qty >= 100);
    let oo = f.open_orders.expect("open orders changed");
    assert_eq!(oo.orders.len(), 1);
    let o = &oo.orders[0];
    assert_eq!(
        (o.account, o.price, o.quantity, o.side),
        (w.human_account(), price, 100, Side::Buy)
    );
    assert!(f
        .executions
        .iter()
        .any(|r| r.report.exec_type == ExecType::New && r.report.order_id == o.id));
}

#[test]
fn crossing_order_fills_and_balances_move_by_fill_plus_fee() {
    let mut w = started(12);
    warm(&mut w, 5);
    frame(&mut w, 2);
    let human = w.human_account();
    let cfg = w.exchange().config().clone();
    let spec = &cfg.instruments[0];
    let quote_before = w.exchange().balance(human, spec.quote).unwrap();
    let base_before = w.exchange().balance(human, spec.base).unwrap();
    let (ask, ask_qty) = w.exchange().book_ticker(0).unwrap().ask.unwrap();
    let lots = ask_qty.min(100);
    let o = limit(Side::Buy, &w, ask, lots, TimeInForce::Ioc);
    ack(&w.handle(req(3, ClientMessage::PlaceOrder(o))), 3);
    let f = frame(&mut w, 4);

    // Independent grid arithmetic from the configuration's decimals.
    let quote_step = unit_step(cfg.assets[spec.quote as usize].decimals);
    let base_step = unit_step(cfg.assets[spec.base as usize].decimals);
    let per_tick_lot = to_grid(spec.tick_size * spec.lot_size, quote_step).unwrap() as u128;
    let base_per_lot = to_grid(spec.lot_size, base_step).unwrap() as u64;
    let fills: Vec<_> = f
        .executions
        .iter()
        .filter(|r| r.report.exec_type == ExecType::Trade)
        .collect();
    assert!(!fills.is_empty(), "no fill: {:?}", f.executions);
    let (mut spent, mut got) = (0u64, 0u64);
    for r in &fills {
        assert_eq!(r.report.last_price, ask);
        let notional = r.report.last_price as u128 * r.report.last_qty as u128 * per_tick_lot;
        let fee = notional * spec.taker_fee_ppm as u128 / 1_000_000;
        assert_eq!(r.report.last_quote as u128, notional);
        assert_eq!(r.report.fee as u128, fee);
        spent += (notional + fee) as u64;
        got += r.report.last_qty * base_per_lot;
    }
    assert_eq!(fills.iter().map(|r| r.report.last_qty).sum::<u64>(), lots);
    let quote_after = w.exchange().balance(human, spec.quote).unwrap();
    let base_after = w.exchange().balance(human, spec.base).unwrap();
    assert_eq!(quote_after.available, quote_before.available - spent);
    assert_eq!(base_after.available, base_before.available + got);
    assert_eq!((quote_after.locked, base_after.locked), (0, 0));
    // The frame carries the same balances.
    let b = f.balances.iter().find(|b| b.asset == spec.quote).unwrap();
    assert_eq!(b.available, quote_after.available);
}

#[test]
fn pause_then_step_advances_exactly_n_steps_and_nothing_else() {
    let mut w = started(13);
    warm(&mut w, 2);
    // A reference copy of the simulation, stepped by hand.
    let mut reference = w.simulation().clone();
    let (mut log, mut events) = (Vec::new(), Vec::new());
    for _ in 0..37 {
        assert!(reference.step(&mut log, &mut events));
    }
    let steps = w.sim_steps();
    sim(&mut w, 2, SimControl::Step { steps: 37 });
    assert_eq!(w.sim_steps(), steps + 37);
    assert_eq!(w.now_ns(), reference.now_ns());
    assert_eq!(
        w.exchange().event_digest(),
        reference.exchange().event_digest()
    );
    assert_eq!(
        w.exchange().next_input_seq(),
        reference.exchange().next_input_seq()
    );
    let f = frame(&mut w, 3);
    assert_eq!(f.last_input_seq, reference.exchange().next_input_seq() - 1);

    // Paused: advancing the clock does nothing.
    let (now, digest) = (w.now_ns(), w.exchange().event_digest());
    assert_eq!(w.advance(10 * SECOND), 0);
    assert_eq!((w.now_ns(), w.exchange().event_digest()), (now, digest));

    // Step is refused while playing and for 0 steps.
    for (seq, steps, play) in [(4, 0, false), (5, 1, true)] {
        if play {
            sim(&mut w, 50, SimControl::Play);
        }
        let out = w.handle(req(seq, ClientMessage::Sim(SimControl::Step { steps })));
        assert!(matches!(
            out.as_slice(),
            [ServerMessage::Rejected {
                reason: RejectReason::InvalidRequest,
                ..
            }]
        ));
    }
}

#[test]
fn advance_is_bounded_at_every_speed() {
    let mut w = started(14);
    w.set_check_every_command(false);
    sim(&mut w, 2, SimControl::Speed(Speed::Max));
    sim(&mut w, 3, SimControl::Play);
    let before = w.sim_steps();
    let n = w.advance(SECOND / 60);
    // The scenario has far more than this many wake-ups left: the budget is what stops the call.
    assert_eq!(n, MAX_STEPS_PER_ADVANCE);
    assert_eq!(w.sim_steps() - before, n);
    assert!(w.simulation().next_wake_ns().is_some());
    // A huge wall-clock gap at 100× is bounded too, and virtual time lags instead of jumping.
    sim(&mut w, 4, SimControl::Speed(Speed::X100));
    let (before, now) = (w.sim_steps(), w.now_ns());
    let n = w.advance(u64::MAX / 2);
    assert!(n <= MAX_STEPS_PER_ADVANCE);
    assert_eq!(w.sim_steps() - before, n);
    assert!(w.now_ns() >= now);
    // 1×: one second of wall time is one second of virtual time.
    sim(&mut w, 5, SimControl::Speed(Speed::X1));
    let now = w.now_ns();
    w.advance(SECOND);
    assert_eq!(w.now_ns(), now + SECOND);
}

#[test]
fn off_tick_price_is_rejected_with_the_core_reason() {
    let mut w = started(15);
    let mut o = limit(Side::Buy, &w, 6_000_000, 100, TimeInForce::Gtc);
    o.price = Some("60000.005".parse().unwrap());
    let out = w.handle(req(2, ClientMessage::PlaceOrder(o)));
    assert!(
        matches!(
            out.as_slice(),
            [ServerMessage::Rejected {
                client_seq: Some(2),
                reason: RejectReason::Exchange(Reason::PriceNotOnTick),
                ..
            }]
        ),
        "{out:?}"
    );
}

#[test]
fn subscribe_reset_and_candle_history() {
    let mut w = started(16);
    warm(&mut w, 3);
    frame(&mut w, 2);
    let mut sub = Subscription::new(0);
    sub.depth_levels = 0;
    let out = w.handle(req(3, ClientMessage::Subscribe(sub)));
    assert!(matches!(
        out.as_slice(),
        [ServerMessage::Rejected {
            reason: RejectReason::InvalidSubscription,
            ..
        }]
    ));
    sub.depth_levels = 5;
    sub.grouping_ticks = 10;
    ack(&w.handle(req(4, ClientMessage::Subscribe(sub))), 4);
    let f = frame(&mut w, 5);
    assert!(f.full);
    let d = f.depth.unwrap();
    assert!(d.bids.len() <= 5 && d.grouping_ticks == 10);

    let out = w.handle(req(
        6,
        ClientMessage::CandleHistory {
            instrument: 0,
            interval: Interval::S1,
            limit: 10,
        },
    ));
    let [ServerMessage::CandleHistory { candles, .. }] = out.as_slice() else {
        panic!("{out:?}");
    };
    assert!(!candles.is_empty() && candles.len() <= 10);

    let out = w.handle(req(
        7,
        ClientMessage::Sim(SimControl::Reset {
            scenario: "nope".into(),
            seed: 1,
            warmup_ns: 0,
        }),
    ));
    assert!(matches!(
        out.as_slice(),
        [ServerMessage::Rejected {
            reason: RejectReason::UnknownScenario,
            ..
        }]
    ));
    sim(&mut w, 8, SimControl::Play);
    let out = w.handle(req(
        9,
        ClientMessage::Sim(SimControl::Reset {
            scenario: "volatile".into(),
            seed: 3,
            warmup_ns: 0,
        }),
    ));
    assert!(matches!(
        out.as_slice(),
        [
            ServerMessage::Ack { client_seq: 9, .. },
            ServerMessage::Ready { .. }
        ]
    ));
    assert!(!w.is_playing());
    let f = frame(&mut w, 10);
    assert!(f.full && f.sim.scenario == "volatile" && f.sim.seed == 3);
    assert_eq!(*w.subscription(), sub);
}

/// A fixed script of requests and timer ticks; returns the event digest and every frame's bytes.
fn scripted_run(seed: u64) -> (u64, Vec<Vec<u8>>) {
    let mut w = started(seed);
    w.set_check_every_command(false);
    let mut frames = Vec::new();
    sim(&mut w, 2, SimControl::Speed(Speed::X10));
    sim(&mut w, 3, SimControl::Play);
    for i in 0..20u64 {
        w.advance(SECOND / 20 + i * 1_000_000);
        frames.push(encode_frame(&frame(&mut w, 100 + i)));
    }
    let (bid, _) = w.exchange().book_ticker(0).unwrap().bid.unwrap();
    let o = limit(Side::Buy, &w, bid, 50, TimeInForce::Gtc);
    w.handle(req(4, ClientMessage::PlaceOrder(o)));
    sim(&mut w, 5, SimControl::Speed(Speed::Max));
    w.advance(SECOND / 60);
    frames.push(encode_frame(&frame(&mut w, 200)));
    sim(&mut w, 6, SimControl::Pause);
    sim(&mut w, 7, SimControl::Step { steps: 25 });
    w.handle(req(8, ClientMessage::CancelAll { instrument: None }));
    frames.push(encode_frame(&frame(&mut w, 201)));
    (w.exchange().event_digest(), frames)
}

#[test]
fn same_scenario_seed_and_calls_give_the_same_digest() {
    let a = scripted_run(99);
    let b = scripted_run(99);
    assert_eq!(a.0, b.0);
    assert_eq!(a.1, b.1);
    assert_ne!(scripted_run(100).0, a.0);
}

// FastForward runs exactly what playing for the same virtual time runs: same clock, same number
// of simulation events, same event digest; it keeps the play state and refuses out-of-range
// requests without changing anything.
#[test]
fn fast_forward_equals_playing_for_the_same_time() {
    let ten_min = 600 * SECOND;
    let mut a = started(31);
    let t0 = a.now_ns();
    sim(
        &mut a,
        2,
        SimControl::FastForward {
            virtual_ns: ten_min,
        },
    );
    assert!(!a.is_playing());
    assert_eq!(a.now_ns(), t0 + ten_min);
    assert!(a.sim_steps() > 100, "only {} steps", a.sim_steps());

    let mut b = started(31);
    sim(&mut b, 2, SimControl::Speed(Speed::X10));
    sim(&mut b, 3, SimControl::Play);
    for _ in 0..600 {
        b.advance(SECOND / 10); // 1 virtual second each at 10×
    }
    sim(&mut b, 4, SimControl::Pause);
    assert_eq!(b.now_ns(), a.now_ns());
    assert_eq!(b.sim_steps(), a.sim_steps());
    assert_eq!(b.exchange().event_digest(), a.exchange().event_digest());
    assert_eq!(b.exchange().state_digest(), a.exchange().state_digest());

    let before = (a.now_ns(), a.sim_steps(), a.exchange().event_digest());
    for bad in [0, bourse_protocol::MAX_FAST_FORWARD_NS + 1] {
        let out = a.handle(req(
            9,
            ClientMessage::Sim(SimControl::FastForward { virtual_ns: bad }),
        ));
        assert!(
            matches!(
                out.as_slice(),
                [ServerMessage::Rejected {
                    reason: RejectReason::InvalidRequest,
                    ..
                }]
            ),
            "{out:?}"
        );
    }
    assert_eq!(
        before,
        (a.now_ns(), a.sim_steps(), a.exchange().event_digest())
    );
    // Playing state is kept.
    sim(&mut a, 10, SimControl::Play);
    sim(&mut a, 11, SimControl::FastForward { virtual_ns: SECOND });
    assert!(a.is_playing());
}

/// A `Hello` naming a market builds it before `Ready`: the warm-up has run (the clock is at
/// start + warm-up, paused) and the scenario's script counts from the hand-over, so the `halt`
/// preset's halt "3 minutes in" happens 3 minutes after the hand-over, not during the warm-up.
#[test]
fn hello_with_a_market_warms_it_up_and_delays_the_script() {
    const MINUTE: u64 = 60 * SECOND;
    let warmup = 15 * MINUTE;
    let mut w = WorkerState::new("calm", 1, None).unwrap();
    let out = w.handle(req(
        1,
        ClientMessage::Hello {
            version: PROTOCOL_VERSION,
            market: Some(bourse_protocol::MarketStart {
                scenario: "halt".into(),
                seed: 9,
                warmup_ns: warmup,
            }),
            login: None,
        },
    ));
    let [ServerMessage::Ready { sim, market, .. }] = out.as_slice() else {
        panic!("expected Ready, got {out:?}");
    };
    let start = w.simulation().start_ns();
    assert_eq!(
        (sim.scenario.as_str(), sim.seed, sim.playing),
        ("halt", 9, false)
    );
    assert_eq!(market.warmup_ns, warmup);
    assert_eq!(market.handover_ns, start + warmup);
    assert_eq!(w.now_ns(), start + warmup);
    assert!(
        w.sim_steps() > 1000,
        "the warm-up ran: {} steps",
        w.sim_steps()
    );
    // The script: halt at hand-over + 3 min, resume at + 5 min, both on BTC-USDT (instrument 0).
    let at: Vec<(u64, &str, Option<u32>)> = market
        .script
        .iter()
        .map(|s| {
            (
                s.at_ns - market.handover_ns,
                s.action.as_str(),
                s.instrument,
            )
        })
        .collect();
    assert_eq!(
        at,
        vec![
            (3 * MINUTE, "halt", Some(0)),
            (5 * MINUTE, "resume", Some(0))
        ]
    );
    assert_eq!(market.script[0].text, "trading halted in BTC-USDT");
    // Not halted at the hand-over (the warm-up is longer than 3 minutes); halted 3 minutes later,
    // ETH-USDT still trading; resumed after 5.
    assert!(!w.exchange().is_halted(0));
    sim_play_for(&mut w, 3 * MINUTE + SECOND);
    assert!(w.exchange().is_halted(0));
    assert!(!w.exchange().is_halted(1));
    sim_play_for(&mut w, 2 * MINUTE);
    assert!(!w.exchange().is_halted(0));
    // The same Hello again changes nothing (no second build).
    let steps = w.sim_steps();
    let again = w.handle(req(
        2,
        ClientMessage::Hello {
            version: PROTOCOL_VERSION,
            market: Some(bourse_protocol::MarketStart {
                scenario: "halt".into(),
                seed: 9,
                warmup_ns: warmup,
            }),
            login: None,
        },
    ));
    assert!(matches!(again.as_slice(), [ServerMessage::Ready { .. }]));
    assert_eq!(w.sim_steps(), steps);
    // An unknown scenario or a warm-up above the bound is refused, and the market is kept.
    for (scenario, warmup_ns, reason) in [
        ("nope", 0, RejectReason::UnknownScenario),
        (
            "calm",
            bourse_protocol::MAX_FAST_FORWARD_NS + 1,
            RejectReason::InvalidRequest,
        ),
    ] {
        let out = w.handle(req(
            3,
            ClientMessage::Hello {
                version: PROTOCOL_VERSION,
                market: Some(bourse_protocol::MarketStart {
                    scenario: scenario.into(),
                    seed: 1,
                    warmup_ns,
                }),
                login: None,
            },
        ));
        assert!(
            matches!(out.as_slice(), [ServerMessage::Rejected { reason: r, .. }] if *r == reason),
            "{out:?}"
        );
        assert_eq!(w.sim_steps(), steps);
    }
}

/// Play at 1× for `ns` of virtual time, in 100 ms ticks, then pause.
fn sim_play_for(w: &mut WorkerState, ns: u64) {
    sim(w, 900, SimControl::Play);
    let tick = SECOND / 10;
    for _ in 0..ns.div_ceil(tick) {
        w.advance(tick);
    }
    sim(w, 901, SimControl::Pause);
}

/// A rejected placement's execution report carries what was sent (on the grid), so the order
/// history keeps it, and its event time.
#[test]
fn rejected_placement_report_keeps_price_and_quantity() {
    let mut w = started(4);
    warm(&mut w, 3);
    // 50 BTC at the reference: more than the human's 100,000 USDT.
    let o = limit(Side::Buy, &w, 6_000_000, 5_000_000, TimeInForce::Fok);
    let out = w.handle(req(7, ClientMessage::PlaceOrder(o)));
    assert!(matches!(
        out.as_slice(),
        [ServerMessage::Rejected {
            reason: RejectReason::Exchange(Reason::InsufficientBalance),
            ..
        }]
    ));
    let f = frame(&mut w, 8);
    let r = f
        .executions
        .iter()
        .find(|e| e.report.exec_type == ExecType::Rejected)
        .expect("a rejected report");
    assert_eq!((r.report.price, r.report.quantity), (6_000_000, 5_000_000));
    assert_eq!(r.report.tif, TimeInForce::Fok);
    assert_eq!(r.ts_ns, w.now_ns());
}

/// The lesson's progress messages in `out`.
fn progress(out: &[ServerMessage]) -> Vec<bourse_protocol::LessonProgress> {
    out.iter()
        .filter_map(|m| match m {
            ServerMessage::Lesson(p) => Some(p.clone()),
            _ => None,
        })
        .collect()
}

fn verdicts(p: &bourse_protocol::LessonProgress) -> Vec<bourse_protocol::ObjectiveVerdict> {
    p.objectives.iter().map(|o| o.verdict).collect()
}

/// A lesson through the worker's protocol: `Start` gives the lesson's market (Ack, Ready,
/// progress), the student's order turns objectives met, frames carry the change, `Finish`
/// freezes it; "the same market again" is the same start; a crossing order fails it.
#[test]
fn a_lesson_runs_in_the_worker_and_reports_its_objectives() {
    use bourse_protocol::{LessonControl, ObjectiveVerdict::*};
    let mut w = started(1);
    let start = |w: &mut WorkerState, seq: u64| {
        let out = w.handle(req(
            seq,
            ClientMessage::Lesson(LessonControl::Start {
                id: "book-anatomy".into(),
                seed: None,
            }),
        ));
        assert!(
            matches!(
                out.as_slice(),
                [
                    ServerMessage::Ack { .. },
                    ServerMessage::Ready { .. },
                    ServerMessage::Lesson(_)
                ]
            ),
            "{out:?}"
        );
        let p = progress(&out).remove(0);
        assert_eq!(
            (p.id.as_str(), p.seed, p.finished),
            ("book-anatomy", 7, false)
        );
        // No order yet: not the best bid, the warmed-up spread is wide, no trade so far.
        assert_eq!(verdicts(&p), [Open, Open, Open]);
        w.exchange().state_digest()
    };
    let d1 = start(&mut w, 2);
    let ask = w.exchange().book_ticker(0).unwrap().ask.unwrap().0;
    let mut spec = limit(Side::Buy, &w, ask - 1, 100, TimeInForce::Gtc);
    spec.post_only = true;
    let out = w.handle(req(3, ClientMessage::PlaceOrder(spec.clone())));
    assert!(
        matches!(out.as_slice(), [ServerMessage::Ack { .. }]),
        "{out:?}"
    );
    let out = w.handle(req(4, ClientMessage::RequestFrame));
    let p = progress(&out);
    assert_eq!(p.len(), 1, "a frame after a change carries the progress");
    assert_eq!(verdicts(&p[0]), [Met, Met, Open]);
    assert!(
        progress(&w.handle(req(5, ClientMessage::RequestFrame))).is_empty(),
        "no change, no message"
    );
    let out = w.handle(req(
        6,
        ClientMessage::Lesson(LessonControl::Finish {
            student: "Ada".into(),
        }),
    ));
    let p = progress(&out).remove(0);
    assert!(p.finished && p.passed, "{p:?}");
    assert_eq!(verdicts(&p), [Met, Met, Met]);

    // The same market again, then a crossing buy: the no-trade objective fails at once.
    let d2 = start(&mut w, 7);
    assert_eq!(d1, d2, "the same lesson and seed give the same market");
    let out = w.handle(req(
        8,
        ClientMessage::PlaceOrder(limit(Side::Buy, &w, ask + 10, 100, TimeInForce::Gtc)),
    ));
    assert!(
        matches!(out.as_slice(), [ServerMessage::Ack { .. }]),
        "{out:?}"
    );
    let p = progress(&w.handle(req(9, ClientMessage::RequestFrame))).remove(0);
    assert_eq!(p.objectives[2].verdict, Failed);
    let out = w.handle(req(
        10,
        ClientMessage::Lesson(LessonControl::Finish {
            student: "Ada".into(),
        }),
    ));
    assert!(!progress(&out)[0].passed);

    let out = w.handle(req(
        11,
        ClientMessage::Lesson(LessonControl::Start {
            id: "nope".into(),
            seed: None,
        }),
    ));
    assert!(
        matches!(
            out.as_slice(),
            [ServerMessage::Rejected {
                reason: RejectReason::InvalidRequest,
                ..
            }]
        ),
        "{out:?}"
    );
}

fn finish_receipt(w: &mut WorkerState, seq: u64) -> (bourse_protocol::LessonProgress, String) {
    use bourse_protocol::LessonControl;
    let out = w.handle(req(
        seq,
        ClientMessage::Lesson(LessonControl::Finish {
            student: "  Ada Lovelace  ".into(),
        }),
    ));
    let p = progress(&out).remove(0);
    let json = p.receipt.clone().expect("a finished lesson has a receipt");
    (p, json)
}

/// A receipt replays to its digest, verdicts and figures, through play at several speeds,
/// pauses, fast-forward, steps and commands in between; a changed command, figure, digest or a
/// command for another account is refused, and the check does not touch the running market.
#[test]
fn a_lesson_receipt_replays_to_its_digest_and_a_tampered_one_is_refused() {
    use bourse_core::Command;
    use bourse_protocol::LessonControl;
    use rust_decimal::Decimal;
    let mut w = started(3);
    let out = w.handle(req(
        2,
        ClientMessage::Lesson(LessonControl::Start {
            id: "queue-priority".into(),
            seed: Some(11),
        }),
    ));
    assert_eq!(progress(&out).len(), 1, "{out:?}");
    let bid = w.exchange().book_ticker(0).unwrap().bid.unwrap().0;
    let mut join = limit(Side::Buy, &w, bid, 100, TimeInForce::Gtc);
    join.post_only = true;
    ack(&w.handle(req(3, ClientMessage::PlaceOrder(join))), 3);
    sim(&mut w, 4, SimControl::Play);
    for _ in 0..50 {
        w.advance(SECOND / 10);
    }
    sim(&mut w, 5, SimControl::Speed(Speed::X10));
    for _ in 0..30 {
        w.advance(SECOND / 7);
    }
    let ask = w.exchange().book_ticker(0).unwrap().ask.unwrap().0;
    let spec = limit(Side::Sell, &w, ask + 5, 100, TimeInForce::Gtc);
    ack(&w.handle(req(6, ClientMessage::PlaceOrder(spec))), 6);
    sim(&mut w, 7, SimControl::Speed(Speed::Max));
    for _ in 0..3 {
        w.advance_bounded(SECOND, 500);
    }
    sim(&mut w, 8, SimControl::Pause);
    sim(&mut w, 9, SimControl::Step { steps: 17 });
    sim(
        &mut w,
        10,
        SimControl::FastForward {
            virtual_ns: 60 * SECOND,
        },
    );
    let out = w.handle(req(11, ClientMessage::CancelAll { instrument: None }));
    assert!(
        matches!(out.as_slice(), [ServerMessage::Ack { .. }]),
        "{out:?}"
    );
    let (p, json) = finish_receipt(&mut w, 12);
    assert!(p.finished);
    let running = w.exchange().event_digest();
    // After the finish, who traded with the student is revealed: one count per fill.
    let line = |label: &str| {
        p.metrics
            .iter()
            .find(|m| m.label == label)
            .map(|m| m.value.clone())
            .unwrap_or_else(|| panic!("no {label} line in {:?}", p.metrics))
    };
    let fills: u32 = line("Fills").split(' ').next().unwrap().parse().unwrap();
    let who = line("Who traded with you (revealed)");
    let counted: u32 = if who == "nobody" {
        0
    } else {
        who.split(", ")
            .map(|x| x.rsplit(" × ").next().unwrap().parse::<u32>().unwrap())
            .sum()
    };
    assert_eq!(counted, fills, "{who}");

    let ok = bourse_worker::check_receipt(&json);
    assert_eq!(ok.refused, None, "{json}");
    assert_eq!(ok.metrics, p.metrics, "the teacher sees the same figures");
    assert_eq!(
        (ok.student.as_str(), ok.lesson.as_str(), ok.seed),
        ("Ada Lovelace", "queue-priority", 11)
    );
    assert_eq!(ok.passed, p.passed);
    assert_eq!(
        ok.objectives.iter().map(|o| o.verdict).collect::<Vec<_>>(),
        verdicts(&p)
    );
    assert_eq!(
        w.exchange().event_digest(),
        running,
        "the check leaves the market alone"
    );

    let r = bourse_lessons::Receipt::from_json(&json).unwrap();
    assert_eq!(r.commands.len(), 3, "the two orders and the cancel-all");
    assert_eq!(r.digest, format!("{running:016x}"));
    let refused = |r: &bourse_lessons::Receipt| {
        bourse_worker::check_receipt(&r.to_json())
            .refused
            .expect("refused")
    };
    // A changed command: the sell one tick lower.
    let mut t = r.clone();
    if let Command::PlaceOrder(o) = &mut t.commands[1].cmd {
        o.spec.price = o
            .spec
            .price
            .map(|p| p - w.exchange().config().instruments[0].tick_size);
    }
    assert!(refused(&t).contains("digest"), "{}", refused(&t));
    // A changed figure.
    let mut t = r.clone();
    t.metrics.pnl += Decimal::ONE;
    assert!(refused(&t).contains("figures"), "{}", refused(&t));
    // A changed verdict.
    let mut t = r.clone();
    t.passed = !t.passed;
    assert!(refused(&t).contains("verdicts"), "{}", refused(&t));
    // A command for another account (an agent's) is not the student's to send.
    let mut t = r.clone();
    if let Command::CancelAll { account, .. } = &mut t.commands[2].cmd {
        *account = 1;
    }
    assert!(refused(&t).contains("not the student's"), "{}", refused(&t));
    // A command moved to another step.
    let mut t = r.clone();
    t.commands[1].steps += 1;
    assert!(!refused(&t).is_empty());
    // Not a receipt at all.
    assert!(bourse_worker::check_receipt("{\"lesson\": 1}")
        .refused
        .unwrap()
        .contains("not a Bourse receipt"));
}
