//! The worker's brain in the place it really runs: `wasm32-unknown-unknown` inside a dedicated
//! Web Worker of headless Chromium (`wasm-bindgen-test-runner` drives it through chromedriver).
//!
//! - Protocol values survive the trip through JavaScript values exactly (JSON strings as JS
//!   strings, frames as `ArrayBuffer`s), 64-bit integers above 2^53 included.
//! - The `Hello`/`Ready` handshake behaves as specified.
//! - Determinism across platforms: a whole worker session gives the same replies, byte for byte,
//!   and the same end digests as natively: the committed fixtures of this crate (`fixtures/`, see
//!   the crate docs; the plain reference run is checked in Node by `tests/wasm_node.rs`).
//!
//! Run: `cargo test --target wasm32-unknown-unknown -p bourse-conformance --test worker_browser`
//! (needs `chromedriver` and Chromium on PATH).
#![cfg(target_arch = "wasm32")]

use bourse_core::OrderSpec;
use bourse_core::{Candle, Interval, OrderRef, OrderType, Reason, Side, StpMode, TimeInForce};
use bourse_protocol::{
    decode_client, decode_frame, decode_server, encode_client, encode_frame, encode_server,
    ClientMessage, ClientRequest, Frame, RejectReason, ServerMessage, SimControl, SimState, Speed,
    Subscription, PROTOCOL_VERSION,
};
use bourse_sim::Scenario;
use bourse_worker::WorkerState;
use rust_decimal::Decimal;
use std::collections::VecDeque;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_dedicated_worker);

use bourse_conformance::{unhex, Expected, SessionEnd, SESSION_SCENARIO, SESSION_SEED, TRANSCRIPT};

/// 2^53: the first integer a JavaScript number cannot tell from its successor.
const TWO_POW_53: u64 = 1 << 53;

// ---------------------------------------------------------------------------------- helpers

/// `s` as a JavaScript string, concatenated by JavaScript into a new string, and back.
fn through_js_string(s: &str) -> String {
    let js = js_sys::JsString::from(JsValue::from_str(s)).concat(&JsValue::from_str(""));
    assert_eq!(
        js.length() as usize,
        s.encode_utf16().count(),
        "not a JS string of the same UTF-16 length"
    );
    String::from(js)
}

/// `bytes` copied into a new `Uint8Array`, taken as its `ArrayBuffer` (what the worker transfers
/// to the page) and copied back out through a new view of that buffer.
fn through_array_buffer(bytes: &[u8]) -> Vec<u8> {
    let view = js_sys::Uint8Array::from(bytes);
    let buffer: js_sys::ArrayBuffer = view.buffer();
    assert_eq!(
        buffer.byte_length() as usize,
        bytes.len(),
        "buffer is not a copy"
    );
    js_sys::Uint8Array::new(&buffer).to_vec()
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str_exact(s).unwrap()
}

fn req(client_seq: u64, message: ClientMessage) -> ClientRequest {
    ClientRequest {
        client_seq,
        message,
    }
}

fn hello(client_seq: u64) -> ClientRequest {
    req(
        client_seq,
        ClientMessage::Hello {
            version: PROTOCOL_VERSION,
            market: None,
            login: None,
        },
    )
}

fn sim(client_seq: u64, c: SimControl) -> ClientRequest {
    req(client_seq, ClientMessage::Sim(c))
}

/// A `volatile` worker after the handshake, played at `Speed::Max` for `steps` steps.
fn played(steps: u64) -> WorkerState {
    let mut w = WorkerState::new("volatile", 7, None).unwrap();
    w.set_check_every_command(false);
    w.handle(hello(1));
    w.handle(sim(2, SimControl::Speed(Speed::Max)));
    w.handle(sim(3, SimControl::Play));
    assert_eq!(w.advance_bounded(0, steps), steps);
    w
}

// ------------------------------------------------------------------------------ environment

