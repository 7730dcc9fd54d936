//! Determinism: same seed ⇒ same log, events and digest; replaying the log reproduces them; agent
//! RNG streams are independent of the population.

use bourse_core::{
    Command, Exchange, NewOrder, OrderSpec, OrderType, Sequenced, SequencedCommand, Side, StpMode,
    TimeInForce,
};
use bourse_sim::{AgentGroup, AgentParams, NoiseParams, Scenario, SimRng, Simulation};
use rust_decimal::Decimal;

const MIN: u64 = 60_000_000_000;

fn run(
    scenario: &str,
    seed: u64,
    minutes: u64,
) -> (Simulation, Vec<SequencedCommand>, Vec<Sequenced>) {
    let mut sim = Simulation::new(Scenario::preset(scenario).unwrap(), seed).unwrap();
    let (mut log, mut events) = (Vec::new(), Vec::new());
    sim.run_until(sim.start_ns() + minutes * MIN, &mut log, &mut events);
    (sim, log, events)
}

#[test]
fn same_seed_same_log_events_and_digest() {
    let (a, log_a, ev_a) = run("volatile", 7, 2);
    let (b, log_b, ev_b) = run("volatile", 7, 2);
    assert!(log_a.len() > 100);
    assert_eq!(log_a, log_b);
    assert_eq!(ev_a, ev_b);
    assert_eq!(a.exchange().event_digest(), b.exchange().event_digest());
    assert_eq!(a.exchange().state_digest(), b.exchange().state_digest());
    assert_eq!(a.now_ns(), b.now_ns());
}

#[test]
fn different_seed_different_digest() {
    let (a, _, _) = run("calm", 1, 1);
    let (b, _, _) = run("calm", 2, 1);
    assert_ne!(a.exchange().event_digest(), b.exchange().event_digest());
}

#[test]
fn step_by_step_equals_run_until() {
    let (a, log_a, ev_a) = run("calm", 3, 1);
    let mut sim = Simulation::new(Scenario::preset("calm").unwrap(), 3).unwrap();
    let (mut log, mut events) = (Vec::new(), Vec::new());
    let end = sim.start_ns() + MIN;
    while sim.next_wake_ns().is_some_and(|t| t <= end) {
        assert!(sim.step(&mut log, &mut events));
    }
    assert_eq!(log, log_a);
    assert_eq!(events, ev_a);
    assert_eq!(sim.exchange().event_digest(), a.exchange().event_digest());
}

#[test]
fn replaying_the_log_reproduces_events_and_digest() {
    let mut sim = Simulation::new(Scenario::preset("flash-crash").unwrap(), 11).unwrap();
    let (mut log, mut events) = (Vec::new(), Vec::new());
    sim.run_until(sim.start_ns() + 30_000_000_000, &mut log, &mut events);
    // An external participant joins midway.
    let acct_seq = sim.submit(
        Command::CreateAccount {
            max_open_orders: None,
            daily_notional_limit: None,
        },
        &mut log,
        &mut events,
    );
    let account = sim.exchange().account_count();
    assert_eq!(log.last().unwrap().seq, acct_seq);
    sim.submit(
        Command::Deposit {
            account,
            asset: 2,
            amount: Decimal::from(100_000),
        },
        &mut log,
        &mut events,
    );
    sim.submit(
        Command::PlaceOrder(NewOrder {
            account,
            spec: OrderSpec {
                instrument: 0,
                side: Side::Buy,
                order_type: OrderType::Market,
                tif: TimeInForce::Ioc,
                price: None,
                quantity: Some(Decimal::new(5, 1)),
                quote_quantity: None,
                stop_price: None,
                post_only: false,
                stp: StpMode::None,
                client_order_id: None,
            },
        }),
        &mut log,
        &mut events,
    );
    sim.run_until(sim.start_ns() + 5 * MIN, &mut log, &mut events);
    // The log starts with the set-up and is dense.
    assert!(matches!(log[0].cmd, Command::CreateAccount { .. }));
    for (i, c) in log.iter().enumerate() {
        assert_eq!(c.seq, i as u64 + 1);
    }
    let mut ex = Exchange::new(sim.config().clone()).unwrap();
    let mut replayed = Vec::new();
    for c in &log {
        ex.apply_sequenced(c, &mut replayed).unwrap();
    }
    assert_eq!(replayed.len(), events.len());
    assert_eq!(replayed, events);
    assert_eq!(ex.event_digest(), sim.exchange().event_digest());
    assert_eq!(ex.state_digest(), sim.exchange().state_digest());
}

