//! `Simulation::resume`: a market rebuilt from its command log carries on with the same agents'
//! accounts, cancels what they left resting, keeps the script's future, and is deterministic in
//! `(seed, epoch)`.

use bourse_core::{Command, Event, Exchange, Sequenced, SequencedCommand};
use bourse_sim::{ResumePlan, Scenario, SimError, Simulation};

const MIN: u64 = 60_000_000_000;

fn started(name: &str, minutes: u64) -> (Simulation, Vec<SequencedCommand>) {
    let mut sim = Simulation::new(Scenario::preset(name).unwrap(), 7).unwrap();
    let (mut log, mut ev) = (Vec::new(), Vec::new());
    let until = sim.start_ns() + minutes * MIN;
    sim.run_until(until, &mut log, &mut ev);
    (sim, log)
}

fn plan_of(sim: &Simulation, epoch: u64) -> ResumePlan {
    ResumePlan {
        agent_accounts: sim.agents().iter().map(|a| a.account).collect(),
        sweeper: sim.sweeper_account(),
        start_ns: sim.start_ns(),
        epoch,
    }
}

/// The exchange rebuilt by replaying `log` (what the server's recovery does).
fn replayed(config: bourse_core::ExchangeConfig, log: &[SequencedCommand]) -> Exchange {
    let mut ex = Exchange::new(config).unwrap();
    let mut ev = Vec::new();
    for c in log {
        ex.apply(c.ts_ns, &c.cmd, &mut ev);
        ev.clear();
    }
    ex
}

fn run(sim: &mut Simulation, minutes: u64) -> (Vec<SequencedCommand>, Vec<Sequenced>) {
    let (mut log, mut ev) = (Vec::new(), Vec::new());
    let until = sim.now_ns() + minutes * MIN;
    sim.run_until(until, &mut log, &mut ev);
    (log, ev)
}

#[test]
fn resumed_market_cancels_leftovers_then_trades_on_the_same_accounts() {
    let (sim, log) = started("calm", 5);
    let ex = replayed(sim.config().clone(), &log);
    assert_eq!(ex.state_digest(), sim.exchange().state_digest());
    let plan = plan_of(&sim, log.len() as u64);
    let resting: Vec<u32> = plan
        .agent_accounts
        .iter()
        .copied()
        .filter(|&a| !ex.open_orders_of(a).is_empty())
        .collect();
    assert!(
        !resting.is_empty(),
        "market makers rest orders after 5 minutes"
    );
    let accounts_before = ex.account_count();
    let mut resumed = Simulation::resume(Scenario::preset("calm").unwrap(), 7, ex, &plan).unwrap();
    assert_eq!(
        resumed.now_ns(),
        sim.exchange().last_ts_ns().max(sim.start_ns())
    );
    let (log2, ev2) = run(&mut resumed, 5);
    // First commands: one CancelAll per agent account that had open orders, in agent order.
    let cancels: Vec<u32> = log2
        .iter()
        .take(resting.len())
        .map(|c| match c.cmd {
            Command::CancelAll {
                account,
                instrument: None,
            } => account,
            ref other => panic!("expected CancelAll first, got {other:?}"),
        })
        .collect();
    assert_eq!(cancels, resting);
    // Input seqs continue the old log.
    assert_eq!(log2[0].seq, log.len() as u64 + 1);
    // No new accounts; the agents trade again.
    assert_eq!(resumed.exchange().account_count(), accounts_before);
    assert!(ev2.iter().any(|e| matches!(e.event, Event::Trade(_))));
    let placed_by_agents = log2.iter().filter(|c| match &c.cmd {
        Command::PlaceOrder(o) => plan.agent_accounts.contains(&o.account),
        _ => false,
    });
    assert!(placed_by_agents.count() > 50);
}

#[test]
fn resume_is_deterministic_in_seed_and_epoch() {
    let (sim, log) = started("volatile", 3);
    let go = |epoch: u64| {
        let ex = replayed(sim.config().clone(), &log);
        let mut r = Simulation::resume(
            Scenario::preset("volatile").unwrap(),
            7,
            ex,
            &plan_of(&sim, epoch),
        )
        .unwrap();
        let (l, _) = run(&mut r, 2);
        (l, r.exchange().state_digest())
    };
    let (a, da) = go(10);
    let (b, db) = go(10);
    let (c, dc) = go(11);
    assert_eq!(a, b);
    assert_eq!(da, db);
    assert_ne!(da, dc, "another epoch draws other decisions");
    assert_ne!(a, c);
}