// Proves the suite really runs in a dedicated worker of Chromium (not in Node).
#[wasm_bindgen_test]
fn runs_in_a_dedicated_worker_of_chromium() {
    let global = js_sys::global();
    assert!(
        global
            .dyn_ref::<web_sys::DedicatedWorkerGlobalScope>()
            .is_some(),
        "global scope is not a DedicatedWorkerGlobalScope"
    );
    let navigator = js_sys::Reflect::get(&global, &"navigator".into()).unwrap();
    let ua = js_sys::Reflect::get(&navigator, &"userAgent".into())
        .unwrap()
        .as_string()
        .unwrap();
    assert!(ua.contains("Chrome"), "user agent {ua:?}");
}

// ------------------------------------------------------------------------ 1. protocol values

// Proves page requests (ids and client_seq above 2^53, decimals) survive JSON → JS string → back.
#[wasm_bindgen_test]
fn client_requests_round_trip_through_js_strings() {
    let big = u64::MAX - 3;
    let order = OrderSpec {
        instrument: 0,
        side: Side::Buy,
        order_type: OrderType::StopLimit,
        tif: TimeInForce::Gtc,
        price: Some(dec("61234.57")),
        quantity: Some(dec("0.00012")),
        quote_quantity: None,
        stop_price: Some(dec("61200.01")),
        post_only: false,
        stp: StpMode::None,
        client_order_id: Some(big),
    };
    let market = OrderSpec {
        order_type: OrderType::Market,
        price: None,
        quantity: None,
        stop_price: None,
        quote_quantity: Some(dec("1234.56789012")),
        client_order_id: Some(TWO_POW_53 + 1),
        ..order.clone()
    };
    let requests = [
        hello(big),
        req(TWO_POW_53 + 1, ClientMessage::PlaceOrder(order)),
        req(big - 1, ClientMessage::PlaceOrder(market)),
        req(
            u64::MAX,
            ClientMessage::Cancel {
                instrument: 1,
                order: OrderRef::OrderId(big),
            },
        ),
        req(
            big,
            ClientMessage::Amend {
                instrument: 0,
                order: OrderRef::ClientOrderId(TWO_POW_53 + 1),
                price: Some(dec("0.01")),
                quantity: Some(dec("123456.00001")),
            },
        ),
        sim(
            big,
            SimControl::Reset {
                scenario: "flash-crash".into(),
                seed: u64::MAX,
                warmup_ns: 0,
            },
        ),
        req(
            big,
            ClientMessage::CandleHistory {
                instrument: 0,
                interval: Interval::S1,
                limit: 3600,
            },
        ),
    ];
    for r in requests {
        let json = encode_client(&r);
        let back = decode_client(&through_js_string(&json)).unwrap();
        assert_eq!(back, r, "{json}");
    }
    // The test can fail: JavaScript's own JSON.parse rounds the same integer (why the page decodes
    // with this crate).
    let json = encode_client(&hello(big));
    assert!(json.contains(&big.to_string()), "{json}");
    let reparsed = js_sys::JSON::stringify(&js_sys::JSON::parse(&json).unwrap())
        .unwrap()
        .as_string()
        .unwrap();
    assert_ne!(
        decode_client(&reparsed).ok(),
        Some(hello(big)),
        "{reparsed}"
    );
}

