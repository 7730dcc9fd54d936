//! Build script of `bourse-worker`: computes, natively on the build host, the figures that the
//! browser test `tests/browser.rs` compares its WebAssembly run against (the determinism check of
//! `crates/conformance`, applied to the worker), and writes them to `$OUT_DIR`:
//!
//! - `native_expected.rs`: constants, `include!`d by the test:
//!   - `SIM_*`: a plain [`bourse_sim::Simulation`] of [`SIM_SCENARIO`] / [`SIM_SEED`] for
//!     [`SIM_DURATION_NS`], run exactly as `bourse simulate` (crates/cli) runs it — checks off,
//!     `run_until` in one-virtual-second chunks — giving the four figures of that command's
//!     footer (`final_input_seq`, `event_count`, `event_digest`, `state_digest`).
//!   - `SESSION_*`: the end state of the worker session below.
//! - `session.txt`: the transcript of a [`WorkerState`] session (human account, orders, playing
//!   at `Speed::Max`): every request the session sends, every reply the worker gives (JSON, frames
//!   as hex of their binary encoding) and every `advance` call with the number of steps it ran.
//!   The browser test replays the requests and `advance` calls against the real crate compiled for
//!   `wasm32-unknown-unknown` and requires the same replies, byte for byte.
//!
//! ## How this script runs the worker's own code
//! A build script cannot depend on the crate it builds. Instead, it compiles the crate's library
//! source a second time, for the host, as a private module: `#[path = "src/lib.rs"] mod worker;`.
//! A module file loaded through `#[path]` owns its directory, so the `mod state;` in `lib.rs`
//! resolves to `src/state.rs`, and the wasm-only `web` module is compiled out (build scripts are
//! compiled for the host). `state.rs` names the crate-level constants as `crate::…`; the `use`
//! below makes them visible at this script's root. The native figures therefore come from exactly
//! the source the test runs in the browser, with nothing copied by hand to keep in sync. Only the
//! session script (the requests and `advance` calls) lives here; the test takes it from the
//! transcript, so it is written once.
//!
//! Cost: the host build of the build dependencies (once per target directory), then one 3-minute
//! `volatile` simulation plus the session (61,000 steps at `Speed::Max`, about 38 virtual minutes),
//! about 2.5 s in the unoptimised build script, each time `src/lib.rs`, `src/state.rs`, this file
//! or a build dependency changes. It runs for every build of this package, Trunk's included.

#[allow(dead_code, unused_imports, missing_docs)]
#[path = "src/lib.rs"]
mod worker;

// `state.rs` refers to these as `crate::…`.
use worker::{
    DEFAULT_HUMAN_BASE, DEFAULT_HUMAN_ETH, DEFAULT_HUMAN_QUOTE, MAX_FAST_FORWARD_STEPS,
    MAX_STEPS_PER_ADVANCE, MAX_STEP_EVENTS,
};

use bourse_core::{from_grid, Interval, OrderType, Side, StpMode, TimeInForce};
use bourse_protocol::{
    encode_client, encode_frame, encode_server, ClientMessage, ClientRequest, OrderRequest,
    ServerMessage, SimControl, Speed, PROTOCOL_VERSION,
};
use std::fmt::Write as _;
use worker::WorkerState;

/// Scenario of the plain simulation (the same reference run as crates/conformance).
const SIM_SCENARIO: &str = "volatile";
/// Seed of the plain simulation.
const SIM_SEED: u64 = 7;
/// Virtual duration of the plain simulation, ns (3 minutes: `--duration 3m`).
const SIM_DURATION_NS: u64 = 180_000_000_000;

/// Scenario of the worker session.
const SESSION_SCENARIO: &str = "volatile";
/// Seed of the worker session.
const SESSION_SEED: u64 = 7;

