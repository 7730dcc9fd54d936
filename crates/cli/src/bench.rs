//! `bourse bench`: the standard workloads of `bourse-workloads`, natively.
//!
//! The WebAssembly comparison is not here (the shipped binary spawns no tools):
//! `scripts/bench/wasm.sh` builds the same workloads for wasm32, runs them in Node and takes the
//! native figures from `bourse bench --json`.

use crate::{progress, CliError, Result};
use bourse_workloads::{
    run_book, run_book_timed, run_exchange, run_exchange_timed, BookStats, Prepared, RunSummary,
    EXCHANGE_ACCOUNTS,
};
use clap::{Args, ValueEnum};
use hdrhistogram::Histogram;
use serde::Serialize;
use std::time::Instant;

/// Book layer target, messages per second.
const BOOK_TARGET: f64 = 12e6;
/// Full exchange path target, orders (commands) per second.
const EXCHANGE_TARGET: f64 = 2e6;
/// Full exchange path p99 latency target, ns.
const EXCHANGE_P99_TARGET_NS: u64 = 2_000;

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WorkloadSel {
    /// The realistic mix: on the book layer alone, then through the full exchange.
    Realistic,
    /// Deep books and large sweeps on the book layer.
    Sweep,
    /// Everything.
    All,
}

#[derive(Args)]
pub struct BenchArgs {
    /// Which workloads to run.
    #[arg(long, value_enum, default_value = "all")]
    workload: WorkloadSel,
    /// Messages (commands) per workload.
    #[arg(long, default_value_t = 1_000_000)]
    orders: usize,
    /// Timed runs per workload (after one warm-up run); the median and best are reported.
    #[arg(long, default_value_t = 5)]
    iters: u32,
    /// Workload seed.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Print one JSON object per workload on stdout instead of the report (for scripts such as
    /// `scripts/bench/wasm.sh`); fields in [`JsonLine`].
    #[arg(long)]
    json: bool,
}

fn machine() -> String {
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    format!(
        "{model}, {cores} cores available, {} {}",
        std::env::consts::OS,
        std::env::consts::ARCH
    )
}

fn names(sel: WorkloadSel) -> Vec<&'static str> {
    match sel {
        WorkloadSel::Realistic => vec!["book-realistic", "exchange-realistic"],
        WorkloadSel::Sweep => vec!["book-deep-sweep"],
        WorkloadSel::All => vec!["book-realistic", "exchange-realistic", "book-deep-sweep"],
    }
}

fn generate(name: &str, seed: u64, n: usize) -> Result<Prepared> {
    let pb = progress(None, "{spinner} {msg} ({elapsed})");
    pb.enable_steady_tick(std::time::Duration::from_millis(100));
    pb.set_message(format!("generating {name} ({n} messages)"));
    let p = Prepared::generate(name, seed, n)
        .ok_or_else(|| CliError(format!("unknown workload {name}")))?;
    pb.finish_and_clear();
    Ok(p)
}

/// Seconds of each of `iters` timed runs (after one warm-up run), and the last run's summary.
fn time_runs(p: &Prepared, iters: u32, label: &str) -> (Vec<f64>, RunSummary) {
    let pb = progress(
        Some(iters as u64 + 1),
        "{spinner} {msg} [{bar:20}] {pos}/{len} runs",
    );
    pb.set_message(label.to_string());
    let mut last = p.run_once();
    pb.inc(1);
    let mut secs = Vec::with_capacity(iters as usize);
    for _ in 0..iters.max(1) {
        let (s, summary) = match p {
            Prepared::Book(cmds) => {
                let t = Instant::now();
                let st = run_book(cmds);
                let s = t.elapsed().as_secs_f64();
                (
                    s,
                    RunSummary {
                        messages: st.commands,
                        events: st.events,
                        trades: st.fills,
                        checksum: st.checksum,
                    },
                )
            }
            Prepared::Exchange { base, flow } => {
                let mut ex = (**base).clone();
                let t = Instant::now();
                let st = run_exchange(&mut ex, flow);
                let s = t.elapsed().as_secs_f64();
                (
                    s,
                    RunSummary {
                        messages: st.commands,
                        events: st.events,
                        trades: st.trades,
                        checksum: st.digest,
                    },
                )
            }
        };
        assert_eq!(summary, last, "runs of the same workload differ");
        last = summary;
        secs.push(s);
        pb.inc(1);
    }
    pb.finish_and_clear();
    (secs, last)
}

fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Per-command latency histogram from one run with a clock read after every command.
fn latency(p: &Prepared) -> (Histogram<u64>, Option<BookStats>) {
    let mut h = Histogram::<u64>::new_with_bounds(1, 3_600_000_000_000, 3).expect("bounds");
    let base = Instant::now();
    let clock = || base.elapsed().as_nanos() as u64;
    let stats = match p {
        Prepared::Book(cmds) => Some(run_book_timed(cmds, clock, |ns| {
            h.saturating_record(ns.max(1))
        })),
        Prepared::Exchange { base: ex0, flow } => {
            let mut ex = (**ex0).clone();
            run_exchange_timed(&mut ex, flow, clock, |ns| h.saturating_record(ns.max(1)));
            None
        }
    };
    (h, stats)
}

/// Average cost of one `Instant::now()` (included once in every latency sample).
fn clock_overhead_ns() -> f64 {
    let n = 1_000_000;
    let t = Instant::now();
    let mut acc = 0u128;
    for _ in 0..n {
        acc = acc.wrapping_add(t.elapsed().as_nanos());
    }
    std::hint::black_box(acc);
    t.elapsed().as_nanos() as f64 / n as f64
}

