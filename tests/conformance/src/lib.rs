//! # bourse-conformance
//!
//! Checks the determinism invariant across platforms: state is a pure function of the command
//! log, so the same seeded run gives the same events, bytes and digests natively and in
//! WebAssembly. Two runs are pinned by golden fixtures committed beside this crate:
//!
//! - the **reference run** ([`reference_run`]): a plain [`bourse_sim::Simulation`] of
//!   [`REFERENCE_SCENARIO`] / [`REFERENCE_SEED`] for [`REFERENCE_DURATION_NS`], run exactly as
//!   `bourse simulate --scenario volatile --seed 7 --duration 3m` runs it (invariant checks off,
//!   `run_until` in one-virtual-second slices); its four figures are that command's footer
//!   (`final_input_seq`, `event_count`, `event_digest`, `state_digest`);
//! - the **auction run** ([`auction_run`]): the same for [`AUCTION_SCENARIO`] / [`REFERENCE_SEED`]
//!   for [`AUCTION_DURATION_NS`] (`bourse simulate --scenario call-auction --seed 7 --duration
//!   4m`): a call auction from 1 to 3 minutes and its uncross, so the auction's commands and events
//!   are pinned natively and in WebAssembly too;
//! - the **worker session** ([`worker_session`]): a [`bourse_worker::WorkerState`] driven like the
//!   page drives it (handshake, `Speed::Max`, the human's orders, frames, candle history, pause
//!   and step; 61,000 simulation steps, about 38 virtual minutes), recorded as a transcript of
//!   every request, every reply (JSON; frames as hex of their binary encoding) and every `advance`
//!   call, plus its end state ([`SessionEnd`]).
//!
//! ## Fixtures
//! - `fixtures/expected.txt`: the figures of both runs ([`Expected`], `key value` lines);
//! - `fixtures/worker-session.txt`: the transcript ([`TRANSCRIPT`], format in
//!   [`worker_session`]).
//!
//! Both are written by the native build of this crate and compared, not trusted: `tests/native.rs`
//! recomputes them natively and fails when they are stale; `tests/wasm_node.rs` re-runs the
//! reference run in WebAssembly under Node; `tests/worker_browser.rs` replays the transcript,
//! request by request, inside a dedicated Web Worker of headless Chromium and requires every reply
//! byte for byte. A deliberate change of behaviour (a new agent, a protocol change) changes them;
//! regenerate with
//!
//! ```text
//! BOURSE_BLESS=1 cargo test -p bourse-conformance --test native
//! ```
//!
//! and say in the commit why the digests moved. The reference figures can be checked without
//! this crate: `bourse simulate --scenario volatile --seed 7 --duration 3m` prints them.
//!
//! Nothing here runs at build time: the site build (`trunk build`) compiles no fixture.

#![warn(missing_docs)]

use bourse_core::{from_grid, Interval, OrderSpec, OrderType, Side, StpMode, TimeInForce};
use bourse_protocol::{
    encode_client, encode_frame, encode_server, ClientMessage, ClientRequest, ServerMessage,
    SimControl, Speed, PROTOCOL_VERSION,
};
use bourse_worker::{WorkerState, MAX_STEPS_PER_ADVANCE, MAX_STEP_COUNT};
use std::fmt::Write as _;

/// Scenario of the reference run.
pub const REFERENCE_SCENARIO: &str = "volatile";
/// Seed of the reference run.
pub const REFERENCE_SEED: u64 = 7;
/// Virtual duration of the reference run, ns (3 minutes: `--duration 3m`).
pub const REFERENCE_DURATION_NS: u64 = 180_000_000_000;

/// Scenario of the auction run.
pub const AUCTION_SCENARIO: &str = "call-auction";
/// Virtual duration of the auction run, ns (4 minutes: the auction lasts from 1 to 3).
pub const AUCTION_DURATION_NS: u64 = 240_000_000_000;

/// Scenario of the worker session.
pub const SESSION_SCENARIO: &str = "volatile";
/// Seed of the worker session.
pub const SESSION_SEED: u64 = 7;

/// `fixtures/expected.txt` as committed (parse with [`Expected::parse`]).
pub const EXPECTED: &str = include_str!("../fixtures/expected.txt");
/// `fixtures/worker-session.txt` as committed: the native transcript of [`worker_session`].
pub const TRANSCRIPT: &str = include_str!("../fixtures/worker-session.txt");

/// The footer figures of a simulation run (as `bourse simulate` prints them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Footer {
    /// Input sequence number of the last command (commands applied).
    pub final_input_seq: u64,
    /// Events emitted (output sequence number of the last event).
    pub event_count: u64,
    /// The exchange's running event digest.
    pub event_digest: u64,
    /// The exchange's state digest at the end.
    pub state_digest: u64,
}

/// The end state of the worker session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SessionEnd {
    /// Simulation steps run ([`WorkerState::sim_steps`]).
    pub steps: u64,
    /// Virtual clock, ns since the Unix epoch.
    pub now_ns: u64,
    /// Input sequence number of the last command.
    pub last_input_seq: u64,
    /// Output sequence number of the last event.
    pub last_output_seq: u64,
    /// The exchange's running event digest.
    pub event_digest: u64,
    /// The exchange's state digest.
    pub state_digest: u64,
}

