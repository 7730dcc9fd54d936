//! Encoded frame sizes (and, natively, encode + decode times) for JSON vs postcard.
//!
//! Runs two minutes of a preset with a human resting orders, taking one frame per 60 Hz animation
//! frame at speeds 1x, 10x and 100x (16.7 ms, 167 ms and 1.67 s of virtual time per frame).
//!
//! ```text
//! cargo run --release -p bourse-protocol --example frame_sizes [-- PRESET [SEED]]
//! ```

use bourse_core::{Command, Interval, NewOrder, OrderSpec, OrderType, Side, StpMode, TimeInForce};
use bourse_protocol::*;
use bourse_sim::{Scenario, Simulation};
use rust_decimal::Decimal;
use std::time::Instant;

const MS: u64 = 1_000_000;

struct Stats {
    bytes: Vec<usize>,
    nanos: u128,
}

impl Stats {
    fn new() -> Self {
        Stats {
            bytes: vec![],
            nanos: 0,
        }
    }
    fn line(&self) -> String {
        let n = self.bytes.len();
        let mut sorted = self.bytes.clone();
        sorted.sort_unstable();
        format!(
            "mean {:>6} B  p50 {:>6} B  p99 {:>6} B  max {:>6} B  enc+dec {:>7.2} µs/frame",
            self.bytes.iter().sum::<usize>() / n,
            sorted[n / 2],
            sorted[n * 99 / 100],
            sorted[n - 1],
            self.nanos as f64 / n as f64 / 1000.0
        )
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let preset = args.get(1).map(String::as_str).unwrap_or("calm");
    let seed: u64 = args.get(2).map(|s| s.parse().unwrap()).unwrap_or(1);
    println!("preset {preset}, seed {seed}, 2 minutes of virtual time per speed");
    for (speed, frame_ns) in [
        ("1x", 16_667 * 1000),
        ("10x", 166_667 * 1000),
        ("100x", 1_666_667 * 1000),
    ] {
        let mut sim = Simulation::new(Scenario::preset(preset).expect("preset"), seed).unwrap();
        let (mut log, mut events) = (Vec::new(), Vec::new());
        sim.submit(
            Command::CreateAccount {
                max_open_orders: None,
                daily_notional_limit: None,
            },
            &mut log,
            &mut events,
        );
        let human = sim.exchange().account_count();
        sim.submit(
            Command::Deposit {
                account: human,
                asset: 2,
                amount: Decimal::from(1_000_000),
            },
            &mut log,
            &mut events,
        );
        let sub = Subscription {
            instrument: 0,
            depth_levels: 20,
            grouping_ticks: 10,
            candle_interval: Interval::S1,
            l3_level: None,
        };
        let mut builder = FrameBuilder::new(human, sub);
        let state = SimState {
            playing: true,
            speed: Speed::X1,
            scenario: preset.into(),
            seed,
            steps: 0,
        };
        let (mut bin, mut json) = (Stats::new(), Stats::new());
        let mut buf = Vec::new();
        let start = sim.now_ns();
        let end = start + 120_000 * MS;
        let mut fed = 0;
        let mut t = start;
        let mut k = 0u64;
        while t < end {
            t += frame_ns;
            k += 1;
            sim.run_until(t, &mut log, &mut events);
            if k.is_multiple_of(60) {
                // About once per wall-clock second the human places a resting bid.
                if let Some((bb, _)) = sim.exchange().book(0).unwrap().best_bid() {
                    let order = NewOrder {
                        account: human,
                        spec: OrderSpec {
                            instrument: 0,
                            side: Side::Buy,
                            order_type: OrderType::Limit,
                            tif: TimeInForce::Gtc,
                            price: Some(Decimal::new(bb - 5, 2)),
                            quantity: Some(Decimal::new(1, 3)),
                            quote_quantity: None,
                            stop_price: None,
                            post_only: false,
                            stp: StpMode::None,
                            client_order_id: None,
                        },
                    };
                    sim.submit(Command::PlaceOrder(order), &mut log, &mut events);
                }
            }
            builder.on_events(&events[fed..]);
            fed = events.len();
            if events.len() > 100_000 {
                events.clear();
                log.clear();
                fed = 0;
            }
            let frame = builder.take_frame(sim.exchange(), sim.now_ns(), &state);

            let t0 = Instant::now();
            encode_frame_into(&frame, &mut buf);
            let back = decode_frame(&buf).unwrap();
            bin.nanos += t0.elapsed().as_nanos();
            bin.bytes.push(buf.len());

            let msg = ServerMessage::Frame(Box::new(frame));
            let t0 = Instant::now();
            let s = encode_server(&msg);
            let back_json = decode_server(&s).unwrap();
            json.nanos += t0.elapsed().as_nanos();
            json.bytes.push(s.len());

            assert_eq!(ServerMessage::Frame(Box::new(back)), back_json);
        }
        // A full frame (every snapshot) at the end of the run.
        builder.force_full();
        let f = builder.take_frame(sim.exchange(), sim.now_ns(), &state);
        let full = (
            encode_frame(&f).len(),
            encode_server(&ServerMessage::Frame(Box::new(f))).len(),
        );
        println!("speed {speed:>4}: {k} frames");
        println!("  postcard  {}", bin.line());
        println!("  JSON      {}", json.line());
        println!(
            "  full frame at the end: postcard {} B, JSON {} B",
            full.0, full.1
        );
    }
}
