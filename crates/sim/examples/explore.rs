//! Run a preset and print summary statistics (development aid).
//! `cargo run --release -p bourse-sim --example explore -- <preset> <seed> <minutes>`
use bourse_core::{Event, ExecType, Side};
use bourse_sim::{Scenario, Simulation};
use std::collections::BTreeMap;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let name = args.get(1).map(String::as_str).unwrap_or("calm");
    let seed: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1);
    let minutes: u64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(10);
    let mut sim = Simulation::new(Scenario::preset(name).expect("preset"), seed).unwrap();
    let (mut log, mut events) = (Vec::new(), Vec::new());
    let start = sim.start_ns();
    let mm = sim
        .agents()
        .iter()
        .find(|a| a.kind == bourse_sim::AgentKind::MarketMaker)
        .map(|a| a.account);
    for s in 0..minutes * 6 {
        let t = start + (s + 1) * 10_000_000_000;
        sim.run_until(t, &mut log, &mut events);
        let ex = sim.exchange();
        let bb = ex.book(0).unwrap().best_bid();
        let ba = ex.book(0).unwrap().best_ask();
        let mm_orders = mm.map(|a| ex.open_orders_of(a).len()).unwrap_or(0);
        let trades = events
            .iter()
            .filter(|e| matches!(e.event, Event::Trade(_)))
            .count();
        println!(
            "t={:>4}s last={:?} bid={:?} ask={:?} fund={:.0} mm_orders={} trades_total={} open={}",
            (s + 1) * 10,
            ex.last_price(0),
            bb,
            ba,
            sim.fundamental_ticks(0).unwrap(),
            mm_orders,
            trades,
            ex.open_order_count()
        );
    }
    let mut rejects: BTreeMap<String, usize> = BTreeMap::new();
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    let mut agg = [0usize; 2];
    let mut minp = (i64::MAX, 0u64);
    for e in &events {
        if let Event::Trade(t) = &e.event {
            if t.price < minp.0 {
                minp = (t.price, (e.ts_ns - start) / 1_000_000_000);
            }
        }
    }
    println!("min trade price {} at {}s", minp.0, minp.1);
    for e in &events {
        match &e.event {
            Event::Execution(r) if r.exec_type == ExecType::Rejected => {
                *rejects.entry(format!("order {:?}", r.reason)).or_default() += 1
            }
            Event::CommandRejected { reason, .. } => {
                *rejects.entry(format!("cmd {reason:?}")).or_default() += 1
            }
            Event::Trade(t) => agg[(t.aggressor == Side::Sell) as usize] += 1,
            _ => {}
        }
        let k = match &e.event {
            Event::Execution(_) => "exec",
            Event::Trade(_) => "trade",
            Event::BookTicker(_) => "l1",
            Event::DepthUpdate(_) => "l2",
            Event::L3(_) => "l3",
            Event::BalanceUpdate { .. } => "balance",
            _ => "other",
        };
        *kinds.entry(k).or_default() += 1;
    }
    println!(
        "commands={} events={} kinds={kinds:?}",
        log.len(),
        events.len()
    );
    println!("buy-aggr={} sell-aggr={}", agg[0], agg[1]);
    println!("rejects={rejects:?}");
    sim.exchange().check_invariants().unwrap();
}
