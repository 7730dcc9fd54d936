//! A scenario (a file from anyone) cannot make the simulation panic, overflow, allocate without
//! bound or stall: every number has a documented range, checked by `Scenario::validate` before a
//! simulation starts, with an error that names the field. (Also run with `--release` by
//! scripts/test.sh.)

use bourse_sim::validate::*;
use bourse_sim::*;
use rust_decimal::Decimal;

fn calm() -> Scenario {
    Scenario::preset("calm").unwrap()
}

/// The field `Simulation::new` reports for `s` (and the same from `validate`).
fn field_of(s: Scenario) -> String {
    let e = s.validate().expect_err("invalid");
    match Simulation::new(s, 1) {
        Err(SimError::InvalidScenario(e2)) => assert_eq!(e2, e),
        Err(other) => panic!("expected the scenario error {e}, got {other}"),
        Ok(_) => panic!("expected the scenario error {e}, got a simulation"),
    }
    e.field
}

fn noise(s: &mut Scenario) -> &mut NoiseParams {
    match &mut s.agents[1].agent {
        AgentParams::Noise(n) => n,
        _ => unreachable!("calm's second group is noise traders"),
    }
}

fn mm(s: &mut Scenario) -> &mut MarketMakerParams {
    match &mut s.agents[0].agent {
        AgentParams::MarketMaker(m) => m,
        _ => unreachable!("calm's first group is the market maker"),
    }
}

#[test]
fn every_preset_is_valid() {
    for name in Scenario::preset_names() {
        Scenario::preset(name).unwrap().validate().unwrap();
    }
}

#[test]
fn agent_counts_are_bounded() {
    let mut s = calm();
    s.agents[1].count = u32::MAX;
    assert_eq!(field_of(s), "agents[1].count");
    // Per instrument: a group without an instrument counts once per scenario instrument.
    let mut s = calm();
    s.agents[1].instrument = None;
    s.agents[1].count = (MAX_AGENTS / 2) as u32;
    assert_eq!(field_of(s), "agents[1].count");
}

#[test]
fn zero_intervals_would_stall_the_clock() {
    let mut s = calm();
    noise(&mut s).mean_interval = SimDuration(0);
    assert_eq!(field_of(s), "agents[1].agent.mean_interval");
    let mut s = calm();
    mm(&mut s).requote_interval = SimDuration(999_999); // just under 1 ms
    assert_eq!(field_of(s), "agents[0].agent.requote_interval");
    let mut s = calm();
    s.fundamental.step = SimDuration(0);
    assert_eq!(field_of(s), "fundamental.step");
}

#[test]
fn sizes_probabilities_and_floats_have_ranges() {
    let mut s = calm();
    mm(&mut s).levels = 1_000_000; // would allocate 2 million slots
    assert_eq!(field_of(s), "agents[0].agent.levels");
    let mut s = calm();
    mm(&mut s).quote_size = Decimal::ZERO;
    assert_eq!(field_of(s), "agents[0].agent.quote_size");
    let mut s = calm();
    noise(&mut s).market_prob = 1.5;
    assert_eq!(field_of(s), "agents[1].agent.market_prob");
    let mut s = calm();
    noise(&mut s).cancel_prob = 0.6;
    noise(&mut s).market_prob = 0.6;
    assert_eq!(field_of(s), "agents[1].agent.cancel_prob");
    let mut s = calm();
    noise(&mut s).size_sigma = f64::NAN;
    assert_eq!(field_of(s), "agents[1].agent.size_sigma");
    let mut s = calm();
    s.fundamental.volatility = f64::INFINITY;
    assert_eq!(field_of(s), "fundamental.volatility");
    let mut s = calm();
    s.agents[2].base = Decimal::from(-1);
    assert_eq!(field_of(s), "agents[2].base");
    let mut s = calm();
    s.agents[3].quote = Decimal::from(MAX_COINS) + Decimal::ONE;
    assert_eq!(field_of(s), "agents[3].quote");
}

#[test]
fn sweeps_are_bounded_and_their_arithmetic_cannot_overflow() {
    let sweep = |q: &str, slices: u32| {
        let mut s = calm();
        s.script = vec![ScriptedAction {
            at: SimDuration::secs(1),
            action: ActionKind::Sweep,
            instrument: Some(0),
            side: Some(bourse_core::Side::Buy),
            quantity: Some(q.parse().unwrap()),
            slices: Some(slices),
            interval: Some(SimDuration::secs(1)),
            jump: None,
        }];
        s
    };
    assert_eq!(field_of(sweep("1", 0)), "script[0].slices");
    assert_eq!(
        field_of(sweep("1", MAX_SWEEP_SLICES + 1)),
        "script[0].slices"
    );
    // 10^20 BTC × 60,000 × 3 would overflow rust_decimal's 96 bits (a panic, release or not).
    assert_eq!(
        field_of(sweep("100000000000000000000", 10)),
        "script[0].quantity"
    );
    assert_eq!(field_of(sweep("0", 1)), "script[0].quantity");
    // Fewer lots than slices: refused by the set-up, naming the quantity.
    let e = Simulation::new(sweep("0.00001", 10), 1).err().unwrap();
    assert!(e.to_string().contains("script[0].quantity"), "{e}");
    // A sweep whose funding (3 × its value) is more than a deposit holds: a clear error.
    let e = Simulation::new(sweep("1000000", MAX_SWEEP_SLICES), 1)
        .err()
        .unwrap();
    assert!(
        e.to_string().contains("more than one deposit can hold"),
        "{e}"
    );
    // The most slices build.
    Simulation::new(sweep("1000", MAX_SWEEP_SLICES), 1).unwrap();
}

#[test]
fn script_times_instruments_and_news() {
    let mut s = calm();
    s.script = vec![ScriptedAction {
        at: SimDuration(MAX_SCENARIO_SPAN.ns() + 1),
        action: ActionKind::Halt,
        instrument: None,
        side: None,
        quantity: None,
        slices: None,
        interval: None,
        jump: None,
    }];
    assert_eq!(field_of(s.clone()), "script[0].at");
    s.script[0].at = SimDuration::secs(1);
    s.script[0].instrument = Some(7);
    assert_eq!(field_of(s.clone()), "script[0].instrument");
    s.script[0].instrument = None;
    s.script[0].action = ActionKind::News;
    s.script[0].jump = Some(f64::NEG_INFINITY);
    assert_eq!(field_of(s.clone()), "script[0].jump");
    let mut s = calm();
    s.start_ns = u64::MAX - 1;
    assert_eq!(field_of(s), "start_ns");
    let mut s = calm();
    s.instruments = vec![0, 0];
    assert_eq!(field_of(s), "instruments[1]");
}

#[test]
fn the_exchange_configuration_inside_is_validated_first() {
    let mut s = calm();
    let mut c = bourse_core::ExchangeConfig::default_spot();
    c.instruments[0].taker_fee_ppm = 1_000_000;
    s.exchange = Some(c);
    let e = s.validate().unwrap_err();
    assert_eq!(e.field, "exchange");
    assert!(e.problem.contains("instruments[0].taker_fee_ppm"), "{e}");
}