/// The plain simulation, run as `bourse simulate --scenario volatile --seed 7 --duration 3m` runs
/// it; returns its footer (final input seq, event count, event digest, state digest).
fn plain_simulation() -> (u64, u64, u64, u64) {
    let scenario = bourse_sim::Scenario::preset(SIM_SCENARIO).expect("preset exists");
    let mut sim = bourse_sim::Simulation::new(scenario, SIM_SEED).expect("valid scenario");
    sim.set_check_every_command(false);
    let (mut log, mut events) = (Vec::new(), Vec::new());
    let end = sim.start_ns() + SIM_DURATION_NS;
    let mut now = sim.start_ns();
    while now < end {
        now = (now + 1_000_000_000).min(end);
        sim.run_until(now, &mut log, &mut events);
        log.clear();
        events.clear();
    }
    let ex = sim.exchange();
    (
        ex.next_input_seq() - 1,
        ex.next_output_seq() - 1,
        ex.event_digest(),
        ex.state_digest(),
    )
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        write!(s, "{b:02x}").unwrap();
    }
    s
}

/// Records a session: sends requests and `advance` calls to a [`WorkerState`] and writes the
/// transcript lines (format in the test's `replay_session`).
struct Recorder {
    w: WorkerState,
    seq: u64,
    out: String,
}

impl Recorder {
    fn send(&mut self, message: ClientMessage) -> Vec<ServerMessage> {
        self.seq += 1;
        let req = ClientRequest {
            client_seq: self.seq,
            message,
        };
        writeln!(self.out, "> {}", encode_client(&req)).unwrap();
        let replies = self.w.handle(req);
        for r in &replies {
            match r {
                ServerMessage::Frame(f) => writeln!(self.out, "# {}", hex(&encode_frame(f))),
                other => writeln!(self.out, "< {}", encode_server(other)),
            }
            .unwrap();
        }
        replies
    }

    fn advance(&mut self, wall_ns: u64) -> u64 {
        let steps = self.w.advance(wall_ns);
        writeln!(self.out, "@ {wall_ns} {steps}").unwrap();
        steps
    }

    /// A limit order of the human for `lots` at `ticks` on instrument 0.
    fn limit(
        &self,
        side: Side,
        ticks: i64,
        lots: i64,
        tif: TimeInForce,
        cid: u64,
    ) -> ClientMessage {
        let spec = &self.w.exchange().config().instruments[0];
        ClientMessage::PlaceOrder(OrderRequest {
            instrument: 0,
            side,
            order_type: OrderType::Limit,
            tif,
            price: Some(from_grid(ticks, spec.tick_size)),
            quantity: Some(from_grid(lots, spec.lot_size)),
            quote_quantity: None,
            stop_price: None,
            post_only: false,
            stp: StpMode::None,
            client_order_id: Some(cid),
        })
    }
}

