// Shared by the library (compiled natively and for wasm32) and by build.rs (compiled for the host),
// through `include!`, so both sides run exactly the same code.

/// The reference run: scenario, seed and virtual duration.
pub const SCENARIO: &str = "volatile";
/// Seed of the reference run.
pub const SEED: u64 = 7;
/// Virtual duration of the reference run, ns (3 minutes).
pub const DURATION_NS: u64 = 180_000_000_000;

/// Run the reference simulation; returns (commands, events, event digest, state digest).
pub fn reference_run() -> (u64, u64, u64, u64) {
    let scenario = bourse_sim::Scenario::preset(SCENARIO).expect("preset exists");
    let mut sim = bourse_sim::Simulation::new(scenario, SEED).expect("valid scenario");
    let mut log = Vec::new();
    let mut events = Vec::new();
    let mut n_events = 0u64;
    let until = sim.start_ns() + DURATION_NS;
    // Step in slices so the buffers stay small.
    let mut t = sim.start_ns();
    while t < until {
        t = (t + 1_000_000_000).min(until);
        sim.run_until(t, &mut log, &mut events);
        n_events += events.len() as u64;
        events.clear();
    }
    let ex = sim.exchange();
    (
        ex.next_input_seq() - 1,
        n_events,
        ex.event_digest(),
        ex.state_digest(),
    )
}