#[test]
fn adding_an_agent_does_not_change_other_agents_draws() {
    let base = Scenario::preset("calm").unwrap();
    let mut more = base.clone();
    more.agents.push(AgentGroup {
        count: 3,
        instrument: Some(0),
        base: Decimal::ONE,
        quote: Decimal::from(60_000),
        agent: AgentParams::Noise(NoiseParams::default()),
    });
    // And one inserted in front of nothing else: an extra agent at the end of an existing group is
    // the same as an extra group at the end.
    let seed = 99;
    let a = Simulation::new(base, seed).unwrap();
    let b = Simulation::new(more, seed).unwrap();
    assert_eq!(b.agent_count(), a.agent_count() + 3);
    for i in 0..a.agent_count() as u32 {
        let mut ra = a.agent_rng(i).unwrap();
        let mut rb = b.agent_rng(i).unwrap();
        assert_eq!(ra, rb, "agent {i} stream state differs");
        for _ in 0..1000 {
            assert_eq!(ra.next_u64(), rb.next_u64());
        }
        // Each agent's stream is the (seed, index) stream, whatever the population.
        let mut fresh = SimRng::for_agent(seed, i);
        let mut fresh2 = SimRng::for_agent(seed, i);
        assert_eq!(fresh.next_u64(), fresh2.next_u64());
    }
    // Streams of distinct agents differ.
    let mut r0 = SimRng::for_agent(seed, 0);
    let mut r1 = SimRng::for_agent(seed, 1);
    let d0: Vec<u64> = (0..4).map(|_| r0.next_u64()).collect();
    let d1: Vec<u64> = (0..4).map(|_| r1.next_u64()).collect();
    assert_ne!(d0, d1);
    // Agents keep their accounts and kinds.
    assert_eq!(a.agents(), b.agents()[..a.agent_count()].to_vec());
}

#[test]
fn setup_is_in_the_log_and_clock_behaves() {
    let mut sim = Simulation::new(Scenario::preset("thin").unwrap(), 5).unwrap();
    assert_eq!(sim.now_ns(), sim.start_ns());
    // Accounts exist right after construction.
    assert_eq!(sim.exchange().account_count() as usize, sim.agent_count());
    let (mut log, mut events) = (Vec::new(), Vec::new());
    let n = sim.run_until(sim.start_ns(), &mut log, &mut events);
    assert_eq!(n, 0);
    let creates = log
        .iter()
        .filter(|c| matches!(c.cmd, Command::CreateAccount { .. }))
        .count();
    assert_eq!(creates, sim.agent_count());
    let t = sim.start_ns() + 1_234_567_890;
    sim.run_until(t, &mut log, &mut events);
    assert_eq!(sim.now_ns(), t);
    assert!(sim.next_wake_ns().unwrap() > t);
    assert!(log.windows(2).all(|w| w[0].ts_ns <= w[1].ts_ns));
}

#[test]
fn empty_scenario_has_nothing_to_step() {
    let s = Scenario::from_json(r#"{"name": "empty", "agents": []}"#).unwrap();
    let mut sim = Simulation::new(s, 1).unwrap();
    let (mut log, mut events) = (Vec::new(), Vec::new());
    assert!(!sim.step(&mut log, &mut events));
    assert!(log.is_empty());
}
