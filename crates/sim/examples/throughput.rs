//! Measures simulation throughput (agents + exchange engine), in exchange events per second of
//! wall time.
//!
//! `cargo run --release -p bourse-sim --example throughput -- [preset] [virtual minutes] [seed]`
//! (defaults: `volatile 60 1`). The command log and events are produced as usual and dropped every
//! virtual second, as a consumer that streams them would.

use bourse_sim::{Scenario, Simulation};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let name = args.get(1).map(String::as_str).unwrap_or("volatile");
    let minutes: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(60);
    let seed: u64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(1);
    let scenario = Scenario::preset(name).expect("unknown preset");
    let t0 = Instant::now();
    let mut sim = Simulation::new(scenario, seed).expect("scenario");
    let (mut log, mut events) = (Vec::with_capacity(1 << 16), Vec::with_capacity(1 << 18));
    let (mut n_cmds, mut n_events, mut n_steps) = (0u64, 0u64, 0u64);
    let end = sim.start_ns() + minutes * 60_000_000_000;
    let mut t = sim.start_ns();
    while t < end {
        t += 1_000_000_000;
        n_steps += sim.run_until(t, &mut log, &mut events);
        n_cmds += log.len() as u64;
        n_events += events.len() as u64;
        log.clear();
        events.clear();
    }
    let secs = t0.elapsed().as_secs_f64();
    println!(
        "{name}: {minutes} virtual min, {n_steps} steps, {n_cmds} commands, {n_events} events in {secs:.3} s \
         => {:.0} events/s, {:.0} commands/s (digest {:016x})",
        n_events as f64 / secs,
        n_cmds as f64 / secs,
        sim.exchange().event_digest()
    );
}