#[test]
fn resume_keeps_only_future_script_actions() {
    // flash-crash sweeps at a scripted time; resuming before it keeps the sweep, after it not.
    let scenario = Scenario::preset("flash-crash").unwrap();
    let sweep_at = scenario
        .script
        .iter()
        .map(|a| a.at.ns())
        .min()
        .expect("flash-crash has a script");
    let minutes_before = sweep_at / MIN / 2;
    let (sim, log) = started("flash-crash", minutes_before.max(1));
    let sweeper = sim.sweeper_account().expect("the script sweeps");
    let ex = replayed(sim.config().clone(), &log);
    let mut r = Simulation::resume(scenario.clone(), 7, ex, &plan_of(&sim, 1)).unwrap();
    let (l, _) = run(&mut r, sweep_at / MIN + 2);
    let swept = |l: &[SequencedCommand]| {
        l.iter()
            .any(|c| matches!(&c.cmd, Command::PlaceOrder(o) if o.account == sweeper))
    };
    assert!(swept(&l), "the sweep still comes after resuming before it");
    // Resumed after the whole script: no sweep any more.
    let (mut sim2, mut log2) = started("flash-crash", 1);
    let (more, _) = run(&mut sim2, sweep_at / MIN + 30);
    log2.extend(more);
    let ex = replayed(sim2.config().clone(), &log2);
    let mut r = Simulation::resume(scenario, 7, ex, &plan_of(&sim2, 2)).unwrap();
    let (l, _) = run(&mut r, 10);
    assert!(!swept(&l));
}

#[test]
fn resume_refuses_accounts_that_do_not_fit() {
    let (sim, log) = started("calm", 1);
    let mut plan = plan_of(&sim, 1);
    plan.agent_accounts.pop();
    let ex = replayed(sim.config().clone(), &log);
    let err = Simulation::resume(Scenario::preset("calm").unwrap(), 7, ex, &plan).err();
    assert!(matches!(err, Some(SimError::Resume(_))), "{err:?}");
    let mut plan = plan_of(&sim, 1);
    plan.agent_accounts[0] = 10_000;
    let ex = replayed(sim.config().clone(), &log);
    let err = Simulation::resume(Scenario::preset("calm").unwrap(), 7, ex, &plan).err();
    assert!(matches!(err, Some(SimError::Resume(m)) if m.contains("10000")));
    let fresh = Exchange::new(Scenario::preset("thin").unwrap().validate().unwrap()).unwrap();
    let err = Simulation::resume(
        Scenario::preset("calm").unwrap(),
        7,
        fresh,
        &plan_of(&sim, 1),
    )
    .err();
    assert!(err.is_some());
}

/// `agent_funding` is what the scenario deposited: at the start, before any trading, every
/// agent account's balances are exactly those amounts (the exchange's own accounting).
#[test]
fn agent_funding_is_what_each_agent_account_was_opened_with() {
    let sim = Simulation::new(Scenario::preset("calm").unwrap(), 7).unwrap();
    let funding = sim.agent_funding();
    assert_eq!(funding.len(), sim.agent_count());
    assert!(funding.iter().any(|(_, f)| f.len() == 2));
    let cfg = sim.config().clone();
    for (account, funds) in &funding {
        for (asset, spec) in cfg.assets.iter().enumerate() {
            let want: rust_decimal::Decimal = funds
                .iter()
                .filter(|(a, _)| *a as usize == asset)
                .map(|(_, x)| *x)
                .sum();
            let units = sim
                .exchange()
                .balance(*account, asset as u32)
                .map_or(0, |b| b.available + b.locked);
            let have = bourse_core::from_grid(units as i64, bourse_core::unit_step(spec.decimals));
            assert_eq!(have, want, "account {account} {}", spec.symbol);
        }
    }
}

/// `restart_agents` keeps the exchange, cancels what the agents left resting first, and the
/// market trades on; the same epoch gives the same future.
#[test]
fn restarted_agents_cancel_their_leftovers_and_trade_on_deterministically() {
    let futures: Vec<(Vec<SequencedCommand>, u64, usize)> = (0..2)
        .map(|_| {
            let (mut sim, _) = started("calm", 5);
            let resting = sim
                .agents()
                .iter()
                .filter(|a| !sim.exchange().open_orders_of(a.account).is_empty())
                .count();
            assert!(resting > 0, "market makers rest orders after 5 minutes");
            sim.restart_agents(12345).unwrap();
            for a in sim.agents() {
                assert!(sim.exchange().open_orders_of(a.account).is_empty());
            }
            let (log, _) = run(&mut sim, 2);
            (log, sim.exchange().state_digest(), resting)
        })
        .collect();
    assert_eq!(futures[0].1, futures[1].1);
    let log = &futures[0].0;
    assert_eq!(
        resting_of(log),
        futures[0].2,
        "one CancelAll per agent that had orders, first"
    );
    assert!(log.iter().any(|c| matches!(c.cmd, Command::PlaceOrder(_))));
}

/// How many commands at the head of `log` are `CancelAll`s.
fn resting_of(log: &[SequencedCommand]) -> usize {
    log.iter()
        .take_while(|c| matches!(c.cmd, Command::CancelAll { .. }))
        .count()
}
