//! How long the worker's brain takes to run a market for a while at once (a lesson's warm-up or
//! a fast-forward), natively: `cargo run --release -p bourse-worker --example warmup_time`.
//! Prints the wall time of a 10-minute `FastForward` of three presets, best of three runs.

use bourse_protocol::{ClientMessage, ClientRequest, ServerMessage, SimControl, PROTOCOL_VERSION};
use bourse_worker::WorkerState;

fn main() {
    for scenario in ["calm", "volatile", "stop-cascade"] {
        let mut best = f64::MAX;
        let mut steps = 0;
        for _ in 0..3 {
            let mut w = WorkerState::new(scenario, 7, None).expect("preset");
            let hello = ClientMessage::Hello {
                version: PROTOCOL_VERSION,
                market: None,
                login: None,
            };
            w.handle(ClientRequest {
                client_seq: 1,
                message: hello,
            });
            let ff = ClientMessage::Sim(SimControl::FastForward {
                virtual_ns: 600 * 1_000_000_000,
            });
            let t = std::time::Instant::now();
            let out = w.handle(ClientRequest {
                client_seq: 2,
                message: ff,
            });
            let dt = t.elapsed().as_secs_f64();
            assert!(matches!(out.as_slice(), [ServerMessage::Ack { .. }]));
            best = best.min(dt);
            steps = w.sim_steps();
        }
        println!(
            "{scenario:13} 10 min of market: {steps} steps in {:.0} ms (best of 3)",
            best * 1e3
        );
    }
}
