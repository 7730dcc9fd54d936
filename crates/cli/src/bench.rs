//! `bourse bench`: the standard workloads of `bourse-bench`, natively (and with `--wasm`, in
//! WebAssembly through Node for comparison).

use crate::{progress, CliError, Result};
use bourse_bench::{
    run_book, run_book_timed, run_exchange, run_exchange_timed, BookStats, Prepared, RunSummary,
    EXCHANGE_ACCOUNTS,
};
use clap::{Args, ValueEnum};
use hdrhistogram::Histogram;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// Book layer target, messages per second.
const BOOK_TARGET: f64 = 12e6;
/// Full exchange path target, orders (commands) per second.
const EXCHANGE_TARGET: f64 = 2e6;
/// Full exchange path p99 latency target, ns.
const EXCHANGE_P99_TARGET_NS: u64 = 2_000;
/// wasm / native throughput ratio target.
const WASM_RATIO_TARGET: f64 = 0.7;

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
    /// Messages (commands) per workload [default: 1000000; with --wasm 300000].
    #[arg(long)]
    orders: Option<usize>,
    /// Timed runs per workload (after one warm-up run); the median and best are reported.
    #[arg(long, default_value_t = 5)]
    iters: u32,
    /// Workload seed.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Build the wasm bench, run it in Node and print the wasm/native throughput ratio per workload.
    #[arg(long)]
    wasm: bool,
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

pub fn run(args: BenchArgs) -> Result<()> {
    if args.wasm {
        return wasm(args);
    }
    let n = args.orders.unwrap_or(1_000_000);
    if n == 0 {
        return Err(CliError("--orders must be positive".into()));
    }
    if cfg!(debug_assertions) {
        eprintln!(
            "warning: this is a debug build; measure with `cargo run --release -p bourse -- bench`"
        );
    }
    println!("machine: {}", machine());
    println!(
        "workloads: {n} messages each, seed {}, {} timed runs after 1 warm-up (generation not timed)",
        args.seed, args.iters
    );
    let overhead = clock_overhead_ns();
    println!(
        "latency: one clock read per command (Instant::now ≈ {overhead:.0} ns, included in each sample)"
    );
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

// ---------------------------------------------------------------------------------------- wasm

fn repo_root() -> PathBuf {
    let compiled = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    if compiled.join("crates/bench/Cargo.toml").exists() {
        return compiled.canonicalize().unwrap_or(compiled);
    }
    std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."))
}

fn run_tool(cmd: &mut Command, what: &str) -> Result<String> {
    let out = cmd
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| CliError(format!("cannot run {what}: {e}")))?;
    if !out.status.success() {
        return Err(CliError(format!("{what} failed ({})", out.status)));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn wasm_bindgen_bin() -> PathBuf {
    if let Some(home) = std::env::var_os("HOME") {
        let p = Path::new(&home).join(".cargo/bin/wasm-bindgen");
        if p.exists() {
            return p;
        }
    }
    PathBuf::from("wasm-bindgen")
}

fn wasm(args: BenchArgs) -> Result<()> {
    let n = args.orders.unwrap_or(300_000);
    let iters = args.iters.min(3);
    let root = repo_root();
    let out_dir = root.join("target/wasm-bench");
    eprintln!("building the wasm bench (cargo build --release --target wasm32-unknown-unknown -p bourse-bench)");
    run_tool(
        Command::new("cargo").current_dir(&root).args([
            "build",
            "--release",
            "--target",
            "wasm32-unknown-unknown",
            "-p",
            "bourse-bench",
        ]),
        "cargo build (wasm32)",
    )?;
    let meta = run_tool(
        Command::new("cargo").current_dir(&root).args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
        ]),
        "cargo metadata",
    )?;
    let target_dir: PathBuf = serde_json::from_str::<serde_json::Value>(&meta)
        .ok()
        .and_then(|v| v["target_directory"].as_str().map(PathBuf::from))
        .ok_or_else(|| CliError("cargo metadata: no target_directory".into()))?;
    let wasm_file = target_dir.join("wasm32-unknown-unknown/release/bourse_bench.wasm");
    eprintln!(
        "wasm-bindgen --target nodejs --out-dir {} {}",
        out_dir.display(),
        wasm_file.display()
    );
    run_tool(
        Command::new(wasm_bindgen_bin())
            .arg("--target")
            .arg("nodejs")
            .arg("--out-dir")
            .arg(&out_dir)
            .arg(&wasm_file),
        "wasm-bindgen",
    )?;
    let names = names(args.workload);
    println!("machine: {}", machine());
    println!(
        "workloads: {n} messages each, seed {}, {iters} timed runs after 1 warm-up, best of 3 alternating rounds, same code natively and in wasm (node {})",
        args.seed,
        run_tool(Command::new("node").arg("--version"), "node")
            .unwrap_or_default()
            .trim()
    );
    println!(
        "{:<20} {:>14} {:>14} {:>7}  target ≥ {WASM_RATIO_TARGET}   results",
        "workload", "native msgs/s", "wasm msgs/s", "ratio"
    );
    // Other processes share the machine: alternate wasm and native rounds and keep the best of
    // each, so that a burst of background load does not decide the ratio.
    const ROUNDS: usize = 3;
    for name in names {
        let p = generate(name, args.seed, n)?;
        let (mut wasm_rate, mut native_rate) = (0f64, 0f64);
        let mut wasm_sum = String::new();
        let mut native_sum = 0u64;
        for _ in 0..ROUNDS {
            let js = run_tool(
                Command::new("node")
                    .arg(root.join("bench/wasm-bench.mjs"))
                    .args(["--json", "--workload", name])
                    .args(["--orders", &n.to_string()])
                    .args(["--iters", &iters.to_string()])
                    .args(["--seed", &args.seed.to_string()])
                    .arg("--dir")
                    .arg(&out_dir),
                "node bench/wasm-bench.mjs",
            )?;
            let v: serde_json::Value = serde_json::from_str(js.trim())
                .map_err(|e| CliError(format!("wasm bench output is not JSON ({e}): {js}")))?;
            wasm_rate = wasm_rate.max(v["msgs_per_sec"].as_f64().unwrap_or(0.0));
            wasm_sum = v["checksum"].as_str().unwrap_or("").to_string();
            // Native: the same generator and the same `Prepared::run` code, timed the same way
            // (one warm-up run, then `iters` runs).
            p.run(1);
            let t = Instant::now();
            let s = p.run(iters);
            native_rate =
                native_rate.max((p.messages() as f64 * iters as f64) / t.elapsed().as_secs_f64());
            native_sum = s.checksum;
        }
        let ratio = wasm_rate / native_rate;
        let same = if wasm_sum == format!("{native_sum:016x}") {
            "identical"
        } else {
            "DIFFER"
        };
        println!(
            "{name:<20} {:>14} {:>14} {ratio:>7.2}  {:<13} {same} ({wasm_sum})",
            mrate(native_rate),
            mrate(wasm_rate),
            if ratio >= WASM_RATIO_TARGET {
                "meets"
            } else {
                "BELOW"
            }
        );
    }
    Ok(())
}