// Proves worker messages (Ack above 2^53, Rejected with non-ASCII text, CandleHistory, Ready)
// survive JSON → JS string → back.
#[wasm_bindgen_test]
fn server_messages_round_trip_through_js_strings() {
    let mut w = played(3_000);
    let history = w.handle(req(
        9,
        ClientMessage::CandleHistory {
            instrument: 0,
            interval: Interval::S1,
            limit: 100,
        },
    ));
    let [ServerMessage::CandleHistory {
        instrument,
        interval,
        mut candles,
    }]: [ServerMessage; 1] = history.clone().try_into().unwrap()
    else {
        panic!("expected CandleHistory, got {history:?}");
    };
    assert!(candles.iter().any(|c| c.trades > 0), "no traded candle");
    candles.push(Candle {
        open_time_ns: u64::MAX - 59,
        open: i64::MAX,
        high: i64::MAX,
        low: i64::MIN,
        close: -1,
        volume: u64::MAX,
        quote_volume: u64::MAX - 1,
        trades: TWO_POW_53 + 1,
    });
    let messages = [
        w.ready(),
        ServerMessage::Ack {
            client_seq: u64::MAX,
            input_seq: Some(u64::MAX - 3),
        },
        ServerMessage::Ack {
            client_seq: TWO_POW_53 + 1,
            input_seq: None,
        },
        ServerMessage::rejected(
            Some(TWO_POW_53 + 1),
            RejectReason::Exchange(Reason::NotionalBelowMinimum),
            "ünïcödé ✓ 🚀 \"quoted\" \\ \n",
        ),
        ServerMessage::rejected(None, RejectReason::UnsupportedVersion, ""),
        history[0].clone(),
        ServerMessage::CandleHistory {
            instrument,
            interval,
            candles,
        },
    ];
    for m in messages {
        let json = encode_server(&m);
        let back = decode_server(&through_js_string(&json)).unwrap();
        assert_eq!(back, m, "{json}");
    }
}

// Proves frames (a real full one, a real delta and one with u64 fields near u64::MAX) survive
// encode_frame → Uint8Array → ArrayBuffer → Vec<u8> → decode_frame, and a truncated one fails.
#[wasm_bindgen_test]
fn frames_round_trip_through_array_buffers() {
    let mut w = played(5_000);
    let full = w.take_frame();
    assert!(full.full && full.depth.is_some() && !full.trades.is_empty());
    w.advance_bounded(0, 2_000);
    let delta = w.take_frame();
    assert!(!delta.full && delta.frame_no == full.frame_no + 1);
    assert!(!delta.trades.is_empty() || !delta.candles.is_empty());

    let mut extreme: Frame = full.clone();
    extreme.frame_no = u64::MAX;
    extreme.clock_ns = u64::MAX - 1;
    extreme.last_input_seq = u64::MAX - 2;
    extreme.last_output_seq = u64::MAX - 3;
    extreme.event_digest = u64::MAX - 4;
    extreme.sim = SimState {
        playing: true,
        speed: Speed::X100,
        scenario: "ünïcödé 🚀".into(),
        seed: u64::MAX,
        steps: TWO_POW_53 + 1,
    };
    extreme.subscription = Subscription {
        l3_level: Some((Side::Sell, i64::MIN)),
        ..Subscription::new(u32::MAX)
    };
    extreme.trades_dropped = u64::MAX;
    extreme.candles_dropped = TWO_POW_53 + 1;
    extreme.executions_dropped = u64::MAX - 5;
    let t = &mut extreme.trades[0];
    t.ts_ns = u64::MAX - 6;
    t.seq = u64::MAX - 7;
    t.trade.trade_id = TWO_POW_53 + 3;
    t.trade.maker_order_id = u64::MAX;
    t.trade.quote_qty = u64::MAX;
    t.trade.price = i64::MAX;
    let depth = extreme.depth.as_mut().unwrap();
    depth.bids[0].qty = u64::MAX;
    depth.bids[0].price = i64::MIN;

    for f in [&full, &delta, &extreme] {
        let bytes = encode_frame(f);
        let back = through_array_buffer(&bytes);
        assert_eq!(back, bytes);
        assert_eq!(&decode_frame(&back).unwrap(), f);
    }
    // The comparison is not vacuous: the extreme values changed the encoding, and a frame one byte
    // short does not decode.
    let bytes = encode_frame(&extreme);
    assert_ne!(bytes, encode_frame(&full));
    assert!(decode_frame(&through_array_buffer(&bytes[..bytes.len() - 1])).is_err());
}

// ---------------------------------------------------------------------------- 2. handshake