/// The figures of `fixtures/expected.txt`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Expected {
    /// The reference run's footer.
    pub reference: Footer,
    /// The auction run's footer.
    pub auction: Footer,
    /// The worker session's end state.
    pub session: SessionEnd,
}

impl Expected {
    /// The fixture text: a comment header, then one `key value` line per figure (digests as 16
    /// lower-case hex digits, counts and times in decimal).
    pub fn render(&self) -> String {
        let (r, a, s) = (&self.reference, &self.auction, &self.session);
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# Native figures pinned by bourse-conformance (see tests/conformance/src/lib.rs).\n\
             # Regenerate: BOURSE_BLESS=1 cargo test -p bourse-conformance --test native\n\
             # reference: bourse simulate --scenario {REFERENCE_SCENARIO} --seed {REFERENCE_SEED} --duration 3m\n\
             reference.final_input_seq {}\n\
             reference.event_count {}\n\
             reference.event_digest {:016x}\n\
             reference.state_digest {:016x}\n\
             # auction: bourse simulate --scenario {AUCTION_SCENARIO} --seed {REFERENCE_SEED} --duration 4m\n\
             auction.final_input_seq {}\n\
             auction.event_count {}\n\
             auction.event_digest {:016x}\n\
             auction.state_digest {:016x}\n\
             # worker session: {SESSION_SCENARIO}, seed {SESSION_SEED} (transcript in worker-session.txt)\n\
             session.steps {}\n\
             session.now_ns {}\n\
             session.last_input_seq {}\n\
             session.last_output_seq {}\n\
             session.event_digest {:016x}\n\
             session.state_digest {:016x}",
            r.final_input_seq,
            r.event_count,
            r.event_digest,
            r.state_digest,
            a.final_input_seq,
            a.event_count,
            a.event_digest,
            a.state_digest,
            s.steps,
            s.now_ns,
            s.last_input_seq,
            s.last_output_seq,
            s.event_digest,
            s.state_digest,
        );
        out
    }

    /// Parse [`Expected::render`]'s format.
    ///
    /// # Errors
    /// A message naming the line when a line is malformed, a key is unknown or repeated, or a key
    /// is missing.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut e = Expected::default();
        let mut seen = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (key, value) = line
                .split_once(' ')
                .ok_or_else(|| format!("line {}: expected `key value`", n + 1))?;
            let dec = || {
                value
                    .parse::<u64>()
                    .map_err(|err| format!("line {}: {key}: {err}", n + 1))
            };
            let hex = || {
                u64::from_str_radix(value, 16)
                    .map_err(|err| format!("line {}: {key}: {err}", n + 1))
            };
            let slot = match key {
                "reference.final_input_seq" => (&mut e.reference.final_input_seq, dec()?),
                "reference.event_count" => (&mut e.reference.event_count, dec()?),
                "reference.event_digest" => (&mut e.reference.event_digest, hex()?),
                "reference.state_digest" => (&mut e.reference.state_digest, hex()?),
                "auction.final_input_seq" => (&mut e.auction.final_input_seq, dec()?),
                "auction.event_count" => (&mut e.auction.event_count, dec()?),
                "auction.event_digest" => (&mut e.auction.event_digest, hex()?),
                "auction.state_digest" => (&mut e.auction.state_digest, hex()?),
                "session.steps" => (&mut e.session.steps, dec()?),
                "session.now_ns" => (&mut e.session.now_ns, dec()?),
                "session.last_input_seq" => (&mut e.session.last_input_seq, dec()?),
                "session.last_output_seq" => (&mut e.session.last_output_seq, dec()?),
                "session.event_digest" => (&mut e.session.event_digest, hex()?),
                "session.state_digest" => (&mut e.session.state_digest, hex()?),
                _ => return Err(format!("line {}: unknown key {key}", n + 1)),
            };
            if seen.contains(&key) {
                return Err(format!("line {}: {key} repeated", n + 1));
            }
            seen.push(key);
            *slot.0 = slot.1;
        }
        if seen.len() != 14 {
            return Err(format!("{} of 14 keys present", seen.len()));
        }
        Ok(e)
    }

    /// The committed fixture ([`EXPECTED`]), parsed.
    ///
    /// # Panics
    /// If the committed file is malformed (a test then fails with the parse error).
    pub fn committed() -> Self {
        Self::parse(EXPECTED).unwrap_or_else(|e| panic!("fixtures/expected.txt: {e}"))
    }
}

/// Run the reference simulation (see the crate docs) and return its footer. With
/// `check_every_command` the exchange's invariants are checked after every command (slower; the
/// figures must not change).
pub fn reference_run(check_every_command: bool) -> Footer {
    simulate(
        REFERENCE_SCENARIO,
        REFERENCE_DURATION_NS,
        check_every_command,
    )
}