fn mrate(x: f64) -> String {
    format!("{:.2} M", x / 1e6)
}

fn ns(v: u64) -> String {
    if v >= 10_000 {
        format!("{:.1} µs", v as f64 / 1000.0)
    } else {
        format!("{v} ns")
    }
}

/// One workload's figures as `bourse bench --json` prints them (one object per line).
#[derive(Serialize)]
pub struct JsonLine {
    /// Workload name (`book-realistic`, `exchange-realistic`, `book-deep-sweep`).
    workload: &'static str,
    /// Messages (commands) per run.
    messages: u64,
    /// Timed runs (after one warm-up run).
    iters: u32,
    /// Messages per second of the median run.
    msgs_per_sec: f64,
    /// Messages per second of the fastest run.
    best_msgs_per_sec: f64,
    /// Events of one run.
    events: u64,
    /// Fills (book workloads) or trades (exchange workload) of one run.
    trades: u64,
    /// Checksum (book) or event digest (exchange) of one run, 16 hex digits; equal in WebAssembly.
    checksum: String,
    /// Per-command latency percentiles and maximum, ns (clock read included).
    p50_ns: u64,
    /// See `p50_ns`.
    p99_ns: u64,
    /// See `p50_ns`.
    p999_ns: u64,
    /// See `p50_ns`.
    max_ns: u64,
}

pub fn run(args: BenchArgs) -> Result<()> {
    let n = args.orders;
    if n == 0 {
        return Err(CliError("--orders must be positive".into()));
    }
    if cfg!(debug_assertions) {
        eprintln!(
            "warning: this is a debug build; measure with `cargo run --release -p bourse -- bench`"
        );
    }
    if !args.json {
        println!("machine: {}", machine());
        println!(
            "workloads: {n} messages each, seed {}, {} timed runs after 1 warm-up (generation not timed)",
            args.seed, args.iters
        );
        let overhead = clock_overhead_ns();
        println!(
            "latency: one clock read per command (Instant::now ≈ {overhead:.0} ns, included in each sample)"
        );
    }
    for name in names(args.workload) {
        let p = generate(name, args.seed, n)?;
        let (secs, summary) = time_runs(&p, args.iters, name);
        let msgs = p.messages() as f64;
        let med = msgs / median(&secs);
        let best = msgs / secs.iter().cloned().fold(f64::INFINITY, f64::min);
        let (h, stats) = latency(&p);
        let (p50, p99, p999, max) = (
            h.value_at_quantile(0.50),
            h.value_at_quantile(0.99),
            h.value_at_quantile(0.999),
            h.max(),
        );
        if args.json {
            let line = JsonLine {
                workload: name,
                messages: p.messages() as u64,
                iters: secs.len() as u32,
                msgs_per_sec: med,
                best_msgs_per_sec: best,
                events: summary.events,
                trades: summary.trades,
                checksum: format!("{:016x}", summary.checksum),
                p50_ns: p50,
                p99_ns: p99,
                p999_ns: p999,
                max_ns: max,
            };
            println!(
                "{}",
                serde_json::to_string(&line).map_err(|e| CliError(e.to_string()))?
            );
            continue;
        }
        println!();
        match name {
            "book-realistic" => {
                println!(
                    "[a] book layer alone (OrderBook, MatchingEngine::execute), realistic mix"
                );
                let ok = if med >= BOOK_TARGET { "meets" } else { "BELOW" };
                println!(
                    "    throughput  {} msgs/s median, {} best    target ≥ 12 M msgs/s: {ok}",
                    mrate(med),
                    mrate(best)
                );
            }
            "exchange-realistic" => {
                println!(
                    "[b] full exchange path (Exchange::apply: sequencer, risk, wallet, market data, digest), realistic mix, {EXCHANGE_ACCOUNTS} funded accounts"
                );
                let ok = if med >= EXCHANGE_TARGET {
                    "meets"
                } else {
                    "BELOW"
                };
                println!(
                    "    throughput  {} orders/s median, {} best    target ≥ 2 M orders/s: {ok}",
                    mrate(med),
                    mrate(best)
                );
            }
            _ => {
                println!("[c] book layer alone, deep books then large sweeps");
                println!(
                    "    throughput  {} msgs/s median, {} best; {} fills/s",
                    mrate(med),
                    mrate(best),
                    mrate(summary.trades as f64 / median(&secs))
                );
            }
        }
        print!(
            "    latency     p50 {}  p99 {}  p99.9 {}  max {}",
            ns(p50),
            ns(p99),
            ns(p999),
            ns(max)
        );
        if name == "exchange-realistic" {
            let ok = if p99 < EXCHANGE_P99_TARGET_NS {
                "meets"
            } else {
                "ABOVE"
            };
            print!("    target p99 < 2 µs: {ok}");
        }
        println!();
        println!(
            "    per run     {} messages → {} events, {} {}; checksum {:016x}",
            summary.messages,
            summary.events,
            summary.trades,
            if name.starts_with("exchange") {
                "trades"
            } else {
                "fills"
            },
            summary.checksum
        );
        if let (Some(st), "book-realistic") = (stats, name) {
            let ended = (st.cancels + st.maker_full_fills).max(1) as f64;
            println!(
                "    mix         of resting orders that left the book: {:.0}% cancelled, {:.0}% filled; {:.0}% of messages were amends; {} resting at the end",
                100.0 * st.cancels as f64 / ended,
                100.0 * st.maker_full_fills as f64 / ended,
                100.0 * st.amends as f64 / st.commands.max(1) as f64,
                st.resting_at_end
            );
        }
    }
    Ok(())
}