// Proves the handshake: HelloRequired before Hello, UnsupportedVersion (client_seq None) for
// another version, exactly one correct Ready for the right one, and [Ack, Ready] after Reset.
#[wasm_bindgen_test]
fn ready_handshake() {
    let mut w = WorkerState::new("calm", 7, None).unwrap();
    let before = w.exchange().next_input_seq();
    for (seq, m) in [
        (5, ClientMessage::RequestFrame),
        (6, ClientMessage::Sim(SimControl::Play)),
        (7, ClientMessage::CancelAll { instrument: None }),
    ] {
        let out = w.handle(req(seq, m));
        assert!(
            matches!(
                out.as_slice(),
                [ServerMessage::Rejected {
                    client_seq: Some(s),
                    reason: RejectReason::HelloRequired,
                    ..
                }] if *s == seq
            ),
            "{out:?}"
        );
    }
    assert_eq!(
        w.exchange().next_input_seq(),
        before,
        "a refused request changed the exchange"
    );
    assert!(!w.is_playing());

    let out = w.handle(req(
        8,
        ClientMessage::Hello {
            version: PROTOCOL_VERSION + 1,
            market: None,
            login: None,
        },
    ));
    assert!(
        matches!(
            out.as_slice(),
            [ServerMessage::Rejected {
                client_seq: None,
                reason: RejectReason::UnsupportedVersion,
                ..
            }]
        ),
        "{out:?}"
    );
    assert!(!w.handshake_done());

    // The real Hello goes over the wire format, as from the page.
    let wire = through_js_string(&encode_client(&hello(9)));
    let out = w.handle(decode_client(&wire).unwrap());
    assert_eq!(out.len(), 1, "{out:?}");
    let ServerMessage::Ready {
        version,
        config,
        human_account,
        scenarios,
        sim: state,
        market,
        session,
    } = decode_server(&through_js_string(&encode_server(&out[0]))).unwrap()
    else {
        panic!("expected Ready, got {out:?}");
    };
    assert_eq!(session, None, "a Web Worker has no shared session");
    assert_eq!(version, PROTOCOL_VERSION);
    assert_eq!(&config, w.exchange().config());
    // The human's account is the newest one, funded with 100,000 USDT and 2 BTC.
    assert_eq!(human_account, w.exchange().account_count());
    assert_eq!(human_account, w.human_account());
    let ins = &config.instruments[config.instrument_by_symbol("BTC-USDT").unwrap() as usize];
    let coin = |asset: u32| 10u64.pow(config.assets[asset as usize].decimals);
    let bal = |asset| w.exchange().balance(human_account, asset).unwrap();
    assert_eq!(bal(ins.quote).available, 100_000 * coin(ins.quote));
    assert_eq!(bal(ins.base).available, 2 * coin(ins.base));
    let names: Vec<&str> = scenarios.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "calm",
            "volatile",
            "thin",
            "flash-crash",
            "stop-cascade",
            "halt",
            "call-auction"
        ]
    );
    assert_eq!(names, Scenario::preset_names());
    assert!(scenarios.iter().all(|s| !s.description.is_empty()));
    assert_eq!(market.handover_ns, w.now_ns());
    assert_eq!(market.live_instruments, vec![0, 1]);
    assert_eq!(
        state,
        SimState {
            playing: false,
            speed: Speed::X1,
            scenario: "calm".into(),
            seed: 7,
            steps: 0,
        }
    );
    assert!(w.handshake_done());

    // Play, then Reset to another scenario: [Ack, Ready] for the new one, paused.
    assert!(matches!(
        w.handle(sim(10, SimControl::Play)).as_slice(),
        [ServerMessage::Ack { .. }]
    ));
    w.advance(1_000_000_000);
    let out = w.handle(sim(
        11,
        SimControl::Reset {
            scenario: "volatile".into(),
            seed: u64::MAX - 3,
            warmup_ns: 0,
        },
    ));
    let [ServerMessage::Ack {
        client_seq: 11,
        input_seq: None,
    }, ServerMessage::Ready {
        version,
        human_account,
        sim: state,
        ..
    }] = out.as_slice()
    else {
        panic!("expected [Ack, Ready], got {out:?}");
    };
    assert_eq!(*version, PROTOCOL_VERSION);
    assert_eq!(*human_account, w.exchange().account_count());
    assert_eq!(
        *state,
        SimState {
            playing: false,
            speed: Speed::X1,
            scenario: "volatile".into(),
            seed: u64::MAX - 3,
            steps: 0,
        }
    );
    let out = w.handle(sim(
        12,
        SimControl::Reset {
            scenario: "no-such".into(),
            seed: 1,
            warmup_ns: 0,
        },
    ));
    assert!(
        matches!(
            out.as_slice(),
            [ServerMessage::Rejected {
                client_seq: Some(12),
                reason: RejectReason::UnknownScenario,
                ..
            }]
        ),
        "{out:?}"
    );
}