/// Run the auction simulation (see the crate docs) and return its footer.
pub fn auction_run(check_every_command: bool) -> Footer {
    simulate(AUCTION_SCENARIO, AUCTION_DURATION_NS, check_every_command)
}

/// `bourse simulate --scenario NAME --seed 7 --duration ...`, in one-virtual-second slices.
fn simulate(name: &str, duration_ns: u64, check_every_command: bool) -> Footer {
    let scenario = bourse_sim::Scenario::preset(name).expect("preset exists");
    let mut sim = bourse_sim::Simulation::new(scenario, REFERENCE_SEED).expect("valid scenario");
    sim.set_check_every_command(check_every_command);
    let (mut log, mut events) = (Vec::new(), Vec::new());
    let end = sim.start_ns() + duration_ns;
    let mut now = sim.start_ns();
    while now < end {
        now = (now + 1_000_000_000).min(end);
        sim.run_until(now, &mut log, &mut events);
        log.clear();
        events.clear();
    }
    let ex = sim.exchange();
    Footer {
        final_input_seq: ex.next_input_seq() - 1,
        event_count: ex.next_output_seq() - 1,
        event_digest: ex.event_digest(),
        state_digest: ex.state_digest(),
    }
}

/// `bytes` as lower-case hex, two digits per byte.
pub fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// The inverse of [`hex`].
///
/// # Errors
/// When `s` has an odd length or a character that is not a hex digit.
pub fn unhex(s: &str) -> Result<Vec<u8>, String> {
    if !s.len().is_multiple_of(2) {
        return Err(format!("odd hex length {}", s.len()));
    }
    (0..s.len())
        .step_by(2)
        .map(|i| {
            s.get(i..i + 2)
                .and_then(|d| u8::from_str_radix(d, 16).ok())
                .ok_or_else(|| format!("bad hex at {i}"))
        })
        .collect()
}

/// Records a session: sends requests and `advance` calls to a [`WorkerState`] and writes the
/// transcript lines.
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
        let _ = writeln!(self.out, "> {}", encode_client(&req));
        let replies = self.w.handle(req);
        for r in &replies {
            let _ = match r {
                ServerMessage::Frame(f) => writeln!(self.out, "# {}", hex(&encode_frame(f))),
                other => writeln!(self.out, "< {}", encode_server(other)),
            };
        }
        replies
    }

    fn advance(&mut self, wall_ns: u64) -> u64 {
        let steps = self.w.advance(wall_ns);
        let _ = writeln!(self.out, "@ {wall_ns} {steps}");
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
        ClientMessage::PlaceOrder(OrderSpec {
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

/// Run the worker session natively; returns its transcript and end state.
///
/// Transcript lines, in order: `> request JSON`, then that request's replies in order, each
/// `< message JSON` or `# frame bytes as hex`; `@ wall_ns steps` is one
/// [`WorkerState::advance`]`(wall_ns)` call that ran `steps` steps. A replay sends the `>` lines
/// and makes the `@` calls and must get exactly the `<`/`#` lines and step counts back.
///
/// The session: `Hello`, `Speed::Max`, `Play`, one advance (a full [`MAX_STEPS_PER_ADVANCE`]),
/// a frame; the human rests a bid 50 ticks under the best bid (client order id above 2^53) and
/// lifts the best ask with an IOC; two more advances and frames; a candle history; `Pause`; a
/// `Step` of [`MAX_STEP_COUNT`] / 20 steps; a last frame.
///
/// # Panics
/// If the worker refuses a step of the session (the session would no longer test what it says).
pub fn worker_session() -> (String, SessionEnd) {
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
        login: None,
    });
    r.send(ClientMessage::Sim(SimControl::Speed(Speed::Max)));
    r.send(ClientMessage::Sim(SimControl::Play));
    assert_eq!(
        r.advance(0),
        MAX_STEPS_PER_ADVANCE,
        "session: first advance"
    );
    r.send(ClientMessage::RequestFrame);
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
    // "Explain this fill" of the IOC buy: its events, the maker's queue history and the fees;
    // again after 20,000 steps, from the window of commands that concern the human.
    r.send(ClientMessage::Explain(
        bourse_protocol::ExplainTarget::Own { before: None },
    ));
    r.advance(0);
    r.send(ClientMessage::RequestFrame);
    r.send(ClientMessage::Explain(
        bourse_protocol::ExplainTarget::Own { before: None },
    ));
    r.advance(0);
    r.send(ClientMessage::CandleHistory {
        instrument: 0,
        interval: Interval::M1,
        limit: 10,
    });
    r.send(ClientMessage::Sim(SimControl::Pause));
    r.send(ClientMessage::Sim(SimControl::Step {
        steps: MAX_STEP_COUNT / 20,
    }));
    r.send(ClientMessage::RequestFrame);
    let ex = r.w.exchange();
    let end = SessionEnd {
        steps: r.w.sim_steps(),
        now_ns: r.w.now_ns(),
        last_input_seq: ex.next_input_seq() - 1,
        last_output_seq: ex.next_output_seq() - 1,
        event_digest: ex.event_digest(),
        state_digest: ex.state_digest(),
    };
    (r.out, end)
}