/// The worker session; returns the transcript and the end state (steps, clock, last input seq,
/// last output seq, event digest, state digest).
fn worker_session() -> (String, [u64; 6]) {
    let mut w = WorkerState::new(SESSION_SCENARIO, SESSION_SEED, None).expect("session scenario");
    w.set_check_every_command(false);
    let mut r = Recorder {
        w,
        seq: 0,
        out: String::new(),
    };
    r.send(ClientMessage::Hello {
        version: PROTOCOL_VERSION,
        market: None,
    });
    r.send(ClientMessage::Sim(SimControl::Speed(Speed::Max)));
    r.send(ClientMessage::Sim(SimControl::Play));
    assert_eq!(
        r.advance(0),
        MAX_STEPS_PER_ADVANCE,
        "session: first advance"
    );
    r.send(ClientMessage::RequestFrame);
    // The human rests a bid below the book (client order id above 2^53) and lifts the best ask.
    let l1 = r.w.exchange().book_ticker(0).expect("instrument 0");
    let (bid, ask) = (l1.bid.expect("bids").0, l1.ask.expect("asks").0);
    let resting = r.limit(Side::Buy, bid - 50, 1_000, TimeInForce::Gtc, u64::MAX - 3);
    let taking = r.limit(Side::Buy, ask, 100, TimeInForce::Ioc, 1);
    for m in [resting, taking] {
        let out = r.send(m);
        assert!(
            matches!(
                out.as_slice(),
                [ServerMessage::Ack {
                    input_seq: Some(_),
                    ..
                }]
            ),
            "session: order refused: {out:?}"
        );
    }
    r.advance(0);
    r.send(ClientMessage::RequestFrame);
    r.advance(0);
    r.send(ClientMessage::CandleHistory {
        instrument: 0,
        interval: Interval::M1,
        limit: 10,
    });
    r.send(ClientMessage::Sim(SimControl::Pause));
    r.send(ClientMessage::Sim(SimControl::Step {
        events: MAX_STEP_EVENTS / 20,
    }));
    r.send(ClientMessage::RequestFrame);
    let ex = r.w.exchange();
    let end = [
        r.w.sim_steps(),
        r.w.now_ns(),
        ex.next_input_seq() - 1,
        ex.next_output_seq() - 1,
        ex.event_digest(),
        ex.state_digest(),
    ];
    (r.out, end)
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=src/lib.rs");
    println!("cargo:rerun-if-changed=src/state.rs");
    let out_dir = std::path::PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR"));

    let (cmds, events, ev_digest, st_digest) = plain_simulation();
    let (transcript, s) = worker_session();

    let mut rs = String::new();
    let mut c = |doc: &str, name: &str, ty: &str, value: String| {
        writeln!(rs, "/// {doc}\nconst {name}: {ty} = {value};").unwrap();
    };
    c(
        "Scenario of the plain simulation.",
        "SIM_SCENARIO",
        "&str",
        format!("{SIM_SCENARIO:?}"),
    );
    c(
        "Seed of the plain simulation.",
        "SIM_SEED",
        "u64",
        SIM_SEED.to_string(),
    );
    c(
        "Virtual duration of the plain simulation, ns.",
        "SIM_DURATION_NS",
        "u64",
        SIM_DURATION_NS.to_string(),
    );
    c(
        "Native: commands of the plain simulation (footer `final_input_seq`).",
        "SIM_FINAL_INPUT_SEQ",
        "u64",
        cmds.to_string(),
    );
    c(
        "Native: events of the plain simulation (footer `event_count`).",
        "SIM_EVENT_COUNT",
        "u64",
        events.to_string(),
    );
    c(
        "Native: event digest of the plain simulation (footer `event_digest`).",
        "SIM_EVENT_DIGEST",
        "&str",
        format!("\"{ev_digest:016x}\""),
    );
    c(
        "Native: state digest of the plain simulation (footer `state_digest`).",
        "SIM_STATE_DIGEST",
        "&str",
        format!("\"{st_digest:016x}\""),
    );
    c(
        "Scenario of the worker session.",
        "SESSION_SCENARIO",
        "&str",
        format!("{SESSION_SCENARIO:?}"),
    );
    c(
        "Seed of the worker session.",
        "SESSION_SEED",
        "u64",
        SESSION_SEED.to_string(),
    );
    c(
        "Native: simulation steps at the end of the session.",
        "SESSION_STEPS",
        "u64",
        s[0].to_string(),
    );
    c(
        "Native: virtual clock at the end of the session, ns.",
        "SESSION_NOW_NS",
        "u64",
        s[1].to_string(),
    );
    c(
        "Native: last input seq at the end of the session.",
        "SESSION_LAST_INPUT_SEQ",
        "u64",
        s[2].to_string(),
    );
    c(
        "Native: last output seq at the end of the session.",
        "SESSION_LAST_OUTPUT_SEQ",
        "u64",
        s[3].to_string(),
    );
    c(
        "Native: event digest at the end of the session.",
        "SESSION_EVENT_DIGEST",
        "&str",
        format!("\"{:016x}\"", s[4]),
    );
    c(
        "Native: state digest at the end of the session.",
        "SESSION_STATE_DIGEST",
        "&str",
        format!("\"{:016x}\"", s[5]),
    );

    std::fs::write(out_dir.join("native_expected.rs"), rs).expect("write native_expected.rs");
    std::fs::write(out_dir.join("session.txt"), transcript).expect("write session.txt");
}