// ------------------------------------------------------------------- 3. digests vs native

// Proves a WorkerState session (human orders, Speed::Max, frames, candle history, Step) gives in
// the browser the same replies, byte for byte, and the same end digests as natively.
#[wasm_bindgen_test]
fn worker_session_equals_native() {
    // Transcript format: `bourse_conformance::worker_session`.
    let mut w = WorkerState::new(SESSION_SCENARIO, SESSION_SEED, None).unwrap();
    w.set_check_every_command(false);
    let mut pending: VecDeque<ServerMessage> = VecDeque::new();
    let (mut requests, mut frames, mut order_acks, mut executions) = (0, 0, 0, 0);
    for (n, line) in TRANSCRIPT.lines().enumerate() {
        let n = n + 1;
        let (tag, rest) = line.split_at(2);
        if matches!(tag, "> " | "@ ") {
            assert!(
                pending.is_empty(),
                "line {n}: unexpected replies {pending:?}"
            );
        }
        match tag {
            "> " => {
                let r = decode_client(&through_js_string(rest)).unwrap();
                pending.extend(w.handle(r));
                requests += 1;
            }
            "< " => {
                let got = pending
                    .pop_front()
                    .unwrap_or_else(|| panic!("line {n}: no reply"));
                assert_eq!(through_js_string(&encode_server(&got)), rest, "line {n}");
                if matches!(
                    got,
                    ServerMessage::Ack {
                        input_seq: Some(_),
                        ..
                    }
                ) {
                    order_acks += 1;
                }
            }
            "# " => {
                let Some(ServerMessage::Frame(f)) = pending.pop_front() else {
                    panic!("line {n}: expected a frame");
                };
                let bytes = through_array_buffer(&encode_frame(&f));
                let native = unhex(rest).unwrap();
                if bytes != native {
                    // Show which fields differ.
                    assert_eq!(*f, decode_frame(&native).unwrap(), "line {n}");
                    panic!("line {n}: frame encodings differ");
                }
                frames += 1;
                executions += f.executions.len();
            }
            "@ " => {
                let mut it = rest.split(' ').map(|x| x.parse::<u64>().unwrap());
                let (wall_ns, steps) = (it.next().unwrap(), it.next().unwrap());
                assert_eq!(w.advance(wall_ns), steps, "line {n}: advance");
            }
            _ => panic!("line {n}: bad transcript line {line:?}"),
        }
    }
    assert!(
        pending.is_empty(),
        "unexpected replies at the end: {pending:?}"
    );
    let ex = w.exchange();
    let here = SessionEnd {
        steps: w.sim_steps(),
        now_ns: w.now_ns(),
        last_input_seq: ex.next_input_seq() - 1,
        last_output_seq: ex.next_output_seq() - 1,
        event_digest: ex.event_digest(),
        state_digest: ex.state_digest(),
    };
    let native = Expected::committed().session;
    assert_eq!(here, native, "wasm session end state differs from native");
    // The session exercised what it claims to.
    assert!(
        requests >= 10 && frames >= 3 && order_acks == 2,
        "{requests} {frames} {order_acks}"
    );
    assert!(
        executions >= 2,
        "the human's orders produced no execution reports in frames"
    );
    assert!(native.steps >= 60_000, "session too short");
}
